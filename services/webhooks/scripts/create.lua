-- Creates a subscription. ARGV: id, url, types (',A,B,' or ''), queue, description, secret,
-- the most subscriptions of a site. Returns the creation time (Redis ms), or -1 when the site
-- has as many subscriptions as it may.
if redis.call('ZCARD', K_SUBS) >= tonumber(ARGV[7]) then return -1 end
redis.call('HSET', k_sub(ARGV[1]), 'url', ARGV[2], 'types', ARGV[3], 'queue', ARGV[4], 'description', ARGV[5],
  'secret', ARGV[6], 'paused', '0', 'queued', '0', 'created_ms', fmt(NOW))
redis.call('ZADD', K_SUBS, NOW, ARGV[1])
return NOW
