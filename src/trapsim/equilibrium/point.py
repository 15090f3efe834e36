"""The game at one parameter vector, solved once (``trapsim solve``), and at many points at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trapsim.model import Scenario
from trapsim.output import html_table, json_text, pandas, short_repr
from trapsim.runner import CompiledScenario, compiled
from trapsim.runner.games import Game
from trapsim.runner.hypergame import follow, perceived_solutions
from trapsim.sampling import central_value
from trapsim.solver import Solution, Tree, backward, reach_probabilities

__all__ = ["Equilibrium", "GameAtPoint", "central_values", "game_at", "solve", "strategies"]


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
    expected
        What each actor expected at the root (``expected("actor")`` in traps):
        the value of its perceived game for an actor with beliefs, of the
        true game otherwise.
    perceived
        ``{actor: Equilibrium}`` for every actor with ``[beliefs]``: the game
        solved with the values it believes. With beliefs, ``strategy``,
        ``action_probabilities``, ``reach``, ``outcome_probabilities`` and
        ``payoffs`` describe the game as played (each believer follows its
        perceived game at its own nodes, everyone else the true game), and
        ``node_values`` the true game.
    world
        The counterfactual world solved (``[worlds.<id>]``), or ``None`` for the real one.
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
    expected: dict[str, float] = field(default_factory=dict)
    perceived: dict[str, Equilibrium] = field(default_factory=dict)
    world: str | None = None

    def __repr__(self) -> str:
        path = ", ".join(f"{n}={a}" for n, a in self.strategy.items() if self.reach.get(n, 0) > 0)
        pay = ", ".join(f"{a} {v:+.3g}" for a, v in self.payoffs.items())
        return short_repr("Equilibrium", self.scenario.name, self.solver, f"path {path}", f"payoffs {pay}")

    def _repr_html_(self) -> str:
        sc = self.scenario
        rows = [
            (
                node,
                sc.nodes[node].actor,  # type: ignore[union-attr]
                action,
                f"{self.action_probabilities[node][action]:.2f}",
                "yes" if self.reach.get(node, 0) > 0 else "",
            )
            for node, action in self.strategy.items()
        ]
        pay = ", ".join(f"{a} {v:+.4f}" for a, v in self.payoffs.items())
        return html_table(
            f"{sc.title} ({sc.name}, solver {self.solver})",
            ["node", "actor", "choice", "probability", "on the path"],
            rows,
            note=f"expected payoffs at the root: {pay}",
        )

    def to_frame(self) -> Any:
        """The strategy as a pandas DataFrame: one row per decision node (actor, choice, probability, reach)."""
        pd = pandas()
        rows = [
            {
                "node": node,
                "actor": self.scenario.nodes[node].actor,  # type: ignore[union-attr]
                "choice": action,
                "probability": self.action_probabilities[node][action],
                "reach": self.reach.get(node, 0.0),
            }
            for node, action in self.strategy.items()
        ]
        return pd.DataFrame(rows).set_index("node")

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
            "labels": self.scenario.labels(),
        }
        if self.solver == "qre":
            doc["rationality"] = self.rationality
        if self.world is not None:
            doc["world"] = self.world
        if self.perceived:
            doc["expected"] = self.expected
            doc["perceived"] = {
                actor: {
                    "values": {k: v for k, v in eq.values.items() if v != self.values[k]},
                    "strategy": eq.strategy,
                    "expected": eq.payoffs[actor],
                }
                for actor, eq in self.perceived.items()
            }
        return doc

    def to_json(self, indent: int | None = 2) -> str:
        return json_text(self.to_dict(), indent=indent)


@dataclass(frozen=True)
class GameAtPoint:
    """The game with every parameter at one value (one draw, ``n = 1``), in the real world or one world.

    Attributes
    ----------
    game
        The game played: its tree (a world's forced nodes keep one action).
    values
        The parameter values of that world (after its ``set``).
    payoffs
        Array ``(outcomes, actors, 1)``.
    chance
        ``{position of game.tree: array (k, 1)}``: branch probabilities at each chance node.
    """

    model: CompiledScenario
    game: Game
    values: dict[str, float]
    env: Mapping[str, Any]
    payoffs: np.ndarray
    chance: dict[int, np.ndarray]

    @property
    def tree(self) -> Tree:
        return self.game.tree


def game_at(
    scenario: Scenario,
    values: Mapping[str, float] | None = None,
    *,
    world: str | None = None,
    model: CompiledScenario | None = None,
) -> GameAtPoint:
    """Payoffs and chance probabilities with parameters at their central values or as given.

    With ``world``, the game of that counterfactual world: its ``set``
    applied on top of these values, its forced nodes keeping one action.
    ``model`` reuses a compiled ``scenario``.
    """
    point = central_values(scenario)
    point.update(values or {})
    model = model if model is not None else compiled(scenario)
    env: dict[str, Any] = {k: np.array([v]) for k, v in point.items()}
    model.derive(env, None)
    game = model.game if world is None else model.world_game(world)
    env_w = model.world_values(game, env, None)
    payoffs, chance = model.evaluate(env_w, 1, None)
    point = {p.name: float(np.asarray(env_w[p.name]).ravel()[0]) for p in scenario.parameters}
    return GameAtPoint(model, game, point, env_w, payoffs, game.on_tree(chance))


def strategies(
    scenario: Scenario,
    points: Sequence[Mapping[str, float]],
    *,
    solver: str = "spe",
    rationality: float = 10.0,
    world: str | None = None,
    model: CompiledScenario | None = None,
) -> list[dict[str, str]]:
    """The action :func:`solve` would choose at every decision node, at each of ``points``.

    One vectorised solve of ``len(points)`` games (one column each) instead of
    one :func:`solve` per point: each point sets some parameters, the others
    stay at their central values. ``model`` reuses a compiled scenario.
    """
    if not points:
        return []
    model = model if model is not None else compiled(scenario)
    n = len(points)
    env: dict[str, Any] = {
        k: np.array([pt.get(k, v) for pt in points], dtype=float) for k, v in central_values(scenario).items()
    }
    model.derive(env, None)
    game = model.game if world is None else model.world_game(world)
    env_w = model.world_values(game, env, None)
    payoffs, chance = model.evaluate(env_w, n, None)
    played = backward(game.tree, payoffs, game.on_tree(chance), solver=solver, rationality=rationality)
    if scenario.beliefs:
        sols = perceived_solutions(
            model, game, env_w, chunk=None, n=n, solver=solver, rationality=rationality, central=True
        )
        played = follow(game.tree, played, sols)
    out: list[dict[str, str]] = [{} for _ in range(n)]
    for i in game.tree.inner:
        pos = game.tree.positions[i]
        if pos.kind != "decision":
            continue
        picks = np.argmax(played.action_probs(i, len(pos.children)), axis=0)
        for col, k in enumerate(picks):
            out[col][pos.name] = pos.actions[int(k)]
    return out


def solve(
    scenario: Scenario,
    *,
    values: Mapping[str, float] | None = None,
    solver: str = "spe",
    rationality: float = 10.0,
    world: str | None = None,
    model: CompiledScenario | None = None,
) -> Equilibrium:
    """Backward induction once, with every parameter at its central value or as given.

    With ``world``, the game of that counterfactual world (``[worlds.<id>]``);
    ``model`` reuses a compiled ``scenario``.
    """
    game = game_at(scenario, values, world=world, model=model)
    truth = backward(game.tree, game.payoffs, game.chance, solver=solver, rationality=rationality, keep_values=True)
    perceived: dict[str, Equilibrium] = {}
    played = truth
    if scenario.beliefs:
        sols = perceived_solutions(
            game.model,
            game.game,
            game.env,
            solver=solver,
            rationality=rationality,
            chunk=None,
            central=True,
            keep_values=True,
        )
        for actor, sol in sols.items():
            seen = game.model.perceive(game.env, actor, chunk=None, central=True)
            point = {p.name: float(np.asarray(seen[p.name]).ravel()[0]) for p in scenario.parameters}
            perceived[actor] = _equilibrium(game, sol, sol, point, seen, solver, rationality, {}, world)
        played = follow(game.tree, truth, sols)
    return _equilibrium(game, truth, played, game.values, game.env, solver, rationality, perceived, world)


def _equilibrium(
    game: GameAtPoint,
    truth: Solution,
    played: Solution,
    point: dict[str, float],
    env: Mapping[str, Any],
    solver: str,
    rationality: float,
    perceived: dict[str, Equilibrium],
    world: str | None,
) -> Equilibrium:
    """The :class:`Equilibrium` of a solved game: ``truth`` gives node values, ``played`` the path."""
    tree, actors = game.tree, game.tree.actors
    reach = reach_probabilities(tree, played)[:, 0]
    strategy: dict[str, str] = {}
    probs: dict[str, dict[str, float]] = {}
    node_values: dict[str, dict[str, dict[str, float]]] = {}
    ties = []
    for i in tree.inner:
        pos = tree.positions[i]
        p = played.action_probs(i, len(pos.children))[:, 0]
        probs[pos.name] = {a: float(x) for a, x in zip(pos.actions, p, strict=True)}
        node_values[pos.name] = {
            a: {actor: float(truth.values[c][k, 0]) for k, actor in enumerate(actors)}
            for a, c in zip(pos.actions, pos.children, strict=True)
        }
        if pos.kind == "decision":
            strategy[pos.name] = pos.actions[int(np.argmax(p))]
            if i in played.ties and bool(played.ties[i][0]):
                ties.append(pos.name)
    outcomes = dict.fromkeys(tree.outcomes, 0.0)
    reached: dict[str, float] = {}
    _add_reach(tree, reach, reached, outcomes)
    root = np.zeros(len(actors))
    for i, pos in enumerate(tree.positions):
        if pos.kind == "leaf":
            root += reach[i] * game.payoffs[pos.row, :, 0]
    if played is truth:
        root = truth.values[0][:, 0]  # the same number, without rounding in the sum
    expected = {a: float(v) for a, v in zip(actors, truth.values[0][:, 0], strict=True)}
    expected.update({a: eq.payoffs[a] for a, eq in perceived.items()})
    scenario = game.model.scenario
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
        derived={d.name: float(np.asarray(env[d.name]).ravel()[0]) for d in scenario.derived},
        expected=expected,
        perceived=perceived,
        world=world,
    )


def _add_reach(tree: Tree, reach: np.ndarray, reached: dict[str, float], outcomes: dict[str, float]) -> None:
    """Reach probabilities by copy name, by node id (summed over copies) and by outcome."""
    for i, pos in enumerate(tree.positions):
        p = float(reach[i])
        if pos.kind == "leaf":
            outcomes[pos.id] += p  # a shared outcome row adds up over its positions
        elif pos.name != pos.id:
            reached[pos.name] = p
        reached[pos.id] = reached.get(pos.id, 0.0) + p
