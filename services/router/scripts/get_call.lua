-- Reads a call with its live queue position. ARGS[1] call id.
local call_id = ARGS[1]
if redis.call('EXISTS', k_call(call_id)) == 0 then
  return fail('not_found', 'call ' .. call_id .. ' does not exist')
end
return call_reply(call_id)
