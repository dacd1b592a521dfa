-- The PBX reports how ringing an offered agent ended.
-- ARGV[4] call id, ARGV[5] offer id, ARGV[6] outcome: answered|no_answer|rejected|busy.
local call_id, offer_id, outcome = ARGV[4], ARGV[5], ARGV[6]
local c = hgetall(k_call(call_id))
if c.id == nil then return fail('not_found', 'call ' .. call_id .. ' does not exist') end
if c.offer ~= offer_id or c.state ~= 'ringing' then
  if outcome == 'answered' and c.state == 'connected' and c.offer == offer_id then
    return call_reply(call_id) -- the PBX repeated a report that was already applied
  end
  if c.offer == offer_id and c.state ~= 'ringing' and outcome ~= 'answered' then
    return call_reply(call_id) -- a repeated miss report, or the call ended meanwhile
  end
  return fail('stale_offer', 'offer ' .. offer_id .. ' is not the current offer of call ' ..
    call_id .. ' (state ' .. c.state .. ', current offer ' .. (c.offer or '') .. ')', c.state)
end
if outcome == 'answered' then
  local agent_id = c.agent
  local a = hgetall(k_agent(agent_id))
  timer_clear('offer|' .. offer_id)
  agent_set(agent_id, a, {state = 'on_call', since = NOW, calls = tonumber(a.calls or 0) + 1,
    misses = 0})
  call_set(call_id, c, {state = 'connected', answered = NOW})
  clear_call_timers(call_id)
  emit('CALL_ANSWERED', {call_id = call_id, agent_id = agent_id, queue = c.queue,
    offer_id = offer_id, caller = c.caller, agent_state = 'on_call', call_state = 'connected',
    duration_ms = NOW - tonumber(c.offered_at), wait_ms = NOW - tonumber(c.received),
    attempt = c.offers, reason = OFFER_REASON[c.stage] or 'strategy',
    -- the wait in the answering queue only (it differs from wait_ms after an overflow)
    attributes = cjson.encode({queue_wait_ms = tostring(NOW - tonumber(c.entered or c.received))})})
  -- Sticky routing: the first agent to answer a caller becomes their personal manager.
  if queue_conf(c.queue).sticky == '1' and (c.caller or '') ~= '' and
      (redis.call('HGET', k_client(c.caller), 'manager') or '') == '' then
    set_manager(c.caller, agent_id, 'sticky')
  end
else
  local agent_id, a = miss_offer(call_id, c, outcome)
  after_miss(call_id, c, agent_id, a)
end
return call_reply(call_id)
