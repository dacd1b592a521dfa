-- Records that a claimed CRM event was applied and appends its CRM_EVENT_APPLIED event, in one
-- step: the outcome is stored with the event that tells it, or neither.
-- KEYS: 1 the tenant's key prefix, 2 the event stream
-- ARGV: 1 source, 2 event id, 3 claim token, 4 remember s, 5 the event (JSON object of its
--       fields, time left out: the Redis clock's), 6 the stream's MAXLEN
-- Returns the event's stream id, or false when the claim was lost (its lease ran out and another
-- replica took it over: that one records it).
local key = k_crm_event(ARGV[1], ARGV[2])
if redis.call('HGET', key, 'token') ~= ARGV[3] or redis.call('HGET', key, 'state') ~= 'applying' then
  return false
end
local event = {KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'time', fmt(NOW)}
for name, value in pairs(cjson.decode(ARGV[5])) do
  event[#event + 1] = name
  event[#event + 1] = value
end
local id = redis.call('XADD', unpack(event))
redis.call('HSET', key, 'state', 'done', 'applied_id', id, 'applied_ms', fmt(NOW))
redis.call('HDEL', key, 'token', 'lease')
redis.call('EXPIRE', key, tonumber(ARGV[4]))
return id
