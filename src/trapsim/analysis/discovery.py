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
from dataclasses import dataclass
from typing import Any

import numpy as np

from trapsim.analysis.boxes import Discovery, FoundBox, describe, number, share
from trapsim.analysis.cart import cart
from trapsim.analysis.memory import refuse_beyond_memory
from trapsim.analysis.prim import Peel, PrimBox, box_stats, in_box, prim, restricted
from trapsim.analysis.probability import check_traps, sample_probabilities, uncertain_parameters
from trapsim.errors import ScenarioError
from trapsim.model import Distribution, Scenario
from trapsim.sampling import ppf

__all__ = ["DEFAULT_DRAWS", "Discovery", "FoundBox", "discover", "number", "share"]

#: Draws used to find the boxes (as many again check them).
DEFAULT_DRAWS = 20_000
_DISCRETE = ("bernoulli", "choice")


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
    search = _Search(method, max_boxes, alpha, min_mass, min_coverage, max_depth)
    per_draw = 8 * (2 * len(uncertain_parameters(scenario)) + 2 * len(scenario.traps) + 4)  # values, P, given
    refuse_beyond_memory(
        "draws",
        draws,
        lambda n: n * per_draw,
        what=f"{len(uncertain_parameters(scenario))} parameters and {len(scenario.traps)} traps per draw",
        candidates=lambda n: max(1, int(float(f"{n * 0.9:.2g}"))),
    )
    _check_options(scenario, threshold, draws, search)
    sample = _sample(
        scenario,
        trap,
        threshold=threshold,
        draws=draws,
        seed=seed,
        solver=solver,
        rationality=rationality,
        progress=progress,
    )
    space = _space(scenario, sample)
    rate = float(sample.y.mean())
    settings: dict[str, Any] = {"method": method, "min_mass": min_mass, "max_boxes": max_boxes}
    if method == "prim":
        settings.update(alpha=alpha, min_coverage=min_coverage)
    else:
        settings.update(max_depth=max_depth)
    boxes, raw, note = _find_boxes(trap, threshold, sample, space, rate, search)
    return Discovery(
        scenario=scenario,
        trap=trap,
        threshold=threshold,
        draws=draws,
        seed=seed,
        solver=solver,
        rationality=rationality,
        parameters=sample.names,
        ranges=space.shown,
        rate=rate,
        boxes=boxes,
        raw=raw,
        method=method,
        settings=settings,
        note=note,
        elapsed_s=time.perf_counter() - start,
        condition=sample.condition,
    )


@dataclass(frozen=True, slots=True)
class _Search:
    """How the boxes are searched (see :func:`discover`)."""

    method: str
    max_boxes: int
    alpha: float
    min_mass: float
    min_coverage: float
    max_depth: int


def _check_options(scenario: Scenario, threshold: float | None, draws: int, search: _Search) -> None:
    """Refuse an option out of range, naming it (one problem)."""
    checks = [
        ("threshold", threshold, threshold is None or 0 < threshold <= 1, "a probability in (0, 1]"),
        ("draws", draws, draws >= 100, "a whole number >= 100"),
        ("boxes", search.max_boxes, search.max_boxes >= 1, "a whole number >= 1"),
        ("alpha", search.alpha, 0 < search.alpha < 0.5, "a share in (0, 0.5)"),
        ("min_mass", search.min_mass, 0 < search.min_mass < 1, "a share in (0, 1)"),
        ("min_coverage", search.min_coverage, 0 <= search.min_coverage <= 1, "a share in [0, 1]"),
        ("method", search.method, search.method in ("prim", "cart"), "prim or cart"),
        ("max_depth", search.max_depth, search.max_depth >= 1, "a whole number >= 1"),
    ]
    for key, value, ok, what in checks:
        if not ok:
            raise ScenarioError.single(scenario.path, key, f"expected {what}, got {value}")


@dataclass(frozen=True, slots=True)
class _Sample:
    """The draws the search sees (``x``: parameters, ``y``: outcome) and as many fresh ones to test its boxes."""

    names: list[str]
    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    #: For a conditional trap: the draws analysed, in words (else "").
    condition: str


def _sample(
    scenario: Scenario,
    trap: str,
    *,
    threshold: float | None,
    draws: int,
    seed: int,
    solver: str,
    rationality: float,
    progress: Callable[[int], None] | None,
) -> _Sample:
    """Draw ``2 x draws`` parameter vectors and each one's exact outcome; split them into search and test halves.

    For a conditional trap only draws where ``given`` can hold are kept, and the
    outcome is ``P(when | given, parameters)``.
    """
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
    return _Sample(names, x, y, x_test, y_test, condition)


@dataclass(frozen=True, slots=True)
class _Space:
    """Each parameter's range: ``member`` (for box membership, may be infinite) and ``shown`` (finite)."""

    discrete: list[bool]
    member: np.ndarray
    shown: dict[str, tuple[float, float]]


def _space(scenario: Scenario, sample: _Sample) -> _Space:
    dists = [scenario.parameter(k).dist for k in sample.names]
    supports = [_support(d, sample.x[:, j]) for j, d in enumerate(dists)]
    return _Space(
        discrete=[d.kind in _DISCRETE for d in dists],
        member=np.array([s[0] for s in supports]),
        shown={k: s[1] for k, s in zip(sample.names, supports, strict=True)},
    )


def _find_boxes(
    trap: str, threshold: float | None, sample: _Sample, space: _Space, rate: float, search: _Search
) -> tuple[list[FoundBox], list[PrimBox], str]:
    """Cover the draws with up to ``max_boxes`` boxes, each on the draws outside the earlier ones.

    Returns the boxes in words, PRIM's (or CART's) boxes, and a note when there
    is nothing to find or no box beats the overall rate.
    """
    x, y, x_test, y_test = sample.x, sample.y, sample.x_test, sample.y_test
    total, total_test = float(y.sum()), float(y_test.sum())
    if _nothing_to_find(total, len(y)):
        return [], [], _nothing_note(trap, threshold, total)
    leaves = []
    if search.method == "cart":
        leaves = _leaf_boxes(x, y, space.member, space.discrete, search.max_depth, search.min_mass, total)
    boxes: list[FoundBox] = []
    raw: list[PrimBox] = []
    note = ""
    taken = np.zeros(len(y), dtype=bool)
    taken_test = np.zeros(len(y_test), dtype=bool)
    while len(boxes) < search.max_boxes:
        found = _next_box(x, y, space, search, leaves, len(boxes), taken)
        if found is None:
            break
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
            describe(
                trap,
                threshold,
                sample.names,
                found,
                stats,
                test,
                space.member,
                space.shown,
                space.discrete,
                x,
                y,
                taken,
                first=not boxes,
            )
        )
        taken |= found.inside
        taken_test |= inside_test
    return boxes, raw, note


def _nothing_note(trap: str, threshold: float | None, total: float) -> str:
    """Why there is nothing to discover: the outcome never or always holds."""
    if threshold is None:
        return f"{trap} {'never' if total == 0 else 'always'} fires in these draws"
    return f"P(fires) >= {threshold:g} holds in {'no' if total == 0 else 'every'} draw"


def _next_box(
    x: np.ndarray,
    y: np.ndarray,
    space: _Space,
    search: _Search,
    leaves: list[PrimBox],
    k: int,
    taken: np.ndarray,
) -> PrimBox | None:
    """The ``k``-th candidate: CART's next leaf (``None`` when there is none), or PRIM's box outside ``taken``."""
    if search.method == "cart":
        return leaves[k] if k < len(leaves) else None
    return prim(
        x,
        y,
        ranges=space.member,
        discrete=space.discrete,
        alpha=search.alpha,
        min_mass=search.min_mass,
        min_coverage=search.min_coverage,
        exclude=taken,
    )


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


def _stats(y: np.ndarray, inside: np.ndarray, total: float) -> dict[str, float]:
    mass, density, coverage = box_stats(y, inside, len(y), total)
    return {"density": density, "coverage": coverage, "mass": mass}


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
