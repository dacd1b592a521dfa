-- Claims the handover whose end came (by the Redis clock), for one replica to hand back:
-- its end moves ARGS[1] ms ahead (a replica dying mid-way leaves it to another after that
-- lease; handing back twice is harmless: only what is still the deputy's goes back).
-- Answers {ok = handover} or {none = true, now, next} (next: the next end, -1 for none).
local lease = tonumber(ARGS[1])
local due = redis.call('ZRANGEBYSCORE', K_HANDOVERS_DUE, '-inf', NOW, 'LIMIT', 0, 1)
if #due == 0 then
  local first = redis.call('ZRANGE', K_HANDOVERS_DUE, 0, 0, 'WITHSCORES')
  return cjson.encode({none = true, now = NOW, next = first[2] and tonumber(first[2]) or -1})
end
local raw = redis.call('GET', k_handover(due[1]))
if not raw then
  redis.call('ZREM', K_HANDOVERS_DUE, due[1])
  return cjson.encode({none = true, now = NOW, next = 0})
end
redis.call('ZADD', K_HANDOVERS_DUE, NOW + lease, due[1])
return cjson.encode({ok = cjson.decode(raw)})
