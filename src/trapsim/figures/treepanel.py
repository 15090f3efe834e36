"""One panel of the game-tree figure: what it shows and how big it is (see :mod:`trapsim.figures.tree`).

:func:`prepare` splits the tree into panels (:func:`trapsim.figures.treelayout.plan_panels`)
with as many levels each as keep it one slide, and measures each: column
width, branch labels, row height, figure height. Nothing is drawn here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trapsim.equilibrium import Equilibrium
from trapsim.equilibrium import solve as solve_equilibrium
from trapsim.errors import TrapsimError
from trapsim.explain import traps_at_leaves
from trapsim.figures.style import fit, percent, text_width
from trapsim.figures.treelayout import (
    Edge,
    Panel,
    TreeLayout,
    below,
    edges_from_equilibrium,
    edges_from_result,
    in_full,
    layout_tree,
    plan_panels,
    subtree,
)
from trapsim.figures.treetext import (
    FONT,
    LEAF_MAX,
    SMALL,
    WIDTH,
    leaf_text,
    node_label,
    path_words,
    stub_text,
    trap_colors,
)
from trapsim.model import Scenario
from trapsim.runner import Result
from trapsim.solver import Tree

__all__ = [
    "COLLAPSE",
    "DIAG",
    "PANELS",
    "ROOT_LABEL",
    "Drawing",
    "node_name",
    "prepare",
    "shows_overall",
    "title",
    "title_size",
]

_SLIDE = 7.2  # inches: one 16:9 slide
_MAX_HEIGHT = 14.4  # two slides: only when one level alone has more rows than a slide holds
_TITLE = 19.0
_SUBTITLE = 15.0  # the title of a panel after the first: its node and the path to it
_COL_MIN = 1.6  # inches per level, at least: branch labels on at most two lines
DIAG = 0.2  # share of a column taken by the diagonal part of an edge
ROOT_LABEL = 1.5  # inches: the root's label, left of it
_TOP = 1.9  # inches above and below the rows: title, legend, footnote
_LINE = 0.2  # inches per line of FONT text
_SMALL_LINE = 0.18
#: Share of draws under which a run figure collapses a subtree by default.
COLLAPSE = 0.01
#: Most panels :func:`plot_tree_panels` draws by default.
PANELS = 6
_RINGS = 4  # most trap rings around one ending
_TREMBLE = 1e-3  # weight of a choice off the equilibrium path, when ranking panels


@dataclass
class Drawing:
    """Everything one panel needs, computed before any drawing."""

    scenario: Scenario
    tree: Tree
    result: Result | None
    equilibrium: Equilibrium | None
    edges: list[Edge]
    reach: dict[int, float]
    panel: Panel
    lay: TreeLayout
    leaf_text: dict[int, str]
    traps: dict[str, set[int]]
    at: str | None = None
    count: int = 1
    parent: str = ""  # the letter of the panel this one continues
    labels: dict[int, tuple[str, bool]] = field(default_factory=dict)  # child position -> branch text, bold
    left: float = 0.0  # inches left of the root, for its label
    right: float = 1.0  # inches right of the deepest level, for endings' and stubs' texts
    col: float = 1.0  # inches per level
    row_h: float = 0.5  # inches per row
    height: float = _SLIDE  # of the figure, in inches


def _solve(scenario: Scenario) -> Equilibrium | None:
    try:
        return solve_equilibrium(
            scenario, solver=scenario.simulation.solver, rationality=scenario.simulation.rationality
        )
    except TrapsimError:  # a scenario that cannot be solved at central values
        return None


def _weights(tree: Tree, edges: list[Edge], root: int) -> dict[int, float]:
    """Probability of each position given ``root``, a choice off the equilibrium path counting as a tremble."""
    w = {root: 1.0}
    for e in edges:  # pre-order of parents
        if e.parent in w:
            chance = tree.positions[e.parent].kind == "chance"
            p = (e.given if e.given is not None else 0.0) if chance else (1.0 if e.strong else _TREMBLE)
            w[e.child] = w[e.parent] * p
    return w


@dataclass
class _Context:
    """What every panel shares: the tree drawn, its branches and what reaches each part."""

    scenario: Scenario
    result: Result | None
    equilibrium: Equilibrium | None
    tree: Tree
    full: Tree
    start: int
    root: int
    edges: list[Edge]
    reach: dict[int, float]
    weight: dict[int, float]


def _context(source: Scenario | Result, equilibrium: Equilibrium | None, solve: bool, at: str | None) -> _Context:
    scenario, result = (source.scenario, source) if isinstance(source, Result) else (source, None)
    tree, full, start = subtree(scenario, at)
    root = start if tree is full else 0
    if result is not None:
        edges, reach = edges_from_result(tree, result)
        if at is not None:  # the share of all draws arriving at the first node drawn
            reach[root] = sum(result.edge_counts.get(tree.positions[root].name, [])) / result.draws
        weight = reach
    else:
        if equilibrium is None and solve:
            equilibrium = _solve(scenario)
        edges, reach = edges_from_equilibrium(tree, equilibrium, root)
        weight = _weights(tree, edges, root)
    return _Context(scenario, result, equilibrium, tree, full, start, root, edges, reach, weight)


def prepare(
    source: Scenario | Result,
    equilibrium: Equilibrium | None,
    solve: bool,
    collapse: float | None,
    at: str | None,
    most: int,
) -> list[Drawing]:
    """The panels, each measured: as many levels per panel as fit across a slide and keep it one slide tall."""
    c = _context(source, equilibrium, solve, at)
    names = sorted({node_label(c.scenario, c.tree, i) for i in c.tree.leaves}, key=len)[-40:]  # the longest
    leaf_w = min(max(text_width(name, FONT) for name in names), 3.4) + 0.3
    levels = max(1, int((WIDTH - 0.5 - ROOT_LABEL - leaf_w) / _COL_MIN))
    row = 0.5 if c.result is not None or c.equilibrium is None else 0.6
    traps = _trap_leaves(c)

    def fits(root: int, stubs: tuple[int, ...]) -> bool:  # one slide tall, with stand-in panel letters
        panel = Panel(root, stubs, "A" if root == c.root else "B", {s: "Z" for s in stubs})
        return _panel(c, panel, most, traps, at).height <= _SLIDE

    panels = plan_panels(
        c.tree,
        c.reach,
        c.weight,
        collapse=collapse,
        off_path=c.result is None and c.equilibrium is not None and most == 1,
        levels=levels,
        max_rows=max(2, int((_SLIDE - _TOP) / row)),
        root=c.root,
        most=most,
        fits=fits,
    )
    out = [_panel(c, panel, len(panels), traps, at) for panel in panels]
    for d in out:
        d.parent = next((p.letter for p in panels if d.panel.root in p.links), "")
    return out


def _trap_leaves(c: _Context) -> dict[str, set[int]]:
    """The endings (positions of the tree drawn) where each trap fires at central values."""
    eq = c.equilibrium if c.result is None else _solve(c.scenario)
    if eq is None or not c.scenario.traps:
        return {}
    ends = [i for i in c.tree.leaves if i >= c.root]
    fired = traps_at_leaves(eq, [in_full(c.tree, c.full, c.start, i) for i in ends])
    return {t: {ends[j] for j in np.flatnonzero(v)} for t, v in fired.items() if v.any()}


def _panel(c: _Context, panel: Panel, count: int, traps: dict[str, set[int]], at: str | None) -> Drawing:
    """One panel, laid out and measured."""
    lay = layout_tree(c.tree, panel.stubs, panel.root)
    leaves, inner, _ = below(c.tree)
    texts = {}
    for i in (int(k) for k in np.flatnonzero(~np.isnan(lay.x))):
        if i in panel.stubs:
            link = panel.links.get(i)
            share = c.reach.get(i, 0.0)
            text = stub_text(node_label(c.scenario, c.tree, i), leaves[i], inner[i], share, c.result is not None, link)
            texts[i] = fit(text, FONT, LEAF_MAX, bold=link is not None)
        elif c.tree.positions[i].kind == "leaf":
            texts[i] = leaf_text(c.scenario, c.tree, i, c.reach, c.result, c.equilibrium)
    size = leaves + inner  # a stub is ringed when the trap fires at every ending below it
    below_ends = {i: [e for e in c.tree.leaves if i <= e < i + size[i]] for i in texts}
    shown = {t: {i for i in texts if all(e in ends for e in below_ends[i])} for t, ends in traps.items()}
    for i in texts:  # at most _RINGS rings around one marker, in the file's order of traps
        for t in [t for t in trap_colors(c.scenario) if i in shown.get(t, ())][_RINGS:]:
            shown[t].discard(i)
    d = Drawing(
        c.scenario,
        c.tree,
        c.result,
        c.equilibrium,
        c.edges,
        c.reach,
        panel,
        lay,
        texts,
        {t: v for t, v in shown.items() if v},
        at,
        count,
    )
    _measure(d)
    return d


def _measure(d: Drawing) -> None:
    """Column width, branch labels, row height and figure height of a panel."""
    d.left = max(_root_width(d), 0.3)  # inches left of the root: its label
    d.right = _leaf_width(d)
    d.col = min((WIDTH - 0.2 - d.left - d.right) / max(d.lay.depth, 1), 2.6)
    d.labels = _branch_labels(d, d.col)
    d.row_h = _row_height(d)
    d.height = min(max(d.row_h * d.lay.rows + _TOP + 0.3 * _title_lines(d), _SLIDE), _MAX_HEIGHT)


def title(d: Drawing) -> str:
    sc, root = d.scenario, d.panel.root
    panel = f", panel {d.panel.letter} of {d.count}" if d.count > 1 else ""
    if root == 0 and d.at is None:
        return fit(f"Game tree{panel}: {sc.title}", _TITLE, WIDTH - 0.4, bold=True)
    if d.panel.letter == "A" and d.at is not None and root == 0:  # a rebuilt subtree: no path above it
        return fit(f"Game tree from {sc.label_of('node', d.at)} on{panel}: {sc.title}", _TITLE, WIDTH - 0.4, bold=True)
    head = f"Panel {d.panel.letter} of {d.count}: " if d.count > 1 else "Game tree from "
    after = path_words(sc, d.tree, root)
    text = f"{head}{node_label(sc, d.tree, root)}" + (f" \u2014 after {after}" if after else "")
    return fit(text, _SUBTITLE, WIDTH - 0.4, bold=True)


def title_size(d: Drawing) -> float:
    return _TITLE if d.panel.root == 0 else _SUBTITLE


def _title_lines(d: Drawing) -> int:
    return title(d).count("\n")


def _leaf_width(d: Drawing) -> float:
    rings = 4 * max((sum(i in fired for fired in d.traps.values()) for i in d.leaf_text), default=0) / 72
    # (each ring moves an ending's text right by 4 points)
    widest = max((text_width(t, FONT, bold=i in d.panel.links) for i, t in d.leaf_text.items()), default=1.0)
    return min(widest, LEAF_MAX) + 0.35 + rings


def _root_width(d: Drawing) -> float:
    return text_width(node_name(d, d.panel.root, ROOT_LABEL), SMALL) + 0.15


def _branch_labels(d: Drawing, col: float) -> dict[int, tuple[str, bool]]:
    """Each drawn branch's text (fitted to its horizontal part), by child position, and whether it is bold."""
    room = col * (1 - DIAG) - 0.14 - 0.1  # the horizontal part of an edge, up to the child's marker
    out = {}
    for e in d.edges:
        if np.isnan(d.lay.x[e.child]) or np.isnan(d.lay.x[e.parent]):
            continue
        action = d.scenario.action_label(d.tree.positions[e.parent].id, e.action)
        if e.given is None:
            label = action
        elif d.result is None:  # a probability at central values, not a share of draws
            label = f"{action} (p={e.given:.2f})"
        else:
            label = f"{action} {percent(e.given)}"
        out[e.child] = (fit(label, FONT, room, bold=e.strong), e.strong)
    return out


def shows_overall(d: Drawing, e: Edge) -> bool:
    """Whether a branch also shows its share of all draws, smaller, under it (inner nodes drawn, after a run)."""
    return (
        d.result is not None
        and e.overall is not None
        and e.given is not None
        and abs(e.overall - e.given) > 1e-12
        and d.tree.positions[e.child].kind != "leaf"
        and e.child not in d.panel.stubs  # a stub says its share itself
    )


def _row_height(d: Drawing) -> float:
    """Inches per row, so that no branch label reaches the text of the row above it.

    A branch's label rises from its line; above it, in the same column, is the
    previous position of the same depth (with its share of all draws or its
    name under it) or an ending or stub of a shallower level (its text
    centred on its row and running right across the columns).
    """
    lay = d.lay
    lines = {i: t.count("\n") + 1 for i, t in d.leaf_text.items()}
    need = max((_LINE * n + 0.08 for n in lines.values()), default=0.45)
    below = {e.child: _SMALL_LINE + 0.04 for e in d.edges if e.child in d.labels and shows_overall(d, e)}
    if d.result is None:  # node names under the incoming branch, in the equilibrium view
        for i in d.labels:
            if i not in d.leaf_text:
                below[i] = max(below.get(i, 0.0), _SMALL_LINE * (node_name(d, i, 1.0).count("\n") + 1) + 0.1)
    shown = sorted((i for i in d.labels), key=lambda i: lay.y[i])
    ends = [i for i in sorted(d.leaf_text, key=lambda i: lay.y[i])]
    for i in shown:
        label_h = _LINE * (d.labels[i][0].count("\n") + 1) + 0.04
        y, x = lay.y[i], lay.x[i]
        same = [j for j in shown if lay.x[j] == x and lay.y[j] < y]
        if same:
            j = same[-1]
            need = max(need, (label_h + below.get(j, 0.06)) / max(y - lay.y[j] - 0.1, 0.1))
        ahead = [j for j in ends if lay.x[j] < x and lay.y[j] < y]
        if ahead:
            j = ahead[-1]
            need = max(need, (label_h + _LINE * lines[j] / 2) / max(y - lay.y[j] - 0.1, 0.1))
    return max(need, 0.42)


def node_name(d: Drawing, i: int, inches: float) -> str:
    """A node's label, under its incoming branch and clear of the parent's marker (``inches`` wide at most)."""
    return fit(node_label(d.scenario, d.tree, i), SMALL, inches)
