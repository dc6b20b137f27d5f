// streamlab dashboard: follows /api/events (Server-Sent Events) and keeps the page up to date. No build step,
// no framework: plain DOM and uPlot (static/vendor). Events: "history" (every kept point, on connecting),
// "points" (new ones), "jobs" (the /api/jobs document, each second), "tables" (result tables, on change).
"use strict";

const WINDOW_S = 300; // the plots show the last 5 minutes at most
const KEEP_S = 600; // the points kept, as the server keeps them
const COLOURS = { input: "#5b9bd5", processed: "#d9534f", lag: "#8e6bbf", age: "#2a9d8f" };

const series = {}; // job key -> {t, in, done, lag, ms: arrays of its points; age: {t, v} of its looks}
const cards = {}; // job key -> {element, plots}
let tables = {}; // job key -> the result table the server read last

// --- data ----------------------------------------------------------------------------------------------------

function seriesOf(key) {
  series[key] ??= { t: [], in: [], done: [], lag: [], ms: [], age: { t: [], v: [] } };
  return series[key];
}

function addPoints(message) { // per job: envelope points, and the age of its newest result at each look
  const at = Object.fromEntries(message.fields.map((name, i) => [name, i]));
  for (const [key, { points, freshness }] of Object.entries(message.jobs)) {
    const s = seriesOf(key);
    for (const p of points) {
      s.t.push(p[at["t"]]); s.in.push(p[at["in/s"]]); s.done.push(p[at["done/s"]]);
      s.lag.push(p[at["lag"]]); s.ms.push(p[at["batch/ckpt ms"]]);
    }
    for (const [t, age] of freshness) { s.age.t.push(t); s.age.v.push(age); }
    sortByTime(s);
    while (s.t.length && s.t[0] < s.t[s.t.length - 1] - KEEP_S) {
      for (const name of ["t", "in", "done", "lag", "ms"]) s[name].shift();
    }
    while (s.age.t.length && s.age.t[0] < s.age.t[s.age.t.length - 1] - KEEP_S) { s.age.t.shift(); s.age.v.shift(); }
  }
}

// a Spark job of several queries reports each one's batches with its own start time: not always in order, and
// uPlot draws points in the order of their x
function sortByTime(s) {
  if (s.t.every((t, i) => i === 0 || s.t[i - 1] <= t)) return;
  const order = s.t.map((_, i) => i).sort((a, b) => s.t[a] - s.t[b]);
  for (const name of ["t", "in", "done", "lag", "ms"]) s[name] = order.map((i) => s[name][i]);
}

// one time axis per workload group: both engines' plots show the same span, ending at the newer one's last point
function groupRange(keys) {
  const ends = keys.flatMap((k) => [series[k]?.t.at(-1), series[k]?.age.t.at(-1)]).filter((t) => t != null);
  const starts = keys.flatMap((k) => [series[k]?.t[0], series[k]?.age.t[0]]).filter((t) => t != null);
  if (!ends.length) return null;
  const end = Math.max(...ends);
  return [Math.max(Math.min(...starts), end - WINDOW_S), end];
}

// --- plots ---------------------------------------------------------------------------------------------------

const clock = (t) => new Date(t * 1000).toLocaleTimeString("en-GB"); // one line: the plots keep their height

function timePlot(element, lines, group, ranges) { // lines: [label, colour, width]; the legend names them
  const opts = {
    width: Math.max(200, element.clientWidth - 4), height: 130,
    cursor: { sync: { key: group } },
    legend: { live: false },
    scales: { x: { time: true, range: (u, lo, hi) => ranges.x ?? [lo, hi] } },
    series: [{}, ...lines.map(([label, stroke, width]) => ({ label, stroke, width, points: { show: width < 3 } }))],
    axes: [{ values: (u, splits) => splits.map(clock) }, { size: 50, space: 18 }],
  };
  return new uPlot(opts, [[], ...lines.map(() => [])], element);
}

function makeCard(key, groupElement) {
  const engine = key.split("/")[0];
  const element = document.createElement("article");
  element.className = `job ${engine}`;
  element.dataset.job = key;
  element.innerHTML = `
    <header><span class="engine">${engine}</span><span class="state"></span><span class="badges"></span>
      <span class="links"></span></header>
    <div class="numbers"></div><div class="plot rates"></div><div class="plot lag"></div>
    <div class="plot age"></div><div class="bike"></div><div class="result-box"></div>`;
  groupElement.querySelector(".engines").append(element);
  const ranges = {}; // shared by the card's plots; set from its group before each redraw
  const group = groupElement.dataset.group;
  const plots = { // input drawn wide and pale under processed: where the two are equal, both stay visible
    rates: timePlot(element.querySelector(".rates"),
      [["input/s", COLOURS.input + "99", 5], ["processed/s", COLOURS.processed, 1.5]], group, ranges),
    lag: timePlot(element.querySelector(".lag"), [["lag (records)", COLOURS.lag, 1.5]], group, ranges),
    age: timePlot(element.querySelector(".age"), [["age of the newest result when looked at (s)", COLOURS.age, 1.5]], group, ranges),
  };
  cards[key] = { element, plots, ranges };
  return cards[key];
}

function groupElementOf(group) {
  let element = document.querySelector(`section.group[data-group="${CSS.escape(group)}"]`);
  if (!element) {
    element = document.createElement("section");
    element.className = "group";
    element.dataset.group = group;
    element.innerHTML = `<h2></h2><div class="engines"></div>`;
    element.querySelector("h2").textContent = group;
    document.getElementById("groups").append(element);
  }
  return element;
}

function redrawPlots(keys, range) {
  for (const key of keys) {
    const { plots, ranges } = cards[key];
    const s = seriesOf(key);
    ranges.x = range;
    plots.rates.setData([s.t, s.in, s.done]);
    plots.lag.setData([s.t, s.lag]);
    plots.age.setData([s.age.t, s.age.v]);
  }
}

// --- the jobs document ---------------------------------------------------------------------------------------

const fmt = (value, digits = 0) =>
  value == null ? "–" : Number(value).toLocaleString("en", { maximumFractionDigits: digits });

function showNumbers(card, row) {
  const state = card.element.querySelector(".state");
  state.textContent = row.state;
  state.dataset.state = row.state;
  const numbers = [["input/s", fmt(row["in/s"], 1)], ["processed/s", fmt(row["done/s"], 1)], ["lag", fmt(row.lag)],
    ["batch/ckpt ms", fmt(row["batch/ckpt ms"])], ["result age s", fmt(seriesOf(row.job).age.v.at(-1) ?? row["result age s"], 2)],
    ["report age s", fmt(row["report age s"], 1)], ["watermark", row.watermark || "–"],
    ["state rows", fmt(row["state rows"])]];
  card.element.querySelector(".numbers").innerHTML = numbers
    .map(([name, value]) => `<div><span>${name}</span><b>${escapeHtml(value)}</b></div>`).join("");
  const links = [["web UI", row.ui_url], ["metrics", row.prometheus_url]].filter(([, url]) => url);
  card.element.querySelector(".links").innerHTML = links
    .map(([name, url]) => `<a href="${escapeHtml(url)}" target="_blank" rel="noopener">${name}</a>`).join("");
}

function activeAlerts(alerts) { // firing ones come first; a job's rule is active when its first row is FIRING
  const seen = new Set();
  return alerts.map((alert) => {
    const id = `${alert.job} ${alert.rule}`;
    const active = !seen.has(id) && alert.state === "FIRING";
    seen.add(id);
    return { ...alert, active };
  });
}

function alertItem(alert) {
  const item = document.createElement("li");
  item.className = alert.state;
  item.innerHTML = `<span class="when"></span> <span class="rule"></span> <span class="alert-job"></span>: <span class="msg"></span>`;
  item.querySelector(".when").textContent = alert.since;
  item.querySelector(".rule").textContent = alert.rule;
  item.querySelector(".alert-job").textContent = alert.job;
  item.querySelector(".msg").textContent = alert.message;
  return item;
}

function showAlerts(alerts) {
  const marked = activeAlerts(alerts);
  document.getElementById("firing").replaceChildren(...marked.filter((a) => a.active).map(alertItem));
  const earlier = marked.filter((a) => !a.active);
  document.getElementById("history").replaceChildren(...earlier.map(alertItem));
  document.getElementById("history-summary").textContent = `cleared and earlier (${earlier.length})`;
  for (const [key, card] of Object.entries(cards)) {
    const firing = marked.filter((a) => a.active && a.job === key);
    card.element.classList.toggle("alerting", firing.length > 0);
    card.element.querySelector(".badges").innerHTML = firing
      .map((a) => `<span class="badge">${escapeHtml(a.rule)}</span>`).join(" ");
  }
}

function onJobs(document_) {
  document.getElementById("kafka-error").textContent = document_.kafka_error || "";
  document.getElementById("no-jobs").hidden = document_.jobs.length > 0;
  const groups = {};
  for (const row of document_.jobs) {
    const group = row.job.split("/").slice(1).join("/"); // WORKLOAD/JOB: both engines' jobs side by side
    (groups[group] ??= []).push(row.job);
    showNumbers(cards[row.job] ?? makeCard(row.job, groupElementOf(group)), row);
  }
  for (const key of Object.keys(cards)) { // jobs the server forgot (silent for 10 minutes)
    if (!document_.jobs.some((row) => row.job === key)) { cards[key].element.remove(); delete cards[key]; }
  }
  document.querySelectorAll("section.group").forEach((g) => { if (!g.querySelector(".job")) g.remove(); });
  for (const keys of Object.values(groups)) redrawPlots(keys, groupRange(keys));
  showAlerts(document_.alerts);
  showTables();
}

// --- result tables and the bike plots ------------------------------------------------------------------------

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function resultHtml(table) {
  if (!table) return `<p class="note">no result yet</p>`;
  if (table.note) return `<p class="note">${escapeHtml(table.note)}</p>`;
  const head = table.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const cell = (v) => `<td class="${typeof v === "number" ? "num" : ""}">${escapeHtml(v ?? "")}</td>`;
  const body = table.rows.map((row) => `<tr>${row.map(cell).join("")}</tr>`).join("");
  return `<p class="note">${escapeHtml(table.where)}: ${fmt(table.total)} row(s), ${table.rows.length} shown</p>
    <table class="result"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function showTables() {
  for (const [key, card] of Object.entries(cards)) {
    const table = tables[key];
    const box = card.element.querySelector(".result-box");
    const html = resultHtml(table);
    if (box.dataset.html !== html) { box.innerHTML = html; box.dataset.html = html; }
    if (table?.plot?.kind === "bike_rentals") showBike(card.element.querySelector(".bike"), table.plot);
  }
}

function showBike(element, plot) { // seed 000's two pictures: per hour, and the stations by activity
  const drawn = JSON.stringify(plot);
  if (element.dataset.drawn === drawn) return;
  element.dataset.drawn = drawn;
  element.replaceChildren();
  const { labels, rents, returns } = plot.hours;
  const bars = (align) => uPlot.paths.bars({ size: [0.4, 30], align });
  new uPlot({
    title: "rents and returns per hour", width: 380, height: 200, legend: { live: false },
    scales: { x: { time: false, range: (u, lo, hi) => [lo - 0.6, hi + 0.6] } },
    series: [{ label: "hour" }, { label: "rents", fill: COLOURS.processed, stroke: COLOURS.processed, paths: bars(-1) },
      { label: "returns", fill: COLOURS.input, stroke: COLOURS.input, paths: bars(1) }],
    axes: [{ incrs: [1, 2, 3, 6, 12, 24], values: (u, splits) => splits.map((i) => labels[i] ?? "") }, { size: 50 }],
  }, [labels.map((_, i) => i), rents, returns], element);
  element.append(stationMap(plot.stations));
}

function stationMap({ lon, lat, activity }) { // a dot per station at its place, brighter for more activity
  const canvas = document.createElement("canvas");
  canvas.width = 260; canvas.height = 200;
  canvas.title = "stations by activity (rents + returns): brighter is busier";
  const ctx = canvas.getContext("2d");
  ctx.font = "bold 13px system-ui, sans-serif";
  ctx.fillText("stations by activity", 8, 16);
  const span = (values) => [Math.min(...values), Math.max(...values) || 1];
  const [x0, x1] = span(lon), [y0, y1] = span(lat), [, top] = span(activity);
  const scale = Math.min(240 / ((x1 - x0) * 0.79 || 1), 160 / (y1 - y0 || 1)); // a degree of longitude ~0.79 of one of latitude at 37.5 N
  lon.forEach((x, i) => {
    ctx.fillStyle = `hsl(${260 - 200 * (activity[i] / top)}, 70%, ${30 + 30 * (activity[i] / top)}%)`;
    ctx.beginPath();
    ctx.arc(10 + (x - x0) * 0.79 * scale, 190 - (lat[i] - y0) * scale, 3, 0, 2 * Math.PI);
    ctx.fill();
  });
  return canvas;
}

// --- the feed ------------------------------------------------------------------------------------------------

function connect() {
  const connection = document.getElementById("connection");
  const events = new EventSource("/api/events");
  events.onopen = () => { connection.textContent = "live"; connection.classList.add("live"); };
  events.onerror = () => { connection.textContent = "reconnecting…"; connection.classList.remove("live"); };
  events.addEventListener("history", (e) => { // sent on every (re)connection: start the points afresh
    for (const key of Object.keys(series)) delete series[key];
    addPoints(JSON.parse(e.data));
  });
  events.addEventListener("points", (e) => addPoints(JSON.parse(e.data)));
  events.addEventListener("jobs", (e) => onJobs(JSON.parse(e.data)));
  events.addEventListener("tables", (e) => { tables = JSON.parse(e.data); showTables(); });
}

connect();
