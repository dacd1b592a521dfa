-- Closes a conversation (CloseConversation); its agent's room goes to the next conversation
-- of their queues' lines (and, in a queue forbidding mixing, to its calls). Closing a closed
-- conversation returns it as it is. ARGS[1] conversation id.
local id = ARGS[1]
local v = hgetall(k_conversation(id))
if v.id == nil then return fail('not_found', 'conversation ' .. id .. ' does not exist') end
if v.state == 'closed' then return CONV.reply(id) end
CONV.close(v)
local a = load_agent(v.agent)
if a ~= nil then
  if a.state == 'available' then dispatch_agent(v.agent, a) else CONV.offer_agent(v.agent, a) end
end
return CONV.reply(id)
