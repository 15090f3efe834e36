"""Misperception: each believer solves the game it perceives and plays that solution at its own nodes.

The one implementation behind ``trapsim run`` (per chunk of draws), ``solve``
and ``explain`` (one draw at central values), in the real game and in every
counterfactual world.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trapsim.errors import RunError
from trapsim.runner.compiling import CompiledScenario
from trapsim.runner.games import Game
from trapsim.solver import Solution, Tree, backward

__all__ = ["follow", "hypergame", "perceived_solutions"]


def perceived_solutions(
    model: CompiledScenario,
    game: Game,
    env: Mapping[str, Any],
    *,
    entropy: int = 0,
    chunk: int | None = 0,
    n: int = 1,
    solver: str,
    rationality: float,
    central: bool = False,
    keep_values: bool = False,
) -> dict[str, Solution]:
    """Each believer's solution of ``game`` with the values it perceives (see :meth:`CompiledScenario.perceive`).

    ``env`` holds the true values of the game's world; believers keep their
    beliefs in every world (a believed expression follows the world's values).
    """
    out = {}
    for actor in model.beliefs:
        seen = model.perceive(env, actor, entropy, chunk, n, central=central)
        try:
            payoffs, chance = model.evaluate(seen, n, chunk, table=not keep_values)
        except RunError as exc:
            raise exc.within(before=f"under the beliefs of '{actor}': ") from None
        out[actor] = backward(
            game.tree, payoffs, game.on_tree(chance), solver=solver, rationality=rationality, keep_values=keep_values
        )
    return out


def follow(tree: Tree, truth: Solution, perceived: Mapping[str, Solution]) -> Solution:
    """``truth`` with each listed actor's decisions taken from its own solution."""
    owners = {tree.actors.index(a): sol for a, sol in perceived.items()}
    choice, probs, ties = dict(truth.choice), dict(truth.probs), dict(truth.ties)
    for i in tree.inner:
        pos = tree.positions[i]
        sol = owners.get(pos.owner) if pos.kind == "decision" else None
        if sol is not None:
            if i in sol.choice:
                choice[i] = sol.choice[i]
                ties[i] = sol.ties[i]  # a believer's tie is one in the game it sees
            else:
                probs[i] = sol.probs[i]
    return Solution(truth.values, probs, choice, ties)


def hypergame(
    model: CompiledScenario,
    game: Game,
    env: Mapping[str, Any],
    truth: Solution,
    *,
    entropy: int,
    chunk: int,
    n: int,
    solver: str,
    rationality: float,
) -> tuple[Solution, dict[str, Solution]]:
    """The strategy played when actors have beliefs, and each believer's perceived solution.

    Each actor with beliefs solves the game with its perceived values and
    plays that solution at its own decision nodes; everyone else plays
    ``truth``; chance nodes keep their true probabilities.
    """
    perceived = perceived_solutions(
        model, game, env, entropy=entropy, chunk=chunk, n=n, solver=solver, rationality=rationality
    )
    return follow(game.tree, truth, perceived), perceived
