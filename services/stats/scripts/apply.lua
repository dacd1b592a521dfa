-- Applies one event of the stream to the stats keys, exactly once, atomically.
--
-- KEYS[1]  the tenant's key prefix ("cc:{tenant}:"); every key below starts with it (the
--          router's convention: one hash tag, one Redis Cluster slot).
-- ARGV[1]  the event's stream entry id ("<ms>-<seq>")
-- ARGV[2]  dedupe window in ms: applied ids are remembered this long (by entry time)
-- ARGV[3]  retention in seconds of buckets, timelines and call records
-- ARGV[4]  retention in seconds of the audit trail
-- ARGV[5…] the entry's fields, name, value, name, value…
--
-- Returns 'applied', 'duplicate' (already applied, or older than the dedupe window).
--
-- Every effect is either a sum (HINCRBY: counted once thanks to the applied set), a set
-- member (idempotent), or a "last writer wins" field guarded by the event's ORDER key
-- (time, then entry id), so several consumers applying events of one call or agent in a
-- different order than the stream's still end with the same keys.

-- The key model (K_APPLIED, k_call(id), …) and the constants come first, generated from
-- services/stats/keys.py and the Python declarations: no key name is written here.
local ID = ARGV[1]
local WINDOW = tonumber(ARGV[2])
local TTL = tonumber(ARGV[3])
local AUDIT_TTL = tonumber(ARGV[4])

local e = {}
for i = 5, #ARGV, 2 do e[ARGV[i]] = ARGV[i + 1] end

local id_ms, id_seq = string.match(ID, '^(%d+)-(%d+)$')
id_ms, id_seq = tonumber(id_ms), tonumber(id_seq)

-- A script's writes are not undone when it fails half-way, so every field the effects
-- compute with is checked before anything is written: a malformed event fails whole, is not
-- marked applied, and goes to the dead-letter stream after its deliveries.
for _, f in ipairs({'time', 'duration_ms', 'wait_ms', 'attempt', 'amount_minor', 'commission_minor'}) do
  local v = e[f]
  if v ~= nil then
    local num = tonumber(v)
    if num == nil or num ~= math.floor(num) or num > 9e15 or (f == 'time' and num < 0) then
      return redis.error_reply('invalid event: ' .. f .. ' is not a whole number: ' .. string.sub(v, 1, 40))
    end
    -- a writer whose clock stepped back may report a negative length: it counts as none
    if num < 0 then e[f] = '0' end
  end
end

-- A conversation's event names it, and its names separate the fields of its figures ('|').
if string.sub(string.upper(e.type or ''), 1, 13) == 'CONVERSATION_' then
  if (e.conversation_id or '') == '' then return redis.error_reply('invalid event: conversation_id is required') end
  for _, f in ipairs({'queue', 'channel', 'topic', 'agent_id'}) do
    if string.find(e[f] or '', '|', 1, true) then return redis.error_reply('invalid event: ' .. f .. " holds '|'") end
  end
end

-- Exactly once ----------------------------------------------------------------------------
local floor = tonumber(redis.call('GET', K_APPLIED_FLOOR) or '0')
if id_ms < floor or redis.call('ZSCORE', K_APPLIED, ID) then return 'duplicate' end
redis.call('ZADD', K_APPLIED, id_ms, ID)
-- trimmed once a minute's worth of ids has aged out, not on every event
local cut = id_ms - WINDOW
if cut > floor + 60000 then
  redis.call('ZREMRANGEBYSCORE', K_APPLIED, '-inf', '(' .. string.format('%.0f', cut))
  redis.call('SET', K_APPLIED_FLOOR, string.format('%.0f', cut))
end

local TYPE = string.upper(e.type or '')
local T = tonumber(e.time or id_ms)
local TS = string.format('%.0f', T)
local ORDER = string.format('%015.0f|%015.0f-%010.0f', T, id_ms, id_seq)
local TTL_MS = TTL * 1000

local function n(v) return tonumber(v or '0') or 0 end
-- An outbound call's events (direction outbound: the router's callbacks, campaigns and
-- click-to-call) count in fields of their own ('out_*', docs/stats.md), never in the
-- inbound KPIs, and stay off the live board of waiting callers.
local OUT = (e.direction == 'outbound')
local function fmt(x) return string.format('%.0f', x) end

-- The audit trail (services/stats/audit.py): an event with an actor, but the call flow, is an
-- action, kept AUDIT_TTL as '<ms>-<seq>|<fields as JSON>' (the entry id zero-padded, score 0)
-- in the trail and in its actor's: members sort by entry id, so a period is a range of them.
if (e.actor or '') ~= '' and not CALL_FLOW[TYPE] then
  local member = string.format(AUDIT_ID_FORMAT, id_ms, id_seq) .. '|' .. cjson.encode(e)
  local cut = '(' .. string.format(AUDIT_MS_FORMAT, math.max(0, id_ms - AUDIT_TTL * 1000))
  for _, key in ipairs({K_AUDIT, k_audit_by(e.actor)}) do
    redis.call('ZADD', key, 0, member)
    redis.call('ZREMRANGEBYLEX', key, '-', cut)
    redis.call('EXPIRE', key, AUDIT_TTL)
  end
end

-- Buckets: every sum lands in the event's quarter hour and hour (UTC) -----------------------
local function bucket_incr(kind, id, fields)
  if id == nil or id == '' then return end
  for _, span in ipairs(BUCKET_SPANS) do
    local start = math.floor(T / span[2]) * span[2]
    local key = k_bucket(kind, id, span[1], fmt(start))
    for f, by in pairs(fields) do redis.call('HINCRBY', key, f, by) end
    redis.call('EXPIRE', key, TTL)
  end
end

-- Durations by whole seconds, rounded up: "within T s" is "ceil(ms / 1000) <= T".
-- Waits longer than a day share one last field (HISTOGRAM_CAP_S).
local function secs(ms) return math.min(math.ceil(n(ms) / 1000), HISTOGRAM_CAP_S) end

-- Agents ----------------------------------------------------------------------------------

-- Records the agent's state after the event on its timeline and, if this event is the
-- newest seen, as its current state.
local function agent_state(agent_id, state, call_id)
  if agent_id == nil or agent_id == '' or state == nil or state == '' then return end
  redis.call('SADD', K_AGENTS, agent_id)
  local timeline = k_timeline(agent_id)
  redis.call('ZADD', timeline, T, ORDER .. '|' .. state .. '|' .. (e.reason or ''))
  redis.call('ZREMRANGEBYSCORE', timeline, '-inf', '(' .. fmt(T - TTL_MS))
  -- The day's segments (services/stats/timeline.py): the change with its call, in the
  -- agent's key of the event's UTC day, at most MAX_DAY_STATES kept (the oldest cut, counted).
  local day = fmt(math.floor(T / DAY_MS) * DAY_MS)
  local segments = k_agent_day(day, agent_id)
  redis.call('ZADD', segments, T, ORDER .. '|' .. state .. '|' .. (e.reason or '') .. '|' .. (call_id or ''))
  local over = redis.call('ZCARD', segments) - MAX_DAY_STATES
  if over > 0 then
    redis.call('ZREMRANGEBYRANK', segments, 0, over - 1)
    redis.call('HINCRBY', k_agent_trimmed(agent_id), day, over)
  end
  redis.call('EXPIRE', segments, TTL)
  if redis.call('EXISTS', k_agent_trimmed(agent_id)) == 1 then redis.call('EXPIRE', k_agent_trimmed(agent_id), TTL) end
  local key = k_agent(agent_id)
  local last = redis.call('HGET', key, 'order')
  if last == false or ORDER > last then
    local reason = ''
    if state == 'paused' then reason = e.reason or '' end
    redis.call('HSET', key, 'order', ORDER, 'state', state, 'since', TS, 'call', call_id or '',
      'reason', reason)
  end
end

local function agent_queues(agent_id, queues)
  local key = k_agent(agent_id)
  local last = redis.call('HGET', key, 'queues_order')
  if last == false or ORDER > last then
    redis.call('HSET', key, 'queues_order', ORDER, 'queues', queues or '')
  end
  for q in string.gmatch(queues or '', '[^,]+') do redis.call('SADD', K_QUEUES, q) end
end

-- Calls -----------------------------------------------------------------------------------


-- A call id is any SIP Call-ID, ':' included: each kind of key of a call has its own prefix
-- and ends with the id, so no call's key is another call's ("call:<id>:offers" would be the
-- record of the call "<id>:offers").

-- An index lives as long as its newest entry: entries older than the retention are cut,
-- and the whole key expires with the retention after its last write.
local function index(key, score, member, nx)
  if nx then redis.call('ZADD', key, 'NX', score, member) else redis.call('ZADD', key, score, member) end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. fmt(T - TTL_MS))
  redis.call('EXPIRE', key, TTL)
end

local function call_received_at(call_id)
  local r = redis.call('HGET', k_call(call_id), 'received')
  if r then return tonumber(r) end
  if e.wait_ms then return T - n(e.wait_ms) end
  return T
end

-- Moves the call on the live board, if this event is the newest of the call seen.
local function call_live(call_id, queue, state)
  if call_id == nil or call_id == '' or state == nil or state == '' then return end
  local key = k_call(call_id)
  local last = redis.call('HGET', key, 'order')
  if last and ORDER <= last then return end
  local old = redis.call('HGET', key, 'live_queue')
  if old then
    for _, st in ipairs(LIVE) do redis.call('ZREM', k_live(old, st), call_id) end
  end
  redis.call('HSET', key, 'order', ORDER, 'state', state, 'state_since', TS)
  if FINAL[state] or queue == nil or queue == '' or OUT then
    redis.call('HDEL', key, 'live_queue')
    return
  end
  local st = state
  if st == 'routing' then st = 'waiting' end
  redis.call('ZADD', k_live(queue, st), call_received_at(call_id), call_id)
  redis.call('HSET', key, 'live_queue', queue, 'live_agent', (st ~= 'waiting') and (e.agent_id or '') or '')
  redis.call('SADD', K_QUEUES, queue)
end

local function call_set(call_id, ...)
  redis.call('HSET', k_call(call_id), 'id', call_id, ...)
  redis.call('EXPIRE', k_call(call_id), TTL)
end

local function call_index_agent(call_id, agent_id)
  if agent_id == nil or agent_id == '' then return end
  index(k_calls_by('agent', agent_id), call_received_at(call_id), call_id, true)
end

local function offer_set(call_id, ...)
  local key = k_offers(call_id)
  redis.call('HSET', key, ...)
  redis.call('EXPIRE', key, TTL)
end

-- Leads -----------------------------------------------------------------------------------


local function lead_seen(lead_id)
  redis.call('ZADD', K_LEADS, 'NX', T, lead_id)
  redis.call('HSETNX', k_lead(lead_id), 'created', TS)
end

-- The lead's conversation on this call: talk ms once completed, 0 while only answered.
local function lead_talk(call_id)
  local c = redis.call('HMGET', k_call(call_id), 'lead_id', 'answered', 'talk_ms')
  local lead_id = c[1]
  if not lead_id or lead_id == '' or not c[2] then return end
  if c[3] then
    redis.call('HSET', k_lead_talk(lead_id), call_id, c[3])
  else
    redis.call('HSETNX', k_lead_talk(lead_id), call_id, '0')
  end
end

-- The lead's owners over time, so a refusal naming no agent is put on whoever owned the
-- lead at that moment, whatever order the events are applied in.
local function lead_owner_at(lead_id, at)
  local owner = redis.call('ZREVRANGEBYSCORE', k_lead(lead_id) .. ':owners', at, '-inf', 'LIMIT', 0, 1)
  if owner[1] == nil then return '' end
  return string.match(owner[1], '^.*|(.*)$') or ''
end

local function lead_owned(lead_id, owner)
  local key = k_lead(lead_id) .. ':owners'
  redis.call('ZADD', key, T, ORDER .. '|' .. owner)
  redis.call('EXPIRE', key, TTL)
  local h = redis.call('HMGET', k_lead(lead_id), 'refused_at', 'refused_named')
  if h[1] and (h[2] or '') == '' then
    redis.call('HSET', k_lead(lead_id), 'refused_by', lead_owner_at(lead_id, h[1]))
  end
end

local function lead_field_lww(lead_id, field, value)
  local key = k_lead(lead_id)
  local last = redis.call('HGET', key, field .. '_order')
  if last == false or ORDER > last then
    redis.call('HSET', key, field .. '_order', ORDER, field, value)
    return true
  end
  return false
end

-- The lead's pipeline history (S1.9): one entry per LEAD_CREATED, LEAD_ASSIGNED and
-- LEAD_STAGE_CHANGED, '<ORDER>|<JSON: kind, stage, agent, actor, via>' scored by the event's
-- time. Each entry's "from" stage is the stage of the entry before it, found on reading
-- (services/stats/lead_history.py), so events applied in any order give the same history.
-- At most MAX_LEAD_HISTORY are kept: the oldest are cut and counted (history_trimmed), and
-- the stage of the newest cut one kept as the stage the kept history starts from.
local function lead_history(lead_id, kind, stage, agent)
  local key = k_lead_history(lead_id)
  local entry = {k = kind, s = stage, a = agent, by = e.actor or '', via = e.actor_via or ''}
  redis.call('ZADD', key, T, ORDER .. '|' .. cjson.encode(entry))
  local over = redis.call('ZCARD', key) - MAX_LEAD_HISTORY
  if over > 0 then
    local h = k_lead(lead_id)
    for _, member in ipairs(redis.call('ZRANGE', key, 0, over - 1)) do
      local order, json = string.match(member, '^([^|]*|[^|]*)|(.*)$')
      local cut = cjson.decode(json)
      if cut.k ~= 'assigned' and order > (redis.call('HGET', h, 'history_base_order') or '') then
        redis.call('HSET', h, 'history_base_order', order, 'history_base', cut.s)
      end
    end
    redis.call('ZREMRANGEBYRANK', key, 0, over - 1)
    redis.call('HINCRBY', h, 'history_trimmed', over)
  end
end

-- The funnel (services/stats/funnel.py): a lead entering a stage counts 'lead_in:<stage>' in
-- the event's buckets of everyone's ('funnel', 'all'), of its agent's and of the queues the
-- agent is logged in to as stats knows them when applying (their team: 'team', <queue>).
local function lead_funnel(stage, agent)
  if not LEAD_STAGES[stage] then return end  -- a foreign writer's stage: no field of its own
  local f = {['lead_in:' .. stage] = 1}
  bucket_incr('funnel', 'all', f)
  if agent == '' then return end
  bucket_incr('agent', agent, f)
  for q in string.gmatch(redis.call('HGET', k_agent(agent), 'queues') or '', '[^,]+') do
    bucket_incr('team', q, f)
  end
end

-- The event -------------------------------------------------------------------------------

local call_id, agent_id, queue = e.call_id or '', e.agent_id or '', e.queue or ''

-- Outbound calls (direction outbound) ----------------------------------------------------
-- Their sums, per queue, campaign and agent (docs/stats.md "Outbound"): out_calls (made),
-- out_offered (previews offered to the agent), out_declined / out_preview_timeout /
-- out_cancelled (previews not taken), out_dialed, out_connected, out_not_connected with
-- nc:<reason>, out_handled, out_talk_ms, ot:<talk s> (conversations over any threshold),
-- out_wrap_ms, out_conversions (a called lead moving to a converting stage).
-- (CALL_OFFERED, OFFER_MISSED and CALL_OVERFLOWED are the inbound branches', their counters
-- chosen by OUT)
local OUTBOUND_TYPES = {CALL_RECEIVED = true, CALL_DIALING = true, CALL_ANSWERED = true,
  CALL_COMPLETED = true, CALL_NOT_CONNECTED = true, CALL_TIMED_OUT = true, CALL_ABANDONED = true}
local PREVIEW_MISSES = {declined = 'out_declined', timeout = 'out_preview_timeout'}

local function out_incr(fields, with_agent)
  bucket_incr('queue', queue, fields)
  bucket_incr('campaign', e.campaign_id, fields)
  if with_agent then bucket_incr('agent', agent_id, fields) end
end

-- One of the event's attributes (a JSON object), '' when absent.
local function attribute(name)
  if not e.attributes or e.attributes == '' then return '' end
  local ok, attrs = pcall(cjson.decode, e.attributes)
  if ok and type(attrs) == 'table' and attrs[name] ~= nil then return tostring(attrs[name]) end
  return ''
end

-- The invoice queue (S2.7): a call about an invoice (attributes.invoice_id) records its
-- result on the invoice; once one reached the customer the invoice leaves the queue.
local function invoice_called(result)
  local invoice = redis.call('HGET', k_call(call_id), 'invoice')
  if not invoice or redis.call('EXISTS', k_invoice(invoice)) == 0 then return end
  local key = k_invoice(invoice)
  local last = redis.call('HGET', key, 'call_order')
  redis.call('HINCRBY', key, 'call_attempts', 1)
  if last and ORDER <= last then return end
  redis.call('HSET', key, 'call_order', ORDER, 'call_id', call_id, 'call_result', result,
    'called_at', TS, 'called_by', agent_id, 'calling', '0')
  if result == 'reached' then redis.call('ZREM', K_INVOICE_QUEUE, invoice) end
end

local function outbound_event()
  local campaign = e.campaign_id or ''
  if campaign ~= '' then redis.call('SADD', K_CAMPAIGNS, campaign) end
  local a = e.attempt or '0'
  if TYPE == 'CALL_RECEIVED' then
    local lead_id = e.lead_id or ''
    call_set(call_id, 'caller', e.caller or '', 'queue', queue, 'received', TS, 'lead_id', lead_id,
      'attributes', e.attributes or '', 'q:' .. queue, '1', 'direction', 'outbound',
      'campaign', campaign, 'callback', e.callback_id or '')
    index(K_CALLS, T, call_id, false)
    index(k_calls_by('queue', queue), T, call_id, false)
    if (e.caller or '') ~= '' then index(k_calls_by('caller', e.caller), T, call_id, false) end
    redis.call('SADD', K_QUEUES, queue)
    out_incr({out_calls = 1}, false)
    local invoice = attribute('invoice_id')
    if invoice ~= '' and redis.call('EXISTS', k_invoice(invoice)) == 1 then
      call_set(call_id, 'invoice', invoice)
      redis.call('HSET', k_invoice(invoice), 'call_id', call_id, 'calling', '1')
    end
    if lead_id ~= '' then
      lead_seen(lead_id)
      redis.call('ZADD', k_lead_attempts(lead_id), T, call_id)
      lead_talk(call_id)
      if campaign ~= '' then redis.call('HSET', k_lead(lead_id), 'campaign', campaign) end
    end
    call_live(call_id, queue, e.call_state)
  elseif TYPE == 'CALL_DIALING' then
    offer_set(call_id, a .. ':agent', agent_id, a .. ':outcome', 'dialing', a .. ':ring_ms', e.duration_ms or '0')
    call_set(call_id, 'dialed', TS, 'agent', agent_id)
    call_index_agent(call_id, agent_id)
    out_incr({out_dialed = 1}, true)
    agent_state(agent_id, e.agent_state, call_id)
    call_live(call_id, queue, e.call_state)
  elseif TYPE == 'CALL_ANSWERED' then
    offer_set(call_id, a .. ':agent', agent_id, a .. ':outcome', 'answered')
    call_set(call_id, 'answered', TS, 'agent', agent_id, 'wait_ms', e.wait_ms or '0', 'final_queue', queue)
    call_index_agent(call_id, agent_id)
    out_incr({out_connected = 1}, true)
    lead_talk(call_id)
    agent_state(agent_id, e.agent_state, call_id)
    call_live(call_id, queue, e.call_state)
  elseif TYPE == 'CALL_COMPLETED' then
    call_set(call_id, 'ended', TS, 'outcome', 'completed', 'talk_ms', e.duration_ms or '0', 'agent', agent_id)
    out_incr({out_handled = 1, out_talk_ms = n(e.duration_ms), ['ot:' .. secs(e.duration_ms)] = 1}, true)
    invoice_called('reached')
    lead_talk(call_id)
    local wrap_call = ''
    if e.agent_state == 'wrap_up' then wrap_call = call_id end
    agent_state(agent_id, e.agent_state, wrap_call)
    call_live(call_id, queue, e.call_state)
  else -- CALL_NOT_CONNECTED, and the queue's limits ending an outbound call (CALL_TIMED_OUT, ...)
    local reason = e.reason or ''
    if TYPE == 'CALL_TIMED_OUT' then reason = 'timed_out'
    elseif TYPE == 'CALL_ABANDONED' and reason == '' then reason = 'hangup'
    elseif reason == '' then reason = 'failed' end
    call_set(call_id, 'ended', TS, 'outcome', 'not_connected', 'reason', reason,
      'wait_ms', e.wait_ms or '0', 'final_queue', queue)
    local fields = {out_not_connected = 1, ['nc:' .. reason] = 1}
    out_incr(fields, false)
    -- the agent's figures count the dial they were on (not a preview they had not taken)
    if agent_id ~= '' and redis.call('HGET', k_offers(call_id), a .. ':outcome') == 'dialing' then
      offer_set(call_id, a .. ':outcome', reason)
      bucket_incr('agent', agent_id, fields)
    end
    agent_state(agent_id, e.agent_state, '')
    call_live(call_id, queue, 'not_connected')
    invoice_called(reason)
  end
end

-- A lead a campaign called moving to a converting stage (a sale): the campaign's conversion,
-- once per lead.
local function lead_converted(lead_id, stage)
  if not CONVERTING_STAGES[stage] then return end
  local campaign = redis.call('HGET', k_lead(lead_id), 'campaign')
  if not campaign or campaign == '' then return end
  if redis.call('HSETNX', k_lead(lead_id), 'converted_for', campaign) == 1 then
    bucket_incr('campaign', campaign, {out_conversions = 1})
  end
end

-- Conversations (issue 21; services/stats/conversation_board.py, conversation_stats.py) ------
-- conversation:<id> holds the conversation now for the board: queue, channel, topic and agent
-- of its newest event, its state and overdue (an OVERDUE newer than every REPLIED), each
-- decided by event ORDER, so events applied in any order end the same. The state is the
-- router's: unanswered while a customer's MESSAGE is newer than every REPLIED (reason
-- unanswered; any reason once replied to: written while back in the line after a reply, it
-- waits for whoever takes it), else answered once replied to; otherwise taken when someone
-- holds it; held by nobody it is new; a CLOSED ends it. An assignment or a transfer keeps the
-- state (the router's held_state: a chat taken from the line is as it was). And the times its
-- figures count from: created (its first message), assigned (its first assignment), waiting
-- (the customer's oldest message since the agent's last reply), first_replied. Open ones are
-- indexed (all, by queue, by agent). Figures land in the event's ('conversations', 'all')
-- buckets as '<figure>|<queue>|<channel>|<topic>|<agent>' (the event's agent; created: the
-- agent holding it now or last, created_for).
local function conversation_event()
  local id, key = e.conversation_id, k_conversation(e.conversation_id)
  local c, flat = {}, redis.call('HGETALL', key)
  for i = 1, #flat, 2 do c[flat[i]] = flat[i + 1] end
  local q, ch, tp = e.queue or c.queue or '', e.channel or c.channel or '', e.topic or c.topic or ''
  local function figures(at, agent, fields)
    for _, span in ipairs(BUCKET_SPANS) do
      local bucket = k_bucket(CONVERSATION_BUCKET, 'all', span[1], fmt(math.floor(at / span[2]) * span[2]))
      for f, by in pairs(fields) do redis.call('HINCRBY', bucket, table.concat({f, q, ch, tp, agent}, '|'), by) end
      redis.call('EXPIRE', bucket, TTL)
    end
  end
  local function since(t) return t and math.max(0, T - n(t)) or 0 end
  local function newer(field, value)  -- this event is the newest of its kind: value is its
    if ORDER <= (c[field .. '_order'] or '') then return end
    c[field .. '_order'], c[field] = ORDER, value
    redis.call('HSET', key, field .. '_order', ORDER, field, value)
  end
  if TYPE == 'CONVERSATION_CREATED' or TYPE == 'CONVERSATION_MESSAGE' then
    redis.call('HSETNX', key, 'created', TS)
    if TYPE == 'CONVERSATION_CREATED' then
      figures(T, c.holder or '', {created = 1})
      redis.call('HSET', key, 'created_for', c.holder or '')
    else
      newer('said', TS)
      if e.reason == 'unanswered' then newer('unanswered', TS) end
      redis.call('HSETNX', key, 'waiting', TS)
    end
  elseif TYPE == 'CONVERSATION_ASSIGNED' or TYPE == 'CONVERSATION_TRANSFERRED' then
    if agent_id ~= '' and ORDER < (c.first_agent_order or '~') then  -- the first agent so far
      redis.call('HSET', key, 'first_agent', agent_id, 'first_agent_order', ORDER, 'assigned', TS)
    end
  elseif TYPE == 'CONVERSATION_REPLIED' then
    if not c.first_replied then
      redis.call('HSET', key, 'first_replied', TS)
      figures(T, agent_id, {first_replies = 1, first_response_ms = since(c.created)})
    elseif c.waiting then
      figures(T, agent_id, {replies = 1, reply_ms = since(c.waiting)})
    end
    redis.call('HDEL', key, 'waiting')
    newer('replied', TS)
  elseif TYPE == 'CONVERSATION_OVERDUE' then
    figures(T, agent_id, {overdue = 1})
    newer('late', TS)
  elseif TYPE == 'CONVERSATION_CLOSED' then
    local f = {closed = 1}
    if c.assigned then f.handled, f.handle_ms = 1, since(c.assigned) end
    figures(T, agent_id, f)
    redis.call('HSET', key, 'closed', TS)
    c.closed = TS
  end
  redis.call('EXPIRE', key, TTL)
  -- the board: the newest event's queue and agent, the state and overdue flag they decide
  if c.queue then redis.call('SREM', k_open_conversations_by('queue', c.queue), id) end
  if (c.agent or '') ~= '' then redis.call('SREM', k_open_conversations_by('agent', c.agent), id) end
  newer('agent', agent_id)
  -- created counts for the agent who holds it (or held it last): moved on a change of hands
  if agent_id ~= '' then newer('holder', agent_id) end
  if c.created_for and c.holder and c.created_for ~= c.holder then
    figures(n(c.created), c.created_for, {created = -1})
    figures(n(c.created), c.holder, {created = 1})
    redis.call('HSET', key, 'created_for', c.holder)
  end
  if ORDER > (c.order or '') then c.order, c.queue, c.channel, c.topic = ORDER, q, ch, tp end
  local replied = c.replied_order or ''
  local state = 'taken'
  if (c.unanswered_order or '') > replied or (replied ~= '' and (c.said_order or '') > replied) then
    state = 'unanswered'
  elseif replied ~= '' then state = 'answered' end
  if c.closed then state = 'closed'
  elseif c.agent == '' then state = 'new' end
  local overdue = ((c.late_order or '') > (c.replied_order or '')) and '1' or '0'
  redis.call('HSET', key, 'order', c.order, 'queue', c.queue, 'channel', c.channel, 'topic', c.topic,
    'state', state, 'overdue', overdue)
  if state == 'closed' then
    redis.call('ZREM', K_OPEN_CONVERSATIONS, id)
    return
  end
  redis.call('ZADD', K_OPEN_CONVERSATIONS, n(redis.call('HGET', key, 'created')), id)
  redis.call('SADD', k_open_conversations_by('queue', c.queue), id)
  if c.agent ~= '' then redis.call('SADD', k_open_conversations_by('agent', c.agent), id) end
  redis.call('SADD', K_QUEUES, c.queue)
end

if TYPE == 'AGENT_LOGGED_IN' then
  agent_queues(agent_id, e.queues)
  agent_state(agent_id, e.agent_state, '')
elseif TYPE == 'AGENT_UPDATED' then
  -- a logged-in agent's profile changed (UpsertAgent): their session's queues are the new ones
  if (e.agent_state or 'logged_out') ~= 'logged_out' then agent_queues(agent_id, e.queues) end
elseif TYPE == 'AGENT_LOGGED_OUT' or TYPE == 'AGENT_PAUSED' or TYPE == 'AGENT_RESUMED' then
  agent_state(agent_id, e.agent_state, '')
elseif TYPE == 'AGENT_WRAP_UP_ENDED' then
  agent_state(agent_id, e.agent_state, '')
  local wrap = {wrap_ms = n(e.duration_ms), wrap_ups = 1}
  if OUT then wrap = {out_wrap_ms = n(e.duration_ms), out_wrap_ups = 1} end
  bucket_incr('agent', agent_id, wrap)
  bucket_incr('queue', queue, wrap)
  if OUT then bucket_incr('campaign', e.campaign_id, wrap) end
  if call_id ~= '' then call_set(call_id, 'wrap_ms', e.duration_ms or '0') end
elseif OUT and OUTBOUND_TYPES[TYPE] then
  outbound_event()
elseif TYPE == 'CALL_RECEIVED' then
  -- the deal the PBX named (RouteCall deal_id), else the attributes' lead_id
  local lead_id = e.lead_id or ''
  if lead_id == '' then lead_id = attribute('lead_id') end
  call_set(call_id, 'caller', e.caller or '', 'queue', queue, 'received', TS, 'lead_id', lead_id,
    'attributes', e.attributes or '', 'q:' .. queue, '1')
  -- a board entry made before this event (out of order) gets the true arrival time
  local live = redis.call('HGET', k_call(call_id), 'live_queue')
  if live then
    for _, st in ipairs(LIVE) do redis.call('ZADD', k_live(live, st), 'XX', T, call_id) end
  end
  index(K_CALLS, T, call_id, false)
  index(k_calls_by('queue', queue), T, call_id, false)
  if (e.caller or '') ~= '' then index(k_calls_by('caller', e.caller), T, call_id, false) end
  -- offers applied before this event (out of order) indexed the call under their agents by
  -- a guessed arrival time: the true one replaces it
  local offers = redis.call('HGETALL', k_offers(call_id))
  for i = 1, #offers, 2 do
    if string.sub(offers[i], -6) == ':agent' and offers[i + 1] ~= '' then
      redis.call('ZADD', k_calls_by('agent', offers[i + 1]), 'XX', T, call_id)
    end
  end
  redis.call('SADD', K_QUEUES, queue)
  bucket_incr('queue', queue, {offered = 1})
  if lead_id ~= '' then
    lead_seen(lead_id)
    redis.call('ZADD', k_lead_attempts(lead_id), T, call_id)
    lead_talk(call_id)
  end
  call_live(call_id, queue, e.call_state)
elseif TYPE == 'CALL_QUEUED' then
  call_set(call_id, 'queued', '1')
  bucket_incr('queue', queue, {queued = 1})
  call_live(call_id, queue, e.call_state)
elseif TYPE == 'CALL_OFFERED' then
  local a = e.attempt or '0'
  offer_set(call_id, a .. ':agent', agent_id)
  redis.call('HSETNX', k_offers(call_id), a .. ':outcome', 'ringing')
  call_set(call_id, 'last_queue', queue, 'q:' .. queue, '1')
  call_index_agent(call_id, agent_id)
  bucket_incr('agent', agent_id, {[OUT and 'out_offered' or 'offered'] = 1})
  agent_state(agent_id, e.agent_state, call_id)
  call_live(call_id, queue, e.call_state)
elseif TYPE == 'CALL_ANSWERED' then
  local a = e.attempt or '0'
  -- ASA counts from entering the answering queue: the router says how long that was
  -- (attributes.queue_wait_ms, after an overflow shorter than wait_ms)
  local queue_wait = e.wait_ms
  if tonumber(attribute('queue_wait_ms')) then queue_wait = attribute('queue_wait_ms') end
  -- a late answer of an offer the router had expired: the miss it counted is taken back
  local revoked = attribute('revoked_miss') == 'timeout'
  local ring = n(e.duration_ms)
  if revoked then
    local counted = n(redis.call('HGET', k_offers(call_id), a .. ':ring_ms'))
    bucket_incr('agent', agent_id, {missed = -1})
    ring = ring - counted -- the miss already counted its part of the ring time
  end
  offer_set(call_id, a .. ':agent', agent_id, a .. ':outcome', 'answered', a .. ':ring_ms', e.duration_ms or '0')
  call_set(call_id, 'answered', TS, 'agent', agent_id, 'wait_ms', e.wait_ms or '0', 'final_queue', queue)
  call_index_agent(call_id, agent_id)
  index(k_calls_by('queue', queue), call_received_at(call_id), call_id, true)
  bucket_incr('agent', agent_id, {answered = 1, ring_ms = ring})
  bucket_incr('queue', queue, {answered = 1, answer_wait_ms = n(queue_wait), ['w:' .. secs(queue_wait)] = 1})
  lead_talk(call_id)
  agent_state(agent_id, e.agent_state, call_id)
  call_live(call_id, queue, e.call_state)
elseif TYPE == 'OFFER_MISSED' then
  local a = e.attempt or '0'
  local reason = e.reason or 'no_answer'
  if redis.call('HGET', k_offers(call_id), a .. ':outcome') ~= 'answered' then -- a late answer stands
    offer_set(call_id, a .. ':agent', agent_id, a .. ':outcome', reason, a .. ':ring_ms', e.duration_ms or '0')
  end
  call_index_agent(call_id, agent_id)
  local field = 'missed'
  if OUT then
    -- a preview not taken; a dial whose agent leg was not answered (no_answer) is the agent's miss
    field = PREVIEW_MISSES[reason] or ((reason == 'no_answer') and 'out_agent_missed' or 'out_cancelled')
    bucket_incr('agent', agent_id, {[field] = 1})
  else
    if reason == 'rejected' then field = 'rejected'
    elseif reason == 'busy' then field = 'busy'
    elseif reason == 'caller_hangup' then field = 'caller_hung_up'
    elseif CANCELLED[reason] then field = 'cancelled' end
    bucket_incr('agent', agent_id, {[field] = 1, ring_ms = n(e.duration_ms)})
  end
  agent_state(agent_id, e.agent_state, '')
  if not FINAL[e.call_state or ''] then call_live(call_id, queue, e.call_state) end
elseif TYPE == 'CALL_COMPLETED' then
  call_set(call_id, 'ended', TS, 'outcome', 'completed', 'talk_ms', e.duration_ms or '0', 'agent', agent_id)
  bucket_incr('agent', agent_id, {handled = 1, talk_ms = n(e.duration_ms), ['t:' .. secs(e.duration_ms)] = 1})
  bucket_incr('queue', queue, {handled = 1, talk_ms = n(e.duration_ms)})
  lead_talk(call_id)
  local wrap_call = ''
  if e.agent_state == 'wrap_up' then wrap_call = call_id end
  agent_state(agent_id, e.agent_state, wrap_call)
  call_live(call_id, queue, e.call_state)
elseif TYPE == 'CALL_ABANDONED' then
  call_set(call_id, 'ended', TS, 'outcome', 'abandoned', 'wait_ms', e.wait_ms or '0', 'final_queue', queue)
  bucket_incr('queue', queue, {abandoned = 1, abandon_wait_ms = n(e.wait_ms), ['a:' .. secs(e.wait_ms)] = 1})
  call_live(call_id, queue, 'abandoned')
elseif TYPE == 'CALL_TIMED_OUT' then
  call_set(call_id, 'ended', TS, 'outcome', 'timed_out', 'wait_ms', e.wait_ms or '0', 'final_queue', queue)
  bucket_incr('queue', queue, {timed_out = 1})
  call_live(call_id, queue, 'timed_out')
elseif TYPE == 'CALL_OVERFLOWED' then
  if OUT then out_incr({out_overflowed = 1}, false) else bucket_incr('queue', queue, {overflowed = 1}) end
  local target = attribute('overflow_queue')
  if target ~= '' then
    call_set(call_id, 'q:' .. target, '1') -- every queue the call went through (queue filter)
    if not OUT then bucket_incr('queue', target, {offered = 1}) end
    index(k_calls_by('queue', target), call_received_at(call_id), call_id, true)
    redis.call('SADD', K_QUEUES, target)
    call_live(call_id, target, 'waiting')
  end
  if e.call_state == 'redirected' then
    call_set(call_id, 'ended', TS, 'outcome', 'redirected', 'wait_ms', e.wait_ms or '0', 'final_queue', queue)
    call_live(call_id, queue, 'redirected')
  end
elseif TYPE == 'CAMPAIGN_CONTACT_DONE' then
  -- a campaign's contact ended: reached, exhausted (attempts spent) or skipped (do-not-call, ...)
  local campaign = e.campaign_id or ''
  if campaign ~= '' and (e.reason or '') ~= '' then
    redis.call('SADD', K_CAMPAIGNS, campaign)
    bucket_incr('campaign', campaign, {['contact:' .. e.reason] = 1})
  end
elseif TYPE == 'RECORDING_STORED' then
  if call_id ~= '' and (e.recording_id or '') ~= '' then
    redis.call('SADD', k_recordings(call_id), e.recording_id)
    redis.call('EXPIRE', k_recordings(call_id), TTL)
  end
elseif TYPE == 'RECORDING_DELETED' then
  if call_id ~= '' and (e.recording_id or '') ~= '' then
    redis.call('SREM', k_recordings(call_id), e.recording_id)
    -- a record stored before recordings had keys of their own (read as a fallback until it
    -- expires); that name may also be the record (a hash) of the call "<id>:recordings"
    local legacy = k_call(call_id) .. ':recordings'
    if redis.call('TYPE', legacy)['ok'] == 'set' then redis.call('SREM', legacy, e.recording_id) end
  end
elseif TYPE == 'LEAD_CREATED' then
  local lead_id = e.lead_id or ''
  if lead_id ~= '' then
    redis.call('ZADD', K_LEADS, T, lead_id)
    redis.call('HSET', k_lead(lead_id), 'created', TS)
    if e.attributes and e.attributes ~= '' then  -- the client's phone number (CreateLead)
      local ok, attrs = pcall(cjson.decode, e.attributes)
      if ok and type(attrs) == 'table' and type(attrs.client_number) == 'string' then
        redis.call('HSET', k_lead(lead_id), 'client', attrs.client_number)
      end
    end
    local stage = (e.lead_stage or '') ~= '' and e.lead_stage or 'lead'
    lead_field_lww(lead_id, 'stage', stage)
    if agent_id ~= '' then
      lead_field_lww(lead_id, 'agent', agent_id)
      lead_owned(lead_id, agent_id)
    end
    lead_history(lead_id, 'created', stage, agent_id)
    lead_funnel(stage, agent_id)
  end
elseif TYPE == 'LEAD_ASSIGNED' then
  local lead_id = e.lead_id or ''
  if lead_id ~= '' then
    lead_seen(lead_id)
    lead_field_lww(lead_id, 'agent', agent_id)
    lead_owned(lead_id, agent_id)
    lead_history(lead_id, 'assigned', '', agent_id)
  end
elseif TYPE == 'LEAD_STAGE_CHANGED' then
  local lead_id = e.lead_id or ''
  if lead_id ~= '' then
    lead_seen(lead_id)
    local by = agent_id
    if by == '' then by = lead_owner_at(lead_id, TS) end
    lead_history(lead_id, 'stage', e.lead_stage or '', by)
    lead_converted(lead_id, e.lead_stage or '')
    lead_funnel(e.lead_stage or '', by)
    if lead_field_lww(lead_id, 'stage', e.lead_stage or '') then
      if e.lead_stage == 'refused' then
        local by = agent_id
        if by == '' then by = lead_owner_at(lead_id, TS) end
        redis.call('HSET', k_lead(lead_id), 'refused_at', TS, 'refused_by', by, 'refused_named', agent_id)
      else
        redis.call('HDEL', k_lead(lead_id), 'refused_at', 'refused_by', 'refused_named')
      end
    end
  end
elseif TYPE == 'INVOICE_PAID' then
  -- an invoice became paid (scripts/report_payment.lua fixed its commission): its sums land in
  -- the agent's sales buckets of that time, counted once like every event (services/stats/payroll.py)
  local currency = e.currency or ''
  if agent_id ~= '' and currency ~= '' then
    bucket_incr(SALES_BUCKET, agent_id, {['paid:' .. currency] = 1, ['amount:' .. currency] = n(e.amount_minor),
      ['commission:' .. currency] = n(e.commission_minor)})
    redis.call('SADD', K_SALES_AGENTS, agent_id)
  end
elseif TYPE == 'CONVERSATION_RULE_RELAXED' then
  -- a waiting conversation's routing stage relaxed: its state, agent and figures stay
elseif string.sub(TYPE, 1, 13) == 'CONVERSATION_' then
  conversation_event()
elseif TYPE == 'TEAM_UPDATED' or TYPE == 'TEAM_DELETED' then
  -- the router's teams (whose pay rules apply: services/stats/pay_rules.py), the newest event
  -- of a team winning; members comma-separated as the stream writes repeated fields
  local team = e.team_id or ''
  if team ~= '' then
    local key = k_team_members(team)
    local last = redis.call('HGET', key, 'order')
    if last == false or ORDER > last then
      local deleted = (TYPE == 'TEAM_DELETED') and '1' or '0'
      local members = (deleted == '1') and '' or (e.member_agent_ids or '')
      redis.call('HSET', key, 'order', ORDER, 'members', members, 'deleted', deleted)
      redis.call('SADD', K_TEAMS, team)
    end
  end
end
-- Unknown types (CALL_RULE_RELAXED, CLIENT_REASSIGNED, newer ones) only count as applied.
-- Nothing else is written per event: WatchBoard learns what was applied from K_APPLIED.
return 'applied'
