-- Fires the due timers, up to ARGS[1] of them, by the Redis server's clock. Removing a
-- member from the timer set is the claim: when several router replicas race for the same
-- timer, exactly one removes it and applies the transition; the others see it gone.
-- Replies {fired, late_ms (the latest firing's lateness), now, next (the next deadline)}.
--
-- Members: offer|<offer id>, wrapup|<agent>|<token>, maxwait|<call>, relax|<call>|<stage>,
-- retry|<call>, lifetime|<call>, pbx|<pbx id>, positions|<queue>, callback|<callback id>,
-- conversation|<conversation id>|<deadline>, conversation_relax|<conversation id>|<due>,
-- conversation_idle|<conversation id>|<due>.
-- A call id may contain '|' (any SIP Call-ID), so the kind ends at the first '|' and a token starts after the last.
local limit = tonumber(ARGS[1])

-- Calls of a PBX whose lease lapsed, ended per firing; more are ended by the next firing.
local PBX_BATCH = 200
-- Waiting calls looked at per position firing.
local POSITION_BATCH = 50

local function fire_call_timer(kind, id, token)
  if kind == 'offer' then
    -- The PBX reported nothing within the ring timeout: expire the offer and move on.
    local call_id = string.match(id, '^(.*)#%d+$')
    local c = hgetall(k_call(call_id))
    if c.state == 'ringing' and c.offer == id then
      local agent_id, a = miss_offer(call_id, c, 'timeout')
      after_miss(call_id, c, agent_id, a)
    elseif c.state == 'dialing' and c.offer == id then
      -- an outbound call whose dial outcome the PBX never reported
      not_connected(call_id, c, 'dial_timeout')
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
  elseif kind == 'lifetime' then
    local c = hgetall(k_call(id))
    if c.id ~= nil then force_end(id, c, 'max_lifetime') end
  end
end

-- A PBX's lease lapsed: its open calls end, their agents are released without a miss.
local function pbx_lapsed(pbx_id)
  local h = hgetall(k_pbx(pbx_id))
  if h.state ~= 'open' and h.state ~= 'lost' then return end
  if h.state == 'open' then
    redis.call('HSET', k_pbx(pbx_id), 'state', 'lost', 'lost_at', NOW)
    emit('PBX_SESSION_LOST', {reason = 'lease_lapsed', attributes = cjson.encode({pbx_id = pbx_id,
      open_calls = tostring(redis.call('SCARD', k_pbx_calls(pbx_id)))})})
  end
  if end_pbx_calls(pbx_id, 'pbx_lost', PBX_BATCH) > 0 then
    timer_set('pbx|' .. pbx_id, NOW) -- the rest at the next firing
  else
    for _, key in ipairs({k_pbx(pbx_id), k_pbx_events(pbx_id), k_pbx_calls(pbx_id)}) do
      redis.call('EXPIRE', key, CALL_TTL)
    end
  end
end

-- Tells the PBXs of a queue's waiting calls their new positions and estimated waits, for
-- the calls whose figures changed since they were last told; again after the interval
-- while PBX calls wait. A long line is gone through POSITION_BATCH calls per firing (the
-- timer fires again at once from where it stopped), so no firing holds Redis for long.
local function announce_positions(q)
  local cursor_key = K_POSITIONS_CURSOR
  local from = tonumber(redis.call('HGET', cursor_key, q) or '0') or 0
  local waiting = redis.call('ZRANGE', k_waiting_all(q), from, from + POSITION_BATCH - 1)
  local any = from > 0
  for _, call_id in ipairs(waiting) do
    local pbx = redis.call('HGET', k_call(call_id), 'pbx')
    if pbx and pbx ~= '' then
      any = true
      local c, announced = call_snapshot(call_id)
      local now = (c.queue_position or 0) .. '|' .. (c.estimated_wait_ms or '')
      if c.state == 'waiting' and now ~= announced then
        pbx_note(c, 'position_changed', '', '', position_view(c))
      end
    end
  end
  if #waiting == POSITION_BATCH then
    redis.call('HSET', cursor_key, q, from + POSITION_BATCH)
    timer_set('positions|' .. q, NOW) -- the rest of the line at the next firing
    return
  end
  redis.call('HDEL', cursor_key, q)
  if any then redis.call('ZADD', K_TIMERS, 'NX', NOW + POSITION_INTERVAL, 'positions|' .. q) end
end

local fired, late = 0, 0
for _, member in ipairs(redis.call('ZRANGEBYSCORE', K_TIMERS, '-inf', NOW, 'LIMIT', 0, limit)) do
  -- a transition fired earlier in this run may have cleared or moved this timer
  local deadline = tonumber(redis.call('ZSCORE', K_TIMERS, member))
  local kind, rest = nil, nil
  if deadline ~= nil and deadline <= NOW then
    redis.call('ZREM', K_TIMERS, member)
    fired = fired + 1
    late = math.max(late, NOW - deadline)
    kind, rest = string.match(member, '^([^|]+)|(.*)$')
    if kind ~= nil then timer_late(kind, NOW - deadline) end
  end
  if kind == 'wrapup' then
    local id, token = string.match(rest, '^(.*)|([^|]*)$')
    local a = load_agent(id)
    if a ~= nil and a.state == 'wrap_up' and a.wrap_token == token then
      close_wrap_up(id, a, 'timer', after_call_state(a))
      leave_call(id, a)
    end
  elseif kind == 'relax' then
    local id, token = string.match(rest, '^(.*)|([^|]*)$')
    fire_call_timer(kind, id, token)
  elseif kind == 'pbx' then
    pbx_lapsed(rest)
  elseif kind == 'positions' then
    announce_positions(rest)
  elseif kind == 'callback' then
    callback_fire(rest)
  elseif kind == 'conversation' then
    local id, token = string.match(rest, '^(.*)|([^|]*)$')
    CONV.fire(id, token)
  elseif kind == 'conversation_relax' then
    local id, token = string.match(rest, '^(.*)|([^|]*)$')
    CONV.relax_fire(id, token)
  elseif kind == 'conversation_idle' then
    local id, token = string.match(rest, '^(.*)|([^|]*)$')
    CONV.idle_fire(id, token)
  elseif kind ~= nil then
    fire_call_timer(kind, rest, '')
  end
end
local first = redis.call('ZRANGE', K_TIMERS, 0, 0, 'WITHSCORES')
return cjson.encode({ok = 'fired', fired = fired, late_ms = late, now = NOW,
  next = first[2] and tonumber(first[2]) or cjson.null})
