-- Forgets an upload (over the size limit, or nothing to keep), if its lock is ours.
-- KEYS: 1 upload lock, 2 upload session hash, 3 uploads zset
-- ARGV: 1 lock token
-- Returns 1, or 0 when the lock is not ours.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('ZREM', KEYS[3], KEYS[2])
redis.call('DEL', KEYS[2], KEYS[1])
return 1
