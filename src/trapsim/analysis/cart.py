"""CART rules: a shallow regression tree whose leaves are boxes (the alternative to PRIM).

The tree (Breiman et al. 1984) splits the draws in two on one input at a
time, ``x <= t`` against ``x > t``, choosing the input and threshold that
reduce the squared error of the outcome most; it stops at ``max_depth`` or
when a side would hold fewer than ``min_leaf`` of the points. Each leaf is a
box (the conditions on its path) with its own mean outcome: unlike PRIM's
boxes, the leaves partition the space and every one is a readable rule of at
most ``max_depth`` conditions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Leaf", "cart"]


@dataclass(frozen=True, slots=True)
class Leaf:
    """One leaf of the tree: its box ``(inputs, 2)``, its points, and its mean outcome."""

    limits: np.ndarray
    inside: np.ndarray
    mean: float
    depth: int


def _best_split(
    x: np.ndarray, y: np.ndarray, min_points: int, discrete: Sequence[bool]
) -> tuple[float, int, float, float] | None:
    """``(error reduction, input, left upper limit, right lower limit)`` of the best split."""
    m = len(y)
    total = float(((y - y.mean()) ** 2).sum())
    best: tuple[float, int, float, float] | None = None
    for j in range(x.shape[1]):
        order = np.argsort(x[:, j], kind="stable")
        xs, ys = x[order, j], y[order]
        s1, s2 = np.cumsum(ys), np.cumsum(ys * ys)
        n_left = np.arange(1, m)  # left side = the first k points, k = 1 .. m - 1
        left = s2[:-1] - s1[:-1] ** 2 / n_left
        right = (s2[-1] - s2[:-1]) - (s1[-1] - s1[:-1]) ** 2 / (m - n_left)
        ok = (xs[:-1] < xs[1:]) & (n_left >= min_points) & (m - n_left >= min_points)
        if not ok.any():
            continue
        err = np.where(ok, left + right, np.inf)
        k = int(np.argmin(err))
        gain = total - float(err[k])
        if best is None or gain > best[0]:
            lo_right = float(xs[k + 1])
            hi_left = float(xs[k]) if discrete[j] else (float(xs[k]) + lo_right) / 2
            best = (gain, j, hi_left, lo_right if discrete[j] else hi_left)
    return best


def cart(
    x: np.ndarray,
    y: np.ndarray,
    *,
    ranges: np.ndarray | None = None,
    discrete: Sequence[bool] | None = None,
    max_depth: int = 3,
    min_leaf: float = 0.05,
) -> list[Leaf]:
    """Grow a regression tree on ``y`` and return its leaves, highest mean first.

    Parameters
    ----------
    x
        Inputs, ``(points, inputs)``.
    y
        Outcome per point, ``(points,)``.
    ranges
        ``(inputs, 2)`` full range of each input (the limits of the root box).
    discrete
        Per input: its values are a few categories (limits sit on values).
    max_depth
        Most conditions on a leaf's path.
    min_leaf
        Smallest leaf, as a share of the points.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, d = x.shape
    discrete = list(discrete) if discrete is not None else [False] * d
    root = np.column_stack([x.min(axis=0), x.max(axis=0)]) if ranges is None else np.asarray(ranges)
    min_points = max(1, math.ceil(min_leaf * n))
    leaves: list[Leaf] = []
    stack = [(np.arange(n), root.astype(np.float64).copy(), 0)]
    while stack:
        idx, limits, depth = stack.pop()
        split = None
        if depth < max_depth and len(idx) >= 2 * min_points:
            split = _best_split(x[idx], y[idx], min_points, discrete)
        if split is None or split[0] <= 1e-12:
            inside = np.zeros(n, dtype=bool)
            inside[idx] = True
            leaves.append(Leaf(limits, inside, float(y[idx].mean()), depth))
            continue
        _, j, hi_left, lo_right = split
        go_left = x[idx, j] <= hi_left
        left, right = limits.copy(), limits.copy()
        left[j, 1], right[j, 0] = hi_left, lo_right
        stack.append((idx[~go_left], right, depth + 1))
        stack.append((idx[go_left], left, depth + 1))
    return sorted(leaves, key=lambda leaf: -leaf.mean)
