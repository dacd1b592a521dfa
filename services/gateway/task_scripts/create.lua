-- Creates a task (ARGS[1]: its JSON, built and checked by tasks.py): stamped now, put in its
-- assignee's list, its due time and reminders scheduled, TASK_CREATED appended.
local t = cjson.decode(ARGS[1])
if redis.call('EXISTS', k_task(t.id)) == 1 then return fail('exists', 'task ' .. t.id .. ' exists') end
t.created_ms = NOW
t.status = 'open'
t.version = 0
t.history = {}
note(t, {what = 'created'})
save(t)
redis.call('ZADD', index_key(t), NOW, t.id)
file_under_subject(t)
schedule(t)
emit(t, 'TASK_CREATED', {reason = ARGS[2] or ''})
return cjson.encode({ok = t})
