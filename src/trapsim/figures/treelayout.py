"""Where each part of the game tree goes, and which parts are collapsed so that it fits a slide.

:func:`layout_tree` places positions left to right; :func:`choose_stubs`
picks the subtrees drawn as one stub (see :mod:`trapsim.figures.tree`);
:func:`subtree` gives the tree from a node on (``trapsim tree --at``);
:func:`edges_from_result` and :func:`edges_from_equilibrium` what each branch says.
Everything here is linear in the size of the tree: no canvas, no drawing.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable, Mapping, Sequence
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
    "Panel",
    "TreeLayout",
    "below",
    "choose_stubs",
    "edges_from_equilibrium",
    "edges_from_result",
    "in_full",
    "layout_tree",
    "plan_panels",
    "subtree",
]

_PANEL_ENDINGS = 3  # a stub gets a panel of its own from this many endings on
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


def layout_tree(tree: Tree, stubs: Sequence[int] = (), root: int = 0) -> TreeLayout:
    """Left-to-right layout of ``tree`` from position ``root`` on (see :class:`TreeLayout`).

    Positions in ``stubs`` are laid out as leaves; positions below them, and
    positions outside ``root``'s subtree, get ``nan`` coordinates (not drawn).
    """
    n = len(tree.positions)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    cut = set(stubs)
    row = 0
    stack = [root] if n else []
    order = []
    while stack:  # pre-order, not entering stubs
        i = stack.pop()
        p = tree.positions[i]
        x[i] = 0 if i == root else x[p.parent] + 1
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
    tree: Tree,
    reach: Mapping[int, float],
    *,
    collapse: float | None,
    off_path: bool,
    levels: int,
    root: int = 0,
    max_rows: int = MAX_ROWS,
    weight: Mapping[int, float] | None = None,
) -> list[int]:
    """The inner positions drawn as stubs, so that the tree from ``root`` fits (see :mod:`trapsim.figures.tree`).

    Then, while more than ``max_rows`` rows remain, the deepest inner node
    drawn of least ``weight`` (default: ``reach``) is collapsed; a first
    level with more than ``max_rows`` (but at most :data:`MAX_ROWS`) rows is
    kept, in a taller figure.
    """
    leaves, _, depth = below(tree)

    def pick(rule: int, max_depth: int) -> list[int]:
        out: list[int] = []
        stack = [root]
        while stack:
            i = stack.pop()
            p = tree.positions[i]
            if p.kind == "leaf":
                continue
            small = collapse is not None and reach.get(i, 0.0) < collapse
            cut = i != root and (
                depth[i] - depth[root] >= max_depth
                or (rule >= 1 and small and leaves[i] > 1)
                or (rule >= 2 and reach.get(i, 0.0) == 0 and leaves[i] > 1)
            )
            if cut:
                out.append(i)
            else:
                stack.extend(p.children)
        return out

    def rows(stubs: list[int]) -> int:
        return int(leaves[root] - sum(leaves[s] - 1 for s in stubs))

    rule = 1 if collapse is not None else 0
    stubs = pick(rule, levels)
    if rows(stubs) > max_rows and off_path:
        rule = 2
        stubs = pick(rule, levels)
    stubs = _fold_deepest(tree, stubs, root, weight or reach, lambda s: rows(s) > max_rows)
    if rows(stubs) > MAX_ROWS:
        raise TrapsimError(
            f"the game tree has {rows(stubs)} branches at its first level: too many "
            f"to draw legibly on a slide (at most {MAX_ROWS}); "
            "use `trapsim tree --format svg` on a smaller scenario or `trapsim explain`"
        )
    return stubs


def _fold_deepest(
    tree: Tree, stubs: list[int], root: int, weight: Mapping[int, float], too_many: Callable[[list[int]], bool]
) -> list[int]:
    """Collapse the deepest, lightest inner nodes drawn, one at a time, while ``too_many(stubs)``."""
    leaves, inner, depth = below(tree)
    size = leaves + inner  # positions in each subtree: i .. i + size[i] - 1 in pre-order
    while too_many(stubs):
        cut = set(stubs)
        drawn: list[int] = []
        stack = [root]
        while stack:
            i = stack.pop()
            if i in cut or tree.positions[i].kind == "leaf":
                continue
            if i != root:
                drawn.append(i)
            stack.extend(tree.positions[i].children)
        if not drawn:
            break
        deepest = max(depth[i] for i in drawn)
        fold = min((i for i in drawn if depth[i] == deepest), key=lambda i: (weight.get(i, 0.0), -i))
        stubs = [s for s in stubs if not fold < s < fold + size[fold]] + [fold]
    return stubs


def subtree(scenario: Scenario, at: str | None) -> tuple[Tree, Tree, int]:
    """The tree drawn, the whole tree, and ``at``'s position in the whole tree.

    ``at`` an unshared node: the game rebuilt from it (probabilities given that
    it is reached). ``at`` a copy of a shared node (``fight[push,invoke]``, as
    :mod:`trapsim.unfolding` names it): the whole tree, drawn from that
    position, since the copy's payoffs may read the history above it.
    """
    full = build_tree(scenario)
    if at is None:
        return full, full, 0
    if at not in full.node_index:
        copies = sorted(n for n in full.node_index if n.startswith(at + "["))
        if copies:
            raise TrapsimError(
                f"tree --at: {at!r} is shared and unfolds into {len(copies)} copies; name one, e.g. {copies[0]!r}"
            )
        hint = suggest(at, full.node_index)
        raise TrapsimError(f"tree --at: unknown node {at!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
    start = full.node_index[at]
    if full.positions[start].name != full.positions[start].id:
        return full, full, start
    return build_tree(dataclasses.replace(scenario, root=at)), full, start


def in_full(tree: Tree, full: Tree, start: int, i: int) -> int:
    """Position ``i`` of the tree drawn from ``start`` (see :func:`subtree`), as a position of the whole tree."""
    if tree is full:
        return i
    pos = start
    for _, k in tree.path_to(i):
        pos = full.positions[pos].children[k]
    return pos


@dataclass(frozen=True, slots=True)
class Panel:
    """One slide of a tree too big for one: the part from ``root`` on, ``stubs`` collapsed.

    ``links`` maps each stub continued in another panel to that panel's letter.
    """

    root: int
    stubs: tuple[int, ...]
    letter: str = "A"
    links: Mapping[int, str] = dataclasses.field(default_factory=dict)


def plan_panels(
    tree: Tree,
    reach: Mapping[int, float],
    weight: Mapping[int, float],
    *,
    collapse: float | None,
    off_path: bool,
    levels: int,
    max_rows: int,
    root: int = 0,
    most: int = 1,
    fits: Callable[[int, tuple[int, ...]], bool] | None = None,
) -> list[Panel]:
    """Split the tree from ``root`` into at most ``most`` linked panels that each fit a slide.

    The first panel is ``root``'s; each further one continues the stub of
    greatest ``weight`` (share of draws, or probability) among those drawn so
    far, except stubs collapsed for being rare and stubs of fewer than three
    endings (which their stub text describes well enough). Letters follow the panels'
    roots in pre-order (top to bottom), so A is always the first.

    Each panel shows as many of ``levels`` as ``fits(root, stubs)`` allows
    (a panel of one level always fits).
    """
    leaves = below(tree)[0]
    chosen: dict[int, tuple[int, ...]] = {}
    heap = [(-weight.get(root, 0.0), root)]
    while heap and len(chosen) < most:
        _, r = heapq.heappop(heap)
        for lv in range(levels, 0, -1):  # fewer levels: wider columns, shorter labels, fewer rows
            stubs = choose_stubs(
                tree, reach, collapse=collapse, off_path=off_path, levels=lv, root=r, max_rows=max_rows, weight=weight
            )
            if fits is None or lv == 1 or fits(r, tuple(stubs)):
                break
        chosen[r] = tuple(stubs)
        for s in stubs:
            if (collapse is None or reach.get(s, 0.0) >= collapse) and leaves[s] >= _PANEL_ENDINGS:
                heapq.heappush(heap, (-weight.get(s, 0.0), s))
    letters = {r: chr(ord("A") + k) for k, r in enumerate(sorted(chosen))}
    return [
        Panel(r, stubs, letters[r], {s: letters[s] for s in stubs if s in letters})
        for r, stubs in sorted(chosen.items())
    ]


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


def edges_from_equilibrium(tree: Tree, eq: Equilibrium | None, root: int = 0) -> tuple[list[Edge], dict[int, float]]:
    """Edges of ``root``'s subtree; reach is the probability of each position given that ``root`` is reached."""
    edges: list[Edge] = []
    reach = {root: 1.0}
    for i in tree.inner:  # pre-order: a parent's reach is known before its children's
        if i not in reach:
            continue
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
