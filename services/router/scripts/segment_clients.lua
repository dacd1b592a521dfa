-- A page of a segment's clients (ListSegmentClients, a campaign's first start), by number,
-- from the members taken at the first page (ARGS[3] '1': take them now), taken again when that
-- snapshot has expired; the count is written to the segment's `members`. Writes nothing else.
-- ARGS[1] id, ARGS[2] the most members, ARGS[3] '1' or '0', ARGS[4] numbers after this one
-- ('' from the first), ARGS[5] how many at most, ARGS[6] how long the snapshot is kept (ms).
local id, most, fresh, after = ARGS[1], tonumber(ARGS[2]), ARGS[3], ARGS[4]
local size, ttl = tonumber(ARGS[5]), tonumber(ARGS[6])
local h = redis.call('HMGET', k_segment(id), 'id', 'conditions')
if not h[1] then return fail('not_found', 'segment ' .. id .. ' does not exist') end
local n
if fresh == '1' or redis.call('EXISTS', k_segment_clients(id)) == 0 then
  n = segment_take(id, cjson.decode(h[2]), most, ttl)
  if n > most then return cjson.encode({ok = 'too_many', members = n}) end
  redis.call('HSET', k_segment(id), 'members', n)
else
  n = redis.call('ZCARD', k_segment_clients(id))
end
local numbers = {}
if size > 0 and n > 0 then
  local from = after == '' and '-' or '(' .. after
  numbers = redis.call('ZRANGEBYLEX', k_segment_clients(id), from, '+', 'LIMIT', 0, size)
end
return cjson.encode({ok = 'clients', total = n, numbers = numbers})
