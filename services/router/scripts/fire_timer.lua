-- Fires one due timer. Removing the member from the timer set is the claim: when several
-- router replicas race for the same timer, exactly one removes it and applies the
-- transition; the others see it gone and do nothing. ARGV[4] the timer member.
local member = ARGV[4]
local deadline = redis.call('ZSCORE', TIMERS, member)
if deadline == false or tonumber(deadline) > NOW then return cjson.encode({ok = 'none'}) end
redis.call('ZREM', TIMERS, member)
local kind, id, token = string.match(member, '^([^|]+)|([^|]+)|?(.*)$')
if kind == 'offer' then
  -- The PBX reported nothing within the ring timeout: expire the offer and move on.
  local call_id = string.match(id, '^(.*)#%d+$')
  local c = hgetall(k_call(call_id))
  if c.state == 'ringing' and c.offer == id then
    local agent_id, a = miss_offer(call_id, c, 'timeout')
    after_miss(call_id, c, agent_id, a)
  end
elseif kind == 'wrapup' then
  local a = load_agent(id)
  if a ~= nil and a.state == 'wrap_up' and a.wrap_token == token then
    close_wrap_up(id, a, 'timer', 'available')
    make_available(id, a)
    dispatch_agent(id, a)
  end
elseif kind == 'maxwait' then
  local c = hgetall(k_call(id))
  if c.state == 'waiting' or c.state == 'routing' then
    give_up(id, c, 'max_wait')
  elseif c.state == 'ringing' then
    -- Let the current ring finish; if it is missed, the call times out instead of going on.
    call_set(id, c, {deadline_passed = '1'})
  end
elseif kind == 'relax' then
  -- A routing stage's time is over (token = the stage): the call moves to the next stage.
  local c = hgetall(k_call(id))
  if c.stage == token and (c.state == 'waiting' or c.state == 'ringing') then
    relax(id, c, RELAX_REASON[token])
    if c.state == 'waiting' then dispatch_call(id, c) end
  end
elseif kind == 'retry' then
  local c = hgetall(k_call(id))
  if c.state == 'waiting' then
    redis.call('DEL', k_tried(id))
    dispatch_call(id, c)
  end
end
return cjson.encode({ok = kind})
