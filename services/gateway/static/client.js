// The customer card (S1.5): the client's details, their history in time order (calls, stage
// changes, tasks, comments, conversations), calls with recordings, conversations (chats) with
// their newest messages, leads with their stage history, tasks and comments. The API applies the role rules: whoever sees the client's personal manager reads
// the whole history; anyone else only what is theirs to see (the page says so).
import { api, duration, el, header, me, play } from "/static/api.js";
import { outcomeLabel } from "/static/labels.js";

const number = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const seconds = (d) => (d ? parseFloat(String(d)) || 0 : 0); // a Duration as JSON: "12.5s"
const when = (t) => (t ? new Date(t).toLocaleString() : "");

function fill(table, rows, empty) {
  const body = document.querySelector(`#${table} tbody`);
  const columns = document.querySelector(`#${table} thead tr`).cells.length;
  body.replaceChildren(...(rows.length ? rows : [el("tr", { class: "empty" }, el("td", { colspan: columns }, empty))]));
}

const KINDS = { call: "Call", lead_stage: "Stage change", task: "Task", comment: "Comment", conversation: "Chat" };
const AUTHORS = { customer: "Customer", agent: "Agent", supervisor: "Supervisor", note: "Note" };

function timelineRow(item) {
  const who = item.agent_id || item.actor || item.author || "";
  let details = item.id;
  if (item.kind === "lead_stage") details = `${item.id}: ${item.from_stage || "—"} → ${item.to_stage}`;
  if (item.kind === "task") details = item.title;
  if (item.kind === "comment") details = item.text;
  return el("tr", { "data-kind": item.kind }, el("td", {}, when(item.at_ms)), el("td", {}, KINDS[item.kind] || item.kind),
    el("td", {}, who), el("td", {}, details));
}

function callRow(call) {
  const recording = (call.recording_ids || [])[0];
  const playButton = recording
    ? el("button", { type: "button", class: "play", onclick: () => play({ ...call, recording_id: recording }) }, "Play")
    : "";
  return el("tr", { "data-call": call.call_id }, el("td", {}, when(call.received_at)), el("td", {}, call.queue || ""),
    el("td", {}, outcomeLabel(call.outcome || "")), el("td", {}, call.agent_id || ""),
    el("td", {}, duration(seconds(call.talk_time))), el("td", {}, playButton));
}

function conversationRow(c) {
  const messages = el("ol", { class: "card-messages" }, ...(c.messages || []).map((m) => el("li",
    { "data-author": m.author, class: m.author === "note" ? "note" : "" },
    el("b", {}, `${AUTHORS[m.author] || m.author}${m.agent_id ? ` ${m.agent_id}` : ""}: `), m.text)));
  return el("tr", { "data-conversation": c.conversation_id, class: c.overdue ? "overdue" : "" },
    el("td", {}, when(c.created_at)), el("td", {}, c.channel), el("td", {}, c.topic || ""),
    el("td", {}, `${c.state}${c.overdue ? " (overdue)" : ""}`), el("td", {}, c.agent_id || ""), el("td", {}, messages));
}

function leadRow({ lead, history }) {
  const steps = el("ol", { class: "stage-history" }, ...history.map((h) => el("li", {},
    `${when(h.time)}: ${h.from_stage || "—"} → ${h.to_stage || h.from_stage || ""} (${h.actor || h.agent_id || ""})`)));
  return el("tr", { "data-lead": lead.lead_id }, el("td", {}, lead.lead_id), el("td", {}, lead.stage || ""),
    el("td", {}, lead.agent_id || ""), el("td", {}, when(lead.created_at)), el("td", {}, steps));
}

function taskRow(task) {
  return el("tr", { "data-task": task.id }, el("td", {}, when(task.created_ms)), el("td", {}, task.title || task.text),
    el("td", {}, task.agent_id || (task.queue ? `team ${task.queue}` : "")), el("td", {}, when(task.due_ms)),
    el("td", {}, task.overdue ? "overdue" : task.status));
}

function showDetails(card) {
  const client = card.client || {};
  const rows = [["Number", card.number], ["Name", client.name || ""], ["Personal manager", client.manager_id || "none"],
    ["Priority", client.priority ? `VIP (${client.priority})` : "ordinary"]];
  document.getElementById("details").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  document.getElementById("partial").hidden = card.whole_history;
}

async function load() {
  document.getElementById("client-number").textContent = number;
  const error = document.getElementById("client-error");
  try {
    const card = await api(`/api/v1/clients/${encodeURIComponent(number)}`);
    showDetails(card);
    fill("timeline", [...card.timeline].reverse().map(timelineRow), "Nothing yet.");
    fill("calls", card.calls.map(callRow), "No calls.");
    fill("conversations", (card.conversations || []).map(conversationRow), "No conversations.");
    fill("leads", card.leads.map(leadRow), "No leads.");
    fill("tasks", card.tasks.map(taskRow), "No tasks.");
    document.getElementById("comments").replaceChildren(...card.comments.map((c) => el("li", {},
      el("b", {}, c.author), ` ${when(c.created_ms)}: ${c.text}`)));
    document.body.dataset.loaded = "1";
  } catch (exc) {
    error.textContent = exc.status === 404 ? "No such client (or none you may see)." : exc.message;
    error.hidden = false;
    document.body.dataset.loaded = "error";
  }
}

me().then(async (user) => { await header(user); await load(); });
