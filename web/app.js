// The wallboard page: the board from opel-webd's WebSocket (/api/v1/live, opel.v1.BoardMessage
// as JSON), drawn as the tree with each node's level, status and "last reported" time; a
// banner when the feed is silent, the server does not answer, or updates were dropped.
// Plain JavaScript, no build step.
"use strict";

const params = new URLSearchParams(location.search);
const kiosk = params.get("kiosk") === "1";
// /node/<id>: one node's page (the link notification messages carry).
const nodePage = location.pathname.startsWith("/node/")
  ? decodeURIComponent(location.pathname.slice("/node/".length)) : null;
// /upload: the form that sends a file of sitreps (POST /api/v1/sitreps).
const uploadPage = location.pathname === "/upload";
const watchdogMs = 15000;  // the server sends the feed's health at least every 5 s

const board = { nodes: [], byId: new Map(), alerts: [], feed: {}, sequence: "0" };
let socket = null;
let lastMessageAt = 0;
let retryMs = 1000;
let serverNow = null;  // the publisher's clock at lastMessageAt (a drill's simulated clock)
let me = null;  // who the page speaks for (opel.v1.Me): access "open", or "login" and a name

const levelOf = (status) => {
  const m = /^STATUS_OPEL_([1-4])$/.exec(status || "");
  return m ? Number(m[1]) : 0;
};
const statusText = (status) => {
  const level = levelOf(status);
  if (level) return "OPEL " + level;
  if (status === "STATUS_STALE") return "STALE";
  return "UNKNOWN";
};
const statusClass = (status) => {
  const level = levelOf(status);
  if (level) return "l" + level;
  return status === "STATUS_STALE" ? "stale" : "unknown";
};

function minutesAgo(iso) {
  if (!iso) return "never";
  const now = serverNow ? serverNow.getTime() + (Date.now() - lastMessageAt) : Date.now();
  const minutes = Math.max(0, Math.round((now - Date.parse(iso)) / 60000));
  if (minutes < 1) return "just now";
  if (minutes < 120) return minutes + " min ago";
  return Math.round(minutes / 60) + " h ago";
}

function londonTime(iso) {
  return new Date(iso).toLocaleTimeString("en-GB", { timeZone: "Europe/London",
    hour: "2-digit", minute: "2-digit" });
}

function showBanner(text, kind) {
  const banner = document.getElementById("banner");
  if (!text) {
    banner.hidden = true;
    banner.textContent = "";
    return;
  }
  banner.hidden = false;
  banner.className = kind || "";
  banner.textContent = text;
}

function setState(state) {
  board.nodes = state.nodes || [];
  board.byId = new Map(board.nodes.map((n) => [n.id, n]));
  board.alerts = state.alerts || [];
  board.sequence = state.sequence || "0";
  setFeed(state.feed || {});
  if (state.feed && Number(state.feed.dropped || 0) > 0) {
    showBanner("This screen fell behind and was brought up to date (" + state.feed.dropped +
               " updates skipped).", "info");
  }
  render();
}

function setFeed(feed) {
  board.feed = feed;
  if (feed.now) serverNow = new Date(feed.now);
  const state = document.getElementById("feed-state");
  if (feed.live) {
    state.textContent = "Live: sequence " + board.sequence;
    const banner = document.getElementById("banner");
    if (!banner.hidden && banner.className !== "info") showBanner("");
  } else {
    state.textContent = "Not live";
    showBanner("Not live: " + (feed.problem || "no news from the escalator") +
               ". Levels shown may be out of date.");
  }
}

function depth(node) {
  return (node.path || "").split("/").length - 1;
}

function row(node) {
  const r = node.result || {};
  const tr = document.createElement("tr");
  tr.id = "node-" + node.id;
  tr.dataset.node = node.id;
  tr.className = (node.kind === "site" ? "site" : "system") + " depth-" + Math.min(depth(node), 4);
  const level = document.createElement("td");
  const badge = document.createElement("span");
  badge.className = "level " + statusClass(r.status);
  badge.textContent = statusText(r.status);
  badge.dataset.status = r.status || "STATUS_UNKNOWN";
  level.appendChild(badge);
  if (r.declared_level) {
    const declared = document.createElement("span");
    declared.className = "declared";
    declared.textContent = "declared OPEL " + r.declared_level +
      (r.declared_by ? " by " + r.declared_by : "");
    level.appendChild(declared);
  }
  const name = document.createElement("td");
  name.className = "name";
  const link = document.createElement("a");
  link.href = "/node/" + encodeURIComponent(node.id);
  link.textContent = node.name || node.id;
  name.appendChild(link);
  const code = document.createElement("td");
  code.className = "code";
  code.textContent = node.id;
  const status = document.createElement("td");
  status.className = "status";
  const notes = [];
  if (r.status === "STATUS_STALE") notes.push("STALE: not reporting");
  if (!r.status || r.status === "STATUS_UNKNOWN") notes.push("UNKNOWN");
  if (r.computed && r.computed !== r.status && levelOf(r.computed)) {
    notes.push("computed " + statusText(r.computed));
  }
  if (r.acknowledged) notes.push("acknowledged by " + r.acknowledged.by);
  status.textContent = notes.join("; ");
  const reported = document.createElement("td");
  reported.className = "reported";
  reported.textContent = node.kind === "site" ? minutesAgo(r.as_at) : "";
  const why = document.createElement("td");
  why.className = "why";
  why.textContent = r.decided_by || "";
  tr.append(level, name, code, status, reported, why);
  return tr;
}

function render() {
  const root = board.nodes[0];
  if (root) document.getElementById("title").textContent = "OPEL wallboard: " + (root.name || root.id);
  const rows = document.getElementById("rows");
  rows.replaceChildren(...board.nodes.map(row));
  renderCounts();
  renderAlerts();
  if (nodePage) renderNode();
}

function item(text) {
  const li = document.createElement("li");
  li.textContent = text;
  return li;
}

// The node's page: level and why, each parameter, the card's actions for the level (fetched,
// so they follow the level), the node's alerts with acknowledgements, and the ack form.
async function renderNode() {
  document.getElementById("node").hidden = false;
  document.getElementById("board").hidden = true;
  document.getElementById("alerts-section").hidden = true;
  const node = board.byId.get(nodePage);
  const title = document.getElementById("node-title");
  if (!node) {
    title.textContent = "No organisation " + nodePage + " on this wallboard";
    return;
  }
  const r = node.result || {};
  title.textContent = (node.name || node.id) + " (" + node.id + ")";
  const level = document.getElementById("node-level");
  level.replaceChildren();
  const badge = document.createElement("span");
  badge.className = "level " + statusClass(r.status);
  badge.textContent = statusText(r.status);
  level.append(badge, " " + (node.kind === "site" ? "last reported " + minutesAgo(r.as_at) : node.kind));
  if (r.declared_level) level.append("; declared OPEL " + r.declared_level + (r.declared_by ? " by " + r.declared_by : ""));
  document.getElementById("node-why").textContent = r.decided_by || "";
  const body = document.querySelector("#parameters tbody");
  body.replaceChildren(...(r.parameters || []).map((p) => {
    const tr = document.createElement("tr");
    const value = p.value === undefined ? (p.worst_policy ? "missing (scored as worst)" : "missing")
      : Number(p.value).toLocaleString("en-GB", { maximumFractionDigits: 1 }) +
        (p.unit ? " " + p.unit : "");
    for (const text of [p.name || p.id, value + (p.carried_forward ? " (carried forward)" : ""),
                        p.threshold || "", String(p.score || 0), String(p.weight || 0)]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    return tr;
  }));
  document.getElementById("parameters").hidden = !(r.parameters || []).length;
  try {
    const detail = await (await fetch("/api/v1/nodes/" + encodeURIComponent(node.id))).json();
    document.getElementById("actions").replaceChildren(...(detail.actions || []).map(
      (a) => item(a.role + ": " + a.action + " (OPEL " + a.level + ")")),
      ...(detail.actions_note ? [item(detail.actions_note)] : []));
  } catch (e) {
    document.getElementById("actions").replaceChildren(item("(the card's actions could not be read)"));
  }
  const transition = r.transition_number ? node.id + "#" + r.transition_number : "";
  document.getElementById("ack-what").textContent = !transition ? "Nothing to acknowledge yet."
    : r.acknowledged ? transition + " was acknowledged by " + r.acknowledged.by + "."
    : "Acknowledge " + transition + " (" + statusText(r.status) + "): you have seen it and are acting on it.";
  document.getElementById("ack-form").dataset.transition = transition;
  if (historyShownFor !== node.id + "@" + (r.as_at || "")) {
    historyShownFor = node.id + "@" + (r.as_at || "");  // again when the node has a new result
    renderHistory(node.id);
  }
  const mine = board.alerts.filter((a) => a.node_id === node.id).slice(-30).reverse();
  document.getElementById("node-alerts").replaceChildren(...mine.map((a) => item(describeAlert(a))));
}

// ---- History charts (a node's page): level over time, and each parameter's value against
// its OPEL 2/3/4 thresholds, as SVG drawn here (no chart library). Times in Europe/London.
let historyRange = { hours: 24 };  // or { from, to } (ISO strings)
let historyShownFor = null;

function publisherNow() {
  return serverNow ? serverNow.getTime() + (Date.now() - lastMessageAt) : Date.now();
}

function historyQuery(node) {
  let from, to;
  if (historyRange.hours) {
    to = new Date(publisherNow());
    from = new Date(to.getTime() - historyRange.hours * 3600000);
  } else {
    from = new Date(historyRange.from);
    to = new Date(historyRange.to);
  }
  const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
  return "node=" + encodeURIComponent(node) + "&from=" + iso(from) + "&to=" + iso(to);
}

const svgNs = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const el = document.createElementNS(svgNs, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// One chart: `series` [[time ms, value]], y from lo to hi, optional horizontal lines
// [[value, label, class]], drawn as steps (a value holds until the next).
function chart(title, series, lo, hi, lines, fromMs, toMs, yLabel) {
  const w = 640, h = 160, left = 48, right = 8, top = 8, bottom = 22;
  const x = (t) => left + (w - left - right) * (t - fromMs) / Math.max(1, toMs - fromMs);
  const y = (v) => top + (h - top - bottom) * (1 - (v - lo) / Math.max(1e-9, hi - lo));
  const root = svg("svg", { viewBox: "0 0 " + w + " " + h, role: "img", class: "chart",
                            "aria-label": title });
  root.appendChild(svg("title", {}, title));
  root.appendChild(svg("rect", { x: left, y: top, width: w - left - right, height: h - top - bottom,
                                 class: "plot" }));
  for (const [value, label, cls] of lines) {
    root.appendChild(svg("line", { x1: left, x2: w - right, y1: y(value), y2: y(value), class: "threshold " + cls }));
    root.appendChild(svg("text", { x: w - right - 2, y: y(value) - 2, "text-anchor": "end", class: "axis" }, label));
  }
  for (const v of [lo, hi]) {
    root.appendChild(svg("text", { x: left - 4, y: y(v) + 4, "text-anchor": "end", class: "axis" }, yLabel(v)));
  }
  const tick = (t) => new Date(t).toLocaleString("en-GB", { timeZone: "Europe/London",
    day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit" });
  root.appendChild(svg("text", { x: left, y: h - 6, class: "axis" }, tick(fromMs)));
  root.appendChild(svg("text", { x: w - right, y: h - 6, "text-anchor": "end", class: "axis" }, tick(toMs)));
  let d = "";
  series.forEach(([t, v], i) => {
    const next = i + 1 < series.length ? series[i + 1][0] : Math.min(toMs, publisherNow());
    d += (i ? " L" : "M") + x(t).toFixed(1) + " " + y(v).toFixed(1) + " L" + x(next).toFixed(1) + " " + y(v).toFixed(1);
  });
  if (d) root.appendChild(svg("path", { d, class: "series" }));
  return root;
}

async function renderHistory(nodeId) {
  const query = historyQuery(nodeId);
  document.getElementById("history-csv").href = "/api/v1/history?" + query + "&format=csv";
  document.getElementById("history-json").href = "/api/v1/history?" + query;
  const state = document.getElementById("history-state");
  const charts = document.getElementById("history-charts");
  state.textContent = "Loading history…";
  let h;
  try {
    const response = await fetch("/api/v1/history?" + query);
    if (!response.ok) throw new Error(await response.text());
    h = await response.json();
  } catch (e) {
    state.textContent = "History could not be read: " + e.message;
    charts.replaceChildren();
    return;
  }
  const fromMs = Date.parse(h.from), toMs = Date.parse(h.to);
  const points = (h.points || []).map((p) => ({ t: Date.parse(p.at), status: p.status, values: p.values || {} }));
  state.textContent = points.length + " results from " + new Date(fromMs).toLocaleString("en-GB", { timeZone: "Europe/London" }) +
    " to " + new Date(toMs).toLocaleString("en-GB", { timeZone: "Europe/London" }) +
    (h.truncated ? " (more than shown: narrow the range)" : "") + ".";
  const levels = points.filter((p) => levelOf(p.status)).map((p) => [p.t, levelOf(p.status)]);
  const out = [chart("Level", levels, 1, 4, [], fromMs, toMs, (v) => "OPEL " + v)];
  out[0].classList.add("levels");
  for (const param of h.parameters || []) {
    const series = points.filter((p) => param.id in p.values).map((p) => [p.t, p.values[param.id]]);
    const values = series.map(([, v]) => v).concat(param.thresholds || []);
    const lo = Math.min(0, ...values), hi = Math.max(...values) * 1.1 || 1;
    const lines = (param.thresholds || []).map((t, i) => [t, "OPEL " + (i + 2), "l" + (i + 2)]);
    const title = (param.name || param.id) + (param.unit ? " (" + param.unit + ")" : "");
    const figure = document.createElement("figure");
    const caption = document.createElement("figcaption");
    caption.textContent = title + (param.lower_is_worse ? ": lower is worse" : "");
    figure.append(caption, chart(title, series, lo, hi, lines, fromMs, toMs,
      (v) => Number(v).toLocaleString("en-GB", { maximumFractionDigits: 1 })));
    out.push(figure);
  }
  charts.replaceChildren(...out);
}

document.getElementById("history-form").addEventListener("click", (event) => {
  const hours = event.target.dataset && event.target.dataset.hours;
  if (!hours || !nodePage) return;
  historyRange = { hours: Number(hours) };
  renderHistory(nodePage);
});
document.getElementById("history-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const from = document.getElementById("history-from").value;
  const to = document.getElementById("history-to").value;
  if (!from || !to || !nodePage) return;
  historyRange = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  renderHistory(nodePage);
});

async function acknowledge(event) {
  event.preventDefault();
  const form = event.target;
  const result = document.getElementById("ack-result");
  if (!form.dataset.transition) { result.textContent = "Nothing to acknowledge."; return; }
  const body = JSON.stringify({ transition_id: form.dataset.transition,
    by: document.getElementById("ack-by").value, note: document.getElementById("ack-note").value });
  try {
    const reply = await (await fetch("/api/v1/ack", { method: "POST", body,
      headers: { "Content-Type": "application/json" } })).json();
    if (reply.error) {  // 401 (signed out) or 403 (not an acknowledger)
      result.textContent = "Not recorded: " + reply.error;
      return;
    }
    const status = (reply.status || "").replace("SUBMIT_STATUS_", "");
    const errors = (reply.errors || []).map((e) => e.field + ": " + e.message).join("; ");
    result.textContent = status + (reply.message ? ": " + reply.message : "") + (errors ? ": " + errors : "");
  } catch (e) {
    result.textContent = "The wallboard server did not answer; try again.";
  }
}
document.getElementById("ack-form").addEventListener("submit", acknowledge);

// The Content-Type for a file of sitreps: from its name, else its first character.
async function uploadType(file) {
  const name = file.name.toLowerCase();
  if (name.endsWith(".csv")) return "text/csv";
  if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) return "application/x-ndjson";
  if (name.endsWith(".json")) return "application/json";
  const first = (await file.slice(0, 256).text()).trimStart()[0];
  return first === "{" ? "application/x-ndjson" : "text/csv";
}

// Sends the chosen file and shows one table row per sitrep: its line, site, outcome and
// every problem (or the level it gave).
async function upload(event) {
  event.preventDefault();
  const summary = document.getElementById("upload-summary");
  const table = document.getElementById("upload-results");
  const file = document.getElementById("upload-file").files[0];
  if (!file) return;
  summary.textContent = "Sending " + file.name + "…";
  table.hidden = true;
  let answer;
  try {
    const response = await fetch("/api/v1/sitreps", { method: "POST", body: file,
      headers: { "Content-Type": await uploadType(file) } });
    answer = await response.json();
  } catch (e) {
    summary.textContent = "The wallboard server did not answer; nothing is known to be sent. Try again.";
    return;
  }
  if (answer.error) {
    summary.textContent = "Not sent: " + answer.error;
    return;
  }
  const counts = Object.entries(answer.summary || {}).filter(([k]) => k !== "rows")
    .map(([k, v]) => v + " " + k).join(", ");
  summary.textContent = file.name + ": " + (answer.summary || {}).rows + " sitreps: " + counts +
    (answer.status === 200 ? "." : answer.status === 503
      ? ". The escalator did not take them: send the file again (nothing is applied twice)."
      : ". See each row below.");
  table.querySelector("tbody").replaceChildren(...(answer.results || []).map((row) => {
    const reply = row.reply || {};
    const status = (reply.status || "").replace("SUBMIT_STATUS_", "");
    const result = reply.result || {};
    const details = (reply.errors || []).map((e) => e.field + ": " + e.message).join("; ") ||
      (result.status ? "now " + statusText(result.status) : "") ||
      reply.message || "";
    const tr = document.createElement("tr");
    tr.className = status === "REJECTED" || status === "UNAVAILABLE" ? "failed" : "ok";
    for (const text of [String(row.line), reply.site_id || "", status, details]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    return tr;
  }));
  table.hidden = false;
}
document.getElementById("upload-form").addEventListener("submit", upload);
if (uploadPage) {
  document.getElementById("upload").hidden = false;
  document.getElementById("board").hidden = true;
  document.getElementById("alerts-section").hidden = true;
}

function renderCounts() {
  const counts = { 4: 0, 3: 0, 2: 0, 1: 0, stale: 0, unknown: 0 };
  for (const n of board.nodes) {
    if (n.kind !== "site") continue;
    const s = (n.result || {}).status;
    const level = levelOf(s);
    if (level) counts[level]++;
    else if (s === "STATUS_STALE") counts.stale++;
    else counts.unknown++;
  }
  const list = document.getElementById("counts");
  const items = [["l4", "OPEL 4", counts[4]], ["l3", "OPEL 3", counts[3]],
                 ["l2", "OPEL 2", counts[2]], ["l1", "OPEL 1", counts[1]],
                 ["stale", "STALE", counts.stale], ["unknown", "UNKNOWN", counts.unknown]];
  list.replaceChildren(...items.map(([cls, label, n]) => {
    const li = document.createElement("li");
    li.className = "level " + cls;
    li.textContent = label + ": " + n + (n === 1 ? " site" : " sites");
    li.dataset.count = String(n);
    return li;
  }));
}

function describeAlert(a) {
  const node = board.byId.get(a.node_id);
  const kind = (a.kind || "").replace("EVENT_KIND_", "").toLowerCase().replaceAll("_", " ");
  return (a.at ? londonTime(a.at) + " " : "") + (node ? node.name : a.node_id) +
    " (" + a.node_id + ") " + kind + (a.to ? " to " + statusText(a.to) : "") +
    (a.by ? " by " + a.by : "") + (a.note ? " - " + a.note : "") +
    (a.transition_id ? " [" + a.transition_id + "]" : "");
}

function renderAlerts() {
  const latest = board.alerts.slice(-20).reverse();
  document.getElementById("alerts").replaceChildren(...latest.map((a) => {
    const li = item(describeAlert(a));
    const link = document.createElement("a");
    link.href = "/node/" + encodeURIComponent(a.node_id);
    link.textContent = " (open)";
    li.appendChild(link);
    return li;
  }));
}

function applyStatus(result) {
  const node = board.byId.get(result.node_id);
  if (!node) return;
  node.result = result;
  const old = document.getElementById("node-" + node.id);
  const fresh = row(node);
  fresh.classList.add("changed");
  if (old) old.replaceWith(fresh);
  renderCounts();
  if (nodePage === node.id) renderNode();
}

function onMessage(event) {
  lastMessageAt = Date.now();
  const m = JSON.parse(event.data);
  if (m.sequence) board.sequence = m.sequence;
  if (m.state) setState(m.state);
  else if (m.status) applyStatus(m.status);
  else if (m.alert) {
    board.alerts.push(m.alert);
    if (board.alerts.length > 200) board.alerts.shift();
    renderAlerts();
    if (nodePage === m.alert.node_id) renderNode();
  } else if (m.feed) setFeed(m.feed);
}

// Who the page speaks for (GET /api/v1/me): opel.v1.Me, null when a login is needed (401),
// undefined when the server does not answer.
async function whoAmI() {
  try {
    const response = await fetch("/api/v1/me");
    return response.status === 401 ? null : await response.json();
  } catch (e) {
    return undefined;
  }
}

function showLogin() {
  document.getElementById("login").hidden = false;
  for (const id of ["board", "alerts-section", "node", "upload"]) {
    document.getElementById(id).hidden = true;
  }
  document.getElementById("who").hidden = true;
  document.getElementById("banner").hidden = true;
  document.getElementById("feed-state").textContent = "Signed out";
}

async function login(event) {
  event.preventDefault();
  const result = document.getElementById("login-result");
  const body = JSON.stringify({ name: document.getElementById("login-name").value,
    password: document.getElementById("login-password").value });
  try {
    const response = await fetch("/api/v1/login", { method: "POST", body,
      headers: { "Content-Type": "application/json" } });
    if (response.ok) {
      location.reload();  // the page again, now with the session cookie
      return;
    }
    result.textContent = (await response.json()).error || "Not signed in.";
  } catch (e) {
    result.textContent = "The wallboard server did not answer; try again.";
  }
}
document.getElementById("login-form").addEventListener("submit", login);
document.getElementById("logout").addEventListener("click", async () => {
  try {
    await fetch("/api/v1/logout", { method: "POST" });
  } finally {
    location.reload();
  }
});

// A login names the acknowledger: the name field shows it and cannot be changed.
function applyMe(m) {
  me = m;
  if (m.access !== "login") return;
  document.getElementById("who").hidden = false;
  document.getElementById("who-name").textContent = m.name + " (" + m.role + ")";
  const by = document.getElementById("ack-by");
  by.value = m.name;
  by.readOnly = true;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(scheme + "//" + location.host + "/api/v1/live");
  socket.onopen = () => { retryMs = 1000; lastMessageAt = Date.now(); };
  socket.onmessage = onMessage;
  socket.onclose = async () => {
    if (me && me.access === "login" && (await whoAmI()) === null) {
      showLogin();  // the session ended (idle, signed out elsewhere, removed): sign in again
      return;
    }
    showBanner("The wallboard server is not answering; reconnecting. Levels shown may be out of date.");
    document.getElementById("feed-state").textContent = "Disconnected";
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10000);
  };
}

// Every few seconds: the "last reported" times move on, and a silent socket is noticed.
setInterval(() => {
  for (const td of document.querySelectorAll("tr.site td.reported")) {
    const node = board.byId.get(td.parentElement.dataset.node);
    if (node) td.textContent = minutesAgo((node.result || {}).as_at);
  }
  const clock = document.getElementById("clock");
  clock.textContent = new Date().toLocaleTimeString("en-GB", { timeZone: "Europe/London" });
  if (socket && socket.readyState === WebSocket.OPEN && Date.now() - lastMessageAt > watchdogMs) {
    showBanner("No news from the wallboard server for " + Math.round(watchdogMs / 1000) +
               " s; reconnecting.");
    socket.close();
  }
}, 5000);

// Kiosk: larger text, and each locality in turn is brought into view.
if (kiosk) {
  document.body.classList.add("kiosk");
  let turn = 0;
  setInterval(() => {
    const localities = board.nodes.filter((n) => n.kind === "locality");
    if (!localities.length) return;
    const node = localities[turn++ % localities.length];
    for (const tr of document.querySelectorAll("tr.focus")) tr.classList.remove("focus");
    const tr = document.getElementById("node-" + node.id);
    if (tr) {
      tr.classList.add("focus");
      tr.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  }, 15000);
}

// Signed in (or no logins here): the live board; else the login form.
async function start() {
  const m = await whoAmI();
  if (m === null) {
    showLogin();
    return;
  }
  if (m) applyMe(m);
  connect();
}
start();
