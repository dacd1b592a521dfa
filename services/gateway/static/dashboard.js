// The live board: fetches /api/v1/board, re-fetches when the server-sent event stream says
// something changed (at most every 250 ms), and ticks the "time in state" clocks every second.
// Alerts: the server judges the figures (service level, abandonment) and gives the limits and
// since-times; the clocks' breaches (a long wait, an agent stuck ringing, in wrap-up or paused)
// happen with no event, so each tick flags them here, within a second of passing the limit.
import { api, duration, el, header, me } from "/static/api.js";
import { agentStateLabel, callStateLabel, code, flagLabel, subjectLabel, tone } from "/static/labels.js";

let board = null;
let skew = 0; // server clock minus browser clock, in ms
let user = null;
let pending = null;
let lastEventAt = 0; // performance.now() when the event stream last said something changed
let pauseReasons = []; // the site's pause reasons (GET /api/v1/pause-reasons), in their order
const chosenReason = {}; // agent id -> the reason picked in their select (kept across re-renders)
const SETTLE_MS = 100; // how long stats may take to count an event the stream has announced
const CONVERSATION_SETTLE_MS = 1000; // a conversation event: the tile asks once more this long after

// What each agent state may last before the agent counts as stuck (the board's thresholds).
const STUCK_LIMITS = { reserved: "ringing_max_s", wrap_up: "wrap_up_max_s", paused: "paused_max_s" };
const ALERT_TONES = { service_level: "bad", abandonment: "bad", longest_wait: "warn", agent_stuck: "warn" };
const ALERT_LABELS = { service_level: "Service level", abandonment: "Abandonment", longest_wait: "Long wait",
  agent_stuck: "Agent stuck" };

const now = () => Date.now() + skew;

async function refresh() {
  pending = null;
  const asked = performance.now();
  try {
    board = await api(`/api/v1/board?tz=${encodeURIComponent(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC")}`);
    skew = board.generated_at_ms - Date.now();
    render();
  } catch (error) {
    console.warn("board refresh failed", error);
    return;
  }
  // Figures are shared a moment by every browser (figures_ttl_ms): ones read before the last
  // event may not count it yet, so ask again once the server reads stats anew.
  const figuresAt = asked - Math.max(0, board.generated_at_ms - board.figures_at_ms);
  if (lastEventAt && figuresAt < lastEventAt + SETTLE_MS) {
    scheduleRefresh(Math.max(50, figuresAt + board.figures_ttl_ms + 30 - performance.now()));
  }
}

function scheduleRefresh(ms = 250) {
  if (!pending) pending = setTimeout(refresh, ms);
}

function since(ms) {
  return ms ? duration((now() - ms) / 1000) : "";
}

const percent = (fraction) => (fraction === null || fraction === undefined ? "" : `${Math.round(fraction * 100)} %`);
const agentName = (id) => board.agents.find((a) => a.id === id)?.name || id;

function actionButtons(agent) {
  const cell = el("td", { class: "actions" });
  if (user.role === "agent" && agent.id !== user.agent_id) return cell;
  const act = (label, path, body) => el("button", { type: "button", "data-action": label, onclick: async () => {
    try { await api(`/api/v1/agents/${encodeURIComponent(agent.id)}/${path}`, { method: "POST", body }); }
    catch (error) { alert(error.message); }
    scheduleRefresh();
  } }, label);
  const state = code(agent.state);
  const busy = ["reserved", "on_call", "wrap_up"].includes(state);
  if ((state === "available" || busy) && !agent.pending_pause_reason) {
    // a reason from the site's list; a busy agent is paused when they leave the call
    const select = el("select", { "data-pause-reason": agent.id, "aria-label": "pause reason",
      onchange: () => { chosenReason[agent.id] = select.value; } },
      ...pauseReasons.filter((r) => !r.automatic).map((r) => el("option", { value: r.code }, r.label)));
    if (chosenReason[agent.id]) select.value = chosenReason[agent.id];
    const label = busy ? "Pause after this call" : "Pause";
    const button = el("button", { type: "button", "data-action": label, onclick: async () => {
      try {
        await api(`/api/v1/agents/${encodeURIComponent(agent.id)}/pause`, { method: "POST",
          body: { reason: select.value, ...(busy ? { after_current_call: true } : {}) } });
      } catch (error) { alert(error.message); }
      scheduleRefresh();
    } }, label);
    cell.append(select, button);
  }
  if (agent.pending_pause_reason) cell.append(act("Cancel pause", "resume", {}));
  if (state === "paused") cell.append(act("Resume", "resume", {}));
  if (state === "wrap_up") {
    cell.append(act("End wrap-up", "wrap-up/end", {}));
    if (user.role !== "agent") cell.append(act("+1 min", "wrap-up/extend", { seconds: 60 }));
  }
  if (["available", "paused", "wrap_up"].includes(state)) cell.append(act("Log out", "logout", {}));
  return cell;
}

/** The queue's limits from the board's thresholds, or null (agents get none). */
function queueLimits(name) {
  return board.thresholds?.queues.find((q) => q.queue === name) || null;
}

/** The clocks' alerts as of now: a long wait, agents stuck (dated when the limit passed). */
function clockAlerts() {
  if (!board.thresholds) return [];
  const found = [];
  const t = now();
  for (const q of board.queues) {
    const limits = queueLimits(q.name);
    const oldest = q.oldest_waiting_since_ms;
    if (!limits || !oldest || t - oldest <= limits.longest_wait_max_s * 1000) continue;
    const known = board.alerts.find((a) => a.kind === "longest_wait" && a.queue === q.name);
    const waited = (t - oldest) / 1000;
    found.push({ kind: "longest_wait", queue: q.name, since_ms: known ? known.since_ms : oldest + limits.longest_wait_max_s * 1000,
      value: Math.round(waited), limit: limits.longest_wait_max_s,
      cause: `Longest wait ${duration(waited)} in ${q.name} is over the ${duration(limits.longest_wait_max_s)} limit` });
  }
  for (const a of board.agents) {
    const limit = board.thresholds.agents[STUCK_LIMITS[code(a.state)]];
    if (!limit || !a.since_ms || t - a.since_ms <= limit * 1000) continue;
    const spent = (t - a.since_ms) / 1000;
    const name = a.name || a.id;
    found.push({ kind: "agent_stuck", agent_id: a.id, agent_name: name, state: a.state,
      since_ms: a.since_ms + limit * 1000, value: Math.round(spent), limit,
      cause: `${name}: ${agentStateLabel(a.state)} for ${duration(spent)}, over the ${duration(limit)} limit` });
  }
  return found;
}

/** Every alert now, newest first: the server's figure alerts and the clocks' as of this second. */
function currentAlerts() {
  const figures = board.alerts.filter((a) => a.kind === "service_level" || a.kind === "abandonment");
  return [...figures, ...clockAlerts()].sort((a, b) => b.since_ms - a.since_ms);
}

function renderAlerts() {
  const section = document.getElementById("alerts-section");
  section.hidden = !board.thresholds;
  if (!board.thresholds) return;
  const alerts = currentAlerts();
  document.getElementById("alert-count").textContent = alerts.length ? `(${alerts.length})` : "";
  document.getElementById("no-alerts").hidden = alerts.length > 0;
  const list = document.getElementById("alerts");
  list.replaceChildren(...alerts.map((a) => el("li", {
    class: `alert alert-${ALERT_TONES[a.kind] || "warn"}`, "data-alert": a.kind,
    "data-queue": a.queue, "data-agent": a.agent_id, "data-since-ms": a.since_ms },
  el("time", { datetime: new Date(a.since_ms).toISOString(), title: "since" },
    new Date(a.since_ms).toLocaleTimeString()),
  el("span", { class: "alert-kind" }, ALERT_LABELS[a.kind] || a.kind),
  el("span", { class: "alert-cause" }, a.cause))));
  // Breached cells and stuck agents, as of this second.
  const breached = {};
  for (const a of alerts) {
    if (a.queue) (breached[a.queue] ||= new Set()).add(a.kind);
  }
  for (const row of document.querySelectorAll("#queues tbody tr")) {
    const kinds = breached[row.dataset.queue] || new Set();
    for (const cell of row.querySelectorAll("[data-breach]")) {
      cell.classList.toggle("breached", kinds.has(cell.dataset.breach));
    }
  }
  const stuck = new Set(alerts.filter((a) => a.kind === "agent_stuck").map((a) => a.agent_id));
  for (const row of document.querySelectorAll("#agents tbody tr")) {
    const flagged = stuck.has(row.dataset.agent);
    row.classList.toggle("stuck", flagged);
    row.dataset.stuck = flagged ? "true" : "false";
    row.querySelector(".stuck-flag").hidden = !flagged;
  }
}

function queueRow(q) {
  const agents = q.agents || {};
  const limits = queueLimits(q.name);
  const limitTitle = (text) => (limits ? { title: text } : {});
  return el("tr", { "data-queue": q.name },
    el("td", {}, user.role === "agent" ? q.name : el("a", { href: `/queues/${encodeURIComponent(q.name)}` }, q.name)),
    el("td", {}, q.waiting),
    el("td", { "data-since": q.oldest_waiting_since_ms || "", "data-breach": "longest_wait",
      ...limitTitle(limits && `limit ${duration(limits.longest_wait_max_s)}`) }, since(q.oldest_waiting_since_ms)),
    ...["available", "on_call", "wrap_up", "paused", "ringing"].map((activity) =>
      el("td", { "data-activity": activity }, agents[activity] ?? "")),
    el("td", {}, q.answered_today ?? ""), el("td", {}, q.abandoned_today ?? ""),
    el("td", { "data-breach": "service_level",
      ...limitTitle(limits && `at least ${limits.service_level_min_percent} %`) }, percent(q.service_level)),
    el("td", { "data-interval": q.interval_start_ms || "" }, percent(q.service_level_interval)),
    el("td", {}, q.asa_ms === null || q.asa_ms === undefined ? "" : duration(q.asa_ms / 1000)),
    el("td", { "data-breach": "abandonment",
      ...limitTitle(limits && `at most ${limits.abandoned_max_percent} %`) }, percent(q.abandonment_rate)));
}

function agentRow(a) {
  const state = code(a.state);
  return el("tr", { "data-agent": a.id },
    el("td", {}, el("a", { href: `/agents/${encodeURIComponent(a.id)}` }, a.name || a.id)),
    el("td", {}, el("span", { class: `state state-${state}`, "data-state": state, "data-tone": tone(state) },
      agentStateLabel(state) + (a.pause_reason ? ` (${reasonLabel(a.pause_reason)})` : "")),
    el("span", { class: "stuck-flag", hidden: "" }, "Stuck"),
    a.pending_pause_reason ? el("span", { class: "pending-pause", "data-pending-pause": a.pending_pause_reason },
      ` · pause after call: ${reasonLabel(a.pending_pause_reason)}`) : ""),
    el("td", { class: "in-state", "data-since": a.since_ms || "" }, since(a.since_ms)),
    el("td", {}, a.call_id || ""), el("td", {}, (a.queues || []).join(", ")),
    el("td", {}, a.answered_today ?? ""),
    el("td", { class: a.missed_today ? "bad" : "" }, a.missed_today ?? ""),
    el("td", { class: "paused-today" }, Object.entries(a.paused_today_ms || {})
      .map(([r, ms]) => `${reasonLabel(r)} ${duration(ms / 1000)}`).join(", ")),
    actionButtons(a));
}

function render() {
  const live = document.getElementById("live");
  live.title = board.stats_unavailable ? "live state shown; today's figures are unavailable (stats service down)" : "live updates";
  document.body.classList.toggle("stats-down", Boolean(board.stats_unavailable));
  const online = document.getElementById("online");
  online.replaceChildren(el("div", { class: "tile", id: "online-total" }, el("b", {}, board.online.total), "online"),
    ...Object.entries(board.online.by_queue).map(([q, n]) =>
      el("div", { class: "tile", "data-queue": q }, el("b", {}, n), q)));
  document.querySelector("#queues tbody").replaceChildren(...board.queues.map(queueRow));
  document.querySelector("#agents tbody").replaceChildren(...board.agents.map(agentRow));
  document.querySelector("#overdue tbody").replaceChildren(...board.overdue.map((c) => el("tr", {},
    el("td", {}, el("a", { href: `/calls?call_id=${encodeURIComponent(c.call_id)}` }, c.call_id)),
    el("td", {}, c.queue), el("td", {}, callStateLabel(c.state)),
    el("td", { class: "bad", "data-since": c.since_ms }, since(c.since_ms)))));
  document.querySelector("#leads tbody").replaceChildren(...board.leads_at_risk.map((l) => el("tr", {},
    el("td", {}, l.lead_id), el("td", {}, l.agent_id ? agentName(l.agent_id) : ""), el("td", {}, flagLabel(l.reason)))));
  renderConversations();
  renderAlerts();
}

// The conversations tile (supervisors, admins: their queues' open chats; none where no queue
// takes conversations): each count links to /conversations, overdue in red above 0.
const CONVERSATION_TILES = [["open", "open"], ["new", "new (waiting in line)"], ["unanswered", "unanswered"],
  ["overdue", "overdue"]];

function renderConversations() {
  const c = board.conversations;
  const section = document.getElementById("conversations-section");
  section.hidden = !c;
  if (!c) return;
  const box = document.getElementById("conversations");
  if (c.unavailable) {
    box.replaceChildren(el("p", { class: "muted" }, "Conversation counts are unavailable (stats service down)."));
    return;
  }
  box.replaceChildren(...CONVERSATION_TILES.map(([key, label]) => el("a", {
    class: key === "overdue" && c[key] > 0 ? "tile bad" : "tile", href: "/conversations", "data-conversations": key },
  el("b", {}, c[key] ?? 0), label)));
}

function reasonLabel(reason) {
  const found = pauseReasons.find((r) => r.code === reason);
  return found ? found.label : reason;
}

function tick() {
  if (!board) return;
  for (const cell of document.querySelectorAll("[data-since]")) {
    const ms = Number(cell.getAttribute("data-since"));
    if (ms) cell.textContent = since(ms);
  }
  renderAlerts();
}

// The agent's notification list: title, subject, due (relative; overdue in red), and what they
// may do with it. A task event on the live feed reloads it.
function dueLabel(t) {
  if (!t.due_ms) return "no due time";
  const minutes = Math.round((t.due_ms - now()) / 60000);
  const span = Math.abs(minutes) < 60 ? `${Math.abs(minutes)} min`
    : Math.abs(minutes) < 2880 ? `${Math.round(Math.abs(minutes) / 60)} h` : `${Math.round(Math.abs(minutes) / 1440)} days`;
  return minutes < 0 || t.overdue ? `overdue ${span}` : `due in ${span}`;
}

async function taskAction(t, action, body) {
  await api(`/api/v1/tasks/${encodeURIComponent(t.id)}/${encodeURIComponent(action)}`, { method: "POST", body });
  loadTasks();
}

async function loadTasks() {
  if (user.role !== "agent") { document.getElementById("tasks").closest("section").hidden = true; return; }
  const { tasks } = await api("/api/v1/tasks");
  document.getElementById("tasks").replaceChildren(...tasks.map((t) => el("li",
    { "data-task": t.id, "data-overdue": t.overdue ? "1" : "", "data-reminded": t.reminded.length ? "1" : "" },
    el("strong", {}, t.title || t.text), " ",
    t.subject_kind ? el("span", { class: "muted" }, `${subjectLabel(t.subject_kind)} ${t.subject_id} `) : "",
    el("time", { class: t.overdue ? "overdue" : "", title: t.due_ms ? new Date(t.due_ms).toLocaleString() : "" },
      dueLabel(t)), " ",
    ...(t.queue && !t.agent_id
      ? [el("button", { type: "button", onclick: () => taskAction(t, "take") }, `Take (${t.queue})`)]
      : [el("button", { type: "button", onclick: () => taskAction(t, "done") }, "Done"),
        el("button", { type: "button", onclick: () => taskAction(t, "snooze", { minutes: 60 }) }, "Snooze 1 h"),
        el("button", { type: "button", onclick: () => taskAction(t, "snooze", { minutes: 1440 }) }, "Snooze 1 day")]))));
}

function connect() {
  const live = document.getElementById("live");
  const source = new EventSource("/api/v1/events");
  source.onopen = () => { live.dataset.state = "live"; live.textContent = "live"; scheduleRefresh(); };
  source.onmessage = (message) => {
    lastEventAt = performance.now();
    scheduleRefresh();
    const type = JSON.parse(message.data).type || "";
    if (type.startsWith("task_")) loadTasks();
    // The tile's counts are the stats service's, which may count the event a moment after the
    // feed announced it: ask once more then.
    if (type.startsWith("conversation_")) setTimeout(() => scheduleRefresh(), CONVERSATION_SETTLE_MS);
  };
  source.addEventListener("task", () => loadTasks());
  source.onerror = () => {
    // EventSource reconnects by itself; show that the view may be stale meanwhile.
    live.dataset.state = "lost";
    live.textContent = "reconnecting…";
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
  };
}

user = await me();
await header(user);
// Today's figures as CSV downloads, in the browser's time zone (queue figures: supervisors).
for (const kind of ["agents", "queues"]) {
  const link = document.getElementById(`${kind}-csv`);
  const zone = new URLSearchParams({ tz: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC" });
  link.href = "/api/v1/export/" + kind + ".csv?" + zone.toString(); // fixed names; URLSearchParams encodes
  link.hidden = kind === "queues" && user.role === "agent";
}
try { pauseReasons = (await api("/api/v1/pause-reasons")).reasons; }
catch (error) { console.warn("pause reasons unavailable", error); }
await refresh();
await loadTasks();
connect();
setInterval(tick, 1000);
