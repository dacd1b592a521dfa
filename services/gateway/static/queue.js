// The queue page (S3.4): one queue's waiting calls (waiting time ticking), its ringing and
// connected calls with their agents, its agents' states and today's figures, refreshed live
// from the event stream (live.js). Per call: move to an available agent or another queue, take
// it, end it (confirmed in the row) and reassign a ringing one. Refusals (409: the agent is no
// longer free) show in the call's row. /queues without a name lists the user's queues.
import { api, duration, el, header, me } from "/static/api.js";
import { agentStateLabel, code, tone } from "/static/labels.js";
import { follow } from "/static/live.js";

const PREFIX = "/queues/";
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
let queue = "";
let view = null;
let skew = 0; // server clock minus browser clock, in ms
let pauseReasons = [];
let figuresAsked = 0;
const choice = new Map(); // "<call id>|<select>" -> the value picked (kept across refreshes)
const confirming = new Set(); // calls whose "End call" waits for its confirmation
const errors = new Map(); // call id -> the refusal of the last action on it
const busy = new Set(); // calls with an action under way

function since(ms) {
  return ms ? duration((Date.now() + skew - ms) / 1000) : "";
}

function reasonLabel(reason) {
  const found = pauseReasons.find((r) => r.code === reason);
  return found ? found.label : reason;
}

function showError(text) {
  const node = document.getElementById("page-error");
  node.textContent = text;
  node.hidden = !text;
}

async function refresh() {
  try {
    view = await api(`/api/v1/queues/${encodeURIComponent(queue)}/live`);
    skew = view.generated_at_ms - Date.now();
    showError("");
    render();
  } catch (error) {
    showError(error.message);
  }
  if (Date.now() - figuresAsked > 5000) loadFigures();
}

let schedule = () => {};

async function act(callId, path, body, verb) {
  busy.add(callId);
  errors.delete(callId);
  render();
  try {
    await api(`/api/v1/calls/${encodeURIComponent(callId)}/${path}`, { method: "POST", body });
  } catch (error) {
    errors.set(callId, `Could not ${verb}: ${error.message}`);
  } finally {
    busy.delete(callId);
    confirming.delete(callId);
  }
  render();
  schedule();
}

function picker(callId, name, label, options) {
  const key = `${callId}|${name}`;
  const select = el("select", { "data-target": name, "aria-label": label,
    onchange: () => choice.set(key, select.value) },
    ...options.map(([value, text]) => el("option", { value }, text)));
  if (choice.has(key) && options.some(([value]) => value === choice.get(key))) select.value = choice.get(key);
  else if (options.length) choice.set(key, select.value);
  if (!options.length) select.disabled = true;
  return select;
}

function button(label, onclick, disabled = false) {
  const node = el("button", { type: "button", "data-action": label, onclick }, label);
  node.disabled = disabled;
  return node;
}

function actions(call, kind) {
  const id = call.call_id;
  const box = el("div", { class: "call-actions" });
  const agents = view.targets.agents.map((a) => [a.id, a.name]);
  const working = busy.has(id);
  if (confirming.has(id)) {
    box.append(el("span", { class: "confirm" }, "End this call? "),
      button("Yes, end it", () => act(id, "end", {}, "end the call"), working),
      button("Cancel", () => { confirming.delete(id); render(); }, working));
  } else {
    if (kind === "waiting") {
      const toAgent = picker(id, "agent", "move to agent", agents);
      const toQueue = picker(id, "queue", "move to queue", view.targets.queues.map((q) => [q, q]));
      box.append(el("span", { class: "control" }, toAgent,
        button("Move to agent", () => act(id, "move", { agent_id: toAgent.value }, "move the call"),
          working || !agents.length)));
      box.append(el("span", { class: "control" }, toQueue,
        button("Move to queue", () => act(id, "move", { queue: toQueue.value }, "move the call"),
          working || !view.targets.queues.length)));
      if (view.own_agent_id) box.append(button("Take", () => act(id, "take", {}, "take the call"), working));
    } else if (call.state === "ringing") {
      const to = picker(id, "reassign", "reassign to", [...agents, ["", "Back to the queue"]]);
      box.append(el("span", { class: "control" }, to,
        button("Reassign", () => act(id, "reassign", to.value ? { agent_id: to.value } : {}, "reassign the call"),
          working)));
    }
    box.append(button("End call", () => { confirming.add(id); errors.delete(id); render(); }, working));
  }
  const problem = errors.get(id);
  if (problem) box.append(el("p", { class: "row-error bad", role: "alert", "data-error": id }, problem));
  return box;
}

function badge(state, text) {
  return el("span", { class: `state state-${state} tone-${tone(state)}`, "data-state": state }, text);
}

/** Rows keyed by call (or agent) id: an unchanged row keeps its node, so an open select survives. */
function fill(tbody, items, key, signature, build) {
  const old = new Map([...tbody.children].map((tr) => [tr.dataset.key, tr]));
  tbody.replaceChildren(...items.map((item) => {
    const sig = signature(item);
    const existing = old.get(key(item));
    if (existing && existing.dataset.sig === sig) return existing;
    const tr = build(item);
    tr.dataset.key = key(item);
    tr.dataset.sig = sig;
    return tr;
  }));
}

const cell = (label, ...children) => el("td", { "data-label": label }, ...children);
const rowState = (id) => [confirming.has(id), errors.get(id) || "", busy.has(id)];

function render() {
  if (!view) return;
  const known = new Set([...view.waiting, ...view.active].map((c) => c.call_id));
  for (const id of errors.keys()) if (!known.has(id)) errors.delete(id);
  for (const id of confirming) if (!known.has(id)) confirming.delete(id);
  const targets = JSON.stringify([view.targets, view.own_agent_id]);

  document.getElementById("waiting-count").textContent = view.waiting_total > view.waiting.length
    ? `(${view.waiting.length} of ${view.waiting_total})` : `(${view.waiting_total})`;
  document.getElementById("waiting-empty").hidden = view.waiting.length > 0;
  fill(document.querySelector("#waiting tbody"), view.waiting, (c) => c.call_id,
    (c) => JSON.stringify([c, targets, rowState(c.call_id)]),
    (c) => el("tr", { "data-call": c.call_id, class: c.vip ? "vip" : "" },
      cell("#", c.position || ""),
      cell("Caller", c.caller),
      cell("Waiting", el("span", { "data-since": c.waiting_since_ms || "" }, since(c.waiting_since_ms))),
      cell("Priority", c.vip ? el("span", { class: "vip-badge" }, `VIP ${c.priority}`) : "—"),
      cell("Call", el("a", { href: `/calls?call_id=${encodeURIComponent(c.call_id)}` }, c.call_id)),
      cell("Actions", actions(c, "waiting"))));

  document.getElementById("active-count").textContent = view.active_total > view.active.length
    ? `(${view.active.length} of ${view.active_total})` : `(${view.active_total})`;
  document.getElementById("active-empty").hidden = view.active.length > 0;
  fill(document.querySelector("#active tbody"), view.active, (c) => c.call_id,
    (c) => JSON.stringify([c, targets, rowState(c.call_id)]),
    (c) => el("tr", { "data-call": c.call_id, "data-call-state": c.state },
      cell("State", badge(c.state === "ringing" ? "reserved" : "on_call", c.state === "ringing" ? "Ringing" : "Connected")),
      cell("Caller", c.caller, c.vip ? el("span", { class: "vip-badge" }, ` VIP ${c.priority}`) : ""),
      cell("Agent", el("span", { "data-agent": c.agent_id }, c.agent_name || c.agent_id || "another team's agent")),
      cell("Since", el("span", { "data-since": c.since_ms || "" }, since(c.since_ms))),
      cell("Call", el("a", { href: `/calls?call_id=${encodeURIComponent(c.call_id)}` }, c.call_id)),
      cell("Actions", actions(c, "active"))));

  document.getElementById("agents-empty").hidden = view.agents.length > 0;
  fill(document.querySelector("#agents tbody"), view.agents, (a) => a.id, (a) => JSON.stringify(a), (a) => {
    const state = code(a.state);
    const label = agentStateLabel(a.state) + (a.pause_reason ? ` (${reasonLabel(a.pause_reason)})` : "");
    return el("tr", { "data-agent": a.id },
      cell("Agent", a.name),
      cell("State", badge(state, label), a.pending_pause_reason
        ? el("span", { class: "pending-pause" }, ` · pause after call: ${reasonLabel(a.pending_pause_reason)}`) : ""),
      cell("Time in state", el("span", { "data-since": a.since_ms || "" }, since(a.since_ms))),
      cell("Call", a.call_id || ""));
  });
  renderLiveTiles();
}

function tile(id, value, label) {
  return el("div", { class: "tile", "data-figure": id }, el("b", {}, value), label);
}

let figures = null;

function renderLiveTiles() {
  const q = view.queue;
  const f = figures;
  const seconds = (d) => (d ? duration(parseFloat(d)) : "0:00");
  document.getElementById("today").replaceChildren(
    tile("waiting", q.waiting, "waiting now"),
    tile("longest", el("span", { "data-since": q.oldest_waiting_since_ms || "" }, since(q.oldest_waiting_since_ms) || "—"),
      "longest wait"),
    tile("free", q.available_agents, "free agents"),
    ...(f ? [
      tile("offered", Number(f.offered || 0), "offered today"),
      tile("answered", Number(f.answered || 0), "answered today"),
      tile("abandoned", Number(f.abandoned || 0), "abandoned today"),
      tile("service-level", `${Math.round(f.service_level_percent || 0)} %`, "service level"),
      tile("asa", seconds(f.average_speed_of_answer), "avg. speed of answer"),
      tile("aht", seconds(f.average_handle_time), "avg. handle time"),
    ] : []));
}

async function loadFigures() {
  figuresAsked = Date.now();
  try {
    const reply = await api(`/api/v1/stats/queues?${new URLSearchParams({ queue, tz: zone })}`);
    figures = (reply.queues || []).find((q) => q.queue === queue) || {};
    document.getElementById("today-error").hidden = true;
  } catch (error) {
    figures = null;
    document.getElementById("today-error").hidden = false;
  }
  if (view) renderLiveTiles();
}

function tick() {
  for (const node of document.querySelectorAll("[data-since]")) {
    const ms = Number(node.getAttribute("data-since"));
    if (ms) node.textContent = since(ms);
  }
}

async function listQueues() {
  document.getElementById("picker").hidden = false;
  document.getElementById("title").textContent = "Queues";
  try {
    const { queues } = await api("/api/v1/queues");
    document.getElementById("queue-list").replaceChildren(...queues.map((q) => el("li", {},
      el("a", { href: PREFIX + encodeURIComponent(q.name) }, q.name),
      ` · ${q.counts?.waiting || 0} waiting`)));
    if (!queues.length) showError("You supervise no queue.");
  } catch (error) {
    showError(error.message);
  }
}

const user = await me();
await header(user);
const rest = location.pathname.startsWith(PREFIX) ? location.pathname.slice(PREFIX.length).replace(/\/$/, "") : "";
try { queue = decodeURIComponent(rest); } catch { queue = ""; }
if (user.role === "agent") {
  showError("The queue page is for supervisors.");
} else if (!queue) {
  await listQueues();
} else {
  document.getElementById("title").textContent = `Queue ${queue}`;
  document.title = `Call centre · queue ${queue}`;
  for (const id of ["today-section", "waiting-section", "active-section", "agents-section"]) {
    document.getElementById(id).hidden = false;
  }
  try { pauseReasons = (await api("/api/v1/pause-reasons")).reasons; } catch { pauseReasons = []; }
  await refresh();
  schedule = follow(refresh);
  setInterval(tick, 1000);
}
