-- Reads a queue's live calls (ListQueueCalls); writes nothing. The waiting ones: the ARGS[2]
-- that have waited longest (waiting:all is by arrival), each with its live position. The
-- ringing and connected ones: found on the agents' hashes (the call an agent is reserved for
-- or on), since a call moved to an agent of another queue stays this queue's; at most ARGS[2].
-- ARGS[1] queue, ARGS[2] page size.
local queue, size = ARGS[1], tonumber(ARGS[2])
if redis.call('EXISTS', k_queue(queue)) == 0 then
  return fail('not_found', 'queue ' .. queue .. ' does not exist')
end
local waiting = {}
for _, call_id in ipairs(redis.call('ZRANGE', k_waiting_all(queue), 0, size - 1)) do
  waiting[#waiting + 1] = (call_snapshot(call_id))
end
local active, active_total = {}, 0
for _, agent_id in ipairs(redis.call('SMEMBERS', K_AGENTS)) do
  local a = redis.call('HMGET', k_agent(agent_id), 'state', 'call')
  if (a[1] == 'reserved' or a[1] == 'on_call') and a[2] and a[2] ~= '' then
    local c = redis.call('HMGET', k_call(a[2]), 'queue', 'state')
    if c[1] == queue and (c[2] == 'ringing' or c[2] == 'connected') then
      active_total = active_total + 1
      if #active < size then active[#active + 1] = (call_snapshot(a[2])) end
    end
  end
end
return cjson.encode({ok = 'calls', waiting = waiting, active = active, active_total = active_total,
  waiting_total = redis.call('ZCARD', k_waiting_all(queue))})
