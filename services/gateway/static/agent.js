// One agent's day (the drill-down from the board or the call records): the state timeline as a
// bar and a table, the day's figures, pauses by reason, calls with recordings, missed calls and
// open tasks, and on the agent's own page their chats (chats.js). Every list comes from the API,
// which applies the role rules (a supervisor sees their teams' agents, an agent only themselves;
// anyone else's page is "not found").
import { api, duration, el, header, me, play } from "/static/api.js";
import { agentStateLabel, code, flagLabel, outcomeLabel, tone } from "/static/labels.js";
import { sortable } from "/static/sortable.js";
import { outboundPanel } from "/static/outbound.js";
import { chatsPanel } from "/static/chats.js";

const agentId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const STATE_ORDER = ["available", "reserved", "on_call", "wrap_up", "paused", "logged_out"];
const reasonLabels = new Map();
const names = new Map();

const seconds = (d) => (d ? parseFloat(String(d)) || 0 : 0); // a Duration as JSON: "12.5s"
const ms = (t) => (t ? Date.parse(t) : null); // a Timestamp as JSON: RFC 3339
const time = (t) => (t === null ? "" : new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }));
const when = (t) => (t ? new Date(t).toLocaleString() : "");
const reasonLabel = (c) => (c ? reasonLabels.get(c) || flagLabel(c) : "");
const agentName = (id) => names.get(id) || id;

function localToday() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function fill(table, rows, empty) {
  const body = document.querySelector(`#${table} tbody`);
  const columns = document.querySelector(`#${table} thead tr`).cells.length;
  body.replaceChildren(...(rows.length ? rows : [el("tr", { class: "empty" }, el("td", { colspan: columns }, empty))]));
}

function stateBadge(state) {
  const c = code(state);
  return el("span", { class: `state state-${c}`, "data-state": c }, agentStateLabel(c));
}

// The timeline: a bar of the day (midnight to midnight, each segment its share), a legend with
// the time spent in each state, and a table of the segments.
function showTimeline(reply) {
  const start = ms(reply.range.start), end = ms(reply.range.end);
  const segments = (reply.segments || []).map((s) => ({
    state: code(s.state), reason: s.reason || "", start: ms(s.start), end: ms(s.end),
    seconds: seconds(s.duration), call: s.call_id || "", ongoing: !!s.ongoing,
  }));
  const bar = document.getElementById("timeline-bar");
  bar.replaceChildren(...segments.map((s) => {
    const span = el("span", { class: `segment state-${s.state}`, "data-state": s.state,
      title: `${agentStateLabel(s.state)}${s.reason ? ` (${reasonLabel(s.reason)})` : ""}: ${time(s.start)}–${time(s.end)}` });
    // through the CSSOM: the Content-Security-Policy refuses style attributes
    span.style.left = `${(100 * (s.start - start)) / (end - start)}%`;
    span.style.width = `${(100 * (s.end - s.start)) / (end - start)}%`;
    return span;
  }));
  const totals = new Map();
  for (const s of segments) totals.set(s.state, (totals.get(s.state) || 0) + s.seconds);
  document.getElementById("timeline-legend").replaceChildren(...STATE_ORDER.map((state) => el("li", { "data-state": state },
    el("span", { class: `swatch state-${state}`, "aria-hidden": "true" }), `${agentStateLabel(state)} `,
    el("b", {}, duration(totals.get(state) || 0)))));
  const trimmed = document.getElementById("timeline-trimmed");
  trimmed.hidden = !reply.trimmed;
  trimmed.textContent = reply.trimmed ? `${reply.trimmed} earlier state changes of this day are no longer kept.` : "";
  fill("segments", segments.map((s) => el("tr", { "data-state": s.state },
    el("td", { "data-sort": s.start }, time(s.start)),
    el("td", { "data-sort": s.end }, s.ongoing ? "now" : time(s.end)),
    el("td", {}, stateBadge(s.state)),
    el("td", { class: "reason" }, reasonLabel(s.reason)),
    el("td", { "data-sort": s.seconds }, duration(s.seconds)),
    el("td", {}, s.call ? el("a", { href: `/calls?call_id=${encodeURIComponent(s.call)}` }, s.call) : ""))),
  "No state change this day.");
  fill("pauses", segments.filter((s) => s.state === "paused").map((s) => el("tr", {},
    el("td", { "data-sort": s.start }, time(s.start)),
    el("td", { "data-sort": s.end }, s.ongoing ? "now" : time(s.end)),
    el("td", {}, reasonLabel(s.reason) || "—"),
    el("td", { "data-sort": s.seconds }, duration(s.seconds)))), "No pause this day.");
}

const KPIS = [
  ["Offered", (a) => a.offered || 0], ["Answered", (a) => a.answered || 0], ["Missed", (a) => a.missed || 0],
  ["Rejected", (a) => a.rejected || 0], ["Handled", (a) => a.handled || 0],
  ["Talk time", (a) => duration(seconds(a.talk_time))], ["Average talk", (a) => duration(seconds(a.average_talk_time))],
  ["Wrap-up", (a) => duration(seconds(a.wrap_up_time))], ["Paused", (a) => duration(seconds(a.pause_time))],
  ["Logged in", (a) => duration(seconds(a.logged_in_time))],
  ["Occupancy", (a) => `${Math.round(100 * (a.occupancy || 0))} %`], ["Score", (a) => a.score || 0],
];

function showFigures(stats) {
  const a = (stats.agents || [])[0] || {};
  document.getElementById("kpis").replaceChildren(...KPIS.map(([label, value]) => el("div", { class: "tile" },
    el("b", {}, value(a)), label)));
  const byReason = Object.entries(a.pause_time_by_reason || {}).sort((x, y) => seconds(y[1]) - seconds(x[1]));
  fill("pause-reasons", byReason.map(([reason, d]) => el("tr", { "data-reason": reason },
    el("td", {}, reasonLabel(reason)), el("td", { "data-sort": seconds(d) }, duration(seconds(d))))), "No time paused.");
}


document.getElementById("player").addEventListener("error", () => {
  const error = document.getElementById("player-error");
  error.textContent = "This recording cannot be played right now.";
  error.hidden = false;
});

function showCalls(calls, missed) {
  const taken = calls.filter((c) => c.agent_id === agentId);
  fill("agent-calls", taken.map((c) => el("tr", { "data-call": c.call_id },
    el("td", { "data-sort": c.received_ms ?? "" }, when(c.received_ms)),
    el("td", {}, el("a", { href: `/calls?call_id=${encodeURIComponent(c.call_id)}` }, c.caller || c.call_id)),
    el("td", {}, c.queue),
    el("td", {}, el("span", { class: `badge tone-${c.outcome === "answered" ? "ok" : tone(c.outcome)}` },
      c.outcome === "answered" ? "Answered" : outcomeLabel(c.outcome))),
    el("td", { "data-sort": c.talk_ms || 0 }, duration((c.talk_ms || 0) / 1000)),
    el("td", {}, c.recording_id ? el("button", { type: "button", class: "play", onclick: () => play(c) }, "▶ Play") : ""))),
  "No call taken this day.");
  fill("missed", missed.map((c) => {
    const mine = (c.offers || []).filter((o) => o.agent_id === agentId && o.outcome !== "answered");
    const ring = mine.reduce((sum, o) => sum + (o.ring_ms || 0), 0) / 1000;
    return el("tr", { "data-call": c.call_id },
      el("td", { "data-sort": c.received_ms ?? "" }, when(c.received_ms)),
      el("td", {}, c.caller), el("td", {}, c.queue),
      el("td", { "data-sort": ring }, duration(ring)),
      el("td", {}, mine.map((o) => flagLabel(o.outcome)).join(", ")));
  }), "No missed call this day.");
}

function showTasks(tasks) {
  fill("tasks", tasks.map((t) => el("tr", { "data-task": t.id },
    el("td", { "data-sort": t.created_ms }, when(t.created_ms)), el("td", {}, t.author),
    el("td", {}, t.subject_kind === "call"
      ? el("a", { href: `/calls?call_id=${encodeURIComponent(t.subject_id)}` }, `call ${t.subject_id}`)
      : `${t.subject_kind} ${t.subject_kind === "agent" ? agentName(t.subject_id) : t.subject_id}`),
    el("td", {}, t.title || t.text),
    el("td", { "data-sort": t.due_ms || 0, class: t.overdue ? "bad" : "" },
      t.due_ms ? `${when(t.due_ms)}${t.overdue ? " (overdue)" : ""}` : ""))), "No open task.");
}

async function loadTasks() {
  const tasks = await api(`/api/v1/tasks?${new URLSearchParams({ agent_id: agentId })}`);
  showTasks(tasks.tasks || []);
}

// Supervisors and admins give the agent a task: a title, optionally a due time with a
// reminder before it and a recurrence (S1.10: "call the client again in 2 weeks").
function taskForm() {
  const form = document.getElementById("task-form");
  const error = document.getElementById("task-error");
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = form.elements;
    const body = { title: f.title.value, agent_id: agentId };
    if (f.due.value) body.due_ms = new Date(f.due.value).getTime();
    if (f.remind.value) body.reminders = [Number(f.remind.value)];
    if (f.unit.value) body.recurrence = { every: Number(f.every.value), unit: f.unit.value };
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    try {
      await api("/api/v1/tasks", { method: "POST", body });
      form.reset();
      error.hidden = true;
      await loadTasks();
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
      const input = { due_ms: f.due, reminders: f.remind, recurrence: f.unit, title: f.title }[failure.field];
      if (input) input.setAttribute("aria-invalid", "true");
    }
  });
}

function showError(error) {
  const p = document.getElementById("agent-error");
  p.textContent = error ? error.message : "";
  p.hidden = !error;
}

async function load(day) {
  const period = new URLSearchParams({ day, tz });
  const range = new URLSearchParams({ agent_id: agentId, from: day, to: day, tz, page_size: "200" });
  const missedRange = new URLSearchParams(range);
  missedRange.set("outcome", "missed");
  const id = encodeURIComponent(agentId);
  const [timeline, stats, calls, missed, tasks] = await Promise.all([
    api(`/api/v1/agents/${id}/timeline?${period}`),
    api(`/api/v1/stats/agents?${new URLSearchParams({ agent_id: agentId, day, tz })}`),
    api(`/api/v1/calls?${range}`),
    api(`/api/v1/calls?${missedRange}`),
    api(`/api/v1/tasks?${new URLSearchParams({ agent_id: agentId })}`),
  ]);
  showTimeline(timeline);
  showFigures(stats);
  showCalls(calls.calls || [], missed.calls || []);
  showTasks(tasks.tasks || []);
  document.body.dataset.loaded = day;
}

const user = await me();
await header(user);
const [agentReply, reasons, visible] = await Promise.all([
  api(`/api/v1/agents/${encodeURIComponent(agentId)}`).catch((error) => ({ error })),
  api("/api/v1/pause-reasons").catch(() => ({ reasons: [] })),
  api("/api/v1/agents").catch(() => ({ agents: [] })),
]);
for (const r of reasons.reasons || []) reasonLabels.set(r.code, r.label || r.code);
for (const a of visible.agents || []) names.set(a.id, a.name || a.id);
if (agentReply.error) {
  document.getElementById("agent-name").textContent = agentId;
  showError(agentReply.error);
} else {
  const agent = agentReply.agent;
  document.getElementById("agent-name").textContent = agent.name || agent.id;
  document.title = `Call centre · ${agent.name || agent.id}`;
  const status = agent.status || {};
  const now = document.getElementById("agent-now");
  now.replaceChildren("Now: ", stateBadge(status.state || "logged_out"),
    status.pause_reason ? ` ${reasonLabel(status.pause_reason)}` : "", ` · queues ${(agent.queues || []).join(", ")}`);
  for (const table of document.querySelectorAll("main table")) sortable(table);
  const form = document.getElementById("day-form");
  form.elements.day.value = new URLSearchParams(location.search).get("day") || localToday();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load(form.elements.day.value).then(() => showError(null), showError);
  });
  await load(form.elements.day.value).catch(showError);
  if (user.role !== "agent") taskForm();
  await outboundPanel(user, agentId).catch(showError);
  document.body.dataset.outbound = "ready";
  await chatsPanel(user, agentId).catch(showError);
  document.body.dataset.chats = "ready";
}
