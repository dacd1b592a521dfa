-- Logged out -> available (or paused). ARGS[1] agent id, ARGS[2] pause reason ('' = available).
local agent_id, pause_reason = ARGS[1], ARGS[2]
local a = load_agent(agent_id)
if a == nil then return fail('not_found', 'agent ' .. agent_id .. ' does not exist') end
if a.state ~= 'logged_out' then
  return fail('illegal_state', 'agent ' .. agent_id .. ' is already logged in', a.state)
end
agent_set(agent_id, a, {session_queues = a.queues or '', calls = 0, misses = 0})
for _, q in ipairs(split(a.session_queues)) do redis.call('SADD', k_online(q), agent_id) end
if pause_reason ~= '' then
  agent_set(agent_id, a, {state = 'paused', since = NOW, reason = pause_reason})
else
  make_available(agent_id, a)
end
emit('AGENT_LOGGED_IN', {agent_id = agent_id, agent_state = a.state, reason = pause_reason,
  queues = a.session_queues})
dispatch_agent(agent_id, a)
return agent_reply(agent_id)
