-- Snoozes a task until ARGS[2] (ms, ahead of now): it is snoozed until then, its due time
-- moves there (the due member of the timers is the snooze's end: the task opens again and
-- TASK_DUE fires), reminders still ahead of the new due time are scheduled again.
local t, err = open_task(ARGS[1])
if err then return err end
local untl = tonumber(ARGS[2])
if untl <= NOW then return fail('out_of_range', 'until_ms must be ahead of now') end
clear_timers(t)
note(t, {what = 'snoozed', from = tonumber(t.due_ms) or 0, ['until'] = untl})
t.status = 'snoozed'
t.snoozed_until = untl
t.due_ms = untl
t.due_fired = false
t.reminded = {}
save(t)
schedule(t)
emit(t, 'TASK_SNOOZED', {}, {until_ms = untl})
return cjson.encode({ok = t})
