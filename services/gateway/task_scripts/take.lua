-- An agent (ARGS[2]) takes a team task nobody took yet: exactly one of agents racing gets it,
-- the others are answered "taken".
local t, err = open_task(ARGS[1])
if err then return err end
if (t.queue or '') == '' then return fail('illegal_state', 'the task is no team task') end
if (t.agent_id or '') ~= '' then
  if t.agent_id == ARGS[2] then return cjson.encode({ok = t}) end
  return fail('taken', 'the task was taken by another agent')
end
redis.call('ZREM', k_team_tasks(t.queue), t.id)
t.agent_id = ARGS[2]
note(t, {what = 'taken'})
save(t)
redis.call('ZADD', k_agent_tasks(t.agent_id), tonumber(t.created_ms) or NOW, t.id)
emit(t, 'TASK_TAKEN', {})
return cjson.encode({ok = t})
