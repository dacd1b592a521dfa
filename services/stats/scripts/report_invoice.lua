-- ReportInvoice (S2.1): records the CRM's invoice once, by its id, and appends its
-- INVOICE_REPORTED event in the same atomic step.
--
-- KEYS[1]  the tenant's key prefix ("cc:{tenant}:"); the stats keys below start with it
-- KEYS[2]  the tenant's event stream
-- ARGV[1]  the invoice id
-- ARGV[2]  its content (canonical JSON of what the CRM reported: a repeat compares equal)
-- ARGV[3]  the lead id ('' when none)
-- ARGV[4]  the agent credited ('' : the lead's owner now, as stats has applied it)
-- ARGV[5]  the amount in minor units
-- ARGV[6]  the currency
-- ARGV[7]  the queue ('' when none)
-- ARGV[8]  the product ('' when none)
-- ARGV[9]  the issue time in ms
-- ARGV[10] the stream's MAXLEN (approximate)
-- ARGV[11…] the entry's fields (agent_id left out: added here), name, value, name, value…
--
-- Returns {'appended', <entry id>, <agent>}, {'duplicate', '', <agent>} (the same content
-- again: nothing written), {'conflict', ''} (the id with other content) or {'no_agent', ''}.
local invoice_id, content, lead_id, agent = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local key = k_invoice(invoice_id)
local before = redis.call('HMGET', key, 'content', 'agent')
if before[1] then
  if before[1] == content then return {'duplicate', '', before[2] or ''} end
  return {'conflict', ''}
end
if agent == '' and lead_id ~= '' then agent = redis.call('HGET', k_lead(lead_id), 'agent') or '' end
if agent == '' then return {'no_agent', ''} end

local fields = {}
for i = 11, #ARGV do fields[#fields + 1] = ARGV[i] end
fields[#fields + 1] = 'agent_id'
fields[#fields + 1] = agent
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[10], '*', unpack(fields))
redis.call('HSET', key, 'content', content, 'lead', lead_id, 'agent', agent, 'amount', ARGV[5],
  'currency', ARGV[6], 'queue', ARGV[7], 'product', ARGV[8], 'issued', ARGV[9], 'paid', '0', 'event', id)
redis.call('EXPIRE', key, INVOICE_TTL_S)
-- unpaid and nobody has called about it yet: in the invoice queue, oldest first (S2.7)
redis.call('ZADD', K_INVOICE_QUEUE, ARGV[9], invoice_id)
return {'appended', id, agent}
