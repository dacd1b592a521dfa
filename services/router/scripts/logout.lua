-- Available, paused or wrap-up -> logged out; their open conversations go back to their
-- queues' lines (CONV.hand_back). ARGS[1] agent id.
local agent_id = ARGS[1]
local a = load_agent(agent_id)
if a == nil then return fail('not_found', 'agent ' .. agent_id .. ' does not exist') end
if a.state == 'reserved' or a.state == 'on_call' or a.state == 'logged_out' then
  return fail('illegal_state', 'agent ' .. agent_id .. ' cannot log out while ' .. a.state, a.state)
end
if a.state == 'wrap_up' then close_wrap_up(agent_id, a, 'logged_out', 'logged_out') end
out_of_rotation(agent_id, a)
for _, q in ipairs(split(a.session_queues)) do redis.call('SREM', k_online(q), agent_id) end
agent_set(agent_id, a, {state = 'logged_out', since = NOW})
agent_clear(agent_id, a, {'call', 'offer', 'reason', 'wrap_token', 'wrap_ends', 'wrap_queue',
  'session_queues', unpack(PENDING_PAUSE)})
emit('AGENT_LOGGED_OUT', {agent_id = agent_id, agent_state = 'logged_out'})
CONV.hand_back(agent_id)
release_waiters(agent_id)
return agent_reply(agent_id)
