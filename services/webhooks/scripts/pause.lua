-- Pauses (ARGV[2] '1') or resumes ('0') a subscription. Paused, its deliveries that come due
-- are held (claim.lua); resumed, the held ones are due at once. ARGV[1] the subscription.
-- Returns 1, or 0 when there is none.
local SUB, PAUSED = ARGV[1], ARGV[2]
if redis.call('EXISTS', k_sub(SUB)) == 0 then return 0 end
redis.call('HSET', k_sub(SUB), 'paused', PAUSED)
if PAUSED == '0' then
  for _, id in ipairs(redis.call('SMEMBERS', k_held(SUB))) do redis.call('ZADD', K_DUE, NOW, id) end
  redis.call('DEL', k_held(SUB))
end
return 1
