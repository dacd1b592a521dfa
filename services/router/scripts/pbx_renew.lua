-- A PBX's heartbeat renews its lease. ARGS[1] PBX id, ARGS[2] the sequence it has handled.
-- Refused (lease_lapsed) when the lease already lapsed: its calls have ended; the PBX opens
-- a new session.
local pbx_id, handled = ARGS[1], ARGS[2]
local h = hgetall(k_pbx(pbx_id))
if h.state ~= 'open' then
  return fail('lease_lapsed', 'the lease of PBX ' .. pbx_id .. ' lapsed; its calls were ended: open a new session',
    h.state or 'closed')
end
local lease_until = NOW + tonumber(h.lease_ms)
redis.call('HSET', k_pbx(pbx_id), 'lease_until', lease_until, 'handled', handled)
timer_set('pbx|' .. pbx_id, lease_until)
return cjson.encode({ok = 'pbx', lease_until = lease_until, seq = tonumber(h.seq or 0) or 0})
