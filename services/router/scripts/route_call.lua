-- A new call: offered to an agent or queued. Idempotent by call id: a call the router knows
-- already is returned as it is now.
-- ARGV[4] call id, ARGV[5] caller, ARGV[6] queue, ARGV[7] attributes (JSON object).
local call_id, caller, queue, attrs = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if redis.call('EXISTS', k_call(call_id)) == 1 then return call_reply(call_id) end
if redis.call('EXISTS', k_queue(queue)) == 0 then
  return fail('not_found', 'queue ' .. queue .. ' does not exist')
end
local c = {}
call_set(call_id, c, {id = call_id, caller = caller, queue = queue, state = 'routing',
  received = NOW, offers = 0, attrs = attrs})
local max_wait = queue_ms(queue, 'max_wait_ms')
if max_wait > 0 then timer_set('maxwait|' .. call_id, NOW + max_wait) end
emit('CALL_RECEIVED', {call_id = call_id, queue = queue, caller = caller, call_state = 'routing',
  attributes = attrs})
dispatch_call(call_id, c)
return call_reply(call_id)
