-- Deletes a team (S2.3). ARGS[1] team id. One TEAM_DELETED event.
local team_id = ARGS[1]
if redis.call('SISMEMBER', K_TEAMS, team_id) == 0 then
  return fail('not_found', 'team ' .. team_id .. ' does not exist')
end
redis.call('DEL', k_team(team_id))
redis.call('SREM', K_TEAMS, team_id)
emit('TEAM_DELETED', {team_id = team_id})
return cjson.encode({ok = 'deleted'})
