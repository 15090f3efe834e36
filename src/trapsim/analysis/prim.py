"""PRIM (Friedman and Fisher 1999): find boxes in input space where an outcome is high.

A small, dependency-free implementation for scenario discovery:

* **peeling**: starting from the whole sample, repeatedly cut off the share
  ``alpha`` of the points in the box at the low or high end of one input
  (a whole category for a discrete input), choosing the cut that raises the
  mean outcome (the box's *density*) most per point removed, until the box
  holds less than ``min_mass`` of the points. Each step is a point of the
  *trajectory* (coverage against density).
* **choice**: the box of the trajectory with the highest density among those
  that keep at least ``min_coverage`` of the outcome (ties: the larger
  coverage).
* **pasting**: re-extend any limit of that box by ``alpha`` of its points
  while the density does not fall (undoes the overshoot of coarse peels).
* **simplifying**: drop, one at a time, each limit whose removal keeps the
  density above ``(1 - tolerance)`` times the pasted box's density (fewer
  conditions to read, at almost no cost).
* **covering**: to find further boxes, remove the points of the boxes found so
  far and start again on the rest.

Outcomes may be 0/1 or any numbers in [0, 1] (e.g. probabilities): density is
then the mean outcome in the box, coverage the share of the outcome's total
that falls in it, mass the share of points in the box.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Peel", "PrimBox", "box_stats", "in_box", "prim", "restricted"]


@dataclass(frozen=True, slots=True)
class Peel:
    """One box on the peeling trajectory (limits: array ``(inputs, 2)``)."""

    limits: np.ndarray
    mass: float
    density: float
    coverage: float
    restricted: int


@dataclass(frozen=True, slots=True)
class PrimBox:
    """A box found by PRIM, with its statistics on the data it was found in.

    Attributes
    ----------
    limits
        ``(inputs, 2)`` lower and upper limit per input (the data range where
        the input is not restricted).
    restricted
        Indices of the inputs the box restricts.
    inside
        Boolean mask of the points in the box (over all points given to
        :func:`prim`, excluding earlier boxes).
    trajectory, chosen
        The peeling trajectory and the index of the box chosen on it.
    """

    limits: np.ndarray
    restricted: tuple[int, ...]
    mass: float
    density: float
    coverage: float
    inside: np.ndarray
    trajectory: tuple[Peel, ...]
    chosen: int


def box_stats(y: np.ndarray, inside: np.ndarray, n_total: int, y_total: float) -> tuple[float, float, float]:
    """``(mass, density, coverage)`` of the points ``inside`` (a boolean mask over ``y``).

    Mass is the share of ``n_total`` points inside, density the mean outcome
    inside (0 for an empty box), coverage the share of ``y_total`` inside.
    """
    m = int(np.count_nonzero(inside))
    s = float(y[inside].sum())
    return m / n_total, (s / m if m else 0.0), (s / y_total if y_total > 0 else 0.0)


def in_box(x: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """Mask of the rows of ``x`` (points, inputs) within ``limits`` (inputs, 2), ends included."""
    return np.all((x >= limits[:, 0]) & (x <= limits[:, 1]), axis=1)


def _edge(removed: np.ndarray, kept: np.ndarray, discrete: bool, low_side: bool) -> float:
    """A limit between removed and kept values: the midpoint (discrete inputs: the kept value)."""
    if low_side:
        first_kept, last_removed = kept.min(), removed.max()
    else:
        first_kept, last_removed = kept.max(), removed.min()
    return float(first_kept) if discrete else float((first_kept + last_removed) / 2)


#: A peel: ``(mean, points kept, kept mask, input, side, new limit)``.
_Candidate = tuple[float, int, np.ndarray, int, int, float]


def _peel_candidates(xb: np.ndarray, yb: np.ndarray, alpha: float, discrete: Sequence[bool]) -> Iterator[_Candidate]:
    """Every admissible peel: ``(mean, points kept, kept mask, input, side, new limit)``."""
    m = xb.shape[0]
    k = max(1, math.floor(alpha * m))
    for j in range(xb.shape[1]):
        col = xb[:, j]
        part = np.partition(col, (k - 1, m - k))
        for side, cut in ((0, part[k - 1]), (1, part[m - k])):
            # remove the k lowest (highest) values, and every value tied with the cut
            keep = col > cut if side == 0 else col < cut
            n_keep = int(np.count_nonzero(keep))
            if n_keep == 0:
                continue
            mean = float(yb[keep].sum() / n_keep)
            limit = _edge(col[~keep], col[keep], discrete[j], side == 0)
            yield mean, n_keep, keep, j, side, limit


def _paste(
    x: np.ndarray,
    y: np.ndarray,
    limits: np.ndarray,
    ranges: np.ndarray,
    alpha: float,
    discrete: Sequence[bool],
) -> np.ndarray:
    """Re-extend limits by ``alpha`` of the box's points while the density does not fall."""
    limits = limits.copy()
    while True:
        inside = in_box(x, limits)
        m = int(np.count_nonzero(inside))
        s = float(y[inside].sum())
        current = s / m if m else 0.0
        k = max(1, math.ceil(alpha * m))
        best: tuple[float, int, int, float] | None = None
        for j in range(x.shape[1]):
            others = limits.copy()
            others[j] = ranges[j]
            slab_all = in_box(x, others) & ~inside
            for side in (0, 1):
                col = x[:, j]
                slab = slab_all & ((col < limits[j, 0]) if side == 0 else (col > limits[j, 1]))
                if not slab.any():
                    continue
                vals = col[slab]
                # the k values nearest the box (all ties of the k-th included)
                order = np.sort(vals)[::-1] if side == 0 else np.sort(vals)
                edge_val = order[min(k, len(order)) - 1]
                add = (vals >= edge_val) if side == 0 else (vals <= edge_val)
                rest = vals[~add]
                new = _edge(rest, vals[add], discrete[j], side == 0) if rest.size else float(ranges[j, side])
                mean = (s + float(y[slab][add].sum())) / (m + int(np.count_nonzero(add)))
                if mean >= current - 1e-12 and (best is None or mean > best[0]):
                    best = (mean, j, side, new)
        if best is None:
            return limits
        _, j, side, new = best
        limits[j, side] = new


def _simplify(x: np.ndarray, y: np.ndarray, limits: np.ndarray, ranges: np.ndarray, tolerance: float) -> np.ndarray:
    """Drop limits, one at a time, while the density stays above ``1 - tolerance`` of the box's."""
    limits = limits.copy()
    target = float(y[in_box(x, limits)].mean()) * (1 - tolerance)
    while True:
        best: tuple[float, int, int] | None = None
        for j in range(x.shape[1]):
            for side in (0, 1):
                if limits[j, side] == ranges[j, side]:
                    continue
                trial = limits.copy()
                trial[j, side] = ranges[j, side]
                d = float(y[in_box(x, trial)].mean())
                if d >= target and (best is None or d > best[0]):
                    best = (d, j, side)
        if best is None:
            return limits
        limits[best[1], best[2]] = ranges[best[1], best[2]]


def restricted(limits: np.ndarray, ranges: np.ndarray) -> tuple[int, ...]:
    """Indices of the inputs whose limits are narrower than their full range."""
    return tuple(j for j in range(limits.shape[0]) if limits[j, 0] > ranges[j, 0] or limits[j, 1] < ranges[j, 1])


def prim(
    x: np.ndarray,
    y: np.ndarray,
    *,
    ranges: np.ndarray | None = None,
    discrete: Sequence[bool] | None = None,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
    tolerance: float = 0.1,
    exclude: np.ndarray | None = None,
) -> PrimBox:
    """Find one box where ``y`` is high (peel, choose, paste, simplify).

    Parameters
    ----------
    x
        Inputs, ``(points, inputs)``.
    y
        Outcome per point, ``(points,)``, in [0, 1].
    ranges
        ``(inputs, 2)`` full range of each input (a limit equal to it is no
        restriction); default: the data range.
    discrete
        Per input: its values are a few categories (limits sit on values).
    alpha
        Share of the box's points removed by one peel (and added by one paste).
    min_mass
        Peeling stops when the box would hold less than this share of the
        points (of all points, including excluded ones).
    min_coverage
        The chosen box keeps at least this share of the outcome's total.
    tolerance
        Share of the density a limit may cost and still be dropped (see the
        module docstring).
    exclude
        Points to leave out (the boxes already found, when covering).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n_all = x.shape[0]
    d = x.shape[1]
    discrete = list(discrete) if discrete is not None else [False] * d
    ranges = np.column_stack([x.min(axis=0), x.max(axis=0)]) if ranges is None else np.asarray(ranges, float)
    active = np.ones(n_all, dtype=bool) if exclude is None else ~np.asarray(exclude, dtype=bool)
    xa, ya = x[active], y[active]
    y_total = float(ya.sum())
    min_points = max(1, math.ceil(min_mass * n_all))
    trajectory = _peel(xa, ya, ranges, discrete, alpha=alpha, min_points=min_points, n_total=n_all, y_total=y_total)
    ok = [i for i, p in enumerate(trajectory) if p.coverage >= min_coverage] or [0]
    chosen = max(ok, key=lambda i: (trajectory[i].density, trajectory[i].coverage))
    box = _paste(xa, ya, trajectory[chosen].limits, ranges, alpha, discrete)
    box = _simplify(xa, ya, box, ranges, tolerance)
    inside_active = in_box(xa, box)
    mass, density, coverage = box_stats(ya, inside_active, n_all, y_total)
    inside = np.zeros(n_all, dtype=bool)
    inside[np.flatnonzero(active)[inside_active]] = True
    return PrimBox(box, restricted(box, ranges), mass, density, coverage, inside, tuple(trajectory), chosen)


def _peel(
    xa: np.ndarray,
    ya: np.ndarray,
    ranges: np.ndarray,
    discrete: list[bool],
    *,
    alpha: float,
    min_points: int,
    n_total: int,
    y_total: float,
) -> list[Peel]:
    """The peeling trajectory: from the whole space, one best peel at a time until ``min_points`` are left."""
    limits = ranges.copy()
    idx = np.arange(xa.shape[0])
    mass, density, coverage = box_stats(ya, np.ones(len(ya), bool), n_total, y_total)
    trajectory = [Peel(limits.copy(), mass, density, coverage, 0)]
    while idx.size > min_points:
        best = _best_peel(xa[idx], ya[idx], alpha, discrete, density, min_points)
        if best is None:
            break
        _, _, keep, j, side, limit = best
        idx = idx[keep]
        limits[j, side] = limit
        inside = np.zeros(len(ya), dtype=bool)
        inside[idx] = True
        mass, density, coverage = box_stats(ya, inside, n_total, y_total)
        trajectory.append(Peel(limits.copy(), mass, density, coverage, len(restricted(limits, ranges))))
    return trajectory


def _best_peel(
    xb: np.ndarray, yb: np.ndarray, alpha: float, discrete: list[bool], density: float, min_points: int
) -> _Candidate | None:
    """The peel that raises the density most per share of the box removed (ties: the smaller peel)."""
    best = None
    best_gain = -math.inf
    m = len(yb)
    for cand in _peel_candidates(xb, yb, alpha, discrete):
        mean, n_keep = cand[0], cand[1]
        if n_keep < min_points:
            continue
        # gain in density per share of the box removed (Friedman and Fisher's
        # criterion when peels differ in size, as for discrete inputs)
        gain = (mean - density) / ((m - n_keep) / m)
        if best is None or gain > best_gain + 1e-15 or (abs(gain - best_gain) <= 1e-15 and n_keep > best[1]):
            best, best_gain = cand, gain
    return best
