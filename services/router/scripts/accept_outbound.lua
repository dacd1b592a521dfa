-- The offered agent accepts an outbound call's preview (AcceptOutboundCall): it is dialled.
-- Accepting again is answered with the call as it is. ARGS[1] call id, ARGS[2] offer id.
local call_id, offer_id = ARGS[1], ARGS[2]
local c = hgetall(k_call(call_id))
if c.id == nil then return fail('not_found', 'call ' .. call_id .. ' does not exist') end
if c.direction ~= 'outbound' then
  return fail('illegal_state', 'call ' .. call_id .. ' is not an outbound call', c.state)
end
if c.offer == offer_id and c.state ~= 'ringing' and c.state ~= 'waiting' and c.state ~= 'routing' then
  return call_reply(call_id) -- accepted already (or over): nothing to do again
end
if c.offer ~= offer_id or c.state ~= 'ringing' then
  return fail('stale_offer', 'offer ' .. offer_id .. ' of call ' .. call_id .. ' is not the current one (state ' ..
    c.state .. ', current offer ' .. (c.offer or '') .. ')', c.state)
end
dial(call_id, c, 'accepted')
return call_reply(call_id)
