-- Creates a campaign (DRAFT) or replaces its settings (UpsertCampaign); a running campaign
-- must be paused first; a final one cannot change. Contacts and counters are kept.
-- ARGS[1] id, ARGS[2] settings (a JSON object of the hash's setting fields, validated by the
-- caller: services/router/campaigns.py).
local id, settings = ARGS[1], cjson.decode(ARGS[2])
if redis.call('EXISTS', k_queue(settings.queue)) == 0 then
  return fail('not_found', 'queue ' .. settings.queue .. ' does not exist')
end
local state = redis.call('HGET', k_campaign(id), 'state')
if state == 'running' then
  return fail('illegal_state', 'campaign ' .. id .. ' is running: pause it before changing it', state)
end
if state == 'stopped' or state == 'finished' then
  return fail('illegal_state', 'campaign ' .. id .. ' has ended: ' .. state, state)
end
local flat = {}
for name, value in pairs(settings) do
  flat[#flat + 1] = name
  flat[#flat + 1] = value
end
local created = state == false
if created then
  if redis.call('ZCARD', K_CAMPAIGNS) >= 500 then
    return fail('illegal_state', 'there are 500 campaigns already', 'too_many')
  end
  flat[#flat + 1] = 'id'
  flat[#flat + 1] = id
  flat[#flat + 1] = 'state'
  flat[#flat + 1] = 'draft'
  flat[#flat + 1] = 'created'
  flat[#flat + 1] = NOW
  redis.call('ZADD', K_CAMPAIGNS, NOW, id)
end
redis.call('HSET', k_campaign(id), unpack(flat))
emit('CAMPAIGN_UPDATED', {campaign_id = id, queue = settings.queue, reason = created and 'created' or 'updated'})
return cjson.encode({ok = 'campaign', campaign = hgetall(k_campaign(id))})
