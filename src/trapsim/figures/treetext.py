"""What the game-tree figure says: branch, ending and stub texts, legend and notes.

Only human labels are printed (:meth:`~trapsim.model.Scenario.label_of`,
:meth:`~trapsim.model.Scenario.action_label`); the ``[history]`` names of the
copies of shared nodes (see :mod:`trapsim.unfolding`) are never shown: a copy
is told apart by the path to it, in words.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from trapsim.equilibrium import Equilibrium
from trapsim.figures.style import CHANCE_COLOR, GREY, actor_colors, fit, percent, text_width
from trapsim.model import Scenario
from trapsim.runner import Result
from trapsim.solver import Tree

__all__ = ["TRAP_COLORS", "leaf_text", "legend", "path_words", "signed", "stub_text", "trap_colors"]

#: Colours of trap rings: dark, so that they differ from the actors' Okabe-Ito colours.
TRAP_COLORS = ("#B2182B", "#5E3C99", "#000000", "#1B7837", "#8C510A", "#2166AC", "#01665E", "#C51B7D", "#7F7F7F")
FONT = 12.0  # edge and leaf labels: 16.7 px when shown 1,280 px wide
SMALL = 10.5  # secondary numbers and node names: 14.6 px
WIDTH = 12.8  # inches: one 16:9 slide, 1,280 px at 100 dpi
LEAF_MAX = 4.2  # inches: the widest ending or stub text (longer ones wrap)


def trap_colors(scenario: Scenario) -> dict[str, str]:
    return {t.id: TRAP_COLORS[k % len(TRAP_COLORS)] for k, t in enumerate(scenario.traps)}


def node_label(scenario: Scenario, tree: Tree, i: int) -> str:
    """The label of position ``i``'s node (its id when the file gives none), never a copy's history."""
    p = tree.positions[i]
    return scenario.label_of("outcome" if p.kind == "leaf" else "node", p.id)


def path_words(scenario: Scenario, tree: Tree, i: int, start: int = 0) -> str:
    """The actions from ``start`` to position ``i``, in words: "Push into Russia proper → Gains ground"."""
    steps = tree.path_to(i)
    keep = [(p, k) for p, k in steps if _below(tree, p, start)]
    return " \u2192 ".join(scenario.action_label(tree.positions[p].id, tree.positions[p].actions[k]) for p, k in keep)


def _below(tree: Tree, i: int, start: int) -> bool:
    while i >= 0:
        if i == start:
            return True
        i = tree.positions[i].parent
    return False


def leaf_text(
    scenario: Scenario, tree: Tree, i: int, reach: Mapping[int, float], result: Result | None, eq: Equilibrium | None
) -> str:
    """An ending's label with its share of draws (after a run) or its payoffs (equilibrium view).

    Payoffs follow the label on the same line when both fit :data:`LEAF_MAX`,
    else on a line of their own; a long label wraps.
    """
    name = node_label(scenario, tree, i)
    if result is not None:
        return fit(f"{name}  {percent(reach.get(i, 0.0))}", FONT, LEAF_MAX)
    if eq is None:
        return fit(name, FONT, LEAF_MAX)
    p = tree.positions[i]
    parent = tree.positions[p.parent]
    pay = eq.node_values[parent.name][parent.actions[p.action_in_parent]]
    vector = "  ".join(signed(pay[a]) for a in tree.actors)
    one = f"{name}   {vector}"
    return one if text_width(one, FONT) <= LEAF_MAX else fit(name, FONT, LEAF_MAX) + "\n" + vector


def signed(v: float) -> str:
    if abs(v) < 5e-3:
        return "0"
    return f"{v:+.2f}".replace("-", "\u2212")


def stub_text(label: str, leaves: int, inner: int, share: float, run: bool, link: str | None) -> str:
    """What a collapsed part says: its node, its size, its share of draws, and where it continues."""
    what = f"{label}: {leaves} endings" + (f", {inner} nodes" if inner > 1 and link is None else "")
    if link is not None:
        return what + (f", {percent(share)} of draws" if run else "") + f" \u25b8 panel {link}"
    if run:
        return f"{what} collapsed: {percent(share)} of draws"
    return f"{what} collapsed"


def legend(
    ax: Axes, scenario: Scenario, tree: Tree, traps: Mapping[str, set[int]], stubs: bool, shown: Collection[int]
) -> None:
    """The colours of the actors who move in the ``shown`` positions, chance, the trap rings drawn, the stub marker."""
    colors = actor_colors(scenario)
    owners = {tree.actors[tree.positions[i].owner] for i in shown if tree.positions[i].kind == "decision"}
    handles = [
        Line2D([], [], marker="o", linestyle="", markersize=13, color=colors[a.id], label=a.name)
        for a in scenario.actors
        if a.id in owners
    ]
    if any(tree.positions[i].kind == "chance" for i in shown):
        handles.append(Line2D([], [], marker="D", linestyle="", markersize=11, color=CHANCE_COLOR, label="chance"))
    tcol = trap_colors(scenario)
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
        if t.id in traps
    ]
    if stubs:
        handles.append(Line2D([], [], marker=">", linestyle="", markersize=11, color=GREY, label="collapsed"))
    ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),  # the axes start near the figure's left edge (the root's label is inside)
        ncols=legend_columns([str(h.get_label()) for h in handles]),
        fontsize=FONT,
        handletextpad=0.4,
        columnspacing=1.2,
        borderaxespad=0.2,
    )


def legend_columns(labels: list[str]) -> int:
    """The most columns (at most 5) with which the legend, filled column by column, fits across the figure."""
    for n in range(min(len(labels), 5), 1, -1):
        rows, large = divmod(len(labels), n)  # matplotlib's columns: the first `large` ones one longer
        ends = np.cumsum([rows + 1] * large + [rows] * (n - large))
        sizes = np.diff([0, *ends])
        widths = [max(text_width(t, FONT) for t in labels[e - r : e]) for e, r in zip(ends, sizes, strict=True)]
        if sum(widths) + n * (0.45 + 0.2) <= WIDTH - 0.3:  # handle and spacing, per column
            return n
    return 1


def tree_note(
    scenario: Scenario,
    tree: Tree,
    result: Result | None,
    eq: Equilibrium | None,
    *,
    rings: bool,
    stubs: bool,
    given: str | None,
    collapse: float,
) -> str:
    """The footnote: what the numbers are, and where collapsed parts are drawn."""
    ring = " · rings: traps that fire on that path (at a stub: on a path below it) at central values" if rings else ""
    if given and result is None:
        ring += f" · probabilities given that {given} is reached"
    if result is not None:
        fixed = result.settings_text()
        cut = f" · collapsed: reached in under {percent(collapse)} of draws" if stubs else ""
        return (
            f"{result.draws:,} draws · seed {result.seed} · solver {result.solver}{fixed} · "
            "each branch: share of the draws arriving at its node (under it, in brackets, where it differs: "
            f"of all draws); endings: share of all draws{cut}{ring}"
        )
    if eq is not None:
        names = {a.id: a.name for a in scenario.actors}
        units = {a: scenario.payoff_unit_of(a) for a in tree.actors}
        order = ", ".join(names[a] + (f" (in {units[a]})" if units[a] else "") for a in tree.actors)
        return (
            f"equilibrium at central values (trapsim solve, {eq.solver}): bold, each decision's "
            f"choice; dashed, off the path; chance branches with their probability · payoffs at "
            f"each ending: {order}{ring}"
        )
    return "structure only: no run, no equilibrium"
