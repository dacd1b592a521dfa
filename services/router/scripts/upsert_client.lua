-- Creates or updates a caller-list entry. ARGS[1] number, ARGS[2] name, ARGS[3] priority,
-- ARGS[4] personal manager ('' = none). A change of manager is a CLIENT_REASSIGNED event.
local number, name, priority, manager = ARGS[1], ARGS[2], ARGS[3], ARGS[4]
if manager ~= '' and load_agent(manager) == nil then
  return fail('not_found', 'agent ' .. manager .. ' does not exist')
end
redis.call('HSET', k_client(number), 'number', number, 'name', name, 'priority', priority)
set_manager(number, manager, 'updated')
return cjson.encode({ok = 'client', client = hgetall(k_client(number))})
