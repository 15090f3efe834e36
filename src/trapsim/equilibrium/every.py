"""Every subgame-perfect equilibrium in pure strategies at one parameter vector (``trapsim solve --all-spe``)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from trapsim.equilibrium.point import GameAtPoint, game_at
from trapsim.model import Scenario
from trapsim.solver import TIE_TOLERANCE

__all__ = ["AllSPE", "SPEProfile", "all_spe"]


@dataclass(frozen=True)
class SPEProfile:
    """One subgame-perfect equilibrium: a choice at every decision node."""

    strategy: dict[str, str]
    payoffs: dict[str, float]
    outcome_probabilities: dict[str, float]


@dataclass(frozen=True)
class AllSPE:
    """Every subgame-perfect equilibrium of the game at one parameter vector.

    Attributes
    ----------
    profiles
        The equilibria; the first one takes the first listed action at every
        tie (the one :func:`solve` and the Monte Carlo runs report).
    complete
        False when the list was cut at ``limit`` (there are more).
    tie_nodes
        Decision nodes where the owner is indifferent between two or more best
        actions in at least one equilibrium.
    """

    scenario: Scenario
    values: dict[str, float]
    profiles: list[SPEProfile]
    complete: bool
    limit: int
    tie_nodes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "complete": self.complete,
            "limit": self.limit,
            "tie_nodes": self.tie_nodes,
            "equilibria": [
                {
                    "payoffs": p.payoffs,
                    "strategy": p.strategy,
                    "outcome_probabilities": {k: v for k, v in p.outcome_probabilities.items() if v > 0},
                }
                for p in self.profiles
            ],
            "values": self.values,
        }


def all_spe(scenario: Scenario, *, values: Mapping[str, float] | None = None, limit: int = 100) -> AllSPE:
    """List every subgame-perfect equilibrium (pure strategies) at central values or ``values``.

    Ties (payoffs equal within :data:`~trapsim.solver.TIE_TOLERANCE`) make
    several equilibria; breaking a tie differently below can change which
    actions tie above, so equilibria are built bottom-up: each subtree keeps
    the list of its own equilibria, and a decision node combines every
    equilibrium of its children with every best action of its owner.

    Parameters
    ----------
    limit
        Stop after this many equilibria (``complete`` is then False).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    game = game_at(scenario, values)
    equilibria, complete, ties = _every_spe(game, limit)
    profiles = [_profile(game, vals, dict(choices)) for vals, choices in equilibria]
    names = [game.tree.positions[i].name for i in sorted(ties)]
    return AllSPE(scenario, game.values, profiles, complete, limit, names)


#: One equilibrium of a subgame: its values (actors,) and its choices ((position, action index), ...).
_SubgameSPE = tuple[np.ndarray, tuple[tuple[int, int], ...]]


def _every_spe(game: GameAtPoint, limit: int) -> tuple[list[_SubgameSPE], bool, set[int]]:
    """Every equilibrium of the whole game, bottom-up (up to ``limit``), whether that is all, and the tied positions."""
    positions = game.tree.positions
    subgame: dict[int, list[_SubgameSPE]] = {}
    complete = True
    tie_positions: set[int] = set()
    for i in reversed(range(len(positions))):
        pos = positions[i]
        if pos.kind == "leaf":
            subgame[i] = [(game.payoffs[pos.row, :, 0], ())]
            continue
        out: list[_SubgameSPE] = []
        kids = [subgame.pop(c) for c in pos.children]
        for combo in itertools.product(*kids):
            choices = tuple(itertools.chain.from_iterable(c[1] for c in combo))
            if pos.kind == "chance":
                p = game.chance[i][:, 0]
                out.append((sum(pk * c[0] for pk, c in zip(p, combo, strict=True)), choices))
            else:
                own = np.array([c[0][pos.owner] for c in combo])
                best = own.max()
                tied = np.flatnonzero(own >= best - TIE_TOLERANCE * max(1.0, abs(best)))
                if len(tied) > 1:
                    tie_positions.add(i)
                for k in tied:
                    out.append((combo[k][0], ((i, int(k)), *choices)))
            if len(out) > limit:
                complete = False
                break
        subgame[i] = out[:limit]
    return subgame[0], complete, tie_positions


def _profile(game: GameAtPoint, vals: np.ndarray, chosen: dict[int, int]) -> SPEProfile:
    """One equilibrium as strategy, payoffs and the probability of each outcome (played out from the root)."""
    tree = game.tree
    positions = tree.positions
    reach = np.zeros(len(positions))
    reach[0] = 1.0
    outcomes = dict.fromkeys(tree.outcomes, 0.0)
    for i, pos in enumerate(positions):  # pre-order: parents first
        if pos.kind == "leaf":
            outcomes[pos.id] += float(reach[i])
        elif pos.kind == "chance":
            reach[list(pos.children)] = reach[i] * game.chance[i][:, 0]
        else:
            reach[pos.children[chosen[i]]] = reach[i]
    return SPEProfile(
        strategy={positions[i].name: positions[i].actions[k] for i, k in sorted(chosen.items())},
        payoffs={a: float(v) for a, v in zip(tree.actors, vals, strict=True)},
        outcome_probabilities=outcomes,
    )
