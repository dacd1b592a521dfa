-- Paused -> available. ARGS[1] agent id.
local agent_id = ARGS[1]
local a = load_agent(agent_id)
if a == nil then return fail('not_found', 'agent ' .. agent_id .. ' does not exist') end
if a.state ~= 'paused' then
  return fail('illegal_state', 'agent ' .. agent_id .. ' is not paused but ' .. a.state, a.state)
end
agent_set(agent_id, a, {misses = 0}) -- a resumed agent starts a new run of misses
make_available(agent_id, a)
emit('AGENT_RESUMED', {agent_id = agent_id, agent_state = 'available'})
dispatch_agent(agent_id, a)
return agent_reply(agent_id)
