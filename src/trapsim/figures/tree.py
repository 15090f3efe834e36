"""The game tree, laid out left to right on 16:9 slides (figure 3).

Each figure is 12.8 inches wide (1,280 px on a projector at 100 dpi) and,
unless a single level has too many branches, one slide (7.2 inches) tall:
a tree too large to show legibly is never shrunk. Parts are collapsed into
*stubs* ("▸ 10 endings, 0.21% of draws"), in order:

1. after a run, subtrees reached in fewer than ``collapse`` of the draws;
2. levels beyond what fits across the slide, then (if the tree is still too
   tall) the deepest remaining levels, one at a time.

:func:`plot_tree_panels` continues the largest stubs in further panels (B,
C, ...: one slide each, every stub saying where it continues); :func:`plot_tree`
draws the first panel alone. What is drawn where is in
:mod:`trapsim.figures.treelayout`, what the figure says in
:mod:`trapsim.figures.treetext`; this module draws.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from trapsim.equilibrium import Equilibrium
from trapsim.figures.style import CHANCE_COLOR, GREY, actor_colors, fit, footnote, percent, styled
from trapsim.figures.treelayout import MAX_ROWS, TreeLayout, layout_tree
from trapsim.figures.treepanel import (
    COLLAPSE,
    DIAG,
    PANELS,
    ROOT_LABEL,
    Drawing,
    node_name,
    prepare,
    shows_overall,
    title,
    title_size,
)
from trapsim.figures.treetext import FONT, SMALL, TRAP_COLORS, WIDTH, legend, node_label, trap_colors, tree_note
from trapsim.model import Scenario
from trapsim.runner import Result

__all__ = [
    "COLLAPSE",
    "MAX_ROWS",
    "PANELS",
    "TRAP_COLORS",
    "TreeLayout",
    "layout_tree",
    "plot_tree",
    "plot_tree_panels",
]


@styled
def plot_tree(
    source: Scenario | Result,
    *,
    equilibrium: Equilibrium | None = None,
    solve: bool = True,
    collapse: float | None = None,
    at: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Draw the game tree left to right on a 16:9 slide: the first panel of :func:`plot_tree_panels`.

    Decision nodes are circles in their owner's colour, chance nodes grey
    diamonds, endings small squares; an ending where a trap fires (at the
    central values) is ringed in the trap's colour.

    Parameters
    ----------
    source
        A :class:`~trapsim.runner.Result`: each branch is labelled with the
        share of the draws *arriving* at its node that take it, and (smaller)
        the share of all draws; line widths follow the share of all draws,
        and endings show theirs. A :class:`~trapsim.model.Scenario`: the
        equilibrium at central values (bold: each decision's choice; chance
        branches with their probability), with each ending's payoffs.
    equilibrium
        The equilibrium to show (default: solved at central values).
    solve
        With a scenario and no ``equilibrium``: solve at central values
        (``False``: structure only).
    collapse
        Draw subtrees reached in fewer than this share of draws as one stub
        (default 0.01 after a run; none in the equilibrium view, where only
        a tree too large for the slide is collapsed, off the path first).
    at
        Draw the game from this node on (a copy of a shared node by its
        copy name, ``fight[push_annexed,alone]``): shares stay shares of all
        draws, probabilities are conditional on reaching it.
    ax
        Draw into these axes instead of a new figure.

    Returns
    -------
    Figure
        Node markers carry ``gid="node:<position>"``, edges
        ``gid="edge:<parent>-<child>"`` (positions in pre-order, as in
        :func:`trapsim.solver.build_tree`).
    """
    if collapse is None and isinstance(source, Result):
        collapse = COLLAPSE if at is None else 0.0  # a part asked for is drawn whole
    return _draw(prepare(source, equilibrium, solve, collapse, at, 1)[0], ax)


@styled
def plot_tree_panels(
    source: Scenario | Result,
    *,
    equilibrium: Equilibrium | None = None,
    solve: bool = True,
    collapse: float | None = None,
    at: str | None = None,
    most: int = PANELS,
) -> list[Figure]:
    """The game tree as linked panels, one slide each: A (from the root, or ``at``), then B, C, ...

    Each stub continued in another panel says so ("▸ panel B"); the panels
    continue the stubs reached in the most draws (after a run) or most
    likely if play reached them (in the equilibrium view, a choice off the
    path counting as a rare tremble), at most ``most`` panels in all. Other
    arguments as for :func:`plot_tree`.
    """
    if collapse is None and isinstance(source, Result):
        collapse = COLLAPSE if at is None else 0.0
    return [_draw(d, None) for d in prepare(source, equilibrium, solve, collapse, at, most)]


def _draw(d: Drawing, ax: Axes | None) -> Figure:
    lay, left, col = d.lay, d.left, d.col
    if ax is None:
        fig = Figure(figsize=(WIDTH, d.height), layout="constrained")
        ax = fig.add_subplot()
    else:
        f = ax.get_figure()
        while f is not None and not isinstance(f, Figure):
            f = f.get_figure()
        assert isinstance(f, Figure)
        fig = f
    ax.set_axis_off()
    _draw_edges(ax, d, col)
    _draw_nodes(ax, d, col)
    ax.set_xlim(-left / col, lay.depth + d.right / col)
    top, bottom = np.nanmin(lay.y), np.nanmax(lay.y)
    ax.set_ylim(bottom + 0.6, top - 0.8)
    fig.suptitle(title(d), x=0.01, ha="left", fontsize=title_size(d), fontweight="bold")
    shown = [int(i) for i in np.flatnonzero(~np.isnan(lay.x)) if d.tree.positions[int(i)].kind != "leaf"]
    legend(ax, d.scenario, d.tree, d.traps, bool(d.panel.stubs), [i for i in shown if i not in d.panel.stubs])
    footnote(fig, fit(_note(d), 11, WIDTH - 0.9), size=11)
    return fig


def _note(d: Drawing) -> str:
    rings = bool(d.traps)
    stubs = bool(d.panel.stubs)
    given = node_label(d.scenario, d.tree, d.panel.root) if d.at is not None else None
    note = tree_note(
        d.scenario, d.tree, d.result, d.equilibrium, rings=rings, stubs=stubs, given=given, collapse=COLLAPSE
    )
    if d.panel.letter != "A":
        given_text = "" if d.result is not None else "; probabilities given that its first node is reached"
        note = f"Continues panel {d.parent}{given_text} · " + note
    elif stubs and not d.panel.links:
        copies = any(d.tree.positions[i].name != d.tree.positions[i].id for i in d.panel.stubs)
        hint = " NODE[history] (the copy names: trapsim explain --json)" if copies else " NODE"
        note += f" · a collapsed part: trapsim tree --at{hint}"
    return note


def _draw_edges(ax: Axes, d: Drawing, col: float) -> None:
    tree, lay = d.tree, d.lay
    r = 0.14 / col  # a node marker's radius, in columns
    for e in d.edges:
        if e.child not in d.labels:
            continue
        x0, y0, x1, y1 = lay.x[e.parent], lay.y[e.parent], lay.x[e.child], lay.y[e.child]
        chance = tree.positions[e.parent].kind == "chance"
        color = CHANCE_COLOR if chance else _owner_color(d, e.parent)
        if d.result is not None:
            lw = 1.2 + 10.0 * (e.overall or 0.0)
            alpha = 1.0 if e.strong or chance else 0.5
        else:
            lw = 4.0 if e.strong and e.path else 2.6 if e.strong else 1.5
            alpha = 1.0 if e.strong or chance else 0.5
            if not e.strong and not chance:
                color = "#9A9A9A"
        style = "-" if e.path or e.strong else (0, (3, 2))
        ax.plot(
            [x0, x0 + DIAG, x1],
            [y0, y1, y1],
            color=color,
            linewidth=lw,
            alpha=alpha,
            linestyle=style,
            solid_capstyle="round",
            gid=f"edge:{e.parent}-{e.child}",
            zorder=1,
        )
        mid = (x0 + DIAG + x1 - r) / 2
        text, bold = d.labels[e.child]
        ax.text(
            mid,
            y1 - 0.1,
            text,
            ha="center",
            va="bottom",
            fontsize=FONT,
            color="#111111" if e.strong or e.path else GREY,
            fontweight="bold" if bold else "normal",
            zorder=3,
            linespacing=1.0,
        )
        if shows_overall(d, e):
            ax.text(mid, y1 + 0.08, f"({percent(e.overall or 0.0)})", ha="center", va="top", fontsize=SMALL, color=GREY)


def _owner_color(d: Drawing, i: int) -> str:
    p = d.tree.positions[i]
    if p.kind != "decision":
        return CHANCE_COLOR
    return actor_colors(d.scenario)[d.tree.actors[p.owner]]


def _draw_ending(ax: Axes, d: Drawing, i: int) -> None:
    """An ending or a stub: its marker, its trap rings and its text."""
    x, y = d.lay.x[i], d.lay.y[i]
    tcol = trap_colors(d.scenario)
    stub = d.tree.positions[i].kind != "leaf"
    rings = [t for t in tcol if i in d.traps.get(t, ())]
    for k, t in enumerate(rings):
        ax.plot(
            [x],
            [y],
            marker="o",
            markersize=17 + 7 * k,
            markerfacecolor="none",
            markeredgecolor=tcol[t],
            markeredgewidth=3,
            zorder=4,
        )
    ax.plot(
        [x],
        [y],
        marker=">" if stub else "s",
        markersize=11 if stub else 9,
        color=GREY if stub else "#333333",
        gid=f"node:{i}",
        zorder=5,
    )
    live = d.reach.get(i, 0.0) > 0 or (d.result is None and d.equilibrium is None)
    linked = i in d.panel.links
    ax.annotate(
        d.leaf_text[i],
        (x, y),
        xytext=(9 + 4 * len(rings), 0),
        textcoords="offset points",
        ha="left",
        va="center",
        fontsize=FONT,
        color="#111111" if (live and not stub) or linked else GREY,
        fontweight="bold" if linked else "normal",
        zorder=3,
        linespacing=1.05,
        style="italic" if stub and not linked else "normal",
    )


def _draw_nodes(ax: Axes, d: Drawing, col: float) -> None:
    tree, lay = d.tree, d.lay
    for i, p in enumerate(tree.positions):
        if np.isnan(lay.x[i]):
            continue
        if i in d.leaf_text:
            _draw_ending(ax, d, i)
            continue
        x, y = lay.x[i], lay.y[i]
        marker, size = ("D", 16) if p.kind == "chance" else ("o", 20)
        ax.plot(
            [x],
            [y],
            marker=marker,
            markersize=size,
            color=_owner_color(d, i),
            markeredgecolor="white",
            markeredgewidth=2,
            gid=f"node:{i}",
            zorder=4,
        )
        if d.result is None or i == d.panel.root:  # after a run, the colour says who decides
            name = node_name(d, i, ROOT_LABEL if i == d.panel.root else 0.92 * col - 0.2)
            ax.text(
                x - 0.08,
                y + 0.2,
                name,
                ha="right",
                va="top",
                fontsize=SMALL,
                color=GREY,
                style="italic",
                zorder=3,
                linespacing=1.0,
            )
