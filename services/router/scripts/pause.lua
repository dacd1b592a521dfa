-- Available, wrap-up or paused -> paused with a reason. ARGS[1] agent id, ARGS[2] reason,
-- ARGS[3] '1': after the current call — an agent reserved, on a call or in wrap-up keeps it,
-- and the pause is stored as pending (lib.lua, PENDING_PAUSE) until they leave it.
local agent_id, reason, after_call = ARGS[1], ARGS[2], ARGS[3]
local a = load_agent(agent_id)
if a == nil then return fail('not_found', 'agent ' .. agent_id .. ' does not exist') end
if after_call == '1' and (a.state == 'reserved' or a.state == 'on_call' or a.state == 'wrap_up') then
  agent_set(agent_id, a, {pause_after = reason, pause_after_by = ACTOR, pause_after_via = ACTOR_VIA})
  emit('AGENT_PAUSE_REQUESTED', {agent_id = agent_id, agent_state = a.state, reason = reason,
    call_id = a.call})
  return agent_reply(agent_id)
end
if a.state ~= 'available' and a.state ~= 'wrap_up' and a.state ~= 'paused' then
  return fail('illegal_state', 'agent ' .. agent_id .. ' cannot pause while ' .. a.state, a.state)
end
if a.state == 'wrap_up' then close_wrap_up(agent_id, a, 'paused', 'paused') end
out_of_rotation(agent_id, a)
agent_set(agent_id, a, {state = 'paused', since = NOW, reason = reason})
agent_clear(agent_id, a, {'call', 'wrap_token', 'wrap_ends', 'wrap_queue', unpack(PENDING_PAUSE)})
emit('AGENT_PAUSED', {agent_id = agent_id, agent_state = 'paused', reason = reason})
release_waiters(agent_id)
return agent_reply(agent_id)
