-- The PBX reports how ringing an offered agent ended. What happened on the line is the
-- truth; the router's timer only decides when the PBX says nothing:
--   * the current offer: applied (answered -> connected; a miss -> the next offer or the line);
--   * a miss for an offer that already ended (the router expired it, or the call moved on):
--     OK with the call as it is, recorded once (the first end stands);
--   * ANSWERED for an earlier offer the router expired, while nobody else has answered:
--     accepted; a newer offer is cancelled (its agent released without a miss) and, if the
--     agent was meanwhile offered another call, that offer is cancelled too;
--   * ANSWERED when the call is connected through another offer (a true double answer), or
--     has ended, or for an offer the PBX itself reported missed: refused (stale_offer).
-- ARGS[1] call id, ARGS[2] offer id, ARGS[3] outcome: answered|no_answer|rejected|busy.
local call_id, offer_id, outcome = ARGS[1], ARGS[2], ARGS[3]
local c = hgetall(k_call(call_id))
if c.id == nil then return fail('not_found', 'call ' .. call_id .. ' does not exist') end
if foreign_call(c.routed_by, c.pbx) then
  return fail('permission_denied', 'call ' .. call_id .. ' belongs to another PBX')
end

local function refuse(why)
  return fail('stale_offer', 'offer ' .. offer_id .. ' of call ' .. call_id .. ' ' .. why ..
    ' (state ' .. c.state .. ', current offer ' .. (c.offer or '') .. ')', c.state)
end

if c.offer == offer_id and c.state == 'ringing' then
  local agent_id = c.agent
  if outcome == 'answered' then
    answer(call_id, c, agent_id, hgetall(k_agent(agent_id)), offer_id, c.offered_at)
  else
    local a
    agent_id, a = miss_offer(call_id, c, outcome)
    after_miss(call_id, c, agent_id, a)
  end
  return call_reply(call_id)
end

local ended = redis.call('HGET', k_offers(call_id), offer_id)
local how, agent_id, offered_at = nil, nil, nil
if ended then how, agent_id, offered_at = string.match(ended, '^([^|]*)|([^|]*)|(.*)$') end

if outcome ~= 'answered' then
  -- a repeated or late miss report: the offer's first end stands, nothing is recorded again
  if ended or c.offer == offer_id then return call_reply(call_id) end
  return refuse('was never made')
end
if c.state == 'connected' then
  if c.offer == offer_id then return call_reply(call_id) end -- a repeated answer report
  return refuse('cannot be answered: the call is connected to agent ' .. (c.agent or '') ..
    ' through another offer')
end
if c.state ~= 'ringing' and c.state ~= 'waiting' then return refuse('cannot be answered: the call has ended') end
if how ~= 'timeout' then
  if how == nil then return refuse('was never made') end
  return refuse('cannot be answered: it ended as ' .. how)
end

-- A late answer of an offer the router expired: reality wins.
local a = load_agent(agent_id)
if a == nil then return refuse('cannot be answered: agent ' .. agent_id .. ' no longer exists') end
if c.state == 'ringing' and c.agent == agent_id then
  -- the call is ringing the same agent again: that is the offer they answered
  answer(call_id, c, agent_id, a, c.offer, c.offered_at)
  return call_reply(call_id)
end
if a.state ~= 'available' and a.state ~= 'paused' and a.state ~= 'reserved' then
  return refuse('cannot be answered: agent ' .. agent_id .. ' is ' .. a.state)
end
-- Nothing was changed above; from here the answer is accepted.
local other_id, other = nil, nil
if a.state == 'reserved' and (a.call or '') ~= '' then
  -- meanwhile offered another call: that offer is cancelled, the other call goes on
  other_id = a.call
  other = hgetall(k_call(other_id))
  if other.state == 'ringing' and other.agent == agent_id then
    miss_offer(other_id, other, 'agent_took_other_call')
  else
    other_id = nil
  end
  a = load_agent(agent_id)
end
local released = nil
if c.state == 'ringing' then
  -- the newer offer is cancelled: its agent did nothing wrong
  released = miss_offer(call_id, c, 'answered_elsewhere', 'connected')
end
answer(call_id, c, agent_id, a, offer_id, offered_at, {late_answer = '1', revoked_miss = 'timeout'})
if other_id then
  -- dispatched only now that the agent is on this call, so it is not offered to them again
  if other.deadline_passed == '1' then
    give_up(other_id, other, 'max_wait')
  else
    other.state = 'routing'
    dispatch_call(other_id, other)
  end
end
-- re-read: the other call may have just been offered to the released agent
if released then dispatch_agent(released, load_agent(released)) end
return call_reply(call_id)
