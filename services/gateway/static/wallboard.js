// The wallboard: big tiles per queue for a TV. Two ways in:
//   /wallboard/<token>     a wallboard link (no session; the token opens only its queues' tiles)
//   /wallboard?queues=a,b  a logged-in admin or supervisor (their session, kept alive by the refreshes)
// The tiles come from the API; the server-sent event stream says when something changed (the page then
// asks again, at most every 250 ms), and the "longest wait" clocks tick every second in between.
const $ = (id) => document.getElementById(id);
const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const token = location.pathname.startsWith("/wallboard/") ? decodeURIComponent(location.pathname.slice("/wallboard/".length)) : "";
const chosen = (new URLSearchParams(location.search).get("queues") || "").split(",").map((q) => q.trim()).filter(Boolean);
const REFRESH_MS = 60_000; // also without events: a session's cookie stays fresh, a missed change is caught

let board = null;
let skew = 0; // server clock minus the browser's, ms
let pending = null;
let stream = null;

const dataUrl = () => (token
  ? `/api/v1/wallboard/${encodeURIComponent(token)}/board?tz=${encodeURIComponent(tz)}`
  : `/api/v1/wallboard?${new URLSearchParams({ queues: chosen.join(","), tz })}`);
const eventsUrl = () => (token ? `/api/v1/wallboard/${encodeURIComponent(token)}/changes` : "/api/v1/events");

function clock(seconds) {
  seconds = Math.max(0, Math.round(seconds));
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  return h ? `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}` : `${m}:${String(s).padStart(2, "0")}`;
}

function show(message) {
  $("wb-message").textContent = message;
  $("wb-message").hidden = false;
  $("wb-grid").replaceChildren();
}

function tile(label, value, key, tone = "") {
  const node = document.createElement("div");
  node.className = "wb-tile";
  node.dataset.tile = key;
  if (tone) node.dataset.tone = tone;
  const caption = document.createElement("span");
  caption.textContent = label;
  const number = document.createElement("b");
  number.textContent = value;
  node.append(caption, number);
  return node;
}

const dash = (value) => (value === null || value === undefined ? "–" : String(value));

function waitedS(t) {
  return t.oldest_waiting_since_ms ? (Date.now() + skew - t.oldest_waiting_since_ms) / 1000 : null;
}

function render() {
  const grid = $("wb-grid");
  const tiles = board.tiles;
  const cols = tiles.length <= 1 ? 1 : tiles.length <= 4 ? 2 : tiles.length <= 6 ? 3 : 4;
  grid.style.setProperty("--cols", String(cols));
  $("wb-stats").hidden = !board.stats_unavailable;
  $("wb-message").hidden = tiles.length > 0;
  if (!tiles.length) $("wb-message").textContent = "None of these queues exists (any more).";
  grid.replaceChildren(...tiles.map((t) => {
    const panel = document.createElement("section");
    panel.className = "wb-queue";
    panel.dataset.queue = t.queue;
    const title = document.createElement("h2");
    title.textContent = t.queue;
    const body = document.createElement("div");
    body.className = "wb-tiles";
    const waited = waitedS(t);
    const sl = t.service_level_percent;
    body.append(
      tile("Waiting", t.waiting, "waiting", t.waiting > 0 ? "warn" : ""),
      tile("Longest wait", waited === null ? "–" : clock(waited), "longest_wait", waited !== null && waited >= 60 ? "bad" : waited !== null ? "warn" : ""),
      tile("Available", t.available_agents, "available_agents", t.available_agents > 0 ? "ok" : ""),
      tile("On a call", t.agents_on_call, "agents_on_call"),
      tile("Service level today", sl === null || sl === undefined ? "–" : `${Math.round(sl)} %`, "service_level"),
      tile("Answered / abandoned", `${dash(t.answered_today)} / ${dash(t.abandoned_today)}`, "answered_abandoned",
        t.abandoned_today > 0 ? "warn" : ""),
    );
    const c = t.conversations; // where the queue takes conversations (null elsewhere)
    if (c) {
      body.classList.add("wb-tiles-chats");
      body.append(
        tile("Chats open / new", `${c.open} / ${c.new}`, "conversations_open_new", c.new > 0 ? "warn" : ""),
        tile("Chats unanswered", c.unanswered, "conversations_unanswered", c.unanswered > 0 ? "warn" : ""),
        tile("Chats overdue", c.overdue, "conversations_overdue", c.overdue > 0 ? "bad" : ""),
      );
    }
    panel.append(title, body);
    return panel;
  }));
}

function tick() {
  $("wb-clock").textContent = new Date(Date.now() + skew).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (!board) return;
  for (const t of board.tiles) {
    const cell = document.querySelector(`.wb-queue[data-queue="${CSS.escape(t.queue)}"] [data-tile=longest_wait] b`);
    const waited = waitedS(t);
    if (cell && waited !== null) cell.textContent = clock(waited);
  }
}

async function refresh() {
  pending = null;
  let reply;
  try {
    reply = await fetch(dataUrl(), { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch (error) {
    $("live").dataset.state = "lost";
    return;
  }
  if (reply.status === 401 && !token) { location.href = "/login"; return; }
  if (reply.status === 404 && token) {
    if (stream) stream.close();
    board = null;
    show("This wallboard link is not valid (it may have been revoked).");
    return;
  }
  const data = await reply.json().catch(() => ({}));
  if (!reply.ok) { show(data.error || `HTTP ${reply.status}`); return; }
  board = data;
  skew = data.generated_at_ms - Date.now();
  if (token && data.name) { $("wb-title").textContent = data.name; document.title = `${data.name} · wallboard`; }
  render();
}

function scheduleRefresh() {
  if (!pending) pending = setTimeout(refresh, 250);
}

function listen() {
  stream = new EventSource(eventsUrl());
  stream.onopen = () => { $("live").dataset.state = "live"; $("live").textContent = "live"; scheduleRefresh(); };
  stream.onmessage = scheduleRefresh;
  stream.onerror = () => { $("live").dataset.state = "lost"; $("live").textContent = "reconnecting…"; };
}

async function pickQueues() {
  // A logged-in user without ?queues=: choose from the queues they may see.
  const reply = await fetch("/api/v1/queues", { credentials: "same-origin" });
  if (reply.status === 401) { location.href = "/login"; return; }
  const { queues = [] } = await reply.json();
  const box = $("wb-picker-queues");
  box.replaceChildren(...queues.map((q) => {
    const label = document.createElement("label");
    const input = document.createElement("input");
    Object.assign(input, { type: "checkbox", name: "queue", value: q.name, checked: true });
    label.append(input, q.name);
    return label;
  }));
  $("wb-picker").hidden = false;
  $("wb-picker").addEventListener("submit", (event) => {
    event.preventDefault();
    const names = [...box.querySelectorAll("input:checked")].map((i) => i.value);
    if (names.length) location.search = `?${new URLSearchParams({ queues: names.join(",") })}`;
  });
}

setInterval(tick, 1000);
tick();
if (!token) $("wb-exit").hidden = false;
if (!token && !chosen.length) {
  pickQueues();
} else {
  await refresh();
  if (board) {
    listen();
    setInterval(refresh, REFRESH_MS);
  }
}
