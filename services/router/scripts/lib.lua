-- Shared library of the router's transitions. Prepended to every entry script at load time,
-- so each transition below is written once and runs inside one atomic script call.
--
-- Calling convention of every entry script:
--   KEYS[1]  the tenant's key prefix, e.g. "cc:{default}:". Every key the router touches
--            starts with it; the "{...}" hash tag puts them all in one Redis Cluster slot,
--            so keys derived from it inside the script (agents picked from a queue) are
--            always local to the node that runs the script.
--   ARGV[1]  now, in milliseconds since the epoch (the router's clock)
--   ARGV[2]  approximate maximum length of the event stream (XADD MAXLEN ~)
--   ARGV[3]  how long a finished call's keys are kept, in seconds
--   ARGV[4…] the entry script's own arguments
-- Every entry script returns a JSON document: {"ok":…} or {"err":code,"msg":…,"state":…}.

local P = KEYS[1]
local NOW = tonumber(ARGV[1])
local MAXLEN = ARGV[2]
local CALL_TTL = tonumber(ARGV[3])

local EVENTS = P .. 'events'
local TIMERS = P .. 'timers'

local function k_agent(id) return P .. 'agent:' .. id end
local function k_call(id) return P .. 'call:' .. id end
local function k_tried(id) return P .. 'call:' .. id .. ':tried' end
local function k_queue(q) return P .. 'queue:' .. q end
local function k_avail(q) return P .. 'queue:' .. q .. ':avail' end
local function k_waiting(q) return P .. 'queue:' .. q .. ':waiting' end

local function hgetall(key)
  local flat = redis.call('HGETALL', key)
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

local function split(csv)
  local out = {}
  if csv == nil or csv == '' then return out end
  for item in string.gmatch(csv, '[^,]+') do out[#out + 1] = item end
  return out
end

local function fail(code, msg, state)
  return cjson.encode({err = code, msg = msg, state = state or ''})
end

-- Event stream --------------------------------------------------------------------------

local EVENT_FIELDS = {'call_id', 'agent_id', 'queue', 'offer_id', 'caller', 'reason',
  'agent_state', 'call_state', 'duration_ms', 'wait_ms', 'attempt', 'queues', 'attributes'}

local function emit(event_type, fields)
  local args = {EVENTS, 'MAXLEN', '~', MAXLEN, '*', 'type', event_type, 'time', NOW}
  for _, name in ipairs(EVENT_FIELDS) do
    local v = fields[name]
    if v ~= nil and v ~= '' then
      args[#args + 1] = name
      args[#args + 1] = v
    end
  end
  return redis.call('XADD', unpack(args))
end

-- Timers: one sorted set, member = "<kind>|<id>[|<token>]", score = deadline (ms) ----------

local function timer_set(member, deadline) redis.call('ZADD', TIMERS, deadline, member) end
local function timer_clear(member) redis.call('ZREM', TIMERS, member) end

-- Queues ----------------------------------------------------------------------------------

local function queue_ms(q, field)
  return tonumber(redis.call('HGET', k_queue(q), field) or '0') or 0
end

-- The score an available agent gets in a queue's rotation, by the queue's strategy.
-- Lowest score is offered first.
local function rotation_score(q, a)
  local strategy = redis.call('HGET', k_queue(q), 'strategy') or 'longest_idle'
  local idle_since = tonumber(a.idle_since or NOW)
  if strategy == 'round_robin' then
    return tonumber(a.last_offer or 0)
  elseif strategy == 'fewest_calls' then
    -- calls answered first, then longest idle (in seconds) as the tie-break.
    return tonumber(a.calls or 0) * 4294967296 + math.floor(idle_since / 1000)
  end
  return idle_since
end

-- Agents ----------------------------------------------------------------------------------

local function into_rotation(agent_id, a)
  for _, q in ipairs(split(a.session_queues)) do
    redis.call('ZADD', k_avail(q), rotation_score(q, a), agent_id)
  end
end

local function out_of_rotation(agent_id, a)
  for _, q in ipairs(split(a.session_queues)) do
    redis.call('ZREM', k_avail(q), agent_id)
  end
end

-- Sets an agent's state and the time they entered it, keeping the hash and the table in step.
local function agent_set(agent_id, a, fields)
  local flat = {}
  for name, value in pairs(fields) do
    a[name] = value
    flat[#flat + 1] = name
    flat[#flat + 1] = value
  end
  redis.call('HSET', k_agent(agent_id), unpack(flat))
end

local function agent_clear(agent_id, a, names)
  for _, name in ipairs(names) do a[name] = nil end
  redis.call('HDEL', k_agent(agent_id), unpack(names))
end

-- Calls -----------------------------------------------------------------------------------

local function call_set(call_id, c, fields)
  local flat = {}
  for name, value in pairs(fields) do
    c[name] = value
    flat[#flat + 1] = name
    flat[#flat + 1] = value
  end
  redis.call('HSET', k_call(call_id), unpack(flat))
  c.version = redis.call('HINCRBY', k_call(call_id), 'version', 1)
end

-- A call reached a final state: it leaves every index and its keys expire later.
local function call_finish(call_id, c, state)
  redis.call('ZREM', k_waiting(c.queue), call_id)
  timer_clear('maxwait|' .. call_id)
  timer_clear('retry|' .. call_id)
  call_set(call_id, c, {state = state, ended = NOW})
  redis.call('EXPIRE', k_call(call_id), CALL_TTL)
  redis.call('EXPIRE', k_tried(call_id), CALL_TTL)
end

-- Offers ----------------------------------------------------------------------------------

-- Reserves an available agent for a call: the agent leaves every rotation, the call rings.
local function reserve(call_id, c, agent_id, a)
  local ring_ms = queue_ms(c.queue, 'ring_timeout_ms')
  local attempt = tonumber(c.offers or 0) + 1
  local offer_id = call_id .. '#' .. attempt
  out_of_rotation(agent_id, a)
  -- last_offer orders the round-robin rotation: a tenant-wide counter, so never a tie.
  agent_set(agent_id, a, {state = 'reserved', since = NOW, call = call_id, offer = offer_id,
    last_offer = redis.call('INCR', P .. 'offer_seq')})
  redis.call('ZREM', k_waiting(c.queue), call_id)
  redis.call('SADD', k_tried(call_id), agent_id)
  call_set(call_id, c, {state = 'ringing', agent = agent_id, offer = offer_id,
    offers = attempt, offered_at = NOW, ring_deadline = NOW + ring_ms})
  timer_set('offer|' .. offer_id, NOW + ring_ms)
  emit('CALL_OFFERED', {call_id = call_id, agent_id = agent_id, queue = c.queue,
    offer_id = offer_id, caller = c.caller, agent_state = 'reserved', call_state = 'ringing',
    attempt = attempt})
end

-- The free agent of the call's queue the strategy puts first, among those not yet tried
-- for this call. Reads at most (tried + 1) entries of the rotation: the cost does not grow
-- with the number of agents. Returns agent_id, or nil and whether any agent is free at all.
local function pick_agent(call_id, c)
  local tried = redis.call('SCARD', k_tried(call_id))
  local candidates = redis.call('ZRANGE', k_avail(c.queue), 0, tried)
  for _, agent_id in ipairs(candidates) do
    if redis.call('SISMEMBER', k_tried(call_id), agent_id) == 0 then
      return agent_id, true
    end
  end
  return nil, #candidates > 0
end

-- Offers a call to the next agent, or puts it (back) into its queue's waiting line.
local function dispatch_call(call_id, c)
  local agent_id, anyone_free = pick_agent(call_id, c)
  if agent_id then
    reserve(call_id, c, agent_id, hgetall(k_agent(agent_id)))
    return
  end
  if c.state ~= 'waiting' then
    -- The score is the time the call was received, so a call that comes back after a
    -- missed offer keeps its place in line.
    redis.call('ZADD', k_waiting(c.queue), tonumber(c.received), call_id)
    call_set(call_id, c, {state = 'waiting', agent = '', offer = ''})
    emit('CALL_QUEUED', {call_id = call_id, queue = c.queue, caller = c.caller,
      call_state = 'waiting', attempt = tonumber(c.offers or 0)})
  end
  if anyone_free then
    -- Every free agent has been tried for this call: try them again after a pause.
    timer_set('retry|' .. call_id, NOW + queue_ms(c.queue, 'retry_delay_ms'))
  end
end

-- An agent just became free: offer them the longest-waiting call of their queues that they
-- have not been tried for yet. Looks at the first 20 waiting calls of each queue.
local function dispatch_agent(agent_id, a)
  if a.state ~= 'available' then return end
  local best_call, best_score = nil, nil
  for _, q in ipairs(split(a.session_queues)) do
    local waiting = redis.call('ZRANGE', k_waiting(q), 0, 19, 'WITHSCORES')
    for i = 1, #waiting, 2 do
      local call_id, score = waiting[i], tonumber(waiting[i + 1])
      if best_score ~= nil and score >= best_score then break end
      if redis.call('SISMEMBER', k_tried(call_id), agent_id) == 0 then
        best_call, best_score = call_id, score
        break
      end
    end
  end
  if best_call then
    reserve(best_call, hgetall(k_call(best_call)), agent_id, a)
  end
end

-- Agent becomes available (login, resume, end of wrap-up): into rotation, then offered the
-- longest-waiting call if there is one.
local function make_available(agent_id, a)
  agent_set(agent_id, a, {state = 'available', since = NOW, idle_since = NOW})
  agent_clear(agent_id, a, {'call', 'offer', 'reason', 'wrap_token', 'wrap_ends', 'wrap_queue'})
  into_rotation(agent_id, a)
end

-- Ends an agent's wrap-up; the caller decides the next state.
local function close_wrap_up(agent_id, a, reason, next_state)
  timer_clear('wrapup|' .. agent_id .. '|' .. (a.wrap_token or ''))
  emit('AGENT_WRAP_UP_ENDED', {agent_id = agent_id, call_id = a.call, queue = a.wrap_queue,
    reason = reason, agent_state = next_state, duration_ms = NOW - tonumber(a.since)})
end

-- The offered agent did not take the call: the agent is released, the call goes on to the
-- next agent (or back into the waiting line, or times out if its maximum wait is over).
local function miss_offer(call_id, c, reason)
  local agent_id = c.agent
  local a = hgetall(k_agent(agent_id))
  timer_clear('offer|' .. c.offer)
  agent_set(agent_id, a, {state = 'available', since = NOW})
  agent_clear(agent_id, a, {'call', 'offer'})
  into_rotation(agent_id, a)
  emit('OFFER_MISSED', {call_id = call_id, agent_id = agent_id, queue = c.queue,
    offer_id = c.offer, caller = c.caller, reason = reason, agent_state = 'available',
    call_state = (reason == 'caller_hangup') and 'abandoned' or 'ringing',
    duration_ms = NOW - tonumber(c.offered_at), attempt = c.offers})
  return agent_id, a
end

local function time_out(call_id, c)
  call_finish(call_id, c, 'timed_out')
  emit('CALL_TIMED_OUT', {call_id = call_id, queue = c.queue, caller = c.caller,
    call_state = 'timed_out', wait_ms = NOW - tonumber(c.received), attempt = c.offers})
end

local function after_miss(call_id, c, agent_id, a)
  if c.deadline_passed == '1' then
    time_out(call_id, c)
  else
    c.state = 'routing'
    dispatch_call(call_id, c)
  end
  dispatch_agent(agent_id, a)
end

-- Replies ---------------------------------------------------------------------------------

local function call_reply(call_id)
  local c = hgetall(k_call(call_id))
  if c.state == 'waiting' then
    c.queue_position = redis.call('ZRANK', k_waiting(c.queue), call_id) + 1
  end
  if c.agent and c.agent ~= '' and c.state == 'ringing' then
    c.endpoint = redis.call('HGET', k_agent(c.agent), 'endpoint') or ''
  end
  return cjson.encode({ok = 'call', call = c})
end

local function agent_reply(agent_id)
  return cjson.encode({ok = 'agent', agent = hgetall(k_agent(agent_id))})
end

local function load_agent(agent_id)
  local a = hgetall(k_agent(agent_id))
  if a.id == nil then return nil end
  if a.state == nil then a.state = 'logged_out' end
  return a
end
