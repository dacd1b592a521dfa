// The admin page: users, queues and their rules, agents, pause reasons, alert thresholds and
// wallboard links, each a form on the JSON API. A refusal shows inline: the API's 400 names the
// field, whose input is marked and gets the message beside it. No dialogs: deleting asks again
// in the row itself.
import { api, el, header, me } from "/static/api.js";
import { USER_ROLES, agentStateLabel, choiceLabel, roleLabel, ruleLabel } from "/static/labels.js";

const $ = (id) => document.getElementById(id);
let queues = []; // GET /api/v1/queues
let agents = []; // GET /api/v1/agents
const agentName = (id) => agents.find((a) => a.id === id)?.name || id;

// ---- forms: fields with their own error line, inline errors from the API ---------------------

/** A labelled field: a .field holding the label text, the control(s) and an error line. */
function field(label, control, hint = "") {
  return el("div", { class: "field" },
    el("label", {}, el("span", { class: "field-label" }, label), control),
    hint ? el("small", { class: "muted" }, hint) : "",
    el("small", { class: "field-error", role: "alert", hidden: "" }));
}

/** A group of checkboxes named `name` (one value each), inside a fieldset with its error line. */
function checkboxes(name, legend, options, checked = []) {
  return el("fieldset", { class: "field checks", "data-name": name },
    el("legend", {}, legend),
    ...options.map(([value, label]) => el("label", { class: "check" },
      el("input", { type: "checkbox", name, value, ...(checked.includes(value) ? { checked: "" } : {}) }), label)),
    options.length ? "" : el("span", { class: "muted" }, "none yet"),
    el("small", { class: "field-error", role: "alert", hidden: "" }));
}

const formError = (form) => form.querySelector(".form-error")
  || form.appendChild(el("p", { class: "form-error bad", role: "alert", hidden: "" }));
const formStatus = (form) => form.querySelector(".form-status")
  || form.appendChild(el("p", { class: "form-status ok", role: "status" }));

function clearErrors(form) {
  form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
  form.querySelectorAll(".field-error, .form-error").forEach((line) => { line.textContent = ""; line.hidden = true; });
  formStatus(form).textContent = "";
}

/** The input a field name of the API means: "reasons[2]" the row's first input, "required_skills[de]" that input. */
function inputFor(form, name) {
  if (!name) return null;
  const all = [...form.querySelectorAll("[name]")];
  return all.find((i) => i.name === name) || all.find((i) => i.name.startsWith(`${name}.`))
    || all.find((i) => name.startsWith(`${i.name}[`) || name.startsWith(`${i.name}.`)) || null;
}

function showError(form, error) {
  // The API names the field ("field"); a backend's refusal may name it only in its message ("reasons[7].code: …").
  const input = inputFor(form, error.field || (error.message.match(/^([A-Za-z_][\w.[\]]*): /) || [])[1]);
  const line = input?.closest(".field")?.querySelector(".field-error");
  if (input && line) {
    input.setAttribute("aria-invalid", "true");
    line.textContent = error.message.replace(/^[A-Za-z_][\w.[\]]*: /, ""); // the field is the one marked
    line.hidden = false;
    input.focus();
  } else {
    const line2 = formError(form);
    line2.textContent = error.message;
    line2.hidden = false;
  }
}

/** Runs the form's action on submit: errors inline, "Saved" when done. */
function onSubmit(form, action, done = "Saved.") {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      await action();
      formStatus(form).textContent = done;
    } catch (error) {
      showError(form, error);
    }
  });
}

/** A "Delete" button that asks again in place ("Really delete? Yes / No"), no dialog. */
function confirmButton(label, question, action, extra = () => []) {
  const box = el("span", { class: "confirm" });
  const error = el("small", { class: "field-error", role: "alert", hidden: "" });
  const ask = () => {
    box.replaceChildren(el("span", {}, question), ...extra(),
      el("button", { type: "button", class: "danger", "data-confirm": "yes", onclick: async () => {
        try { await action(); } catch (e) { error.textContent = e.message; error.hidden = false; }
      } }, `Yes, ${label.toLowerCase()}`),
      el("button", { type: "button", onclick: reset }, "Cancel"), error);
  };
  const reset = () => box.replaceChildren(el("button", { type: "button", "data-action": label, onclick: ask }, label));
  reset();
  return box;
}

const cell = (...children) => el("td", {}, ...children);

// ---- tabs ---------------------------------------------------------------------------------------

const LOADERS = {};

function showTab(name) {
  if (!LOADERS[name]) name = "users";
  document.querySelectorAll("[role=tab]").forEach((tab) => tab.setAttribute("aria-selected", String(tab.dataset.tab === name)));
  document.querySelectorAll(".panel").forEach((panel) => { panel.hidden = panel.id !== name; });
  LOADERS[name]().catch((error) => console.warn("load failed", error));
}

// ---- users --------------------------------------------------------------------------------------

LOADERS.users = async () => {
  [agents, queues] = await Promise.all([api("/api/v1/agents").then((r) => r.agents), api("/api/v1/queues").then((r) => r.queues)]);
  const { users } = await api("/api/v1/users");
  $("users-table").tBodies[0].replaceChildren(...users.map((u) => {
    const password = el("form", { class: "inline-form", "data-password-for": u.username, novalidate: "" },
      field("New password", el("input", { name: "password", type: "password", autocomplete: "new-password", minlength: "8" })),
      el("button", { type: "submit" }, "Set password"));
    onSubmit(password, async () => {
      await api(`/api/v1/users/${encodeURIComponent(u.username)}/password`, { method: "POST", body: { password: password.elements.password.value } });
      password.reset();
    }, "Password set; their sessions ended.");
    // Role, agent and teams, changed in place (PUT /api/v1/users/{username}); their sessions end.
    const profile = el("form", { class: "inline-form", "data-profile-for": u.username, novalidate: "" },
      field("Role", el("select", { name: "role" }, ...USER_ROLES.map((r) =>
        el("option", { value: r, ...(r === u.role ? { selected: "" } : {}) }, roleLabel(r))))),
      field("Agent", el("select", { name: "agent_id" }, el("option", { value: "" }, "none"),
        ...agents.map((a) => el("option", { value: a.id, ...(a.id === u.agent_id ? { selected: "" } : {}) }, a.name || a.id)))),
      checkboxes("teams", "Teams", queues.map((q) => [q.name, q.name]), u.teams),
      field("Channels", el("input", { name: "channels", value: u.channels.join(", "), maxlength: "2000" })),
      el("button", { type: "submit" }, "Save role"));
    onSubmit(profile, async () => {
      const f = profile.elements;
      await api(`/api/v1/users/${encodeURIComponent(u.username)}`, { method: "PUT", body: { role: f.role.value,
        agent_id: f.role.value === "agent" ? f.agent_id.value : "",
        teams: ["supervisor", "messaging"].includes(f.role.value) ? [...profile.querySelectorAll("input[name=teams]:checked")].map((c) => c.value) : [],
        channels: f.role.value === "messaging" ? channelList(f.channels.value) : [] } });
      await LOADERS.users();
    }, "Saved; their sessions ended.");
    return el("tr", { "data-user": u.username },
      cell(u.username), cell(roleLabel(u.role)), cell(u.agent_id ? agentName(u.agent_id) : ""),
      cell(u.teams.join(", ") + (u.channels.length ? ` (channels: ${u.channels.join(", ")})` : "")),
      el("td", { class: "actions" }, profile, password, confirmButton("Delete", `Delete ${u.username}?`, async () => {
        await api(`/api/v1/users/${encodeURIComponent(u.username)}`, { method: "DELETE" });
        await LOADERS.users();
      })));
  }));
  const form = $("user-form");
  form.replaceChildren(
    field("User name", el("input", { name: "username", autocomplete: "off", maxlength: "64" })),
    field("Password", el("input", { name: "password", type: "password", autocomplete: "new-password" }), "8 characters or more"),
    field("Role", el("select", { name: "role" }, ...USER_ROLES.map((r) => el("option", { value: r }, roleLabel(r))))),
    field("Agent (for role agent)", el("select", { name: "agent_id" }, el("option", { value: "" }, "none"),
      ...agents.map((a) => el("option", { value: a.id }, a.name || a.id)))),
    checkboxes("teams", "Teams (queues: a supervisor's, or those a messaging user serves)", queues.map((q) => [q.name, q.name])),
    field("Channels (for role messaging)", el("input", { name: "channels", autocomplete: "off", maxlength: "2000" }),
      "comma-separated, e.g. webchat, telegram; empty: every channel"),
    el("button", { type: "submit" }, "Create user"));
};

// "webchat, telegram" as the API takes channels: ["webchat", "telegram"].
const channelList = (text) => text.split(",").map((c) => c.trim()).filter(Boolean);

function setUpUserForm() {
  const form = $("user-form");
  onSubmit(form, async () => {
    const f = form.elements;
    await api("/api/v1/users", { method: "POST", body: { username: f.username.value, password: f.password.value,
      role: f.role.value, agent_id: f.agent_id.value,
      teams: [...form.querySelectorAll("input[name=teams]:checked")].map((c) => c.value),
      channels: channelList(f.channels.value) } });
    await LOADERS.users();
  }, "User created.");
}

// ---- queues -------------------------------------------------------------------------------------

let ruleSchema = null; // the rules PUT /api/v1/queues/{queue} takes, from the OpenAPI document

async function rules() {
  if (!ruleSchema) {
    const doc = await (await fetch("/openapi.json")).json();
    ruleSchema = doc.paths["/api/v1/queues/{queue}"].put.requestBody.content["application/json"].schema.properties;
  }
  return ruleSchema;
}

const seconds = (s) => (s === null || s === undefined ? "" : `${s} s`);

LOADERS.queues = async () => {
  queues = (await api("/api/v1/queues")).queues;
  const detailed = await Promise.all(queues.map((q) => api(`/api/v1/queues/${encodeURIComponent(q.name)}`).then((r) => r.rules)));
  $("queues-table").tBodies[0].replaceChildren(...queues.map((q, i) => el("tr", { "data-queue": q.name },
    cell(q.name), cell(q.counts?.waiting ?? 0), cell(q.counts?.available_agents ?? 0),
    cell(seconds(detailed[i].ring_timeout_s)), cell(seconds(detailed[i].wrap_up_s)),
    cell(choiceLabel(detailed[i].strategy || "")),
    el("td", { class: "actions" }, el("button", { type: "button", "data-action": "Edit", onclick: () => editQueue(q.name) }, "Edit")))));
};

function ruleControl(name, spec, value) {
  const text = (v) => el("input", { name, value: v ?? "" });
  if (spec.type === "boolean") return el("input", { name, type: "checkbox", ...(value ? { checked: "" } : {}) });
  if (spec.enum) {
    const select = el("select", { name }, ...spec.enum.map((c) => el("option", { value: c }, choiceLabel(c))));
    select.value = value ?? spec.enum[0];
    return select;
  }
  if (spec.format === "queue-name") {
    const select = el("select", { name }, el("option", { value: "" }, "none"),
      ...queues.filter((q) => q.name !== currentQueue).map((q) => el("option", { value: q.name }, q.name)));
    select.value = value || "";
    return select;
  }
  if (spec.type === "number" || spec.type === "integer") {
    return el("input", { name, type: "number", min: "0", step: spec.type === "integer" ? "1" : "any", value: value ?? "" });
  }
  if (spec.type === "array") return text((value || []).join(", "));
  if (spec.type === "object") return text(Object.entries(value || {}).map(([k, v]) => `${k}=${v}`).join(", "));
  return text(value);
}

let currentQueue = "";

async function editQueue(name) {
  const schema = await rules();
  const { rules: values } = await api(`/api/v1/queues/${encodeURIComponent(name)}`);
  currentQueue = name;
  $("queue-editor").hidden = false;
  $("queue-editor-name").textContent = name;
  const form = $("queue-form");
  form.dataset.queue = name;
  form.replaceChildren(...Object.entries(schema).map(([key, spec]) => {
    const unit = key.endsWith("_s") ? " (s)" : "";
    const hint = spec.type === "array" ? "comma-separated" : spec.type === "object" ? "skill=level, comma-separated" : "";
    return field(ruleLabel(key) + unit, ruleControl(key, spec, values[key]), hint || spec.description);
  }), el("div", { class: "buttons" }, el("button", { type: "submit" }, "Save rules"),
    el("button", { type: "button", onclick: () => { $("queue-editor").hidden = true; } }, "Close")));
  $("queue-editor").scrollIntoView({ block: "start" });
}

/** The body of PUT /api/v1/queues/{queue} from the form; a value the browser cannot read throws with its field. */
function queueBody(form, schema) {
  const body = {};
  for (const [key, spec] of Object.entries(schema)) {
    const input = form.elements[key];
    if (!input) continue;
    if (spec.type === "boolean") { body[key] = input.checked; continue; }
    const raw = input.value.trim();
    if (spec.type === "number" || spec.type === "integer") {
      if (raw === "") continue; // the default
      const number = Number(raw);
      if (!Number.isFinite(number)) throw Object.assign(new Error("must be a number"), { field: key });
      body[key] = number;
    } else if (spec.type === "array") {
      body[key] = raw ? raw.split(",").map((s) => s.trim()).filter(Boolean) : [];
    } else if (spec.type === "object") {
      body[key] = {};
      for (const pair of raw ? raw.split(",") : []) {
        const [skill, level] = pair.split("=").map((s) => s.trim());
        if (!skill || level === undefined || !/^\d+$/.test(level)) {
          throw Object.assign(new Error("write skill=level, e.g. de=3"), { field: key });
        }
        body[key][skill] = Number(level);
      }
    } else {
      body[key] = raw;
    }
  }
  return body;
}

function setUpQueueForms() {
  const form = $("queue-form");
  onSubmit(form, async () => {
    const body = queueBody(form, await rules());
    await api(`/api/v1/queues/${encodeURIComponent(form.dataset.queue)}`, { method: "PUT", body });
    await LOADERS.queues();
  }, "Rules saved.");
  const create = $("new-queue-form");
  create.replaceChildren(field("New queue", el("input", { name: "queue", maxlength: "64", placeholder: "e.g. billing" })),
    el("button", { type: "submit" }, "Create queue"));
  onSubmit(create, async () => {
    const name = create.elements.queue.value.trim();
    await api(`/api/v1/queues/${encodeURIComponent(name)}`, { method: "PUT", body: {} });
    create.reset();
    await LOADERS.queues();
    await editQueue(name);
  }, "Queue created.");
}

// ---- agents -------------------------------------------------------------------------------------

const skillsText = (skills) => Object.entries(skills || {}).map(([k, v]) => `${k}=${v}`).join(", ");

LOADERS.agents = async () => {
  [agents, queues] = await Promise.all([api("/api/v1/agents").then((r) => r.agents), api("/api/v1/queues").then((r) => r.queues)]);
  $("agents-table").tBodies[0].replaceChildren(...agents.map((a) => el("tr", { "data-agent": a.id },
    cell(a.name || a.id), cell(a.id), cell(agentStateLabel(a.status?.state)), cell(a.endpoint),
    cell((a.queues || []).join(", ")), cell(skillsText(a.skills)), cell(a.tier ?? 0),
    el("td", { class: "actions" },
      el("button", { type: "button", "data-action": "Edit", onclick: () => editAgent(a) }, "Edit"),
      confirmButton("Delete", `Delete ${a.name || a.id} for good?`, async () => {
        const to = document.querySelector(`[data-clients-for="${CSS.escape(a.id)}"]`)?.value || "";
        const query = new URLSearchParams(to ? { clients_to_agent_id: to } : { release_clients: "true" });
        await api(`/api/v1/agents/${encodeURIComponent(a.id)}?${query}`, { method: "DELETE" });
        await LOADERS.agents();
      }, () => [el("label", { class: "check" }, "Their clients to ",
        el("select", { "data-clients-for": a.id }, el("option", { value: "" }, "nobody (released)"),
          ...agents.filter((o) => o.id !== a.id).map((o) => el("option", { value: o.id }, o.name || o.id))))])))));
};

function editAgent(agent) {
  const fresh = !agent;
  agent = agent || { id: "", name: "", endpoint: "", queues: [], skills: {}, tier: 0 };
  $("agent-editor").hidden = false;
  $("agent-editor-title").textContent = fresh ? "New agent" : `Agent ${agent.name || agent.id}`;
  const form = $("agent-form");
  form.replaceChildren(
    field("Id", el("input", { name: "agent_id", value: agent.id, maxlength: "64", ...(fresh ? {} : { readonly: "" }) })),
    field("Name", el("input", { name: "name", value: agent.name || "", maxlength: "256" })),
    field("Endpoint", el("input", { name: "endpoint", value: agent.endpoint || "", maxlength: "256", placeholder: "sip:anna@pbx.example" }),
      "what the PBX rings"),
    checkboxes("queues", "Queues", queues.map((q) => [q.name, q.name]), agent.queues || []),
    field("Skills", el("input", { name: "skills", value: skillsText(agent.skills) }), "skill=level (0-100), comma-separated"),
    field("Tier", el("input", { name: "tier", type: "number", min: "0", max: "100", step: "1", value: agent.tier ?? 0 }),
      "experience: VIP calls go first to agents of the queue's minimum tier"),
    el("div", { class: "buttons" }, el("button", { type: "submit" }, "Save agent"),
      el("button", { type: "button", onclick: () => { $("agent-editor").hidden = true; } }, "Close")));
  $("agent-editor").scrollIntoView({ block: "start" });
}

function setUpAgentForm() {
  const form = $("agent-form");
  onSubmit(form, async () => {
    const f = form.elements;
    const skills = {};
    for (const pair of f.skills.value.split(",").map((s) => s.trim()).filter(Boolean)) {
      const [skill, level] = pair.split("=").map((s) => s.trim());
      if (!skill || !/^\d+$/.test(level || "")) throw Object.assign(new Error("write skill=level, e.g. de=3"), { field: "skills" });
      skills[skill] = Number(level);
    }
    const tier = Number(f.tier.value || 0);
    if (!Number.isInteger(tier)) throw Object.assign(new Error("must be a whole number"), { field: "tier" });
    const id = f.agent_id.value.trim();
    if (!id) throw Object.assign(new Error("is required"), { field: "agent_id" });
    await api(`/api/v1/agents/${encodeURIComponent(id)}`, { method: "PUT", body: { name: f.name.value, endpoint: f.endpoint.value,
      queues: [...form.querySelectorAll("input[name=queues]:checked")].map((c) => c.value), skills, tier } });
    f.agent_id.readOnly = true;
    await LOADERS.agents();
  }, "Agent saved.");
  $("new-agent").addEventListener("click", () => editAgent(null));
}

// ---- pause reasons ------------------------------------------------------------------------------

function reasonRow(form, code = "", label = "") {
  const row = el("div", { class: "reason-row" });
  row.append(
    field("Code", el("input", { "data-part": "code", value: code, maxlength: "64" })),
    field("Label", el("input", { "data-part": "label", value: label, maxlength: "64" })),
    el("button", { type: "button", "data-action": "Remove", onclick: () => { row.remove(); numberRows(form); } }, "Remove"));
  return row;
}

/** Names the rows' inputs by their place (reasons[2].code), as the API names a bad entry. */
function numberRows(form) {
  form.querySelectorAll(".reason-row").forEach((row, i) => {
    row.querySelectorAll("input[data-part]").forEach((input) => { input.name = `reasons[${i}].${input.dataset.part}`; });
  });
}

LOADERS["pause-reasons"] = async () => {
  const { reasons } = await api("/api/v1/pause-reasons");
  const form = $("reasons-form");
  const rows = el("div", { class: "reason-rows" }, ...reasons.filter((r) => !r.automatic).map((r) => reasonRow(form, r.code, r.label)));
  form.replaceChildren(rows, el("div", { class: "field" }, el("input", { type: "hidden", name: "reasons" }),
    el("small", { class: "field-error", role: "alert", hidden: "" })),
  el("div", { class: "buttons" },
    el("button", { type: "button", id: "add-reason", onclick: () => { rows.append(reasonRow(form)); numberRows(form); } }, "Add reason"),
    el("button", { type: "submit" }, "Save reasons")));
  numberRows(form);
  const automatic = reasons.filter((r) => r.automatic).map((r) => r.label || r.code);
  $("automatic-reasons").textContent = automatic.length ? `Set by the router itself: ${automatic.join(", ")}.` : "";
};

function setUpReasonsForm() {
  const form = $("reasons-form");
  onSubmit(form, async () => {
    const reasons = [...form.querySelectorAll(".reason-row")].map((row) => ({
      code: row.querySelector("[data-part=code]").value.trim(), label: row.querySelector("[data-part=label]").value.trim() }));
    await api("/api/v1/pause-reasons", { method: "PUT", body: { reasons } });
  }, "Pause reasons saved.");
}

// ---- alert thresholds ---------------------------------------------------------------------------

const AGENT_LIMITS = [["ringing_max_s", "Ringing at most (s)"], ["wrap_up_max_s", "Wrap-up at most (s)"], ["paused_max_s", "Paused at most (s)"]];
const QUEUE_LIMITS = [["service_level_min_percent", "Service level at least (%)"], ["longest_wait_max_s", "Longest wait at most (s)"],
  ["abandoned_max_percent", "Abandoned at most (%)"]];

const numberInput = (name, value) => el("input", { name, type: "number", min: "0", step: "any", value: value ?? "" });

function numbers(form, names) {
  const body = {};
  for (const [name] of names) {
    const raw = form.elements[name].value.trim();
    const number = Number(raw);
    if (raw === "" || !Number.isFinite(number)) throw Object.assign(new Error("a number is required"), { field: name });
    body[name] = number;
  }
  return body;
}

LOADERS.thresholds = async () => {
  let thresholds;
  try {
    thresholds = await api("/api/v1/thresholds");
  } catch (error) {
    $("thresholds-unavailable").textContent = `Thresholds are unavailable: ${error.message}`;
    $("thresholds-unavailable").hidden = false;
    return;
  }
  $("thresholds-unavailable").hidden = true;
  const agentsForm = $("agent-thresholds-form");
  agentsForm.replaceChildren(...AGENT_LIMITS.map(([name, label]) => field(label, numberInput(name, thresholds.agents[name]))),
    el("button", { type: "submit" }, "Save agent alerts"));
  $("queue-thresholds").replaceChildren(...thresholds.queues.map((q) => {
    const form = el("form", { class: "admin-form inline-form", "data-thresholds-for": q.queue, novalidate: "" },
      el("h3", {}, q.queue, " ", el("small", { class: "muted" }, q.custom ? "own limits" : "defaults")),
      ...QUEUE_LIMITS.map(([name, label]) => field(label, numberInput(name, q[name]))),
      el("div", { class: "buttons" }, el("button", { type: "submit" }, "Save"),
        el("button", { type: "button", "data-action": "Reset", onclick: async () => {
          clearErrors(form);
          try { await api(`/api/v1/thresholds/queues/${encodeURIComponent(q.queue)}`, { method: "DELETE" }); await LOADERS.thresholds(); }
          catch (error) { showError(form, error); }
        } }, "Reset to defaults")));
    onSubmit(form, async () => {
      await api(`/api/v1/thresholds/queues/${encodeURIComponent(q.queue)}`, { method: "PUT", body: numbers(form, QUEUE_LIMITS) });
    });
    return form;
  }));
};

function setUpThresholdForms() {
  const form = $("agent-thresholds-form");
  onSubmit(form, async () => {
    await api("/api/v1/thresholds/agents", { method: "PUT", body: numbers(form, AGENT_LIMITS) });
  });
}

// ---- wallboard links ----------------------------------------------------------------------------

LOADERS.wallboards = async () => {
  queues = (await api("/api/v1/queues")).queues;
  const { wallboards } = await api("/api/v1/wallboards");
  $("wallboards-table").tBodies[0].replaceChildren(...wallboards.map((w) => el("tr", { "data-wallboard": w.id },
    cell(w.name), cell(w.queues.join(", ")), cell(w.created_by), cell(new Date(w.created_ms).toLocaleString()),
    el("td", { class: "actions" }, confirmButton("Revoke", `Revoke ${w.name}? Its TV goes blank.`, async () => {
      await api(`/api/v1/wallboards/${encodeURIComponent(w.id)}`, { method: "DELETE" });
      await LOADERS.wallboards();
    })))));
  const form = $("wallboard-form");
  form.replaceChildren(field("Name", el("input", { name: "name", maxlength: "64", placeholder: "e.g. Sales floor TV" })),
    checkboxes("queues", "Queues (up to 8 fit a TV)", queues.map((q) => [q.name, q.name])),
    el("button", { type: "submit" }, "Create link"));
};

function setUpWallboardForm() {
  const form = $("wallboard-form");
  onSubmit(form, async () => {
    const chosen = [...form.querySelectorAll("input[name=queues]:checked")].map((c) => c.value);
    const created = await api("/api/v1/wallboards", { method: "POST", body: { name: form.elements.name.value, queues: chosen } });
    const url = new URL(created.path, location.origin).href;
    $("new-link-url").href = created.path;
    $("new-link-url").textContent = url;
    $("new-link").hidden = false;
    await LOADERS.wallboards();
  }, "Link created.");
}

// ---- start --------------------------------------------------------------------------------------

const user = await me();
await header(user);
if (user.role !== "admin") {
  $("admin-only").hidden = false;
  document.querySelector(".tabs").hidden = true;
} else {
  setUpUserForm();
  setUpQueueForms();
  setUpAgentForm();
  setUpReasonsForm();
  setUpThresholdForms();
  setUpWallboardForm();
  document.querySelectorAll("[role=tab]").forEach((tab) => tab.addEventListener("click", () => {
    history.replaceState(null, "", `#${tab.dataset.tab}`);
    showTab(tab.dataset.tab);
  }));
  showTab(location.hash.slice(1));
}
