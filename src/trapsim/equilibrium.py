"""Solve a scenario once, at its central values (``trapsim solve``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trapsim.model import Scenario
from trapsim.runner import CompiledScenario
from trapsim.sampling import central_value
from trapsim.solver import Solution, backward, reach_probabilities

__all__ = ["Equilibrium", "central_values", "solve"]


def central_values(scenario: Scenario) -> dict[str, float]:
    """Every parameter at its central value (the mean; ``p`` for bernoulli)."""
    return {p.name: central_value(p.dist) for p in scenario.parameters}


@dataclass
class Equilibrium:
    """The solved game at one parameter vector.

    Attributes
    ----------
    payoffs
        Each actor's expected payoff at the root.
    strategy
        The chosen action at every decision node, on and off the equilibrium
        path (for ``qre``: the most likely action).
    action_probabilities
        ``{node: {action: probability}}`` at every inner node.
    node_values
        ``{node: {action: {actor: expected payoff}}}``: what each action is
        worth to every actor; the numbers behind each choice.
    outcome_probabilities
        Probability of ending at each outcome.
    ties
        Decision nodes where two or more actions tie for the owner.
    """

    scenario: Scenario
    values: dict[str, float]
    solver: str
    rationality: float
    payoffs: dict[str, float]
    strategy: dict[str, str]
    action_probabilities: dict[str, dict[str, float]]
    node_values: dict[str, dict[str, dict[str, float]]]
    outcome_probabilities: dict[str, float]
    reach: dict[str, float]
    ties: list[str] = field(default_factory=list)
    derived: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "scenario": self.scenario.name,
            "solver": self.solver,
            "payoffs": self.payoffs,
            "strategy": self.strategy,
            "outcome_probabilities": {k: v for k, v in self.outcome_probabilities.items() if v > 0},
            "action_probabilities": self.action_probabilities,
            "node_values": self.node_values,
            "ties": self.ties,
            "values": self.values,
        }
        if self.solver == "qre":
            doc["rationality"] = self.rationality
        return doc

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


def solve(
    scenario: Scenario,
    *,
    values: Mapping[str, float] | None = None,
    solver: str = "spe",
    rationality: float = 10.0,
) -> Equilibrium:
    """Backward induction once, with every parameter at its central value or as given."""
    point = central_values(scenario)
    point.update(values or {})
    model = CompiledScenario(scenario)
    env: dict[str, Any] = {k: np.array([v]) for k, v in point.items()}
    model.derive(env)
    payoffs, chance = model.evaluate(env, 1)
    sol: Solution = backward(model.tree, payoffs, chance, solver=solver, rationality=rationality,
                             keep_values=True)
    tree = model.tree
    reach = reach_probabilities(tree, sol)[:, 0]
    actors = tree.actors
    strategy: dict[str, str] = {}
    probs: dict[str, dict[str, float]] = {}
    node_values: dict[str, dict[str, dict[str, float]]] = {}
    ties = []
    for i in tree.inner:
        pos = tree.positions[i]
        p = sol.action_probs(i, len(pos.children))[:, 0]
        probs[pos.id] = {a: float(x) for a, x in zip(pos.actions, p, strict=True)}
        node_values[pos.id] = {
            a: {actor: float(sol.values[c][k, 0]) for k, actor in enumerate(actors)}
            for a, c in zip(pos.actions, pos.children, strict=True)
        }
        if pos.kind == "decision":
            strategy[pos.id] = pos.actions[int(np.argmax(p))]
            if i in sol.ties and bool(sol.ties[i][0]):
                ties.append(pos.id)
    outcomes = dict.fromkeys(tree.outcomes, 0.0)
    reached: dict[str, float] = {}
    for i, pos in enumerate(tree.positions):
        if pos.kind == "leaf":
            outcomes[pos.id] += float(reach[i])
            reached[pos.id] = reached.get(pos.id, 0.0) + float(reach[i])
        else:
            reached[pos.id] = float(reach[i])
    root = sol.values[0][:, 0]
    derived = {d.name: float(np.asarray(env[d.name]).ravel()[0]) for d in scenario.derived}
    return Equilibrium(
        scenario=scenario,
        values=point,
        solver=solver,
        rationality=rationality,
        payoffs={a: float(v) for a, v in zip(actors, root, strict=True)},
        strategy=strategy,
        action_probabilities=probs,
        node_values=node_values,
        outcome_probabilities=outcomes,
        reach=reached,
        ties=ties,
        derived=derived,
    )
