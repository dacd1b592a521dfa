-- Replaces a subscription's signing secret; the previous one keeps signing (a second
-- signature) for ARGV[3] ms. ARGV[1] the subscription, ARGV[2] the new secret.
-- Returns when the previous secret stops signing (Redis ms; 0: at once), -1 when no such subscription.
local SUB, SECRET, OVERLAP = ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('EXISTS', k_sub(SUB)) == 0 then return -1 end
if OVERLAP > 0 then
  local old = redis.call('HGET', k_sub(SUB), 'secret')
  redis.call('HSET', k_sub(SUB), 'old_secret', old, 'old_until', fmt(NOW + OVERLAP), 'secret', SECRET)
  return NOW + OVERLAP
end
redis.call('HSET', k_sub(SUB), 'secret', SECRET)
redis.call('HDEL', k_sub(SUB), 'old_secret', 'old_until')
return 0
