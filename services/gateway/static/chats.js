// The agent page's chats (issue 21): the agent's open conversations (state, channel, topic; an
// overdue one highlighted), one opened with its messages (a supervisor's note marked as such,
// never sent to the customer), a reply box and a Close button. Only the agent's own page shows
// them; the server-sent event stream's conversation events say when to look again.
import { api, el } from "/static/api.js";
import { follow } from "/static/live.js";

const STATE_LABELS = { new: "New", taken: "Taken", unanswered: "Unanswered", answered: "Answered", closed: "Closed" };
const AUTHOR_LABELS = { customer: "Customer", agent: "You", supervisor: "Supervisor", note: "Note from a supervisor" };
const time = (t) => (t ? new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "");
const newId = () => `r-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

function problem(node, error) {
  node.textContent = error ? error.message : "";
  node.hidden = !error;
}

function showList(conversations, open, openId) {
  const body = document.querySelector("#chats tbody");
  const rows = conversations.map((c) => el("tr", {
    "data-conversation": c.conversation_id, "data-state": c.state,
    class: [c.overdue ? "overdue" : "", c.conversation_id === openId ? "selected" : ""].join(" ").trim(),
  },
  el("td", {}, el("button", { type: "button", class: "open-chat", onclick: () => open(c.conversation_id) },
    c.client_number || c.conversation_id)),
  el("td", {}, c.channel), el("td", {}, c.topic || ""),
  el("td", {}, el("span", { class: `badge tone-${c.overdue ? "bad" : c.state === "unanswered" || c.state === "taken" ? "warn" : "ok"}` },
    `${STATE_LABELS[c.state] || c.state}${c.overdue ? " · overdue" : ""}`)),
  el("td", { "data-sort": c.reply_due_at || "" }, time(c.reply_due_at))));
  body.replaceChildren(...(rows.length ? rows
    : [el("tr", { class: "empty" }, el("td", { colspan: 5 }, "No open chat."))]));
}

function showChat(c) {
  const card = document.getElementById("chat");
  card.hidden = !c;
  card.dataset.conversation = c ? c.conversation_id : "";
  if (!c) return;
  document.getElementById("chat-id").textContent =
    `${c.client_number || c.conversation_id} · ${c.channel}${c.topic ? ` · ${c.topic}` : ""}`;
  document.getElementById("chat-state").textContent = `${STATE_LABELS[c.state] || c.state}${c.overdue ? " · overdue" : ""}`;
  document.getElementById("chat-messages").replaceChildren(...(c.messages || []).map((m) => el("li", {
    class: `message author-${m.author}`, "data-message": m.message_id, "data-author": m.author,
  }, el("span", { class: "who" }, `${AUTHOR_LABELS[m.author] || m.author} ${time(m.sent_at)}`),
  el("p", {}, m.text))));
  const closed = c.state === "closed";
  for (const control of document.querySelectorAll("#chat-reply textarea, #chat-reply button")) control.disabled = closed;
}

/** Sets up the chats panel for the agent `agentId` as `user` sees it (their own page only). */
export async function chatsPanel(user, agentId) {
  if (user.role !== "agent" || user.agent_id !== agentId) return;
  document.getElementById("chats-section").hidden = false;
  const error = document.getElementById("chat-error");
  let openId = "";
  const loadChat = async () => {
    if (!openId) return showChat(null);
    try {
      showChat((await api(`/api/v1/conversations/${encodeURIComponent(openId)}`)).conversation);
    } catch (failure) {
      if (failure.status !== 404) throw failure;
      openId = "";  // closed and handed on, or transferred: no longer ours
      showChat(null);
    }
  };
  const loadList = async () => {
    const reply = await api("/api/v1/conversations?page_size=200");
    showList(reply.conversations || [], open, openId);
  };
  const refresh = () => Promise.all([loadList(), loadChat()]).then(() => problem(error, null), (e) => problem(error, e));
  const open = async (conversationId) => {
    openId = conversationId;
    await refresh();
  };
  const form = document.getElementById("chat-reply");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = form.elements.text;
    text.removeAttribute("aria-invalid");
    form.dataset.messageId ||= newId();  // kept until sent: sending again is the same message
    try {
      await api(`/api/v1/conversations/${encodeURIComponent(openId)}/reply`,
        { method: "POST", body: { message_id: form.dataset.messageId, text: text.value } });
      delete form.dataset.messageId;
      form.reset();
      problem(error, null);
    } catch (failure) {
      problem(error, failure);
      if (failure.field === "text") text.setAttribute("aria-invalid", "true");
      return;
    }
    await refresh();
  });
  document.getElementById("chat-close").addEventListener("click", async () => {
    try {
      await api(`/api/v1/conversations/${encodeURIComponent(openId)}/close`, { method: "POST" });
      openId = "";
      problem(error, null);
    } catch (failure) { problem(error, failure); return; }
    await refresh();
  });
  follow(refresh, { indicator: document.getElementById("chats-live"), only: (e) => (e.type || "").startsWith("conversation_") });
  await refresh();
}
