"""Figures of the analyses: what drives each trap, and where it springs.

Every ``plot_*`` returns a :class:`matplotlib.figure.Figure` in the trapsim
style (:mod:`trapsim.figures.style`); save it with :func:`trapsim.figures.save`.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from trapsim.analysis.discovery import Discovery, number
from trapsim.analysis.drivers import Drivers
from trapsim.analysis.prim import PrimBox
from trapsim.analysis.sensitivity import SensitivityResult
from trapsim.figures.style import (
    GREY,
    PALETTE,
    SIZE,
    axes_title,
    empty_axes,
    fit,
    footnote,
    new_axes,
    percent,
    styled,
    wrap,
)

__all__ = [
    "drivers_figures",
    "plot_box_limits",
    "plot_peeling",
    "plot_sensitivity",
    "plot_sensitivity_overview",
]

_LIGHT = "#9CC9E8"  # a light tint of the palette's blue
_BLUE, _ORANGE, _GREEN, _VERMILION = PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[5]


def _trap_title(result: SensitivityResult | Discovery, trap: str) -> str:
    for t in result.scenario.traps:
        if t.id == trap:
            return t.title
    return trap


def _note(result: SensitivityResult, *, error_bars: bool = True) -> str:
    """The design behind a sensitivity figure, for its footnote."""
    if result.method == "sobol":
        design = f"Sobol' indices · N = {result.samples:,}"
    else:
        design = f"Morris screening · {result.samples:,} trajectories"
    design += f" ({result.evaluations:,} solved games) · seed {result.seed} · solver {result.solver}"
    return f"{design} · error bars: 95% bootstrap intervals" if error_bars else design


@styled
def plot_sensitivity(result: SensitivityResult, trap: str, *, top: int = 12, ax: Axes | None = None) -> Figure:
    """Tornado chart of one trap's sensitivity indices, most influential parameter on top.

    Sobol': the total index ``ST`` (light bar) with the first-order index ``S1``
    inside it (dark bar). Morris: ``mu*`` bars with ``sigma`` as diamonds.
    At most ``top`` parameters are shown.
    """
    fig, ax = new_axes(ax)
    title = _trap_title(result, trap)
    axes_title(ax, f"{title}: what drives it?")
    idx = result.indices[trap]
    ranked = result.ranking(trap)[:top]
    if all(idx[p][result.key] is None for p in ranked):
        empty_axes(
            ax,
            f"{title} has the same probability ({percent(result.mean[trap])}) in every "
            "draw of the design: there is no variation to attribute to parameters.",
        )
        footnote(fig, _note(result))
        return fig
    y = np.arange(len(ranked))[::-1]
    cols = {key: np.array([idx[p][key] or 0.0 for p in ranked]) for key in next(iter(idx.values()))}
    if result.method == "sobol":
        _sobol_bars(ax, y, cols, trap)
    else:
        _morris_bars(ax, y, cols, trap)
    ax.set_yticks(y, ranked)
    ax.set_ylim(-0.7, len(ranked) - 0.3)
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    hidden = len(result.parameters) - len(ranked)
    extra = f" · {hidden} less influential parameters not shown" if hidden > 0 else ""
    mean = percent(result.mean[trap])
    footnote(fig, f"{_note(result)}\nmean P({trap} fires) over the design = {mean}{extra}")
    return fig


def _sobol_bars(ax: Axes, y: np.ndarray, col: dict[str, np.ndarray], trap: str) -> None:
    """Total index ST (light) with the first-order S1 inside it (dark), with intervals and ST written."""
    st, s1 = col["ST"], np.clip(col["S1"], 0, None)
    ax.barh(
        y,
        st,
        height=0.72,
        color=_LIGHT,
        xerr=col["ST_conf"],
        capsize=5,
        error_kw={"ecolor": GREY, "elinewidth": 1.5},
        label="total effect ST (alone and with others)",
    )
    ax.barh(
        y,
        s1,
        height=0.38,
        color=_BLUE,
        xerr=col["S1_conf"],
        capsize=4,
        error_kw={"ecolor": "#222222", "elinewidth": 1.2},
        label="first-order S1 (alone)",
    )
    ax.set_xlabel(f"Share of the variance of P({trap} fires)")
    ax.set_xlim(0, max(1.0, float((st + col["ST_conf"]).max()) * 1.05))
    for yi, v, conf in zip(y, st, col["ST_conf"], strict=True):
        ax.annotate(
            f"{v:.2f}", (v + conf, yi), xytext=(8, 0), textcoords="offset points", va="center", fontsize=13, color=GREY
        )


def _morris_bars(ax: Axes, y: np.ndarray, col: dict[str, np.ndarray], trap: str) -> None:
    """mu* bars with their intervals, sigma as diamonds."""
    mu, sigma = col["mu_star"], col["sigma"]
    ax.barh(
        y,
        mu,
        height=0.62,
        color=_BLUE,
        xerr=col["mu_star_conf"],
        capsize=5,
        error_kw={"ecolor": GREY, "elinewidth": 1.5},
        label="mu*: mean absolute effect",
    )
    ax.scatter(
        sigma,
        y,
        marker="D",
        s=60,
        color=_ORANGE,
        zorder=3,
        label="sigma: spread of effects (interactions, non-linearity)",
    )
    ax.set_xlabel(f"Change in P({trap} fires) when the parameter moves half its range")
    ax.set_xlim(0, float(max(mu.max(), sigma.max())) * 1.15 or 1.0)


@styled
def plot_sensitivity_overview(result: SensitivityResult, *, top: int = 15, ax: Axes | None = None) -> Figure:
    """Heat map of the ranking index, parameters by traps (most influential anywhere on top).

    Sobol': the total index ``ST`` (a share, 0 to 1). Morris: ``mu*`` coloured
    relative to each trap's largest (rare traps have small effects throughout),
    with the values written in the cells.
    """
    fig, ax = new_axes(ax)
    traps = list(result.indices)
    key = result.key
    values = np.array([[result.indices[t][p][key] or 0.0 for t in traps] for p in result.parameters])
    if key == "ST":
        shade, label, fmt = np.clip(values, 0, 1), "total Sobol' index ST", "{:.2f}"
    else:
        top_mu = values.max(axis=0)
        shade = values / np.where(top_mu > 0, top_mu, 1.0)
        label, fmt = "mu* relative to the trap's largest", "{:.3f}"
    order = np.argsort(-shade.max(axis=1), kind="stable")[:top]
    values, shade = values[order], shade[order]
    names = [result.parameters[i] for i in order]
    title = "total Sobol' index ST" if key == "ST" else "Morris mu*"
    axes_title(ax, f"Which assumptions drive which trap ({title})")
    im = ax.imshow(shade, aspect="auto", cmap="Blues", vmin=0, vmax=1)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            color = "white" if shade[i, j] > 0.6 else "#222222"
            ax.text(j, i, fmt.format(values[i, j]), ha="center", va="center", fontsize=12, color=color)
    ax.set_xticks(range(len(traps)), [wrap(_trap_title(result, t), 16) for t in traps])
    ax.set_yticks(range(len(names)), names)
    ax.tick_params(axis="x", top=True, labeltop=True, bottom=False, labelbottom=False)
    ax.spines[["left", "bottom"]].set_visible(False)
    fig.colorbar(im, ax=ax, label=label, shrink=0.8)
    footnote(fig, _note(result, error_bars=False))
    return fig


def _disc_note(d: Discovery) -> str:
    what = "outcome: P(trap fires)" if d.threshold is None else f"outcome: P(fires) >= {d.threshold:g}"
    s = d.settings
    head = f"on {d.draws:,} draws (as many again to test) · seed {d.seed} · {what}"
    if d.method == "cart":
        return f"CART {head} · depth {s['max_depth']} · leaves of at least {s['min_mass']:.0%} of the draws"
    return (
        f"PRIM {head} · peel alpha {s['alpha']:g} · box chosen: highest density with "
        f"coverage >= {s['min_coverage']:.0%}"
    )


def _disc_footnote(fig: Figure, d: Discovery, *lines: str) -> None:
    """The figure's footnote: ``lines`` then the discovery's settings, each fitted to the width."""
    width = fig.get_figwidth() - 0.4
    footnote(fig, "\n".join(fit(t, 12, width) for t in (*lines, _disc_note(d))))


def _no_box(fig: Figure, ax: Axes, d: Discovery) -> Figure:
    """The figure for a box that was not found: the reason, and the settings."""
    empty_axes(ax, d.note or "no box found")
    _disc_footnote(fig, d)
    return fig


def _trajectory(fig: Figure, ax: Axes, raw: PrimBox, cart: bool) -> np.ndarray:
    """The peeling points coloured by parameters restricted, the chosen one ringed, the reported box starred.

    Returns the densities of the points (for the y limit).
    """
    cov = np.array([p.coverage for p in raw.trajectory])
    den = np.array([p.density for p in raw.trajectory])
    nres = np.array([p.restricted for p in raw.trajectory])
    kmax = max(int(nres.max()), 1)
    colors = ListedColormap(colormaps["viridis"](np.linspace(0.0, 0.9, kmax + 1)))
    norm = BoundaryNorm(np.arange(-0.5, kmax + 1.5), colors.N)
    if not cart:
        ax.plot(cov, den, color="#BBBBBB", lw=1.5, zorder=1)
    sc = ax.scatter(cov, den, c=nres, cmap=colors, norm=norm, s=45 if not cart else 90, zorder=2)
    cbar = fig.colorbar(sc, ax=ax, ticks=range(kmax + 1), shrink=0.8)
    cbar.set_label("parameters restricted")
    c = raw.chosen
    if not cart:
        ax.scatter(
            [cov[c]],
            [den[c]],
            s=320,
            facecolors="none",
            edgecolors="#222222",
            linewidths=2,
            zorder=3,
            label="chosen on the trajectory",
        )
    # the reported box, on the same footing as the trajectory (the draws PRIM saw)
    ax.scatter(
        [raw.coverage],
        [raw.density],
        marker="*",
        s=420,
        color=_VERMILION,
        edgecolors="#222222",
        zorder=4,
        label="reported leaf" if cart else "reported box (pasted, simplified)",
    )
    return den


@styled
def plot_peeling(d: Discovery, *, box: int = 0, ax: Axes | None = None) -> Figure:
    """PRIM's peeling trajectory: coverage against density, the chosen box marked.

    Points are coloured by the number of restricted parameters; the ring is the
    box picked on the trajectory, the star the reported box (after pasting and
    dropping limits that cost little density). For CART the points are the
    tree's leaves and the star the reported leaf.
    """
    fig, ax = new_axes(ax)
    title = _trap_title(d, d.trap)
    cart = d.method == "cart"
    what = "CART leaves" if cart else "PRIM's coverage/density trade-off"
    axes_title(ax, f"{title}: where it springs ({what})")
    if box >= len(d.boxes):
        return _no_box(fig, ax, d)
    raw = d.raw[box]
    den = _trajectory(fig, ax, raw, cart)
    ax.axhline(d.rate, color=GREY, ls="--", lw=1.2)
    ax.annotate(
        f"overall: {percent(d.rate)}",
        (0.0, d.rate),
        xytext=(4, 4),
        textcoords="offset points",
        color=GREY,
        fontsize=13,
    )
    ax.annotate(
        f"density {percent(raw.density)}\ncoverage {percent(raw.coverage)}",
        (raw.coverage, raw.density),
        xytext=(18, 22),
        textcoords="offset points",
        fontsize=13,
        va="bottom",
        fontweight="bold",
    )
    ax.set_xlabel(
        "coverage: share of all firings inside the box"
        if d.threshold is None
        else f"coverage: share of draws with P(fires) >= {d.threshold:g} inside the box"
    )
    ax.set_ylabel(
        "density: firing rate inside the box"
        if d.threshold is None
        else f"density: share with P(fires) >= {d.threshold:g}"
    )
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(-0.02, 1.04)
    ax.set_ylim(0, min(1.05, max(float(den.max()), raw.density) * 1.15 + 0.01))
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    _disc_footnote(fig, d)
    return fig


@styled
def plot_box_limits(d: Discovery, *, box: int = 0, ax: Axes | None = None) -> Figure:
    """The box's limits over each restricted parameter's range (most important on top)."""
    fig, ax = new_axes(ax, size=SIZE)
    title = _trap_title(d, d.trap)
    if box >= len(d.boxes):
        axes_title(ax, f"{title}: where it springs")
        return _no_box(fig, ax, d)
    found = d.boxes[box]
    density = percent(found.density)
    if d.threshold is None:
        axes_title(ax, f"{title} fires in {density} of draws in this box (overall {percent(d.rate)})")
    else:
        axes_title(ax, f"{title}: P(fires) >= {d.threshold:g} in {density} of draws in this box")
    names = list(found.limits)
    y = np.arange(len(names))[::-1]
    for yi, name in zip(y, names, strict=True):
        lo_r, hi_r = d.ranges[name]
        span = (hi_r - lo_r) or 1.0
        lo, hi = found.limits[name]
        a, b = (lo - lo_r) / span, (hi - lo_r) / span
        ax.barh(yi, 1.0, left=0.0, height=0.5, color="#E4E4E4")
        ax.barh(yi, b - a, left=a, height=0.5, color=_BLUE)
        ax.text(-0.01, yi, number(lo_r, span), ha="right", va="center", fontsize=12, color=GREY)
        ax.text(1.01, yi, number(hi_r, span), ha="left", va="center", fontsize=12, color=GREY)
        for limit, x, restricts in ((lo, a, lo > lo_r), (hi, b, hi < hi_r)):
            if restricts:  # label only the sides the box actually moves in
                ax.annotate(
                    number(limit, span),
                    (x, yi + 0.25),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=13,
                    fontweight="bold",
                )
    ax.set_yticks(y, names)
    ax.set_xticks([])
    ax.set_xlim(-0.08, 1.08)
    ax.set_ylim(-0.7, len(names) - 0.2)
    ax.spines[["bottom", "left"]].set_visible(False)
    ax.set_xlabel("each parameter's range (grey) and the box (blue)", color=GREY)
    test = (
        f"On fresh draws: density {percent(found.test['density'])}, coverage "
        f"{percent(found.test['coverage'])}, mass {percent(found.test['mass'])}"
    )
    _disc_footnote(fig, d, found.text, test)
    return fig


def drivers_figures(d: Drivers) -> list[tuple[str, str, Figure]]:
    """Every figure of the "What drives each trap" section, ``(slug, caption, Figure)``.

    The overview heat map first (when there are several traps), then per trap
    its tornado, and where PRIM found a box, the box limits and the peeling
    trajectory.
    """
    out: list[tuple[str, str, Figure]] = []
    if len(d.sensitivity.indices) > 1:
        out.append(("drivers", "Which assumptions drive which trap", plot_sensitivity_overview(d.sensitivity)))
    for t in d.traps:
        out.append((f"{t.trap}_sensitivity", f"{t.title}: what drives it", plot_sensitivity(d.sensitivity, t.trap)))
        found = d.discoveries[t.trap]
        if found.boxes:
            out.append((f"{t.trap}_box", f"{t.title}: where it springs", plot_box_limits(found)))
            out.append((f"{t.trap}_peeling", f"{t.title}: PRIM's coverage/density trade-off", plot_peeling(found)))
    return out
