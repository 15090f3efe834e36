"""Comparing scenarios: the same traps across several scenario files.

Traps are matched by id. A trap a scenario does not define is *absent* (``None``
in Python, ``null`` in JSON), never a zero rate. Each scenario after the first
is compared with the first by the difference in rates, its 95% interval
(Newcombe's hybrid score interval, built from the two Wilson intervals) and a
two-sided two-proportion z-test.

The runs share one seed, so parameters with the same name draw the same values
in every scenario (common random numbers). The z-test treats the runs as
independent; with common random numbers the real uncertainty of a difference
is usually smaller, so the test errs on the side of "not distinguishable".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trapsim.output import html_table, json_text, pandas, short_repr
from trapsim.runner import Result, wilson
from trapsim.runner.result import json_meta

__all__ = [
    "Comparison",
    "Difference",
    "compare",
    "two_proportion_test",
]


def two_proportion_test(x0: int, n0: int, x1: int, n1: int) -> tuple[float, float]:
    """Pooled two-proportion z-test of ``x1/n1`` against ``x0/n0``: ``(z, two-sided p-value)``.

    When both samples are all-zero or all-one there is no evidence of a
    difference: ``(0.0, 1.0)``.
    """
    pooled = (x0 + x1) / (n0 + n1)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
    if se == 0:
        return 0.0, 1.0
    z = (x1 / n1 - x0 / n0) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


@dataclass(frozen=True, slots=True)
class Difference:
    """A trap's rate in one scenario minus its rate in the first."""

    difference: float
    ci95: tuple[float, float]
    z: float
    p_value: float
    distinguishable: bool

    def to_dict(self) -> dict[str, Any]:
        """The difference as plain JSON types."""
        return {
            "difference": self.difference,
            "ci95": list(self.ci95),
            "z": self.z,
            "p_value": self.p_value,
            "distinguishable": self.distinguishable,
        }


def _difference(x0: int, n0: int, x1: int, n1: int, alpha: float) -> Difference:
    p0, p1 = x0 / n0, x1 / n1
    (l0, u0), (l1, u1) = wilson(x0, n0), wilson(x1, n1)
    d = p1 - p0
    lo = d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    hi = d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    z, p = two_proportion_test(x0, n0, x1, n1)
    return Difference(d, (max(-1.0, lo), min(1.0, hi)), z, p, p < alpha)


def _labels(results: Sequence[Result]) -> list[str]:
    """Scenario names; file names where two scenarios share a name; numbered as a last resort."""
    names = [r.scenario.name for r in results]
    dup = {n for n, c in Counter(names).items() if c > 1}
    labels = [
        Path(r.scenario.path).stem if n in dup and r.scenario.path else n for n, r in zip(names, results, strict=True)
    ]
    dup = {n for n, c in Counter(labels).items() if c > 1}
    return [f"{lab}#{k + 1}" if lab in dup else lab for k, lab in enumerate(labels)]


@dataclass
class Comparison:
    """Runs of several scenarios, compared trap by trap with the first.

    ``traps`` lists every trap id in order of first appearance.
    """

    results: list[Result]
    labels: list[str]
    traps: list[str]
    titles: dict[str, str]
    alpha: float = 0.05
    seed_given: bool = True

    def __repr__(self) -> str:
        first = self.results[0]
        return short_repr(
            "Comparison",
            " vs ".join(self.labels),
            f"{len(self.traps)} traps",
            f"{first.draws:,} draws, seed {first.seed}",
        )

    def _rows(self) -> list[dict[str, Any]]:
        rows = []
        for t in self.traps:
            for k, (label, res) in enumerate(zip(self.labels, self.results, strict=True)):
                rate, d = self.rate(t, k), self.difference(t, k)
                lo, hi = res.ci95(t) or (None, None)
                rows.append(
                    {
                        "trap": t,
                        "scenario": label,
                        "rate": rate,
                        "ci_low": lo,
                        "ci_high": hi,
                        "difference": d.difference if d else None,
                        "p_value": d.p_value if d else None,
                        "distinguishable": d.distinguishable if d else None,
                    }
                )
        return rows

    def _repr_html_(self) -> str:
        def pct(x: float | None, signed: bool = False) -> str:
            return "" if x is None else (f"{x * 100:+.2f} pp" if signed else f"{x:.2%}")

        rows = [
            (
                r["trap"],
                r["scenario"],
                "absent" if r["rate"] is None else pct(r["rate"]),
                pct(r["difference"], signed=True),
                "" if r["p_value"] is None else "< 0.001" if r["p_value"] < 0.001 else f"{r['p_value']:.3f}",
            )
            for r in self._rows()
        ]
        first = self.results[0]
        note = f"{first.draws:,} draws per scenario · seed {first.seed} · baseline {self.labels[0]}"
        return html_table(
            "The same traps across scenarios", ["trap", "scenario", "rate", "vs baseline", "p"], rows, note=note
        )

    def to_frame(self) -> Any:
        """One row per trap and scenario (rate, 95% interval, difference to the first, p) as a DataFrame."""
        return pandas().DataFrame(self._rows()).set_index(["trap", "scenario"])

    def rate(self, trap: str, k: int) -> float | None:
        """The rate of ``trap`` in scenario ``k``, among the draws where its ``given`` holds.

        ``None`` when the scenario lacks the trap or its ``given`` never held.
        """
        res = self.results[k]
        return res.rate(trap) if trap in res.trap_counts else None

    def given_count(self, trap: str, k: int) -> int | None:
        """The denominator of a conditional ``trap`` in scenario ``k``: the draws where its ``given`` holds.

        ``None`` where every draw counts (the trap has no ``given`` there) or the scenario lacks the trap.
        """
        res = self.results[k]
        if trap not in res.trap_counts or res.scenario.trap(trap).given is None:
            return None
        return res.given_count(trap)

    def difference(self, trap: str, k: int) -> Difference | None:
        """Scenario ``k`` against the first, on the rates among each run's own denominator.

        ``None`` if ``k == 0``, or either scenario lacks the trap or has a rate of n/a.
        """
        base, res = self.results[0], self.results[k]
        if k == 0 or self.rate(trap, 0) is None or self.rate(trap, k) is None:
            return None
        return _difference(
            base.trap_counts[trap], base.given_count(trap), res.trap_counts[trap], res.given_count(trap), self.alpha
        )

    def to_dict(self) -> dict[str, Any]:
        """The comparison's JSON document (see docs/sweeps.md)."""
        first = self.results[0]
        traps: dict[str, Any] = {}
        for t in self.traps:
            cells: dict[str, Any] = {}
            diffs: dict[str, Any] = {}
            for k, (label, res) in enumerate(zip(self.labels, self.results, strict=True)):
                if t in res.trap_counts:
                    cells[label] = {k: v for k, v in res.trap_dict(t).items() if k != "title"}
                else:
                    cells[label] = None
                if k:
                    d = self.difference(t, k)
                    diffs[label] = d.to_dict() if d else None
            traps[t] = {"title": self.titles[t], "scenarios": cells, "difference_to_first": diffs}
        return {
            "scenarios": [
                {
                    "label": lab,
                    "scenario": r.scenario.name,
                    "title": r.scenario.title,
                    "path": r.scenario.path,
                    "scenario_sha256": r.scenario.sha256,
                    "draws": r.draws,
                    "solver": r.solver,
                    **({"rationality": r.rationality} if r.solver == "qre" else {}),
                    **({"values": dict(r.values)} if r.values else {}),
                }
                for lab, r in zip(self.labels, self.results, strict=True)
            ],
            "baseline": self.labels[0],
            "draws": first.draws,
            "seed": first.seed,
            "seed_source": "given" if self.seed_given else "entropy",
            "alpha": self.alpha,
            "test": "two-sided pooled two-proportion z-test against the first scenario",
            "traps": traps,
            "meta": json_meta(None, elapsed_s=sum(r.elapsed_s for r in self.results), seed_given=self.seed_given),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json_text(self.to_dict(), indent=indent)


def compare(results: Sequence[Result], *, alpha: float = 0.05, seed_given: bool = True) -> Comparison:
    """Line up the traps of several runs (the first is the baseline).

    Parameters
    ----------
    results
        Runs of the scenarios to compare, ideally with the same seed and draws.
    alpha
        Significance level of the "distinguishable" flag.
    """
    traps: list[str] = []
    titles: dict[str, str] = {}
    for res in results:
        for t in res.scenario.traps:
            if t.id not in titles:
                traps.append(t.id)
                titles[t.id] = t.title
    return Comparison(list(results), _labels(results), traps, titles, alpha, seed_given)
