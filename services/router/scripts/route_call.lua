-- A new call: offered to an agent or queued. Idempotent by call id: a call the router knows
-- already is returned as it is now.
-- ARGS[1] call id, ARGS[2] caller, ARGS[3] queue, ARGS[4] attributes (JSON object),
-- ARGS[5] priority ('0' = take the caller list's), ARGS[6] personal manager ('' = the
-- caller list's), ARGS[7] the PBX session the call belongs to ('' = a v1 call), ARGS[8] the
-- deal (a stats lead id) the call is about ('' = none).
local call_id, caller, queue, attrs = ARGS[1], ARGS[2], ARGS[3], ARGS[4]
local priority, manager, pbx, deal = tonumber(ARGS[5]) or 0, ARGS[6], ARGS[7] or '', ARGS[8] or ''
local known = redis.call('HMGET', k_call(call_id), 'id', 'routed_by', 'pbx')
if known[1] then
  if foreign_call(known[2] or '', known[3]) then
    return fail('permission_denied', 'call ' .. call_id .. ' belongs to another PBX')
  end
  return call_reply(call_id)
end
if redis.call('EXISTS', k_queue(queue)) == 0 then
  return fail('not_found', 'queue ' .. queue .. ' does not exist')
end
if pbx ~= '' and redis.call('HGET', k_pbx(pbx), 'state') ~= 'open' then
  return fail('illegal_state', 'PBX session ' .. pbx .. ' is not open (never opened, or its lease lapsed): ' ..
    'open it with PbxSession first', 'closed')
end
if caller ~= '' then
  local client = hgetall(k_client(caller))
  if priority == 0 then priority = tonumber(client.priority or 0) or 0 end
  if manager == '' then manager = client.manager or '' end
end
local c = {}
call_set(call_id, c, {id = call_id, caller = caller, queue = queue, state = 'routing',
  received = NOW, entered = NOW, offers = 0, attrs = attrs, priority = priority, manager = manager,
  pbx = pbx, deal = deal, routed_by = PBX_CALLER ~= '' and PBX_CALLER or nil})
if pbx ~= '' then redis.call('SADD', k_pbx_calls(pbx), call_id) end
local max_wait = queue_ms(queue, 'max_wait_ms')
if max_wait > 0 then timer_set('maxwait|' .. call_id, NOW + max_wait) end
-- the backstop for a call whose hang-up never comes
local lifetime = queue_ms(queue, 'max_call_lifetime_ms')
if lifetime == 0 then lifetime = DEFAULT_LIFETIME end
if lifetime > 0 then timer_set('lifetime|' .. call_id, NOW + lifetime) end
emit('CALL_RECEIVED', {call_id = call_id, queue = queue, caller = caller, call_state = 'routing',
  attributes = attrs, reason = (priority > 0) and 'vip' or '', lead_id = deal})
enter_stage(call_id, c, 1)
-- An open deal's owner who is free takes it first (CALL_OFFERED reason deal_owner); else, or
-- when they miss it, the call goes on at its stage (the personal manager, then the queue).
if deal ~= '' then
  local d = redis.call('HMGET', k_deal(deal), 'owner', 'open')
  local owner = load_agent(d[1] or '')
  if d[2] == '1' and owner ~= nil and owner.state == 'available' and not CONV.bars_calls(queue, d[1]) then
    reserve(call_id, c, d[1], owner, 'deal_owner')
    return call_reply(call_id)
  end
end
dispatch_call(call_id, c)
return call_reply(call_id)
