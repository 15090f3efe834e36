"""Figures of a run's numbers: trap rates, outcomes, payoffs (convergence: :mod:`trapsim.figures.convergence`)."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from trapsim.figures.style import (
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
from trapsim.model import Actor, Trap
from trapsim.runner import Result, wilson

__all__ = ["pct_tick", "plot_outcomes", "plot_payoffs", "plot_trap_rates", "run_note", "thousands_tick"]


def run_note(result: Result, what: str = "") -> str:
    note = f"{result.draws:,} draws · seed {result.seed} · solver {result.solver}"
    note += result.settings_text()
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
        footnote(fig, run_note(result))
        return fig
    rates = np.array([result.rate(t.id) or 0.0 for t in traps]) * 100
    ci = np.array([result.ci95(t.id) or (0.0, 0.0) for t in traps]) * 100
    x = np.arange(len(traps))
    top = _trap_bars(ax, result, traps, rates, ci)
    width = max(10, int(96 / len(traps)))
    ax.set_xticks(
        x, [wrap(t.title if t.given is None else f"{t.title} (among {t.denominator()})", width) for t in traps]
    )
    conditional = any(t.given is not None for t in traps)
    ax.set_ylabel(
        "Rate (of the draws named under each bar)" if conditional else "Share of draws in which the trap fires"
    )
    ax.yaxis.set_major_formatter(FuncFormatter(pct_tick))
    ax.set_ylim(0, top * 1.2)
    ax.set_xlim(-0.6, len(traps) - 0.4)
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
    footnote(fig, run_note(result, "error bars: 95% Wilson intervals"))
    return fig


def _trap_bars(ax: Axes, result: Result, traps: list[Trap], rates: np.ndarray, ci: np.ndarray) -> float:
    """One bar per trap with its interval and its rate written above; the top of the highest interval."""
    undefined = set(result.undefined_traps())  # given never held: no bar, "n/a"
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
    return float(max(ci[:, 1].max(), 1.0))


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
    ax.xaxis.set_major_formatter(FuncFormatter(pct_tick))
    ax.set_xlim(0, max(float(ci[:, 1].max()) if len(ci) else 1.0, 1.0) * 1.15)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
    note = run_note(result, "error bars: 95% Wilson intervals")
    if never:
        note += f" · {never} of {len(order)} outcomes never reached"
    footnote(fig, note)
    return fig


def pct_tick(x: float, _pos: int) -> str:
    return f"{x:.6g}%"


def thousands_tick(x: float, _pos: int) -> str:
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
        _payoff_axes(ax, result, k, actor, edges, colors[actor.id])
    axes[-1].set_xlabel("Realised payoff (in the units of the scenario's payoff table)")
    if sample is not None and sample.size:
        note = (
            f"payoffs realised in the first {sample.shape[1]:,} draws · black line: mean over all "
            "draws\nright axes: share of draws per bin · stem with a dot: share of draws with exactly "
            "that payoff (often the status quo)"
        )
    else:
        note = "no sample of draws kept: mean ± one standard deviation"
    footnote(fig, run_note(result, note))
    return fig


def _payoff_axes(ax: Axes, result: Result, k: int, actor: Actor, edges: np.ndarray, color: str) -> None:
    """One actor's histogram (or mean ± sd without a sample), its mean line and its label on the left."""
    sample = result.payoff_sample
    mean = result.payoff_mean[actor.id]
    if sample is not None and sample.size:
        _histogram(ax, sample[k], edges, color)
    else:
        ax.errorbar([mean], [0.5], xerr=[result.payoff_sd[actor.id]], fmt="none", ecolor=color, elinewidth=3, capsize=8)
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
