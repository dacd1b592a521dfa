-- Fires up to ARGS[1] due task deadlines by the clock: ZREM of the member is the claim (Redis
-- runs one script at a time, so of racing replicas exactly one finds it), and the task's state
-- change and its event are written in the same run. A deadline of a task done meanwhile
-- fires nothing. An `auto|<id>` deadline is an automation follow-up: it creates its task.
-- Returns JSON {now, next (the next deadline, or -1), fired}.
local LIMIT = tonumber(ARGS[1])
local fired = 0
for _, member in ipairs(redis.call('ZRANGEBYSCORE', K_DEADLINES, '-inf', NOW, 'LIMIT', 0, LIMIT)) do
  redis.call('ZREM', K_DEADLINES, member)
  local kind, id, off = string.match(member, '^(%a+)|([^|]+)|?(%d*)$')
  local t = id and kind ~= 'auto' and load(id)
  if kind == 'auto' and id then
    -- a missed call's follow-up nobody cancelled in time (auto_follow_up.lua): its task now
    local raw = redis.call('GET', k_automation_pending(id))
    if raw then
      local p = cjson.decode(raw)
      redis.call('DEL', k_automation_pending(id))
      redis.call('SREM', k_automation_number(p.number), id)
      if automation_rule_on(p.rule_id) then  -- a rule removed or disabled meanwhile makes none
        automation_task(p.task, p.due_in_ms, p.rule_id, p.kind, p.event_id)
        fired = fired + 1
      end
    end
  elseif t and t.status ~= 'done' and t.status ~= 'closed' then
    if kind == 'due' then
      local reason = 'due'
      if t.status == 'snoozed' then reason = 'snooze_ended' end
      t.status = 'open'
      t.due_fired = true
      t.snoozed_until = 0
      save(t)
      emit(t, 'TASK_DUE', {reason = reason}, {due_ms = t.due_ms})
      fired = fired + 1
    elseif kind == 'remind' and off ~= '' and not reminded(t, off) then
      local r = list(t.reminded)
      r[#r + 1] = tonumber(off)
      t.reminded = r
      save(t)
      emit(t, 'TASK_REMINDER', {reason = 'reminder'}, {due_ms = t.due_ms, offset_s = off})
      fired = fired + 1
    end
  end
end
local first = redis.call('ZRANGE', K_DEADLINES, 0, 0, 'WITHSCORES')
local next_due = -1
if first[2] then next_due = tonumber(first[2]) end
return cjson.encode({now = NOW, next = next_due, fired = fired})
