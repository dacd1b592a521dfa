-- Queues dead letters of a subscription for delivery again, each at the tail of its
-- subject's queue, its attempts counted from 1 again. ARGV[1] the subscription,
-- ARGV[2] one delivery id ('' : all, oldest first), ARGV[3] the most to replay,
-- ARGV[4] most queued per subject, ARGV[5] per subscription.
-- Returns the number replayed, or -1 when the subscription does not exist. A dead letter
-- whose queue is full stays a dead letter.
local SUB, ONE, LIMIT = ARGV[1], ARGV[2], tonumber(ARGV[3])
local MAX_SUBJECT, MAX_SUB = tonumber(ARGV[4]), tonumber(ARGV[5])
if redis.call('EXISTS', k_sub(SUB)) == 0 then return -1 end
local ids
if ONE ~= '' then
  if not redis.call('ZSCORE', k_dead(SUB), ONE) then return 0 end
  ids = {ONE}
else
  ids = redis.call('ZRANGE', k_dead(SUB), 0, LIMIT - 1)
end
local replayed = 0
for _, id in ipairs(ids) do
  local subject = redis.call('HGET', k_delivery(id), 'subject')
  if subject == false then
    redis.call('ZREM', k_dead(SUB), id)
  elseif push(SUB, subject, id, MAX_SUBJECT, MAX_SUB) then
    redis.call('ZREM', k_dead(SUB), id)
    redis.call('HSET', k_delivery(id), 'state', 'queued', 'attempt', '0')
    redis.call('HDEL', k_delivery(id), 'reason', 'dead_ms', 'error')
    replayed = replayed + 1
  end
end
return replayed
