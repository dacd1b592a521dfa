-- Moves every client of one agent to another (or releases them when ARGS[2] is '').
-- ARGS[1] from agent, ARGS[2] to agent, ARGS[3] comma-separated numbers to move only those
-- ('' = every client). One CLIENT_REASSIGNED event per client.
local from, to, only = ARGS[1], ARGS[2], ARGS[3]
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
