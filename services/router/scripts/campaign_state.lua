-- Starts, pauses or stops a campaign (StartCampaign, PauseCampaign, StopCampaign). Stopping
-- cancels its calls still waiting for an agent or shown as a preview (NOT_CONNECTED
-- cancelled); calls being dialled or talking go on. ARGS[1] id, ARGS[2] running|paused|stopped.
local id, to = ARGS[1], ARGS[2]
local h = hgetall(k_campaign(id))
if h.id == nil then return fail('not_found', 'campaign ' .. id .. ' does not exist') end
local allowed = {running = {draft = true, paused = true}, paused = {running = true},
  stopped = {draft = true, running = true, paused = true}}
if h.state == to then return cjson.encode({ok = 'campaign', campaign = h}) end
if not allowed[to][h.state] then
  return fail('illegal_state', 'campaign ' .. id .. ' is ' .. h.state .. ': it cannot become ' .. to, h.state)
end
redis.call('HSET', k_campaign(id), 'state', to, 'state_since', NOW)
if to == 'running' then
  redis.call('HSETNX', k_campaign(id), 'started', NOW)
  redis.call('SADD', K_CAMPAIGNS_RUNNING, id)
  if h.source == 'new_leads' then redis.call('SADD', K_CAMPAIGNS_NEW_LEADS, id) end
else
  redis.call('SREM', K_CAMPAIGNS_RUNNING, id)
  redis.call('SREM', K_CAMPAIGNS_NEW_LEADS, id)
end
emit('CAMPAIGN_STATE_CHANGED', {campaign_id = id, queue = h.queue, reason = to})
if to == 'stopped' then
  for _, call_id in ipairs(redis.call('ZRANGE', k_waiting_out(h.queue), 0, -1)) do
    local c = hgetall(k_call(call_id))
    if c.campaign == id then not_connected(call_id, c, 'cancelled') end
  end
  -- previews shown to an agent (ringing): taken back too
  for _, agent_id in ipairs(redis.call('SMEMBERS', k_outbound_agents(h.queue))) do
    local call_id = redis.call('HGET', k_agent(agent_id), 'call')
    if call_id then
      local c = hgetall(k_call(call_id))
      if c.campaign == id and c.state == 'ringing' then not_connected(call_id, c, 'cancelled') end
    end
  end
end
if to == 'running' then campaign_check_finished(id) end
return cjson.encode({ok = 'campaign', campaign = hgetall(k_campaign(id))})
