-- A queue's rules changed (UpsertQueue): its free agents re-enter its rotation sets under
-- the new rules, waiting calls at a stage that no longer applies move on (a
-- CALL_RULE_RELAXED event with reason rule_changed), and free agents take what they now may;
-- so do its logged-in agents of the conversations in its line (a larger chat_capacity).
-- ARGS[1] the queue.
local q = ARGS[1]
local free = redis.call('ZRANGE', k_available(q), 0, -1)
for _, agent_id in ipairs(free) do
  redis.call('ZREM', k_available_skilled(q), agent_id)
  redis.call('ZREM', k_available_vip(q), agent_id)
  rotate_in(q, agent_id, hgetall(k_agent(agent_id)))
end
for _, line in ipairs({k_waiting_vip(q), k_waiting_skilled(q)}) do
  for _, call_id in ipairs(redis.call('ZRANGE', line, 0, -1)) do
    local c = hgetall(k_call(call_id))
    if c.state == 'waiting' and not stage_applies(c, c.stage) then
      relax(call_id, c, 'rule_changed')
      dispatch_call(call_id, c)
    end
  end
end
for _, agent_id in ipairs(free) do
  local a = load_agent(agent_id)
  if a ~= nil then dispatch_agent(agent_id, a) end
end
if redis.call('ZCARD', k_conversations_waiting(q)) > 0 then
  for _, agent_id in ipairs(redis.call('SMEMBERS', k_online(q))) do CONV.offer_agent(agent_id, load_agent(agent_id)) end
end
return cjson.encode({ok = 'reconfigured'})
