// Shared by the pages: JSON calls to the gateway's API with the session's CSRF token.
let csrf = null;

export async function me() {
  const reply = await fetch("/api/v1/me", { credentials: "same-origin" });
  if (reply.status === 401) { location.href = "/login"; throw new Error("not logged in"); }
  const body = await reply.json();
  csrf = body.csrf_token;
  return body.user;
}

export async function api(path, { method = "GET", body } = {}) {
  const headers = { "Accept": "application/json" };
  if (method !== "GET") { headers["X-CSRF-Token"] = csrf; headers["Content-Type"] = "application/json"; }
  const reply = await fetch(path, { method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body) });
  if (reply.status === 401) { location.href = "/login"; throw new Error("not logged in"); }
  const data = await reply.json().catch(() => ({}));
  if (!reply.ok) {
    // The API names the field at fault (a 400's "field"): forms highlight that input.
    throw Object.assign(new Error(data.error || `HTTP ${reply.status}`), { field: data.field || "", status: reply.status });
  }
  return data;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "";
  seconds = Math.max(0, Math.round(seconds));
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  return h ? `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}` : `${m}:${String(s).padStart(2, "0")}`;
}

// The pages of the site, in the order the navigation shows them, and who may open each.
export const PAGES = [
  { path: "/", label: "Board", roles: ["admin", "supervisor", "agent"] },
  { path: "/calls", label: "Call records", roles: ["admin", "supervisor", "agent"] },
  { path: "/queues", label: "Queues", roles: ["admin", "supervisor"] }, // and /queues/<name>
  { path: "/trends", label: "Trends", roles: ["admin", "supervisor", "agent"] },
  { path: "/teams", label: "Teams", roles: ["admin", "supervisor"] },
  { path: "/conversations", label: "Conversations", roles: ["admin", "supervisor"] },
  { path: "/campaigns", label: "Campaigns", roles: ["admin", "supervisor"] },
  { path: "/wallboard", label: "Wallboard", roles: ["admin", "supervisor"] },
  { path: "/admin", label: "Admin", roles: ["admin"] },
];

/** Fills the page's <nav> with the pages the user may open (the current one marked). */
export function navigation(user) {
  const nav = document.querySelector("header nav");
  if (!nav) return;
  nav.replaceChildren(...PAGES.filter((p) => p.roles.includes(user.role)).map((p) => el("a",
    { href: p.path, ...(location.pathname === p.path || (p.path !== "/" && location.pathname.startsWith(p.path + "/"))
      ? { "aria-current": "page" } : {}) }, p.label)));
}

export async function header(user) {
  navigation(user);
  document.getElementById("who").textContent = `${user.username} (${user.role})`;
  document.getElementById("logout").addEventListener("click", async () => {
    await api("/api/v1/logout", { method: "POST" }).catch(() => {});
    location.href = "/login";
  });
}

// The API lists a call's recordings only to whoever may hear them: a row offers Play only then.
/** Plays a call's recording in the page's player section (#player-section, #player, #player-title). */
export function play(call) {
  const section = document.getElementById("player-section");
  const player = document.getElementById("player");
  section.hidden = false;
  document.getElementById("player-error").hidden = true;
  document.getElementById("player-title").textContent = `${call.call_id} (${call.caller})`;
  player.src = `/api/v1/recordings/${encodeURIComponent(call.recording_id)}/audio`;
  player.play().catch(() => {}); // autoplay may be refused; the controls remain
}
