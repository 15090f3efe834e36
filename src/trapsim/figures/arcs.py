"""Arcs of the actor graph and where their labels go (used by :mod:`trapsim.figures.graph`)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.path import Path

from trapsim.figures.style import text_width, wrap_measured

__all__ = ["ACTOR_RADIUS", "Curve", "place_labels"]

ACTOR_RADIUS = 0.2  # actor circle radius, in layout units (the circle of actors has radius 1)
_R = ACTOR_RADIUS


class Curve:
    """matplotlib's ``arc3`` quadratic Bezier from ``a`` to ``b`` (equal aspect assumed)."""

    def __init__(self, a: np.ndarray, b: np.ndarray, rad: float) -> None:
        d = b - a
        self.a, self.b = a, b
        self.c = (a + b) / 2 + rad * np.array([d[1], -d[0]])

    def at(self, t: float | np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)[..., None]
        return (1 - t) ** 2 * self.a + 2 * t * (1 - t) * self.c + t**2 * self.b

    def clip(self, start: float, end: float) -> tuple[float, float]:
        """Parameters where the curve leaves a circle of radius ``start`` around ``a`` and
        enters one of radius ``end`` around ``b``."""
        t = np.linspace(0, 1, 801)
        pts = self.at(t)
        out_a = np.flatnonzero(np.hypot(*(pts - self.a).T) >= start)
        in_b = np.flatnonzero(np.hypot(*(pts - self.b).T) >= end)
        t0 = t[out_a[0]] if len(out_a) else 0.0
        t1 = t[in_b[-1]] if len(in_b) else 1.0
        return float(t0), float(max(t1, t0))

    def segment(self, t0: float, t1: float) -> Path:
        """The exact sub-curve between ``t0`` and ``t1`` (de Casteljau)."""
        c = (1 - t0) * (1 - t1) * self.a + (t0 * (1 - t1) + t1 * (1 - t0)) * self.c + t0 * t1 * self.b
        return Path([self.at(t0), c, self.at(t1)], [Path.MOVETO, Path.CURVE3, Path.CURVE3])


_LABEL_SIZE = 12.5
_SPOTS = (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74)  # where along its arc a label may sit, best first


def place_labels(ax: Axes, labels: list[tuple[Curve, str, str]], pos: Mapping[str, np.ndarray], scale: float) -> None:
    """Put each arc's label on its arc where its box covers the fewest other arcs, actors and labels."""
    t = np.linspace(0.0, 1.0, 161)
    arcs = [c.at(t) for c, _, _ in labels]
    arcs = [a[np.min([np.hypot(*(a - p).T) for p in pos.values()], axis=0) > _R] for a in arcs]
    taken: list[tuple[np.ndarray, np.ndarray]] = []
    for k, (curve, label, color) in enumerate(labels):
        if not label:
            continue
        text = wrap_measured(label, _LABEL_SIZE, 1.7)
        pad = 0.12 / scale
        lines = text.count("\n") + 1
        half = np.array([text_width(text, _LABEL_SIZE) / 2, lines * _LABEL_SIZE * 0.62 / 72]) / scale + pad
        others = [a for j, a in enumerate(arcs) if j != k]
        at = min((curve.at(spot) for spot in _SPOTS), key=lambda c: _cost(c - half, c + half, others, pos, taken))
        taken.append((at - half, at + half))
        _edge_label(ax, at, text, color)


def _cost(
    lo: np.ndarray,
    hi: np.ndarray,
    arcs: list[np.ndarray],
    pos: Mapping[str, np.ndarray],
    taken: list[tuple[np.ndarray, np.ndarray]],
) -> float:
    """How badly a label box ``[lo, hi]`` covers other arcs (points), actors (1000 each) and labels (100 each)."""
    inside = sum(int(np.all((a >= lo) & (a <= hi), axis=1).sum()) for a in arcs)
    near = sum(_box_distance(p, lo, hi) < _R for p in pos.values())
    clash = sum(bool(np.all(lo < h2) and np.all(l2 < hi)) for l2, h2 in taken)
    return inside + 1000 * near + 100 * clash


def _box_distance(p: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Distance from point ``p`` to the box ``[lo, hi]`` (0 inside)."""
    return float(np.hypot(*np.maximum(np.maximum(lo - p, p - hi), 0.0)))


def _edge_label(ax: Axes, at: np.ndarray, text: str, color: str) -> None:
    ax.text(
        at[0],
        at[1],
        text,
        ha="center",
        va="center",
        fontsize=_LABEL_SIZE,
        color="#111111",
        zorder=3,
        linespacing=1.0,
        bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": color, "linewidth": 1.2, "alpha": 0.92},
    )
