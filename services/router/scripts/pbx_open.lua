-- A PBX opens or resumes its session (PbxSession's hello): the lease starts, its ring timer
-- mode is stored. ARGS[1] PBX id, ARGS[2] lease (ms), ARGS[3] ring timer ('router'|'pbx'),
-- ARGS[4] the sequence to resume after ('0' = from now), ARGS[5] '1' to end the PBX's open
-- calls (it restarted and lost them).
-- Replies {ok, seq (the newest sequence), lease_until, open_calls}, or out_of_range when
-- the resume point is ahead of the stream or already trimmed.
local pbx_id, lease_ms, ring_timer = ARGS[1], tonumber(ARGS[2]), ARGS[3]
local resume_after, end_open = tonumber(ARGS[4]), ARGS[5] == '1'
local h = hgetall(k_pbx(pbx_id))
local seq = tonumber(h.seq or 0) or 0
if resume_after > seq then
  return fail('out_of_range', 'resume_after_sequence ' .. ARGS[4] .. ' is ahead of PBX ' .. pbx_id ..
    "'s newest message (" .. seq .. ')')
end
if resume_after > 0 and resume_after < seq then
  local first = redis.call('XRANGE', k_pbx_events(pbx_id), '-', '+', 'COUNT', 1)[1]
  local oldest = first and tonumber(string.match(first[1], '^0%-(%d+)$')) or (seq + 1)
  if oldest > resume_after + 1 then
    return fail('out_of_range', 'resume_after_sequence ' .. ARGS[4] .. ' is older than PBX ' .. pbx_id ..
      "'s stream keeps (oldest " .. oldest .. '): open with 0 and re-read the open calls with GetCall')
  end
end
local was = h.state or ''
local lease_until = NOW + lease_ms
redis.call('HSET', k_pbx(pbx_id), 'id', pbx_id, 'state', 'open', 'lease_ms', lease_ms,
  'ring_timer', ring_timer, 'lease_until', lease_until, 'opened', NOW, 'seq', seq)
for _, key in ipairs({k_pbx(pbx_id), k_pbx_events(pbx_id), k_pbx_calls(pbx_id)}) do
  redis.call('PERSIST', key)
end
redis.call('SADD', K_PBXS, pbx_id)
timer_set('pbx|' .. pbx_id, lease_until)
if end_open then
  end_pbx_calls(pbx_id, 'pbx_restarted', 100000)
elseif was == 'lost' then
  end_pbx_calls(pbx_id, 'pbx_lost', 100000) -- what the lapse had not ended yet
end
emit('PBX_SESSION_OPENED', {reason = (resume_after > 0) and 'resumed' or 'opened',
  attributes = cjson.encode({pbx_id = pbx_id, lease_ms = tostring(lease_ms), ring_timer = ring_timer})})
return cjson.encode({ok = 'pbx', seq = redis.call('HGET', k_pbx(pbx_id), 'seq') + 0,
  lease_until = lease_until, open_calls = redis.call('SCARD', k_pbx_calls(pbx_id))})
