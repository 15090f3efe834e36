"""Figures of a run's numbers: trap rates, outcomes, payoffs, convergence."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from trapsim.figures.style import (
    GREY,
    PALETTE,
    SIZE,
    actor_colors,
    axes_title,
    empty_axes,
    footnote,
    new_axes,
    percent,
    styled,
    wrap,
)
from trapsim.model import Trap
from trapsim.runner import Result, wilson

__all__ = ["plot_convergence", "plot_outcomes", "plot_payoffs", "plot_trap_rates"]


def _run_note(result: Result, what: str = "") -> str:
    fixed = "".join(f" · {k} = {v:g}" for k, v in result.values.items())
    note = f"{result.draws:,} draws · seed {result.seed} · solver {result.solver}{fixed}"
    return f"{note} · {what}" if what else note


@styled
def plot_trap_rates(result: Result, *, ax: Axes | None = None) -> Figure:
    """Trap rates with 95% Wilson intervals, one bar per trap.

    Parameters
    ----------
    result
        A finished run.
    ax
        Draw into these axes instead of a new 16:9 figure.

    Returns
    -------
    Figure
        Bars carry ``gid="trap:<id>"``; the footnote gives draws and seed.
    """
    sc = result.scenario
    fig, ax = new_axes(ax)
    axes_title(ax, sc.title)
    traps = list(sc.traps)
    if not traps:
        empty_axes(ax, "This scenario defines no traps.")
        footnote(fig, _run_note(result))
        return fig
    undefined = set(result.undefined_traps())  # given never held: no bar, "n/a"
    rates = np.array([result.rate(t.id) or 0.0 for t in traps]) * 100
    ci = np.array([result.ci95(t.id) or (0.0, 0.0) for t in traps]) * 100
    err = np.vstack([rates - ci[:, 0], ci[:, 1] - rates])
    x = np.arange(len(traps))
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(traps))]
    bars = ax.bar(
        x,
        rates,
        color=colors,
        width=0.62,
        yerr=err,
        capsize=10,
        error_kw={"elinewidth": 2, "capthick": 2, "ecolor": "#222222"},
    )
    for bar, t in zip(bars, traps, strict=True):
        bar.set_gid(f"trap:{t.id}")
    top = float(max(ci[:, 1].max(), 1.0))
    for xi, (rate, hi) in enumerate(zip(rates, ci[:, 1], strict=True)):
        shown = "n/a" if traps[xi].id in undefined else percent(rate / 100)
        ax.annotate(
            shown,
            (xi, hi),
            xytext=(0, 8),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=17,
            fontweight="bold",
        )
    width = max(10, int(96 / len(traps)))
    ax.set_xticks(
        x, [wrap(t.title if t.given is None else f"{t.title} (among {t.denominator()})", width) for t in traps]
    )
    conditional = any(t.given is not None for t in traps)
    ax.set_ylabel(
        "Rate (of the draws named under each bar)" if conditional else "Share of draws in which the trap fires"
    )
    ax.yaxis.set_major_formatter(FuncFormatter(_pct))
    ax.set_ylim(0, top * 1.2)
    ax.set_xlim(-0.6, len(traps) - 0.4)
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
    footnote(fig, _run_note(result, "error bars: 95% Wilson intervals"))
    return fig


@styled
def plot_outcomes(result: Result, *, max_bars: int = 15, ax: Axes | None = None) -> Figure:
    """Share of draws ending in each outcome, largest first, with 95% intervals.

    Outcomes never reached are left out (their number is noted); beyond
    ``max_bars`` the smallest are pooled into one grey bar.

    Returns
    -------
    Figure
        Bars carry ``gid="outcome:<id>"`` (``outcome:(other)`` for the pool).
    """
    sc = result.scenario
    fig, ax = new_axes(ax)
    axes_title(ax, "Where the game ends")
    order = list(sc.outcomes)
    ranked = sorted(
        ((c, o) for o, c in result.outcome_counts.items() if c > 0), key=lambda co: (-co[0], order.index(co[1]))
    )
    never = len(order) - len(ranked)
    shown = ranked if len(ranked) <= max_bars else ranked[: max_bars - 1]
    rest = ranked[len(shown) :]
    labels = [sc.label_of("outcome", o) for _, o in shown]  # the file's labels, ids where it gives none
    counts = [c for c, _ in shown]
    gids = [f"outcome:{o}" for _, o in shown]
    colors = [PALETTE[0]] * len(shown)
    if rest:
        labels.append(f"({len(rest)} other outcomes)")
        counts.append(sum(c for c, _ in rest))
        gids.append("outcome:(other)")
        colors.append("#AAAAAA")
    n = result.draws
    shares = np.array(counts) / n * 100
    ci = np.array([wilson(c, n) for c in counts]).reshape(-1, 2) * 100
    y = np.arange(len(labels))
    bars = ax.barh(
        y,
        shares,
        color=colors,
        height=0.7,
        xerr=np.vstack([shares - ci[:, 0], ci[:, 1] - shares]),
        error_kw={"elinewidth": 1.5, "ecolor": "#333333", "capsize": 3},
    )
    for bar, gid in zip(bars, gids, strict=True):
        bar.set_gid(gid)
    size = 15 if len(labels) <= 10 else 13
    for yi, (s, hi) in enumerate(zip(shares, ci[:, 1], strict=True)):
        ax.annotate(percent(s / 100), (hi, yi), xytext=(6, 0), textcoords="offset points", va="center", fontsize=size)
    ax.set_yticks(y, [wrap(s, 34) if len(labels) <= 10 else s for s in labels], fontsize=size)
    ax.invert_yaxis()
    ax.set_xlabel("Share of draws")
    ax.xaxis.set_major_formatter(FuncFormatter(_pct))
    ax.set_xlim(0, max(float(ci[:, 1].max()) if len(ci) else 1.0, 1.0) * 1.15)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
    note = _run_note(result, "error bars: 95% Wilson intervals")
    if never:
        note += f" · {never} of {len(order)} outcomes never reached"
    footnote(fig, note)
    return fig


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
        footnote(fig, _run_note(result))
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
    footnote(fig, _run_note(result, "band: 95% Wilson interval of the running rate; dotted: final estimate"))
    return fig


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
    ax.yaxis.set_major_formatter(FuncFormatter(_pct))
    ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
    lo, hi = float(band[:, 0].min()), float(band[:, 1].max())
    pad = 0.08 * max(hi - lo, 1e-6)
    ax.set_ylim(max(0.0, lo - pad), hi + pad)
    ax.tick_params(labelsize=12 if small else 14)
    ax.grid(color="#EEEEEE")
    if len(x) == 1:
        ax.set_xlim(0, x[0] * 2)


def _pct(x: float, _pos: int) -> str:
    return f"{x:.6g}%"


def _thousands(x: float, _pos: int) -> str:
    return f"{x / 1000:g}k" if x >= 1000 else f"{x:g}"


@styled
def plot_payoffs(result: Result) -> Figure:
    """Distribution of each actor's realised payoff, with the mean marked.

    One histogram per actor on a shared payoff axis, from the sample of
    draws kept in :attr:`Result.payoff_sample`. Payoffs often pile up on a
    single value (the status quo): a bar much taller than the rest is cut
    and labelled with its share, so the rest of the distribution stays
    visible. Without a sample only the mean and standard deviation are drawn.

    Returns
    -------
    Figure
        One axes per actor; each mean line has ``gid="mean:<actor>"``.
    """
    sc = result.scenario
    colors = actor_colors(sc)
    actors = sc.actors
    fig = Figure(figsize=(SIZE[0], max(SIZE[1], 1.45 * len(actors) + 1.2)), layout="constrained")
    fig.suptitle("What each actor gets", x=0.01, ha="left", fontsize=20, fontweight="bold")
    axes = fig.subplots(len(actors), 1, sharex=True, squeeze=False)[:, 0]
    sample = result.payoff_sample
    if sample is not None and sample.size:
        lo, hi = float(sample.min()), float(sample.max())
    else:
        lo = min(result.payoff_mean[a] - 2 * result.payoff_sd[a] for a in sc.actor_ids)
        hi = max(result.payoff_mean[a] + 2 * result.payoff_sd[a] for a in sc.actor_ids)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, 61)
    for k, (ax, actor) in enumerate(zip(axes, actors, strict=True)):
        color = colors[actor.id]
        mean = result.payoff_mean[actor.id]
        if sample is not None and sample.size:
            _histogram(ax, sample[k], edges, color)
        else:
            ax.errorbar(
                [mean], [0.5], xerr=[result.payoff_sd[actor.id]], fmt="none", ecolor=color, elinewidth=3, capsize=8
            )
            ax.set_ylim(0, 1)
        ax.axvline(mean, color="#111111", linewidth=2.5, gid=f"mean:{actor.id}")
        ax.set_ylabel(
            f"{wrap(actor.name, 14)}\nmean {mean:+.3f}\nsd {result.payoff_sd[actor.id]:.3f}",
            rotation=0,
            ha="right",
            va="center",
            fontsize=14,
            color="#222222",
            linespacing=1.3,
        )
        ax.spines[["left"]].set_visible(False)
        if sample is not None and sample.size:  # an axis of its own on the right: share of draws
            ax.yaxis.tick_right()
            ax.spines[["right"]].set_visible(True)
            ax.yaxis.set_major_locator(MaxNLocator(2))
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
            ax.tick_params(axis="y", labelsize=13)
        else:
            ax.set_yticks([])
    axes[-1].set_xlabel("Realised payoff (in the units of the scenario's payoff table)")
    if sample is not None and sample.size:
        note = (
            f"payoffs realised in the first {sample.shape[1]:,} draws · black line: mean over all "
            "draws · right axes: share of draws per bin\nstem with a dot: share of draws with exactly "
            "that payoff (often the status quo)"
        )
    else:
        note = "no sample of draws kept: mean ± one standard deviation"
    footnote(fig, _run_note(result, note))
    return fig


def _histogram(ax: Axes, values: np.ndarray, edges: np.ndarray, color: str) -> None:
    """Shares per bin, with point masses (one exact value in >= 2% of draws) as stems.

    Payoffs pile up on exact values (the status quo is often 0 for everyone);
    binning would smear such a spike and hide the rest, so each point mass is
    drawn as a labelled stem at its exact value, capped at the axes' top.
    """
    n = max(len(values), 1)
    uniq, counts = np.unique(values, return_counts=True)
    heavy = counts / n >= 0.02
    masses = list(zip(uniq[heavy], counts[heavy] / n, strict=True))
    rest = values[~np.isin(values, uniq[heavy])]
    share, _ = np.histogram(rest, bins=edges)
    share = share / n
    ax.bar(
        edges[:-1], share, width=np.diff(edges), align="edge", color=color, alpha=0.85, edgecolor="white", linewidth=0.5
    )
    top = float(share.max()) * 1.3 if share.max() > 0 else max((m for _, m in masses), default=1.0)
    top = max(top, 1e-9)
    ax.set_ylim(0, top)
    for value, mass in sorted(masses, key=lambda vm: -vm[1])[:4]:
        h = min(mass, top * 0.8)
        ax.vlines(value, 0, h, color=color, linewidth=5, zorder=3)
        ax.plot(
            [value],
            [h],
            marker="o",
            markersize=11,
            color=color,
            markeredgecolor="#222222",
            markeredgewidth=1.5,
            zorder=4,
            clip_on=False,
        )
        shown = f"{value:+.3g}" if value else "0"
        right = value > edges[0] + 0.7 * (edges[-1] - edges[0])  # label on the left of the stem
        ax.annotate(
            f"{percent(mass)} exactly {shown}",
            (value, h),
            xytext=(-9 if right else 9, 2),
            textcoords="offset points",
            ha="right" if right else "left",
            va="bottom",
            fontsize=12,
            zorder=5,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
        )
