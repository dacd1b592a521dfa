-- The call is over. Connected -> completed, its agent into wrap-up; waiting or ringing ->
-- abandoned. A call already final is returned as it is. ARGV[4] call id.
local call_id = ARGV[4]
local c = hgetall(k_call(call_id))
if c.id == nil then return fail('not_found', 'call ' .. call_id .. ' does not exist') end
local state = c.state
if state == 'completed' or state == 'abandoned' or state == 'timed_out' or state == 'redirected' then
  return call_reply(call_id)
end
if state == 'connected' then
  local agent_id = c.agent
  local a = hgetall(k_agent(agent_id))
  call_finish(call_id, c, 'completed')
  local wrap_ms = queue_ms(c.queue, 'wrap_up_ms')
  -- The queue's average handle time (talk + wrap-up), smoothed as Asterisk does its hold
  -- time: new = (3 * old + this call) / 4. It feeds the estimated wait of queued calls.
  local handle = NOW - tonumber(c.answered) + wrap_ms
  local aht = tonumber(redis.call('HGET', k_queue_stats(c.queue), 'aht_ms') or 0) or 0
  if aht > 0 then handle = math.floor((3 * aht + handle) / 4) end
  redis.call('HSET', k_queue_stats(c.queue), 'aht_ms', handle)
  local next_state = (wrap_ms > 0) and 'wrap_up' or 'available'
  emit('CALL_COMPLETED', {call_id = call_id, agent_id = agent_id, queue = c.queue,
    offer_id = c.offer, caller = c.caller, agent_state = next_state, call_state = 'completed',
    duration_ms = NOW - tonumber(c.answered), attempt = c.offers})
  if wrap_ms > 0 then
    local token = tostring(redis.call('HINCRBY', k_agent(agent_id), 'wrap_seq', 1))
    agent_set(agent_id, a, {state = 'wrap_up', since = NOW, wrap_token = token,
      wrap_ends = NOW + wrap_ms, wrap_queue = c.queue})
    agent_clear(agent_id, a, {'offer'})
    timer_set('wrapup|' .. agent_id .. '|' .. token, NOW + wrap_ms)
  else
    make_available(agent_id, a)
    dispatch_agent(agent_id, a)
  end
  return call_reply(call_id)
end
local agent_id, a = nil, nil
if state == 'ringing' then agent_id, a = miss_offer(call_id, c, 'caller_hangup') end
call_finish(call_id, c, 'abandoned')
emit('CALL_ABANDONED', {call_id = call_id, queue = c.queue, caller = c.caller,
  call_state = 'abandoned', wait_ms = NOW - tonumber(c.received), attempt = c.offers,
  agent_id = agent_id})
if agent_id then dispatch_agent(agent_id, a) end
return call_reply(call_id)
