-- SetCommissionRules / SetPayRules: replaces one set of rules (JSON) and appends the event
-- recording who changed it in the same atomic step.
--
-- KEYS[1]  the tenant's key prefix ("cc:{tenant}:")
-- KEYS[2]  the tenant's event stream
-- KEYS[3]  the rules' key (K_COMMISSION_RULES or K_PAY_RULES)
-- ARGV[1]  the rules as JSON
-- ARGV[2]  the stream's MAXLEN (approximate)
-- ARGV[3…] the event's fields, name, value, name, value…
--
-- Returns the event's entry id.
redis.call('SET', KEYS[3], ARGV[1])
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', unpack(fields))
