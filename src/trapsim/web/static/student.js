// trapsim poll, the student page: three values per asked parameter, checked here at once and
// again (with the fit) by the server; "received" only once the server has stored them.
"use strict";

const code = decodeURIComponent(location.pathname.split("/").pop() || "");
const KEY = "trapsim-poll-" + code;
let me = JSON.parse(localStorage.getItem(KEY) || "null");  // {student, secret, revision}
let questions = [];

function save() { localStorage.setItem(KEY, JSON.stringify(me)); }

function problemOf(q, vals, complete) {
  const [a, b, c] = vals, words = ["lowest", "best guess", "highest"];
  if (isFinite(a) && isFinite(b) && !(a < b)) return "the lowest value must be below the best guess";
  if (isFinite(b) && isFinite(c) && !(b < c)) return "the best guess must be below the highest value";
  if (isFinite(a) && isFinite(c) && !(a < c)) return "the lowest value must be below the highest value";
  if (q.low !== null && isFinite(a) && !(a > q.low)) return `the lowest value must be above ${fmt(q.low)}`;
  if (q.high !== null && isFinite(c) && !(c < q.high)) return `the highest value must be below ${fmt(q.high)}`;
  if (complete) for (let i = 0; i < 3; i++) if (!isFinite(vals[i])) return `give the ${words[i]} value as a number`;
  return "";
}

function values(q) {
  return [0, 1, 2].map(i => {
    const raw = document.getElementById(`${q.name}-${i}`).value.trim();
    return raw === "" ? NaN : Number(raw);
  });
}

function check(q, complete) {
  const msg = problemOf(q, values(q), complete);
  document.getElementById(`${q.name}-problem`).textContent = msg;
  return msg === "";
}

const WORDS = {plausible: ["lowest plausible", "best guess", "highest plausible"],
               quartiles: ["first quartile", "median", "third quartile"]};

function relabel() {
  const kind = document.querySelector("input[name=kind]:checked").value;
  for (const span of document.querySelectorAll(".qlabel")) span.textContent = WORDS[kind][Number(span.dataset.i)];
}

function question(q) {
  const range = q.low !== null && q.high !== null ? ` Values between ${fmt(q.low)} and ${fmt(q.high)}.`
    : q.low !== null ? ` Values above ${fmt(q.low)}.` : q.high !== null ? ` Values below ${fmt(q.high)}.` : "";
  const inputs = WORDS.plausible.map((label, i) =>
    el("label", {}, el("span", {class: "qlabel", "data-i": i, text: label}), el("input", {id: `${q.name}-${i}`, type: "text", inputmode: "decimal", autocomplete: "off",
                                        "aria-label": `${q.label}: ${label}`})));
  const box = el("fieldset", {class: "question", "data-question": q.name},
    el("legend", {}, el("b", {text: q.label}), q.unit ? ` (${q.unit})` : ""),
    q.comment ? el("div", {class: "hint", text: q.comment}) : null,
    el("div", {class: "hint", text: `The scenario assumes ${q.prior}.${range}`}),
    el("div", {class: "three"}, ...inputs),
    el("div", {class: "problem", id: `${q.name}-problem`}));
  box.addEventListener("input", () => check(q, false));
  return box;
}

async function send() {
  const status = document.getElementById("status");
  const ok = questions.map(q => check(q, true)).every(Boolean);
  if (!ok) { status.textContent = "Please fix the answers marked in red."; status.className = "status error"; return; }
  status.textContent = "sending…";
  status.className = "status";
  if (!me) {
    const r = await postJSON("/api/classroom/join", {code});
    if (!r.ok) { status.textContent = r.doc.error; status.className = "status error"; return; }
    me = {student: r.doc.student, secret: r.doc.secret, revision: 0};
    save();
  }
  const judgements = {};
  const kind = document.querySelector("input[name=kind]:checked").value;
  for (const q of questions) judgements[q.name] = {kind, values: values(q)};
  const revision = me.revision + 1;
  let r = await postJSON("/api/classroom/submit", {code, student: me.student, secret: me.secret, revision, judgements});
  if (r.status === 409 && r.doc.revision !== undefined) {  // another tab of this browser sent a newer one
    me.revision = r.doc.revision; save();
    r = await postJSON("/api/classroom/submit", {code, student: me.student, secret: me.secret,
                                                 revision: me.revision + 1, judgements});
  }
  if (!r.ok) {
    for (const [name, msg] of Object.entries(r.doc.problems || {}))
      document.getElementById(`${name}-problem`).textContent = msg;
    status.textContent = r.doc.error;
    status.className = "status error";
    return;
  }
  me.revision = r.doc.revision;
  save();
  status.textContent = `Received (revision ${r.doc.revision}). You can change your answers and send again.`;
  status.className = "status received";
}

async function start() {
  const r = await postJSON("/api/classroom/questions", {code});
  if (!r.ok) { document.getElementById("status").textContent = r.doc.error; return; }
  document.getElementById("title").textContent = r.doc.title;
  questions = r.doc.questions;
  const form = document.getElementById("form");
  for (const q of questions) form.append(question(q));
  if (me) {
    const mine = await postJSON("/api/classroom/mine", {code, student: me.student, secret: me.secret});
    if (mine.ok) {
      me.revision = mine.doc.revision; save();
      for (const [name, j] of Object.entries(mine.doc.judgements)) {
        j.values.forEach((v, i) => { const e = document.getElementById(`${name}-${i}`); if (e) e.value = v; });
        const radio = document.querySelector(`input[name=kind][value=${j.kind}]`);
        if (radio) radio.checked = true;
      }
    } else { me = null; localStorage.removeItem(KEY); }
  }
  document.getElementById("send").addEventListener("click", send);
  for (const radio of document.querySelectorAll("input[name=kind]")) radio.addEventListener("change", relabel);
  relabel();
  if (r.doc.closed) document.getElementById("status").textContent = "The poll is closed.";
  window.__trapsim = {ready: true};
}

document.addEventListener("DOMContentLoaded", start);
