-- Records what came of one attempt, in the delivery log, and moves the delivery on:
-- delivered (out of its subject's queue; the next one comes due), or due again after a
-- backoff, or, after the last attempt, a dead letter (and its subject's queue moves on).
-- An answer for an attempt that is no longer the current one (its lease ran out and another
-- replica sent it again; the subscription was deleted) changes nothing.
--
-- ARGV[1] delivery id, ARGV[2] attempt, ARGV[3] '1' delivered / '0' failed,
-- ARGV[4] HTTP status (0: none), ARGV[5] error, ARGV[6] duration ms,
-- ARGV[7] max attempts, ARGV[8] backoff before the next attempt (ms), ARGV[9] log length,
-- ARGV[10] dead letters kept.
-- Returns 'delivered', 'retrying', 'dead' or 'stale'.
local ID, ATTEMPT, OK = ARGV[1], ARGV[2], ARGV[3] == '1'
local STATUS, ERROR, DURATION = ARGV[4], ARGV[5], math.max(0, tonumber(ARGV[6]))
local MAX_ATTEMPTS, BACKOFF, LOG_LENGTH, MAX_DEAD =
  tonumber(ARGV[7]), math.max(0, tonumber(ARGV[8])), ARGV[9], tonumber(ARGV[10])

local d = hgetall(k_delivery(ID))
if d.sub == nil or d.state ~= 'sending' or d.attempt ~= ATTEMPT then return 'stale' end
if redis.call('EXISTS', k_sub(d.sub)) == 0 then return 'stale' end

local outcome
if OK then
  outcome = 'delivered'
elseif tonumber(ATTEMPT) >= MAX_ATTEMPTS then
  outcome = 'dead'
else
  outcome = 'retrying'
end
redis.call('XADD', k_log(d.sub), 'MAXLEN', LOG_LENGTH, '*', 'delivery_id', ID, 'event_id', d.event_id,
  'type', d.type, 'subject', d.subject, 'attempt', ATTEMPT, 'outcome', outcome, 'status', STATUS,
  'error', ERROR, 'duration_ms', fmt(DURATION))

if outcome == 'delivered' then
  pop(d.sub, d.subject, ID)
  redis.call('DEL', k_delivery(ID))
elseif outcome == 'dead' then
  pop(d.sub, d.subject, ID)
  dead_letter(d.sub, ID, ERROR, MAX_DEAD)
else
  redis.call('HSET', k_delivery(ID), 'state', 'retrying', 'error', ERROR)
  redis.call('ZADD', K_DUE, NOW + BACKOFF, ID)
end
return outcome
