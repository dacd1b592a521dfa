-- A new outbound call (CreateOutboundCall): offered to an agent (their preview, or dialled at
-- once in progressive mode) or lined up in the queue's outbound line. Idempotent by call id.
-- ARGS[1] call id, ARGS[2] number, ARGS[3] queue, ARGS[4] mode (preview|progressive),
-- ARGS[5] PBX session ('' = the queue's outbound_pbx), ARGS[6] agent offered first ('' = the
-- client's manager), ARGS[7] deal, ARGS[8] attributes (JSON object), ARGS[9] priority.
local call_id, number, queue, mode, pbx = ARGS[1], ARGS[2], ARGS[3], ARGS[4], ARGS[5]
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
if pbx == '' then pbx = queue_conf(queue).outbound_pbx or '' end
if pbx == '' then
  return fail('illegal_state', 'no PBX to dial: name pbx_id, or set the queue\'s outbound_pbx', 'no_pbx')
end
if redis.call('HGET', k_pbx(pbx), 'state') ~= 'open' then
  return fail('illegal_state', 'PBX session ' .. pbx .. ' is not open (never opened, or its lease lapsed)', 'closed')
end
if on_do_not_call(number) then
  return fail('illegal_state', 'number ' .. number .. ' is on the do-not-call list', 'do_not_call')
end
if ARGS[6] ~= '' and load_agent(ARGS[6]) == nil then
  return fail('not_found', 'agent ' .. ARGS[6] .. ' does not exist')
end
outbound_create({id = call_id, number = number, queue = queue, mode = mode, pbx = pbx, agent = ARGS[6],
  deal = ARGS[7], attrs = ARGS[8], priority = ARGS[9]})
return call_reply(call_id)
