-- The call is over. Connected -> completed, its agent into wrap-up; waiting or ringing ->
-- abandoned (an outbound call waiting, previewed or dialling: not connected, reason hangup).
-- A call already final is returned as it is. ARGS[1] call id.
local call_id = ARGS[1]
local c = hgetall(k_call(call_id))
if c.id == nil then return fail('not_found', 'call ' .. call_id .. ' does not exist') end
if foreign_call(c.routed_by, c.pbx) then
  return fail('permission_denied', 'call ' .. call_id .. ' belongs to another PBX')
end
if c.state == 'connected' then
  complete_call(call_id, c, '')
elseif c.state == 'ringing' or c.state == 'waiting' or c.state == 'routing' or c.state == 'dialing' then
  end_unanswered(call_id, c, '')
end
return call_reply(call_id)
