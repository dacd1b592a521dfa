-- Deletes a subscription with everything it keeps: queued deliveries, held ones, the log and
-- the dead letters (each bounded by the limits). ARGV[1] the subscription.
-- Returns 1, or 0 when there was none.
local SUB = ARGV[1]
if redis.call('EXISTS', k_sub(SUB)) == 0 then return 0 end
for _, subject in ipairs(redis.call('SMEMBERS', k_subjects(SUB))) do
  for _, id in ipairs(redis.call('LRANGE', k_queue(SUB, subject), 0, -1)) do
    redis.call('ZREM', K_DUE, id)
    redis.call('DEL', k_delivery(id))
  end
  redis.call('DEL', k_queue(SUB, subject))
end
for _, id in ipairs(redis.call('ZRANGE', k_dead(SUB), 0, -1)) do redis.call('DEL', k_delivery(id)) end
redis.call('DEL', k_subjects(SUB), k_held(SUB), k_dead(SUB), k_log(SUB), k_sub(SUB))
redis.call('ZREM', K_SUBS, SUB)
return 1
