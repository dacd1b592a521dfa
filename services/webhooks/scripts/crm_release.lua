-- Forgets a claimed CRM event that could not be applied (the router or the stats service
-- refused it, or could not be reached): nothing of it is kept, so the CRM may send it again,
-- corrected or later. Only the claim's holder releases it.
-- ARGV: 1 source, 2 event id, 3 claim token
-- Returns 1, or 0 when the claim is no longer this one's.
local key = k_crm_event(ARGV[1], ARGV[2])
if redis.call('HGET', key, 'token') ~= ARGV[3] or redis.call('HGET', key, 'state') ~= 'applying' then
  return 0
end
redis.call('DEL', key)
return 1
