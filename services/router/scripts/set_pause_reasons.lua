-- Replaces the site's configured pause reasons. ARGS[1] the list as JSON ([{code, label}],
-- checked by the router), ARGS[2] its codes, comma-separated (the event's attribute).
-- A change made on someone's behalf is a PAUSE_REASONS_UPDATED event.
local listed, codes = ARGS[1], ARGS[2]
local old = redis.call('GET', K_PAUSE_REASONS)
redis.call('SET', K_PAUSE_REASONS, listed)
if ACTOR ~= '' and old ~= listed then
  emit('PAUSE_REASONS_UPDATED', {attributes = cjson.encode({codes = codes})})
end
return cjson.encode({ok = 'pause_reasons'})
