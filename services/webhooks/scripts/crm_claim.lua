-- Claims a CRM event in for applying (docs/crm.md, "Events in"): each (source, event id) is
-- applied once. The event's hash keeps the digest of its content, so a repeat with the same
-- content is told the stored outcome and one with other content is refused, atomically with
-- the check. A claim is leased: one whose applier died is taken over once the lease is over.
-- ARGV: 1 source, 2 event id, 3 content digest, 4 claim token, 5 lease ms, 6 remember s
-- Returns {'apply'}, {'duplicate', applied event's stream id}, {'conflict'} or {'busy'}.
local key = k_crm_event(ARGV[1], ARGV[2])
local h = hgetall(key)
if h.digest then
  if h.digest ~= ARGV[3] then return {'conflict'} end
  if h.state == 'done' then return {'duplicate', h.applied_id or ''} end
  if tonumber(h.lease or '0') > NOW then return {'busy'} end
end
redis.call('HSET', key, 'digest', ARGV[3], 'state', 'applying', 'token', ARGV[4],
  'lease', fmt(NOW + tonumber(ARGV[5])), 'claimed_ms', fmt(NOW))
redis.call('EXPIRE', key, tonumber(ARGV[6]))
return {'apply'}
