"""The complete paths of one draw: the real game and every counterfactual world, coupled.

A draw's worlds share its chance uniforms, so their paths are not
independent: :func:`joint_paths` enumerates every combination of one complete
path per world with its exact probability (lengths of intersections of
uniform intervals). :mod:`trapsim.analysis.probability` evaluates the traps
on each combination.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trapsim.runner import CompiledScenario
from trapsim.runner.games import Game
from trapsim.solver import Solution, backward

__all__ = ["Solved", "joint_paths", "solve_worlds"]


@dataclass(frozen=True, slots=True)
class Solved:
    """One world's game, solved on the draws of a chunk."""

    game: Game
    rows: dict[int, int]
    payoffs: np.ndarray  # (outcomes, actors, n)
    solution: Solution
    expected: dict[str, np.ndarray]


def solve_worlds(
    model: CompiledScenario, env: Mapping[str, Any], n: int, solver: str, rationality: float, chunk: int
) -> list[tuple[str | None, Solved]]:
    """The real game and every world a trap uses, solved on the same draws."""
    payoffs, chance = model.evaluate(env, n, chunk)
    out = []
    for wid, game in [(None, model.game), *model.worlds.items()]:
        values = model.world_values(game, env, chunk)
        pay, prob = (payoffs, chance) if values is env else model.evaluate(values, n, chunk)
        sol = backward(game.tree, pay, game.on_tree(prob), solver=solver, rationality=rationality)
        expected = {a: sol.values[0][k] for k, a in enumerate(game.tree.actors)}
        out.append((wid, Solved(game, model.lookups(game.tree)[0], pay, sol, expected)))
    return out


def _walk(
    solved: Sequence[Solved],
    ones: np.ndarray,
    g: int,
    pos: int,
    col: np.ndarray,
    cuts: dict[str, tuple[np.ndarray, np.ndarray]],
    alive: np.ndarray,
    done: list[tuple[int, np.ndarray]],
) -> Iterator[Any]:
    """The paths below ``pos`` in world ``g`` (see :func:`joint_paths`); module level, so no closure
    refers to itself: such a cycle kept every world's payoff tables alive until the cyclic collector
    ran (820 MB instead of 340 MB for a Sobol' N=1024 on defense_clause)."""
    sv = solved[g]
    p = sv.game.tree.positions[pos]
    if p.kind == "leaf":
        done = [*done, (pos, col)]
        if g + 1 < len(solved):
            nxt = np.full(len(solved[g + 1].game.tree.inner), -1, dtype=np.int64)
            yield from _walk(solved, ones, g + 1, 0, nxt, cuts, alive, done)
            return
        weight = alive.astype(np.float64)
        for lo, hi in cuts.values():
            weight = weight * np.maximum(hi - lo, 0.0)
        yield done, weight
        return
    row = sv.rows[pos]
    if pos in sv.solution.choice:
        pick = sv.solution.choice[pos]
        for k, c in enumerate(p.children):
            ok = alive & (pick == k)
            if ok.any():
                taken = col.copy()
                taken[row] = k
                yield from _walk(solved, ones, g, c, taken, cuts, ok, done)
        return
    probs = sv.solution.probs[pos]
    r = p.id  # one uniform per node id, shared by the worlds and by the copies of a node
    lo0, hi0 = cuts.get(r, (0.0 * ones, ones))
    low = 0.0 * ones
    for k, c in enumerate(p.children):
        high = low + probs[k] if k < len(p.children) - 1 else ones  # as np.cumsum in play()
        lo, hi = np.maximum(lo0, low), np.minimum(hi0, high)
        ok = alive & (hi > lo)
        if ok.any():
            taken = col.copy()
            taken[row] = k
            yield from _walk(solved, ones, g, c, taken, {**cuts, r: (lo, hi)}, ok, done)
        low = high


def joint_paths(solved: Sequence[Solved], n: int) -> Iterator[tuple[list[tuple[int, np.ndarray]], np.ndarray]]:
    """Every combination of one complete path per world, with its probability in each draw.

    The worlds are coupled as a run couples them: chance node (or ``qre``
    decision) ``x`` uses one uniform ``u_x`` (its stream ``node:<x>``) in every
    world and at every copy of a shared node, and takes branch ``k`` when
    ``u_x`` falls in ``[p_1 + ... + p_(k-1), p_1 + ... + p_k)`` of the
    probabilities there. A combination constrains each ``u_x`` to the
    intersection of its worlds' intervals, so its probability is the product
    over ``x`` of that intersection's length (the uniforms are independent),
    times the 0/1 ``spe`` choices. Combinations with probability 0 in every
    draw are skipped.

    Yields
    ------
    paths, weight
        Per world, ``(leaf, actions column)`` (the ``actions`` of
        :func:`trapsim.solver.play` for a draw that takes this path), and the
        probability of the combination, ``(n,)``.
    """
    ones = np.ones(n)

    first = np.full(len(solved[0].game.tree.inner), -1, dtype=np.int64)
    yield from _walk(solved, ones, 0, 0, first, {}, np.ones(n, dtype=bool), [])
