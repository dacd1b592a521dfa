-- What every task script shares. Calling convention:
--   KEYS[1]  the tenant's key prefix ("cc:{t}:"); the key model (K_DEADLINES, k_task(id),
--            ...) comes before this file, generated from services/gateway/task_keys.py
--   KEYS[2]  the tenant's event stream
--   ARGV[1]  '' (always, outside tests): now is the Redis server's clock (TIME), read here.
--            Only a test that gave the TaskStore a hand-driven clock passes its time in ms.
--   ARGV[2]  approximate maximum length of the event stream (XADD MAXLEN ~)
--   ARGV[3]  who asked for the transition ('' for a timer)
--   ARGV[4…] the script's own arguments, as ARGS[1…]
-- Every script answers JSON: {"ok": task} or {"err": code, "msg": ...}.
local NOW
if ARGV[1] ~= '' then
  NOW = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local K_STREAM = KEYS[2]
local MAXLEN = ARGV[2]
local ACTOR = ARGV[3]
local ARGS = {}
for i = 4, #ARGV do ARGS[#ARGS + 1] = ARGV[i] end
local MAX_HISTORY = 50

local function fail(code, msg) return cjson.encode({err = code, msg = msg}) end

local function load(id)
  local raw = redis.call('GET', k_task(id))
  if not raw then return nil end
  return cjson.decode(raw)
end

local function save(t)
  t.version = (tonumber(t.version) or 0) + 1
  redis.call('SET', k_task(t.id), cjson.encode(t))
end

-- One line of the task's history (at most MAX_HISTORY, the oldest dropped).
local function note(t, entry)
  entry.at = NOW
  entry.by = ACTOR
  local h = t.history
  if type(h) ~= 'table' then h = {} end
  h[#h + 1] = entry
  while #h > MAX_HISTORY do table.remove(h, 1) end
  t.history = h
end

local function list(v) if type(v) == 'table' then return v end return {} end

-- The task's event: agent_id and queue are its assignee; attributes its id and title.
local function emit(t, event_type, fields, attrs)
  local a = {task_id = t.id, title = t.title or ''}
  for k, v in pairs(attrs or {}) do a[k] = tostring(v) end
  local args = {K_STREAM, 'MAXLEN', '~', MAXLEN, '*', 'type', event_type, 'time', NOW}
  local values = {agent_id = t.agent_id or '', queue = t.queue or '', reason = fields.reason or '',
    other_agent_id = fields.other_agent_id or '', actor = ACTOR}
  for _, name in ipairs({'agent_id', 'queue', 'other_agent_id', 'reason', 'actor'}) do
    if values[name] ~= '' then
      args[#args + 1] = name
      args[#args + 1] = values[name]
    end
  end
  args[#args + 1] = 'attributes'
  args[#args + 1] = cjson.encode(a)
  return redis.call('XADD', unpack(args))
end

local function index_key(t)
  if (t.agent_id or '') ~= '' then return k_agent_tasks(t.agent_id) end
  return k_team_tasks(t.queue)
end

-- A task is also filed under its subject (the customer card lists a client's tasks), the
-- newest SUBJECT_TASKS_KEPT per subject.
local SUBJECT_TASKS_KEPT = 1000
local function file_under_subject(t)
  if (t.subject_kind or '') == '' or (t.subject_id or '') == '' then return end
  local key = k_subject_tasks(t.subject_kind, t.subject_id)
  redis.call('ZADD', key, tonumber(t.created_ms) or NOW, t.id)
  redis.call('ZREMRANGEBYRANK', key, 0, -SUBJECT_TASKS_KEPT - 1)
end

local function clear_timers(t)
  redis.call('ZREM', K_DEADLINES, 'due|' .. t.id)
  for _, off in ipairs(list(t.reminders)) do redis.call('ZREM', K_DEADLINES, 'remind|' .. t.id .. '|' .. off) end
end

local function reminded(t, off)
  for _, done in ipairs(list(t.reminded)) do if tonumber(done) == tonumber(off) then return true end end
  return false
end

-- The task's deadlines from its state: its due time (not yet fired) and the reminders still ahead.
local function schedule(t)
  clear_timers(t)
  local due = tonumber(t.due_ms) or 0
  if t.status == 'done' or due <= 0 or t.due_fired then return end
  redis.call('ZADD', K_DEADLINES, due, 'due|' .. t.id)
  for _, off in ipairs(list(t.reminders)) do
    local at = due - tonumber(off) * 1000
    if at > NOW and not reminded(t, off) then
      redis.call('ZADD', K_DEADLINES, at, 'remind|' .. t.id .. '|' .. off)
    end
  end
end

local function open_task(id)
  local t = load(id)
  if t == nil then return nil, fail('not_found', 'task ' .. id .. ' does not exist') end
  if t.status == 'done' or t.status == 'closed' then return nil, fail('illegal_state', 'the task is done') end
  return t, nil
end

-- A handover's event: agent_id the absent agent, other_agent_id the deputy.
local function emit_handover(h, event_type, attrs)
  local a = {handover_id = h.id}
  for k, v in pairs(attrs or {}) do a[k] = tostring(v) end
  local args = {K_STREAM, 'MAXLEN', '~', MAXLEN, '*', 'type', event_type, 'time', NOW,
    'agent_id', h.from_agent_id, 'other_agent_id', h.to_agent_id}
  if ACTOR ~= '' then
    args[#args + 1] = 'actor'
    args[#args + 1] = ACTOR
  end
  args[#args + 1] = 'attributes'
  args[#args + 1] = cjson.encode(a)
  return redis.call('XADD', unpack(args))
end

-- Creates the task of an automation rule (automation.py) from its JSON t: due due_in_ms from
-- now (0: no due time), TASK_CREATED (reason automation) and AUTOMATION_FIRED appended.
local function automation_task(t, due_in_ms, rule_id, kind, event_id)
  t.created_ms = NOW
  t.status = 'open'
  t.version = 0
  t.history = {}
  local due_in = tonumber(due_in_ms) or 0
  if due_in > 0 then
    t.due_ms = NOW + due_in
    t.scheduled_ms = t.due_ms
  end
  note(t, {what = 'created', from = 'automation rule ' .. rule_id})
  save(t)
  redis.call('ZADD', index_key(t), NOW, t.id)
  file_under_subject(t)
  schedule(t)
  emit(t, 'TASK_CREATED', {reason = 'automation'}, {rule_id = rule_id})
  local args = {K_STREAM, 'MAXLEN', '~', MAXLEN, '*', 'type', 'AUTOMATION_FIRED', 'time', NOW,
    'rule_id', rule_id, 'task_id', t.id}
  if (t.agent_id or '') ~= '' then
    args[#args + 1] = 'agent_id'
    args[#args + 1] = t.agent_id
  end
  if (t.queue or '') ~= '' then
    args[#args + 1] = 'queue'
    args[#args + 1] = t.queue
  end
  args[#args + 1] = 'attributes'
  args[#args + 1] = cjson.encode({event_id = event_id, kind = kind, title = t.title or ''})
  redis.call('XADD', unpack(args))
end

-- Whether the automation rule of that id exists and is enabled (gw:automation:rules).
local function automation_rule_on(rule_id)
  local raw = redis.call('GET', K_AUTOMATION_RULES)
  if not raw then return false end
  for _, rule in ipairs(cjson.decode(raw)) do
    if rule.id == rule_id then return rule.enabled == true end
  end
  return false
end
