-- A call with a number (answered from it, or made to it) at ARGS[2] ms: the follow-ups of
-- the missed calls before it are cancelled (their deadlines too). ARGS[1] the number.
-- Doing it again changes nothing. Answers {"ok": how many were cancelled}.
local number, at = ARGS[1], tonumber(ARGS[2])
local cancelled = 0
for _, id in ipairs(redis.call('SMEMBERS', k_automation_number(number))) do
  local raw = redis.call('GET', k_automation_pending(id))
  local p = raw and cjson.decode(raw)
  if not p or (tonumber(p.missed_ms) or 0) <= at then
    redis.call('DEL', k_automation_pending(id))
    redis.call('SREM', k_automation_number(number), id)
    redis.call('ZREM', K_DEADLINES, 'auto|' .. id)
    if p then cancelled = cancelled + 1 end
  end
end
return cjson.encode({ok = cancelled})
