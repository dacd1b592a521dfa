-- Removes a logged-out agent for good; their clients move to another agent or are
-- released, as the request says. ARGS[1] agent, ARGS[2] clients' new agent ('' = none),
-- ARGS[3] '1' when releasing the clients is intended. Deleted on someone's behalf (an actor):
-- an AGENT_DELETED event records who (docs/security.md, "Audit"). The agent leaves their teams.
local agent_id, to, release = ARGS[1], ARGS[2], ARGS[3]
local a = load_agent(agent_id)
if a == nil then return fail('not_found', 'agent ' .. agent_id .. ' does not exist') end
if a.state ~= 'logged_out' then
  return fail('illegal_state', 'agent ' .. agent_id .. ' must be logged out to be deleted, but is ' ..
    a.state, a.state)
end
if to ~= '' and load_agent(to) == nil then
  return fail('not_found', 'agent ' .. to .. ' does not exist')
end
local clients = redis.call('SMEMBERS', k_agent_clients(agent_id))
if #clients > 0 and to == '' and release ~= '1' then
  return fail('illegal_state', 'agent ' .. agent_id .. ' has ' .. #clients ..
    ' clients: say who takes them over (clients_to_agent_id) or release them (release_clients)',
    a.state)
end
local moved = 0
for _, number in ipairs(clients) do
  if set_manager(number, to, 'agent_deleted') then moved = moved + 1 end
end
-- the agent leaves each of their teams: a TEAM_UPDATED with the members left
for _, team_id in ipairs(redis.call('SMEMBERS', k_agent_teams(agent_id))) do
  local members = split(redis.call('HGET', k_team(team_id), 'members') or '')
  local left = {}
  for _, m in ipairs(members) do if m ~= agent_id then left[#left + 1] = m end end
  if #left < #members then
    redis.call('HSET', k_team(team_id), 'members', table.concat(left, ','), 'updated', NOW)
    emit('TEAM_UPDATED', {team_id = team_id, member_agent_ids = table.concat(left, ','), reason = 'agent_deleted'})
  end
end
redis.call('DEL', k_agent(agent_id), k_agent_clients(agent_id), k_agent_waiting(agent_id), k_agent_teams(agent_id))
redis.call('SREM', K_AGENTS, agent_id)
if ACTOR ~= '' then emit('AGENT_DELETED', {agent_id = agent_id, other_agent_id = to}) end
return cjson.encode({ok = 'moved', moved = moved})
