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

import json
import math
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from trapsim.figures import PALETTE, save
from trapsim.figures._style import footnote, new_axes, styled
from trapsim.output import write_text_atomic
from trapsim.runner import Result, wilson

__all__ = [
    "Comparison",
    "Difference",
    "compare",
    "plot_comparison",
    "two_proportion_test",
    "write_comparison",
]

_FONT = 14


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
        return {"difference": self.difference, "ci95": list(self.ci95), "z": self.z,
                "p_value": self.p_value, "distinguishable": self.distinguishable}


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
    labels = [Path(r.scenario.path).stem if n in dup and r.scenario.path else n
              for n, r in zip(names, results, strict=True)]
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

    def rate(self, trap: str, k: int) -> float | None:
        """The rate of ``trap`` in scenario ``k`` (``None`` when absent)."""
        res = self.results[k]
        return res.rate(trap) if trap in res.trap_counts else None

    def difference(self, trap: str, k: int) -> Difference | None:
        """Scenario ``k`` against the first (``None`` if either lacks the trap, or ``k == 0``)."""
        base, res = self.results[0], self.results[k]
        if k == 0 or trap not in base.trap_counts or trap not in res.trap_counts:
            return None
        return _difference(base.trap_counts[trap], base.draws, res.trap_counts[trap], res.draws, self.alpha)

    def to_dict(self) -> dict[str, Any]:
        """The comparison's JSON document (see docs/sweeps.md)."""
        first = self.results[0]
        traps: dict[str, Any] = {}
        for t in self.traps:
            cells: dict[str, Any] = {}
            diffs: dict[str, Any] = {}
            for k, (label, res) in enumerate(zip(self.labels, self.results, strict=True)):
                if t in res.trap_counts:
                    c = res.trap_counts[t]
                    cells[label] = {"count": c, "rate": c / res.draws, "ci95": list(wilson(c, res.draws))}
                else:
                    cells[label] = None
                if k:
                    d = self.difference(t, k)
                    diffs[label] = d.to_dict() if d else None
            traps[t] = {"title": self.titles[t], "scenarios": cells, "difference_to_first": diffs}
        return {
            "scenarios": [{"label": lab, "scenario": r.scenario.name, "title": r.scenario.title,
                           "path": r.scenario.path, "scenario_sha256": r.scenario.sha256,
                           "draws": r.draws, "solver": r.solver}
                          for lab, r in zip(self.labels, self.results, strict=True)],
            "baseline": self.labels[0],
            "draws": first.draws,
            "seed": first.seed,
            "seed_source": "given" if self.seed_given else "entropy",
            "alpha": self.alpha,
            "test": "two-sided pooled two-proportion z-test against the first scenario",
            "traps": traps,
        }

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)


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


@styled
def plot_comparison(comparison: Comparison, *, ax: Axes | None = None) -> Figure:
    """Grouped bars: one group per trap, one bar per scenario, with 95% Wilson intervals.

    Absent traps are marked "absent" (no bar); a bar marked ``*`` differs from
    the first scenario's (two-proportion test at ``alpha``).
    """
    fig, ax = new_axes(ax)
    k_n = len(comparison.results)
    width = 0.8 / k_n
    top = 1.0
    # value labels turn vertical when they would not fit over their bar
    bar_inches = fig.get_figwidth() * 0.85 / max(len(comparison.traps), 1) * width
    small = _FONT - 3
    vertical = bar_inches < 6 * 0.6 * small / 72
    for k, res in enumerate(comparison.results):
        colour = PALETTE[k % len(PALETTE)]
        for g, t in enumerate(comparison.traps):
            x = g - 0.4 + width * (k + 0.5)
            rate = comparison.rate(t, k)
            if rate is None:
                ax.text(x, 0, "absent", rotation=90, ha="center", va="bottom", fontsize=_FONT - 3,
                        color="#777777")
                continue
            lo, hi = wilson(res.trap_counts[t], res.draws)
            ax.bar(x, rate * 100, width * 0.92, color=colour,
                   yerr=[[(rate - lo) * 100], [(hi - rate) * 100]], capsize=4, error_kw={"elinewidth": 1.5})
            d = comparison.difference(t, k)
            mark = "*" if d is not None and d.distinguishable else ""
            ax.annotate(f"{rate * 100:.1f}%{mark}", (x, hi * 100), xytext=(0, 4), textcoords="offset points",
                        ha="center", va="bottom", fontsize=small, rotation=90 if vertical else 0)
            top = max(top, hi * 100)
    # one legend entry per scenario, even if its first trap is absent
    handles = [Patch(color=PALETTE[k % len(PALETTE)]) for k in range(k_n)]
    ax.legend(handles, comparison.labels, fontsize=_FONT, frameon=False, loc="upper right")
    wrap = max(8, int(110 / max(len(comparison.traps), 1)))
    ax.set_xticks(range(len(comparison.traps)),
                  [textwrap.fill(comparison.titles[t], wrap) for t in comparison.traps], fontsize=_FONT)
    ax.set_ylabel("Share of draws in which the trap fires (%)", fontsize=_FONT)
    ax.set_ylim(0, top * (1.3 if vertical else 1.2) + 2)
    ax.tick_params(labelsize=_FONT)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("The same traps across scenarios", fontsize=_FONT + 4, loc="left")
    first = comparison.results[0]
    footnote(fig, f"{first.draws:,} draws per scenario · seed {first.seed} · error bars: 95% Wilson "
                  f"intervals · * differs from {comparison.labels[0]} (two-proportion z-test, "
                  f"p < {comparison.alpha:g})", size=_FONT - 3)
    return fig


def write_comparison(comparison: Comparison, out_dir: str | Path, *, fmt: str = "png",
                     figure: bool = True) -> list[Path]:
    """Write ``compare_<labels>.json`` and (with ``figure``) its figure into ``out_dir``; return the paths."""
    stem = "compare_" + "_vs_".join(comparison.labels)
    if len(stem) > 80:
        stem = f"compare_{comparison.labels[0]}_and_{len(comparison.labels) - 1}_more"
    out = Path(out_dir)
    written = [write_text_atomic(out / f"{stem}.json", comparison.to_json())]
    if figure:
        written.append(save(plot_comparison(comparison), out / f"{stem}.{fmt}"))
    return written
