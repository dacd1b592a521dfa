-- A supervisor ends a stuck call (EndCall), as the router ends one whose hang-up never
-- comes (force_end): connected -> completed, its agent into wrap-up as after a hang-up;
-- ringing or waiting -> abandoned, a ringing agent released without a miss. The reason
-- ended_by_supervisor is in the events (CALL_COMPLETED / CALL_ABANDONED, OFFER_MISSED) and
-- the call's end_reason; its PBX is told OFFER_CANCELLED (for a ringing offer) and ENDED,
-- and hangs the call up. An outbound call not yet connected ends NOT_CONNECTED. A call
-- already final is refused. ARGS[1] call id.
local call_id = ARGS[1]
local c = hgetall(k_call(call_id))
if c.id == nil then return fail('not_found', 'call ' .. call_id .. ' does not exist') end
if c.state ~= 'connected' and c.state ~= 'ringing' and c.state ~= 'waiting' and c.state ~= 'dialing' then
  return fail('illegal_state', 'call ' .. call_id .. ' has ended already: ' .. c.state, c.state)
end
force_end(call_id, c, 'ended_by_supervisor')
return call_reply(call_id)
