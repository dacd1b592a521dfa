-- Moves every client of one agent to another (or releases them when ARGV[5] is '').
-- ARGV[4] from agent, ARGV[5] to agent. One CLIENT_REASSIGNED event per client.
local from, to = ARGV[4], ARGV[5]
if load_agent(from) == nil then return fail('not_found', 'agent ' .. from .. ' does not exist') end
if to ~= '' and load_agent(to) == nil then
  return fail('not_found', 'agent ' .. to .. ' does not exist')
end
local moved = 0
for _, number in ipairs(redis.call('SMEMBERS', k_agent_clients(from))) do
  if set_manager(number, to, 'reassigned') then moved = moved + 1 end
end
return cjson.encode({ok = 'moved', moved = moved})
