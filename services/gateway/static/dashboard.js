// The live board: fetches /api/v1/board, re-fetches when the server-sent event stream says
// something changed (at most every 250 ms), and ticks the "time in state" clocks every second.
import { api, duration, el, header, me } from "/static/api.js";

let board = null;
let skew = 0; // server clock minus browser clock, in ms
let user = null;
let pending = null;
let pauseReasons = []; // the site's pause reasons (GET /api/v1/pause-reasons), in their order
const chosenReason = {}; // agent id -> the reason picked in their select (kept across re-renders)

const stateName = (s) => (s || "").replace(/^AGENT_STATE_|^CALL_STATE_/, "").toLowerCase();

async function refresh() {
  pending = null;
  try {
    board = await api(`/api/v1/board?tz=${encodeURIComponent(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC")}`);
    skew = board.generated_at_ms - Date.now();
    render();
  } catch (error) {
    console.warn("board refresh failed", error);
  }
}

function scheduleRefresh() {
  if (!pending) pending = setTimeout(refresh, 250);
}

function since(ms) {
  return ms ? duration((Date.now() + skew - ms) / 1000) : "";
}

function actionButtons(agent) {
  const cell = el("td", { class: "actions" });
  if (user.role === "agent" && agent.id !== user.agent_id) return cell;
  const act = (label, path, body) => el("button", { type: "button", "data-action": label, onclick: async () => {
    try { await api(`/api/v1/agents/${encodeURIComponent(agent.id)}/${path}`, { method: "POST", body }); }
    catch (error) { alert(error.message); }
    scheduleRefresh();
  } }, label);
  const state = stateName(agent.state);
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

function render() {
  const live = document.getElementById("live");
  live.title = board.stats_unavailable ? "live state shown; today's figures are unavailable (stats service down)" : "live updates";
  document.body.classList.toggle("stats-down", Boolean(board.stats_unavailable));
  const online = document.getElementById("online");
  online.replaceChildren(el("div", { class: "tile", id: "online-total" }, el("b", {}, board.online.total), "online"),
    ...Object.entries(board.online.by_queue).map(([q, n]) =>
      el("div", { class: "tile", "data-queue": q }, el("b", {}, n), q)));

  document.querySelector("#queues tbody").replaceChildren(...board.queues.map((q) => el("tr", { "data-queue": q.name },
    el("td", {}, q.name), el("td", {}, q.waiting), el("td", { "data-since": q.oldest_waiting_since_ms || "" },
      since(q.oldest_waiting_since_ms)),
    el("td", {}, q.available_agents), el("td", {}, q.answered_today ?? ""), el("td", {}, q.abandoned_today ?? ""),
    el("td", {}, q.service_level === null || q.service_level === undefined ? "" :
      `${Math.round(q.service_level * 100)} %`))));

  document.querySelector("#agents tbody").replaceChildren(...board.agents.map((a) => {
    const state = stateName(a.state);
    return el("tr", { "data-agent": a.id },
      el("td", {}, a.name || a.id),
      el("td", {}, el("span", { class: `state state-${state}`, "data-state": state },
        state.replace("_", " ") + (a.pause_reason ? ` (${reasonLabel(a.pause_reason)})` : "")),
        a.pending_pause_reason ? el("span", { class: "pending-pause", "data-pending-pause": a.pending_pause_reason },
          ` · pause after call: ${reasonLabel(a.pending_pause_reason)}`) : ""),
      el("td", { "data-since": a.since_ms || "" }, since(a.since_ms)),
      el("td", {}, a.call_id || ""), el("td", {}, (a.queues || []).join(", ")),
      el("td", {}, a.answered_today ?? ""),
      el("td", { class: a.missed_today ? "bad" : "" }, a.missed_today ?? ""),
      el("td", { class: "paused-today" }, Object.entries(a.paused_today_ms || {})
        .map(([r, ms]) => `${reasonLabel(r)} ${duration(ms / 1000)}`).join(", ")),
      actionButtons(a));
  }));

  document.querySelector("#overdue tbody").replaceChildren(...board.overdue.map((c) => el("tr", {},
    el("td", {}, el("a", { href: `/calls?call_id=${encodeURIComponent(c.call_id)}` }, c.call_id)),
    el("td", {}, c.queue), el("td", {}, stateName(c.state)),
    el("td", { class: "bad", "data-since": c.since_ms }, since(c.since_ms)))));

  document.querySelector("#leads tbody").replaceChildren(...board.leads_at_risk.map((l) => el("tr", {},
    el("td", {}, l.lead_id), el("td", {}, l.agent_id || ""), el("td", {}, l.reason))));
}

function reasonLabel(code) {
  const found = pauseReasons.find((r) => r.code === code);
  return found ? found.label : code;
}

function tick() {
  for (const cell of document.querySelectorAll("[data-since]")) {
    const ms = Number(cell.getAttribute("data-since"));
    if (ms) cell.textContent = since(ms);
  }
}

async function loadTasks() {
  if (user.role !== "agent") { document.getElementById("tasks").closest("section").hidden = true; return; }
  const { tasks } = await api("/api/v1/tasks");
  document.getElementById("tasks").replaceChildren(...tasks.map((t) => el("li", {},
    `${t.author} on ${t.subject_kind} ${t.subject_id}: ${t.text} `,
    el("button", { type: "button", onclick: async () => {
      await api(`/api/v1/tasks/${encodeURIComponent(t.id)}/close`, { method: "POST" });
      loadTasks();
    } }, "Done"))));
}

function connect() {
  const live = document.getElementById("live");
  const source = new EventSource("/api/v1/events");
  source.onopen = () => { live.dataset.state = "live"; live.textContent = "live"; scheduleRefresh(); };
  source.onmessage = () => scheduleRefresh();
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
