-- Removes a recording's catalog entry and its index entries and appends its
-- RECORDING_DELETED event, atomically (stats unlinks the recording exactly when it is gone).
-- KEYS: 1 recording hash, 2 the call's legs hash, 3 all recordings, 4 the call's,
--       5 the agent's, 6 the lead's recordings (zsets), 7 the event stream
-- ARGV: 1 recording id, 2 cutoff ms: only delete if it started before (empty: any age),
--       3 the RECORDING_DELETED entry (JSON object of its fields), 4 the stream's MAXLEN
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
local refused = wrong_key_type({'hash', 'hash', 'zset', 'zset', 'zset', 'zset', 'stream'}, 'nothing deleted')
if refused then return refused end
local event = {KEYS[7], 'MAXLEN', '~', ARGV[4], '*'}
for name, value in pairs(cjson.decode(ARGV[3])) do
  event[#event + 1] = name
  event[#event + 1] = value
end
redis.call('XADD', unpack(event))
local leg = redis.call('HGET', KEYS[1], 'leg')
if redis.call('HGET', KEYS[2], leg) == ARGV[1] then
  redis.call('HDEL', KEYS[2], leg)
end
for i = 3, 6 do
  redis.call('ZREM', KEYS[i], ARGV[1])
end
redis.call('DEL', KEYS[1])
return 'ok'
