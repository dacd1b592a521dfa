-- Moves every client of one agent to another (or releases them when ARGV[5] is '').
-- ARGV[4] from agent, ARGV[5] to agent, ARGV[6] comma-separated numbers to move only those
-- ('' = every client). One CLIENT_REASSIGNED event per client.
local from, to, only = ARGV[4], ARGV[5], ARGV[6]
if load_agent(from) == nil then return fail('not_found', 'agent ' .. from .. ' does not exist') end
if to ~= '' and load_agent(to) == nil then
  return fail('not_found', 'agent ' .. to .. ' does not exist')
end
local moved = 0
local numbers = redis.call('SMEMBERS', k_agent_clients(from))
if only ~= '' then
  numbers = split(only)
  for _, number in ipairs(numbers) do
    if redis.call('SISMEMBER', k_agent_clients(from), number) == 0 then
      return fail('not_found', 'client ' .. number .. ' is not a client of agent ' .. from)
    end
  end
end
for _, number in ipairs(numbers) do
  if set_manager(number, to, 'reassigned') then moved = moved + 1 end
end
return cjson.encode({ok = 'moved', moved = moved})
