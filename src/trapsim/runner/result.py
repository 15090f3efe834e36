"""The result of a Monte Carlo run, and Wilson intervals."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trapsim._version import __version__
from trapsim.model import Scenario
from trapsim.output import html_table, json_text, pandas, short_repr
from trapsim.runner.compiling import CHUNK

_Z95 = 1.959963984540054


def wilson(count: int, n: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval for ``count`` successes in ``n`` trials."""
    if n == 0:
        return (0.0, 1.0)
    p = count / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if count == 0 else max(0.0, centre - half)  # exact ends, no rounding residue
    hi = 1.0 if count == n else min(1.0, centre + half)
    return (lo, hi)


def proportion(count: int, n: int) -> dict[str, Any]:
    """``{count, rate, ci95}`` of ``count`` in ``n``; rate and interval ``None`` when ``n`` is 0."""
    if n == 0:
        return {"count": count, "rate": None, "ci95": None}
    return {"count": count, "rate": count / n, "ci95": list(wilson(count, n))}


def trap_entry(count: int, given: int, draws: int, conditional: bool) -> dict[str, Any]:
    """``{count, rate, ci95}`` among the ``given`` draws, plus ``given`` and ``joint`` for a conditional trap."""
    doc = proportion(count, given)
    if conditional:
        doc["given"] = proportion(given, draws)
        doc["joint"] = proportion(count, draws)
    return doc


@dataclass
class Result:
    """The outcome of a Monte Carlo run (see :func:`run`)."""

    scenario: Scenario
    draws: int
    seed: int
    seed_given: bool
    solver: str
    rationality: float
    values: dict[str, float]
    #: Per trap, the draws in which it fired (``when`` and, for a conditional trap, ``given``).
    trap_counts: dict[str, int]
    outcome_counts: dict[str, int]
    payoff_mean: dict[str, float]
    payoff_sd: dict[str, float]
    tie_counts: dict[str, int]
    tie_path_counts: dict[str, int]
    tie_anywhere_count: int
    edge_counts: dict[str, list[int]]
    chunk_sizes: np.ndarray
    chunk_trap_counts: np.ndarray  # (chunks, traps)
    elapsed_s: float = 0.0
    workers: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    #: Realised payoffs of the first chunk's draws, ``(actors, min(draws, CHUNK))``, in actor
    #: order: a random sample for payoff figures (not part of the JSON output).
    payoff_sample: np.ndarray | None = None
    #: Per actor with beliefs: draws in which its misperception changed the realised outcome.
    misperception: dict[str, int] = field(default_factory=dict)
    #: Per trap, the draws in which its ``given`` holds (``draws`` for a trap without one).
    given_counts: dict[str, int] = field(default_factory=dict)
    #: Per chunk and trap, the draws in which ``given`` holds, ``(chunks, traps)``.
    chunk_given_counts: np.ndarray | None = None

    def given_count(self, trap: str) -> int:
        """The denominator of the trap's rate: draws where its ``given`` holds (all draws without one)."""
        return self.given_counts.get(trap, self.draws)

    def rate(self, trap: str) -> float | None:
        """The trap's rate among the draws where its ``given`` holds; ``None`` when it never holds."""
        n = self.given_count(trap)
        return self.trap_counts[trap] / n if n else None

    def ci95(self, trap: str) -> tuple[float, float] | None:
        """The Wilson 95% interval of :meth:`rate`; ``None`` when ``given`` never holds."""
        n = self.given_count(trap)
        return wilson(self.trap_counts[trap], n) if n else None

    def undefined_traps(self) -> list[str]:
        """Conditional traps whose ``given`` never held in this run (their rate is n/a)."""
        return [t.id for t in self.scenario.traps if self.given_count(t.id) == 0]

    def trap_dict(self, trap: str) -> dict[str, Any]:
        """A trap's JSON object: ``count``, ``rate``, ``ci95`` and, with ``given``, ``given`` and ``joint``."""
        t = self.scenario.trap(trap)
        entry = trap_entry(self.trap_counts[trap], self.given_count(trap), self.draws, t.given is not None)
        return {"title": t.title, **entry}

    def _shown(self, trap: str) -> tuple[str, str]:
        """The rate and its interval as text (``n/a`` where a conditional trap's given never held)."""
        rate, ci = self.rate(trap), self.ci95(trap)
        if rate is None or ci is None:
            return "n/a", ""
        return f"{rate:.2%}", f"[{ci[0]:.2%}, {ci[1]:.2%}]"

    def __repr__(self) -> str:
        rates = ", ".join(f"{t} {self._shown(t)[0]}" for t in self.trap_counts)
        return short_repr("Result", self.scenario.name, f"{self.draws:,} draws, seed {self.seed}, {self.solver}", rates)

    def _repr_html_(self) -> str:
        sc = self.scenario
        rows = [(t.id, t.title, *self._shown(t.id)) for t in sc.traps]
        note = f"{self.draws:,} draws · seed {self.seed} · solver {self.solver}"
        return html_table(f"{sc.title} ({sc.name})", ["trap", "title", "rate", "95% CI"], rows, note=note)

    def to_frame(self, table: str = "traps") -> Any:
        """A pandas DataFrame (pandas is the optional extra ``trapsim[pandas]``).

        ``table``: ``"traps"`` (one row per trap: count, rate, 95% interval; with conditional
        traps also ``given_count``, the draws each rate is among; NaN where that is 0),
        ``"outcomes"`` (one row per outcome) or ``"payoffs"`` (per actor: mean, sd).
        """
        pd = pandas()
        if table == "payoffs":
            rows = [{"actor": a, "mean": self.payoff_mean[a], "sd": self.payoff_sd[a]} for a in self.scenario.actor_ids]
            return pd.DataFrame(rows).set_index("actor")
        if table not in ("traps", "outcomes"):
            raise ValueError(f"table: expected 'traps', 'outcomes' or 'payoffs', got {table!r}")
        counts = self.trap_counts if table == "traps" else self.outcome_counts
        rows = []
        for key, count in counts.items():
            n = self.given_count(key) if table == "traps" else self.draws
            lo, hi = wilson(count, n) if n else (float("nan"), float("nan"))
            rate = count / n if n else float("nan")
            row = {table[:-1]: key, "count": count, "rate": rate, "ci_low": lo, "ci_high": hi}
            if table == "traps" and any(t.given is not None for t in self.scenario.traps):
                row["given_count"] = n
            rows.append(row)
        return pd.DataFrame(rows).set_index(table[:-1])

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of the format contract (plus a few extra keys)."""
        sc = self.scenario
        traps = {t.id: self.trap_dict(t.id) for t in sc.traps}
        order = {o: k for k, o in enumerate(sc.outcomes)}
        ranked = sorted(self.outcome_counts.items(), key=lambda kv: (-kv[1], order[kv[0]]))
        outcomes = {
            o: {
                "label": sc.label_of("outcome", o),
                "count": c,
                "rate": c / self.draws,
                "ci95": list(wilson(c, self.draws)),
            }
            for o, c in ranked
        }
        payoffs = {a: {"mean": self.payoff_mean[a], "sd": self.payoff_sd[a]} for a in sc.actor_ids}
        doc = run_header(
            sc, draws=self.draws, seed=self.seed, solver=self.solver, rationality=self.rationality, values=self.values
        )
        doc.update(traps=traps, outcomes=outcomes, payoffs=payoffs)
        doc["ties"] = {
            node: {
                "label": sc.label_of("node", node),
                "share": c / self.draws,
                "share_on_path": self.tie_path_counts[node] / self.draws,
            }
            for node, c in self.tie_counts.items()
        }
        doc["tie_on_path_share"] = self.tie_anywhere_count / self.draws
        if self.misperception:
            doc["misperception"] = {a: {"changed": c, "share": c / self.draws} for a, c in self.misperception.items()}
        doc["labels"] = sc.labels()
        doc["meta"] = json_meta(sc, elapsed_s=self.elapsed_s, seed_given=self.seed_given, chunk_size=CHUNK)
        doc.update(self.extra)
        return doc

    def to_json(self, indent: int | None = 2) -> str:
        return json_text(self.to_dict(), indent=indent)

    def settings_text(self, equals: str = " = ") -> str:
        """What the run fixed or replaced, for a header or a figure's footer: `` · name = value`` per
        ``--set`` value, then `` · pooled priors: name (students), ...`` for a class's priors ("" for neither)."""
        text = "".join(f" · {k}{equals}{v:g}" for k, v in self.values.items())
        pooled = pooled_priors(self.scenario)
        if pooled:
            text += " · pooled priors: " + ", ".join(f"{k} ({n} students)" for k, n in pooled.items())
        return text


def run_header(
    scenario: Scenario,
    *,
    draws: int,
    seed: int,
    solver: str,
    rationality: float,
    values: Mapping[str, float],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The keys that identify a run in every JSON document: scenario, draws, seed, solver, ...

    ``extra`` keys (e.g. a sweep's id) go right after the title.
    """
    doc: dict[str, Any] = {
        "scenario": scenario.name,
        "title": scenario.title,
        **(extra or {}),
        "draws": draws,
        "seed": seed,
        "solver": solver,
    }
    if solver == "qre":
        doc["rationality"] = rationality
    if values:
        doc["values"] = dict(values)
    pooled = pooled_priors(scenario)
    if pooled:
        doc["pooled_priors"] = pooled
    return doc


def pooled_priors(scenario: Scenario) -> dict[str, int]:
    """The parameters whose prior is a class's equal-weight pool (``trapsim run --priors``): name -> students pooled.

    A pool is a ``mixture`` distribution, which a scenario file cannot write.
    """
    return {p.name: len(p.dist.args["components"]) for p in scenario.parameters if p.dist.kind == "mixture"}


def json_meta(
    scenario: Scenario | None, *, elapsed_s: float, seed_given: bool | None = None, **extra: Any
) -> dict[str, Any]:
    """The ``meta`` block of every JSON document: version, scenario file and hash, seed source, time.

    ``scenario`` is ``None`` for a document over several scenarios (a comparison lists each one's
    file and hash itself). ``extra`` keys (a sweep's backend, the chunk size) come before ``elapsed_s``.
    """
    meta: dict[str, Any] = {"trapsim": trapsim_version()}
    if scenario is not None:
        meta.update(scenario_sha256=scenario.sha256, scenario_path=scenario.path)
    if seed_given is not None:
        meta["seed_source"] = "given" if seed_given else "entropy"
    return {**meta, **extra, "elapsed_s": round(elapsed_s, 4)}


def trapsim_version() -> str:
    """trapsim's version (written once, in :mod:`trapsim._version`; pyproject reads it too)."""
    return __version__
