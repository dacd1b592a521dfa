-- A missed call under a missed_call_not_called_back rule (automation.py): stores its follow-up
-- and its deadline (`auto|<id>` in gw:deadlines, fired by fire.lua unless a call with the
-- number cancels it first: auto_cancel.lua), unless this (event, rule) pair was evaluated
-- before or the rule already waits for a callback of the number (one task however often it
-- was missed meanwhile); marks the pair done in the same step.
-- ARGS: 1 `<event id>|<rule id>`, 2 the follow-up's JSON {id, number, missed_ms, rule_id, kind,
-- event_id, due_in_ms, task}, 3 wait this long (ms) for the callback, 4 how long the mark lasts (s).
-- Answers {"ok": id} or {"dup": ...}.
local mark = k_automation_done(ARGS[1])
local before = redis.call('GET', mark)
if before then return cjson.encode({dup = before}) end
local p = cjson.decode(ARGS[2])
-- the number missed again while this rule already waits for its callback: the one follow-up
for _, id in ipairs(redis.call('SMEMBERS', k_automation_number(p.number))) do
  local raw = redis.call('GET', k_automation_pending(id))
  if raw and cjson.decode(raw).rule_id == p.rule_id then
    redis.call('SET', mark, '-', 'EX', ARGS[4])
    return cjson.encode({dup = id})
  end
end
redis.call('SET', k_automation_pending(p.id), ARGS[2])
redis.call('SADD', k_automation_number(p.number), p.id)
redis.call('ZADD', K_DEADLINES, NOW + tonumber(ARGS[3]), 'auto|' .. p.id)
redis.call('SET', mark, '-', 'EX', ARGS[4])
return cjson.encode({ok = p.id})
