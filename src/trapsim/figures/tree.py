"""The game tree, laid out left to right (figure 3)."""

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
from trapsim.figures.style import (
    CHANCE_COLOR,
    GREY,
    actor_colors,
    fit,
    footnote,
    percent,
    styled,
    text_width,
    wrap,
)
from trapsim.model import Scenario
from trapsim.runner import Result
from trapsim.solver import Tree, build_tree

__all__ = ["TreeLayout", "layout_tree", "plot_tree"]

_FONT_EDGE = 15
_FONT_LEAF = 16
_FONT_NODE = 12.5
_DIAG = 0.22  # share of a column taken by the diagonal part of an edge


@dataclass(frozen=True, slots=True)
class TreeLayout:
    """Coordinates of every position: ``x`` is the depth, ``y`` the row (0 at the top).

    Leaves take one row each, in pre-order; an inner node sits midway
    between its first and last child, so two positions at the same depth
    are always at least one row apart.
    """

    x: np.ndarray  # (positions,)
    y: np.ndarray  # (positions,)
    rows: int
    depth: int


def layout_tree(tree: Tree) -> TreeLayout:
    """Left-to-right layout of ``tree`` (see :class:`TreeLayout`)."""
    n = len(tree.positions)
    x = np.zeros(n)
    y = np.zeros(n)
    for i, p in enumerate(tree.positions):  # pre-order: parents before children
        if p.parent >= 0:
            x[i] = x[p.parent] + 1
    row = 0
    for i, p in enumerate(tree.positions):
        if p.kind == "leaf":
            y[i] = row
            row += 1
    for i in reversed(range(n)):  # children before parents
        p = tree.positions[i]
        if p.children:
            y[i] = (y[p.children[0]] + y[p.children[-1]]) / 2
    return TreeLayout(x, y, row, int(x.max()) if n else 0)


@dataclass(frozen=True, slots=True)
class _Edge:
    parent: int
    child: int
    action: str
    share: float | None  # share of draws taking the edge (after a run)
    prob: float | None  # probability at central values (equilibrium view)
    strong: bool  # highlighted
    path: bool  # on the equilibrium path / taken in some draw


def _edges_from_result(tree: Tree, result: Result) -> tuple[list[_Edge], dict[int, float]]:
    edges: list[_Edge] = []
    reach = {0: 1.0}
    for i in tree.inner:
        pos = tree.positions[i]
        counts = np.asarray(result.edge_counts.get(pos.id, [0] * len(pos.children)), dtype=float)
        best = int(np.argmax(counts)) if counts.sum() > 0 else -1
        for k, (c, a) in enumerate(zip(pos.children, pos.actions, strict=True)):
            share = counts[k] / result.draws
            reach[c] = share
            strong = k == best and pos.kind == "decision"
            edges.append(_Edge(i, c, a, share, None, strong, counts[k] > 0))
    return edges, reach


def _edges_from_equilibrium(tree: Tree, eq: Equilibrium | None) -> tuple[list[_Edge], dict[int, float]]:
    edges: list[_Edge] = []
    reach = {0: 1.0}
    for i in tree.inner:
        pos = tree.positions[i]
        probs: Mapping[str, float] = eq.action_probabilities.get(pos.id, {}) if eq else {}
        chosen = eq.strategy.get(pos.id) if eq else None
        for c, a in zip(pos.children, pos.actions, strict=True):
            p = probs.get(a)
            reach[c] = reach[i] * (p if p is not None else 0.0)
            strong = pos.kind == "decision" and a == chosen
            edges.append(_Edge(i, c, a, None, p if pos.kind == "chance" else None, strong, reach[c] > 0))
    return edges, reach


def _source(source: Scenario | Result) -> tuple[Scenario, Result | None]:
    if isinstance(source, Result):
        return source.scenario, source
    return source, None


@styled
def plot_tree(
    source: Scenario | Result,
    *,
    equilibrium: Equilibrium | None = None,
    solve: bool = True,
    ax: Axes | None = None,
) -> Figure:
    """Draw the game tree left to right, sized to the tree.

    Decision nodes are circles in their owner's colour, chance nodes grey
    diamonds, leaves small squares labelled with the outcome id.

    Parameters
    ----------
    source
        A :class:`~trapsim.runner.Result`: every edge is labelled with the
        share of draws that took it, drawn with a width proportional to it,
        and the most-taken branch at each node is highlighted; leaves show
        their share. A :class:`~trapsim.model.Scenario`: the structure, with
        the equilibrium at central values highlighted (the choice at every
        decision node, thick on the equilibrium path) and chance edges
        labelled with their probability at central values.
    equilibrium
        The equilibrium to highlight (default: solved at central values).
    solve
        With a scenario and no ``equilibrium``: solve at central values
        (``False``: structure only).
    ax
        Draw into these axes instead of a new figure sized to the tree.

    Returns
    -------
    Figure
        Node markers carry ``gid="node:<position>"``, edges
        ``gid="edge:<parent>-<child>"`` (positions in pre-order, as in
        :func:`trapsim.solver.build_tree`).
    """
    scenario, result = _source(source)
    tree = build_tree(scenario)
    lay = layout_tree(tree)
    if result is not None:
        edges, reach = _edges_from_result(tree, result)
    else:
        if equilibrium is None and solve:
            try:
                equilibrium = solve_equilibrium(
                    scenario, solver=scenario.simulation.solver, rationality=scenario.simulation.rationality
                )
            except TrapsimError:  # a scenario that cannot be solved at central values
                equilibrium = None
        edges, reach = _edges_from_equilibrium(tree, equilibrium)
    colors = actor_colors(scenario)
    owner_color = [colors[tree.actors[p.owner]] if p.kind == "decision" else CHANCE_COLOR for p in tree.positions]

    raw = {e.child: _edge_text(e) for e in edges}
    widest = max([text_width(t, _FONT_EDGE, bold=True) for t in raw.values()] or [1.0])
    col = min(max((widest + 0.3) / (1 - _DIAG), 1.9), 3.2)  # inches per level
    room = col * (1 - _DIAG) - 0.25
    texts = {c: fit(t, _FONT_EDGE, room, bold=True) for c, t in raw.items()}
    lines_above = max([t.count("\n") + 1 for t in texts.values()] or [1])
    row_h = 0.25 * (lines_above + 1) + 0.1
    leaf_text = {i: _leaf_text(tree, i, reach, result is not None) for i in tree.leaves}
    leaf_w = max(
        (text_width(t, _FONT_LEAF) + 0.3 - (lay.depth - lay.x[i]) * col for i, t in leaf_text.items()), default=0.0
    )
    leaf_w = max(leaf_w, 0.0)
    width = 0.6 + col * max(lay.depth, 1) + leaf_w + 0.3
    height = row_h * max(lay.rows, 2) + 1.6
    if ax is None:
        fig = Figure(figsize=(max(width, 12.8), max(height, 7.2)), layout="constrained")
        ax = fig.add_subplot()
    else:
        f = ax.get_figure()
        assert isinstance(f, Figure)
        fig = f
    ax.set_axis_off()

    strong_w = 4.0
    for e in edges:
        x0, y0, x1, y1 = lay.x[e.parent], lay.y[e.parent], lay.x[e.child], lay.y[e.child]
        xs = [x0, x0 + _DIAG, x1]
        ys = [y0, y1, y1]
        color = owner_color[e.parent]
        if e.share is not None:
            lw = 1.0 + 12.0 * e.share
            alpha = 1.0 if e.strong else 0.8 if tree.positions[e.parent].kind == "chance" else 0.45
            style = "-" if e.path else (0, (2, 2))
        else:
            lw = (strong_w if e.path else 2.6) if e.strong else 1.4
            alpha = 1.0 if e.strong or tree.positions[e.parent].kind == "chance" else 0.45
            if not e.strong and tree.positions[e.parent].kind == "decision":
                color = "#9A9A9A"
            style = "-" if e.path or e.strong else (0, (3, 2))
        ax.plot(
            xs,
            ys,
            color=color,
            linewidth=lw,
            alpha=alpha,
            linestyle=style,
            solid_capstyle="round",
            gid=f"edge:{e.parent}-{e.child}",
            zorder=1,
        )
        ax.text(
            (x0 + _DIAG + x1) / 2 - 0.06,
            y1 - 0.08,
            texts[e.child],
            ha="center",
            va="bottom",
            fontsize=_FONT_EDGE,
            color="#111111" if e.strong or e.path else GREY,
            fontweight="bold" if e.strong else "normal",
            zorder=3,
            linespacing=1.0,
        )

    for i, p in enumerate(tree.positions):
        x, y = lay.x[i], lay.y[i]
        if p.kind == "leaf":
            ax.plot([x], [y], marker="s", markersize=9, color="#333333", gid=f"node:{i}", zorder=4)
            ax.text(
                x + 0.07,
                y,
                leaf_text[i],
                ha="left",
                va="center",
                fontsize=_FONT_LEAF,
                color="#111111" if reach.get(i, 0) > 0 else GREY,
                zorder=3,
            )
            continue
        marker, size = ("D", 17) if p.kind == "chance" else ("o", 21)
        ax.plot(
            [x],
            [y],
            marker=marker,
            markersize=size,
            color=owner_color[i],
            markeredgecolor="white",
            markeredgewidth=2,
            gid=f"node:{i}",
            zorder=4,
        )
        if i > 0:
            ax.text(
                x - 0.1,
                y + 0.1,
                fit(p.id, _FONT_NODE, room + 0.3),
                ha="right",
                va="top",
                fontsize=_FONT_NODE,
                color=GREY,
                style="italic",
                zorder=3,
                linespacing=1.0,
            )
        else:
            ax.text(
                x,
                y + 0.32,
                wrap(p.id, 16),
                ha="center",
                va="top",
                fontsize=_FONT_NODE,
                color=GREY,
                style="italic",
                zorder=3,
            )

    ax.set_xlim(-0.25, lay.depth + leaf_w / col + 0.1)
    ax.set_ylim(max(lay.rows, 1) - 0.4, -0.7)
    fig.suptitle(wrap(f"Game tree: {scenario.title}", 100), x=0.01, ha="left", fontsize=22, fontweight="bold")
    _legend(ax, scenario, tree, colors, result is not None, equilibrium is not None)
    footnote(fig, _tree_note(result, equilibrium), size=15 if fig.get_figwidth() > 20 else 12)
    return fig


def _edge_text(e: _Edge) -> str:
    if e.share is not None:
        return f"{e.action} {percent(e.share)}"
    if e.prob is not None:
        return f"{e.action} (p={e.prob:.2f})"
    return e.action


def _leaf_text(tree: Tree, i: int, reach: Mapping[int, float], with_result: bool) -> str:
    pid = tree.positions[i].id
    if with_result:
        return f"{pid}  {percent(reach.get(i, 0.0))}"
    return pid


def _legend(ax: Axes, scenario: Scenario, tree: Tree, colors: Mapping[str, str], run: bool, eq: bool) -> None:
    owners = {tree.actors[p.owner] for p in tree.positions if p.kind == "decision"}
    handles = [
        Line2D([], [], marker="o", linestyle="", markersize=15, color=colors[a.id], label=a.name)
        for a in scenario.actors
        if a.id in owners
    ]
    if any(p.kind == "chance" for p in tree.positions):
        handles.append(Line2D([], [], marker="D", linestyle="", markersize=13, color=CHANCE_COLOR, label="chance"))
    handles.append(Line2D([], [], marker="s", linestyle="", markersize=9, color="#333333", label="outcome"))
    if run:
        handles.append(Line2D([], [], color="#333333", linewidth=4, label="most-taken choice"))
    elif eq:
        handles.append(Line2D([], [], color="#333333", linewidth=4, label="equilibrium choice"))
    ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncols=min(len(handles), 8),
        fontsize=15,
        handletextpad=0.5,
        columnspacing=1.4,
        borderaxespad=0.2,
    )


def _tree_note(result: Result | None, eq: Equilibrium | None) -> str:
    if result is not None:
        fixed = "".join(f" · {k} = {v:g}" for k, v in result.values.items())
        return (
            f"{result.draws:,} draws · seed {result.seed} · solver {result.solver}{fixed} · "
            "percentages: share of all draws taking each branch (line width proportional)"
        )
    if eq is not None:
        return (
            "structure only, no run · bold: each decision's choice in equilibrium at central values "
            f"(trapsim solve, {eq.solver}); dashed: off the equilibrium path; p: chance at central values"
        )
    return "structure only: no run, no equilibrium"
