-- Shared library of the router's transitions. Prepended to every entry script at load time,
-- so each transition below is written once and runs inside one atomic script call. The
-- entry script's body runs as a function; afterwards pbx_flush() writes the messages for
-- PBX session streams that the transition noted (see "PBX sessions" below).
--
-- Calling convention of every entry script:
--   KEYS[1]  the tenant's key prefix, e.g. "cc:{default}:". Every key the router touches
--            starts with it; the "{...}" hash tag puts them all in one Redis Cluster slot,
--            so keys derived from it inside the script (agents picked from a queue) are
--            always local to the node that runs the script.
--   ARGV[1]  '' (always, outside tests): now is the Redis server's clock (TIME), read here,
--            inside the transition. A test may pass a fixed time in ms (a hand-driven clock).
--   ARGV[2]  approximate maximum length of the event stream (XADD MAXLEN ~)
--   ARGV[3]  how long a finished call's keys are kept, in seconds
--   ARGV[4]  with a PBX that runs the ring timer itself: how long after the ring timeout the
--            router's backstop expires an offer (ms)
--   ARGV[5]  how often a waiting call's position is sent on its PBX's stream, at most (ms)
--   ARGV[6]  the maximum call lifetime of queues that set none (ms; 0 = none)
--   ARGV[7]  approximate maximum length of each PBX session's stream
--   ARGV[8]  who asked for the transition (callcenter/core/audit.py): the user a trusted
--            caller relayed, or the calling credential; '' when nobody did (timers)
--   ARGV[9]  the credential that relayed that user ('' when the actor called itself)
--   ARGV[10] when the caller is a PBX credential (role pbx): its name. It may act only on the
--            calls it routed or its sessions' ('' for every other caller, and without
--            authentication: docs/security.md)
--   ARGV[11] how many calls a callback makes at most before it fails (attempts)
--   ARGV[12] how long after an unreached callback attempt the next one is made (ms)
--   ARGV[13…] the entry script's own arguments, as ARGS[1…]
-- Every entry script returns a JSON document: {"ok":…} or {"err":code,"msg":…,"state":…}.

-- One clock for every replica: the Redis server's. No time is ever read in a router process,
-- so replicas with skewed clocks write the same times, and a transition's time is when it
-- was applied, never when a request was sent.
local NOW
if ARGV[1] ~= '' then
  NOW = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local MAXLEN = ARGV[2]
local CALL_TTL = tonumber(ARGV[3])
local RING_GRACE = tonumber(ARGV[4])
local POSITION_INTERVAL = tonumber(ARGV[5])
local DEFAULT_LIFETIME = tonumber(ARGV[6])
local PBX_MAXLEN = ARGV[7]
local ACTOR = ARGV[8]
local ACTOR_VIA = ARGV[9]
local PBX_CALLER = ARGV[10]
local CALLBACK_ATTEMPTS = tonumber(ARGV[11])
local CALLBACK_RETRY = tonumber(ARGV[12])
local ARGS = {}
for i = 13, #ARGV do ARGS[#ARGS + 1] = ARGV[i] end

-- Whether a PBX credential is kept away from a call: one it did not route, of no session of
-- its own (the PBX ids of a credential named N are N and N-<anything>).
local function foreign_call(routed_by, pbx)
  if PBX_CALLER == '' or routed_by == PBX_CALLER then return false end
  pbx = pbx or ''
  return not (pbx == PBX_CALLER or string.sub(pbx, 1, #PBX_CALLER + 1) == PBX_CALLER .. '-')
end

-- The time since t (a stored time in ms), never negative: the Redis server's clock may be
-- stepped back (NTP), and a duration must not follow it below zero.
local function since(t) return math.max(0, NOW - (tonumber(t) or NOW)) end

-- The key model (K_EVENTS, k_agent(id), …) comes first, generated from
-- services/router/keys.py; no key name is written in a script.

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

-- Whether a number is on the do-not-call list (a sorted set: score = when it was added).
local function on_do_not_call(number)
  return redis.call('ZSCORE', K_DO_NOT_CALL, number) ~= false
end

-- Event stream --------------------------------------------------------------------------

local EVENT_FIELDS = {'call_id', 'agent_id', 'queue', 'offer_id', 'caller', 'reason',
  'agent_state', 'call_state', 'duration_ms', 'wait_ms', 'attempt', 'queues', 'attributes',
  'other_agent_id', 'lead_id', 'team_id', 'member_agent_ids', 'direction', 'campaign_id',
  'callback_id', 'conversation_id', 'channel', 'topic'}

-- What every event of an outbound call carries (direction, campaign_id, callback_id), read
-- from the call once per script run: a transition never has to pass them by hand.
local CALL_TAGS = {}
local function call_tags(call_id)
  local tags = CALL_TAGS[call_id]
  if tags == nil then
    local h = redis.call('HMGET', k_call(call_id), 'direction', 'campaign', 'callback')
    tags = {direction = h[1] or '', campaign_id = h[2] or '', callback_id = h[3] or ''}
    CALL_TAGS[call_id] = tags
  end
  return tags
end

-- Every event of a transition someone asked for records who (actor, actor_via; docs/security.md).
-- Metrics: what the transition did, returned beside its reply (the entry wrapper in
-- services/router/store.py returns {reply, metrics JSON}; the replica that ran the script
-- counts it, so each event is counted once however many replicas run).
local MET_EVENTS = {}  -- "<event type>|<reason>" -> how many
local MET_LATE = {}    -- "<timer kind>|<ms late>", one per timer fired

local function timer_late(kind, late_ms) MET_LATE[#MET_LATE + 1] = kind .. '|' .. late_ms end

local function emit(event_type, fields)
  local counted = event_type .. '|' .. (fields.reason or '')
  MET_EVENTS[counted] = (MET_EVENTS[counted] or 0) + 1
  if (fields.call_id or '') ~= '' and fields.direction == nil then
    local tags = call_tags(fields.call_id)
    if tags.direction ~= '' then
      fields.direction, fields.campaign_id = tags.direction, tags.campaign_id
      if fields.callback_id == nil then fields.callback_id = tags.callback_id end
    end
  end
  local args = {K_EVENTS, 'MAXLEN', '~', MAXLEN, '*', 'type', event_type, 'time', NOW}
  for _, name in ipairs(EVENT_FIELDS) do
    local v = fields[name]
    if v ~= nil and v ~= '' then
      args[#args + 1] = name
      args[#args + 1] = v
    end
  end
  -- fields.as_actor: who asked for what this event applies, when it was asked for earlier (a
  -- pause after the call: the one who asked, not the hang-up or timer that ends the call)
  local actor, actor_via = ACTOR, ACTOR_VIA
  if fields.as_actor ~= nil then actor, actor_via = fields.as_actor, fields.as_actor_via or '' end
  if actor ~= '' then
    args[#args + 1] = 'actor'
    args[#args + 1] = actor
    if actor_via ~= '' then
      args[#args + 1] = 'actor_via'
      args[#args + 1] = actor_via
    end
  end
  return redis.call('XADD', unpack(args))
end

-- Timers: one sorted set, member = "<kind>|<id>[|<token>]", score = deadline (ms) ----------

local function timer_set(member, deadline) redis.call('ZADD', K_TIMERS, deadline, member) end
local function timer_clear(member) redis.call('ZREM', K_TIMERS, member) end

-- PBX sessions ----------------------------------------------------------------------------
-- A call routed with a pbx_id belongs to that PBX's session: each change of it that the PBX
-- must act on is noted during the transition (pbx_note) and written at its end (pbx_flush)
-- as one entry of the PBX's stream, with the call as it is after the whole transition. The
-- entry id is "0-<sequence>", the sequence one higher than the PBX's previous message, so a
-- PBX resumes with XREAD after "0-<last sequence it handled>", on any replica.

local PBX_NOTES = {}

-- What a PBX is not told of an outbound call: it has nothing to ring until ORIGINATE (a
-- preview's offer, its time in line), and it reports the agent leg's miss itself.
local OUTBOUND_SILENT = {offered = true, queued = true, position_changed = true, offer_cancelled = true}

-- view: the call as the message shows it, when the caller has it already (a position
-- change carries only what changed: position_view); else the call after the transition.
local function pbx_note(c, kind, offer_id, reason, view)
  if (c.pbx or '') == '' or c.id == nil then return end
  if c.direction == 'outbound' and OUTBOUND_SILENT[kind] then return end
  PBX_NOTES[#PBX_NOTES + 1] = {call = c.id, pbx = c.pbx, kind = kind, offer = offer_id or '',
    reason = reason or '', view = view}
end

-- What a POSITION_CHANGED message says of a waiting call: who it is and where it stands.
local function position_view(c)
  return {id = c.id, caller = c.caller, queue = c.queue, state = c.state, version = c.version,
    received = c.received, offers = c.offers, stage = c.stage, pbx = c.pbx,
    queue_position = c.queue_position, estimated_wait_ms = c.estimated_wait_ms}
end

local call_snapshot -- defined with the replies below

-- Called after every entry script (see the top of this file).
local function pbx_flush()
  local snapshots = {}
  for _, note in ipairs(PBX_NOTES) do
    local snap = snapshots[note.call]
    if note.view ~= nil then
      snap = {call = note.view, json = cjson.encode(note.view)}
    elseif snap == nil then
      local c = call_snapshot(note.call)
      snap = {call = c, json = cjson.encode(c)}
      snapshots[note.call] = snap
    end
    local seq = redis.call('HINCRBY', k_pbx(note.pbx), 'seq', 1)
    redis.call('XADD', k_pbx_events(note.pbx), 'MAXLEN', '~', PBX_MAXLEN, '0-' .. seq,
      'kind', note.kind, 'offer_id', note.offer, 'reason', note.reason, 'time', NOW,
      'call', snap.json)
    if note.kind == 'queued' or note.kind == 'position_changed' then
      -- what the PBX was told last, so the position timer sends only changes
      redis.call('HSET', k_call(note.call), 'announced',
        (snap.call.queue_position or 0) .. '|' .. (snap.call.estimated_wait_ms or ''))
    end
  end
end

-- The ring timer mode of a PBX ('pbx' or 'router'), read once per script run.
local PBX_RING_TIMER = {}
local function pbx_ring_timer(pbx_id)
  local mode = PBX_RING_TIMER[pbx_id]
  if mode == nil then
    mode = redis.call('HGET', k_pbx(pbx_id), 'ring_timer') or 'router'
    PBX_RING_TIMER[pbx_id] = mode
  end
  return mode
end

-- Queues ----------------------------------------------------------------------------------

-- A queue's configuration, read once per script run.
local QUEUE_CACHE = {}
local function queue_conf(q)
  local qc = QUEUE_CACHE[q]
  if qc == nil then
    qc = hgetall(k_queue(q))
    if qc.skills ~= nil and qc.skills ~= '' and qc.skills ~= '{}' then
      qc.required = cjson.decode(qc.skills)
    end
    QUEUE_CACHE[q] = qc
  end
  return qc
end

local function queue_ms(q, field)
  return tonumber(queue_conf(q)[field] or '0') or 0
end

-- The score an available agent gets in a queue's rotation, by the queue's strategy.
-- Lowest score is offered first.
local function rotation_score(q, a)
  local strategy = queue_conf(q).strategy or 'longest_idle'
  local idle_since = tonumber(a.idle_since or NOW)
  if strategy == 'round_robin' then
    return tonumber(a.last_offer or 0)
  elseif strategy == 'fewest_calls' then
    -- calls answered first, then longest idle (in seconds) as the tie-break.
    return tonumber(a.calls or 0) * 10000000000 + math.floor(idle_since / 1000)
  end
  return idle_since
end

-- An agent's level for a queue's required skills: the lowest of their levels in the
-- required skills, 0 when the queue requires none, nil when they lack one.
local function skill_level(q, a)
  local required = queue_conf(q).required
  if required == nil then return 0 end
  local have = (a.skills ~= nil and a.skills ~= '') and cjson.decode(a.skills) or {}
  local level = nil
  for skill, minimum in pairs(required) do
    local l = tonumber(have[skill] or -1)
    if l < tonumber(minimum) then return nil end
    if level == nil or l < level then level = l end
  end
  return level or 0
end

-- Skill order puts a whole level ahead of the next: 10^13 exceeds every strategy score.
local function skill_rank(q, level)
  local order = queue_conf(q).skill_order or ''
  level = math.min(level, 100)
  if order == 'highest_first' then return (100 - level) * 10000000000000 end
  if order == 'lowest_first' then return level * 10000000000000 end
  return 0
end

-- Agents ----------------------------------------------------------------------------------

-- Puts a free agent into one queue's rotation sets, by the queue's rules now.
local function rotate_in(q, agent_id, a)
  local score = rotation_score(q, a)
  redis.call('ZADD', k_available(q), score, agent_id)
  local level = skill_level(q, a)
  if level ~= nil then
    local qc = queue_conf(q)
    local ranked = score + skill_rank(q, level)
    if qc.required ~= nil then redis.call('ZADD', k_available_skilled(q), ranked, agent_id) end
    local min_tier = tonumber(qc.vip_min_tier or 0) or 0
    if min_tier > 0 and (tonumber(a.tier or 0) or 0) >= min_tier then
      redis.call('ZADD', k_available_vip(q), ranked, agent_id)
    end
  end
end

local function into_rotation(agent_id, a)
  for _, q in ipairs(split(a.session_queues)) do rotate_in(q, agent_id, a) end
end

local function out_of_rotation(agent_id, a)
  for _, q in ipairs(split(a.session_queues)) do
    redis.call('ZREM', k_available(q), agent_id)
    redis.call('ZREM', k_available_skilled(q), agent_id)
    redis.call('ZREM', k_available_vip(q), agent_id)
  end
end

-- Writes fields to a hash and to the table t that mirrors it, keeping the two in step.
local function hash_set(key, t, fields)
  local flat = {}
  for name, value in pairs(fields) do
    t[name] = value
    flat[#flat + 1] = name
    flat[#flat + 1] = value
  end
  redis.call('HSET', key, unpack(flat))
end

-- Sets an agent's state and the time they entered it, keeping the hash and the table in step.
local function agent_set(agent_id, a, fields) hash_set(k_agent(agent_id), a, fields) end

local function agent_clear(agent_id, a, names)
  for _, name in ipairs(names) do a[name] = nil end
  redis.call('HDEL', k_agent(agent_id), unpack(names))
end

local function load_agent(agent_id)
  if agent_id == nil or agent_id == '' then return nil end
  local a = hgetall(k_agent(agent_id))
  if a.id == nil then return nil end
  if a.state == nil then a.state = 'logged_out' end
  return a
end

-- Clients (the caller list) -----------------------------------------------------------------

-- Records new_manager ('' for none) as the client's personal manager; one event per change.
-- Returns the old manager when it changed, nil otherwise (see set_manager).
local function record_manager(number, new_manager, reason)
  local key = k_client(number)
  local old = redis.call('HGET', key, 'manager') or ''
  if old == new_manager then return nil end
  if old ~= '' then redis.call('SREM', k_agent_clients(old), number) end
  if new_manager ~= '' then redis.call('SADD', k_agent_clients(new_manager), number) end
  redis.call('HSET', key, 'number', number, 'manager', new_manager)
  emit('CLIENT_REASSIGNED', {caller = number, agent_id = old, other_agent_id = new_manager,
    reason = reason})
  return old
end

-- Calls -----------------------------------------------------------------------------------

local function call_set(call_id, c, fields)
  hash_set(k_call(call_id), c, fields)
  c.version = redis.call('HINCRBY', k_call(call_id), 'version', 1)
end

-- Routing stages: a call starts at the first that applies and moves down when a stage's
-- time is over (a CALL_RULE_RELAXED event each time).
local STAGES = {'manager', 'vip', 'skilled', 'anyone'}
-- Why an agent was offered a call, by the stage that picked them (CALL_OFFERED reason).
local OFFER_REASON = {manager = 'personal_manager', vip = 'vip_tier', skilled = 'skills',
  anyone = 'strategy'}
local RELAX_REASON = {manager = 'manager_wait_over', vip = 'vip_overflow',
  skilled = 'skills_relaxed'}

local function stage_applies(c, stage)
  local qc = queue_conf(c.queue)
  if stage == 'manager' then return (c.manager or '') ~= '' end
  if stage == 'vip' then
    return (tonumber(c.priority or 0) or 0) > 0 and (tonumber(qc.vip_min_tier or 0) or 0) > 0
  end
  if stage == 'skilled' then return qc.required ~= nil end
  return true
end

local function stage_index(stage)
  for i, s in ipairs(STAGES) do if s == stage then return i end end
  return #STAGES
end

local function relax_timer(call_id, stage) return 'relax|' .. call_id .. '|' .. stage end

-- Puts the call at the first stage from `from` on that applies, with the stage's timer.
local function enter_stage(call_id, c, from)
  for i = from, #STAGES do
    local stage = STAGES[i]
    if stage_applies(c, stage) then
      call_set(call_id, c, {stage = stage, stage_since = NOW})
      local limit = 0
      if stage == 'vip' then limit = queue_ms(c.queue, 'vip_overflow_ms')
      elseif stage == 'skilled' then limit = queue_ms(c.queue, 'skill_relax_ms') end
      if limit > 0 then timer_set(relax_timer(call_id, stage), NOW + limit) end
      return stage
    end
  end
end

-- The call's current stage no longer restricts it: it moves to the next stage.
local function relax(call_id, c, reason)
  local from = c.stage
  timer_clear(relax_timer(call_id, from))
  local to = enter_stage(call_id, c, stage_index(from) + 1)
  emit('CALL_RULE_RELAXED', {call_id = call_id, queue = c.queue, caller = c.caller,
    reason = reason, call_state = c.state, agent_id = (from == 'manager') and c.manager or '',
    attributes = cjson.encode({from_stage = from, to_stage = to})})
end

-- The waiting line a call is in at its stage: its manager's own line, or the queue's.
local function waiting_key(c)
  if c.stage == 'manager' then return k_agent_waiting(c.manager) end
  if c.direction == 'outbound' then return k_waiting_out(c.queue) end
  if c.stage == 'vip' then return k_waiting_vip(c.queue) end
  if c.stage == 'skilled' then return k_waiting_skilled(c.queue) end
  return k_waiting(c.queue)
end

-- VIP calls go ahead of every ordinary call; within one priority, the earliest first.
local function wait_score(c)
  return tonumber(c.received) - (tonumber(c.priority or 0) or 0) * 10000000000000
end

local function unwait(call_id, c)
  redis.call('ZREM', k_waiting(c.queue), call_id)
  redis.call('ZREM', k_waiting_skilled(c.queue), call_id)
  redis.call('ZREM', k_waiting_vip(c.queue), call_id)
  redis.call('ZREM', k_waiting_all(c.queue), call_id)
  if c.direction == 'outbound' then redis.call('ZREM', k_waiting_out(c.queue), call_id) end
  if (c.manager or '') ~= '' then redis.call('ZREM', k_agent_waiting(c.manager), call_id) end
end

local function queue_length(q)
  return redis.call('ZCARD', k_waiting_all(q))
end

local function clear_call_timers(call_id)
  timer_clear('maxwait|' .. call_id)
  timer_clear('retry|' .. call_id)
  for _, stage in ipairs(STAGES) do timer_clear(relax_timer(call_id, stage)) end
end

-- A call reached a final state: it leaves every index and its keys expire later. reason
-- ('' for an ordinary end) is kept as end_reason and told to the call's PBX.
local function call_finish(call_id, c, state, extra, reason)
  unwait(call_id, c)
  clear_call_timers(call_id)
  timer_clear('lifetime|' .. call_id)
  local fields = extra or {}
  fields.state = state
  fields.ended = NOW
  fields.end_reason = reason or ''
  if c.direction == 'outbound' and (c.agent or '') ~= '' then
    redis.call('SREM', k_outbound_agents(c.queue), c.agent)
  end
  call_set(call_id, c, fields)
  redis.call('EXPIRE', k_call(call_id), CALL_TTL)
  redis.call('EXPIRE', k_tried(call_id), CALL_TTL)
  redis.call('EXPIRE', k_offers(call_id), CALL_TTL)
  if (c.pbx or '') ~= '' then
    redis.call('SREM', k_pbx_calls(c.pbx), call_id)
    pbx_note(c, 'ended', '', (reason ~= nil and reason ~= '') and reason or state)
  end
end

-- Conversations (issue 21): chats and messages, a second kind of work -----------------------
-- A conversation (conversation:<id>) is assigned to an agent of its queue who is logged in
-- to it, not paused, and holds fewer open conversations of its channel than the queue's
-- chat_capacity (CONV.refusal): the client's personal manager first, else by the call
-- stages after the manager's (STAGES: vip, skilled, anyone; CONV.qualifies) the agent with
-- the fewest open conversations, then the longest since their last one (skill_order's level
-- first at a restricted stage). With no such agent it waits in the queue's conversation line
-- (VIP first, then oldest) until one gets room (a conversation closed, a login, a resume, a
-- call ended) or its stage's time after its creation is over (a durable timer
-- conversation_relax|<id>|<due>, CONVERSATION_RULE_RELAXED). A queue with mix_chats_and_calls off keeps an agent holding one of its
-- conversations from its calls (pick_agent, dispatch_agent, the manager stage) and gives no
-- conversation to an agent reserved for or on a call. The agent must reply by the queue's
-- first_response (a new conversation) or reply deadline (a customer's message after their
-- reply): a timer conversation|<id>|<deadline> marks it overdue. The functions live in one
-- table (CONV): a Lua function may hold at most 200 locals, and lib.lua is one function.
local CONV = {KEPT = 1000, SCAN = 20}

-- A conversation setting of queue q; a queue stored before the setting existed has default.
function CONV.setting(q, field, default)
  local v = queue_conf(q)[field]
  if v == nil or v == '' then return default end
  return tonumber(v) or default
end

function CONV.mixing(q) return queue_conf(q).mix_chats_and_calls ~= '0' end

-- The agent's open conversations: how many are of `channel`, whether one is of queue q, all.
function CONV.held(agent_id, q, channel)
  local on_channel, of_queue, total = 0, false, 0
  for _, id in ipairs(redis.call('ZRANGE', k_agent_conversations(agent_id), 0, -1)) do
    local h = redis.call('HMGET', k_conversation(id), 'queue', 'channel')
    total = total + 1
    if h[2] == channel then on_channel = on_channel + 1 end
    if h[1] == q then of_queue = true end
  end
  return on_channel, of_queue, total
end

-- Whether an agent is kept from the calls of queue q: q forbids mixing and they hold one of
-- its conversations.
function CONV.bars_calls(q, agent_id)
  if not q or CONV.mixing(q) then return false end
  local _, of_queue = CONV.held(agent_id, q, '')
  return of_queue
end

-- Why the agent may not take conversation v now (a sentence naming it), or nil and how many
-- open conversations they hold.
function CONV.refusal(agent_id, a, v)
  if a == nil or a.state == 'logged_out' then return 'agent ' .. agent_id .. ' is logged out' end
  if a.state == 'paused' then return 'agent ' .. agent_id .. ' is paused' end
  if redis.call('SISMEMBER', k_online(v.queue), agent_id) == 0 then
    return 'agent ' .. agent_id .. ' is not logged in to queue ' .. v.queue
  end
  if not CONV.mixing(v.queue) and (a.state == 'reserved' or a.state == 'on_call') then
    return 'agent ' .. agent_id .. ' is ' .. a.state .. ' and queue ' .. v.queue .. ' does not mix chats and calls'
  end
  local on_channel, _, total = CONV.held(agent_id, v.queue, v.channel)
  local capacity = CONV.setting(v.queue, 'chat_capacity', 3)
  if on_channel >= capacity then
    return 'agent ' .. agent_id .. ' has no room: ' .. on_channel .. ' open ' .. v.channel ..
      ' conversations, the chat_capacity of queue ' .. v.queue .. ' is ' .. capacity
  end
  return nil, total
end

-- Whether the agent may take conversation v now: nil if not, else how many they hold.
function CONV.room(agent_id, a, v)
  local why, total = CONV.refusal(agent_id, a, v)
  if why ~= nil then return nil end
  return total
end

-- The time conversation v's stage is over (its creation + the queue's vip_overflow or
-- skill_relax), nil when it lasts (no such limit, or stage anyone).
function CONV.stage_due(v, stage)
  local limit = 0
  if stage == 'vip' then limit = queue_ms(v.queue, 'vip_overflow_ms')
  elseif stage == 'skilled' then limit = queue_ms(v.queue, 'skill_relax_ms') end
  if limit > 0 then return tonumber(v.created) + limit end
end

-- The first stage from STAGES[i] on that applies to v. The manager is tried before every
-- stage (CONV.pick) and never waited for, so a conversation's stage is vip, skilled or anyone.
function CONV.first_stage(v, i)
  for j = math.max(i, 2), #STAGES do
    if stage_applies(v, STAGES[j]) then return STAGES[j] end
  end
  return 'anyone'
end

-- Brings v's stage up to date: each stage whose time is over is left for the next that
-- applies (CONVERSATION_RULE_RELAXED reason vip_overflow or skills_relaxed).
function CONV.restage(v)
  if (v.stage or '') == '' then CONV.set(v.id, v, {stage = CONV.first_stage(v, 2)}) end
  local due = CONV.stage_due(v, v.stage)
  while due ~= nil and due <= NOW do
    local from = v.stage
    CONV.set(v.id, v, {stage = CONV.first_stage(v, stage_index(from) + 1)})
    CONV.emit('CONVERSATION_RULE_RELAXED', v, {agent_id = '', reason = RELAX_REASON[from],
      attributes = cjson.encode({from_stage = from, to_stage = v.stage})})
    due = CONV.stage_due(v, v.stage)
  end
end

-- Whether the agent qualifies for conversation v at its stage now (room aside): their skill
-- level for its queue (0 at stage anyone), nil if not. The client's manager always does.
function CONV.qualifies(agent_id, a, v)
  if agent_id == v.manager or v.stage == 'anyone' then return 0 end
  local level = skill_level(v.queue, a)
  if v.stage == 'vip' and level ~= nil then
    local min_tier = tonumber(queue_conf(v.queue).vip_min_tier or 0) or 0
    if (tonumber(a.tier or 0) or 0) < min_tier then return nil end
  end
  return level
end

-- The agent conversation v goes to: agent_id, agent, why (personal_manager, vip_tier,
-- skills, strategy: OFFER_REASON); nil when nobody qualifies with room. except: an agent who
-- may not have it (the one it is being taken from).
function CONV.pick(v, except)
  local m = v.manager ~= except and load_agent(v.manager) or nil
  if m ~= nil and CONV.room(v.manager, m, v) ~= nil then return v.manager, m, 'personal_manager' end
  CONV.restage(v)
  local best, best_a, best_rank, best_n, best_idle
  for _, agent_id in ipairs(redis.call('SMEMBERS', k_online(v.queue))) do
    local a = agent_id ~= except and load_agent(agent_id) or nil
    local level = a ~= nil and CONV.qualifies(agent_id, a, v) or nil
    local n = level ~= nil and CONV.room(agent_id, a, v) or nil
    if n ~= nil then
      local rank = v.stage ~= 'anyone' and skill_rank(v.queue, level) or 0
      local idle = tonumber(a.conv_since or a.idle_since or 0) or 0
      if best == nil or rank < best_rank or (rank == best_rank and (n < best_n or (n == best_n and
          (idle < best_idle or (idle == best_idle and agent_id < best))))) then
        best, best_a, best_rank, best_n, best_idle = agent_id, a, rank, n, idle
      end
    end
  end
  if best ~= nil then return best, best_a, OFFER_REASON[v.stage] end
end

function CONV.set(id, v, fields) hash_set(k_conversation(id), v, fields) end

-- Emits a CONVERSATION_* event with the conversation's fields.
function CONV.emit(event_type, v, fields)
  fields.conversation_id, fields.channel, fields.topic, fields.queue = v.id, v.channel, v.topic, v.queue
  if fields.agent_id == nil then fields.agent_id = v.agent end
  emit(event_type, fields)
end

-- Appends a message (author customer, agent, supervisor or note) with its actor (who asked;
-- for the customer's, the credential relaying them); the newest CONV.KEPT are kept.
function CONV.message(v, message_id, author, agent_id, text)
  local actor = ACTOR
  if author == 'customer' and ACTOR_VIA ~= '' then actor = ACTOR_VIA end
  redis.call('SADD', k_conversation_message_ids(v.id), message_id)
  redis.call('RPUSH', k_conversation_messages(v.id), cjson.encode({id = message_id, author = author,
    agent = agent_id, text = text, at = NOW, actor = actor}))
  redis.call('LTRIM', k_conversation_messages(v.id), -CONV.KEPT, -1)
  v.count = redis.call('HINCRBY', k_conversation(v.id), 'count', 1)
  if author == 'customer' then
    CONV.set(v.id, v, {last_customer = NOW})
    CONV.unidle(v)  -- the customer is back: no idle close
  end
end

-- A reply to the customer (author agent, or supervisor in the agent's place): ANSWERED, no
-- deadline, no longer overdue; CONVERSATION_REPLIED carries the reply for a messaging
-- gateway's webhook. A conversation waiting in its queue's line stays there (NEW) and is
-- ANSWERED once taken (held_state).
function CONV.answer(v, message_id, author, text)
  CONV.message(v, message_id, author, author == 'agent' and v.agent or '', text)
  CONV.undue(v)
  local fields = {overdue = '0', replied = NOW}
  if v.state == 'new' then fields.held_state = 'answered' else fields.state = 'answered' end
  if (v.first_replied or '') == '' then fields.first_replied = NOW end
  CONV.set(v.id, v, fields)
  CONV.idle(v)
  CONV.emit('CONVERSATION_REPLIED', v, {reason = author,
    attributes = cjson.encode({message_id = message_id, text = text})})
end

function CONV.timer(v) return 'conversation|' .. v.id .. '|' .. tostring(v.due or '') end

-- The agent must reply within ms (kind first_response or reply); 0: no deadline.
function CONV.due(v, ms, kind)
  if (v.due or '') ~= '' then timer_clear(CONV.timer(v)) end
  if ms <= 0 then
    CONV.set(v.id, v, {due = '', due_kind = ''})
    return
  end
  CONV.set(v.id, v, {due = NOW + ms, due_kind = kind})
  timer_set(CONV.timer(v), NOW + ms)
end

-- Nothing waits for the agent any more (they replied, or it closed).
function CONV.undue(v)
  if (v.due or '') ~= '' then timer_clear(CONV.timer(v)) end
  CONV.set(v.id, v, {due = '', due_kind = ''})
end

-- Puts conversation v in its queue's line: VIP clients' first (as wait_score for calls),
-- then the oldest; at a stage with a time limit, with its timer conversation_relax|<id>|<due>.
function CONV.wait(v)
  redis.call('ZADD', k_conversations_waiting(v.queue), wait_score({received = v.created, priority = v.priority}), v.id)
  CONV.unrelax(v)
  local due = CONV.stage_due(v, v.stage)
  if due ~= nil then
    CONV.set(v.id, v, {relax_due = due})
    timer_set(CONV.relax_timer(v), due)
  end
end

function CONV.relax_timer(v) return 'conversation_relax|' .. v.id .. '|' .. tostring(v.relax_due or '') end

function CONV.unrelax(v)
  if (v.relax_due or '') == '' then return end
  timer_clear(CONV.relax_timer(v))
  CONV.set(v.id, v, {relax_due = ''})
end

-- A relax timer fired (token: its due time): the conversation, still in its line, moves to
-- its next stage and goes at once to an agent who qualifies now with room, else waits on.
function CONV.relax_fire(id, token)
  local v = hgetall(k_conversation(id))
  if v.id == nil or v.state ~= 'new' or (v.agent or '') ~= '' or tostring(v.relax_due or '') ~= token then return end
  CONV.set(id, v, {relax_due = ''})
  CONV.dispatch(v)
end

-- Gives conversation v to the agent: out of its line (NEW -> TAKEN, or the state it had when
-- it went back to the line, held_state), into the agent's; other states are kept.
function CONV.take(v, agent_id, a)
  redis.call('ZREM', k_conversations_waiting(v.queue), v.id)
  CONV.unrelax(v)
  redis.call('ZADD', k_agent_conversations(agent_id), NOW, v.id)
  agent_set(agent_id, a, {conv_since = NOW})
  local fields = {agent = agent_id, assigned = NOW, held_state = ''}
  if v.state == 'new' then fields.state = (v.held_state or '') ~= '' and v.held_state or 'taken' end
  CONV.set(v.id, v, fields)
end

function CONV.assign(v, agent_id, a, why)
  CONV.take(v, agent_id, a)
  CONV.emit('CONVERSATION_ASSIGNED', v, {agent_id = agent_id, reason = why})
end

-- Takes conversation v from its agent (v.agent, not '') back to its queue's line: at once to
-- another agent with room, else NEW in the line, keeping the state it had (held_state) for
-- whoever takes it; its messages and deadline stay. CONVERSATION_TRANSFERRED (reason
-- supervisor or agent_logged_out). The previous agent's room is given out by the caller.
function CONV.to_line(v, reason)
  local previous = v.agent
  redis.call('ZREM', k_agent_conversations(previous), v.id)
  local agent_id, a = CONV.pick(v, previous)
  if agent_id ~= nil then
    CONV.take(v, agent_id, a)
  else
    local held = (v.state == 'unanswered' or v.state == 'answered') and v.state or ''
    CONV.set(v.id, v, {state = 'new', agent = '', assigned = '', held_state = held})
    CONV.wait(v)
  end
  CONV.emit('CONVERSATION_TRANSFERRED', v, {agent_id = agent_id or '', other_agent_id = previous,
    reason = reason})
end

-- Assigns a new conversation (or one whose stage relaxed), or puts it in its queue's line.
function CONV.dispatch(v)
  local agent_id, a, why = CONV.pick(v)
  if agent_id ~= nil then
    CONV.assign(v, agent_id, a, why)
    return
  end
  CONV.wait(v)
end

-- An agent logged out: each of their open conversations goes back to its queue's line
-- (CONV.to_line, reason agent_logged_out), in the logout's own transition.
function CONV.hand_back(agent_id)
  for _, id in ipairs(redis.call('ZRANGE', k_agent_conversations(agent_id), 0, -1)) do
    local v = hgetall(k_conversation(id))
    if v.id ~= nil and v.state ~= 'closed' and v.agent == agent_id then
      CONV.to_line(v, 'agent_logged_out')
    end
  end
  redis.call('DEL', k_agent_conversations(agent_id))
end

-- An agent may have room: the conversations of their queues' lines they qualify for now
-- (CONV.qualifies at each one's stage, brought up to date), VIP clients' first, then the
-- oldest, while they have room. The first CONV.SCAN of each line are looked at.
function CONV.offer_agent(agent_id, a)
  if a == nil then return end
  local seen = {}
  for _, q in ipairs(split(a.session_queues)) do
    local line = redis.call('ZRANGE', k_conversations_waiting(q), 0, CONV.SCAN - 1, 'WITHSCORES')
    for i = 1, #line, 2 do seen[#seen + 1] = {id = line[i], score = tonumber(line[i + 1]), q = q} end
  end
  table.sort(seen, function(x, y) return x.score < y.score or (x.score == y.score and x.id < y.id) end)
  for _, w in ipairs(seen) do
    local v = hgetall(k_conversation(w.id))
    if v.id == nil or v.state ~= 'new' then
      redis.call('ZREM', k_conversations_waiting(w.q), w.id)
    elseif w.id ~= CONV.skip then
      CONV.restage(v)
      if CONV.qualifies(agent_id, a, v) ~= nil and CONV.room(agent_id, a, v) ~= nil then
        CONV.assign(v, agent_id, a, agent_id == v.manager and 'personal_manager' or OFFER_REASON[v.stage])
      end
    end
  end
end

-- Idle close (the queue's idle_close_ms, 0: off): an answered conversation whose customer
-- writes nothing for that long after the last reply closes itself (CONV.idle_fire). Armed by
-- each reply (CONV.answer), cleared by the customer's next message (CONV.message) and by the
-- close; kept across a transfer or a logout's hand-back (the customer's silence counts, not
-- who holds it). Timer conversation_idle|<id>|<due>, the due time its token.
function CONV.idle_timer(v) return 'conversation_idle|' .. v.id .. '|' .. tostring(v.idle_due or '') end

function CONV.unidle(v)
  if (v.idle_due or '') == '' then return end
  timer_clear(CONV.idle_timer(v))
  CONV.set(v.id, v, {idle_due = ''})
end

function CONV.idle(v)
  CONV.unidle(v)
  local ms = queue_ms(v.queue, 'idle_close_ms')
  if ms <= 0 then return end
  CONV.set(v.id, v, {idle_due = NOW + ms})
  timer_set(CONV.idle_timer(v), NOW + ms)
end

-- An idle timer fired (token: its due time): still answered (held by an agent, or back in its
-- line after the reply), the conversation closes with reason idle and no actor, and its
-- agent's room is given out (CONV.freed) as on CloseConversation.
function CONV.idle_fire(id, token)
  local v = hgetall(k_conversation(id))
  if v.id == nil or tostring(v.idle_due or '') ~= token then return end
  CONV.set(id, v, {idle_due = ''})
  if v.state ~= 'answered' and not (v.state == 'new' and v.held_state == 'answered') then return end
  CONV.close(v, 'idle')
  if (v.agent or '') ~= '' then CONV.freed(v.agent) end
end

-- Closes conversation v (not closed yet); why: agent, supervisor or idle (close_reason and
-- the CONVERSATION_CLOSED reason). Its agent's room is given out by the caller.
function CONV.close(v, why)
  CONV.undue(v)
  CONV.unrelax(v)
  CONV.unidle(v)
  redis.call('ZREM', k_conversations_waiting(v.queue), v.id)
  redis.call('ZREM', K_CONVERSATIONS, v.id)
  if (v.agent or '') ~= '' then redis.call('ZREM', k_agent_conversations(v.agent), v.id) end
  CONV.set(v.id, v, {state = 'closed', closed = NOW, close_reason = why})
  redis.call('ZADD', K_CONVERSATIONS_CLOSED, NOW, v.id)
  for _, old in ipairs(redis.call('ZRANGE', K_CONVERSATIONS_CLOSED, 0, -(CONV.KEPT + 1))) do
    redis.call('ZREM', K_CONVERSATIONS_CLOSED, old)
  end
  for _, key in ipairs({k_conversation(v.id), k_conversation_messages(v.id), k_conversation_message_ids(v.id)}) do
    redis.call('EXPIRE', key, CALL_TTL)
  end
  CONV.emit('CONVERSATION_CLOSED', v, {reason = why})
end

-- A deadline timer fired (token: the deadline it was set for).
function CONV.fire(id, token)
  local v = hgetall(k_conversation(id))
  if v.id == nil or (v.due or '') ~= token then return end
  if v.state ~= 'new' and v.state ~= 'taken' and v.state ~= 'unanswered' then return end
  CONV.set(id, v, {overdue = '1', overdue_since = NOW, due = ''})
  CONV.emit('CONVERSATION_OVERDUE', v, {reason = v.due_kind})
end

function CONV.reply(id)
  return cjson.encode({ok = 'conversation', conversation = hgetall(k_conversation(id))})
end

-- Offers ----------------------------------------------------------------------------------

-- Reserves an available agent for a call: the agent leaves every rotation, the call rings.
-- why: the CALL_OFFERED reason when not the stage's (a supervisor's move: 'supervisor').
local dial

local function reserve(call_id, c, agent_id, a, why)
  local outbound = c.direction == 'outbound'
  -- an outbound call's offer is the agent's preview: how long they have to accept it
  local ring_ms = queue_ms(c.queue, outbound and 'preview_timeout_ms' or 'ring_timeout_ms')
  local attempt = tonumber(c.offers or 0) + 1
  local offer_id = call_id .. '#' .. attempt
  -- A PBX that runs the ring timer itself reports the no-answer; the router's expiry is then
  -- only a backstop, a grace after the ring timeout, so the two timers never race.
  local deadline = NOW + ring_ms
  if not outbound and (c.pbx or '') ~= '' and pbx_ring_timer(c.pbx) == 'pbx' then deadline = deadline + RING_GRACE end
  out_of_rotation(agent_id, a)
  -- last_offer orders the round-robin rotation: a tenant-wide counter, so never a tie.
  agent_set(agent_id, a, {state = 'reserved', since = NOW, call = call_id, offer = offer_id,
    last_offer = redis.call('INCR', K_OFFER_SEQ)})
  unwait(call_id, c)
  if c.stage == 'manager' then timer_clear(relax_timer(call_id, 'manager')) end -- the wait is over
  redis.call('SADD', k_tried(call_id), agent_id)
  call_set(call_id, c, {state = 'ringing', agent = agent_id, offer = offer_id,
    offers = attempt, offered_at = NOW, ring_ms = ring_ms, ring_deadline = deadline,
    admitted = '1'})
  timer_set('offer|' .. offer_id, deadline)
  emit('CALL_OFFERED', {call_id = call_id, agent_id = agent_id, queue = c.queue,
    offer_id = offer_id, caller = c.caller, agent_state = 'reserved', call_state = 'ringing',
    attempt = attempt, reason = why or OFFER_REASON[c.stage] or 'strategy'})
  pbx_note(c, 'offered', offer_id)
  if outbound then
    redis.call('SADD', k_outbound_agents(c.queue), agent_id)
    if c.mode == 'progressive' then dial(call_id, c, 'progressive') end
  end
end

-- The free agent the call's stage puts first, among those not yet tried for this call.
-- Reads at most (tried + 1) entries of the stage's rotation: the cost does not grow with
-- the number of agents. Returns agent_id, or nil and whether any agent is free at all.
local function pick_agent(call_id, c)
  local key = k_available(c.queue)
  if c.stage == 'vip' then key = k_available_vip(c.queue)
  elseif c.stage == 'skilled' then key = k_available_skilled(c.queue) end
  -- A queue that forbids mixing skips agents holding its conversations (CONV.bars_calls):
  -- then the rotation is read on, a page of (tried + 1) at a time.
  local barring = not CONV.mixing(c.queue)
  local tried = redis.call('SCARD', k_tried(call_id))
  local from, count, anyone = 0, tried + 1, false
  while true do
    local candidates = redis.call('ZRANGE', key, from, from + count - 1)
    for _, agent_id in ipairs(candidates) do
      if not (barring and CONV.bars_calls(c.queue, agent_id)) then
        anyone = true
        if redis.call('SISMEMBER', k_tried(call_id), agent_id) == 0 then return agent_id, true end
      end
    end
    if not barring or #candidates < count then return nil, anyone end
    from = from + count
  end
end

local give_up
-- Outbound work and callbacks (defined below, with the outbound section).
local outbound_result, missed_call_callback, caller_reached

-- Offers a call to the next agent of its stage, or puts it (back) into its waiting line.
-- Whether some of a queue's agents are kept for outbound work even while inbound calls wait:
-- fewer agents hold its outbound calls than its outbound_share of those logged in.
local function outbound_share_left(q)
  local share = queue_ms(q, 'outbound_share')
  if share <= 0 then return false end
  local allowed = math.floor(redis.call('SCARD', k_online(q)) * share / 100)
  return redis.call('SCARD', k_outbound_agents(q)) < allowed
end

-- The blend of a queue: an outbound call takes a free agent only when no inbound call waits
-- in the queue (inbound first), or within the queue's outbound share.
local function outbound_may_take(q)
  return redis.call('ZCARD', k_waiting_all(q)) == 0 or outbound_share_left(q)
end

local function dispatch_call(call_id, c)
  local anyone_free = false
  local outbound = c.direction == 'outbound'
  while c.stage == 'manager' do
    local m = load_agent(c.manager)
    local tried = redis.call('SISMEMBER', k_tried(call_id), c.manager) == 1
    local chatting = m ~= nil and CONV.bars_calls(c.queue, c.manager)
    if m ~= nil and not tried and m.state == 'available' and not chatting then
      reserve(call_id, c, c.manager, m)
      return
    end
    local busy = m ~= nil and (m.state == 'reserved' or m.state == 'on_call' or m.state == 'wrap_up' or chatting)
    if busy and not tried then
      local member = relax_timer(call_id, 'manager')
      -- Already waiting for the manager: stay in their line until the timer fires.
      if redis.call('ZSCORE', K_TIMERS, member) then break end
      local limit = queue_ms(c.queue, 'manager_wait_ms')
      if limit > 0 and c.manager_waited ~= '1' then
        timer_set(member, NOW + limit)
        call_set(call_id, c, {manager_waited = '1'})
        break
      end
    end
    local why = 'manager_unavailable'
    if tried then why = 'manager_missed' elseif busy then why = 'manager_wait_over' end
    relax(call_id, c, why)
  end
  if c.stage ~= 'manager' and (not outbound or outbound_may_take(c.queue)) then
    local agent_id
    agent_id, anyone_free = pick_agent(call_id, c)
    if agent_id then
      reserve(call_id, c, agent_id, hgetall(k_agent(agent_id)))
      return
    end
  end
  if c.admitted ~= '1' and not outbound then
    -- A call new to this queue finding it full overflows; a call already admitted (offered
    -- on arrival, then missed) goes back into line whatever the length.
    local limit = queue_ms(c.queue, 'max_queue_length')
    if limit > 0 and queue_length(c.queue) >= limit then
      give_up(call_id, c, 'queue_full')
      return
    end
  end
  unwait(call_id, c)
  redis.call('ZADD', waiting_key(c), wait_score(c), call_id)
  -- the queue's line (its length, positions, ListQueueCalls) is its inbound callers'
  if not outbound then redis.call('ZADD', k_waiting_all(c.queue), tonumber(c.received), call_id) end
  if c.state ~= 'waiting' then
    call_set(call_id, c, {state = 'waiting', agent = '', offer = '', admitted = '1'})
    emit('CALL_QUEUED', {call_id = call_id, queue = c.queue, caller = c.caller,
      call_state = 'waiting', attempt = tonumber(c.offers or 0), reason = c.stage})
    if (c.pbx or '') ~= '' and not outbound then
      pbx_note(c, 'queued')
      -- the queue's position timer tells its PBX calls where they stand as the line moves
      redis.call('ZADD', K_TIMERS, 'NX', NOW + POSITION_INTERVAL, 'positions|' .. c.queue)
    end
  end
  if anyone_free or redis.call('SCARD', k_tried(call_id)) > 0 then
    -- Every free agent has been tried for this call (or the agents who tried it are away,
    -- e.g. paused after missing it): try them all again after a pause. An agent becoming
    -- free offers itself only calls it has not tried, so without this timer such a call
    -- could wait for ever.
    timer_set('retry|' .. call_id, NOW + queue_ms(c.queue, 'retry_delay_ms'))
  end
end

-- The first call of a waiting line the agent has not been tried for, if it goes before
-- best (a table {call, score}). Looks at the first 20 calls of the line.
local function best_waiting(key, agent_id, best)
  local waiting = redis.call('ZRANGE', key, 0, 19, 'WITHSCORES')
  for i = 1, #waiting, 2 do
    local call_id, score = waiting[i], tonumber(waiting[i + 1])
    if best.score ~= nil and score >= best.score then return end
    if redis.call('SISMEMBER', k_tried(call_id), agent_id) == 0 then
      best.call, best.score = call_id, score
      return
    end
  end
end

-- An agent just became free: offer them the first waiting call they may take — their own
-- clients' calls first, then the best of every line of their queues they qualify for.
local function dispatch_agent(agent_id, a)
  if a.state ~= 'available' then return end
  local best = {}
  best_waiting(k_agent_waiting(agent_id), agent_id, best)
  if best.call ~= nil and CONV.bars_calls(redis.call('HGET', k_call(best.call), 'queue'), agent_id) then best = {} end
  if best.call == nil then
    for _, q in ipairs(split(a.session_queues)) do
      if not CONV.bars_calls(q, agent_id) then
        best_waiting(k_waiting(q), agent_id, best)
        if redis.call('ZSCORE', k_available_skilled(q), agent_id) then
          best_waiting(k_waiting_skilled(q), agent_id, best)
        end
        if redis.call('ZSCORE', k_available_vip(q), agent_id) then
          best_waiting(k_waiting_vip(q), agent_id, best)
        end
      end
    end
  end
  -- Outbound calls of the agent's queues: when no inbound call waits for them, or before
  -- inbound calls in a queue whose outbound share is not used up.
  local out = {}
  for _, q in ipairs(split(a.session_queues)) do
    if (best.call == nil or outbound_share_left(q)) and not CONV.bars_calls(q, agent_id) then
      best_waiting(k_waiting_out(q), agent_id, out)
    end
  end
  if out.call then best = out end
  if best.call then
    reserve(best.call, hgetall(k_call(best.call)), agent_id, a)
  end
  -- then the conversations waiting for room (none while reserved, in a queue forbidding mixing)
  CONV.offer_agent(agent_id, a)
end

-- The agent's room after a conversation left them (closed, transferred): calls again (a queue
-- forbidding mixing) or the next conversation of their lines, never conversation `skip`.
function CONV.freed(agent_id, skip)
  local a = load_agent(agent_id)
  if a == nil then return end
  CONV.skip = skip
  if a.state == 'available' then dispatch_agent(agent_id, a) else CONV.offer_agent(agent_id, a) end
  CONV.skip = nil
end

-- Calls waiting for a manager who just left (logged out, paused) go on at once.
local function release_waiters(agent_id)
  for _, call_id in ipairs(redis.call('ZRANGE', k_agent_waiting(agent_id), 0, -1)) do
    local c = hgetall(k_call(call_id))
    redis.call('ZREM', k_agent_waiting(agent_id), call_id)
    if c.stage == 'manager' and c.state == 'waiting' and c.manager == agent_id then
      relax(call_id, c, 'manager_unavailable')
      dispatch_call(call_id, c)
    end
  end
end

-- Makes new_manager the client's personal manager (record_manager), and the client's calls
-- waiting for the old manager follow the client: to the new manager, or on to the other
-- agents when the client now has none. Returns true when the manager changed.
local function set_manager(number, new_manager, reason)
  local old = record_manager(number, new_manager, reason)
  if old == nil then return false end
  if old == '' then return true end
  for _, call_id in ipairs(redis.call('ZRANGE', k_agent_waiting(old), 0, -1)) do
    local c = hgetall(k_call(call_id))
    if c.caller == number and c.state == 'waiting' and c.stage == 'manager' and c.manager == old then
      unwait(call_id, c)
      timer_clear(relax_timer(call_id, 'manager'))
      if new_manager == '' then
        relax(call_id, c, 'manager_unavailable')
      else
        call_set(call_id, c, {manager = new_manager, manager_waited = ''})
      end
      dispatch_call(call_id, c)
    end
  end
  return true
end

-- Agent becomes available (login, resume, end of wrap-up): into rotation, then offered the
-- longest-waiting call if there is one.
local function make_available(agent_id, a)
  agent_set(agent_id, a, {state = 'available', since = NOW, idle_since = NOW})
  agent_clear(agent_id, a, {'call', 'offer', 'reason', 'wrap_token', 'wrap_ends', 'wrap_queue'})
  into_rotation(agent_id, a)
end

-- A pause asked for after the current call (pause.lua, after_current_call): the agent hash
-- keeps its reason and who asked (pause_after, pause_after_by, pause_after_via) until the
-- agent leaves the call or its wrap-up.
local PENDING_PAUSE = {'pause_after', 'pause_after_by', 'pause_after_via'}

-- The state an agent leaving a call or its wrap-up goes to: paused with a pending pause.
local function after_call_state(a)
  return ((a.pause_after or '') ~= '') and 'paused' or 'available'
end

-- Pauses an agent whose pending pause applies now (they left the call, its wrap-up or the
-- ring), with an AGENT_PAUSED event recording who asked for it. Fields: more agent fields.
local function apply_pending_pause(agent_id, a, fields)
  local reason = a.pause_after
  local by, via = a.pause_after_by or '', a.pause_after_via or ''
  out_of_rotation(agent_id, a)
  fields = fields or {}
  fields.state, fields.since, fields.reason = 'paused', NOW, reason
  agent_set(agent_id, a, fields)
  agent_clear(agent_id, a, {'call', 'offer', 'wrap_token', 'wrap_ends', 'wrap_queue', unpack(PENDING_PAUSE)})
  emit('AGENT_PAUSED', {agent_id = agent_id, agent_state = 'paused', reason = reason,
    attributes = cjson.encode({after_call = '1'}), as_actor = by, as_actor_via = via})
end

-- The agent leaves a call or its wrap-up: paused if a pause is pending, else available and
-- offered the best waiting call.
local function leave_call(agent_id, a)
  if after_call_state(a) == 'paused' then
    apply_pending_pause(agent_id, a)
    release_waiters(agent_id)
  else
    make_available(agent_id, a)
    dispatch_agent(agent_id, a)
  end
end

-- Ends an agent's wrap-up; the caller decides the next state.
local function close_wrap_up(agent_id, a, reason, next_state)
  timer_clear('wrapup|' .. agent_id .. '|' .. (a.wrap_token or ''))
  emit('AGENT_WRAP_UP_ENDED', {agent_id = agent_id, call_id = a.call, queue = a.wrap_queue,
    reason = reason, agent_state = next_state, duration_ms = since(a.since)})
end

-- Misses that count towards auto-pause (a busy line or a caller hanging up do not).
local COUNTED_MISSES = {no_answer = true, rejected = true, timeout = true}
-- ROUTER_ENDED (offers the router ends on its own: the PBX is told to stop ringing,
-- OFFER_CANCELLED) comes with the constants before this library (keys.py).

-- The offered agent did not take the call: the agent is released (or paused after too many
-- misses in a row), the call goes on to the next agent (or back into the waiting line, or
-- times out if its maximum wait is over). call_state is the call's state the event reports
-- (default: abandoned for a caller's hang-up, else ringing).
local function miss_offer(call_id, c, reason, call_state)
  local agent_id = c.agent
  local a = hgetall(k_agent(agent_id))
  timer_clear('offer|' .. c.offer)
  redis.call('HSET', k_offers(call_id), c.offer, reason .. '|' .. agent_id .. '|' .. (c.offered_at or NOW))
  if c.direction == 'outbound' then redis.call('SREM', k_outbound_agents(c.queue), agent_id) end
  if ROUTER_ENDED[reason] then pbx_note(c, 'offer_cancelled', c.offer, reason) end
  local next_state = 'available'
  local misses = tonumber(a.misses or 0) or 0
  if COUNTED_MISSES[reason] then
    misses = misses + 1
    local limit = tonumber(queue_conf(c.queue).max_no_answer or 3) or 3
    if limit > 0 and misses >= limit then next_state = 'paused' end
  end
  local pending = next_state == 'available' and after_call_state(a) == 'paused'
  if pending then next_state = 'paused' end
  if pending then
    agent_set(agent_id, a, {misses = misses})
  elseif next_state == 'paused' then
    agent_set(agent_id, a, {state = 'paused', since = NOW, reason = 'no_answer', misses = misses})
    agent_clear(agent_id, a, PENDING_PAUSE)
  else
    agent_set(agent_id, a, {state = 'available', since = NOW, misses = misses})
  end
  if not pending then agent_clear(agent_id, a, {'call', 'offer'}) end
  if next_state == 'available' then into_rotation(agent_id, a) end
  emit('OFFER_MISSED', {call_id = call_id, agent_id = agent_id, queue = c.queue,
    offer_id = c.offer, caller = c.caller, reason = reason, agent_state = next_state,
    call_state = call_state or ((reason == 'caller_hangup') and 'abandoned' or 'ringing'),
    duration_ms = since(c.offered_at), attempt = c.offers})
  if pending then
    apply_pending_pause(agent_id, a)
  elseif next_state == 'paused' then
    emit('AGENT_PAUSED', {agent_id = agent_id, agent_state = 'paused', reason = 'no_answer',
      attributes = cjson.encode({consecutive_misses = tostring(misses)})})
  end
  return agent_id, a
end

local function time_out(call_id, c)
  call_finish(call_id, c, 'timed_out', nil, 'max_wait')
  emit('CALL_TIMED_OUT', {call_id = call_id, queue = c.queue, caller = c.caller,
    call_state = 'timed_out', wait_ms = since(c.received), attempt = c.offers})
  missed_call_callback(call_id, c)
end

-- The queue cannot keep the call (full, or its maximum wait is over): on to the overflow
-- queue, else out to the fallback destination, else (maximum wait) timed out.
-- At most 3 overflow hops, so a ring of overflow queues cannot loop.
give_up = function(call_id, c, reason)
  local qc = queue_conf(c.queue)
  local target = qc.overflow_queue or ''
  local hops = tonumber(c.hops or 0) or 0
  local wait_ms = since(c.received)
  if target ~= '' and target ~= c.queue and hops < 3 and redis.call('EXISTS', k_queue(target)) == 1 then
    unwait(call_id, c)
    clear_call_timers(call_id)
    emit('CALL_OVERFLOWED', {call_id = call_id, queue = c.queue, caller = c.caller,
      reason = reason, wait_ms = wait_ms, attempt = c.offers,
      attributes = cjson.encode({overflow_queue = target})})
    call_set(call_id, c, {queue = target, hops = hops + 1, state = 'routing', entered = NOW,
      deadline_passed = '', admitted = '', manager_waited = ''})
    local max_wait = queue_ms(target, 'max_wait_ms')
    if max_wait > 0 then timer_set('maxwait|' .. call_id, NOW + max_wait) end
    enter_stage(call_id, c, 1)
    dispatch_call(call_id, c)
    return
  end
  local fallback = qc.fallback or ''
  if reason == 'max_wait' and fallback == '' then
    time_out(call_id, c)
    return
  end
  call_finish(call_id, c, 'redirected', {redirect_to = fallback}, reason)
  emit('CALL_OVERFLOWED', {call_id = call_id, queue = c.queue, caller = c.caller,
    reason = reason, call_state = 'redirected', wait_ms = wait_ms, attempt = c.offers,
    attributes = cjson.encode({fallback = fallback})})
end

local function after_miss(call_id, c, agent_id, a)
  if c.deadline_passed == '1' then
    give_up(call_id, c, 'max_wait')
  else
    c.state = 'routing'
    dispatch_call(call_id, c)
  end
  if a.state == 'paused' then
    release_waiters(agent_id)
  else
    dispatch_agent(agent_id, a)
  end
end

-- Answering and ending -------------------------------------------------------------------

-- The agent of offer_id picked up: the call is connected to them. extra: attributes of the
-- CALL_ANSWERED event beyond the queue wait.
local function answer(call_id, c, agent_id, a, offer_id, offered_at, extra)
  timer_clear('offer|' .. offer_id)
  out_of_rotation(agent_id, a)
  agent_set(agent_id, a, {state = 'on_call', since = NOW, calls = tonumber(a.calls or 0) + 1,
    misses = 0, call = call_id, offer = offer_id})
  agent_clear(agent_id, a, {'reason'})
  unwait(call_id, c)
  call_set(call_id, c, {state = 'connected', answered = NOW, agent = agent_id, offer = offer_id})
  clear_call_timers(call_id)
  redis.call('HSET', k_offers(call_id), offer_id, 'answered|' .. agent_id .. '|' .. offered_at)
  local attrs = extra or {}
  -- the wait in the answering queue only (it differs from wait_ms after an overflow)
  attrs.queue_wait_ms = tostring(since(c.entered or c.received))
  emit('CALL_ANSWERED', {call_id = call_id, agent_id = agent_id, queue = c.queue,
    offer_id = offer_id, caller = c.caller, agent_state = 'on_call', call_state = 'connected',
    duration_ms = since(offered_at), wait_ms = since(c.received),
    attempt = string.match(offer_id, '#(%d+)$'), reason = OFFER_REASON[c.stage] or 'strategy',
    attributes = cjson.encode(attrs)})
  pbx_note(c, 'connected', offer_id)
  if c.direction ~= 'outbound' then caller_reached(c.caller) end
  -- Sticky routing: the first agent to answer a caller becomes their personal manager.
  if queue_conf(c.queue).sticky == '1' and (c.caller or '') ~= '' and
      (redis.call('HGET', k_client(c.caller), 'manager') or '') == '' then
    set_manager(c.caller, agent_id, 'sticky')
  end
end

-- A connected call is over: completed, its agent into wrap-up (or free at once without one).
-- reason: '' for a hang-up, else why the router ended it.
local function complete_call(call_id, c, reason)
  local agent_id = c.agent
  local a = hgetall(k_agent(agent_id))
  call_finish(call_id, c, 'completed', nil, reason)
  local wrap_ms = queue_ms(c.queue, 'wrap_up_ms')
  -- The queue's average handle time (talk + wrap-up), smoothed as Asterisk does its hold
  -- time: new = (3 * old + this call) / 4. It feeds the estimated wait of queued calls.
  -- (inbound calls only: the estimate is of an inbound caller's wait)
  if c.direction ~= 'outbound' then
    local handle = since(c.answered) + wrap_ms
    local aht = tonumber(redis.call('HGET', k_queue_stats(c.queue), 'aht_ms') or 0) or 0
    if aht > 0 then handle = math.floor((3 * aht + handle) / 4) end
    redis.call('HSET', k_queue_stats(c.queue), 'aht_ms', handle)
  end
  local next_state = (wrap_ms > 0) and 'wrap_up' or after_call_state(a)
  emit('CALL_COMPLETED', {call_id = call_id, agent_id = agent_id, queue = c.queue,
    offer_id = c.offer, caller = c.caller, agent_state = next_state, call_state = 'completed',
    duration_ms = since(c.answered), attempt = c.offers, reason = reason})
  if c.direction == 'outbound' then outbound_result(call_id, c, 'completed') end
  if a.state ~= 'on_call' or a.call ~= call_id then return end -- the agent moved on already
  if wrap_ms > 0 then
    local token = tostring(redis.call('HINCRBY', k_agent(agent_id), 'wrap_seq', 1))
    agent_set(agent_id, a, {state = 'wrap_up', since = NOW, wrap_token = token,
      wrap_ends = NOW + wrap_ms, wrap_queue = c.queue})
    agent_clear(agent_id, a, {'offer'})
    timer_set('wrapup|' .. agent_id .. '|' .. token, NOW + wrap_ms)
  else
    leave_call(agent_id, a)
  end
end

-- Outbound calls -------------------------------------------------------------------------
-- An outbound call (direction outbound: CreateOutboundCall, a callback, a campaign) is a
-- call like any other: offered through reserve() by its queue's stages (its agent first
-- when it names one, as a personal manager), waiting in the queue's outbound line
-- (waiting_out) while no agent may take it (the queue's blend, outbound_may_take). Its offer
-- is the agent's preview; accepting it (or progressive mode, at once) dials it: DIALING and
-- an ORIGINATE message for its PBX. The PBX's outcome connects it (answer(), then the usual
-- hang-up and wrap-up) or ends it NOT_CONNECTED.

-- The offered agent accepted (or progressive mode): the PBX dials the agent, then the customer.
dial = function(call_id, c, why)
  local deadline = NOW + queue_ms(c.queue, 'dial_timeout_ms')
  timer_clear('offer|' .. c.offer)
  -- the offer's timer now waits for the PBX's outcome (a backstop: dial_timeout)
  timer_set('offer|' .. c.offer, deadline)
  call_set(call_id, c, {state = 'dialing', dialed_at = NOW, ring_deadline = deadline})
  emit('CALL_DIALING', {call_id = call_id, agent_id = c.agent, queue = c.queue, offer_id = c.offer,
    caller = c.caller, agent_state = 'reserved', call_state = 'dialing', attempt = c.offers,
    reason = why, duration_ms = since(c.offered_at)})
  pbx_note(c, 'originate', c.offer)
end

-- An outbound call ends without reaching the customer. A preview not yet accepted releases
-- its agent without a miss; a dialling agent leaves the call (paused if a pause is pending).
local function not_connected(call_id, c, reason)
  local was, agent_id, a, dial_ms = c.state, nil, nil, 0
  if was == 'ringing' then
    agent_id, a = miss_offer(call_id, c, ROUTER_ENDED[reason] and reason or 'cancelled', 'not_connected')
  elseif was == 'dialing' then
    agent_id = c.agent
    a = hgetall(k_agent(agent_id))
    timer_clear('offer|' .. c.offer)
    dial_ms = since(c.dialed_at)
    redis.call('HSET', k_offers(call_id), c.offer, reason .. '|' .. agent_id .. '|' .. (c.offered_at or NOW))
  end
  call_finish(call_id, c, 'not_connected', nil, reason)
  local holds = was == 'dialing' and a.state == 'reserved' and a.call == call_id
  local next_state = ''
  if holds then next_state = after_call_state(a) elseif a ~= nil then next_state = a.state end
  emit('CALL_NOT_CONNECTED', {call_id = call_id, queue = c.queue, caller = c.caller,
    call_state = 'not_connected', agent_id = agent_id, agent_state = next_state, offer_id = c.offer,
    reason = reason, duration_ms = dial_ms, wait_ms = since(c.received), attempt = c.offers})
  outbound_result(call_id, c, reason)
  if holds then
    leave_call(agent_id, a)
  elseif agent_id and a.state == 'available' then
    dispatch_agent(agent_id, a)
  elseif agent_id and a.state == 'paused' then
    release_waiters(agent_id)
  end
end

-- Creates an outbound call and offers it (or lines it up). o: id, number, queue, mode, pbx,
-- agent (first offered; '' = the client's manager), deal, campaign, callback, attrs (a JSON
-- object), priority. The caller has checked that the queue exists and the PBX is open.
local function outbound_create(o)
  local client = hgetall(k_client(o.number))
  local manager = o.agent ~= '' and o.agent or (client.manager or '')
  local priority = tonumber(o.priority or 0) or 0
  if priority == 0 then priority = tonumber(client.priority or 0) or 0 end
  local attrs = cjson.decode(o.attrs or '{}')
  attrs.mode = o.mode
  local c = {}
  call_set(o.id, c, {id = o.id, caller = o.number, queue = o.queue, state = 'routing',
    received = NOW, entered = NOW, offers = 0, attrs = cjson.encode(attrs), priority = priority,
    manager = manager, pbx = o.pbx, deal = o.deal or '', direction = 'outbound', mode = o.mode,
    campaign = o.campaign or '', callback = o.callback or '', admitted = '1',
    routed_by = PBX_CALLER ~= '' and PBX_CALLER or nil})
  redis.call('SADD', k_pbx_calls(o.pbx), o.id)
  local lifetime = queue_ms(o.queue, 'max_call_lifetime_ms')
  if lifetime == 0 then lifetime = DEFAULT_LIFETIME end
  if lifetime > 0 then timer_set('lifetime|' .. o.id, NOW + lifetime) end
  emit('CALL_RECEIVED', {call_id = o.id, queue = o.queue, caller = o.number, call_state = 'routing',
    attributes = c.attrs, lead_id = o.deal, reason = o.mode})
  enter_stage(o.id, c, 1)
  dispatch_call(o.id, c)
  return c
end

-- Callbacks (S1.10) ------------------------------------------------------------------------
-- A callback waits for its time in the timer set (callback|<id>), then makes an outbound
-- preview call; an unreached attempt is tried again after CALLBACK_RETRY, up to
-- CALLBACK_ATTEMPTS calls. Nothing but its hash and the timer holds it: a restart loses none.

local ENDED_CALLBACKS_KEPT = 1000

local function callback_unindex(id, cb)
  redis.call('ZREM', K_CALLBACKS, id)
  if (cb.agent or '') ~= '' then redis.call('ZREM', k_agent_callbacks(cb.agent), id) end
  redis.call('ZREM', k_queue_callbacks(cb.queue), id)
end

local function callback_index(id, cb, due)
  redis.call('ZADD', K_CALLBACKS, due, id)
  if (cb.agent or '') ~= '' then redis.call('ZADD', k_agent_callbacks(cb.agent), due, id) end
  redis.call('ZADD', k_queue_callbacks(cb.queue), due, id)
end

-- A callback is over (state done, cancelled or failed; reason why).
local function callback_end(id, cb, state, reason)
  callback_unindex(id, cb)
  timer_clear('callback|' .. id)
  redis.call('HSET', k_callback(id), 'state', state, 'ended_reason', reason, 'ended', NOW)
  cb.state = state
  if redis.call('GET', k_number_callback(cb.number)) == id then redis.call('DEL', k_number_callback(cb.number)) end
  redis.call('ZADD', K_CALLBACKS_ENDED, NOW, id)
  local over = redis.call('ZCARD', K_CALLBACKS_ENDED) - ENDED_CALLBACKS_KEPT
  if over > 0 then
    for _, old in ipairs(redis.call('ZRANGE', K_CALLBACKS_ENDED, 0, over - 1)) do
      redis.call('DEL', k_callback(old))
    end
    redis.call('ZREMRANGEBYRANK', K_CALLBACKS_ENDED, 0, over - 1)
  end
  emit('CALLBACK_ENDED', {callback_id = id, caller = cb.number, agent_id = cb.agent, queue = cb.queue,
    lead_id = cb.deal, reason = reason, call_id = cb.call})
end

-- Schedules a callback. cb: id, number, queue, due, agent, deal, note, origin.
local function callback_schedule(cb)
  redis.call('HSET', k_callback(cb.id), 'id', cb.id, 'number', cb.number, 'queue', cb.queue,
    'due', cb.due, 'agent', cb.agent or '', 'deal', cb.deal or '', 'note', cb.note or '',
    'origin', cb.origin, 'state', 'scheduled', 'attempts', 0, 'created', NOW, 'created_by', ACTOR)
  callback_index(cb.id, cb, cb.due)
  timer_set('callback|' .. cb.id, cb.due)
  emit('CALLBACK_SCHEDULED', {callback_id = cb.id, caller = cb.number, agent_id = cb.agent,
    queue = cb.queue, lead_id = cb.deal, reason = cb.origin,
    attributes = cjson.encode({due_ms = tostring(cb.due), origin = cb.origin})})
end

-- The callback's time came: its call is made, offered to its agent first. Without an open
-- PBX to dial it, it waits a minute and tries again; it is never dropped.
local function callback_fire(id)
  local cb = hgetall(k_callback(id))
  if cb.state ~= 'scheduled' then return end
  if on_do_not_call(cb.number) then
    callback_end(id, cb, 'failed', 'do_not_call')
    return
  end
  if redis.call('EXISTS', k_queue(cb.queue)) == 0 then
    callback_end(id, cb, 'failed', 'no_queue')
    return
  end
  local pbx = queue_conf(cb.queue).outbound_pbx or ''
  if pbx == '' or redis.call('HGET', k_pbx(pbx), 'state') ~= 'open' then
    timer_set('callback|' .. id, NOW + 60000)
    return
  end
  local attempts = (tonumber(cb.attempts or 0) or 0) + 1
  local call_id = 'callback-' .. id .. '-' .. attempts
  redis.call('HSET', k_callback(id), 'state', 'calling', 'attempts', attempts, 'call', call_id)
  local attrs = {callback_id = id}
  if (cb.note or '') ~= '' then attrs.note = cb.note end
  outbound_create({id = call_id, number = cb.number, queue = cb.queue, mode = 'preview', pbx = pbx,
    agent = cb.agent or '', deal = cb.deal or '', callback = id, attrs = cjson.encode(attrs)})
end

-- Reasons an attempt did not reach the customer through no decision of anyone's: tried again.
local CALLBACK_RETRIED = {no_answer = true, busy = true, failed = true, hangup = true,
  dial_timeout = true, pbx_lost = true, pbx_restarted = true, max_lifetime = true}

-- A callback's call ended (outcome completed, or the not-connected reason).
local function callback_after_call(id, call_id, outcome)
  local cb = hgetall(k_callback(id))
  if cb.state ~= 'calling' or cb.call ~= call_id then return end
  if outcome == 'completed' then
    callback_end(id, cb, 'done', 'done')
  elseif not CALLBACK_RETRIED[outcome] then
    callback_end(id, cb, 'cancelled', outcome)
  elseif (tonumber(cb.attempts or 0) or 0) >= CALLBACK_ATTEMPTS then
    callback_end(id, cb, 'failed', 'attempts')
  else
    local due = NOW + CALLBACK_RETRY
    redis.call('HSET', k_callback(id), 'state', 'scheduled', 'due', due)
    callback_index(id, cb, due)
    timer_set('callback|' .. id, due)
  end
end

-- Campaigns (S2.7, S4.1) -------------------------------------------------------------------
-- A campaign's contacts: campaign:<id>:contacts, number -> "state|attempts|last outcome|deal|
-- first attempt ms"; the pending ones also in campaign:<id>:due by when the next attempt is
-- due. The dialler (services/router/dialler.py) picks due contacts within calling hours and
-- dials them (campaign_dial.lua); each call's end comes back here (campaign_after_call).

local function contact_get(id, number)
  local raw = redis.call('HGET', k_campaign_contacts(id), number)
  if not raw then return nil end
  local state, attempts, last, deal, first = string.match(raw, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  return {state = state, attempts = tonumber(attempts) or 0, last = last, deal = deal, first = tonumber(first) or 0}
end

local function contact_put(id, number, ct)
  redis.call('HSET', k_campaign_contacts(id), number,
    ct.state .. '|' .. ct.attempts .. '|' .. (ct.last or '') .. '|' .. (ct.deal or '') .. '|' .. (ct.first or 0))
end

-- Moves a contact between states, keeping the campaign's per-state counters.
local function contact_move(id, number, ct, state)
  if ct.state ~= nil and ct.state ~= '' then redis.call('HINCRBY', k_campaign(id), 'n_' .. ct.state, -1) end
  redis.call('HINCRBY', k_campaign(id), 'n_' .. state, 1)
  ct.state = state
  contact_put(id, number, ct)
  if state ~= 'pending' then redis.call('ZREM', k_campaign_due(id), number) end
  if state == 'reached' or state == 'exhausted' or state == 'skipped' then
    emit('CAMPAIGN_CONTACT_DONE', {campaign_id = id, caller = number, lead_id = ct.deal, reason = state,
      attributes = cjson.encode({attempts = tostring(ct.attempts), last_outcome = ct.last or ''})})
  end
end

-- The campaign has nothing left to do: every contact final, none added by new leads.
local function campaign_check_finished(id)
  local h = redis.call('HMGET', k_campaign(id), 'state', 'source', 'n_pending', 'n_calling')
  if h[1] ~= 'running' or h[2] == 'new_leads' then return end
  if (tonumber(h[3]) or 0) > 0 or (tonumber(h[4]) or 0) > 0 then return end
  redis.call('HSET', k_campaign(id), 'state', 'finished', 'state_since', NOW)
  redis.call('SREM', K_CAMPAIGNS_RUNNING, id)
  emit('CAMPAIGN_STATE_CHANGED', {campaign_id = id, reason = 'finished'})
end

-- Outcomes that end a contact without another try (someone decided so).
local CONTACT_CANCELLED = {cancelled = true, ended_by_supervisor = true}
local CONTACT_BUSY = {busy = true}
local CONTACT_FAILED = {failed = true, pbx_lost = true, pbx_restarted = true, max_lifetime = true}

-- A campaign call ended: its contact is reached, tried again later by the campaign's rules,
-- or done. outcome: completed, or the not-connected reason.
local function campaign_after_call(id, number, outcome)
  local ct = contact_get(id, number)
  if ct == nil or ct.state ~= 'calling' then return end
  local h = hgetall(k_campaign(id))
  redis.call('HINCRBY', k_campaign(id), 'live', -1)
  ct.last = outcome
  if outcome == 'completed' then
    redis.call('HINCRBY', k_campaign(id), 'connected', 1)
  else
    redis.call('HINCRBY', k_campaign(id), 'nc:' .. outcome, 1)
  end
  local max_attempts = tonumber(h.max_attempts or 3) or 3
  if CONTACT_CANCELLED[outcome] then
    contact_move(id, number, ct, 'skipped')
  elseif outcome == 'completed' and h.reached_again ~= '1' then
    contact_move(id, number, ct, 'reached')
  elseif ct.attempts >= max_attempts then
    contact_move(id, number, ct, outcome == 'completed' and 'reached' or 'exhausted')
  else
    local delay = tonumber(h.retry_no_answer_ms or 0) or 0
    if CONTACT_BUSY[outcome] then delay = tonumber(h.retry_busy_ms or 0) or 0
    elseif CONTACT_FAILED[outcome] then delay = tonumber(h.retry_failed_ms or 0) or 0 end
    local due = NOW + delay
    local spread = tonumber(h.spread_ms or 0) or 0
    if spread > 0 then due = math.max(ct.first + ct.attempts * spread, outcome == 'completed' and NOW or due) end
    contact_move(id, number, ct, 'pending')
    redis.call('ZADD', k_campaign_due(id), due, number)
  end
  campaign_check_finished(id)
end


outbound_result = function(call_id, c, outcome)
  if (c.callback or '') ~= '' then callback_after_call(c.callback, call_id, outcome) end
  if (c.campaign or '') ~= '' then campaign_after_call(c.campaign, c.caller, outcome) end
end

-- An inbound caller who abandoned or timed out is called back after the queue's
-- callback_after_missed, by their personal manager (or the queue): one callback per number.
missed_call_callback = function(call_id, c)
  local after = queue_ms(c.queue, 'callback_after_missed_ms')
  if after <= 0 or (c.caller or '') == '' or c.direction == 'outbound' then return end
  if redis.call('EXISTS', k_number_callback(c.caller)) == 1 then return end
  local id = 'missed-' .. string.gsub(call_id, '[^%w%-_.]', '_')
  if #id > 64 then id = string.sub(id, 1, 64) end
  if redis.call('EXISTS', k_callback(id)) == 1 then return end
  redis.call('SET', k_number_callback(c.caller), id)
  callback_schedule({id = id, number = c.caller, queue = c.queue, due = NOW + after,
    agent = c.manager or '', deal = c.deal or '', note = '', origin = 'missed_call'})
end

-- An inbound caller was answered: a callback scheduled after their missed call is not needed.
caller_reached = function(number)
  if (number or '') == '' then return end
  local id = redis.call('GET', k_number_callback(number))
  if not id then return end
  local cb = hgetall(k_callback(id))
  if cb.state == 'scheduled' then callback_end(id, cb, 'cancelled', 'caller_reached') end
end


-- A call nobody answered is over: abandoned (a ringing agent is released, not charged a
-- miss). reason: '' for the caller's hang-up, else why the router ended it.
local function abandon_call(call_id, c, reason)
  local agent_id, a = nil, nil
  if c.state == 'ringing' then
    agent_id, a = miss_offer(call_id, c, (reason == '') and 'caller_hangup' or reason, 'abandoned')
  end
  call_finish(call_id, c, 'abandoned', nil, reason)
  emit('CALL_ABANDONED', {call_id = call_id, queue = c.queue, caller = c.caller,
    call_state = 'abandoned', wait_ms = since(c.received), attempt = c.offers,
    agent_id = agent_id, reason = reason})
  missed_call_callback(call_id, c)
  if agent_id then dispatch_agent(agent_id, a) end
end

-- A live call nobody answered ends: an inbound one abandoned, an outbound one not connected.
-- reason '' is the caller's (the PBX's) hang-up.
local function end_unanswered(call_id, c, reason)
  if c.direction == 'outbound' then
    not_connected(call_id, c, reason == '' and 'hangup' or reason)
  else
    abandon_call(call_id, c, reason)
  end
end


-- The router ends a call whose hang-up will never come (its PBX is gone, or it outlived its
-- queue's maximum lifetime). A call already final is left alone.
local function force_end(call_id, c, reason)
  if c.state == 'connected' then
    complete_call(call_id, c, reason)
  elseif c.state == 'ringing' or c.state == 'waiting' or c.state == 'routing' or c.state == 'dialing' then
    end_unanswered(call_id, c, reason)
  end
end

-- Ends up to `limit` open calls of a PBX (reason pbx_lost or pbx_restarted); returns how
-- many are left.
local function end_pbx_calls(pbx_id, reason, limit)
  for _, call_id in ipairs(redis.call('SRANDMEMBER', k_pbx_calls(pbx_id), limit)) do
    local c = hgetall(k_call(call_id))
    redis.call('SREM', k_pbx_calls(pbx_id), call_id)
    if c.id ~= nil then force_end(call_id, c, reason) end
  end
  return redis.call('SCARD', k_pbx_calls(pbx_id))
end

-- Replies ---------------------------------------------------------------------------------

-- A call as replies and PBX messages show it: its hash plus its live queue position,
-- estimated wait and the offered agent's endpoint. Second result: the position its PBX was
-- told last (bookkeeping, not shown).
call_snapshot = function(call_id)
  local c = hgetall(k_call(call_id))
  if c.state == 'waiting' then
    if c.stage == 'manager' then
      c.queue_position = (redis.call('ZRANK', k_agent_waiting(c.manager), call_id) or 0) + 1
    else
      -- Calls ahead in the call's own line (ties in the order they are offered), plus calls
      -- of the queue's other lines that go before it.
      local own = waiting_key(c)
      local ahead = '(' .. wait_score(c)
      c.queue_position = (redis.call('ZRANK', own, call_id) or 0) + 1
      for _, key in ipairs({k_waiting(c.queue), k_waiting_skilled(c.queue), k_waiting_vip(c.queue)}) do
        if key ~= own then c.queue_position = c.queue_position + redis.call('ZCOUNT', key, '-inf', ahead) end
      end
    end
    -- Estimated wait: the calls up to this one, each taking the queue's average handle
    -- time, shared among the agents logged in to the queue.
    local aht = tonumber(redis.call('HGET', k_queue_stats(c.queue), 'aht_ms') or 0) or 0
    if aht > 0 then
      local online = math.max(redis.call('SCARD', k_online(c.queue)), 1)
      c.estimated_wait_ms = math.floor(c.queue_position * aht / online)
    end
  end
  if c.agent and c.agent ~= '' and (c.state == 'ringing' or c.state == 'dialing') then
    c.endpoint = redis.call('HGET', k_agent(c.agent), 'endpoint') or ''
  end
  local announced = c.announced
  c.announced = nil
  return c, announced
end

local function call_reply(call_id)
  return cjson.encode({ok = 'call', call = call_snapshot(call_id)})
end

local function agent_reply(agent_id)
  return cjson.encode({ok = 'agent', agent = hgetall(k_agent(agent_id))})
end

-- Segments (S1.11) ----------------------------------------------------------------------
-- A segment's members are taken from the attribute index (attribute:<key>:<value>, kept by
-- upsert_client.lua) into segment:<id>:clients: each condition's values united, the
-- conditions intersected, as plain sets (cheap), and only the result made a sorted set, every
-- score 1 so that it lists by number (ZRANGEBYLEX). Returns how many; more than `most`:
-- nothing is kept. The snapshot expires after ttl_ms.
local function segment_take(id, conditions, most, ttl_ms)
  local into = k_segment_clients(id)
  redis.call('DEL', into)
  local sources, scratch = {}, {}
  for i, c in ipairs(conditions) do
    if #c.values == 1 then
      sources[#sources + 1] = k_attribute_clients(c.attribute, c.values[1])
    else
      local union = {'SUNIONSTORE', k_segment_scratch(id, i)}
      for _, value in ipairs(c.values) do union[#union + 1] = k_attribute_clients(c.attribute, value) end
      redis.call(unpack(union))
      sources[#sources + 1] = union[2]
      scratch[#scratch + 1] = union[2]
    end
  end
  local members = sources[1]
  if #sources > 1 then
    members = k_segment_scratch(id, 'all')
    scratch[#scratch + 1] = members
    redis.call('SINTERSTORE', members, unpack(sources))
  end
  local n = redis.call('SCARD', members)
  if n > 0 and n <= most then
    redis.call('ZUNIONSTORE', into, 1, members)
    redis.call('PEXPIRE', into, ttl_ms)
  end
  if #scratch > 0 then redis.call('DEL', unpack(scratch)) end
  return n
end
