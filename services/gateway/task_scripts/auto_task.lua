-- One automation rule fired on one event (automation.py): creates its task unless this
-- (event, rule) pair was evaluated before, and marks the pair done, in one step, so an event
-- delivered again (a member died before XACK, another took it over) creates no second task.
-- ARGS: 1 `<event id>|<rule id>`, 2 the task's JSON, 3 due in ms (0: none), 4 how long the
-- mark lasts (s), 5 the rule's kind, 6 the rule id, 7 the event id.
-- Answers {"ok": task} or {"dup": the task id made before}.
local mark = k_automation_done(ARGS[1])
local before = redis.call('GET', mark)
if before then return cjson.encode({dup = before}) end
local t = cjson.decode(ARGS[2])
automation_task(t, ARGS[3], ARGS[6], ARGS[5], ARGS[7])
redis.call('SET', mark, t.id, 'EX', ARGS[4])
return cjson.encode({ok = t})
