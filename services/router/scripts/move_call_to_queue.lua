-- A supervisor moves a waiting call to another queue (MoveCallToQueue), as an overflow does:
-- the call keeps its arrival time and priority, so it takes its place in the new queue's
-- line by how long it has waited (VIP calls first); it starts the new queue's routing
-- stages and maximum wait afresh, forgets which agents tried it, and is offered at once if
-- an agent of the new queue is free. The new queue's length limit does not refuse it (a
-- supervisor decided). Events: CALL_OVERFLOWED reason moved_by_supervisor
-- (attributes.overflow_queue), then CALL_OFFERED or CALL_QUEUED; its PBX is told OFFERED or
-- QUEUED (with the new queue). ARGS[1] call id, ARGS[2] the queue.
local call_id, target = ARGS[1], ARGS[2]
local c = hgetall(k_call(call_id))
if c.id == nil then return fail('not_found', 'call ' .. call_id .. ' does not exist') end
if c.state ~= 'waiting' then
  return fail('illegal_state', 'call ' .. call_id .. ' is not waiting but ' .. c.state, c.state)
end
if redis.call('EXISTS', k_queue(target)) == 0 then
  return fail('not_found', 'queue ' .. target .. ' does not exist')
end
if target == c.queue then
  return fail('illegal_state', 'call ' .. call_id .. ' is in queue ' .. target .. ' already', c.state)
end
unwait(call_id, c)
clear_call_timers(call_id)
redis.call('DEL', k_tried(call_id))
emit('CALL_OVERFLOWED', {call_id = call_id, queue = c.queue, caller = c.caller,
  reason = 'moved_by_supervisor', wait_ms = since(c.received), attempt = c.offers,
  attributes = cjson.encode({overflow_queue = target})})
call_set(call_id, c, {queue = target, state = 'routing', entered = NOW, deadline_passed = '',
  admitted = '1', manager_waited = ''})
local max_wait = queue_ms(target, 'max_wait_ms')
if max_wait > 0 then timer_set('maxwait|' .. call_id, NOW + max_wait) end
enter_stage(call_id, c, 1)
dispatch_call(call_id, c)
return call_reply(call_id)
