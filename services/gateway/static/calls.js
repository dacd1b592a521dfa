// Call records with the filters of S1.1, paged, and recording playback with seeking.
import { api, duration, el, header, me } from "/static/api.js";

let nextPage = "";

function query(form, pageToken) {
  const params = new URLSearchParams();
  for (const [k, v] of new FormData(form).entries()) if (v) params.set(k, v);
  params.set("tz", Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
  const callId = new URLSearchParams(location.search).get("call_id");
  if (callId) params.set("call_id", callId);
  if (pageToken) params.set("page_token", pageToken);
  return params.toString();
}

// The API lists a call's recordings only to whoever may hear them: a row offers Play only then.
function play(call) {
  const section = document.getElementById("player-section");
  const player = document.getElementById("player");
  section.hidden = false;
  document.getElementById("player-error").hidden = true;
  document.getElementById("player-title").textContent = `${call.call_id} (${call.caller})`;
  player.src = `/api/v1/recordings/${encodeURIComponent(call.recording_id)}/audio`;
  player.play().catch(() => {}); // autoplay may be refused; the controls remain
}

// A recording that cannot be played (gone meanwhile, the recorder down) says so.
document.getElementById("player").addEventListener("error", () => {
  const error = document.getElementById("player-error");
  error.textContent = "This recording cannot be played right now.";
  error.hidden = false;
});

function row(call) {
  const offers = (call.offers || []).map((o) => `${o.agent_id}: ${o.outcome}`).join(", ");
  return el("tr", { "data-call": call.call_id },
    el("td", {}, new Date(call.received_ms).toLocaleString()),
    el("td", {}, call.caller), el("td", {}, call.queue),
    el("td", { class: call.outcome === "answered" ? "" : "bad" }, call.outcome),
    el("td", {}, call.agent_id || ""),
    el("td", {}, duration((call.wait_ms || 0) / 1000)), el("td", {}, duration((call.talk_ms || 0) / 1000)),
    el("td", { title: offers }, (call.offers || []).length),
    el("td", {}, call.recording_id
      ? el("button", { type: "button", class: "play", onclick: () => play(call) }, "▶ Play") : ""),
    el("td", {}, user.role === "agent" ? "" : el("button", { type: "button", class: "comment",
      onclick: () => comment(call) }, "Comment")));
}

// A supervisor's comment on a call; the tagged agent gets a task in their list (S0.3).
async function comment(call) {
  const text = prompt(`Comment on call ${call.call_id}:`);
  if (!text) return;
  const agent = prompt("Tag which agent (id)?", call.agent_id || (call.offers[0] || {}).agent_id || "");
  try {
    await api("/api/v1/comments", { method: "POST", body: { subject_kind: "call", subject_id: call.call_id, text,
      tag_agent_ids: agent ? [agent] : [] } });
  } catch (error) { alert(error.message); }
}

// The filtered records of the period as a CSV download (from and to default to today).
function exportLink(form) {
  const params = new URLSearchParams(query(form, ""));
  params.delete("call_id");
  const d = new Date();
  const today = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  if (!params.get("from")) params.set("from", params.get("to") || today);
  if (!params.get("to")) params.set("to", params.get("from") > today ? params.get("from") : today);
  document.getElementById("export").href = "/api/v1/export/calls.csv?" + params.toString(); // URLSearchParams encodes
}

async function load(form, append) {
  if (!append) exportLink(form);
  const data = await api(`/api/v1/calls?${query(form, append ? nextPage : "")}`);
  const body = document.querySelector("#calls tbody");
  const rows = data.calls.map(row);
  if (append) body.append(...rows); else body.replaceChildren(...rows);
  nextPage = data.next_page_token || "";
  document.getElementById("more").hidden = !nextPage;
}

let user = null;
user = await me();
await header(user);
const form = document.getElementById("filters");
if (user.role === "agent") form.elements.agent_id.closest("label").hidden = true;
form.addEventListener("submit", (event) => { event.preventDefault(); load(form, false).catch((e) => alert(e.message)); });
document.getElementById("more").addEventListener("click", () => load(form, true).catch((e) => alert(e.message)));
await load(form, false);
