-- Creates or updates a caller-list entry. ARGV[4] number, ARGV[5] name, ARGV[6] priority,
-- ARGV[7] personal manager ('' = none). A change of manager is a CLIENT_REASSIGNED event.
local number, name, priority, manager = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if manager ~= '' and load_agent(manager) == nil then
  return fail('not_found', 'agent ' .. manager .. ' does not exist')
end
redis.call('HSET', k_client(number), 'number', number, 'name', name, 'priority', priority)
set_manager(number, manager, 'updated')
return cjson.encode({ok = 'client', client = hgetall(k_client(number))})
