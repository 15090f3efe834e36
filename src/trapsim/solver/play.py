"""Playing the solved tree: the realised path of every draw, and the probability of reaching each position."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from trapsim.solver.backward import Solution, draws_of
from trapsim.solver.tree import Tree

__all__ = ["play", "reach_probabilities"]


def _pick(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of the branch that uniform ``u`` falls into under probabilities ``p``.

    The branch is the number of cumulative probabilities ``p[0]``,
    ``p[0] + p[1]``, ... (summed left to right) that ``u`` reaches; uint8
    (an action table's row takes it as it is).
    """
    if len(p) == 1:
        return np.zeros(len(u), dtype=np.uint8)
    pick = (u >= p[0]).view(np.uint8)
    if len(p) > 2:
        cum = p[0].copy()
        for k in range(1, len(p) - 1):
            cum += p[k]
            pick += u >= cum
    return pick


def play(
    tree: Tree, solution: Solution, uniforms: Mapping[int, np.ndarray], memo: dict[Any, Any] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Play the realised path of every draw.

    Every inner node's action is known for every draw (the solution's choice,
    or a branch picked by the node's uniforms); the path then walks down one
    level at a time with integer gathers, all draws at once.

    Parameters
    ----------
    uniforms
        ``{position: array (n,)}`` of uniforms in [0, 1) for every chance
        node and (for ``qre``) every decision node.
    memo
        Branches picked by earlier plays of the same draws (a chunk's real
        game and worlds), keyed by the identities of the probabilities and
        uniforms: the copies of a shared node (and a world's node with the
        real probabilities) pick from the very same arrays, once.

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
    walk = _walk(tree, n)
    inner = len(tree.inner)
    memo = memo if memo is not None else {}
    # row r < inner: the action node tree.inner[r] takes; row `inner`: 0 for draws already at a leaf
    act: np.ndarray = np.empty((inner + 1, n), dtype=walk.dtype)
    act[inner] = 0
    for row, i in enumerate(tree.inner):
        if i in solution.choice:
            act[row] = solution.choice[i]
            continue
        p, u = solution.probs[i], uniforms[i]
        key = ("pick", id(p), id(u))
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = (p, u, _pick(p, u))  # the inputs kept alive: their ids are not reused
        act[row] = hit[2]
    actions: np.ndarray = np.full((inner + 1) * n, -1, dtype=walk.dtype)
    flat = act.reshape(-1)
    at = np.empty(n, dtype=np.intp)
    offset = np.arange(n, dtype=np.intp)  # draw d's entry in a row of the flat tables
    cur = np.zeros(n, dtype=np.intp)
    for _ in range(walk.depth):
        np.take(walk.start, cur, out=at)
        at += offset  # flat index of (row of the current node, draw)
        taken = flat[at]
        actions[at] = taken
        cur *= walk.width
        cur += taken
        cur = walk.child[cur]
    return cur.astype(np.int64), actions[: inner * n].reshape(inner, n)


@dataclass(frozen=True, slots=True)
class _Walk:
    """Integer tables for playing paths of ``n`` draws: a leaf's row is the extra "stay" row."""

    start: np.ndarray  # (positions,) row in tree.inner order (leaves: len(tree.inner)), times n
    child: np.ndarray  # (positions * width,) child position of (position, action); a leaf points to itself
    width: int  # most actions of a node
    depth: int  # levels below the root
    dtype: type  # of action indices: int8 unless a node has more than 127 actions


_WALKS: dict[tuple[int, int], tuple[Tree, _Walk]] = {}


def _walk(tree: Tree, n: int) -> _Walk:
    """The walk tables of ``tree`` for ``n`` draws (built once per tree and size, and cached)."""
    hit = _WALKS.get((id(tree), n))
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
    walk = _Walk(
        row * n,
        child.reshape(-1),
        max(width, 1),
        int(depth.max()) if len(positions) else 0,
        np.int8 if width <= 127 else np.intp,
    )
    if len(_WALKS) > 64:
        _WALKS.clear()
    _WALKS[(id(tree), n)] = (tree, walk)
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
