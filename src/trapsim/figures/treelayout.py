"""Where each part of the game tree goes, and which parts are collapsed so that it fits a slide.

:func:`layout_tree` places positions left to right; :func:`choose_stubs`
picks the subtrees drawn as one stub (see :mod:`trapsim.figures.tree`);
:func:`subtree` gives the tree from a node on (``trapsim tree --at``);
:func:`edges_from_result` and :func:`edges_from_equilibrium` what each branch says.
Everything here is linear in the size of the tree: no canvas, no drawing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from trapsim.equilibrium import Equilibrium
from trapsim.errors import TrapsimError, suggest
from trapsim.model import Scenario
from trapsim.runner import Result
from trapsim.solver import Tree, build_tree

__all__ = [
    "MAX_ROWS",
    "Edge",
    "TreeLayout",
    "below",
    "choose_stubs",
    "edges_from_equilibrium",
    "edges_from_result",
    "in_full",
    "layout_tree",
    "subtree",
]

#: Most rows (endings and stubs) a tree figure shows; more are collapsed.
MAX_ROWS = 26


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


def layout_tree(tree: Tree, stubs: Sequence[int] = ()) -> TreeLayout:
    """Left-to-right layout of ``tree`` (see :class:`TreeLayout`).

    Positions in ``stubs`` are laid out as leaves; positions below them get
    ``nan`` coordinates (not drawn).
    """
    n = len(tree.positions)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    cut = set(stubs)
    row = 0
    stack = [0] if n else []
    order = []
    while stack:  # pre-order, not entering stubs
        i = stack.pop()
        p = tree.positions[i]
        x[i] = 0 if p.parent < 0 else x[p.parent] + 1
        order.append(i)
        if p.kind == "leaf" or i in cut:
            y[i] = row
            row += 1
        else:
            stack.extend(reversed(p.children))
    for i in reversed(order):  # children before parents
        p = tree.positions[i]
        if p.kind != "leaf" and i not in cut:
            y[i] = (y[p.children[0]] + y[p.children[-1]]) / 2
    depth = int(np.nanmax(x)) if order else 0
    return TreeLayout(x, y, row, depth)


def below(tree: Tree) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per position: endings below it, inner nodes below it, and its depth."""
    n = len(tree.positions)
    leaves = np.zeros(n, dtype=np.int64)
    inner = np.zeros(n, dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    for i, p in enumerate(tree.positions):  # pre-order
        if p.parent >= 0:
            depth[i] = depth[p.parent] + 1
    for i in reversed(range(n)):
        p = tree.positions[i]
        if p.kind == "leaf":
            leaves[i] = 1
        else:
            inner[i] += 1
        if p.parent >= 0:
            leaves[p.parent] += leaves[i]
            inner[p.parent] += inner[i]
    return leaves, inner, depth


def choose_stubs(
    tree: Tree, reach: Mapping[int, float], *, collapse: float | None, off_path: bool, levels: int
) -> list[int]:
    """The inner positions drawn as stubs, so that the tree fits (see the module docstring)."""
    leaves, _, depth = below(tree)

    def pick(rule: int, max_depth: int) -> list[int]:
        out: list[int] = []
        stack = [0]
        while stack:
            i = stack.pop()
            p = tree.positions[i]
            if p.kind == "leaf":
                continue
            small = collapse is not None and reach.get(i, 0.0) < collapse
            cut = i > 0 and (
                depth[i] >= max_depth
                or (rule >= 1 and small and leaves[i] > 1)
                or (rule >= 2 and reach.get(i, 0.0) == 0 and leaves[i] > 1)
            )
            if cut:
                out.append(i)
            else:
                stack.extend(p.children)
        return out

    def rows(stubs: list[int]) -> int:
        return int(leaves[0] - sum(leaves[s] - 1 for s in stubs))

    rule = 1 if collapse is not None else 0
    max_depth = levels
    stubs = pick(rule, max_depth)
    if rows(stubs) > MAX_ROWS and off_path:
        rule = 2
        stubs = pick(rule, max_depth)
    while rows(stubs) > MAX_ROWS and max_depth > 1:
        max_depth -= 1
        stubs = pick(rule, max_depth)
    if rows(stubs) > MAX_ROWS:
        raise TrapsimError(
            f"the game tree has {rows(stubs)} branches at its first level: too many "
            f"to draw legibly on a slide (at most {MAX_ROWS}); "
            "use `trapsim tree --format svg` on a smaller scenario or `trapsim explain`"
        )
    return stubs


def subtree(scenario: Scenario, at: str | None) -> tuple[Tree, Tree, int]:
    """The tree drawn (from ``at`` on, or whole), the whole tree, and ``at``'s position in it."""
    full = build_tree(scenario)
    if at is None:
        return full, full, 0
    if at not in full.node_index:
        hint = suggest(at, full.node_index)
        raise TrapsimError(f"tree --at: unknown node {at!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
    if full.positions[full.node_index[at]].name != full.positions[full.node_index[at]].id:
        # a copy of a shared node: its payoffs may depend on the history above it, which --at would cut off
        raise TrapsimError(
            f"tree --at: {at!r} is one copy of a shared node; draw it in the whole tree or with --compact"
        )
    return build_tree(dataclasses.replace(scenario, root=at)), full, full.node_index[at]


def in_full(tree: Tree, full: Tree, start: int, i: int) -> int:
    """Position ``i`` of a subtree drawn from ``start``, as a position of the whole tree."""
    pos = start
    for _, k in tree.path_to(i):
        pos = full.positions[pos].children[k]
    return pos


@dataclass(frozen=True, slots=True)
class Edge:
    parent: int
    child: int
    action: str
    given: float | None  # share of arrivals at the parent taking the edge (or its probability)
    overall: float | None  # share of all draws (or probability from the root)
    strong: bool  # the most-taken / equilibrium choice at a decision
    path: bool  # taken in some draw / on the equilibrium path


def edges_from_result(tree: Tree, result: Result) -> tuple[list[Edge], dict[int, float]]:
    edges: list[Edge] = []
    reach = {0: 1.0}
    for i in tree.inner:
        pos = tree.positions[i]
        counts = np.asarray(result.edge_counts.get(pos.name, [0] * len(pos.children)), dtype=float)
        arrived = counts.sum()
        best = int(np.argmax(counts)) if arrived > 0 else -1
        for k, (c, a) in enumerate(zip(pos.children, pos.actions, strict=True)):
            reach[c] = counts[k] / result.draws
            given = counts[k] / arrived if arrived > 0 else None
            strong = k == best and pos.kind == "decision"
            edges.append(Edge(i, c, a, given, reach[c], strong, counts[k] > 0))
    return edges, reach


def edges_from_equilibrium(tree: Tree, eq: Equilibrium | None) -> tuple[list[Edge], dict[int, float]]:
    edges: list[Edge] = []
    reach = {0: 1.0}
    for i in tree.inner:  # pre-order: a parent's reach is known before its children's
        pos = tree.positions[i]
        probs: Mapping[str, float] = eq.action_probabilities.get(pos.name, {}) if eq else {}
        chosen = eq.strategy.get(pos.name) if eq else None
        for c, a in zip(pos.children, pos.actions, strict=True):
            p = probs.get(a)
            reach[c] = reach[i] * (p if p is not None else 0.0)
            strong = pos.kind == "decision" and a == chosen
            given = p if pos.kind == "chance" or eq is None or eq.solver != "spe" else None
            edges.append(Edge(i, c, a, given, reach[c] if eq else None, strong, reach[c] > 0))
    return edges, reach
