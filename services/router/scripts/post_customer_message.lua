-- A customer's message (PostCustomerMessage): the first one of a conversation id creates it
-- (NEW, with its first-response deadline, at the first routing stage that applies: CONV)
-- and assigns it to an agent with room who qualifies, or lines it up in its queue; a later one makes a taken or answered conversation UNANSWERED (after the
-- agent's reply, with the queue's reply deadline; in the line again after a reply: UNANSWERED
-- once taken). Idempotent by message id.
-- ARGS[1] conversation id, ARGS[2] channel, ARGS[3] topic, ARGS[4] queue, ARGS[5] the client's
-- number ('' = unknown), ARGS[6] message id, ARGS[7] text, ARGS[8] and ARGS[9] the queues and
-- the channels a messaging caller is limited to (comma lists; '' = every one: any other caller).
local id, channel, topic, queue, client, message_id, text = ARGS[1], ARGS[2], ARGS[3], ARGS[4], ARGS[5], ARGS[6], ARGS[7]
local scope = {queue = ARGS[8], channel = ARGS[9]}
-- Whether the caller serves this value of a field (callcenter/core/auth.py: Caller.serves).
local function serves(field, value)
  if scope[field] == '' then return true end
  for _, name in ipairs(split(scope[field])) do
    if name == value then return true end
  end
  return false
end
local v = hgetall(k_conversation(id))
-- A scoped caller's message goes only into a conversation of its queues and channels: checked
-- first, so that nothing is written, and nothing of another's conversation answered.
if v.id ~= nil and not (serves('queue', v.queue) and serves('channel', v.channel)) then
  return fail('permission_denied', 'conversation_id: ' .. id .. ' is a conversation of a queue or channel this caller does not serve', 'conversation_id')
end
if v.id ~= nil and redis.call('SISMEMBER', k_conversation_message_ids(id), message_id) == 1 then
  return CONV.reply(id)
end
if v.state == 'closed' then
  return fail('illegal_state', 'conversation ' .. id .. ' is closed', 'closed')
end
if v.id == nil then
  for field, value in pairs({channel = channel, queue = queue}) do
    if value == '' then return fail('invalid_argument', 'is required for a new conversation', field) end
  end
  for _, field in ipairs({'queue', 'channel'}) do  -- before the queue is looked up: no probing of others
    local value = field == 'queue' and queue or channel
    if not serves(field, value) then
      return fail('permission_denied', field .. ': this caller serves only ' .. (string.gsub(scope[field], ',', ', ')), field)
    end
  end
  if redis.call('EXISTS', k_queue(queue)) == 0 then
    return fail('not_found', 'queue ' .. queue .. ' does not exist')
  end
  -- the client's personal manager and priority (VIP above zero), as for a call
  local cl = client ~= '' and hgetall(k_client(client)) or {}
  CONV.set(id, v, {id = id, channel = channel, topic = topic, queue = queue, client = client,
    manager = cl.manager or '', priority = tonumber(cl.priority or 0) or 0, state = 'new', created = NOW,
    agent = '', overdue = '0', count = 0})
  CONV.set(id, v, {stage = CONV.first_stage(v, 2)})
  redis.call('ZADD', K_CONVERSATIONS, NOW, id)
  CONV.emit('CONVERSATION_CREATED', v, {caller = client})
  CONV.message(v, message_id, 'customer', '', text)
  CONV.emit('CONVERSATION_MESSAGE', v, {caller = client, reason = 'new'})
  CONV.due(v, CONV.setting(queue, 'first_response_ms', 60000), 'first_response')
  CONV.dispatch(v)
  return CONV.reply(id)
end
-- a later message may name its conversation's channel and queue, never others (a widget scoped
-- to its queues cannot write into another queue's conversation)
for field, value in pairs({channel = channel, queue = queue}) do
  if value ~= '' and value ~= v[field] then
    return fail('invalid_argument', 'is not this conversation\'s (' .. v[field] .. ')', field)
  end
end
CONV.message(v, message_id, 'customer', '', text)
if v.state == 'answered' or (v.state == 'new' and v.held_state == 'answered') then
  CONV.due(v, CONV.setting(v.queue, 'reply_ms', 120000), 'reply')
end
if v.state == 'taken' or v.state == 'answered' then CONV.set(id, v, {state = 'unanswered'}) end
-- back in its queue's line after a reply: unanswered for whoever takes it
if v.state == 'new' and v.held_state == 'answered' then CONV.set(id, v, {held_state = 'unanswered'}) end
CONV.emit('CONVERSATION_MESSAGE', v, {caller = v.client, reason = v.state})
return CONV.reply(id)
