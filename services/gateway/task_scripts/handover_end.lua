-- Ends a handover (ARGS[1] its id, ARGS[2] the counts handed back as JSON): no longer in
-- force, its end unscheduled, HANDOVER_ENDED appended. Ending one that ended is refused
-- ('ended'), so its event is written once.
local raw = redis.call('GET', k_handover(ARGS[1]))
if not raw then return fail('not_found', 'handover ' .. ARGS[1] .. ' does not exist') end
local h = cjson.decode(raw)
if h.state ~= 'active' then return fail('ended', 'handover ' .. h.id .. ' has ended') end
local returned = cjson.decode(ARGS[2])
h.state = 'ended'
h.ended_ms = NOW
h.ended_by = ACTOR
h.returned = returned
redis.call('SET', k_handover(h.id), cjson.encode(h))
redis.call('ZREM', K_HANDOVERS_DUE, h.id)
if redis.call('GET', k_agent_handover(h.from_agent_id)) == h.id then redis.call('DEL', k_agent_handover(h.from_agent_id)) end
emit_handover(h, 'HANDOVER_ENDED', returned)
return cjson.encode({ok = h})
