"""The comparison figure: the same traps across several scenarios.

:func:`write_comparison` writes the comparison's JSON document and its figure.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from trapsim.comparison import Comparison
from trapsim.figures.style import PALETTE, footnote, new_axes, save, styled
from trapsim.output import write_text_atomic
from trapsim.runner import wilson

__all__ = ["plot_comparison", "write_comparison"]

_FONT = 14


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
                ax.text(x, 0, "absent", rotation=90, ha="center", va="bottom", fontsize=_FONT - 3, color="#777777")
                continue
            lo, hi = wilson(res.trap_counts[t], res.draws)
            ax.bar(
                x,
                rate * 100,
                width * 0.92,
                color=colour,
                yerr=[[(rate - lo) * 100], [(hi - rate) * 100]],
                capsize=4,
                error_kw={"elinewidth": 1.5},
            )
            d = comparison.difference(t, k)
            mark = "*" if d is not None and d.distinguishable else ""
            ax.annotate(
                f"{rate * 100:.1f}%{mark}",
                (x, hi * 100),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=small,
                rotation=90 if vertical else 0,
            )
            top = max(top, hi * 100)
    # one legend entry per scenario, even if its first trap is absent
    handles = [Patch(color=PALETTE[k % len(PALETTE)]) for k in range(k_n)]
    ax.legend(handles, comparison.labels, fontsize=_FONT, frameon=False, loc="upper right")
    wrap = max(8, int(110 / max(len(comparison.traps), 1)))
    ax.set_xticks(
        range(len(comparison.traps)),
        [textwrap.fill(comparison.titles[t], wrap) for t in comparison.traps],
        fontsize=_FONT,
    )
    ax.set_ylabel("Share of draws in which the trap fires (%)", fontsize=_FONT)
    ax.set_ylim(0, top * (1.3 if vertical else 1.2) + 2)
    ax.tick_params(labelsize=_FONT)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("The same traps across scenarios", fontsize=_FONT + 4, loc="left")
    first = comparison.results[0]
    footnote(
        fig,
        f"{first.draws:,} draws per scenario · seed {first.seed} · error bars: 95% Wilson "
        f"intervals · * differs from {comparison.labels[0]} (two-proportion z-test, "
        f"p < {comparison.alpha:g})",
        size=_FONT - 3,
    )
    return fig


def write_comparison(
    comparison: Comparison, out_dir: str | Path, *, fmt: str = "png", figure: bool = True
) -> list[Path]:
    """Write ``compare_<labels>.json`` and (with ``figure``) its figure into ``out_dir``; return the paths."""
    stem = "compare_" + "_vs_".join(comparison.labels)
    if len(stem) > 80:
        stem = f"compare_{comparison.labels[0]}_and_{len(comparison.labels) - 1}_more"
    out = Path(out_dir)
    written = [write_text_atomic(out / f"{stem}.json", comparison.to_json())]
    if figure:
        written.append(save(plot_comparison(comparison), out / f"{stem}.{fmt}"))
    return written
