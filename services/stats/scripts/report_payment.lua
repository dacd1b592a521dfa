-- ReportPayment (S2.1): records the CRM's payment once, by its id, adds it to its invoice
-- and appends PAYMENT_REPORTED; when the invoice's payments reach its amount for the first
-- time, fixes its commission by the rules in force now (K_COMMISSION_RULES: a product rule
-- wins over a queue rule, a queue rule over the default) and appends INVOICE_PAID, all in the
-- same atomic step: an invoice is paid, and earns its commission, once.
--
-- KEYS[1]  the tenant's key prefix ("cc:{tenant}:"); the stats keys below start with it
-- KEYS[2]  the tenant's event stream
-- ARGV[1]  the payment id
-- ARGV[2]  its content (canonical JSON of what the CRM reported)
-- ARGV[3]  the invoice id
-- ARGV[4]  the amount in minor units
-- ARGV[5]  the payment's time in ms (INVOICE_PAID's too)
-- ARGV[6]  the stream's MAXLEN (approximate)
-- ARGV[7]  how many entry fields of PAYMENT_REPORTED follow (n), then those n (name, value…)
-- ARGV[8+n…] the actor fields both events carry (name, value…)
--
-- Returns {outcome, <entry id>, <paid so far>, <1 if the invoice is paid>, <commission>}
-- with outcome 'appended' or 'duplicate' (the same payment again: nothing written), or
-- {'conflict'} (the id with other content), {'not_found'} (no such invoice).
local payment_id, content, invoice_id, amount, time_ms = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local ikey = k_invoice(invoice_id)
local pkey = k_payment(payment_id)
local function status(outcome, id)
  local h = redis.call('HMGET', ikey, 'paid', 'paid_at', 'commission')
  return {outcome, id, h[1] or '0', h[2] and '1' or '0', h[3] or '0'}
end

local before = redis.call('HGET', pkey, 'content')
if before then
  if before == content then return status('duplicate', '') end
  return {'conflict'}
end
local inv = redis.call('HMGET', ikey, 'amount', 'currency', 'agent', 'queue', 'product', 'lead', 'paid_at')
if not inv[1] then return {'not_found'} end
local total, currency, agent, queue, product, lead = inv[1], inv[2], inv[3], inv[4], inv[5], inv[6]

local n = tonumber(ARGV[7])
local fields, actor = {}, {}
for i = 8, 7 + n do fields[#fields + 1] = ARGV[i] end
for i = 8 + n, #ARGV do actor[#actor + 1] = ARGV[i] end
local common = {'agent_id', agent, 'currency', currency}
if lead ~= '' then common[#common + 1] = 'lead_id'; common[#common + 1] = lead end
for _, v in ipairs(common) do fields[#fields + 1] = v end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', unpack(fields))
redis.call('HSET', pkey, 'content', content, 'invoice', invoice_id, 'event', id)
redis.call('EXPIRE', pkey, INVOICE_TTL_S)
local paid = redis.call('HINCRBY', ikey, 'paid', amount)
if paid < tonumber(total) or inv[7] then return status('appended', id) end

-- Paid now: out of the invoice queue; the commission by the rules in force (services/stats/commissions.py writes them).
redis.call('ZREM', K_INVOICE_QUEUE, invoice_id)
local rules = cjson.decode(redis.call('GET', K_COMMISSION_RULES) or '[]')
local by_product, by_queue, default
for _, r in ipairs(rules) do
  if r.product ~= '' then
    if r.product == product then by_product = r end
  elseif r.queue ~= '' then
    if r.queue == queue then by_queue = r end
  else
    default = r
  end
end
local rule = by_product or by_queue or default
local commission = 0
if rule then
  -- amount * bp / 10,000 rounded down, exact in doubles: amount <= 10^12, bp <= 10,000
  local a, bp = tonumber(total), tonumber(rule.percent_bp)
  local hi, lo = math.floor(a / 10000), a % 10000
  commission = hi * bp + math.floor(lo * bp / 10000) + tonumber(rule.fixed_minor)
end
local c = string.format('%.0f', commission)
local paid_event = {'type', 'invoice_paid', 'time', time_ms, 'invoice_id', invoice_id, 'agent_id', agent,
  'amount_minor', total, 'currency', currency, 'commission_minor', c}
for _, kv in ipairs({{'queue', queue}, {'product', product}, {'lead_id', lead}}) do
  if kv[2] ~= '' then paid_event[#paid_event + 1] = kv[1]; paid_event[#paid_event + 1] = kv[2] end
end
for _, v in ipairs(actor) do paid_event[#paid_event + 1] = v end
local paid_id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', unpack(paid_event))
redis.call('HSET', ikey, 'paid_at', time_ms, 'commission', c, 'rule', rule and cjson.encode(rule) or '',
  'paid_event', paid_id)
return status('appended', id)
