-- ChangeLeadStage (S1.9): checks a lead's move against its stage now and appends the
-- LEAD_STAGE_CHANGED event in the same atomic step.
--
-- KEYS[1]  the tenant's key prefix ("cc:{tenant}:"); the stats keys below start with it
-- KEYS[2]  the tenant's event stream
-- ARGV[1]  the lead id
-- ARGV[2]  the stage it moves to
-- ARGV[3]  the event's time in ms
-- ARGV[4]  the stream's MAXLEN (approximate)
-- ARGV[5]  how many stages the move is allowed from (n), then those n stages
-- ARGV[6+n…] the entry's fields, name, value, name, value…
--
-- Returns {'appended', <entry id>} or {'refused', <stage now>}.
--
-- The stage now is the newer (by ORDER: event time, then entry id) of the stage ingest has
-- applied (lead:<id> stage, stage_order) and the one this script last accepted (lead:<id>:gate),
-- which covers moves appended but not applied yet. Redis runs one script at a time, so of two
-- racing moves the second is checked against the first: payment then in_work is refused
-- (unless configured), and only accepted moves reach the stream and the history.
local lead_id, to, time_ms, maxlen = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local n = tonumber(ARGV[5])
local allowed = {}
for i = 6, 5 + n do allowed[ARGV[i]] = true end
local fields = {}
for i = 6 + n, #ARGV do fields[#fields + 1] = ARGV[i] end

local applied = redis.call('HMGET', k_lead(lead_id), 'stage', 'stage_order')
local gate = redis.call('HMGET', k_lead_gate(lead_id), 'stage', 'stage_order')
local now, order = applied[1] or '', applied[2] or ''
if gate[1] and (gate[2] or '') > order then now = gate[1] end
-- a lead stats knows no stage of (not created, or not applied yet) may move anywhere
if now ~= '' and not allowed[now] then return {'refused', now} end

local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, '*', unpack(fields))
local ms, seq = string.match(id, '^(%d+)-(%d+)$')
redis.call('HSET', k_lead_gate(lead_id), 'stage', to,
  'stage_order', string.format('%015.0f|%015.0f-%010.0f', time_ms, tonumber(ms), tonumber(seq)))
-- only needed until ingest has applied the move (lead:<id> then says the same)
redis.call('EXPIRE', k_lead_gate(lead_id), GATE_TTL_S)
return {'appended', id}
