-- Creates a client segment or replaces its name and conditions (UpsertSegment), taking its
-- members at once (lib.lua's segment_take): a segment of more than ARGS[4] clients is refused
-- and nothing is kept. ARGS[1] id, ARGS[2] name, ARGS[3] conditions (JSON [{attribute,
-- values}], validated by services/router/segments.py), ARGS[4] the most members, ARGS[5]
-- how long the members taken are kept (ms).
local id, name, conditions, most, ttl = ARGS[1], ARGS[2], ARGS[3], tonumber(ARGS[4]), tonumber(ARGS[5])
local created = redis.call('EXISTS', k_segment(id)) == 0
if created and redis.call('ZCARD', K_SEGMENTS) >= 500 then
  return fail('illegal_state', 'there are 500 segments already', 'too_many')
end
local n = segment_take(id, cjson.decode(conditions), most, ttl)
if n > most then return cjson.encode({ok = 'too_many', members = n}) end
if created then
  redis.call('ZADD', K_SEGMENTS, NOW, id)
  redis.call('HSET', k_segment(id), 'id', id, 'created', NOW)
end
redis.call('HSET', k_segment(id), 'name', name, 'conditions', conditions, 'updated', NOW, 'members', n)
emit('SEGMENT_UPDATED', {reason = created and 'created' or 'updated',
  attributes = cjson.encode({segment_id = id, members = tostring(n)})})
return cjson.encode({ok = 'segment', segment = hgetall(k_segment(id))})
