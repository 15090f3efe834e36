// trapsim poll, the presenter page: redrawn from server-sent events as judgements arrive.
"use strict";

window.__trapsim = {summaries: 0, last: null, ready: false};
let closed = false;

function strip(t, i, xmax) {
  const W = 1100, H = 64, L = 250, R = 20, s = svg("svg", {width: "100%", viewBox: `0 0 ${W} ${H}`, "data-trap": t.id});
  const X = v => L + (W - L - R) * v / xmax, mid = H / 2;
  s.append(svg("text", {x: 0, y: mid - 4, "font-size": 16, "font-weight": 600}, t.title));
  s.append(svg("line", {x1: L, x2: W - R, y1: H - 8, y2: H - 8, stroke: "#ccc"}));
  for (let k = 0; k <= 4; k++) s.append(svg("text", {x: X(xmax * k / 4), y: H, "font-size": 11, "text-anchor": "middle", fill: "#777"}, pct(xmax * k / 4)));
  if (t.pooled && t.pooled.rate !== null) {
    s.append(svg("rect", {x: X(t.pooled.ci95[0]), y: mid - 18, width: Math.max(1, X(t.pooled.ci95[1]) - X(t.pooled.ci95[0])), height: 36, fill: "#222", opacity: 0.15}));
    s.append(svg("line", {x1: X(t.pooled.rate), x2: X(t.pooled.rate), y1: mid - 20, y2: mid + 20, stroke: "#222", "stroke-width": 4, "data-pooled": t.pooled.rate}));
  }
  if (t.prior.rate !== null)
    s.append(svg("line", {x1: X(t.prior.rate), x2: X(t.prior.rate), y1: mid - 20, y2: mid + 20, stroke: "#555", "stroke-width": 2, "stroke-dasharray": "5 4"}));
  t.students.forEach((r, k) => {
    if (r === null) return;  // a conditional trap whose `given` never held under this student's priors
    const jitter = ((k * 7919) % 23 - 11) * 1.3;  // fixed per student: dots do not jump on redraw
    s.append(svg("circle", {cx: X(r), cy: mid + jitter, r: 6, fill: PALETTE[i % PALETTE.length], opacity: 0.75, stroke: "#fff", class: "student-dot"}));
  });
  const rate = e => e.rate === null ? "n/a" : pct(e.rate) + (e.given ? ` of ${e.given.count.toLocaleString()}` : "");
  const label = (t.pooled ? `pooled ${rate(t.pooled)} · ` : "") + `scenario ${rate(t.prior)}` +
    (t.given ? ` · among draws where ${t.given}` : "");
  s.append(svg("text", {x: 0, y: mid + 16, "font-size": 13, fill: "#555"}, label));
  return s;
}

function curves(p) {
  const W = 420, H = 170, B = 22, s = svg("svg", {width: W, height: H, viewBox: `0 0 ${W} ${H}`, "data-param": p.name});
  const x0 = p.x[0], x1 = p.x[p.x.length - 1];
  const ymax = Math.max(1e-12, ...p.prior, ...p.pooled, ...p.students.flat()) * 1.05;
  const X = v => 14 + (W - 32) * (v - x0) / (x1 - x0), Y = v => H - B - (H - B - 24) * v / ymax;
  const path = ys => ys.map((y, k) => `${k ? "L" : "M"}${X(p.x[k]).toFixed(1)},${Y(Math.min(y, ymax)).toFixed(1)}`).join("");
  s.append(svg("text", {x: 10, y: 16, "font-size": 15, "font-weight": 600}, p.label + (p.unit ? ` (${p.unit})` : "")));
  for (const ys of p.students) s.append(svg("path", {d: path(ys), fill: "none", stroke: "#56B4E9", "stroke-width": 1, opacity: 0.5}));
  if (p.pooled.length) s.append(svg("path", {d: path(p.pooled), fill: "none", stroke: "#0072B2", "stroke-width": 3.5}));
  s.append(svg("path", {d: path(p.prior), fill: "none", stroke: "#555", "stroke-width": 2, "stroke-dasharray": "5 4"}));
  s.append(svg("line", {x1: 10, x2: W - 10, y1: H - B, y2: H - B, stroke: "#ccc"}));
  for (const v of [x0, (x0 + x1) / 2, x1]) s.append(svg("text", {x: X(v), y: H - 4, "font-size": 11, "text-anchor": "middle", fill: "#777"}, fmt(v)));
  return s;
}

function render(sum) {
  if (!sum.traps) return;
  document.getElementById("title").textContent = sum.title;
  document.getElementById("count").textContent = `${sum.students} of ${sum.joined} students answered` + (sum.closed ? " · poll closed" : "");
  const traps = document.getElementById("traps");
  clear(traps);
  const all = sum.traps.flatMap(t => [t.prior.rate, ...t.students, ...(t.pooled && t.pooled.ci95 ? [t.pooled.ci95[1]] : [])])
    .filter(v => v !== null);
  const xmax = Math.min(1, Math.max(0.05, ...all) * 1.1);
  sum.traps.forEach((t, i) => traps.append(el("div", {}, strip(t, i, xmax))));
  const params = document.getElementById("params");
  clear(params);
  for (const p of sum.parameters) params.append(curves(p));
  document.getElementById("command").textContent = sum.command;
  closed = sum.closed;
  document.getElementById("close").textContent = closed ? "Reopen the poll" : "Close the poll";
  if (sum.error) document.getElementById("status").textContent = sum.error;
}

async function action(path, body) {
  const status = document.getElementById("status");
  const r = await postJSON(path, body);
  status.textContent = r.ok ? (r.doc.written ? "wrote " + r.doc.written.join(", ") : "done") : r.doc.error;
  status.className = r.ok ? "status" : "status error";
}

async function start() {
  const info = await getJSON("/api/classroom/info");
  if (!info.ok) { document.getElementById("status").textContent = info.doc.error; return; }
  document.getElementById("join-url").textContent = info.doc.join_url;
  document.getElementById("code").textContent = info.doc.code;
  if (info.doc.qr) {
    const qr = document.getElementById("qr");
    qr.src = "/api/classroom/qr.svg";
    qr.hidden = false;
  }
  const events = new EventSource("/api/classroom/events");
  events.addEventListener("summary", e => {
    const sum = JSON.parse(e.data);
    render(sum);
    window.__trapsim.summaries += 1;
    window.__trapsim.last = sum;
  });
  document.getElementById("close").addEventListener("click", () => action("/api/classroom/close", {closed: !closed}));
  document.getElementById("export").addEventListener("click", () => action("/api/classroom/export", {}));
  document.getElementById("reset").addEventListener("click", () => {
    if (confirm("Delete every judgement of this poll?")) action("/api/classroom/reset", {});
  });
  window.__trapsim.ready = true;
}

document.addEventListener("DOMContentLoaded", start);
