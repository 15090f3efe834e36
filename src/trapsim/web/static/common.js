// trapsim explore: helpers shared by the three pages. Every text reaches the page through
// textContent or an SVG text node, never innerHTML, so nothing a client sends is ever markup.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function pct(x) {
  if (x === null || x === undefined) return "–";
  const p = 100 * x;
  if (p === 0) return "0%";
  if (p < 0.01) return "<0.01%";
  if (p < 1) return p.toFixed(2) + "%";
  return p.toFixed(1) + "%";
}

function fmt(x) {
  if (!isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

async function postJSON(path, body) {
  const r = await fetch(path, {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify(body || {}), credentials: "same-origin",
  });
  let doc = null;
  try { doc = await r.json(); } catch (e) { doc = {error: "the server answered " + r.status}; }
  return {ok: r.ok, status: r.status, doc};
}

async function getJSON(path) {
  const r = await fetch(path, {credentials: "same-origin"});
  return {ok: r.ok, status: r.status, doc: await r.json()};
}

function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
