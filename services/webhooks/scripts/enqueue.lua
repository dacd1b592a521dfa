-- Queues one event of the stream for every subscription whose filters it matches, exactly
-- once: the event's id is recorded as queued in the same call, so a redelivered event (a
-- replica that died before XACK, a second replica taking it over) queues nothing again.
--
-- ARGV[1] the event's entry id ("<ms>-<seq>")
-- ARGV[2] dedupe window in ms (queued ids are remembered this long, by entry time)
-- ARGV[3] the event's type, upper case without EVENT_TYPE_ ("CALL_ANSWERED")
-- ARGV[4] the event's queues, comma-separated (its queue first)
-- ARGV[5] the event's subject (call id, else lead id, else agent id, else "site")
-- ARGV[6] the event as JSON
-- ARGV[7] most deliveries queued per subject, ARGV[8] per subscription, ARGV[9] dead letters kept
-- Returns {'queued' | 'duplicate', deliveries queued, deliveries overflowed into dead letters}.
local ID, WINDOW, TYPE, QUEUES, SUBJECT, BODY = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local MAX_SUBJECT, MAX_SUB, MAX_DEAD = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])

local id_ms = tonumber(string.match(ID, '^(%d+)-%d+$') or '0')
local floor = tonumber(redis.call('GET', K_APPLIED_FLOOR) or '0')
if id_ms < floor or redis.call('ZSCORE', K_APPLIED, ID) then return {'duplicate', 0, 0} end
redis.call('ZADD', K_APPLIED, id_ms, ID)
local cut = id_ms - WINDOW
if cut > floor + 60000 then
  redis.call('ZREMRANGEBYSCORE', K_APPLIED, '-inf', '(' .. fmt(cut))
  redis.call('SET', K_APPLIED_FLOOR, fmt(cut))
end

local queued, overflowed = 0, 0
local queues = ',' .. QUEUES .. ','
for _, sub_id in ipairs(redis.call('ZRANGE', K_SUBS, 0, -1)) do
  local f = redis.call('HMGET', k_sub(sub_id), 'types', 'queue')
  local types, queue = f[1] or '', f[2] or ''
  local wanted = (types == '' or string.find(types, ',' .. TYPE .. ',', 1, true) ~= nil)
    and (queue == '' or string.find(queues, ',' .. queue .. ',', 1, true) ~= nil)
  if wanted then
    local id = sub_id .. '.' .. ID
    redis.call('HSET', k_delivery(id), 'sub', sub_id, 'event_id', ID, 'type', TYPE, 'subject', SUBJECT,
      'body', BODY, 'attempt', '0', 'state', 'queued', 'created_ms', fmt(NOW))
    if push(sub_id, SUBJECT, id, MAX_SUBJECT, MAX_SUB) then
      queued = queued + 1
    else
      dead_letter(sub_id, id, 'queue full', MAX_DEAD)
      overflowed = overflowed + 1
    end
  end
end
return {'queued', queued, overflowed}
