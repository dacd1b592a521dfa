// Call records with the filters of S1.1 and a search (a fragment of the caller's number or of
// the call id), paged and sortable; recording playback with seeking; a supervisor's comment on
// a call that tags an agent (S0.3), in a form on the page.
import { api, duration, el, header, me, play } from "/static/api.js";
import { flagLabel, outcomeLabel, tone } from "/static/labels.js";
import { sortable } from "/static/sortable.js";

let nextPage = "";
let user = null;
const names = new Map(); // agent id -> display name, of the agents the user sees

const agentName = (id) => names.get(id) || id;

/** An agent's name linking to their page (only agents the user sees get a link). */
function agentLink(id) {
  if (!id) return "";
  return names.has(id) ? el("a", { href: `/agents/${encodeURIComponent(id)}` }, agentName(id)) : id;
}

function query(form, pageToken) {
  const params = new URLSearchParams();
  for (const [k, v] of new FormData(form).entries()) if (String(v).trim()) params.set(k, String(v).trim());
  params.set("tz", Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
  const callId = new URLSearchParams(location.search).get("call_id");
  if (callId) params.set("call_id", callId);
  if (pageToken) params.set("page_token", pageToken);
  return params.toString();
}


// A recording that cannot be played (gone meanwhile, the recorder down) says so.
document.getElementById("player").addEventListener("error", () => {
  const error = document.getElementById("player-error");
  error.textContent = "This recording cannot be played right now.";
  error.hidden = false;
});

function row(call) {
  const offers = (call.offers || []).map((o) => `${agentName(o.agent_id)}: ${flagLabel(o.outcome)}`).join(", ");
  const outcome = call.outcome === "answered" ? "Answered" : outcomeLabel(call.outcome);
  return el("tr", { "data-call": call.call_id },
    el("td", { "data-sort": call.received_ms ?? "" }, call.received_ms ? new Date(call.received_ms).toLocaleString() : ""),
    el("td", { class: "caller" }, call.caller
      ? el("a", { href: `/clients/${encodeURIComponent(call.caller)}`, title: "Customer card" }, call.caller) : ""),
    el("td", {}, call.queue),
    el("td", {}, el("span", { class: `badge tone-${call.outcome === "answered" ? "ok" : tone(call.outcome)}`,
      "data-outcome": call.outcome }, outcome)),
    el("td", {}, agentLink(call.agent_id)),
    el("td", { "data-sort": call.wait_ms || 0 }, duration((call.wait_ms || 0) / 1000)),
    el("td", { "data-sort": call.talk_ms || 0 }, duration((call.talk_ms || 0) / 1000)),
    el("td", { title: offers }, (call.offers || []).length),
    el("td", {}, call.recording_id
      ? el("button", { type: "button", class: "play", onclick: () => play(call) }, "▶ Play") : ""),
    el("td", {}, user.role === "agent" ? "" : el("button", { type: "button", class: "comment",
      onclick: () => openComment(call) }, "Comment")));
}

// A supervisor's comment on a call; the tagged agent gets a task in their list (S0.3).
const commentSection = document.getElementById("comment-section");
const commentForm = document.getElementById("comment-form");
const commentError = document.getElementById("comment-error");
let commented = null;

function openComment(call) {
  commented = call;
  document.getElementById("comment-call").textContent = call.call_id;
  commentForm.reset();
  const proposed = call.agent_id || ((call.offers || [])[0] || {}).agent_id || "";
  if (names.has(proposed)) commentForm.elements.agent.value = proposed;
  commentError.hidden = true;
  document.getElementById("comment-done").hidden = true;
  commentSection.hidden = false;
  commentSection.scrollIntoView({ block: "nearest" });
  commentForm.elements.text.focus();
}

function closeComment() {
  commentSection.hidden = true;
  commented = null;
}

commentForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = commentForm.elements.text.value.trim();
  const agent = commentForm.elements.agent.value;
  if (!text) {
    commentError.textContent = "Write a comment first.";
    commentError.hidden = false;
    return;
  }
  const submit = commentForm.querySelector("button[type=submit]");
  submit.disabled = true;
  try {
    await api("/api/v1/comments", { method: "POST", body: { subject_kind: "call", subject_id: commented.call_id, text,
      tag_agent_ids: agent ? [agent] : [] } });
    const done = document.getElementById("comment-done");
    done.textContent = agent ? `Comment posted; ${agentName(agent)} got a task.` : "Comment posted.";
    done.hidden = false;
    closeComment();
  } catch (error) {
    commentError.textContent = error.message;
    commentError.hidden = false;
  } finally {
    submit.disabled = false;
  }
});
document.getElementById("comment-cancel").addEventListener("click", closeComment);

// The filtered records of the period as a CSV download (from and to default to today).
function exportLink(form) {
  const params = new URLSearchParams(query(form, ""));
  params.delete("call_id");
  params.delete("q"); // the export takes the filters, not the search
  const d = new Date();
  const today = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  if (!params.get("from")) params.set("from", params.get("to") || today);
  if (!params.get("to")) params.set("to", params.get("from") > today ? params.get("from") : today);
  document.getElementById("export").href = "/api/v1/export/calls.csv?" + params.toString(); // URLSearchParams encodes
}

function showError(error) {
  const p = document.getElementById("calls-error");
  p.textContent = error ? error.message : "";
  p.hidden = !error;
}

async function load(form, append) {
  if (!append) exportLink(form);
  const data = await api(`/api/v1/calls?${query(form, append ? nextPage : "")}`);
  showError(null);
  const body = document.querySelector("#calls tbody");
  const rows = data.calls.map(row);
  if (append) body.append(...rows); else body.replaceChildren(...rows);
  document.getElementById("no-calls").hidden = body.rows.length > 0;
  nextPage = data.next_page_token || "";
  document.getElementById("more").hidden = !nextPage;
}

async function loadAgents() {
  const data = await api("/api/v1/agents").catch(() => ({ agents: [] }));
  const agents = (data.agents || []).sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id));
  for (const a of agents) names.set(a.id, a.name || a.id);
  const options = () => agents.map((a) => el("option", { value: a.id }, a.name || a.id));
  form.elements.agent_id.append(...options());
  commentForm.elements.agent.append(...options());
}

user = await me();
await header(user);
const form = document.getElementById("filters");
if (user.role === "agent") form.elements.agent_id.closest("label").hidden = true;
await loadAgents();
sortable(document.getElementById("calls"));
const params = new URLSearchParams(location.search);
for (const name of ["q", "agent_id", "queue", "caller", "outcome", "from", "to"]) {
  if (params.get(name) && form.elements[name]) form.elements[name].value = params.get(name);
}
form.addEventListener("submit", (event) => { event.preventDefault(); load(form, false).catch(showError); });
document.getElementById("more").addEventListener("click", () => load(form, true).catch(showError));
await load(form, false).catch(showError);
