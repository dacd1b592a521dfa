-- A supervisor moves a waiting call to a named agent (MoveCallToAgent; a supervisor taking a
-- call themselves names their own agent id). The call is offered to that agent at once,
-- through the same reservation as routing (CALL_OFFERED reason 'supervisor', its PBX told
-- OFFERED), whatever the agent's queues and whether they tried the call before. The agent
-- must be available: otherwise refused with the agent's state, and nothing changes (the
-- call does not wait for them; the supervisor picks someone free or moves it again later).
-- ARGS[1] call id, ARGS[2] agent id.
local call_id, agent_id = ARGS[1], ARGS[2]
local c = hgetall(k_call(call_id))
if c.id == nil then return fail('not_found', 'call ' .. call_id .. ' does not exist') end
if c.state ~= 'waiting' then
  return fail('illegal_state', 'call ' .. call_id .. ' is not waiting but ' .. c.state, c.state)
end
local a = load_agent(agent_id)
if a == nil then return fail('not_found', 'agent ' .. agent_id .. ' does not exist') end
if a.state ~= 'available' then
  return fail('illegal_state', 'agent ' .. agent_id .. ' is not available but ' .. a.state, a.state)
end
timer_clear('retry|' .. call_id)
reserve(call_id, c, agent_id, a, 'supervisor')
return call_reply(call_id)
