-- The PBX reports how dialling an outbound call ended (ReportDialOutcome): answered -> the
-- call is connected to its agent; agent_no_answer -> the agent's miss, the call goes to the
-- next agent; no_answer, busy, failed -> NOT_CONNECTED. A repeated report is answered with the
-- call as it is. ARGS[1] call id, ARGS[2] offer id, ARGS[3] outcome.
local call_id, offer_id, outcome = ARGS[1], ARGS[2], ARGS[3]
local c = hgetall(k_call(call_id))
if c.id == nil then return fail('not_found', 'call ' .. call_id .. ' does not exist') end
if foreign_call(c.routed_by, c.pbx) then
  return fail('permission_denied', 'call ' .. call_id .. ' belongs to another PBX')
end
if c.direction ~= 'outbound' then
  return fail('illegal_state', 'call ' .. call_id .. ' is not an outbound call', c.state)
end
if c.offer ~= offer_id or c.state ~= 'dialing' then
  if redis.call('HGET', k_offers(call_id), offer_id) or (c.offer == offer_id and c.state ~= 'ringing') then
    return call_reply(call_id) -- that dial has ended already: its first end stands
  end
  return fail('stale_offer', 'offer ' .. offer_id .. ' of call ' .. call_id .. ' is not being dialled (state ' ..
    c.state .. ', current offer ' .. (c.offer or '') .. ')', c.state)
end
if outcome == 'answered' then
  answer(call_id, c, c.agent, hgetall(k_agent(c.agent)), offer_id, c.offered_at)
elseif outcome == 'agent_no_answer' then
  local agent_id, a = miss_offer(call_id, c, 'no_answer')
  after_miss(call_id, c, agent_id, a)
else
  not_connected(call_id, c, outcome)
end
return call_reply(call_id)
