"""The game each world plays: the real tree with forced decisions pruned, keyed back to the real tree."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from trapsim.expressions import Compiled, Expr
from trapsim.solver import Tree
from trapsim.solver.tree import assemble_tree

__all__ = ["Game"]


@dataclass(frozen=True, slots=True)
class _Item:
    key: str  # the key path shown in errors, e.g. "payoffs.stalemate.russia"
    expr: Expr
    fn: Compiled


@dataclass(frozen=True, slots=True)
class Game:
    """The game one world plays: its tree, and the real tree's position at each of its positions.

    The real game is ``Game(None, tree, (0, 1, ...))``. A world's tree is the
    real tree with each forced node's other actions removed, so every world
    position has a real position with the same history (``real[w]``): chance
    probabilities and uniforms, computed per real position, are re-keyed with
    :meth:`on_tree`, which is what couples the chance outcomes of the worlds.
    """

    id: str | None
    tree: Tree
    real: tuple[int, ...]
    sets: tuple[tuple[str, _Item], ...] = ()

    def on_tree(self, by_real: Mapping[int, np.ndarray]) -> dict[int, np.ndarray]:
        """Arrays keyed by real positions (chance probabilities, uniforms), keyed by this game's positions."""
        if self.id is None:
            return dict(by_real)
        return {w: by_real[r] for w, r in enumerate(self.real) if r in by_real}


def _prune(real: Tree, force: Mapping[str, str]) -> tuple[Tree, tuple[int, ...]]:
    """The real tree with the other actions of every forced node (at each of its copies) removed.

    Returns the world's tree and, for each of its positions, the real position
    with the same history. Positions keep their ids, copy names and payoff rows,
    so the real draw's payoff rows and chance probabilities serve the world too.
    """
    real_of: list[int] = []
    kept: list[tuple[int, ...]] = []
    parents: list[tuple[int, int]] = []
    stack = [(0, -1, -1)]  # (real position, parent in the world, action index there), pre-order
    while stack:
        r, parent, k = stack.pop()
        w = len(real_of)
        real_of.append(r)
        parents.append((parent, k))
        p = real.positions[r]
        keep = tuple(
            j for j, a in enumerate(p.actions) if p.kind != "decision" or p.id not in force or a == force[p.id]
        )
        kept.append(keep)
        for kk in reversed(range(len(keep))):
            stack.append((p.children[keep[kk]], w, kk))
    children: list[list[int]] = [[0] * len(k) for k in kept]
    for w, (parent, k) in enumerate(parents):
        if parent >= 0:
            children[parent][k] = w
    positions = []
    for w, r in enumerate(real_of):
        p = real.positions[r]
        positions.append(
            dataclasses.replace(
                p,
                children=tuple(children[w]),
                actions=tuple(p.actions[j] for j in kept[w]),
                parent=parents[w][0],
                action_in_parent=parents[w][1],
            )
        )
    history = {w: real.history[r] for w, r in enumerate(real_of) if r in real.history}
    tree = assemble_tree(positions, real.actors, real.outcomes, real.rows, history)
    return tree, tuple(real_of)
