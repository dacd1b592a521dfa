-- Reads a call with its live queue position. ARGS[1] call id.
local call_id = ARGS[1]
local known = redis.call('HMGET', k_call(call_id), 'id', 'routed_by', 'pbx')
if not known[1] then
  return fail('not_found', 'call ' .. call_id .. ' does not exist')
end
if foreign_call(known[2] or '', known[3]) then
  return fail('permission_denied', 'call ' .. call_id .. ' belongs to another PBX')
end
return call_reply(call_id)
