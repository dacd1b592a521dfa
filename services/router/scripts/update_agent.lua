-- Creates or changes an agent's profile (UpsertAgent). ARGS[1] the agent id, then the
-- profile's hash fields as name, value pairs (agent_settings.to_redis, in AGENT_FIELDS order).
-- A logged-in agent's change applies at once, as a supervisor expects when moving an agent
-- between queues or giving a skill while they work:
--   * they leave the queues they no longer have (rotation sets, online set) and join the new
--     ones (online; the rotation sets only while available), their session_queues the new
--     queues;
--   * while available they re-enter the rotation of every queue under the new skills and
--     tier (removed, then rotate_in: the strategy score is unchanged, so their place by idle
--     time stays), then take what they now may (dispatch_agent: waiting calls, then
--     conversations); otherwise conversations they now have room for (CONV.offer_agent).
-- What they hold stays theirs: a call (ringing, on call, in wrap-up) or conversation of a
-- queue they left. Calls waiting for them as a client's personal manager stay in their line:
-- the manager stage follows the client, not the queue (dispatch_call never asks it).
-- A logged-out agent: the profile only.
-- One AGENT_UPDATED event, in the transition: when changed on someone's behalf (an actor;
-- reason created/updated, attributes.changed the changed fields; an unchanged profile writes
-- none), and when a logged-in agent's session queues change (whoever asked: the stream never
-- misses a transition). It carries `queues`, the agent's queues now (the gateway's live feed
-- and the stats' board follow it), and `agent_state` while the agent is logged in.
local agent_id = ARGS[1]
local a = hgetall(k_agent(agent_id))
local created = a.id == nil
local fields, changed = {}, {}
for i = 2, #ARGS - 1, 2 do
  local name, value = ARGS[i], ARGS[i + 1]
  fields[name] = value
  if (a[name] or '') ~= value then changed[#changed + 1] = name end
end
local state = a.state or 'logged_out'
local old_session = a.session_queues or ''
if state == 'available' then out_of_rotation(agent_id, a) end -- the old session's queues
agent_set(agent_id, a, fields)
redis.call('SADD', K_AGENTS, agent_id)
local logged_in = state ~= 'logged_out'
if (ACTOR ~= '' and #changed > 0) or (logged_in and old_session ~= (a.queues or '')) then
  emit('AGENT_UPDATED', {agent_id = agent_id, reason = created and 'created' or 'updated',
    queues = a.queues, agent_state = logged_in and state or nil,
    attributes = cjson.encode({changed = table.concat(changed, ',')})})
end
if not logged_in then return cjson.encode({ok = 'agent'}) end
local now_in = {}
for _, q in ipairs(split(a.queues)) do now_in[q] = true end
for _, q in ipairs(split(old_session)) do
  if not now_in[q] then redis.call('SREM', k_online(q), agent_id) end
end
for q in pairs(now_in) do redis.call('SADD', k_online(q), agent_id) end
agent_set(agent_id, a, {session_queues = a.queues or ''})
if state == 'available' then
  into_rotation(agent_id, a)
  dispatch_agent(agent_id, a)
else
  CONV.offer_agent(agent_id, a)
end
return cjson.encode({ok = 'agent'})
