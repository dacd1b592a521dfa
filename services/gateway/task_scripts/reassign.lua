-- Gives a task to another assignee: ARGS[2] an agent id, or '' and ARGS[3] a team (queue).
-- The history records from -> to and who did it; a team task given to an agent is taken.
local t, err = open_task(ARGS[1])
if err then return err end
local old_agent, old_queue = t.agent_id or '', t.queue or ''
redis.call('ZREM', index_key(t), t.id)
t.agent_id = ARGS[2]
if ARGS[3] ~= '' then t.queue = ARGS[3] elseif ARGS[2] ~= '' then t.queue = '' end
note(t, {what = 'reassigned', from = {agent_id = old_agent, queue = old_queue},
  to = {agent_id = t.agent_id, queue = t.queue}})
save(t)
redis.call('ZADD', index_key(t), tonumber(t.created_ms) or NOW, t.id)
emit(t, 'TASK_REASSIGNED', {other_agent_id = old_agent}, {from_queue = old_queue})
return cjson.encode({ok = t})
