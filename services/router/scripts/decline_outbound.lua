-- The offered agent passes on an outbound call's preview (DeclineOutboundCall): it is offered
-- to the next agent, or waits; not counted as a miss. ARGS[1] call id, ARGS[2] offer id.
local call_id, offer_id = ARGS[1], ARGS[2]
local c = hgetall(k_call(call_id))
if c.id == nil then return fail('not_found', 'call ' .. call_id .. ' does not exist') end
if c.direction ~= 'outbound' then
  return fail('illegal_state', 'call ' .. call_id .. ' is not an outbound call', c.state)
end
if c.offer ~= offer_id or c.state ~= 'ringing' then
  if redis.call('HGET', k_offers(call_id), offer_id) then return call_reply(call_id) end -- declined already
  return fail('stale_offer', 'offer ' .. offer_id .. ' of call ' .. call_id .. ' is not the current one (state ' ..
    c.state .. ', current offer ' .. (c.offer or '') .. ')', c.state)
end
local agent_id, a = miss_offer(call_id, c, 'declined')
after_miss(call_id, c, agent_id, a)
return call_reply(call_id)
