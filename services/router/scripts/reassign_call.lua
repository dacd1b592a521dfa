-- A supervisor reassigns a ringing call (ReassignCall). The current offer is cancelled
-- (OFFER_MISSED reason reassigned_by_supervisor: not the agent's miss, who is available again;
-- the PBX is told OFFER_CANCELLED), then the call is offered to the named agent at once
-- (CALL_OFFERED reason supervisor), or, with no agent named, goes back to its queue: offered
-- to the next free agent who has not tried it, else into the waiting line. A named agent
-- must be available and not the one it rings; otherwise refused and nothing changes.
-- ARGS[1] call id, ARGS[2] agent id ('' = back to the queue).
local call_id, agent_id = ARGS[1], ARGS[2]
local c = hgetall(k_call(call_id))
if c.id == nil then return fail('not_found', 'call ' .. call_id .. ' does not exist') end
if c.state ~= 'ringing' then
  return fail('illegal_state', 'call ' .. call_id .. ' is not ringing but ' .. c.state, c.state)
end
local b = nil
if agent_id ~= '' then
  if agent_id == c.agent then
    return fail('illegal_state', 'call ' .. call_id .. ' rings agent ' .. agent_id .. ' already', c.state)
  end
  b = load_agent(agent_id)
  if b == nil then return fail('not_found', 'agent ' .. agent_id .. ' does not exist') end
  if b.state ~= 'available' then
    return fail('illegal_state', 'agent ' .. agent_id .. ' is not available but ' .. b.state, b.state)
  end
end
local released, a = miss_offer(call_id, c, 'reassigned_by_supervisor')
if b ~= nil then
  reserve(call_id, c, agent_id, b, 'supervisor')
  dispatch_agent(released, a)
else
  after_miss(call_id, c, released, a)
end
return call_reply(call_id)
