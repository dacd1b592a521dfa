-- Marks a task done (ARGS[1] its id, ARGS[2] the version it was read at). A recurring task's
-- next one is created in the same step: ARGS[3] its id, ARGS[4] its due time (computed by
-- recurrence.py from this one's planned due time: calendar months in the site's time zone).
local t, err = open_task(ARGS[1])
if err then return err end
if tonumber(t.version) ~= tonumber(ARGS[2]) then return fail('conflict', 'the task changed meanwhile') end
clear_timers(t)
t.status = 'done'
t.closed_ms = NOW
t.closed_by = ACTOR
local next_due = tonumber(ARGS[4]) or 0
local nxt = nil
if ARGS[3] ~= '' and next_due > 0 then
  nxt = cjson.decode(cjson.encode(t))
  nxt.id = ARGS[3]
  nxt.status = 'open'
  nxt.created_ms = NOW
  nxt.due_ms = next_due
  nxt.scheduled_ms = next_due
  nxt.due_fired = false
  nxt.reminded = {}
  nxt.snoozed_until = 0
  nxt.closed_ms = 0
  nxt.closed_by = ''
  nxt.previous_task_id = t.id
  nxt.next_task_id = ''
  nxt.version = 0
  nxt.history = {}
  note(nxt, {what = 'created', from = t.id})
  t.next_task_id = nxt.id
end
note(t, {what = 'done'})
save(t)
emit(t, 'TASK_DONE', {}, {next_task_id = t.next_task_id or ''})
if nxt then
  save(nxt)
  redis.call('ZADD', index_key(nxt), NOW, nxt.id)
  file_under_subject(nxt)
  schedule(nxt)
  emit(nxt, 'TASK_CREATED', {reason = 'recurrence'})
end
return cjson.encode({ok = t, next = nxt})
