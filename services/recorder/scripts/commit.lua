-- Records an upload's committed offset (the raw file is fsynced up to it) and renews its
-- lock, if the lock is still ours.
-- KEYS: 1 upload lock, 2 upload session hash, 3 uploads zset (session key by last update)
-- ARGV: 1 lock token, 2 committed bytes, 3 now ms, 4 lock lease ms, 5.. more session
--       field, value pairs (the metadata, when the session starts)
-- Returns 1, or 0 when the lock is not ours.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[2], 'committed', ARGV[2], 'updated_ms', ARGV[3], unpack(ARGV, 5))
redis.call('ZADD', KEYS[3], ARGV[3], KEYS[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
