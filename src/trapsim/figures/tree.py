"""The game tree, laid out left to right on one 16:9 slide (figure 3).

The figure is always 12.8 inches wide (1,280 px on a projector at 100 dpi)
and at most two slides tall, so its cost stays bounded whatever the tree: a
tree too large to show legibly is drawn with parts collapsed into *stubs*
("▸ 10 endings, 0.21% of draws"), never shrunk. Collapsed are, in order:

1. after a run, subtrees reached in fewer than ``collapse`` of the draws;
2. in the equilibrium view, when the tree does not fit, subtrees off the
   equilibrium path;
3. levels beyond what fits across the slide, then (if the tree is still
   too tall) the deepest remaining levels, one at a time.

What is drawn where (layout, collapse, branch data) is in
:mod:`trapsim.figures.treelayout`; this module (about 480 lines, over the
house's 400 because drawing, legend and notes of one figure belong together)
only draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from trapsim.equilibrium import Equilibrium
from trapsim.equilibrium import solve as solve_equilibrium
from trapsim.errors import TrapsimError
from trapsim.explain import traps_at_leaves
from trapsim.figures.style import (
    CHANCE_COLOR,
    GREY,
    actor_colors,
    fit,
    footnote,
    percent,
    styled,
    text_width,
)
from trapsim.figures.treelayout import (
    MAX_ROWS,
    Edge,
    TreeLayout,
    below,
    choose_stubs,
    edges_from_equilibrium,
    edges_from_result,
    in_full,
    layout_tree,
    subtree,
)
from trapsim.model import Scenario
from trapsim.runner import Result
from trapsim.solver import Tree

__all__ = ["COLLAPSE", "MAX_ROWS", "TRAP_COLORS", "TreeLayout", "layout_tree", "plot_tree"]

_WIDTH = 12.8  # inches: one 16:9 slide, 1,280 px at 100 dpi
_MAX_HEIGHT = 14.4  # two slides
_FONT = 12.0  # edge and leaf labels: 16.7 px when shown 1,280 px wide
_SMALL = 10.5  # secondary numbers and node names: 14.6 px
_TITLE = 19.0
_COL_MIN = 1.05  # inches per level, at least
_DIAG = 0.2  # share of a column taken by the diagonal part of an edge
_ROOT_LABEL = 1.9  # inches: the root's label, left of it
_TOP = 1.9  # inches above and below the rows: title, legend, footnote
#: Share of draws under which a run figure collapses a subtree by default.
COLLAPSE = 0.01


@dataclass
class _Drawing:
    """Everything :func:`plot_tree` needs, computed before any drawing."""

    scenario: Scenario
    tree: Tree
    result: Result | None
    equilibrium: Equilibrium | None
    edges: list[Edge]
    reach: dict[int, float]
    stubs: list[int]
    lay: TreeLayout
    leaf_text: dict[int, str]
    traps: dict[str, set[int]]
    at: str | None = None


def _prepare(
    source: Scenario | Result,
    equilibrium: Equilibrium | None,
    solve: bool,
    collapse: float | None,
    at: str | None = None,
) -> _Drawing:
    scenario, result = (source.scenario, source) if isinstance(source, Result) else (source, None)
    tree, full, start = subtree(scenario, at)
    if result is not None:
        edges, reach = edges_from_result(tree, result)
        if at is not None:  # the share of all draws arriving at the first node drawn
            reach[0] = sum(result.edge_counts.get(at, [])) / result.draws
    else:
        if equilibrium is None and solve:
            try:
                equilibrium = solve_equilibrium(
                    scenario, solver=scenario.simulation.solver, rationality=scenario.simulation.rationality
                )
            except TrapsimError:  # a scenario that cannot be solved at central values
                equilibrium = None
        edges, reach = edges_from_equilibrium(tree, equilibrium)
    leaves, inner, _ = below(tree)
    names = sorted({_leaf_name(scenario, tree, i) for i in tree.leaves}, key=len)[-40:]  # the longest
    leaf_w = max(text_width(name, _FONT) for name in names)
    leaf_w = min(leaf_w, 3.4) + 0.3
    levels = max(1, int((_WIDTH - 0.5 - leaf_w) / _COL_MIN))
    stubs = choose_stubs(
        tree, reach, collapse=collapse, off_path=result is None and equilibrium is not None, levels=levels
    )
    lay = layout_tree(tree, stubs)
    shown = [i for i in range(len(tree.positions)) if not np.isnan(lay.x[i])]
    ends = [i for i in shown if tree.positions[i].kind == "leaf"]
    traps: dict[str, set[int]] = {}
    if equilibrium is not None or result is not None:
        eq = equilibrium
        if eq is None:
            try:
                eq = solve_equilibrium(
                    scenario, solver=scenario.simulation.solver, rationality=scenario.simulation.rationality
                )
            except TrapsimError:
                eq = None
        if eq is not None and ends and scenario.traps:
            fired = traps_at_leaves(eq, [in_full(tree, full, start, i) for i in ends])
            traps = {t: {ends[j] for j in np.flatnonzero(v)} for t, v in fired.items() if v.any()}
    texts = {}
    for i in shown:
        if i in stubs:
            texts[i] = _stub_text(tree.positions[i].name, leaves[i], inner[i], reach.get(i, 0.0), result is not None)
        elif tree.positions[i].kind == "leaf":
            texts[i] = _leaf_text(scenario, tree, i, reach, result, equilibrium)
    return _Drawing(scenario, tree, result, equilibrium, edges, reach, stubs, lay, texts, traps, at)


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
    """Draw the game tree left to right on a 16:9 slide (taller for big trees).

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
        Draw the game from this node on (a panel linked to a collapsed stub,
        which names its node): shares stay shares of all draws, probabilities
        are conditional on reaching it.
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
    d = _prepare(source, equilibrium, solve, collapse, at)
    lay = d.lay
    left = max(_root_width(d), 0.3)  # inches left of the root: its label
    col = min((_WIDTH - 0.2 - left - _leaf_width(d)) / max(lay.depth, 1), 2.4)
    row_h = _row_height(d)
    height = min(max(row_h * lay.rows + _TOP, 7.2), _MAX_HEIGHT)
    if ax is None:
        fig = Figure(figsize=(_WIDTH, height), layout="constrained")
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
    ax.set_xlim(-left / col, lay.depth + _leaf_width(d) / col)
    ax.set_ylim(max(lay.rows, 1) - 0.4, -0.8)
    part = f" from {d.scenario.label_of('node', at)} on" if at else ""
    fig.suptitle(
        fit(f"Game tree{part}: {d.scenario.title}", _TITLE, _WIDTH - 0.4, bold=True),
        x=0.01,
        ha="left",
        fontsize=_TITLE,
        fontweight="bold",
    )
    _legend(ax, d)
    footnote(fig, fit(_tree_note(d), 11, _WIDTH - 0.3), size=11)
    return fig


def _leaf_width(d: _Drawing) -> float:
    rings = 4 * max((sum(i in fired for fired in d.traps.values()) for i in d.leaf_text), default=0) / 72
    # (each ring moves an ending's text right by 4 points)
    return min(max((text_width(t, _FONT) for t in d.leaf_text.values()), default=1.0), 3.6) + 0.35 + rings


def _root_width(d: _Drawing) -> float:
    p = d.tree.positions[0]
    return text_width(_node_name(d.scenario, p.id, p.name, _ROOT_LABEL), _SMALL) + 0.15


def _row_height(d: _Drawing) -> float:
    lines = max((t.count("\n") + 1 for t in d.leaf_text.values()), default=1)
    return 0.22 + 0.2 * max(lines, 2)


def _draw_edges(ax: Axes, d: _Drawing, col: float) -> None:
    tree, lay = d.tree, d.lay
    r = 0.14 / col  # a node marker's radius, in columns
    room = col * (1 - _DIAG) - 0.14 - 0.1  # the horizontal part of an edge, up to the child's marker
    for e in d.edges:
        if np.isnan(lay.x[e.child]):
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
            [x0, x0 + _DIAG, x1],
            [y0, y1, y1],
            color=color,
            linewidth=lw,
            alpha=alpha,
            linestyle=style,
            solid_capstyle="round",
            gid=f"edge:{e.parent}-{e.child}",
            zorder=1,
        )
        mid = (x0 + _DIAG + x1 - r) / 2
        action = d.scenario.action_label(tree.positions[e.parent].id, e.action)
        if e.given is None:
            label = action
        elif d.result is None:  # a probability at central values, not a share of draws
            label = f"{action} (p={e.given:.2f})"
        else:
            label = f"{action} {percent(e.given)}"
        ax.text(
            mid,
            y1 - 0.1,
            fit(label, _FONT, room, bold=e.strong),
            ha="center",
            va="bottom",
            fontsize=_FONT,
            color="#111111" if e.strong or e.path else GREY,
            fontweight="bold" if e.strong else "normal",
            zorder=3,
            linespacing=1.0,
        )
        overall = e.overall
        if (
            d.result is not None
            and overall is not None
            and e.given is not None
            and abs(overall - e.given) > 1e-12
            and tree.positions[e.child].kind != "leaf"
        ):
            ax.text(
                mid, y1 + 0.08, f"({percent(overall)})", ha="center", va="top", fontsize=_SMALL, color=GREY, zorder=3
            )


def _owner_color(d: _Drawing, i: int) -> str:
    p = d.tree.positions[i]
    if p.kind != "decision":
        return CHANCE_COLOR
    return actor_colors(d.scenario)[d.tree.actors[p.owner]]


#: Colours of trap rings: dark, so that they differ from the actors' Okabe-Ito colours.
TRAP_COLORS = ("#B2182B", "#5E3C99", "#000000", "#1B7837", "#8C510A", "#2166AC")


def _trap_colors(scenario: Scenario) -> dict[str, str]:
    return {t.id: TRAP_COLORS[k % len(TRAP_COLORS)] for k, t in enumerate(scenario.traps)}


def _draw_nodes(ax: Axes, d: _Drawing, col: float) -> None:
    tree, lay = d.tree, d.lay
    tcol = _trap_colors(d.scenario)
    for i, p in enumerate(tree.positions):
        if np.isnan(lay.x[i]):
            continue
        x, y = lay.x[i], lay.y[i]
        if i in d.leaf_text:
            stub = p.kind != "leaf"
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
            ax.annotate(
                d.leaf_text[i],
                (x, y),
                xytext=(9 + 4 * len(rings), 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=_FONT,
                color="#111111" if live and not stub else GREY,
                zorder=3,
                linespacing=1.05,
                style="italic" if stub else "normal",
            )
            continue
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
        if d.result is None or i == 0:  # after a run, the colour says who decides
            name = _node_name(d.scenario, p.id, p.name, _ROOT_LABEL if i == 0 else 0.92 * col - 0.2)
            ax.text(
                x - 0.08,
                y + 0.2,
                name,
                ha="right",
                va="top",
                fontsize=_SMALL,
                color=GREY,
                style="italic",
                zorder=3,
                linespacing=1.0,
            )


def _node_name(scenario: Scenario, node: str, name: str, inches: float) -> str:
    """A node's label, under its incoming branch and clear of the parent's marker (``inches`` wide at most).

    A copy's history (``[a,b]``) is on a line of its own, so that copy labels stay narrow.
    """
    text = fit(scenario.label_of("node", node), _SMALL, inches)
    if name != node:  # a copy of a shared node: "[a,b]" after the label (see trapsim.unfolding)
        text += "\n" + fit(name[len(node) :], _SMALL, inches)
    return text


def _leaf_name(scenario: Scenario, tree: Tree, i: int) -> str:
    return scenario.label_of("outcome", tree.positions[i].id)


def _leaf_text(
    scenario: Scenario, tree: Tree, i: int, reach: Mapping[int, float], result: Result | None, eq: Equilibrium | None
) -> str:
    name = _leaf_name(scenario, tree, i)
    if result is not None:
        return f"{name}  {percent(reach.get(i, 0.0))}"
    if eq is None:
        return name
    p = tree.positions[i]
    parent = tree.positions[p.parent]
    pay = eq.node_values[parent.name][parent.actions[p.action_in_parent]]
    return name + "\n" + "  ".join(_signed(pay[a]) for a in tree.actors)


def _signed(v: float) -> str:
    if abs(v) < 5e-3:
        return "0"
    return f"{v:+.2f}".replace("-", "\u2212")


def _stub_text(node: str, leaves: int, inner: int, share: float, run: bool) -> str:
    what = f"{node}: {leaves} endings" + (f", {inner} nodes" if inner > 1 else "")
    if run:
        return f"{what} collapsed: {percent(share)} of draws"
    return f"{what} collapsed"


def _legend(ax: Axes, d: _Drawing) -> None:
    tree, scenario = d.tree, d.scenario
    colors = actor_colors(scenario)
    owners = {tree.actors[p.owner] for p in tree.positions if p.kind == "decision"}
    handles = [
        Line2D([], [], marker="o", linestyle="", markersize=13, color=colors[a.id], label=a.name)
        for a in scenario.actors
        if a.id in owners
    ]
    if any(p.kind == "chance" for p in tree.positions):
        handles.append(Line2D([], [], marker="D", linestyle="", markersize=11, color=CHANCE_COLOR, label="chance"))
    tcol = _trap_colors(scenario)
    handles += [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=15,
            markerfacecolor="none",
            markeredgecolor=tcol[t.id],
            markeredgewidth=3,
            label=t.title,
        )
        for t in scenario.traps
        if t.id in d.traps
    ]
    if d.stubs:
        handles.append(Line2D([], [], marker=">", linestyle="", markersize=11, color=GREY, label="collapsed"))
    ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),  # the axes start near the figure's left edge (the root's label is inside)
        ncols=_legend_columns([str(h.get_label()) for h in handles]),
        fontsize=_FONT,
        handletextpad=0.4,
        columnspacing=1.2,
        borderaxespad=0.2,
    )


def _legend_columns(labels: list[str]) -> int:
    """The most columns (at most 5) with which the legend, filled column by column, fits across the figure."""
    for n in range(min(len(labels), 5), 1, -1):
        rows, large = divmod(len(labels), n)  # matplotlib's columns: the first `large` ones one longer
        ends = np.cumsum([rows + 1] * large + [rows] * (n - large))
        sizes = np.diff([0, *ends])
        widths = [max(text_width(t, _FONT) for t in labels[e - r : e]) for e, r in zip(ends, sizes, strict=True)]
        if sum(widths) + n * (0.45 + 0.2) <= _WIDTH - 0.3:  # handle and spacing, per column
            return n
    return 1


def _tree_note(d: _Drawing) -> str:
    result, eq = d.result, d.equilibrium
    ring = " · rings: traps that fire on that path at central values" if d.traps else ""
    if d.stubs:
        ring += " · a collapsed part is drawn by trapsim tree --at NODE"
    if d.at and result is None:
        ring += f" · probabilities given that {d.at} is reached"
    if result is not None:
        fixed = "".join(f" · {k} = {v:g}" for k, v in result.values.items())
        cut = f" · collapsed: reached in under {percent(COLLAPSE)} of draws" if d.stubs else ""
        return (
            f"{result.draws:,} draws · seed {result.seed} · solver {result.solver}{fixed} · "
            "each branch: share of the draws arriving at its node, then (in brackets) of all "
            f"draws; endings: share of all draws{cut}{ring}"
        )
    if eq is not None:
        names = {a.id: a.name for a in d.scenario.actors}
        order = ", ".join(names[a] for a in d.tree.actors)
        return (
            f"equilibrium at central values (trapsim solve, {eq.solver}): bold, each decision's "
            f"choice; dashed, off the path; chance branches with their probability · payoffs at "
            f"each ending: {order}{ring}"
        )
    return "structure only: no run, no equilibrium"
