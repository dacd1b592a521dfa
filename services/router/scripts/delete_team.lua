-- Deletes a team (S2.3) and its entries in the member and supervisor indexes. ARGS[1] team
-- id. One TEAM_DELETED event.
local team_id = ARGS[1]
if redis.call('SISMEMBER', K_TEAMS, team_id) == 0 then
  return fail('not_found', 'team ' .. team_id .. ' does not exist')
end
local old = redis.call('HMGET', k_team(team_id), 'members', 'supervisors')
for _, agent_id in ipairs(split(old[1] or '')) do redis.call('SREM', k_agent_teams(agent_id), team_id) end
for _, user in ipairs(split(old[2] or '')) do redis.call('SREM', k_supervisor_teams(user), team_id) end
redis.call('DEL', k_team(team_id))
redis.call('SREM', K_TEAMS, team_id)
emit('TEAM_DELETED', {team_id = team_id})
return cjson.encode({ok = 'deleted'})
