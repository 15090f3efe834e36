"""The result of scenario discovery, and its boxes said in words.

:func:`trapsim.analysis.discovery.discover` finds the boxes; this module holds
what it returns (:class:`Discovery`, :class:`FoundBox`) and how a box's limits
become a sentence ("putin_trap fires in 81% of draws where x > 0.62 ...").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trapsim.analysis.prim import PrimBox, in_box
from trapsim.model import Scenario
from trapsim.output import short_repr
from trapsim.runner.result import json_meta

__all__ = ["Discovery", "FoundBox", "describe", "number", "share"]


@dataclass(frozen=True, slots=True)
class FoundBox:
    """One box, in the scenario's terms.

    Attributes
    ----------
    limits
        ``{parameter: (low, high)}`` for the restricted parameters only, most
        important first (the one whose removal would cost the most density).
    density, coverage, mass
        On the draws used to find it (excluding earlier boxes' draws).
    test
        The same three on fresh draws.
    """

    limits: dict[str, tuple[float, float]]
    density: float
    coverage: float
    mass: float
    test: dict[str, float]
    text: str
    conditions: tuple[str, ...]


@dataclass
class Discovery:
    """The boxes found for one trap, with what is needed to plot them."""

    scenario: Scenario
    trap: str
    threshold: float | None
    draws: int
    seed: int
    solver: str
    rationality: float
    parameters: list[str]
    ranges: dict[str, tuple[float, float]]
    rate: float
    boxes: list[FoundBox]
    raw: list[PrimBox] = field(repr=False)
    settings: dict[str, float] = field(default_factory=dict)
    note: str = ""
    elapsed_s: float = 0.0
    method: str = "prim"
    #: For a conditional trap: the draws analysed, in words ("draws where ..."); only parameter draws
    #: where that condition can hold are used, and the outcome is P(when | given, parameters).
    condition: str = ""

    @property
    def outcome(self) -> str:
        """What PRIM's outcome means, in words."""
        among = f" among {self.condition}" if self.condition else ""
        if self.threshold is None:
            return f"probability that the trap fires{among}"
        return f"P(fires{among}) >= {self.threshold:g}"

    def __repr__(self) -> str:
        boxes = "; ".join(b.text for b in self.boxes) or self.note
        return short_repr(
            "Discovery", f"{self.scenario.name}/{self.trap}", f"{self.method}, {self.draws:,} draws", boxes
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``trapsim discover --json``."""
        sc = self.scenario
        return {
            "trap": self.trap,
            "boxes": [
                {
                    "limits": {k: [lo, hi] for k, (lo, hi) in b.limits.items()},
                    "density": b.density,
                    "coverage": b.coverage,
                    "mass": b.mass,
                    "text": b.text,
                    "test": dict(b.test),
                }
                for b in self.boxes
            ],
            "scenario": sc.name,
            "method": self.method,
            "outcome": "probability" if self.threshold is None else "threshold",
            "threshold": self.threshold,
            "given": self.condition or None,
            "rate": self.rate,
            "draws": self.draws,
            "seed": self.seed,
            "solver": self.solver,
            "ranges": {k: list(v) for k, v in self.ranges.items()},
            "settings": dict(self.settings),
            "trajectory": [
                [
                    {
                        "density": p.density,
                        "coverage": p.coverage,
                        "mass": p.mass,
                        "restricted": p.restricted,
                    }
                    for p in r.trajectory
                ]
                for r in self.raw[: len(self.boxes)]
            ],
            "chosen": [r.chosen for r in self.raw[: len(self.boxes)]],
            "note": self.note,
            "meta": json_meta(sc, elapsed_s=self.elapsed_s),
        }


def number(value: float, span: float) -> str:
    """``value`` with three significant digits of ``span`` (a parameter's range)."""
    decimals = max(0, 2 - math.floor(math.log10(span))) if span > 0 else 3
    return f"{value:.{decimals}f}"


def share(x: float) -> str:
    """A share in words' precision: ``81%``, ``4.8%``, ``0.25%``."""
    if x >= 0.095 or x == 0:
        return f"{x:.0%}"
    return f"{x:.1%}" if x >= 0.0095 else f"{x:.2%}"


def limit_text(name: str, lo: float, hi: float, member: tuple[float, float], discrete: bool, span: float) -> str:
    """``x > 0.62``, ``0.2 < x < 0.5``; for discrete parameters ``x >= 1``, ``x = 0.05``."""
    low_cut, high_cut = lo > member[0], hi < member[1]
    a, b = number(lo, span), number(hi, span)
    lt, gt = ("<=", ">=") if discrete else ("<", ">")
    if discrete and lo == hi:
        return f"{name} = {a}"
    if low_cut and high_cut:
        return f"{a} {lt} {name} {lt} {b}"
    return f"{name} {gt} {a}" if low_cut else f"{name} {lt} {b}"


def describe(
    trap: str,
    threshold: float | None,
    names: list[str],
    found: PrimBox,
    stats: dict[str, float],
    test: dict[str, float],
    member: np.ndarray,
    shown: dict[str, tuple[float, float]],
    discrete: list[bool],
    x: np.ndarray,
    y: np.ndarray,
    taken: np.ndarray,
    *,
    first: bool,
) -> FoundBox:
    """Name the box's limits in words, most important first."""
    active = ~taken

    def density_without(j: int) -> float:
        trial = found.limits.copy()
        trial[j] = member[j]
        inside = in_box(x, trial) & active
        return float(y[inside].mean()) if inside.any() else 0.0

    order = sorted(found.restricted, key=lambda j: (density_without(j), j))
    limits = {}
    conditions = []
    for j in order:
        lo, hi = (float(v) for v in found.limits[j])
        lo_shown = lo if np.isfinite(lo) else shown[names[j]][0]
        hi_shown = hi if np.isfinite(hi) else shown[names[j]][1]
        limits[names[j]] = (lo_shown, hi_shown)
        span = shown[names[j]][1] - shown[names[j]][0]
        conditions.append(limit_text(names[j], lo, hi, tuple(member[j]), discrete[j], span))
    where = " and ".join(conditions)
    density = share(stats["density"])
    if threshold is None:
        head = f"{trap} fires in {density} of draws where {where}"
        tail = "of all firings"
    else:
        head = f"{trap} has P(fires) >= {threshold:g} in {density} of draws where {where}"
        tail = f"of all draws with P(fires) >= {threshold:g}"
    mass, coverage = share(stats["mass"]), share(stats["coverage"])
    text = f"{head} (this box holds {mass} of draws and {coverage} {tail})"
    if not first:
        text = "Elsewhere, " + text
    return FoundBox(limits, stats["density"], stats["coverage"], stats["mass"], test, text, tuple(conditions))
