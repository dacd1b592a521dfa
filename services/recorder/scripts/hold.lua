-- Sets or lifts a recording's legal hold; a change records who made it when on the entry
-- (legal_hold_by, legal_hold_via, legal_hold_at) and appends its RECORDING_LEGAL_HOLD_CHANGED
-- event, atomically (docs/security.md, "Audit"). Setting what is set already changes nothing.
-- KEYS: 1 recording hash, 2 the event stream
-- ARGV: 1 '1' (hold) or '0', 2 the event (JSON object of its fields), 3 the stream's MAXLEN,
--       4 actor, 5 the credential that relayed it, 6 the time (ms)
-- Returns 1, or 0 when there is no such recording.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if (redis.call('HGET', KEYS[1], 'legal_hold') or '0') == ARGV[1] then
  return 1
end
local refused = wrong_key_type({'hash', 'stream'}, 'the hold is unchanged')
if refused then return refused end
redis.call('HSET', KEYS[1], 'legal_hold', ARGV[1], 'legal_hold_by', ARGV[4], 'legal_hold_via', ARGV[5],
  'legal_hold_at', ARGV[6])
local event = {KEYS[2], 'MAXLEN', '~', ARGV[3], '*'}
for name, value in pairs(cjson.decode(ARGV[2])) do
  event[#event + 1] = name
  event[#event + 1] = value
end
redis.call('XADD', unpack(event))
return 1
