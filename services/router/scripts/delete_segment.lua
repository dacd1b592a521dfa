-- Deletes a client segment (DeleteSegment) with its members' snapshot. ARGS[1] id.
local id = ARGS[1]
if redis.call('EXISTS', k_segment(id)) == 0 then
  return fail('not_found', 'segment ' .. id .. ' does not exist')
end
redis.call('DEL', k_segment(id), k_segment_clients(id))
redis.call('ZREM', K_SEGMENTS, id)
emit('SEGMENT_DELETED', {attributes = cjson.encode({segment_id = id})})
return cjson.encode({ok = 'deleted'})
