-- The dialler's step for one running campaign (services/router/dialler.py): contacts due but
-- outside their calling hours are put off to the next window; due contacts inside it are
-- dialled, as many as the queue has agents free for them (less its outbound calls already
-- waiting, and within max_concurrent). Every check is made again here, so replicas racing
-- for one campaign never dial a contact twice.
-- ARGS[1] id, then triples: number, 'dial' | 'defer', the next window's start (ms; defer).
local id = ARGS[1]
local h = hgetall(k_campaign(id))
if h.state ~= 'running' then return cjson.encode({ok = 'dialled', dialled = 0, state = h.state or ''}) end
local pbx = queue_conf(h.queue).outbound_pbx or ''
if pbx == '' or redis.call('HGET', k_pbx(pbx), 'state') ~= 'open' then
  return cjson.encode({ok = 'dialled', dialled = 0, state = 'no_pbx'})
end
local budget = redis.call('ZCARD', k_available(h.queue)) - redis.call('ZCARD', k_waiting_out(h.queue))
local most = tonumber(h.max_concurrent or 0) or 0
if most > 0 then budget = math.min(budget, most - (tonumber(h.live or 0) or 0)) end
local dialled, skipped = 0, 0
for i = 2, #ARGS, 3 do
  local number, action, window = ARGS[i], ARGS[i + 1], tonumber(ARGS[i + 2]) or 0
  local due = tonumber(redis.call('ZSCORE', k_campaign_due(id), number))
  local ct = contact_get(id, number)
  if due ~= nil and due <= NOW and ct ~= nil and ct.state == 'pending' then
    if action == 'defer' then
      redis.call('ZADD', k_campaign_due(id), 'XX', math.max(window, NOW + 1), number)
    elseif on_do_not_call(number) then
      ct.last = 'do_not_call'
      contact_move(id, number, ct, 'skipped')
      skipped = skipped + 1
    elseif ct.deal ~= '' and redis.call('HGET', k_deal(ct.deal), 'open') == '0' then
      ct.last = 'deal_closed'
      contact_move(id, number, ct, 'skipped')
      skipped = skipped + 1
    elseif budget > 0 then
      budget = budget - 1
      dialled = dialled + 1
      ct.attempts = ct.attempts + 1
      if ct.first == 0 then ct.first = NOW end
      contact_move(id, number, ct, 'calling')
      redis.call('HINCRBY', k_campaign(id), 'attempts', 1)
      redis.call('HINCRBY', k_campaign(id), 'live', 1)
      local seq = redis.call('HINCRBY', k_campaign(id), 'call_seq', 1)
      outbound_create({id = 'campaign-' .. id .. '-' .. seq, number = number, queue = h.queue,
        mode = h.mode or 'preview', pbx = pbx, agent = '', deal = ct.deal, campaign = id,
        attrs = cjson.encode({campaign_id = id, attempt = tostring(ct.attempts)})})
    end
  end
end
if skipped > 0 then campaign_check_finished(id) end
return cjson.encode({ok = 'dialled', dialled = dialled, state = 'running', budget = budget})
