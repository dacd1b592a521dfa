-- Wrap-up -> available before its time, where the queue allows it (or when ARGS[2] is '1':
-- a supervisor's forced end). ARGS[1] agent id.
local agent_id, force = ARGS[1], ARGS[2]
local a = load_agent(agent_id)
if a == nil then return fail('not_found', 'agent ' .. agent_id .. ' does not exist') end
if a.state ~= 'wrap_up' then
  return fail('illegal_state', 'agent ' .. agent_id .. ' is not in wrap-up but ' .. a.state, a.state)
end
if force ~= '1' and redis.call('HGET', k_queue(a.wrap_queue or ''), 'allow_early_wrap_up_end') ~= '1' then
  return fail('not_allowed', 'queue ' .. (a.wrap_queue or '') .. ' does not allow ending wrap-up early',
    a.state)
end
close_wrap_up(agent_id, a, (force == '1') and 'ended_by_supervisor' or 'ended_early', after_call_state(a))
leave_call(agent_id, a)
return agent_reply(agent_id)
