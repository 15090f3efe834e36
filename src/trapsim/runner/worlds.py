"""Counterfactual worlds in a chunk: the same draws, intervened on, solved again and played with the same dice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from trapsim.runner.compiling import CompiledScenario
from trapsim.runner.games import Game
from trapsim.runner.hypergame import hypergame
from trapsim.runner.traps import PlayedPaths
from trapsim.solver import PayoffTable, Solution, backward, play

__all__ = ["play_world"]


def play_world(
    model: CompiledScenario,
    game: Game,
    env: Mapping[str, Any],
    payoffs: np.ndarray | PayoffTable,
    chance: Mapping[int, np.ndarray],
    uniforms: Mapping[int, np.ndarray],
    *,
    entropy: int,
    chunk: int,
    n: int,
    solver: str,
    rationality: float,
    expected: bool,
    memo: dict[Any, Any] | None = None,
) -> PlayedPaths:
    """Solve and play one world on the draws of a chunk.

    Parameters
    ----------
    env, payoffs, chance
        The real draws' values, payoff table ``(outcomes, actors, n)`` and
        chance probabilities ``{real position: (k, n)}``; re-evaluated only
        when the world sets parameters.
    uniforms
        The real run's uniforms ``{real position: (n,)}``: a chance node (or a
        ``qre`` decision) met on both paths draws from the same uniform, so it
        takes the same branch whenever its probabilities are the same.
    expected
        Compute each actor's expected payoff at the root (for ``expected()``
        and ``surprise()``).
    memo
        The chunk's, shared with the real game's solve and play (see :func:`~trapsim.solver.backward`
        and :func:`~trapsim.solver.play`).
    """
    values = model.world_values(game, env, chunk)
    if values is not env:
        payoffs, chance = model.evaluate_world(game, values, n, chunk, (payoffs, dict(chance)))
    truth = backward(
        game.tree,
        payoffs,
        game.on_tree(chance),
        solver=solver,
        rationality=rationality,
        memo=memo,
        root_values=expected,
    )
    played, perceived = truth, dict[str, Solution]()
    if model.beliefs:
        played, perceived = hypergame(
            model, game, values, truth, entropy=entropy, chunk=chunk, n=n, solver=solver, rationality=rationality
        )
    leaf, actions = play(game.tree, played, game.on_tree(uniforms), memo)
    root = None
    if expected:
        actors = game.tree.actors
        root = {a: truth.values[0][k] for k, a in enumerate(actors)}
        root.update({a: ps.values[0][actors.index(a)] for a, ps in perceived.items()})
    return PlayedPaths(game.tree, leaf, actions, payoffs, root)
