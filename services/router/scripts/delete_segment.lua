-- Deletes a client segment (DeleteSegment) with its members' snapshot, unless a campaign not
-- yet started names it (its first start reads the segment). ARGS[1] id.
local id = ARGS[1]
if redis.call('EXISTS', k_segment(id)) == 0 then
  return fail('not_found', 'segment ' .. id .. ' does not exist')
end
-- a campaign not yet started takes its contacts from the segment at its first start: keep it
for _, campaign in ipairs(redis.call('ZRANGE', K_CAMPAIGNS, 0, -1)) do  -- at most 500
  local c = redis.call('HMGET', k_campaign(campaign), 'segment', 'state')
  if c[1] == id and c[2] == 'draft' then
    return fail('illegal_state', 'segment ' .. id .. ' is the segment of campaign ' .. campaign ..
      ', not started yet: change or delete the campaign first', 'in_use')
  end
end
redis.call('DEL', k_segment(id), k_segment_clients(id))
redis.call('ZREM', K_SEGMENTS, id)
emit('SEGMENT_DELETED', {attributes = cjson.encode({segment_id = id})})
return cjson.encode({ok = 'deleted'})
