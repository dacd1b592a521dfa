// Trends: the chosen queues' figures interval by interval (intraday: quarter hours, half hours,
// hours of a day or a few) or over history (days, weeks, months), as charts drawn by uPlot
// (static/vendor/) with a table of the same numbers under each queue's charts: the page reads
// the same without the chart library.
import { api, duration, el, header, me } from "/static/api.js";
import { bucketLabel } from "/static/labels.js";

const INTRADAY = ["quarter_hour", "half_hour", "hour"];
const CHART_HEIGHT = 200;
const params = new URLSearchParams(location.search);
const tz = params.get("tz") || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const form = document.getElementById("trend-filters");
const charts = []; // [uPlot, its container], resized with their container

// Dates as YYYY-MM-DD in the page's time zone, and whole days before them.
const isoDay = new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" });
const today = () => isoDay.format(new Date());
function daysBefore(day, n) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d - n)).toISOString().slice(0, 10);
}

const fmt = (options) => new Intl.DateTimeFormat(undefined, { timeZone: tz, ...options });
const clock = fmt({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const weekday = fmt({ weekday: "short", day: "numeric", month: "short" });
const date = fmt({ weekday: "short", day: "numeric", month: "short", year: "numeric" });
const month = fmt({ month: "long", year: "numeric" });

/** An interval as a person reads it, in the page's time zone. */
function intervalLabel(point, bucket, severalDays) {
  const start = new Date(point.start_ms), end = new Date(point.end_ms);
  if (INTRADAY.includes(bucket)) {
    const span = `${clock.format(start)}–${clock.format(end)}`;
    return severalDays ? `${weekday.format(start)} ${span}` : span;
  }
  if (bucket === "day") return date.format(start);
  if (bucket === "week") return `Week of ${date.format(start)}`;
  return month.format(start);
}

// What a row shows; null where the figure has no meaning (nothing ended, answered, handled).
const ended = (p) => p.answered + p.abandoned - p.short_abandoned + p.timed_out + p.overflowed;
const FIGURES = [
  { field: "offered", label: "Offered", value: (p) => p.offered, text: String },
  { field: "answered", label: "Answered", value: (p) => p.answered, text: String },
  { field: "abandoned", label: "Abandoned", value: (p) => p.abandoned, text: String },
  { field: "service_level", label: "Service level", value: (p) => (ended(p) ? p.service_level_percent : null),
    text: (v) => `${v.toFixed(1)} %` },
  { field: "asa", label: "Average speed of answer", value: (p) => (p.answered ? p.asa_ms / 1000 : null),
    text: duration },
  { field: "aht", label: "Average handle time", value: (p) => (p.handled ? p.aht_ms / 1000 : null),
    text: duration },
];
const figure = (name) => FIGURES.find((f) => f.field === name);

function table(series, bucket, severalDays) {
  const head = el("tr", {}, el("th", { scope: "col" }, "Interval"),
    ...FIGURES.map((f) => el("th", { scope: "col" }, f.label)));
  const rows = series.points.map((p) => el("tr", { "data-start": p.start_ms },
    el("th", { scope: "row", "data-field": "interval" }, intervalLabel(p, bucket, severalDays)),
    ...FIGURES.map((f) => {
      const v = f.value(p);
      return el("td", { "data-field": f.field }, v === null ? "–" : f.text(v));
    })));
  return el("div", { class: "table-wrap" }, el("table", { class: "trend-table" },
    el("caption", {}, `${series.queue}: every ${bucketLabel(bucket).toLowerCase()}`),
    el("thead", {}, head), el("tbody", {}, ...rows)));
}

const COLOURS = { offered: "#2060c0", answered: "#1f9d55", abandoned: "#c53030", service_level: "#805ad5",
  target: "#a0aec0", asa: "#b7791f", aht: "#2b6cb0" };

const shortDate = fmt({ day: "numeric", month: "short" });
const shortMonth = fmt({ month: "short", year: "numeric" });
/** The x axis's tick labels: 24-hour clock times (with the day over several), or dates. */
function xTicks(bucket, severalDays) {
  const format = (t) => {
    const at = new Date(t * 1000);
    if (INTRADAY.includes(bucket)) return severalDays ? `${shortDate.format(at)}\n${clock.format(at)}` : clock.format(at);
    return bucket === "month" ? shortMonth.format(at) : shortDate.format(at);
  };
  return (u, ticks) => ticks.map(format);
}

/** One uPlot chart of some figures of a series, in a container that sizes it. */
const fromZero = (u, min, max) => [0, max > 0 ? max * 1.1 : 1]; // counts and times start at 0
function chart(title, series, names, { yValue = (v) => v, target = null, xValues, yRange = fromZero } = {}) {
  const box = el("div", { class: "chart", "data-chart": names.join(" ") });
  const wrap = el("figure", { class: "trend-chart" }, el("figcaption", {}, title), box);
  if (!window.uPlot) return wrap; // the table below carries the numbers
  const x = series.points.map((p) => p.start_ms / 1000);
  const data = [x, ...names.map((n) => series.points.map(figure(n).value))];
  const lines = names.map((n) => ({ label: figure(n).label, stroke: COLOURS[n], width: 2, spanGaps: false,
    points: { show: true, size: 5 }, value: (u, v) => (v === null || v === undefined ? "–" : figure(n).text(v)) }));
  if (target !== null) {
    data.push(x.map(() => target));
    lines.push({ label: "Target", stroke: COLOURS.target, width: 1, dash: [6, 4], points: { show: false } });
  }
  const options = {
    width: 300, height: CHART_HEIGHT,
    tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), tz),
    scales: { x: { time: true }, y: { range: yRange } },
    series: [{ label: "Interval" }, ...lines],
    axes: [{ values: xValues }, { values: (u, ticks) => ticks.map(yValue), size: 56 }],
  };
  requestAnimationFrame(() => { // once the container has its width
    const plot = new window.uPlot(options, data, box);
    plot.setSize({ width: Math.max(box.clientWidth, 200), height: CHART_HEIGHT });
    charts.push([plot, box]);
  });
  return wrap;
}

const resizer = new ResizeObserver(() => {
  for (const [plot, box] of charts) plot.setSize({ width: Math.max(box.clientWidth, 200), height: CHART_HEIGHT });
});

function render(reply) {
  for (const [plot] of charts.splice(0)) plot.destroy();
  const severalDays = reply.from !== reply.to;
  const target = reply.service_level_target_percent;
  const xValues = xTicks(reply.bucket, severalDays);
  const sections = reply.queues.map((series) => el("section", { class: "trend", "data-queue": series.queue },
    el("h2", {}, series.queue),
    el("div", { class: "trend-charts" },
      chart("Calls", series, ["offered", "answered", "abandoned"], { xValues }),
      chart(`Service level (answered within ${reply.service_level_threshold_s} s)`, series, ["service_level"],
        { yValue: (v) => `${v} %`, target, xValues, yRange: [0, 100] }),
      chart("Waiting and handling", series, ["asa", "aht"], { yValue: duration, xValues })),
    table(series, reply.bucket, severalDays)));
  const days = severalDays ? `${reply.from} to ${reply.to}` : reply.from;
  document.getElementById("trend-summary").textContent = reply.queues.length
    ? `${bucketLabel(reply.bucket)} intervals, ${days}, ${tz}; service-level target ${target} %.`
    : "No queue to show.";
  const root = document.getElementById("trends");
  root.replaceChildren(...sections);
  resizer.observe(root);
}

function query() {
  const data = new FormData(form);
  const q = new URLSearchParams();
  const queues = data.getAll("queue");
  if (queues.length) q.set("queue", queues.join(","));
  q.set("bucket", data.get("bucket"));
  q.set("from", data.get("from"));
  q.set("to", data.get("to") || data.get("from"));
  q.set("tz", tz);
  return q;
}

async function load() {
  const error = document.getElementById("trend-error");
  const q = query();
  history.replaceState(null, "", `/trends?${q}`);
  try {
    error.hidden = true;
    render(await api(`/api/v1/stats/queues/series?${q}`));
    document.body.dataset.loaded = "true";
  } catch (e) {
    error.textContent = e.message;
    error.hidden = false;
  }
}

/** Intraday offers clock buckets, history calendar ones; switching picks a fitting range. */
function setView(view, pickRange) {
  for (const option of form.elements.bucket.options) {
    option.hidden = option.disabled = option.dataset.view !== view;
  }
  if (form.elements.bucket.selectedOptions[0]?.disabled) form.elements.bucket.value = view === "history" ? "day" : "half_hour";
  if (!pickRange) return;
  const last = form.elements.to.value || form.elements.from.value || today();
  form.elements.to.value = last;
  form.elements.from.value = view === "history" ? daysBefore(last, 29) : last;
}

async function queueChoice() {
  const { queues } = await api("/api/v1/queues");
  const names = queues.map((q) => q.name).sort();
  const asked = (params.get("queue") || "").split(",").filter(Boolean);
  const chosen = new Set(asked.length ? asked : names.slice(0, 4));
  const box = document.getElementById("queue-choice");
  box.append(...names.map((name) => el("label", { class: "check" },
    el("input", { type: "checkbox", name: "queue", value: name, ...(chosen.has(name) ? { checked: "" } : {}) }), name)));
}

const user = await me();
await header(user);
const bucket = params.get("bucket") || "half_hour";
form.elements.view.value = INTRADAY.includes(bucket) ? "intraday" : "history";
setView(form.elements.view.value, false);
form.elements.bucket.value = bucket;
form.elements.from.value = params.get("from") || params.get("to") || today();
form.elements.to.value = params.get("to") || form.elements.from.value;
form.elements.view.addEventListener("change", () => setView(form.elements.view.value, true));
form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
await queueChoice().catch((e) => { document.getElementById("trend-error").textContent = e.message; });
await load();
