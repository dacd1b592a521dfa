-- Stores a finished recording's catalog entry and ends its upload, atomically.
-- KEYS: 1 recording hash, 2 the call's legs hash (leg -> recording id), 3 all recordings
--       (zset by start ms), 4 the call's, 5 the agent's, 6 the lead's recordings (zsets),
--       7 upload session hash, 8 uploads zset, 9 upload lock, 10 the event stream
-- ARGV: 1 lock token, 2 recording id, 3 leg, 4 start ms, 5 index by agent (1/0),
--       6 index by lead (1/0), 7 the RECORDING_STORED entry (JSON object of its fields),
--       8 the stream's approximate MAXLEN, 9.. field, value, ... of the recording hash
-- The event is appended in the same step as the catalog entry: a crash can never leave a
-- stored recording that stats does not link to its call, nor an event without its entry.
-- Returns 'ok', 'again' (this very recording is stored already: a retried completion whose
-- first reply was lost; nothing is written, so its event stays in the stream once), 'lost'
-- (the lock is no longer ours) or 'exists' (the leg has another recording).
local existing = redis.call('HGET', KEYS[2], ARGV[3])
if existing == ARGV[2] then
  return 'again'
end
if redis.call('GET', KEYS[9]) ~= ARGV[1] then
  return 'lost'
end
if existing then
  return 'exists'
end
local refused = wrong_key_type(
  {'hash', 'hash', 'zset', 'zset', 'zset', 'zset', 'hash', 'zset', 'string', 'stream'}, 'nothing stored')
if refused then return refused end
redis.call('HSET', KEYS[1], unpack(ARGV, 9))
redis.call('HSET', KEYS[2], ARGV[3], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[2])
if ARGV[5] == '1' then
  redis.call('ZADD', KEYS[5], ARGV[4], ARGV[2])
end
if ARGV[6] == '1' then
  redis.call('ZADD', KEYS[6], ARGV[4], ARGV[2])
end
redis.call('ZREM', KEYS[8], KEYS[7])
redis.call('DEL', KEYS[7], KEYS[9])
local event = {KEYS[10], 'MAXLEN', '~', ARGV[8], '*'}
for name, value in pairs(cjson.decode(ARGV[7])) do
  event[#event + 1] = name
  event[#event + 1] = value
end
redis.call('XADD', unpack(event))
return 'ok'
