"""Figures of a classroom poll (``trapsim explore --classroom``): trap rates per student, pooled priors.

Both take the poll's summary document (plain JSON data, as the presenter's
page receives it), so they need nothing from the web layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from trapsim.figures.style import GREY, PALETTE, SIZE, empty_axes, footnote, percent, styled, wrap, wrap_measured

__all__ = ["plot_poll_priors", "plot_poll_traps"]


def _note(summary: Mapping[str, Any]) -> str:
    n = summary["students"]
    return (
        f"{n} student{'s' * (n != 1)} · each dot: one student's priors ({summary['student_draws']:,} "
        f"draws) · pooled: equal-weight linear pool ({summary['draws']:,} draws, seed {summary['seed']})"
    )


@styled
def plot_poll_traps(summary: Mapping[str, Any]) -> Figure:
    """Each trap's rate under every student's priors (dots), the pool's (bar, 95% CI) and the scenario's."""
    fig = Figure(figsize=SIZE, layout="constrained")
    ax = fig.add_subplot()
    fig.suptitle(
        wrap_measured(f"{summary['title']}: trap rates under the class's priors", 21, 12.4, bold=True),
        fontsize=21,
        fontweight="bold",
        x=0.01,
        ha="left",
    )
    traps = summary["traps"]
    if not traps:
        empty_axes(ax, "This scenario defines no traps.")
        return fig
    rng = np.random.default_rng(0)  # jitter only: the same figure for the same poll
    for i, t in enumerate(traps):
        y = len(traps) - 1 - i
        rates = np.asarray([r for r in t["students"] if r is not None], dtype=float) * 100
        ax.scatter(
            rates,
            y + rng.uniform(-0.18, 0.18, len(rates)),
            s=70,
            color=PALETTE[i % len(PALETTE)],
            alpha=0.75,
            edgecolor="white",
            linewidth=0.8,
            zorder=3,
        )
        if t["pooled"] is not None and t["pooled"]["rate"] is not None:
            lo, hi = (100 * v for v in t["pooled"]["ci95"])
            ax.fill_betweenx([y - 0.32, y + 0.32], lo, hi, color="#222222", alpha=0.18, zorder=1)
            ax.plot([100 * t["pooled"]["rate"]] * 2, [y - 0.32, y + 0.32], color="#222222", lw=3, zorder=4)
            ax.annotate(
                f"pooled {percent(t['pooled']['rate'])}",
                (100 * t["pooled"]["rate"], y + 0.34),
                ha="center",
                va="bottom",
                fontsize=13,
            )
        if t["prior"]["rate"] is not None:
            ax.plot([100 * t["prior"]["rate"]] * 2, [y - 0.32, y + 0.32], color=GREY, lw=2, ls="--", zorder=2)
    names = [t["title"] + (f" (among draws where {t['given']})" if t.get("given") else "") for t in reversed(traps)]
    # the labels' lines must fit their rows: narrower and smaller as traps (rows) grow
    size = min(16.0, max(9.0, 80 / len(traps)))  # points: 16 up to 5 traps, 13 at 6, 10 at 8
    ax.set_yticks(range(len(traps)), [wrap_measured(n, size, 3.6) for n in names], fontsize=size)
    rate = (
        "Rate (%) among the draws named beside each trap"
        if any(t.get("given") for t in traps)
        else "Share of draws in which the trap fires (%)"
    )
    ax.set_xlabel(rate)
    ax.set_xlim(left=0)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
    footnote(fig, _note(summary) + " · dashed: the rate under the scenario's own priors")
    return fig


@styled
def plot_poll_priors(summary: Mapping[str, Any]) -> Figure:
    """Each asked parameter: the students' fitted densities (thin), their pool (thick), the scenario's prior."""
    params = summary["parameters"]
    fig = Figure(figsize=SIZE, layout="constrained")
    cols = min(len(params), 3) or 1
    rows = -(-len(params) // cols) or 1
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, p in zip(axes.flat, params, strict=False):
        x = np.asarray(p["x"])
        for curve in p["students"]:
            ax.plot(x, curve, color=PALETTE[4], lw=1, alpha=0.45)
        if p["pooled"]:
            ax.plot(x, p["pooled"], color=PALETTE[0], lw=3.5, label="pooled")
        ax.plot(x, p["prior"], color=GREY, lw=2, ls="--", label="scenario")
        unit = f" ({p['unit']})" if p["unit"] else ""
        ax.set_title(wrap(p["label"] + unit, 34), fontsize=16, loc="left")
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
    for ax in list(axes.flat)[len(params) :]:
        ax.set_axis_off()
    if params:
        axes.flat[0].legend(loc="upper right")
    fig.suptitle(
        wrap(f"{summary['title']}: the class's priors, pooled", 80), fontsize=21, fontweight="bold", x=0.01, ha="left"
    )
    footnote(fig, _note(summary))
    return fig
