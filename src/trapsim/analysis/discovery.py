"""Scenario discovery: where in parameter space does a trap spring?

Draws parameter vectors from their distributions (the same draws as
``trapsim run`` with the same seed), computes each draw's exact probability
that the trap fires (:mod:`trapsim.analysis.probability`), and runs PRIM
(:mod:`trapsim.analysis.prim`) to find a few boxes where that probability is
high. The outcome PRIM sees is

* by default the probability itself, so a box's *density* is the share of
  draws inside it in which the trap fires and its *coverage* the share of all
  firings that happen inside it;
* with ``threshold``, the indicator ``P(trap | draw) >= threshold``: density is
  then the share of draws in the box where the trap is that likely.

A second, independent sample of the same size checks every box out of sample
(``test`` statistics): PRIM picks its limits on the first sample, so its
density there is a little optimistic.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trapsim.analysis.cart import cart
from trapsim.analysis.prim import Peel, PrimBox, box_stats, in_box, prim, restricted
from trapsim.analysis.probability import check_traps, sample_probabilities
from trapsim.errors import ScenarioError
from trapsim.model import Distribution, Scenario
from trapsim.output import short_repr
from trapsim.runner.result import json_meta
from trapsim.sampling import ppf

__all__ = ["DEFAULT_DRAWS", "Discovery", "FoundBox", "discover", "number", "share"]

#: Draws used to find the boxes (as many again check them).
DEFAULT_DRAWS = 20_000
_DISCRETE = ("bernoulli", "choice")


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


def _support(dist: Distribution, values: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """The parameter's range: for membership (may be infinite) and for display (finite)."""
    if dist.kind in _DISCRETE:
        lo, hi = (0.0, 1.0) if dist.kind == "bernoulli" else (min(dist.args["values"]), max(dist.args["values"]))
        return (float(lo), float(hi)), (float(lo), float(hi))
    with np.errstate(all="ignore"):
        lo, hi = (float(v) for v in ppf(dist, np.array([0.0, 1.0])))
    member = (lo if np.isfinite(lo) else -math.inf, hi if np.isfinite(hi) else math.inf)
    shown = (
        lo if np.isfinite(lo) else float(values.min()),
        hi if np.isfinite(hi) else float(values.max()),
    )
    return member, shown


def number(value: float, span: float) -> str:
    """``value`` with three significant digits of ``span`` (a parameter's range)."""
    decimals = max(0, 2 - math.floor(math.log10(span))) if span > 0 else 3
    return f"{value:.{decimals}f}"


def share(x: float) -> str:
    """A share in words' precision: ``81%``, ``4.8%``, ``0.25%``."""
    if x >= 0.095 or x == 0:
        return f"{x:.0%}"
    return f"{x:.1%}" if x >= 0.0095 else f"{x:.2%}"


def _condition(name: str, lo: float, hi: float, member: tuple[float, float], discrete: bool, span: float) -> str:
    """``x > 0.62``, ``0.2 < x < 0.5``; for discrete parameters ``x >= 1``, ``x = 0.05``."""
    low_cut, high_cut = lo > member[0], hi < member[1]
    a, b = number(lo, span), number(hi, span)
    lt, gt = ("<=", ">=") if discrete else ("<", ">")
    if discrete and lo == hi:
        return f"{name} = {a}"
    if low_cut and high_cut:
        return f"{a} {lt} {name} {lt} {b}"
    return f"{name} {gt} {a}" if low_cut else f"{name} {lt} {b}"


def _stats(y: np.ndarray, inside: np.ndarray, total: float) -> dict[str, float]:
    mass, density, coverage = box_stats(y, inside, len(y), total)
    return {"density": density, "coverage": coverage, "mass": mass}


def discover(
    scenario: Scenario,
    trap: str,
    *,
    seed: int,
    threshold: float | None = None,
    draws: int = DEFAULT_DRAWS,
    solver: str = "spe",
    rationality: float = 10.0,
    max_boxes: int = 2,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
    method: str = "prim",
    max_depth: int = 3,
    progress: Callable[[int], None] | None = None,
) -> Discovery:
    """Find the few boxes of parameter space where ``trap`` is likely (PRIM, or CART).

    Parameters
    ----------
    threshold
        ``None``: PRIM's outcome is the probability that the trap fires in the
        draw. A number in (0, 1]: the outcome is ``probability >= threshold``.
    draws
        Draws used to find the boxes; as many again (independent) test them.
    max_boxes
        Boxes to find by covering (each next one on the draws outside the
        earlier ones). The first box must have a density above the overall
        rate, a further box twice the overall rate, both on the draws used to
        find it and on fresh draws; a further box must also hold at least 5%
        of all firings.
    alpha, min_mass, min_coverage
        PRIM's peeling share, the smallest box (share of draws), and the
        coverage the chosen box must keep (see :mod:`trapsim.analysis.prim`).
    method
        ``"prim"``, or ``"cart"``: the leaves of a regression tree of depth
        ``max_depth`` with at least ``min_mass`` of the draws each, best first
        (see :mod:`trapsim.analysis.cart`); the same rules decide which are kept.
    progress
        Called with the number of draws evaluated after each chunk.
    """
    start = time.perf_counter()
    check_traps(scenario, [trap])
    checks = [
        (
            "threshold",
            threshold,
            threshold is None or 0 < threshold <= 1,
            "a probability in (0, 1]",
        ),
        ("draws", draws, draws >= 100, "a whole number >= 100"),
        ("boxes", max_boxes, max_boxes >= 1, "a whole number >= 1"),
        ("alpha", alpha, 0 < alpha < 0.5, "a share in (0, 0.5)"),
        ("min_mass", min_mass, 0 < min_mass < 1, "a share in (0, 1)"),
        ("min_coverage", min_coverage, 0 <= min_coverage <= 1, "a share in [0, 1]"),
        ("method", method, method in ("prim", "cart"), "prim or cart"),
        ("max_depth", max_depth, max_depth >= 1, "a whole number >= 1"),
    ]
    for key, value, ok, what in checks:
        if not ok:
            raise ScenarioError.single(scenario.path, key, f"expected {what}, got {value}")
    params, probs = sample_probabilities(
        scenario,
        draws=2 * draws,
        entropy=seed,
        solver=solver,
        rationality=rationality,
        progress=progress,
    )
    names = list(params)
    if not names:
        raise ScenarioError.single(scenario.path, "parameters", "every parameter is a constant: nothing to discover")
    x_all = np.column_stack([params[k] for k in names])
    p_all = probs.fired[trap]
    keep = np.ones(len(p_all), dtype=bool)
    condition = ""
    if trap in probs.given:  # a conditional trap: P(when | given, theta) where given can hold
        g = probs.given[trap]
        keep = g > 0
        p_all = np.where(keep, p_all / np.where(keep, g, 1.0), 0.0)
        condition = scenario.trap(trap).denominator()
    y_all = p_all if threshold is None else (p_all >= threshold - 1e-12).astype(np.float64)
    first = np.arange(len(y_all)) < draws
    x, y = x_all[first & keep], y_all[first & keep]
    x_test, y_test = x_all[~first & keep], y_all[~first & keep]
    if len(y) < 2 or len(y_test) < 2:
        raise ScenarioError.single(
            scenario.path,
            f"traps.{trap}.given",
            f"the condition of {trap} ({condition}) can hold in only {int(keep.sum())} "
            "of the sampled parameter draws: nothing to discover",
        )
    dists = [scenario.parameter(k).dist for k in names]
    discrete = [d.kind in _DISCRETE for d in dists]
    supports = [_support(d, x[:, j]) for j, d in enumerate(dists)]
    member = np.array([s[0] for s in supports])
    shown = {k: s[1] for k, s in zip(names, supports, strict=True)}
    total, total_test = float(y.sum()), float(y_test.sum())
    rate = float(y.mean())
    settings: dict[str, Any] = {"method": method, "min_mass": min_mass, "max_boxes": max_boxes}
    if method == "prim":
        settings.update(alpha=alpha, min_coverage=min_coverage)
    else:
        settings.update(max_depth=max_depth)
    leaves = (
        _leaf_boxes(x, y, member, discrete, max_depth, min_mass, total)
        if method == "cart" and not _nothing_to_find(total, len(y))
        else []
    )

    boxes: list[FoundBox] = []
    raw: list[PrimBox] = []
    note = ""
    if _nothing_to_find(total, len(y)):
        what = "never" if total == 0 else "always"
        note = (
            f"{trap} {what} fires in these draws"
            if threshold is None
            else f"P(fires) >= {threshold:g} holds in {'no' if total == 0 else 'every'} draw"
        )
    taken = np.zeros(len(y), dtype=bool)
    taken_test = np.zeros(len(y_test), dtype=bool)
    while not note and len(boxes) < max_boxes:
        if method == "cart":
            if len(boxes) >= len(leaves):
                break
            found = leaves[len(boxes)]
        else:
            found = prim(
                x,
                y,
                ranges=member,
                discrete=discrete,
                alpha=alpha,
                min_mass=min_mass,
                min_coverage=min_coverage,
                exclude=taken,
            )
        stats = _stats(y, found.inside, total)
        inside_test = in_box(x_test, found.limits) & ~taken_test
        test = _stats(y_test, inside_test, total_test)
        # a box must beat the overall rate (twice, for a further box), also on fresh draws
        lift = (1.0 if not boxes else 2.0) * rate + 1e-12
        lift_ok = stats["density"] > lift and test["density"] > lift
        if not found.restricted or not lift_ok or (boxes and stats["coverage"] < 0.05):
            if not boxes:
                note = f"no region of parameter space makes {trap} more likely"
            break
        raw.append(found)
        boxes.append(
            _describe(
                trap,
                threshold,
                names,
                found,
                stats,
                test,
                member,
                shown,
                discrete,
                x,
                y,
                taken,
                first=not boxes,
            )
        )
        taken |= found.inside
        taken_test |= inside_test
    return Discovery(
        scenario=scenario,
        trap=trap,
        threshold=threshold,
        draws=draws,
        seed=seed,
        solver=solver,
        rationality=rationality,
        parameters=names,
        ranges=shown,
        rate=rate,
        boxes=boxes,
        raw=raw,
        method=method,
        settings=settings,
        note=note,
        elapsed_s=time.perf_counter() - start,
        condition=condition,
    )


def _nothing_to_find(total: float, n: int) -> bool:
    """True when the outcome never or always holds (nothing to discover)."""
    return total == 0 or total == n


def _leaf_boxes(
    x: np.ndarray,
    y: np.ndarray,
    member: np.ndarray,
    discrete: list[bool],
    max_depth: int,
    min_mass: float,
    total: float,
) -> list[PrimBox]:
    """CART's leaves, best first, as boxes; each one's "trajectory" is every leaf."""
    leaves = cart(x, y, ranges=member, discrete=discrete, max_depth=max_depth, min_leaf=min_mass)
    points = tuple(
        Peel(
            leaf.limits,
            float(leaf.inside.mean()),
            leaf.mean,
            float(y[leaf.inside].sum()) / total if total > 0 else 0.0,
            len(restricted(leaf.limits, member)),
        )
        for leaf in leaves
    )
    return [
        PrimBox(
            leaf.limits,
            restricted(leaf.limits, member),
            p.mass,
            p.density,
            p.coverage,
            leaf.inside,
            points,
            k,
        )
        for k, (leaf, p) in enumerate(zip(leaves, points, strict=True))
    ]


def _describe(
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
        conditions.append(_condition(names[j], lo, hi, tuple(member[j]), discrete[j], span))
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
