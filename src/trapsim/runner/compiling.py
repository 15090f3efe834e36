"""A scenario with every expression compiled, ready to evaluate chunks of draws."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from trapsim.errors import RunError
from trapsim.expressions import Compiled, Expr, compile_expr, path_key
from trapsim.model import ChanceNode, Scenario
from trapsim.runner.buffers import Recycler
from trapsim.sampling import central_value, draw, stream
from trapsim.scenario.evaluation import describe, probability_problem
from trapsim.solver import Solution, Tree, backward, build_tree

#: Draws per chunk. Part of the reproducibility contract: changing it changes results.
CHUNK = 8192


def _at(chunk: int | None, i: int) -> str:
    """Where a value failed: ``in draw 8193``, or (``chunk=None``: solved once) at the values solved."""
    return "at the values solved for" if chunk is None else f"in draw {chunk * CHUNK + i + 1}"


@dataclass(frozen=True, slots=True)
class _Item:
    key: str  # the key path shown in errors, e.g. "payoffs.stalemate.russia"
    expr: Expr
    fn: Compiled


class CompiledScenario:
    """A scenario with every expression compiled, ready to evaluate chunks."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._tables = Recycler()  # payoff tables reused across chunks (no page faults each chunk)
        self.tree: Tree = build_tree(scenario)
        #: Outcome index of every position (-1 for inner nodes), to map reached leaves to outcomes.
        self.outcome_of = np.array([p.outcome for p in self.tree.positions])
        #: Payoff row of every position (-1 for inner nodes), to find the realised payoffs.
        self.row_of_position = np.array([p.row for p in self.tree.positions])
        self._row_of = {pos: r for r, pos in enumerate(self.tree.inner)}
        types = scenario.types()

        def item(key: str, expr: Expr) -> _Item:
            return _Item(key, expr, compile_expr(expr, types))

        self.derived = [(d.name, item(f"derived.{d.name}", d.expr)) for d in scenario.derived]
        actors = scenario.actor_ids
        self.payoffs = [
            [item(f"payoffs.{o.id}.{a}", e) for a, e in zip(actors, o.payoffs, strict=True)]
            for o in scenario.outcomes.values()
        ]
        compiled: dict[str, list[_Item]] = {
            node.id: [item(f"nodes.{node.id}.chance.{a}", e) for a, e in zip(node.actions, node.probs, strict=True)]
            for node in scenario.nodes.values()
            if isinstance(node, ChanceNode)
        }
        #: Chance positions: their compiled probabilities (shared by the copies of a node).
        self.chance: dict[int, list[_Item]] = {
            pos: compiled[self.tree.positions[pos].id]
            for pos in self.tree.inner
            if self.tree.positions[pos].kind == "chance"
        }
        self.traps = [(t.id, item(f"traps.{t.id}.when", t.when)) for t in scenario.traps]
        #: ``{actor: [(belief, compiled expression or None)]}`` for actors with ``[beliefs]``.
        self.beliefs = {
            actor: [
                (b, item(f"beliefs.{actor}.{b.parameter}", b.expr) if b.expr is not None else None) for b in beliefs
            ]
            for actor, beliefs in scenario.beliefs.items()
        }
        self.path_refs = sorted({ref for t in scenario.traps for ref in t.when.path_refs})
        self._deps = {d.name: d.expr.names for d in scenario.derived}

    def with_values(self, values: Mapping[str, float]) -> CompiledScenario:
        """The same compiled scenario with parameters fixed at constants (no recompiling).

        Fixing a parameter changes only how it is sampled, never an expression,
        so the compiled closures and the tree are shared with ``self``.
        """
        if not values:
            return self
        out = copy.copy(self)
        out.scenario = self.scenario.with_values(values)
        return out

    # -- sampling and evaluation ------------------------------------------

    def sample(self, entropy: int, chunk: int, n: int) -> dict[str, Any]:
        """Draw every parameter for one chunk and compute derived values."""
        env: dict[str, Any] = {}
        for p in self.scenario.parameters:
            if p.dist.kind == "constant":
                env[p.name] = p.dist.args["value"]
            else:
                env[p.name] = draw(p.dist, stream(entropy, chunk, p.name), n)
        self.derive(env, chunk)
        return env

    def derive(self, env: dict[str, Any], chunk: int | None = 0) -> None:
        """Add derived values to an environment of parameter values."""
        with np.errstate(all="ignore"):
            for name, it in self.derived:
                env[name] = self.finite(it, it.fn(env), env, chunk)

    def evaluate(
        self, env: Mapping[str, Any], n: int, chunk: int | None = 0
    ) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        """Payoff array ``(outcomes, actors, n)`` and chance probabilities ``{pos: (k, n)}``."""
        rows = self.tree.rows
        payoffs = self._tables.empty((len(rows), len(self.scenario.actors), n))  # every element written below
        with np.errstate(all="ignore"):
            for r, (o, past) in enumerate(rows):
                scope = {**env, **past} if past else env
                for a, it in enumerate(self.payoffs[o]):
                    payoffs[r, a] = it.fn(scope)
            if not np.isfinite(payoffs).all():  # find the culprit only when there is one
                for r, (o, _past) in enumerate(rows):
                    for a, it in enumerate(self.payoffs[o]):
                        self.finite(it, payoffs[r, a], env, chunk)
            chance = {}
            done: dict[tuple[str, tuple[tuple[str, bool], ...]], np.ndarray] = {}
            for pos, items in self.chance.items():
                past = self.tree.history.get(pos, {})
                key = (self.tree.positions[pos].id, tuple(sorted(past.items())))
                if key not in done:  # the copies of a shared node with the same history values
                    done[key] = self.probabilities(pos, items, {**env, **past} if past else env, n, chunk)
                chance[pos] = done[key]
        return payoffs, chance

    def probabilities(
        self, pos: int, items: list[_Item], env: Mapping[str, Any], n: int, chunk: int | None
    ) -> np.ndarray:
        """Branch probabilities ``(k, n)`` of one chance position, checked."""
        p = np.empty((len(items), n))
        for k, it in enumerate(items):
            p[k] = it.fn(env)
        if not np.isfinite(p).all():
            for k, it in enumerate(items):
                self.finite(it, p[k], env, chunk)
        self.check_probabilities(pos, p, env, chunk)
        return p

    def perceive(
        self,
        env: Mapping[str, Any],
        actor: str,
        entropy: int = 0,
        chunk: int | None = 0,
        n: int = 1,
        *,
        central: bool = False,
    ) -> dict[str, Any]:
        """The parameters and derived values as ``actor`` sees them, in the same draws as ``env``.

        Unlisted parameters keep their true values. A believed distribution is
        drawn on the stream ``belief:<actor>:<parameter>`` (or taken at its
        central value with ``central=True``); a believed expression is
        evaluated on the true values ``env``. Derived values are recomputed.
        """
        seen: dict[str, Any] = {p.name: env[p.name] for p in self.scenario.parameters}
        with np.errstate(all="ignore"):
            for belief, it in self.beliefs[actor]:
                if it is not None:
                    seen[belief.parameter] = self.finite(it, it.fn(env), env, chunk)
                elif belief.dist is None:
                    continue
                elif central or belief.dist.kind == "constant":
                    value = central_value(belief.dist)
                    seen[belief.parameter] = np.full(n, value) if central else value
                else:
                    rng = stream(entropy, chunk or 0, f"belief:{actor}:{belief.parameter}")
                    seen[belief.parameter] = draw(belief.dist, rng, n)
        self.derive(seen, chunk)
        return seen

    def hypergame(
        self, env: Mapping[str, Any], truth: Solution, entropy: int, chunk: int, n: int, solver: str, rationality: float
    ) -> tuple[Solution, dict[str, Solution]]:
        """The strategy played when actors have beliefs, and each believer's perceived solution.

        Each actor with beliefs solves the game with its perceived values and
        plays that solution at its own decision nodes; everyone else plays
        ``truth``; chance nodes keep their true probabilities.
        """
        perceived = {}
        for actor in self.beliefs:
            seen = self.perceive(env, actor, entropy, chunk, n)
            try:
                payoffs, chance = self.evaluate(seen, n, chunk)
            except RunError as exc:
                raise exc.within(before=f"under the beliefs of '{actor}': ") from None
            perceived[actor] = backward(self.tree, payoffs, chance, solver=solver, rationality=rationality)
        return self.follow(truth, perceived), perceived

    def follow(self, truth: Solution, perceived: Mapping[str, Solution]) -> Solution:
        """``truth`` with each listed actor's decisions taken from its own solution."""
        owners = {self.tree.actors.index(a): sol for a, sol in perceived.items()}
        choice, probs, ties = dict(truth.choice), dict(truth.probs), dict(truth.ties)
        for i in self.tree.inner:
            pos = self.tree.positions[i]
            sol = owners.get(pos.owner) if pos.kind == "decision" else None
            if sol is not None:
                if i in sol.choice:
                    choice[i] = sol.choice[i]
                    ties[i] = sol.ties[i]  # a believer's tie is one in the game it sees
                else:
                    probs[i] = sol.probs[i]
        return Solution(truth.values, probs, choice, ties)

    def finite(self, it: _Item, value: Any, env: Mapping[str, Any], chunk: int | None) -> Any:
        arr = np.asarray(value)
        if arr.dtype == bool or np.isfinite(arr).all():
            return value
        bad = int(np.flatnonzero(~np.isfinite(np.broadcast_to(arr, (max(arr.size, 1),))))[0])
        shown = arr.flat[bad] if arr.size > 1 else arr.item()
        raise RunError(
            f'"{it.expr.source}" is {shown} {_at(chunk, bad)}, where {self.describe(it.expr.names, env, bad)}',
            file=self.scenario.path,
            key=it.key,
        )

    def check_probabilities(self, pos: int, p: np.ndarray, env: Mapping[str, Any], chunk: int | None) -> None:
        bad = probability_problem(p)
        if not bad.any():
            return
        i = int(np.flatnonzero(bad)[0])
        node = self.tree.positions[pos]
        shown = ", ".join(f"{a} = {p[k, i]:.10g}" for k, a in enumerate(node.actions))
        names = frozenset().union(*(it.expr.names for it in self.chance[pos]))
        raise RunError(
            f"probabilities must lie in [0, 1] and sum to 1 in every draw; {_at(chunk, i)} they are {shown} "
            f"(sum {p[:, i].sum():.10g}), where {self.describe(names, env, i)}",
            file=self.scenario.path,
            key=f"nodes.{node.id}.chance",
        )

    def describe(self, names: frozenset[str], env: Mapping[str, Any], i: int) -> str:
        """``a = 0.1, b = 2`` for the names used (and the parameters behind derived ones)."""
        return describe(names, env, self._deps, i)

    def traps_on_path(
        self,
        env: Mapping[str, Any],
        leaf: np.ndarray,
        actions: np.ndarray,
        payoffs: np.ndarray,
        chunk: int = 0,
        *,
        expected: Mapping[str, np.ndarray] | None = None,
    ) -> dict[str, np.ndarray]:
        """Evaluate every trap on the realised paths; ``{trap: bool (n,)}``.

        ``expected`` gives each actor's expected payoff at the root, ``(n,)``
        (needed only when a trap uses ``expected()`` or ``surprise()``).
        """
        n = leaf.shape[0]
        tree = self.tree
        scope = dict(env)
        row_of = self._row_of
        outcome_of_leaf = self.outcome_of[leaf]
        for ref in self.path_refs:
            fn, *args = ref
            if fn in ("played", "reached") and args[0] in tree.copies:  # at any copy of the node
                copies = tree.copies[args[0]]
                k = tree.positions[copies[0]].actions.index(args[1]) if fn == "played" else -1
                hits = [actions[row_of[pos]] == k if k >= 0 else actions[row_of[pos]] >= 0 for pos in copies]
                scope[path_key(ref)] = hits[0] if len(hits) == 1 else np.logical_or.reduce(hits)
            elif fn == "reached":
                scope[path_key(ref)] = outcome_of_leaf == tree.outcomes.index(args[0])
            else:
                a = tree.actors.index(args[0])
                realised = payoffs[self.row_of_position[leaf], a, np.arange(n)]
                if fn == "payoff":
                    scope[path_key(ref)] = realised
                else:
                    if expected is None:
                        raise RunError(
                            f"{fn}('{args[0]}') needs each actor's expected payoff, which only "
                            "`trapsim run`, `solve` and `explain` compute",
                            file=self.scenario.path,
                        )
                    e = expected[args[0]]
                    scope[path_key(ref)] = e if fn == "expected" else realised - e
        out = {}
        with np.errstate(all="ignore"):
            for tid, it in self.traps:
                value = np.broadcast_to(np.asarray(self.finite(it, it.fn(scope), scope, chunk), dtype=bool), (n,))
                scope[tid] = value
                out[tid] = value
        return out

    def uniforms(self, entropy: int, chunk: int, n: int, solver: str) -> dict[int, np.ndarray]:
        """Uniforms for chance nodes (and decisions under ``qre``), one stream per node.

        The copies of a shared node use the stream of its id (only one copy is
        on any path, so they share the draws).
        """
        out: dict[int, np.ndarray] = {}
        by_id: dict[str, np.ndarray] = {}
        for pos in self.tree.inner:
            p = self.tree.positions[pos]
            if p.kind == "chance" or solver == "qre":
                if p.id not in by_id:
                    by_id[p.id] = stream(entropy, chunk, f"node:{p.id}").random(n)
                out[pos] = by_id[p.id]
        return out
