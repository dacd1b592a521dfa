-- Puts numbers on the do-not-call list (AddDoNotCall), each scored with when it was added,
-- each with a DO_NOT_CALL_ADDED event recording who asked; a number already on it is left as
-- it is. Refused as a whole if the list would hold more than ARGS[1]. ARGS[2…] the numbers.
local most = tonumber(ARGS[1])
local new, seen = {}, {}
for i = 2, #ARGS do
  local number = ARGS[i]
  if not seen[number] and not on_do_not_call(number) then new[#new + 1] = number end
  seen[number] = true
end
if #new > 0 and redis.call('ZCARD', K_DO_NOT_CALL) + #new > most then
  return fail('illegal_state', 'the do-not-call list holds ' .. most .. ' numbers, the most it may', 'full')
end
for _, number in ipairs(new) do
  redis.call('ZADD', K_DO_NOT_CALL, NOW, number)
  emit('DO_NOT_CALL_ADDED', {caller = number})
end
return cjson.encode({ok = 'added', added = #new})
