-- Replaces the automation rules (ARGS[1]: their JSON list, checked by automation.py; ARGS[2]
-- how many) and appends AUTOMATION_RULES_UPDATED with the actor, in one step.
redis.call('SET', K_AUTOMATION_RULES, ARGS[1])
redis.call('XADD', K_STREAM, 'MAXLEN', '~', MAXLEN, '*', 'type', 'AUTOMATION_RULES_UPDATED', 'time', NOW,
  'actor', ACTOR, 'attributes', cjson.encode({rules = ARGS[2]}))
return cjson.encode({ok = tonumber(ARGS[2])})
