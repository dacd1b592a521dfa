-- Paused -> available. ARGS[1] agent id. An agent with a pending pause (pause after the
-- current call) keeps their call and is no longer paused after it: the pause is cancelled.
local agent_id = ARGS[1]
local a = load_agent(agent_id)
if a == nil then return fail('not_found', 'agent ' .. agent_id .. ' does not exist') end
if a.state ~= 'paused' and (a.pause_after or '') ~= '' then
  local reason = a.pause_after
  agent_clear(agent_id, a, PENDING_PAUSE)
  emit('AGENT_PAUSE_CANCELLED', {agent_id = agent_id, agent_state = a.state, reason = reason,
    call_id = a.call})
  return agent_reply(agent_id)
end
if a.state ~= 'paused' then
  return fail('illegal_state', 'agent ' .. agent_id .. ' is not paused but ' .. a.state, a.state)
end
agent_set(agent_id, a, {misses = 0}) -- a resumed agent starts a new run of misses
make_available(agent_id, a)
emit('AGENT_RESUMED', {agent_id = agent_id, agent_state = 'available'})
dispatch_agent(agent_id, a)
return agent_reply(agent_id)
