-- A supervisor's message (PostSupervisorMessage) in an open conversation: a reply to the
-- customer in the agent's place (CONV.answer: ANSWERED, no deadline, no longer overdue,
-- CONVERSATION_REPLIED reason supervisor), or a note to the agent the customer never sees
-- (the state and deadline are kept; CONVERSATION_NOTE). Idempotent by message id.
-- ARGS[1] conversation id, ARGS[2] message id, ARGS[3] text, ARGS[4] '1' a note, '0' a reply.
local id, message_id, text, note = ARGS[1], ARGS[2], ARGS[3], ARGS[4] == '1'
local v = hgetall(k_conversation(id))
if v.id == nil then return fail('not_found', 'conversation ' .. id .. ' does not exist') end
if redis.call('SISMEMBER', k_conversation_message_ids(id), message_id) == 1 then return CONV.reply(id) end
if v.state == 'closed' then return fail('illegal_state', 'conversation ' .. id .. ' is closed', 'closed') end
if note then
  CONV.message(v, message_id, 'note', '', text)
  CONV.emit('CONVERSATION_NOTE', v, {attributes = cjson.encode({message_id = message_id})})
else
  CONV.answer(v, message_id, 'supervisor', text)
end
return CONV.reply(id)
