-- Creates or replaces a team (S2.3). ARGS[1] team id, ARGS[2] name, ARGS[3] member agent ids
-- and ARGS[4] supervisor user names (comma-separated, sorted, no repeats: router.py checks),
-- ARGS[5] the most teams there may be. Every member must be an existing agent. The indexes
-- agent:<id>:teams and supervisor:<name>:teams follow the change. One TEAM_UPDATED event
-- carries the members (comma-separated, as the stream writes repeated fields); a team stored
-- again unchanged (the configuration file at every start) writes none.
local team_id, name, members, supervisors, most = ARGS[1], ARGS[2], ARGS[3], ARGS[4], tonumber(ARGS[5])
for _, agent_id in ipairs(split(members)) do
  if redis.call('EXISTS', k_agent(agent_id)) == 0 then
    return fail('not_found', 'agent ' .. agent_id .. ' does not exist')
  end
end
local created = redis.call('SISMEMBER', K_TEAMS, team_id) == 0
if created and redis.call('SCARD', K_TEAMS) >= most then
  return fail('illegal_state', 'there are ' .. most .. ' teams already (the most there may be)', '')
end
if not created then
  local old = redis.call('HMGET', k_team(team_id), 'members', 'supervisors', 'name')
  if old[1] == members and old[2] == supervisors and old[3] == name then
    return cjson.encode({ok = 'team', team = hgetall(k_team(team_id))})
  end
  for _, agent_id in ipairs(split(old[1] or '')) do redis.call('SREM', k_agent_teams(agent_id), team_id) end
  for _, user in ipairs(split(old[2] or '')) do redis.call('SREM', k_supervisor_teams(user), team_id) end
end
for _, agent_id in ipairs(split(members)) do redis.call('SADD', k_agent_teams(agent_id), team_id) end
for _, user in ipairs(split(supervisors)) do redis.call('SADD', k_supervisor_teams(user), team_id) end
redis.call('HSET', k_team(team_id), 'team_id', team_id, 'name', name, 'members', members,
  'supervisors', supervisors, 'updated', NOW)
redis.call('SADD', K_TEAMS, team_id)
emit('TEAM_UPDATED', {team_id = team_id, member_agent_ids = members,
  reason = created and 'created' or 'updated'})
return cjson.encode({ok = 'team', team = hgetall(k_team(team_id))})
