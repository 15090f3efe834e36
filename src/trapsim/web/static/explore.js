// trapsim explore: the explorer page. One request at a time; while one runs, the latest
// state waits and is sent next, so dragging a slider never queues up stale runs.
"use strict";

const state = {info: null, fixed: {}, inflight: false, pending: false, started: 0};
window.__trapsim = {redraws: [], last: null, ready: false};

function options() {
  const solver = document.getElementById("solver-qre").checked ? "qre" : "spe";
  const body = {set: {...state.fixed}, draws: Number(document.getElementById("draws").value),
                seed: Number(document.getElementById("seed").value), solver};
  if (solver === "qre") body.rationality = Number(document.getElementById("rationality").value);
  return body;
}

function schedule() {
  state.started = performance.now();
  if (state.inflight) { state.pending = true; return; }
  run();
}

async function run() {
  state.inflight = true;
  state.pending = false;
  const started = state.started;
  const status = document.getElementById("status");
  status.textContent = "running…";
  const {ok, doc} = await postJSON("/api/explore", options());
  if (ok) {
    render(doc);
    const ms = performance.now() - started;
    window.__trapsim.redraws.push(ms);
    window.__trapsim.last = doc;
    status.textContent = `${doc.run.draws.toLocaleString()} draws · ${ms.toFixed(0)} ms`;
    status.className = "status";
  } else {
    status.textContent = doc.error;
    status.className = "status error";
  }
  state.inflight = false;
  if (state.pending) run();
}

function render(doc) {
  renderTraps(doc.run, doc.baseline);
  renderOutcomes(doc.run, doc.baseline);
  renderTree(doc.edges, doc.baseline_edges);
  document.getElementById("command").textContent = doc.command;
}

function rateText(r) { return r.rate === null ? "n/a" : pct(r.rate); }

function renderTraps(run, base) {
  const body = document.querySelector("#traps tbody");
  clear(body);
  for (const t of state.info.traps) {
    const r = run.traps[t.id], b = base.traps[t.id];
    const diff = r.rate === null || b.rate === null ? 0 : r.rate - b.rate;
    const cls = Math.abs(diff) < 1e-12 ? "base" : (diff > 0 ? "base up" : "base down");
    // a conditional trap: its rate counts among the draws where `given` holds; say how many
    const denom = r.given ? ` · ${r.count.toLocaleString()} of ${r.given.count.toLocaleString()} draws where ${t.given}`
                          : "";
    body.append(el("tr", {"data-trap": t.id},
      el("td", {title: t.description || ""}, el("div", {text: t.title}), el("div", {class: "status", text: t.id + denom})),
      el("td", {class: "rate", text: rateText(r)}),
      el("td", {class: "ci", text: r.ci95 ? `${pct(r.ci95[0])} – ${pct(r.ci95[1])}` : "–"}),
      el("td", {class: cls, text: rateText(b) + (b.given ? ` of ${b.given.count.toLocaleString()}` : "")})));
  }
}

function renderOutcomes(run, base) {
  const box = document.getElementById("outcomes");
  clear(box);
  const ids = Object.keys(run.outcomes).filter(o => run.outcomes[o].count > 0 || (base.outcomes[o] || {}).count > 0);
  const top = Math.max(...ids.map(o => Math.max(run.outcomes[o].rate, (base.outcomes[o] || {rate: 0}).rate)), 1e-9);
  for (const o of ids.slice(0, 12)) {
    const fill = el("div", {class: "fill"});
    fill.style.width = (100 * run.outcomes[o].rate / top) + "%";
    const tick = el("div", {class: "tick"});
    tick.style.left = (100 * (base.outcomes[o] || {rate: 0}).rate / top) + "%";
    const label = state.info.tree.outcomes[o] || o;
    box.append(el("div", {class: "bar"}, el("div", {class: "label", text: label, title: o}),
      el("div", {class: "track"}, fill, tick), el("div", {class: "num", text: pct(run.outcomes[o].rate)})));
  }
}

function treeLayout(tree) {
  // The unfolded tree (places: [id, copy name, label, parent, action index] in pre-order). Leaves top
  // to bottom in depth-first order; an inner node sits at the middle of its children.
  const P = tree.places, kids = P.map(() => []);
  P.forEach((p, i) => { if (p[3] >= 0) kids[p[3]].push(i); });
  const rows = [], edges = [];
  let leaf = 0;
  function place(i, depth) {
    const [id, name, label, , k] = P[i];
    const item = {id, name, label, depth, k, leaf: !tree.nodes[id]};
    if (item.leaf) { item.y = leaf++; rows.push(item); return item; }
    const below = kids[i].map(j => place(j, depth + 1));
    item.y = (below[0].y + below[below.length - 1].y) / 2;
    for (const kid of below) edges.push([item, kid]);
    rows.push(item);
    return item;
  }
  place(0, 0);
  return {rows, edges, leaves: leaf};
}

function renderTree(shares, base) {
  const info = state.info, box = document.getElementById("tree");
  if (!info.tree.places) { box.textContent = "(the game tree is too large to draw here)"; return; }
  const {rows, edges, leaves} = treeLayout(info.tree);
  const depth = Math.max(...rows.map(r => r.depth));
  const colW = 150, rowH = 18, left = 10, top = 12;
  const width = left + depth * colW + 170, height = top + leaves * rowH + 8;
  const s = svg("svg", {width: "100%", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "game tree"});
  s.style.maxWidth = `${Math.round(width * 1.15)}px`;  // a small tree is not blown up
  const X = r => left + r.depth * colW, Y = r => top + r.y * rowH;
  const actors = Object.keys(info.actors);
  for (const [a, b] of edges) {
    const share = (shares[a.name] || [])[b.k] || 0;
    const node = info.tree.nodes[a.id], action = node.actions[b.k];
    s.append(svg("path", {d: `M${X(a)},${Y(a)} L${X(a) + 12},${Y(b)} L${X(b)},${Y(b)}`, fill: "none",
      stroke: share > 0 ? "#0072B2" : "#ccc", "stroke-width": (0.8 + 12 * share).toFixed(2), "data-edge": `${a.name}:${action}`}));
    const was = (base[a.name] || [])[b.k] || 0;
    const text = svg("text", {x: X(a) + 16, y: Y(b) - 3}, `${node.action_labels[b.k]} ${share > 0 ? pct(share) : ""}`);
    if (Math.abs(share - was) >= 0.001)  // beside the share, the share as loaded, where it moved
      text.append(svg("tspan", {fill: "#999"}, ` (${pct(was)})`));
    s.append(text);
  }
  for (const r of rows) {
    if (r.leaf) { s.append(svg("text", {x: X(r) + 4, y: Y(r) + 4}, info.tree.outcomes[r.id] || r.id)); continue; }
    const node = info.tree.nodes[r.id];
    const color = node.actor ? PALETTE[actors.indexOf(node.actor) % PALETTE.length] : "#7F7F7F";
    const mark = node.actor ? svg("circle", {cx: X(r), cy: Y(r), r: 5, fill: color})
                            : svg("rect", {x: X(r) - 4, y: Y(r) - 4, width: 8, height: 8, fill: color});
    mark.append(svg("title", {}, `${r.label} (${node.actor ? info.actors[node.actor] : "chance"})`));
    s.append(mark);
  }
  clear(box);
  box.append(s);
}

function paramRow(p) {
  const step = p.discrete ? "any" : ((p.high - p.low) / 200 || 0.01);
  const slider = el("input", {type: "range", min: p.low, max: p.high, step, value: p.central, "data-param": p.name,
                              "aria-label": p.label});
  const value = el("span", {class: "value", text: fmt(p.central)});
  const free = el("input", {type: "checkbox", checked: "", "data-free": p.name});
  const row = el("div", {class: "param free"},
    el("div", {}, el("span", {class: "name", text: p.label}), el("span", {class: "unit", text: p.unit ? ` (${p.unit})` : ""})),
    el("div", {class: "prior", text: `${p.name} ~ ${p.prior}`, title: p.comment || ""}),
    el("div", {class: "row"}, slider, value, el("label", {}, free, " free")));
  slider.addEventListener("input", () => {
    state.fixed[p.name] = Number(slider.value);
    value.textContent = fmt(Number(slider.value));
    free.checked = false;
    row.className = "param";
    schedule();
  });
  free.addEventListener("change", () => {
    if (free.checked) { delete state.fixed[p.name]; row.className = "param free"; }
    else { state.fixed[p.name] = Number(slider.value); row.className = "param"; }
    schedule();
  });
  return row;
}

async function start() {
  const {ok, doc} = await getJSON("/api/scenario");
  if (!ok) { document.getElementById("status").textContent = doc.error; return; }
  state.info = doc;
  document.getElementById("title").textContent = doc.title;
  document.getElementById("subtitle").textContent = `${doc.name} · ${doc.path}`;
  document.title = `${doc.title}: trapsim explore`;
  document.getElementById("draws").value = doc.defaults.draws;
  document.getElementById("draws").max = doc.max_draws;
  document.getElementById("seed").value = doc.defaults.seed;
  document.getElementById("rationality").value = doc.defaults.rationality;
  document.getElementById(doc.defaults.solver === "qre" ? "solver-qre" : "solver-spe").checked = true;
  const box = document.getElementById("params");
  for (const p of doc.parameters) box.append(paramRow(p));
  for (const id of ["solver-spe", "solver-qre", "rationality", "draws", "seed"])
    document.getElementById(id).addEventListener("change", schedule);
  document.getElementById("reset").addEventListener("click", () => {
    state.fixed = {};
    for (const c of document.querySelectorAll("[data-free]")) c.checked = true;
    for (const r of document.querySelectorAll(".param")) r.className = "param free";
    schedule();
  });
  window.__trapsim.ready = true;
  schedule();
}

document.addEventListener("DOMContentLoaded", start);
