-- Closes a conversation (CloseConversation); its agent's room goes to the next conversation
-- of their queues' lines (and, in a queue forbidding mixing, to its calls). Closing a closed
-- conversation returns it as it is. ARGS[1] conversation id, ARGS[2] the agent who must hold
-- it ('' = whoever does: a supervisor). close_reason agent or supervisor.
local id, agent_id = ARGS[1], ARGS[2]
local v = hgetall(k_conversation(id))
if v.id == nil then return fail('not_found', 'conversation ' .. id .. ' does not exist') end
if agent_id ~= '' and (v.agent or '') ~= agent_id then
  return fail('illegal_state', 'conversation ' .. id .. ' is not held by agent ' .. agent_id, v.state)
end
if v.state == 'closed' then return CONV.reply(id) end
CONV.close(v, agent_id ~= '' and 'agent' or 'supervisor')
if (v.agent or '') ~= '' then CONV.freed(v.agent) end
return CONV.reply(id)
