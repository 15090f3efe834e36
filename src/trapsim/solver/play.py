"""Playing the solved tree: the realised path of every draw, and the probability of reaching each position."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from trapsim.solver.backward import Solution, draws_of
from trapsim.solver.tree import Tree

__all__ = ["play", "reach_probabilities"]


def _pick(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of the branch that uniform ``u`` falls into under probabilities ``p``.

    The branch is the number of cumulative probabilities ``p[0]``,
    ``p[0] + p[1]``, ... (summed left to right) that ``u`` reaches.
    """
    if len(p) == 1:
        return np.zeros(len(u), dtype=np.intp)
    pick = (u >= p[0]).view(np.uint8).astype(np.intp)
    if len(p) > 2:
        cum = p[0].copy()
        for k in range(1, len(p) - 1):
            cum += p[k]
            pick += u >= cum
    return pick


def play(tree: Tree, solution: Solution, uniforms: Mapping[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Play the realised path of every draw.

    Every inner node's action is known for every draw (the solution's choice,
    or a branch picked by the node's uniforms); the path then walks down one
    level at a time with integer gathers, all draws at once.

    Parameters
    ----------
    uniforms
        ``{position: array (n,)}`` of uniforms in [0, 1) for every chance
        node and (for ``qre``) every decision node.

    Returns
    -------
    leaf
        The leaf position reached in each draw, ``(n,)``.
    actions
        ``(inner nodes, n)`` action index taken at each inner node (in
        ``tree.inner`` order), or -1 where the node was not reached; the
        smallest signed integer type that holds the widest node's actions
        (these tables are a byte per node and draw, not eight).
    """
    n = draws_of(solution)
    walk = _walk(tree)
    inner = len(tree.inner)
    # row r < inner: the action node tree.inner[r] takes; row `inner`: 0 for draws already at a leaf
    act: np.ndarray = np.empty((inner + 1, n), dtype=walk.dtype)
    act[inner] = 0
    for row, i in enumerate(tree.inner):
        act[row] = solution.choice[i] if i in solution.choice else _pick(solution.probs[i], uniforms[i])
    actions: np.ndarray = np.full((inner + 1) * n, -1, dtype=walk.dtype)
    flat = act.reshape(-1)
    draw = np.arange(n, dtype=np.intp)
    cur = np.zeros(n, dtype=np.intp)
    for _ in range(walk.depth):
        at = walk.row[cur] * n + draw  # flat index of (row of the current node, draw)
        taken = flat[at]
        actions[at] = taken
        cur = walk.child[cur, taken]
    return cur.astype(np.int64), actions[: inner * n].reshape(inner, n)


@dataclass(frozen=True, slots=True)
class _Walk:
    """Integer tables for playing paths: a leaf's row is the extra "stay" row."""

    row: np.ndarray  # (positions,) row in tree.inner order; leaves: len(tree.inner)
    child: np.ndarray  # (positions, max actions) child position; a leaf points to itself
    depth: int  # levels below the root
    dtype: type  # of action indices: int8 unless a node has more than 127 actions


_WALKS: dict[int, tuple[Tree, _Walk]] = {}


def _walk(tree: Tree) -> _Walk:
    """The walk tables of ``tree`` (built once per tree and cached)."""
    hit = _WALKS.get(id(tree))
    if hit is not None and hit[0] is tree:
        return hit[1]
    positions = tree.positions
    width = max((len(p.children) for p in positions), default=1)
    row = np.full(len(positions), len(tree.inner), dtype=np.intp)
    row[list(tree.inner)] = np.arange(len(tree.inner))
    child = np.tile(np.arange(len(positions), dtype=np.intp)[:, None], (1, max(width, 1)))
    depth = np.zeros(len(positions), dtype=np.intp)
    for i, p in enumerate(positions):  # pre-order: a parent comes before its children
        if p.children:
            child[i, : len(p.children)] = p.children
        if p.parent >= 0:
            depth[i] = depth[p.parent] + 1
    walk = _Walk(row, child, int(depth.max()) if len(positions) else 0, np.int8 if width <= 127 else np.intp)
    if len(_WALKS) > 64:
        _WALKS.clear()
    _WALKS[id(tree)] = (tree, walk)
    return walk


def reach_probabilities(tree: Tree, solution: Solution) -> np.ndarray:
    """Probability of reaching every position, ``(positions, n)``.

    Chance nodes multiply by their branch probabilities, ``spe`` decisions by
    0 or 1, ``qre`` decisions by their logit probabilities.
    """
    n = draws_of(solution)
    reach = np.zeros((len(tree.positions), n))
    reach[0] = 1.0
    for i in tree.inner:
        children = tree.positions[i].children
        p = solution.action_probs(i, len(children))
        for k, c in enumerate(children):
            reach[c] = reach[i] * p[k]
    return reach
