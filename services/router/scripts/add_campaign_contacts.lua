-- Adds contacts to a campaign (AddCampaignContacts, the segment's clients at the first start,
-- new leads): a number already in the campaign is left as it is; one on the do-not-call list
-- is added as skipped. New contacts are due at once. ARGS[1] id, ARGS[2] the most contacts a
-- campaign may have, then pairs: number, deal.
local id, most = ARGS[1], tonumber(ARGS[2])
local h = redis.call('HMGET', k_campaign(id), 'state', 'n_contacts')
if not h[1] then return fail('not_found', 'campaign ' .. id .. ' does not exist') end
if h[1] == 'stopped' or h[1] == 'finished' then
  return fail('illegal_state', 'campaign ' .. id .. ' has ended: ' .. h[1], h[1])
end
local have = tonumber(h[2]) or 0
local added, skipped = 0, 0
for i = 3, #ARGS, 2 do
  local number, deal = ARGS[i], ARGS[i + 1]
  if redis.call('HEXISTS', k_campaign_contacts(id), number) == 0 then
    if have + added >= most then
      return fail('illegal_state', 'campaign ' .. id .. ' has ' .. most .. ' contacts, the most it may have', 'full')
    end
    local ct = {attempts = 0, deal = deal, first = 0}
    if on_do_not_call(number) then
      ct.last = 'do_not_call'
      contact_move(id, number, ct, 'skipped')
      skipped = skipped + 1
    else
      contact_move(id, number, ct, 'pending')
      redis.call('ZADD', k_campaign_due(id), NOW, number)
    end
    added = added + 1
  end
end
redis.call('HINCRBY', k_campaign(id), 'n_contacts', added)
return cjson.encode({ok = 'added', added = added, skipped = skipped})
