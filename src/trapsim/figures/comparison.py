"""The comparison figure: the same traps across several scenarios.

:func:`write_comparison` writes the comparison's JSON document and its figure.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from trapsim.comparison import Comparison
from trapsim.figures.saving import save
from trapsim.figures.style import GREY, SIZE, fit, footnote, styled, wrap_measured
from trapsim.output import write_text_atomic

__all__ = ["SCENARIO_COLORS", "plot_comparison", "write_comparison"]

_FONT = 14


#: Scenario colours (Paul Tol's muted scheme): apart from the actors' Okabe-Ito palette.
SCENARIO_COLORS = ("#332288", "#44AA99", "#CC6677", "#DDCC77", "#88CCEE", "#882255", "#117733", "#999933")


def _legend_labels(comparison: Comparison) -> list[str]:
    """Scenario titles; the label too where two scenarios share a title."""
    titles = [r.scenario.title or lab for r, lab in zip(comparison.results, comparison.labels, strict=True)]
    return [f"{t} ({lab})" if titles.count(t) > 1 else t for t, lab in zip(titles, comparison.labels, strict=True)]


@styled
def plot_comparison(comparison: Comparison, *, fig: Figure | None = None) -> Figure:
    """Small multiples: one panel per trap, one bar per scenario, each panel on its own scale.

    Bars carry 95% Wilson intervals and their rate; a rate marked ``*``
    differs from the first scenario's (two-proportion test at ``alpha``).
    A panel names once the scenarios that do not define its trap. The
    legend (scenario titles, in colours apart from the actors') sits above
    the panels, outside the data.
    """
    traps = comparison.traps
    n = max(len(traps), 1)
    cols = min(n, 3 if n != 4 else 2)
    rows = -(-n // cols)
    if fig is None:
        fig = Figure(figsize=SIZE, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    k_n = len(comparison.results)
    colors = [SCENARIO_COLORS[k % len(SCENARIO_COLORS)] for k in range(k_n)]
    for g, t in enumerate(traps):
        _trap_panel(axes[g // cols][g % cols], comparison, t, colors, cols)
    for g in range(len(traps), rows * cols):
        axes[g // cols][g % cols].set_axis_off()
    handles = [Patch(color=c) for c in colors]
    legend = fig.legend(
        handles,
        [wrap_measured(x, _FONT, 12.8 / min(k_n, 3) - 1.3) for x in _legend_labels(comparison)],  # less swatch and gap
        loc="outside upper left",
        ncols=min(k_n, 3),
        fontsize=_FONT,
        frameon=False,
        title="The same traps across scenarios: how often each fires",
        title_fontproperties={"size": _FONT + 5, "weight": "bold"},
        alignment="left",
    )
    legend.set_gid("scenarios")
    first = comparison.results[0]
    conditional = any(comparison.given_count(t, k) is not None for t in traps for k in range(len(comparison.results)))
    among = (
        " · a conditional trap's rate is among the draws where its condition holds (under its bar: how many)"
        if conditional
        else " · rates: share of all draws"
    )
    footnote(
        fig,
        wrap_measured(  # at spaces only: a scenario id is never broken
            f"{first.draws:,} draws per scenario · seed {first.seed} · each panel on its own "
            f"scale · error bars: 95% Wilson intervals · * differs from "
            f"{comparison.labels[0]} (two-proportion z-test, p < {comparison.alpha:g}){among}",
            _FONT - 1,
            12.4,
        ),
        size=_FONT - 1,
    )
    return fig


def _trap_panel(ax: Axes, comparison: Comparison, t: str, colors: list[str], cols: int) -> None:
    """One trap: a bar per scenario with its interval and rate (``*`` when it differs from the first)."""
    k_n = len(comparison.results)
    top = 0.0
    absent = []
    denominators: dict[int, str] = {}  # bar -> its denominator, under it, for a conditional trap
    for k, res in enumerate(comparison.results):
        rate = comparison.rate(t, k)
        if rate is None:
            absent.append(comparison.labels[k])
            continue
        lo, hi = res.ci95(t) or (rate, rate)
        ax.bar(
            k,
            rate * 100,
            0.8,
            color=colors[k],
            yerr=[[(rate - lo) * 100], [(hi - rate) * 100]],
            capsize=4,
            error_kw={"elinewidth": 1.5},
        )
        d = comparison.difference(t, k)
        mark = "*" if d is not None and d.distinguishable else ""
        among = comparison.given_count(t, k)
        if among is not None:
            denominators[k] = f"{among:,}"
        ax.annotate(
            f"{_pct(rate)}{mark}",
            (k, hi * 100),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=_FONT,
        )
        top = max(top, hi * 100)
    ax.set_ylim(0, max(top * 1.3, 0.1))
    ax.set_xlim(-0.6, k_n - 0.4)
    ax.set_xticks(list(denominators), list(denominators.values()), fontsize=_FONT - 3, color=GREY)
    ax.tick_params(axis="x", length=0)
    ax.set_title(fit(comparison.titles[t], _FONT + 2, 12.8 / cols - 0.5), loc="left", fontsize=_FONT + 2)
    ax.tick_params(axis="y", labelsize=_FONT)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}%"))
    ax.yaxis.set_major_locator(MaxNLocator(4))
    if absent:  # said once per panel, under it (the x axis has no ticks)
        ax.set_xlabel(fit("not in " + ", ".join(absent), _FONT, 12.8 / cols - 0.6), fontsize=_FONT, color=GREY)


def _pct(x: float) -> str:
    p = 100 * x
    return f"{p:.1f}%" if p >= 1 or p == 0 else f"{p:.2f}%"


def write_comparison(
    comparison: Comparison, out_dir: str | Path, *, fmt: str = "png", figure: bool = True
) -> list[Path]:
    """Write ``compare_<labels>.json`` and (with ``figure``) its figure into ``out_dir``; return the paths."""
    stem = "compare_" + "_vs_".join(comparison.labels)
    if len(comparison.labels) > 2 or len(stem) > 80:
        stem = f"compare_{comparison.labels[0]}_and_{len(comparison.labels) - 1}_more"
    out = Path(out_dir)
    written = [write_text_atomic(out / f"{stem}.json", comparison.to_json())]
    if figure:
        written.append(save(plot_comparison(comparison), out / f"{stem}.{fmt}"))
    return written
