"""The classroom poll: students' judgements in, each trap's rate under every student's priors out.

A background thread recomputes the presenter's summary whenever the poll
changes (each student's run is cached by revision), and wakes the
server-sent-event streams of the presenter's page.
"""

from __future__ import annotations

import hmac
import math
import threading
from pathlib import Path
from typing import Any

from trapsim import api
from trapsim.api import Scenario
from trapsim.web.server import WebError, number, only_keys, whole
from trapsim.web.store import Stale, Store

__all__ = ["MAX_STUDENTS", "Poll"]

MAX_STUDENTS = 400
MAX_REVISION = 1_000_000
_CURVE_POINTS = 121


class Poll:
    """One classroom poll of one scenario, stored in ``store``."""

    def __init__(
        self,
        scenario: Scenario,
        path: str,
        store: Store,
        *,
        draws: int = 20_000,
        student_draws: int = 5_000,
        seed: int | None = None,
    ) -> None:
        if not scenario.classroom.ask:
            raise api.ScenarioError.single(
                scenario.path,
                "classroom",
                "the scenario has no [classroom] table naming the parameters to ask (see docs/scenario-format.md)",
            )
        self.scenario = scenario
        self.path = path
        self.store = store
        self.draws = draws
        self.student_draws = student_draws
        self.seed = seed if seed is not None else (scenario.simulation.seed or 1)
        self.asked = {name: scenario.parameter(name) for name in scenario.classroom.ask}
        self._changed = threading.Condition()
        self._version = 1  # bumped by every change of the poll
        self._summary: dict[str, Any] = {}
        self._summary_version = 0
        self._cache: dict[tuple[int, int], dict[str, float | None]] = {}
        self._stop = threading.Event()
        self._done = 0  # the version the last summary was computed for
        self._prior_doc = api.simulate(scenario, draws=draws, seed=self.seed).to_dict()
        self._thread = threading.Thread(target=self._work, name="trapsim-poll", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ students

    def check_code(self, code: Any) -> None:
        if not isinstance(code, str) or not hmac.compare_digest(code.upper()[:16], self.store.join_code):
            raise WebError(403, "wrong join code")

    def describe(self) -> dict[str, Any]:
        """The student page's questions: label, unit, prior (as a hint) and the allowed range."""
        out = []
        for name, p in self.asked.items():
            sup = api.judgement_support(self.scenario, name)
            out.append(
                {
                    "name": name,
                    "label": self.scenario.label_of("parameter", name),
                    "unit": self.scenario.unit_of(name),
                    "comment": _hint(name, p.comment),
                    "prior": p.dist.describe(),
                    "family": sup.family,
                    "low": sup.low if math.isfinite(sup.low) else None,
                    "high": sup.high if math.isfinite(sup.high) else None,
                }
            )
        return {
            "title": self.scenario.title,
            "questions": out,
            "kinds": {k: list(v) for k, v in api.KINDS.items()},
            "closed": self.store.closed,
        }

    def questions(self, doc: dict[str, Any]) -> dict[str, Any]:
        only_keys(doc, ("code",))
        self.check_code(doc.get("code"))
        return self.describe()

    def join(self, doc: dict[str, Any]) -> dict[str, Any]:
        only_keys(doc, ("code",))
        self.check_code(doc.get("code"))
        if self.store.student_count() >= MAX_STUDENTS:
            raise WebError(403, f"the poll is full ({MAX_STUDENTS} students)")
        sid, secret, n = self.store.new_student()
        return {"student": sid, "secret": secret, "number": n}

    def _owner(self, doc: dict[str, Any]) -> str:
        self.check_code(doc.get("code"))
        sid, secret = doc.get("student"), doc.get("secret")
        if (
            not isinstance(sid, str)
            or not isinstance(secret, str)
            or len(sid) > 64
            or len(secret) > 64
            or not self.store.owner(sid, secret)
        ):
            raise WebError(403, "unknown student or wrong secret")
        return sid

    def mine(self, doc: dict[str, Any]) -> dict[str, Any]:
        only_keys(doc, ("code", "student", "secret"))
        rev, rows = self.store.student_judgements(self._owner(doc))
        return {"revision": rev, "judgements": {p: {"kind": k, "values": list(v)} for p, (k, v) in rows.items()}}

    def submit(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Check, fit and store one student's judgements; answered only once committed."""
        only_keys(doc, ("code", "student", "secret", "revision", "judgements"))
        sid = self._owner(doc)
        if self.store.closed:
            raise WebError(403, "the poll is closed")
        revision = whole(doc.get("revision"), "revision", low=1, high=MAX_REVISION)
        given = doc.get("judgements")
        if not isinstance(given, dict):
            raise WebError(400, "judgements: expected an object {parameter: {kind, values}}")
        only_keys(given, tuple(self.asked), "judgements")
        parsed, problems, fitted = {}, {}, {}
        for name in self.asked:
            try:
                kind, values = _judgement(given.get(name), name)
                fitted[name] = api.fit_judgement(self.scenario, api.Judgement(sid, name, kind, values)).describe()
                parsed[name] = (kind, values)
            except WebError as exc:
                problems[name] = exc.message
            except api.ScenarioError as exc:
                problems[name] = exc.problems[0].message
        if problems:
            first = next(iter(problems.items()))
            raise WebError(400, f"{first[0]}: {first[1]}", {"problems": problems})
        try:
            stored = self.store.submit(sid, revision, parsed)
        except Stale as exc:
            raise WebError(
                409, f"revision {revision} is older than the stored revision {exc.stored}", {"revision": exc.stored}
            ) from None
        if stored:
            self._bump()
        return {"received": True, "revision": revision, "fitted": fitted}

    # ------------------------------------------------------------ presenter

    def set_closed(self, closed: bool) -> dict[str, Any]:
        self.store.set_closed(closed)
        self._bump()
        return {"closed": closed}

    def reset(self) -> dict[str, Any]:
        self.store.reset()
        self._cache.clear()
        self._bump()
        return {"reset": True}

    def judgements(self) -> list[Any]:
        """Complete judgements per student: ``[(number, revision, [Judgement ...])]``."""
        by: dict[int, tuple[int, list[Any]]] = {}
        for n, name, kind, values, rev in self.store.judgements():
            if name in self.asked:
                by.setdefault(n, (rev, []))[1].append(api.Judgement(f"s{n}", name, kind, values))
        return [(n, rev, js) for n, (rev, js) in sorted(by.items()) if len(js) == len(self.asked)]

    def wait(self, after: int, timeout: float) -> tuple[int, dict[str, Any]]:
        """The summary once its version is above ``after`` (or the current one after ``timeout``)."""
        with self._changed:
            self._changed.wait_for(lambda: self._summary_version > after or self._stop.is_set(), timeout)
            return self._summary_version, self._summary

    def stop(self) -> None:
        self._stop.set()
        self._bump()
        self._thread.join(timeout=10)

    def _bump(self) -> None:
        with self._changed:
            self._version += 1
            self._changed.notify_all()

    def _work(self) -> None:
        self._done = 0
        while not self._stop.is_set():
            with self._changed:
                self._changed.wait_for(self._pending)
                version = self._version
            if self._stop.is_set():
                return
            self._stop.wait(0.25)  # let a burst of submissions land first: one summary for all of them
            with self._changed:
                version = self._version
            try:
                summary = self.summarise()
            except Exception as exc:  # keep the poll alive; the presenter sees what went wrong
                summary = {**self._summary, "error": f"{type(exc).__name__}: {exc}"}
            with self._changed:
                self._summary, self._summary_version = summary, self._summary_version + 1
                self._changed.notify_all()
            self._done = version

    def _pending(self) -> bool:
        return self._version != self._done or self._stop.is_set()

    # ------------------------------------------------------------ the summary

    def _rates(self, scenario: Scenario, draws: int) -> Any:
        return api.simulate(scenario, draws=draws, seed=self.seed)

    def summarise(self) -> dict[str, Any]:
        """Per trap the rate under each student's priors, the pool's and the scenario's own; curves."""
        sc = self.scenario
        rows = self.judgements()
        students: list[dict[str, float | None]] = []
        for n, rev, js in rows:
            key = (n, rev)
            if key not in self._cache:
                doc = self._rates(api.with_pooled_priors(sc, js), self.student_draws).to_dict()
                self._cache[key] = {t: entry["rate"] for t, entry in doc["traps"].items()}
            students.append(self._cache[key])
        pooled = None
        if rows:
            pooled = self._rates(api.with_pooled_priors(sc, [j for _, _, js in rows for j in js]), self.draws).to_dict()
        prior = self._prior_doc
        traps = []
        for t in sc.traps:
            given = getattr(t, "given", None)  # a conditional trap: its rate counts among the draws where it holds
            traps.append(
                {
                    "id": t.id,
                    "title": sc.label_of("trap", t.id),
                    "given": None if given is None else (getattr(t, "given_label", "") or given.source),
                    "prior": prior["traps"][t.id],
                    "pooled": None if pooled is None else pooled["traps"][t.id],
                    "students": [s[t.id] for s in students],
                }
            )
        return {
            "title": sc.title,
            "students": len(rows),
            "joined": self.store.student_count(),
            "closed": self.store.closed,
            "draws": self.draws,
            "student_draws": self.student_draws,
            "seed": self.seed,
            "traps": traps,
            "parameters": self._curves(rows),
            "command": f"trapsim run {self.path} --priors judgements.csv --draws {self.draws} --seed {self.seed}",
        }

    def _curves(self, rows: list[Any]) -> list[dict[str, Any]]:
        out = []
        for name, p in self.asked.items():
            fits = [api.fit_judgement(self.scenario, j) for _, _, js in rows for j in js if j.parameter == name]
            lo, _, hi = api.parameter_ranges(self.scenario).get(name, (math.nan, 0.0, math.nan))
            sup = api.judgement_support(self.scenario, name)
            values = [v for _, _, js in rows for j in js if j.parameter == name for v in j.values]
            cands = [v for v in (lo, hi, *values) if math.isfinite(v)]
            a, b = (min(cands), max(cands)) if cands else (0.0, 1.0)
            pad = 0.1 * (b - a or 1.0)
            a, b = max(a - pad, sup.low), min(b + pad, sup.high)
            grid = [a + (b - a) * i / (_CURVE_POINTS - 1) for i in range(_CURVE_POINTS)]
            students = [api.prior_density(d, grid) for d in fits]
            pooled = [sum(col) / len(students) for col in zip(*students, strict=True)] if students else []
            out.append(
                {
                    "name": name,
                    "label": self.scenario.label_of("parameter", name),
                    "unit": self.scenario.unit_of(name),
                    "x": grid,
                    "prior": api.prior_density(p.dist, grid),
                    "pooled": pooled,
                    "students": students,
                }
            )
        return out

    def export(self, directory: str | Path) -> list[str]:
        """Write ``judgements.csv`` and the two figures as PNG into ``directory``."""
        from trapsim import figures

        directory = Path(directory)
        rows = [(j, api.fit_judgement(self.scenario, j)) for _, _, js in self.judgements() for j in js]
        written = [api.write_text_atomic(directory / "judgements.csv", api.judgements_csv(rows))]
        summary = self.summarise()
        for slug, fig in (
            ("poll_traps", figures.plot_poll_traps(summary)),
            ("poll_priors", figures.plot_poll_priors(summary)),
        ):
            written.append(figures.save(fig, directory / f"{slug}.png"))
        return [str(p) for p in written]


def _hint(name: str, comment: str) -> str:
    """The first sentence of a parameter's comment, without a leading ``name:``."""
    text = comment.removeprefix(f"{name}:").strip()
    cut = text.find(". ")
    text = text[: cut + 1] if cut >= 0 else text
    return text if len(text) <= 200 else text[:197] + "..."


def _judgement(value: Any, name: str) -> tuple[str, tuple[float, float, float]]:
    if not isinstance(value, dict):
        raise WebError(400, 'expected {"kind": ..., "values": [low, mid, high]}')
    only_keys(value, ("kind", "values"), name)
    kind = value.get("kind", "plausible")
    if kind not in api.KINDS:
        raise WebError(400, f"kind: expected one of {', '.join(api.KINDS)}")
    vals = value.get("values")
    if not isinstance(vals, list) or len(vals) != 3:
        raise WebError(400, "expected three values: lowest, best guess, highest")
    a, b, c = (
        number(v, w, low=-1e12, high=1e12) for v, w in zip(vals, ("lowest", "best guess", "highest"), strict=True)
    )
    return kind, (a, b, c)
