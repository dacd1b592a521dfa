-- Makes a running wrap-up longer. ARGS[1] agent id, ARGS[2] extra milliseconds.
local agent_id, extra = ARGS[1], tonumber(ARGS[2])
local a = load_agent(agent_id)
if a == nil then return fail('not_found', 'agent ' .. agent_id .. ' does not exist') end
if a.state ~= 'wrap_up' then
  return fail('illegal_state', 'agent ' .. agent_id .. ' is not in wrap-up but ' .. a.state, a.state)
end
local old = 'wrapup|' .. agent_id .. '|' .. (a.wrap_token or '')
local ends = tonumber(redis.call('ZSCORE', K_TIMERS, old) or a.wrap_ends) + extra
redis.call('ZADD', K_TIMERS, ends, old)
agent_set(agent_id, a, {wrap_ends = ends})
return agent_reply(agent_id)
