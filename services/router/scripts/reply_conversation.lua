-- The assigned agent replies (ReplyToConversation): ANSWERED, no deadline, no longer overdue
-- (CONV.answer). Idempotent by message id. ARGS[1] conversation id, ARGS[2] agent id,
-- ARGS[3] message id, ARGS[4] text.
local id, agent_id, message_id, text = ARGS[1], ARGS[2], ARGS[3], ARGS[4]
local v = hgetall(k_conversation(id))
if v.id == nil then return fail('not_found', 'conversation ' .. id .. ' does not exist') end
if redis.call('SISMEMBER', k_conversation_message_ids(id), message_id) == 1 then return CONV.reply(id) end
if v.state == 'closed' then return fail('illegal_state', 'conversation ' .. id .. ' is closed', 'closed') end
if (v.agent or '') == '' then
  return fail('illegal_state', 'conversation ' .. id .. ' is not assigned to an agent yet', v.state)
end
if v.agent ~= agent_id then
  return fail('illegal_state', 'conversation ' .. id .. ' is held by another agent', v.state)
end
CONV.answer(v, message_id, 'agent', text)
return CONV.reply(id)
