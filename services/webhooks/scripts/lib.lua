-- What every webhooks script shares. KEYS[1] is the tenant's key prefix; the key model
-- (K_DUE, k_sub(id), ...) comes before this file, generated from services/webhooks/keys.py.
--
-- One clock: the Redis server's (TIME), read once per script. No process clock is used for
-- any due time, so replicas with skewed clocks agree on when a retry fires.
local t = redis.call('TIME')
local NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function fmt(x) return string.format('%.0f', x) end

local function hgetall(key)
  local flat = redis.call('HGETALL', key)
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  return h
end

-- Makes a delivery due at `at`, or holds it while its subscription is paused.
local function schedule(sub_id, id, at)
  if redis.call('HGET', k_sub(sub_id), 'paused') == '1' then
    redis.call('ZREM', K_DUE, id)
    redis.call('SADD', k_held(sub_id), id)
  else
    redis.call('ZADD', K_DUE, at, id)
  end
end

-- Puts a delivery at the tail of its subject's queue (due at once when it is the head).
-- Returns false when the subject's or the subscription's queue is full.
local function push(sub_id, subject, id, max_subject, max_sub)
  local queue = k_queue(sub_id, subject)
  local queued = tonumber(redis.call('HGET', k_sub(sub_id), 'queued') or '0')
  if redis.call('LLEN', queue) >= max_subject or queued >= max_sub then return false end
  local length = redis.call('RPUSH', queue, id)
  redis.call('HINCRBY', k_sub(sub_id), 'queued', 1)
  redis.call('SADD', k_subjects(sub_id), subject)
  if length == 1 then schedule(sub_id, id, NOW) end
  return true
end

-- Takes a delivery out of its subject's queue; the next one of the subject comes due.
local function pop(sub_id, subject, id)
  local queue = k_queue(sub_id, subject)
  local removed = redis.call('LREM', queue, 1, id)
  redis.call('ZREM', K_DUE, id)
  redis.call('SREM', k_held(sub_id), id)
  if removed > 0 then redis.call('HINCRBY', k_sub(sub_id), 'queued', -1) end
  local head = redis.call('LINDEX', queue, 0)
  if head then
    if not redis.call('ZSCORE', K_DUE, head) then schedule(sub_id, head, NOW) end
  else
    redis.call('SREM', k_subjects(sub_id), subject)
  end
end

-- Keeps a delivery as a dead letter of its subscription (the oldest beyond max_dead dropped).
local function dead_letter(sub_id, id, reason, max_dead)
  redis.call('HSET', k_delivery(id), 'state', 'dead', 'reason', string.sub(reason, 1, 200), 'dead_ms', fmt(NOW))
  redis.call('ZADD', k_dead(sub_id), redis.call('INCR', K_DEAD_SEQ), id)
  local over = redis.call('ZCARD', k_dead(sub_id)) - max_dead
  if over > 0 then
    for _, old in ipairs(redis.call('ZRANGE', k_dead(sub_id), 0, over - 1)) do redis.call('DEL', k_delivery(old)) end
    redis.call('ZREMRANGEBYRANK', k_dead(sub_id), 0, over - 1)
  end
end
