-- Cancels a callback (CancelCallback): scheduled -> cancelled; one calling now is cancelled
-- too (its live call goes on, but is not tried again). A final one is refused. ARGS[1] id.
local id = ARGS[1]
local cb = hgetall(k_callback(id))
if cb.id == nil then return fail('not_found', 'callback ' .. id .. ' does not exist') end
if cb.state ~= 'scheduled' and cb.state ~= 'calling' then
  return fail('illegal_state', 'callback ' .. id .. ' has ended already: ' .. cb.state, cb.state)
end
callback_end(id, cb, 'cancelled', 'cancelled')
return cjson.encode({ok = 'callback', callback = hgetall(k_callback(id))})
