"""Figures for a seminar projector. Each ``plot_*`` returns a matplotlib ``Figure``.

Library code never uses pyplot: figures are created with
``matplotlib.figure.Figure`` and saved by the caller (:func:`save`).
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from trapsim.output import write_atomic
from trapsim.runner import Result

__all__ = ["PALETTE", "plot_trap_rates", "save", "write_run_figures"]

#: Okabe–Ito colour-blind-safe palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
_FONT = 14


def plot_trap_rates(result: Result) -> Figure:
    """Trap rates with 95% Wilson intervals, one bar per trap."""
    sc = result.scenario
    fig = Figure(figsize=(12.8, 7.2), layout="constrained")
    ax = fig.add_subplot()
    traps = list(sc.traps)
    rates = [result.rate(t.id) * 100 for t in traps]
    lows = [r - result.ci95(t.id)[0] * 100 for r, t in zip(rates, traps, strict=True)]
    highs = [result.ci95(t.id)[1] * 100 - r for r, t in zip(rates, traps, strict=True)]
    labels = [t.title for t in traps]
    bars = ax.bar(range(len(traps)), rates, color=[PALETTE[i % len(PALETTE)] for i in range(len(traps))],
                  yerr=[lows, highs], capsize=8, error_kw={"elinewidth": 2})
    for bar, rate in zip(bars, rates, strict=True):
        ax.annotate(f"{rate:.1f}%", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    xytext=(0, 14), textcoords="offset points", ha="center", fontsize=_FONT)
    ax.set_xticks(range(len(traps)), labels, fontsize=_FONT)
    ax.set_ylabel("Share of draws in which the trap fires (%)", fontsize=_FONT)
    ax.set_ylim(0, max([*rates, 1.0]) * 1.25 + 2)
    ax.tick_params(labelsize=_FONT)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(sc.title, fontsize=_FONT + 4, loc="left")
    fig.text(0.01, 0.005, f"{result.draws:,} draws · seed {result.seed} · solver {result.solver} · "
                          "error bars: 95% Wilson intervals", fontsize=_FONT - 3, color="#555555")
    return fig


def save(fig: Figure, path: str | Path, *, dpi: int = 200) -> Path:
    """Save a figure atomically (format from the file extension)."""
    path = Path(path)
    return write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".") or "png"))


def write_run_figures(result: Result, out_dir: str | Path, *, fmt: str = "png") -> list[Path]:
    """Write the figures of a run into ``out_dir``; return their paths."""
    out = Path(out_dir)
    name = result.scenario.name
    return [save(plot_trap_rates(result), out / f"{name}_traps.{fmt}")]
