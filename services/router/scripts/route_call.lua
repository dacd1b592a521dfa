-- A new call: offered to an agent or queued. Idempotent by call id: a call the router knows
-- already is returned as it is now.
-- ARGV[4] call id, ARGV[5] caller, ARGV[6] queue, ARGV[7] attributes (JSON object),
-- ARGV[8] priority ('0' = take the caller list's), ARGV[9] personal manager ('' = the
-- caller list's).
local call_id, caller, queue, attrs = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local priority, manager = tonumber(ARGV[8]) or 0, ARGV[9]
if redis.call('EXISTS', k_call(call_id)) == 1 then return call_reply(call_id) end
if redis.call('EXISTS', k_queue(queue)) == 0 then
  return fail('not_found', 'queue ' .. queue .. ' does not exist')
end
if caller ~= '' then
  local client = hgetall(k_client(caller))
  if priority == 0 then priority = tonumber(client.priority or 0) or 0 end
  if manager == '' then manager = client.manager or '' end
end
local c = {}
call_set(call_id, c, {id = call_id, caller = caller, queue = queue, state = 'routing',
  received = NOW, entered = NOW, offers = 0, attrs = attrs, priority = priority, manager = manager})
local max_wait = queue_ms(queue, 'max_wait_ms')
if max_wait > 0 then timer_set('maxwait|' .. call_id, NOW + max_wait) end
emit('CALL_RECEIVED', {call_id = call_id, queue = queue, caller = caller, call_state = 'routing',
  attributes = attrs, reason = (priority > 0) and 'vip' or ''})
enter_stage(call_id, c, 1)
dispatch_call(call_id, c)
return call_reply(call_id)
