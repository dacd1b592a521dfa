// A router team's load and figures for a day (S2.3, S3.6): each member's offered, answered and
// missed calls, talk, wrap-up, pause and logged-in time and occupancy, and the team's totals.
// The API applies the role rules: admins see every team, a supervisor the teams they supervise.
import { api, duration, el, header, me } from "/static/api.js";

const seconds = (d) => (d ? parseFloat(String(d)) || 0 : 0); // a Duration as JSON: "12.5s"
const count = (v) => String(parseInt(v || 0, 10));
const percent = (v) => (v === undefined || v === null ? "" : `${Math.round(100 * v)} %`);
const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

function localToday() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function cells(row) {
  return [count(row.offered), count(row.answered), count(row.missed), duration(seconds(row.talk_time)),
    duration(seconds(row.wrap_up_time)), duration(seconds(row.pause_time)), duration(seconds(row.logged_in_time))]
    .map((v) => el("td", {}, v));
}

async function show(form) {
  const error = document.getElementById("teams-error");
  error.hidden = true;
  const query = new URLSearchParams({ team_id: form.team_id.value, day: form.day.value, tz });
  try {
    const reply = await api(`/api/v1/stats/team?${query}`);
    const body = document.querySelector("#team-figures tbody");
    body.replaceChildren(...reply.agents.map((a) => el("tr", { "data-agent": a.agent_id },
      el("td", {}, el("a", { href: `/agents/${encodeURIComponent(a.agent_id)}` }, a.agent_id)), ...cells(a),
      el("td", {}, percent(a.occupancy)))));
    document.querySelector("#team-figures tfoot").replaceChildren(el("tr", { class: "totals" },
      el("th", { scope: "row" }, "Total"), ...cells(reply.totals), el("td", {}, "")));
    document.body.dataset.loaded = form.team_id.value;
  } catch (exc) {
    error.textContent = exc.message;
    error.hidden = false;
  }
}

me().then(async (user) => {
  await header(user);
  const form = document.getElementById("team-form");
  form.day.value = localToday();
  const error = document.getElementById("teams-error");
  try {
    const { teams } = await api("/api/v1/teams");
    form.team_id.replaceChildren(...teams.map((t) => el("option", { value: t.team_id }, t.name || t.team_id)));
    if (!teams.length) { error.textContent = "No team is yours to see."; error.hidden = false; return; }
    form.addEventListener("submit", (e) => { e.preventDefault(); show(form); });
    await show(form);
  } catch (exc) {
    error.textContent = exc.message;
    error.hidden = false;
  }
});
