-- A supervisor gives an open conversation to another agent (TransferConversation; taking it
-- themselves: their own agent id), who must be logged in to its queue with room on its
-- channel (CONV.refusal: refused naming why, nothing changes; its routing stage is not
-- checked: a supervisor's override); or, agent id '', back to its queue's line (CONV.to_line:
-- at once to another agent with room who qualifies at its stage, else NEW). Its state,
-- messages and deadline are kept. The previous agent's room goes to the next conversation of
-- their lines (never this one) or, in a queue forbidding mixing, to its calls. Transferring
-- to the agent who holds it returns it as it is. CONVERSATION_TRANSFERRED reason supervisor.
-- ARGS[1] conversation id, ARGS[2] agent id ('' = back to the line).
local id, agent_id = ARGS[1], ARGS[2]
local v = hgetall(k_conversation(id))
if v.id == nil then return fail('not_found', 'conversation ' .. id .. ' does not exist') end
if v.state == 'closed' then return fail('illegal_state', 'conversation ' .. id .. ' is closed', 'closed') end
local previous = v.agent or ''
if agent_id == '' then
  if previous == '' then return CONV.reply(id) end  -- in the line already
  CONV.to_line(v, 'supervisor')
  CONV.freed(previous, id)
  return CONV.reply(id)
end
if agent_id == previous then return CONV.reply(id) end
local a = load_agent(agent_id)
if a == nil then return fail('not_found', 'agent ' .. agent_id .. ' does not exist') end
local why = CONV.refusal(agent_id, a, v)
if why ~= nil then return fail('illegal_state', why, a.state) end
if previous ~= '' then redis.call('ZREM', k_agent_conversations(previous), id) end
CONV.take(v, agent_id, a)
CONV.emit('CONVERSATION_TRANSFERRED', v, {agent_id = agent_id, other_agent_id = previous, reason = 'supervisor'})
if previous ~= '' then CONV.freed(previous, id) end
return CONV.reply(id)
