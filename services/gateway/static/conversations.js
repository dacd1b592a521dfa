// The conversations page for supervisors (issue 21; S3.1, S3.4-S3.6): per queue (group) the
// operators online and the open conversations by state, overdue in red; per operator their
// load, with checkboxes to see the load of a chosen set; the open conversations (overdue ones
// first) filtered by channel, topic and queue; one opened shows its messages with Take,
// Reassign, Note, Reply and Close; today's figures per group below, with a CSV download.
// Refreshed live from the event stream (live.js). The API applies the role rules: a
// supervisor sees their queues only, admins every queue.
import { api, duration, el, header, me } from "/static/api.js";
import { agentStateLabel, closeReasonLabel, conversationStageLabel, conversationStateLabel } from "/static/labels.js";
import { follow } from "/static/live.js";

const n = (v) => parseInt(v || 0, 10); // proto3 JSON leaves zero counts out
const stateCode = (v) => String(v || "").replace(/^CONVERSATION_STATE_/, "").toLowerCase();
const authorCode = (v) => String(v || "").replace(/^MESSAGE_AUTHOR_/, "").toLowerCase();
const AUTHORS = { customer: "Customer", agent: "Agent", supervisor: "Supervisor (reply)", note: "Note to the agent" };
const chosen = new Set(); // operators ticked for the load of a chosen set
let board = null;
let openId = ""; // the conversation shown

function showError(id, text) {
  const node = document.getElementById(id);
  node.textContent = text;
  node.hidden = !text;
}

function filters() {
  const form = document.getElementById("conv-filters");
  return { channel: form.channel.value.trim(), topic: form.topic.value.trim(), queue: form.queue.value,
    overdueOnly: form.overdue_only.checked };
}

function query(values) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) q.set(k, v);
  return q.toString() ? `?${q}` : "";
}

const countCell = (v, overdue = false) => el("td", overdue && n(v) > 0 ? { class: "overdue" } : {}, String(n(v)));

function renderBoard() {
  const body = document.querySelector("#conv-queues tbody");
  body.replaceChildren(...(board.queues || []).map((q) => {
    const c = q.conversations || {};
    return el("tr", { "data-queue": q.queue }, el("td", {}, q.queue), el("td", {}, String(n(q.operators_online))),
      countCell(c.new), countCell(c.unanswered), countCell(c.answered), countCell(c.overdue, true), countCell(c.open));
  }));
  const t = board.total || {};
  document.getElementById("conv-total").textContent =
    `${n(t.open)} open · ${n(t.overdue)} overdue · ${n(board.operators_online)} operators online`;
  const agents = document.querySelector("#conv-agents tbody");
  agents.replaceChildren(...(board.agents || []).map((a) => {
    const c = a.conversations || {};
    const box = el("input", { type: "checkbox", "data-agent": a.agent_id, "aria-label": `choose ${a.agent_id}`,
      onchange: (e) => { if (e.target.checked) chosen.add(a.agent_id); else chosen.delete(a.agent_id); loadChosen(); } });
    box.checked = chosen.has(a.agent_id);
    return el("tr", { "data-agent": a.agent_id }, el("td", {}, box), el("td", {}, a.agent_id),
      el("td", {}, a.online ? agentStateLabel(a.state || "available") : "Offline"), countCell(c.open),
      countCell(c.unanswered), countCell(c.overdue, true));
  }));
  const queueSelect = document.getElementById("conv-filters").queue;
  const known = new Set([...queueSelect.options].map((o) => o.value));
  for (const q of board.queues || []) if (!known.has(q.queue)) queueSelect.append(el("option", { value: q.queue }, q.queue));
  const target = document.getElementById("reassign-to");
  const picked = target.value;
  target.replaceChildren(el("option", { value: "" }, "Back to the queue's line"),
    ...(board.agents || []).filter((a) => a.online).map((a) => el("option", { value: a.agent_id }, a.agent_id)));
  if ([...target.options].some((o) => o.value === picked)) target.value = picked;
}

async function loadChosen() {
  const line = document.getElementById("chosen-load");
  if (!chosen.size) { line.textContent = "Tick operators to see the load of the chosen set."; return; }
  const f = filters();
  try {
    const load = await api(`/api/v1/board/conversations${query({ channel: f.channel, topic: f.topic,
      queue: f.queue, agent_id: [...chosen].sort().join(",") })}`);
    const c = (load.agents || []).reduce((sum, a) => {
      for (const k of ["open", "unanswered", "overdue"]) sum[k] += n((a.conversations || {})[k]);
      return sum;
    }, { open: 0, unanswered: 0, overdue: 0 });
    line.textContent = `Chosen (${chosen.size}): ${c.open} open · ${c.unanswered} unanswered · ${c.overdue} overdue`;
    line.dataset.load = String(c.open);
  } catch (error) {
    line.textContent = error.message;
  }
}

function dueText(c) {
  if (!c.reply_due_at) return "";
  return new Date(c.reply_due_at).toLocaleTimeString();
}

// What a conversation waiting in its queue's line waits for (its routing stage), "" otherwise.
function waitingFor(c) {
  if (stateCode(c.state) !== "new" || c.agent_id) return "";
  const stage = conversationStageLabel(c.stage);
  return stage ? `waiting for: ${stage}` : "";
}

function stateText(c) {
  const why = stateCode(c.state) === "closed" ? closeReasonLabel(c.close_reason) : "";
  return [conversationStateLabel(c.state), waitingFor(c), why].filter(Boolean).join(" · ");
}

function renderList(conversations) {
  const sorted = [...conversations].sort((a, b) => Number(Boolean(b.overdue)) - Number(Boolean(a.overdue)));
  const body = document.querySelector("#conversations tbody");
  body.replaceChildren(...sorted.map((c) => el("tr", {
    "data-conversation": c.conversation_id,
    class: [c.overdue ? "overdue" : "", c.conversation_id === openId ? "selected" : ""].join(" ").trim(),
  }, el("td", {}, c.conversation_id), el("td", { class: "state", "data-stage": c.stage || "" }, stateText(c)),
  el("td", {}, c.channel || ""),
  el("td", {}, c.topic || ""), el("td", {}, c.queue || ""), el("td", {}, c.agent_id || "—"),
  el("td", { class: "due" }, c.overdue ? `Overdue ${dueText(c)}`.trim() : dueText(c)),
  el("td", {}, el("button", { type: "button", "data-action": "open", onclick: () => open(c.conversation_id) }, "Open")))));
  document.getElementById("list-count").textContent = `(${sorted.length})`;
  document.getElementById("list-empty").hidden = sorted.length > 0;
}

async function refresh() {
  const f = filters();
  try {
    board = await api(`/api/v1/board/conversations${query({ channel: f.channel, topic: f.topic, queue: f.queue })}`);
    renderBoard();
    const list = await api(`/api/v1/conversations${query({ channel: f.channel, topic: f.topic, queue: f.queue,
      overdue: f.overdueOnly ? "true" : "" })}`);
    renderList(list.conversations || []);
    showError("page-error", "");
    document.body.dataset.loaded = String(Date.now());
  } catch (error) {
    showError("page-error", error.message);
  }
  if (chosen.size) loadChosen();
  if (openId) show(openId);
  if (Date.now() - figuresAsked > 5000) loadFigures(); // figures change slowly: at most every 5 s
}

const seconds = (d) => (d ? parseFloat(String(d)) || 0 : 0); // a Duration as JSON: "12.5s"
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
let figuresAsked = 0;

function figureCells(row) {
  const share = row.overdue_percent ? ` (${Math.round(row.overdue_percent)} %)` : "";
  return [String(n(row.created)), String(n(row.closed)), duration(seconds(row.average_first_response)),
    duration(seconds(row.average_reply)), duration(seconds(row.average_handle))].map((v) => el("td", {}, v))
    .concat(el("td", n(row.overdue) > 0 ? { class: "overdue" } : {}, `${n(row.overdue)}${share}`));
}

async function loadFigures() {
  figuresAsked = Date.now();
  const f = filters();
  const groupBy = document.getElementById("figures-form").group_by.value;
  const asked = query({ group_by: groupBy, channel: f.channel, topic: f.topic, tz: zone });
  // the same figures as a download: the group and filters shown, today in the browser's zone
  document.getElementById("figures-csv").href = `/api/v1/export/conversations.csv${asked}`;
  try {
    const reply = await api(`/api/v1/stats/conversations${asked}`);
    document.querySelector("#conv-figures tbody").replaceChildren(...(reply.rows || []).map((row) =>
      el("tr", { "data-key": row.key || "" }, el("th", { scope: "row" }, row.key || "(none)"), ...figureCells(row))));
    document.querySelector("#conv-figures tfoot").replaceChildren(el("tr", { class: "totals" },
      el("th", { scope: "row" }, "Total"), ...figureCells(reply.total || {})));
    showError("figures-error", "");
  } catch (error) {
    showError("figures-error", `Figures unavailable: ${error.message}`);
  }
}

function renderConversation(c) {
  const section = document.getElementById("conversation");
  section.hidden = false;
  section.dataset.conversation = c.conversation_id;
  document.getElementById("conversation-title").textContent = `Conversation ${c.conversation_id}`;
  const state = document.getElementById("conv-state");
  state.textContent = stateText(c) + (c.overdue ? " · overdue" : "");
  state.className = c.overdue ? "bad" : "";
  document.getElementById("holder").textContent = c.agent_id || "nobody (waiting in the queue's line)";
  document.getElementById("holder").dataset.agent = c.agent_id || "";
  document.getElementById("conv-channel").textContent = [c.channel, c.topic].filter(Boolean).join(" · ");
  document.getElementById("messages").replaceChildren(...(c.messages || []).map((m) => {
    const author = authorCode(m.author);
    return el("li", { class: `author-${author}`, "data-message": m.message_id },
      el("small", {}, `${AUTHORS[author] || author}${m.actor ? ` · ${m.actor}` : ""}`), m.text);
  }));
  const closed = stateCode(c.state) === "closed";
  for (const button of section.querySelectorAll("button")) button.disabled = closed;
}

async function show(id) {
  try {
    const { conversation } = await api(`/api/v1/conversations/${encodeURIComponent(id)}`);
    renderConversation(conversation);
  } catch (error) {
    showError("conversation-error", error.message);
  }
}

async function open(id) {
  openId = id;
  showError("conversation-error", "");
  for (const row of document.querySelectorAll("#conversations tr[data-conversation]")) {
    row.classList.toggle("selected", row.dataset.conversation === id);
  }
  await show(id);
  document.getElementById("conversation").scrollIntoView({ block: "nearest" });
}

async function act(path, body, verb) {
  if (!openId) return;
  showError("conversation-error", "");
  try {
    const { conversation } = await api(`/api/v1/conversations/${encodeURIComponent(openId)}/${path}`,
      { method: "POST", body });
    await show(conversation.conversation_id);
    schedule();
    return true;
  } catch (error) {
    showError("conversation-error", `Could not ${verb}: ${error.message}`);
    return false;
  }
}

const messageId = () => `sup-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
let schedule = () => {};

me().then(async (user) => {
  await header(user);
  if (user.role === "agent") {
    showError("page-error", "This page is for supervisors.");
    return;
  }
  const form = document.getElementById("conv-filters");
  form.addEventListener("submit", (e) => { e.preventDefault(); figuresAsked = 0; refresh(); });
  form.queue.addEventListener("change", () => refresh());
  form.overdue_only.addEventListener("change", () => refresh());
  document.getElementById("figures-form").group_by.addEventListener("change", () => loadFigures());
  const section = document.getElementById("conversation");
  const take = section.querySelector('[data-action="take"]');
  take.hidden = !user.agent_id; // taking needs an agent of one's own
  take.addEventListener("click", () => act("take", undefined, "take it"));
  section.querySelector('[data-action="reassign"]').addEventListener("click", () =>
    act("transfer", { agent_id: document.getElementById("reassign-to").value }, "reassign it"));
  section.querySelector('[data-action="close"]').addEventListener("click", () => act("close", undefined, "close it"));
  const messageForm = document.getElementById("message-form");
  messageForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const kind = e.submitter ? e.submitter.value : "note";
    const body = { message_id: messageId(), text: messageForm.text.value };
    const done = await act(kind === "reply" ? "supervisor-reply" : "note", body, kind === "reply" ? "reply" : "send the note");
    if (done) messageForm.text.value = "";
  });
  schedule = follow(refresh);
});
