-- Records a handover (ARGS[1]: its JSON, built and checked by handovers.py): stamped now, the
-- absent agent's one in force, its end scheduled, HANDOVER_STARTED appended. One at a time
-- per absent agent: a second is refused ('exists').
local h = cjson.decode(ARGS[1])
local current = redis.call('GET', k_agent_handover(h.from_agent_id))
if current then return fail('exists', 'agent ' .. h.from_agent_id .. ' has a handover in force: ' .. current) end
h.started_ms = NOW
h.started_by = ACTOR
h.state = 'active'
redis.call('SET', k_handover(h.id), cjson.encode(h))
redis.call('SET', k_agent_handover(h.from_agent_id), h.id)
if (tonumber(h.until_ms) or 0) > 0 then redis.call('ZADD', K_HANDOVERS_DUE, h.until_ms, h.id) end
emit_handover(h, 'HANDOVER_STARTED', {until_ms = h.until_ms or 0, clients = #list(h.clients),
  leads = #list(h.leads), tasks = #list(h.tasks)})
return cjson.encode({ok = h})
