-- Sets or lifts a recording's legal hold.
-- KEYS: 1 recording hash; ARGV: 1 '1' (hold) or '0'
-- Returns 1, or 0 when there is no such recording.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'legal_hold', ARGV[1])
return 1
