-- Creates or updates a caller-list entry. ARGS[1] number, ARGS[2] name, ARGS[3] priority,
-- ARGS[4] personal manager ('' = none), ARGS[5] time zone ('' = none), ARGS[6] attributes (a
-- JSON object, validated by services/router/router.py) replacing the old ones: the client
-- leaves the index set of each old value (attribute:<key>:<value>) and joins each new one's.
-- A change of manager is a CLIENT_REASSIGNED event.
local number, name, priority, manager = ARGS[1], ARGS[2], ARGS[3], ARGS[4]
if manager ~= '' and load_agent(manager) == nil then
  return fail('not_found', 'agent ' .. manager .. ' does not exist')
end
local attributes = ARGS[6]
local old, new = cjson.decode(redis.call('HGET', k_client(number), 'attributes') or '{}'), cjson.decode(attributes)
for key, value in pairs(old) do
  if new[key] ~= value then redis.call('SREM', k_attribute_clients(key, value), number) end
end
for key, value in pairs(new) do
  if old[key] ~= value then redis.call('SADD', k_attribute_clients(key, value), number) end
end
redis.call('HSET', k_client(number), 'number', number, 'name', name, 'priority', priority,
  'time_zone', ARGS[5], 'attributes', attributes)
set_manager(number, manager, 'updated')
return cjson.encode({ok = 'client', client = hgetall(k_client(number))})
