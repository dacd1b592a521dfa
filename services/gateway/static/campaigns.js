// Call campaigns for supervisors and admins (docs/outbound.md): every campaign of their queues
// with its state and progress and the buttons to start, pause and stop it, a form to add
// contacts (one number a line) and one to create a campaign, and the outbound figures of each
// campaign over a day; the client segments a campaign may call (S1.11) and the do-not-call list.
// The API applies the role rules; the event stream says when to look again.
import { api, el, header, me } from "/static/api.js";
import { follow } from "/static/live.js";

const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const STATE_LABELS = { draft: "Draft", running: "Running", paused: "Paused", stopped: "Stopped", finished: "Finished" };
const TONES = { running: "ok", paused: "warn", stopped: "bad", finished: "busy" };
const names = new Map();

function problem(node, error) {
  node.textContent = error ? error.message : "";
  node.hidden = !error;
}

function localToday() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function fill(table, rows, empty) {
  const body = document.querySelector(`#${table} tbody`);
  const columns = document.querySelector(`#${table} thead tr`).cells.length;
  body.replaceChildren(...(rows.length ? rows : [el("tr", { class: "empty" }, el("td", { colspan: columns }, empty))]));
}

const minutes = (value) => { const [h, m] = value.split(":").map(Number); return h * 60 + m; };

async function act(campaign, action) {
  const error = document.getElementById("action-error");
  try {
    await api(`/api/v1/campaigns/${encodeURIComponent(campaign.campaign_id)}/${encodeURIComponent(action)}`, { method: "POST" });
    problem(error, null);
  } catch (failure) { problem(error, failure); }
  await loadCampaigns();
}

function actions(c) {
  const buttons = [];
  if (c.state === "draft" || c.state === "paused") buttons.push(["start", c.state === "draft" ? "Start" : "Resume"]);
  if (c.state === "running") buttons.push(["pause", "Pause"]);
  if (c.state !== "stopped" && c.state !== "finished") buttons.push(["stop", "Stop"]);
  return el("td", { class: "actions" }, ...buttons.map(([action, label]) =>
    el("button", { type: "button", class: action, onclick: () => act(c, action) }, label)));
}

function showCampaigns(campaigns) {
  names.clear();
  for (const c of campaigns) names.set(c.campaign_id, c.name || c.campaign_id);
  fill("campaigns", campaigns.map((c) => {
    const p = c.progress;
    return el("tr", { "data-campaign": c.campaign_id, "data-state": c.state },
      el("td", {}, c.name || c.campaign_id), el("td", {}, c.queue),
      el("td", {}, c.mode === "progressive" ? "Progressive" : "Preview"),
      el("td", { class: "state-cell" }, el("span", { class: `badge tone-${TONES[c.state] || ""}` }, STATE_LABELS[c.state] || c.state)),
      ...["contacts", "pending", "reached", "exhausted", "attempts", "connected"].map((k) =>
        el("td", { class: k, "data-sort": Number(p[k] || 0) }, String(p[k] || 0))),
      actions(c));
  }), "No campaign yet.");
  const select = document.querySelector("#contacts-form select[name=campaign_id]");
  const chosen = select.value;
  select.replaceChildren(...campaigns.filter((c) => c.state !== "stopped" && c.state !== "finished")
    .map((c) => el("option", { value: c.campaign_id }, c.name || c.campaign_id)));
  if (chosen && [...select.options].some((o) => o.value === chosen)) select.value = chosen;
}

async function loadCampaigns() {
  const reply = await api("/api/v1/campaigns");
  showCampaigns(reply.campaigns || []);
}

function parseConditions(text) {
  return text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean).map((line) => {
    const [attribute, ...rest] = line.split("=");
    return { attribute: attribute.trim(), values: rest.join("=").split(",").map((v) => v.trim()).filter(Boolean) };
  });
}

async function loadSegments() {
  const reply = await api("/api/v1/segments");
  const found = reply.segments || [];
  fill("segments", found.map((s) => el("tr", { "data-segment": s.segment_id },
    el("td", {}, s.name || s.segment_id),
    el("td", {}, s.conditions.map((c) => `${c.attribute} = ${c.values.join(", ")}`).join("; ")),
    el("td", { class: "members", "data-sort": Number(s.members || 0) }, String(Number(s.members || 0))))), "No segment yet.");
  const select = document.querySelector("#campaign-form select[name=segment_id]");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "" }, "None: the contacts added"),
    ...found.map((s) => el("option", { value: s.segment_id }, s.name || s.segment_id)));
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
}

async function loadDoNotCall() {
  const reply = await api("/api/v1/do-not-call?page_size=200");
  fill("do-not-call", (reply.entries || []).map((entry) => el("tr", { "data-number": entry.number },
    el("td", {}, entry.number),
    el("td", {}, entry.added_ms ? new Date(Number(entry.added_ms)).toLocaleString() : ""),
    el("td", {}, el("button", { type: "button", class: "remove", onclick: async () => {
      try {
        await api("/api/v1/do-not-call", { method: "DELETE", body: { numbers: [entry.number] } });
        problem(document.getElementById("dnc-error"), null);
      } catch (failure) { problem(document.getElementById("dnc-error"), failure); }
      await loadDoNotCall();
    } }, "Remove")))), "Nobody asked not to be called.");
}

function setUpLists() {
  const form = document.getElementById("segment-form"), error = document.getElementById("segment-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { segment_id: form.elements.segment_id.value, name: form.elements.name.value,
      conditions: parseConditions(form.elements.conditions.value) };
    try {
      await api("/api/v1/segments", { method: "POST", body });
      form.reset();
      problem(error, null);
      await loadSegments();
    } catch (failure) { problem(error, failure); }
  });
  const dnc = document.getElementById("dnc-form"), dncError = document.getElementById("dnc-error");
  dnc.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("/api/v1/do-not-call", { method: "POST", body: { numbers: [dnc.elements.number.value.trim()] } });
      dnc.reset();
      problem(dncError, null);
      await loadDoNotCall();
    } catch (failure) { problem(dncError, failure); }
  });
}

async function loadFigures() {
  const day = document.querySelector("#figures-form input[name=day]").value || localToday();
  const reply = await api(`/api/v1/stats/outbound?${new URLSearchParams({ day, tz })}`);
  const n = (v) => Number(v || 0);
  fill("figures", (reply.campaigns || []).map((f) => el("tr", { "data-campaign": f.id },
    el("td", {}, names.get(f.id) || f.id),
    ...[f.calls, f.dialed, f.connected, f.not_connected, f.conversations].map((v) => el("td", { "data-sort": n(v) }, String(n(v)))),
    el("td", { "data-sort": n(f.contact_rate_percent) }, `${Math.round(n(f.contact_rate_percent))} %`),
    el("td", { "data-sort": n(f.conversions) }, String(n(f.conversions))))), "No outbound call this day.");
}

function setUpForms(queues) {
  const form = document.getElementById("campaign-form");
  form.elements.queue.replaceChildren(...queues.map((q) => el("option", { value: q.name }, q.name)));
  form.elements.time_zone.value = tz;
  document.getElementById("days").replaceChildren(...DAYS.map((d, i) => el("label", {},
    el("input", { type: "checkbox", name: "days", value: String(i + 1), ...(i < 5 ? { checked: "" } : {}) }), d)));
  const error = document.getElementById("campaign-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = form.elements;
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    const end = minutes(f.end.value);
    const body = {
      name: f.name.value, queue: f.queue.value, mode: f.mode.value, script: f.script.value,
      calling_hours: {
        days: [...form.querySelectorAll("input[name=days]:checked")].map((i) => Number(i.value)),
        start_minute: minutes(f.start.value), end_minute: end === 0 ? 1440 : end, time_zone: f.time_zone.value,
      },
      retry: {
        no_answer_s: Number(f.no_answer.value) * 60, busy_s: Number(f.busy.value) * 60,
        failed_s: Number(f.failed.value) * 60, max_attempts: Number(f.max_attempts.value),
      },
    };
    if (f.campaign_id.value) body.campaign_id = f.campaign_id.value;
    if (f.segment_id.value) body.segment_id = f.segment_id.value;
    try {
      await api("/api/v1/campaigns", { method: "POST", body });
      form.reset();
      f.time_zone.value = tz;
      problem(error, null);
      await loadCampaigns();
    } catch (failure) {
      problem(error, failure);
      const field = (failure.field || "").replace(/^campaign\./, "");
      const input = {
        name: f.name, campaign_id: f.campaign_id, queue: f.queue, segment_id: f.segment_id, mode: f.mode, script: f.script,
        "calling_hours.start_minute": f.start, "calling_hours.end_minute": f.end, "calling_hours.time_zone": f.time_zone,
        "retry.no_answer_s": f.no_answer, "retry.busy_s": f.busy, "retry.failed_s": f.failed, "retry.max_attempts": f.max_attempts,
      }[field];
      if (input) input.setAttribute("aria-invalid", "true");
    }
  });
  const contacts = document.getElementById("contacts-form");
  const done = document.getElementById("contacts-done"), contactsError = document.getElementById("contacts-error");
  contacts.addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = contacts.elements.campaign_id.value;
    const numbers = contacts.elements.numbers.value.split(/\r?\n/).map((n) => n.trim()).filter(Boolean);
    try {
      const reply = await api(`/api/v1/campaigns/${encodeURIComponent(id)}/contacts`, { method: "POST", body: { numbers } });
      contacts.elements.numbers.value = "";
      done.textContent = `Added ${reply.added} new contact${reply.added === 1 ? "" : "s"}` +
        (reply.skipped ? `, ${reply.skipped} skipped (do not call).` : ".");
      done.hidden = false;
      problem(contactsError, null);
      await loadCampaigns();
    } catch (failure) {
      done.hidden = true;
      problem(contactsError, failure);
    }
  });
  const figures = document.getElementById("figures-form");
  figures.elements.day.value = localToday();
  figures.addEventListener("submit", (event) => { event.preventDefault(); loadFigures().catch(showError); });
}

function showError(error) { problem(document.getElementById("campaigns-error"), error); }

const user = await me();
await header(user);
const queues = await api("/api/v1/queues").catch(() => ({ queues: [] }));
setUpForms(queues.queues || []);
setUpLists();
const refresh = () => loadCampaigns().then(loadFigures).then(loadSegments).then(loadDoNotCall)
  .then(() => showError(null), showError);
await refresh();
follow(() => refresh());
document.body.dataset.loaded = "1";
