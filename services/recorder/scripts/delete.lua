-- Removes a recording's catalog entry and its index entries, atomically.
-- KEYS: 1 recording hash, 2 the call's legs hash, 3 all recordings, 4 the call's,
--       5 the agent's, 6 the lead's recordings (zsets)
-- ARGV: 1 recording id, 2 cutoff ms: only delete if it started before (empty: any age)
-- Returns 'ok', 'not_found', 'held' (legal hold) or 'young' (not older than the cutoff).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 'not_found'
end
if redis.call('HGET', KEYS[1], 'legal_hold') == '1' then
  return 'held'
end
if ARGV[2] ~= '' and tonumber(redis.call('HGET', KEYS[1], 'start_ms')) >= tonumber(ARGV[2]) then
  return 'young'
end
local leg = redis.call('HGET', KEYS[1], 'leg')
if redis.call('HGET', KEYS[2], leg) == ARGV[1] then
  redis.call('HDEL', KEYS[2], leg)
end
for i = 3, 6 do
  redis.call('ZREM', KEYS[i], ARGV[1])
end
redis.call('DEL', KEYS[1])
return 'ok'
