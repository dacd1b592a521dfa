-- Takes numbers off the do-not-call list (RemoveDoNotCall), each with a DO_NOT_CALL_REMOVED
-- event recording who asked. ARGS[1…] the numbers.
local removed = 0
for _, number in ipairs(ARGS) do
  if redis.call('ZREM', K_DO_NOT_CALL, number) == 1 then
    removed = removed + 1
    emit('DO_NOT_CALL_REMOVED', {caller = number})
  end
end
return cjson.encode({ok = 'removed', removed = removed})
