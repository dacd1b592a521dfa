-- Claims up to ARGV[1] due deliveries by the Redis clock: each is leased to the caller for
-- ARGV[2] ms (moved that far ahead in the due set, its attempt counted), so exactly one
-- replica sends an attempt, and a replica that dies while sending leaves it to be sent again
-- when the lease ends (at least once). Deliveries of a paused subscription are held instead;
-- those of a deleted one are dropped.
--
-- Returns JSON {now, next (the next due time, or -1), items: [{id, sub, attempt, url, secret,
-- old_secret, event_id, type, subject, body}]}.
local LIMIT, LEASE = tonumber(ARGV[1]), tonumber(ARGV[2])
local items = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_DUE, '-inf', NOW, 'LIMIT', 0, LIMIT)) do
  local d = hgetall(k_delivery(id))
  local s = d.sub and hgetall(k_sub(d.sub)) or {}
  if s.url == nil then
    redis.call('ZREM', K_DUE, id)
    redis.call('DEL', k_delivery(id))
  elseif s.paused == '1' then
    redis.call('ZREM', K_DUE, id)
    redis.call('SADD', k_held(d.sub), id)
  else
    local attempt = tonumber(d.attempt or '0') + 1
    redis.call('HSET', k_delivery(id), 'attempt', attempt, 'state', 'sending')
    redis.call('ZADD', K_DUE, NOW + LEASE, id)
    local old = ''
    if s.old_secret and tonumber(s.old_until or '0') > NOW then old = s.old_secret end
    items[#items + 1] = {id = id, sub = d.sub, attempt = attempt, url = s.url, secret = s.secret,
      old_secret = old, event_id = d.event_id, type = d.type, subject = d.subject, body = d.body}
  end
end
local first = redis.call('ZRANGE', K_DUE, 0, 0, 'WITHSCORES')
local next_due = -1
if first[2] then next_due = tonumber(first[2]) end
if #items == 0 then return cjson.encode({now = NOW, next = next_due}) end
return cjson.encode({now = NOW, next = next_due, items = items})
