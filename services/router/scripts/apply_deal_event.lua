-- One lead event of the stats service applied to the router's view of that deal (deal:<id>):
-- who owns it and whether it is open (services/router/deal_owners.py; route_call.lua reads it).
-- Not a transition of lib.lua: only the key model and the constants come first.
--
-- KEYS[1]  the tenant's key prefix (every key below is derived from it: one slot)
-- ARGV[1]  the event's stream entry id ("<ms>-<seq>"), ARGV[2] its type (LEAD_CREATED,
--          LEAD_ASSIGNED or LEAD_STAGE_CHANGED), ARGV[3] the lead id, ARGV[4] its agent_id,
--          ARGV[5] its lead_stage, ARGV[6] how long a closed deal is kept (s)
--
-- Each field remembers the entry id of the event that set it (owner_id, stage_id): an event
-- no newer than that changes nothing, so a redelivered or late older event is a no-op and
-- the replicas of the group may apply events in any order. Returns 'applied' or 'stale'.
local id, kind, deal, agent, stage = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local keep = tonumber(ARGV[6])
local ms, seq = string.match(id, '^(%d+)-(%d+)$')
if ms == nil then return redis.error_reply('invalid entry id ' .. string.sub(id, 1, 40)) end
local order = string.format('%015.0f-%010.0f', tonumber(ms), tonumber(seq))
local key = k_deal(deal)
local changed = false

local function newer(field, value)
  local last = redis.call('HGET', key, field .. '_id')
  if last and last >= order then return end
  redis.call('HSET', key, field, value, field .. '_id', order)
  changed = true
end

-- LEAD_STAGE_CHANGED's agent_id is who moved the lead, not its owner (services/stats).
if kind == 'LEAD_CREATED' then
  if agent ~= '' then newer('owner', agent) end
  newer('stage', stage ~= '' and stage or 'lead')
elseif kind == 'LEAD_ASSIGNED' then
  newer('owner', agent)
elseif kind == 'LEAD_STAGE_CHANGED' then
  newer('stage', stage)
end
if not changed then return 'stale' end

local now_stage = redis.call('HGET', key, 'stage') or ''
-- Open unless its stage is a closed one (one assigned before its creation was seen included).
local open = CLOSED_DEAL_STAGES[now_stage] and '0' or '1'
redis.call('HSET', key, 'open', open)
-- A closed deal is kept a while (a late event of it still finds its ids), then forgotten.
if open == '1' then redis.call('PERSIST', key) else redis.call('EXPIRE', key, keep) end
return 'applied'
