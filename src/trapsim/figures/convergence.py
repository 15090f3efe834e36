"""Figure 6: running trap rates against the number of draws, one panel per trap."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from trapsim.figures.results import pct_tick, run_note, thousands_tick
from trapsim.figures.style import GREY, PALETTE, SIZE, empty_axes, footnote, percent, styled, wrap
from trapsim.model import Trap
from trapsim.runner import CHUNK, Result, wilson

__all__ = ["plot_convergence"]


def _grid(n: int) -> tuple[int, int]:
    if n <= 3:
        return 1, max(n, 1)
    if n == 4:
        return 2, 2
    cols = 3 if n <= 9 else 4
    return math.ceil(n / cols), cols


@styled
def plot_convergence(result: Result) -> Figure:
    """Running estimate of each trap rate against the number of draws, with its 95% band.

    One panel per trap, each on its own scale, so that rare traps are visible:
    the band narrows as draws accumulate, and a flat line with a thin band is
    the evidence that enough draws were taken. Points are at chunk boundaries
    (every :data:`trapsim.runner.CHUNK` draws).

    Returns
    -------
    Figure
        One axes per trap, its line with ``gid="convergence:<id>"``.
    """
    sc = result.scenario
    traps = list(sc.traps)
    rows, cols = _grid(len(traps))
    fig = Figure(figsize=SIZE, layout="constrained")
    fig.suptitle(
        "Have the trap rates settled? Running estimate as draws accumulate",
        x=0.01,
        ha="left",
        fontsize=20,
        fontweight="bold",
    )
    if not traps:
        empty_axes(fig.add_subplot(), "This scenario defines no traps.")
        footnote(fig, run_note(result))
        return fig
    if len(result.chunk_sizes) < MIN_CHECKPOINTS:  # one or two dots per panel would show nothing
        _too_short(fig.add_subplot(), result)
        footnote(fig, run_note(result))
        return fig
    axes = fig.subplots(rows, cols, squeeze=False)
    n = np.cumsum(np.asarray(result.chunk_sizes, dtype=float))
    counts = np.cumsum(np.asarray(result.chunk_trap_counts, dtype=float).reshape(len(n), len(traps)), axis=0)
    given = (
        n[:, None] * np.ones(len(traps))
        if result.chunk_given_counts is None
        else np.cumsum(np.asarray(result.chunk_given_counts, dtype=float).reshape(len(n), len(traps)), axis=0)
    )
    small = len(traps) > 4
    for k, t in enumerate(traps):
        _convergence_panel(axes.flat[k], k, t, n, counts[:, k], given[:, k], small)
    for ax in axes.flat[len(traps) :]:
        ax.set_axis_off()
    for c in range(cols):  # "draws" under the lowest panel of each column
        used = [r for r in range(rows) if r * cols + c < len(traps)]
        if used:
            axes[used[-1], c].set_xlabel("draws", fontsize=14)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if len(traps) < rows * cols:  # the legend in an empty slot of the grid, clear of every band
        axes.flat[len(traps)].legend(handles, labels, loc="center", fontsize=14, frameon=False)
    else:
        fig.legend(handles, labels, loc="outside right center", fontsize=13, frameon=False)
    footnote(fig, run_note(result, "band: 95% Wilson interval of the running rate; dotted: final estimate"))
    return fig


#: Fewer checkpoints than this (one every :data:`~trapsim.runner.CHUNK` draws) cannot show a trend.
MIN_CHECKPOINTS = 3


def _too_short(ax: Axes, result: Result) -> None:
    """Say plainly that the run is too short to show convergence, and how many draws would be enough."""
    need = (MIN_CHECKPOINTS - 1) * CHUNK + 1
    ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        f"This run of {result.draws:,} draws is too short to show whether the rates settle.\n"
        f"The running rate is recorded every {CHUNK:,} draws, so the run has only "
        f"{len(result.chunk_sizes)} checkpoint{'s' * (len(result.chunk_sizes) != 1)}.\n"
        f"Run at least {need:,} draws (e.g. --draws 100000) to see the running rates and their bands.\n"
        "The rates of this run and their 95% intervals are in the trap-rate figure.",
        ha="center",
        va="center",
        transform=ax.transAxes,
        fontsize=17,
        linespacing=1.6,
        gid="convergence:too-short",
    )


def _convergence_panel(
    ax: Axes, k: int, t: Trap, n: np.ndarray, counts: np.ndarray, given: np.ndarray, small: bool
) -> None:
    """One trap's running rate (line) and 95% Wilson band against the draws so far."""
    color = PALETTE[k % len(PALETTE)]
    seen = given > 0  # a conditional trap's rate exists once its given has held
    if not seen.any():
        empty_axes(ax, f"{t.title}: n/a ({t.denominator()}: none)")
        return
    m = given[seen]
    rate = counts[seen] / m * 100
    band = np.array([wilson(int(c), int(d)) for c, d in zip(counts[seen], m, strict=True)]) * 100
    x = n[seen]
    ax.fill_between(x, band[:, 0], band[:, 1], color=color, alpha=0.25, linewidth=0, label="95% interval")
    (line,) = ax.plot(x, rate, color=color, linewidth=2.5, marker="o", markersize=5, label="running rate")
    line.set_gid(f"convergence:{t.id}")
    ax.axhline(rate[-1], color=GREY, linewidth=1, linestyle=":")
    among = "" if t.given is None else f" of {t.denominator()}"
    ax.set_title(
        wrap(f"{t.title}: {percent(rate[-1] / 100)}{among}", 26 if small else 34),
        fontsize=16 if small else 18,
        loc="left",
    )
    ax.yaxis.set_major_formatter(FuncFormatter(pct_tick))
    ax.xaxis.set_major_formatter(FuncFormatter(thousands_tick))
    lo, hi = float(band[:, 0].min()), float(band[:, 1].max())
    pad = 0.08 * max(hi - lo, 1e-6)
    ax.set_ylim(max(0.0, lo - pad), hi + pad)
    ax.tick_params(labelsize=12 if small else 14)
    ax.grid(color="#EEEEEE")
    if len(x) == 1:
        ax.set_xlim(0, x[0] * 2)
