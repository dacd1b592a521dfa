-- Schedules a callback (ScheduleCallback). Idempotent by id: the same callback again is
-- answered as stored; another with that id is refused. ARGS[1] id, ARGS[2] number, ARGS[3]
-- queue, ARGS[4] due (ms), ARGS[5] agent, ARGS[6] deal, ARGS[7] note, ARGS[8] origin.
local id = ARGS[1]
local known = hgetall(k_callback(id))
if known.id ~= nil then
  if known.number == ARGS[2] and known.queue == ARGS[3] and known.due == ARGS[4] and
      (known.agent or '') == ARGS[5] and (known.deal or '') == ARGS[6] and (known.note or '') == ARGS[7] then
    return cjson.encode({ok = 'callback', callback = known})
  end
  return fail('already_exists', 'callback ' .. id .. ' exists with other details')
end
if redis.call('EXISTS', k_queue(ARGS[3])) == 0 then
  return fail('not_found', 'queue ' .. ARGS[3] .. ' does not exist')
end
if ARGS[5] ~= '' and load_agent(ARGS[5]) == nil then
  return fail('not_found', 'agent ' .. ARGS[5] .. ' does not exist')
end
if on_do_not_call(ARGS[2]) then
  return fail('illegal_state', 'number ' .. ARGS[2] .. ' is on the do-not-call list', 'do_not_call')
end
-- a time already past is due now: the callback is made at once
local due = math.max(tonumber(ARGS[4]), NOW)
callback_schedule({id = id, number = ARGS[2], queue = ARGS[3], due = due, agent = ARGS[5],
  deal = ARGS[6], note = ARGS[7], origin = ARGS[8]})
return cjson.encode({ok = 'callback', callback = hgetall(k_callback(id))})
