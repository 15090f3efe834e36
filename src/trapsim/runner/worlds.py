"""Counterfactual worlds in a chunk: the same draws, intervened on, solved again and played with the same dice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from trapsim.errors import RunError
from trapsim.runner.compiling import CompiledScenario
from trapsim.runner.games import Game
from trapsim.runner.hypergame import hypergame
from trapsim.runner.traps import PlayedPaths
from trapsim.solver import PayoffTable, Solution, backward, play

__all__ = ["SUBSET_AT_MOST", "Subsets", "play_world"]

#: A world read in at most this share of a chunk's draws is solved on those draws only.
SUBSET_AT_MOST = 0.5


class Subsets:
    """The draws of a chunk where worlds are read, and their arrays gathered once.

    The worlds of a chunk share arrays (the real payoffs a world does not
    change, chance probabilities, uniforms): each is gathered once per set of
    draws, so the gathered arrays are shared too and the memo of
    :func:`~trapsim.solver.backward` and :func:`~trapsim.solver.play`
    recognises them across worlds.
    """

    def __init__(self) -> None:
        self._taken: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    @staticmethod
    def of(draws: np.ndarray | None, n: int) -> np.ndarray | None:
        """``draws`` if few enough to be worth solving alone (:data:`SUBSET_AT_MOST`), else None (all)."""
        return draws if draws is not None and draws.size <= SUBSET_AT_MOST * n else None

    def take(self, draws: np.ndarray, a: np.ndarray) -> np.ndarray:
        """``a[..., draws]``, gathered once per array (both kept alive: their ids stay theirs)."""
        key = (id(draws), id(a))
        hit = self._taken.get(key)
        if hit is None:
            hit = self._taken[key] = (draws, a, a[..., draws])
        return hit[2]

    def payoffs(self, draws: np.ndarray, payoffs: np.ndarray | PayoffTable) -> np.ndarray | PayoffTable:
        """The payoffs of ``draws`` only, a table's distinct arrays each gathered once."""
        if not isinstance(payoffs, PayoffTable):
            return self.take(draws, payoffs)
        cells = [self.take(draws, c) for c in payoffs.cells]
        return PayoffTable.of(None, payoffs.index, payoffs.getters, cells)


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
    draws: np.ndarray | None = None,
    subsets: Subsets | None = None,
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
    draws
        Solve and play only these draws (indices; see
        :func:`~trapsim.runner.traps.world_draws`); their results are those
        of the same draws in a solve of all (every step works draw by draw).
        The world's values are still computed and checked in every draw, so
        a value that is not finite is an error wherever it is. Ignored when
        actors hold beliefs. ``subsets`` gathers the arrays.
    """
    values = model.world_values(game, env, chunk)
    if values is not env:
        try:
            payoffs, chance = model.evaluate_world(game, values, n, chunk, (payoffs, dict(chance)))
        except RunError as exc:  # the values are the world's: say so, or a student looks in the wrong place
            raise exc.within(before=f"in world '{game.id}' (after worlds.{game.id}.set): ") from None
    if draws is not None and not model.beliefs:
        subsets = subsets if subsets is not None else Subsets()
        payoffs = subsets.payoffs(draws, payoffs)
        chance = {pos: subsets.take(draws, p) for pos, p in chance.items()}
        uniforms = {pos: subsets.take(draws, u) for pos, u in uniforms.items()}
    else:
        draws = None
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
    return PlayedPaths(game.tree, leaf, actions, payoffs, root, draws)
