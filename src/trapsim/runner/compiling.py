"""A scenario with every expression compiled, ready to evaluate chunks of draws."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

import numpy as np

from trapsim.errors import RunError
from trapsim.expressions import Expr, compile_expr
from trapsim.expressions.program import Program
from trapsim.model import ChanceNode, Scenario
from trapsim.runner.buffers import Recycler, keep_freed_memory
from trapsim.runner.checks import finite_sum, plainly_probabilities
from trapsim.runner.games import Game, _Item, _prune
from trapsim.runner.traps import PlayedPaths, evaluate_traps, world_readers
from trapsim.sampling import central_value, draw, stream
from trapsim.scenario.evaluation import describe, probability_problem
from trapsim.solver import PayoffTable, Tree, build_tree

#: Draws per chunk. Part of the reproducibility contract: changing it changes results.
CHUNK = 8192


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """The draws of consecutive chunks side by side (one chunk's as they are)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _at(chunk: int | None, i: int) -> str:
    """Where a value failed: ``in draw 8193``, or (``chunk=None``: solved once) at the values solved."""
    return "at the values solved for" if chunk is None else f"in draw {chunk * CHUNK + i + 1}"


class CompiledScenario:
    """A scenario with every expression compiled, ready to evaluate chunks."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        keep_freed_memory()  # every array of a chunk reuses freed memory (no page faults each chunk)
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
        #: ``[(trap id, compiled when, compiled given or None)]`` in file order.
        self.traps = [
            (
                t.id,
                item(f"traps.{t.id}.when", t.when),
                item(f"traps.{t.id}.given", t.given) if t.given is not None else None,
            )
            for t in scenario.traps
        ]
        #: ``{actor: [(belief, compiled expression or None)]}`` for actors with ``[beliefs]``.
        self.beliefs = {
            actor: [
                (b, item(f"beliefs.{actor}.{b.parameter}", b.expr) if b.expr is not None else None) for b in beliefs
            ]
            for actor, beliefs in scenario.beliefs.items()
        }
        self.path_refs = sorted({ref for t in scenario.traps for e in t.conditions for ref in e.path_refs})
        self._deps = {d.name: d.expr.names for d in scenario.derived}
        self._item = item
        self._program, self._chance_groups = self._payoff_program(types)
        self._cells = self._distinct_payoffs()
        #: The real game, and the game of every world a trap uses (no other world is ever solved).
        self.game = Game(None, self.tree, tuple(range(len(self.tree.positions))))
        self.worlds = {w: self.world_game(w) for w in scenario.used_worlds()}
        #: Per world: the traps whose ``given`` bounds the draws where it is read (None: every draw).
        self.world_readers = world_readers(scenario)
        #: Per world that sets values: the program of the payoffs and probabilities those values change.
        self._world_programs = {w: self._program.dependent(self._changed(g)) for w, g in self.worlds.items() if g.sets}

    @property
    def payoff_cells(self) -> int:
        """Payoff arrays stored per draw: the table's distinct values, or rows times actors without a table."""
        if self._cells is None:
            return len(self.tree.rows) * len(self.scenario.actors)
        return int(self._cells[1].max(initial=-1)) + 1

    def release_buffers(self) -> None:
        """Drop the payoff tables kept for the next chunk (a cached model keeps only what it compiled)."""
        self._tables.clear()

    def world_game(self, world_id: str) -> Game:
        """Compile one world's game (its tree, and its ``set`` expressions over true values)."""
        world = self.scenario.world(world_id)
        tree, real = _prune(self.tree, dict(world.force)) if world.force else (self.tree, self.game.real)
        sets = tuple((name, self._item(f"worlds.{world_id}.set.{name}", e)) for name, e in world.set)
        return Game(world_id, tree, real, sets)

    def _changed(self, game: Game) -> set[str]:
        """The names whose values ``game``'s world may change: what it sets and the derived values using them."""
        changed = {name for name, _ in game.sets}
        for name, deps in self._deps.items():  # derived values are in dependency order
            if deps & changed:
                changed.add(name)
        return changed

    def evaluate_world(
        self, game: Game, values: Mapping[str, Any], n: int, chunk: int | None, real: tuple[Any, dict[int, np.ndarray]]
    ) -> tuple[Any, dict[int, np.ndarray]]:
        """:meth:`evaluate` of a world that sets values, reusing the real draws' arrays where they cannot differ.

        ``real`` is the real draws' ``evaluate(..., table=True)``. Payoffs and
        probabilities that do not depend on what the world sets are the real
        ones, the very same arrays (so that :func:`~trapsim.solver.backward`'s
        memo recognises them); the others are evaluated and checked as usual.
        """
        table, chance = real
        if not isinstance(table, PayoffTable) or game.id not in self._world_programs:
            return self.evaluate(values, n, chunk, table=True)
        program = self._world_programs[game.id]
        cell_of, index, getters = self._cells  # type: ignore[misc]
        cells = list(table.cells)  # the real arrays; the world's own values replace theirs below
        groups = self._chance_groups
        probs = {key: chance[pos[0]] for key, pos in groups.items()}
        total = np.zeros(n)  # the sum of every value: finite when every value is (see finite_sum)

        def store(dests: list[Any], value: Any) -> None:
            np.add(total, value, out=total)
            for d in dests:
                if d[0] == "chance":
                    if probs[d[1]] is chance[groups[d[1]][0]]:
                        probs[d[1]] = probs[d[1]].copy()  # the world's own probabilities
                    probs[d[1]][d[2]] = value
                else:
                    j = cell_of[d]
                    if cells[j] is table.cells[j]:  # a copy: the program reuses its work arrays
                        cells[j] = np.array(np.broadcast_to(value, (n,)), dtype=np.float64)

        with np.errstate(all="ignore"):
            program.run(values, store)
        finite = finite_sum(total)
        payoffs = PayoffTable.of(None, index, getters, cells)  # its (distinct, n) values only if read
        if not finite:
            self._find_infinite(lambda r, a: cells[index[r, a]], values, chunk)
        return payoffs, self._checked_chance(probs, finite, values, chunk, real=chance)

    def world_values(self, game: Game, env: Mapping[str, Any], chunk: int | None = 0) -> Mapping[str, Any]:
        """The parameter and derived values of ``game``'s world: ``env`` with ``set`` applied.

        ``set`` expressions are evaluated on the true values ``env``; derived
        values are then recomputed. Without ``set``, ``env`` itself.
        """
        if not game.sets:
            return env
        out = {p.name: env[p.name] for p in self.scenario.parameters}
        with np.errstate(all="ignore"):
            for name, it in game.sets:
                out[name] = self.finite(it, it.fn(env), env, chunk)
        self.derive(out, chunk)
        return out

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
        return self.sample_chunks(entropy, [(chunk, n)])

    def sample_chunks(self, entropy: int, chunks: Sequence[tuple[int, int]]) -> dict[str, Any]:
        """:meth:`sample` of consecutive chunks ``(index, draws)``, each from its streams, side by side."""
        env: dict[str, Any] = {}
        for p in self.scenario.parameters:
            if p.dist.kind == "constant":
                env[p.name] = p.dist.args["value"]
            else:
                env[p.name] = _joined([draw(p.dist, stream(entropy, c, p.name), n) for c, n in chunks])
        self.derive(env, chunks[0][0])
        return env

    def derive(self, env: dict[str, Any], chunk: int | None = 0) -> None:
        """Add derived values to an environment of parameter values."""
        with np.errstate(all="ignore"):
            for name, it in self.derived:
                env[name] = self.finite(it, it.fn(env), env, chunk)

    def _payoff_program(self, types: Mapping[str, Any]) -> tuple[Program, dict[tuple[Any, ...], list[int]]]:
        """One :class:`Program` for every payoff and chance probability (each row's history values fixed).

        Returns it and the chance groups: ``{(node id, history values): [its positions]}``
        (the copies of a shared node with the same history values share their probabilities).
        """
        program = Program(types)
        for r, (o, past) in enumerate(self.tree.rows):
            for a, it in enumerate(self.payoffs[o]):
                program.add(it.expr, ("payoff", r, a), past)
        groups: dict[tuple[Any, ...], list[int]] = {}
        for pos, items in self.chance.items():
            past = self.tree.history.get(pos, {})
            key = (self.tree.positions[pos].id, tuple(sorted(past.items())))
            if key not in groups:
                groups[key] = []
                for k, it in enumerate(items):
                    program.add(it.expr, ("chance", key, k), past)
            groups[key].append(pos)
        return program, groups

    def _distinct_payoffs(self) -> tuple[dict[tuple[Any, ...], int], np.ndarray, list[Any]] | None:
        """Where a :class:`PayoffTable` pays: ``({payoff dest: row of values}, index, getters)``, else None.

        It pays when payoffs repeat (history rows): at most half as many
        distinct values as cells. Otherwise the plain ``(rows, actors, n)``
        array is as small and is solved in whole blocks.
        """
        rows, actors = len(self.tree.rows), len(self.scenario.actors)
        where: dict[tuple[Any, ...], int] = {}
        index = np.zeros((rows, actors), dtype=np.intp)
        distinct = 0
        for dests in self._program.groups():
            cells = [d for d in dests if d[0] == "payoff"]
            for d in cells:
                where[d] = distinct
                index[d[1], d[2]] = distinct
            distinct += bool(cells)
        if 2 * distinct > rows * actors:
            return None
        return where, index, [itemgetter(*row) for row in index.tolist()]

    def evaluate(
        self, env: Mapping[str, Any], n: int, chunk: int | None = 0, *, table: bool = False
    ) -> tuple[Any, dict[int, np.ndarray]]:
        """Payoff array ``(rows, actors, n)`` and chance probabilities ``{pos: (k, n)}``.

        Every payoff and probability is computed by one :class:`Program` (shared
        sub-expressions once); the checks and their messages are those of each
        expression on its own. With ``table=True`` the payoffs come as a
        :class:`PayoffTable` (each distinct value stored once) where that is
        smaller; :func:`~trapsim.solver.backward` and
        :func:`~trapsim.solver.realised_payoffs` take either.
        """
        rows = self.tree.rows
        actors = len(self.scenario.actors)
        compact = self._cells if table else None
        if compact is None:
            full = self._tables.empty((len(rows), actors, n))  # every element written below
            distinct = full.reshape(len(rows) * actors, n)
            cell_of: Mapping[tuple[Any, ...], int] = {}
        else:
            cell_of, index, getters = compact
            distinct = self._tables.empty((int(index.max(initial=-1)) + 1, n))
        probs = {key: np.empty((len(self.chance[pos[0]]), n)) for key, pos in self._chance_groups.items()}
        total = np.zeros(n)  # the sum of every value: finite when every value is (see finite_sum)

        def store(dests: list[Any], value: Any) -> None:
            np.add(total, value, out=total)
            written = -1
            for d in dests:
                kind, where, k = d
                if kind == "chance":
                    probs[where][k] = value
                    continue
                j = cell_of[d] if compact is not None else where * actors + k
                if j != written:  # a distinct value's cells share one row of a table
                    distinct[j] = value
                    written = j

        with np.errstate(all="ignore"):
            self._program.run(env, store)
        finite = finite_sum(total)
        payoffs: Any = full if compact is None else PayoffTable.of(distinct, index, getters)
        if not finite:
            self._find_infinite(lambda r, a: distinct[r * actors + a if compact is None else index[r, a]], env, chunk)
        return payoffs, self._checked_chance(probs, finite, env, chunk)

    def _find_infinite(
        self, value: Callable[[int, int], np.ndarray], env: Mapping[str, Any], chunk: int | None
    ) -> None:
        """Raise the error of the first payoff, in the order of the expressions, that is not finite.

        ``value(row, actor)`` is that payoff's array.
        """
        for r, (o, _past) in enumerate(self.tree.rows):
            for a, it in enumerate(self.payoffs[o]):
                self.finite(it, value(r, a), env, chunk)

    def _checked_chance(
        self,
        probs: Mapping[Any, np.ndarray],
        finite: bool,
        env: Mapping[str, Any],
        chunk: int | None,
        real: Mapping[int, np.ndarray] | None = None,
    ) -> dict[int, np.ndarray]:
        """Each chance position's probabilities, checked; those that are ``real``'s very arrays were already."""
        out = {}
        for key, positions in self._chance_groups.items():
            pos, p = positions[0], probs[key]
            if real is None or p is not real[pos]:
                if not finite:
                    for k, it in enumerate(self.chance[pos]):
                        self.finite(it, p[k], env, chunk)
                self.check_probabilities(pos, p, env, chunk)
            for q in positions:
                out[q] = p
        return out

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
        """Raise where ``p`` (chance position ``pos``'s ``(k, n)``) is not probabilities, naming ``env``'s values."""
        if plainly_probabilities(p):
            return
        bad = probability_problem(p)
        if not bad.any():
            return
        env = {**env, **self.tree.history.get(pos, {})}
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

    def lookups(self, tree: Tree) -> tuple[dict[int, int], np.ndarray, np.ndarray]:
        """For ``tree`` (the real one or a world's): the row of each inner position in ``actions``,
        and each position's outcome index and payoff row (-1 for inner positions)."""
        if tree is self.tree:
            return self._row_of, self.outcome_of, self.row_of_position
        return (
            {pos: r for r, pos in enumerate(tree.inner)},
            np.array([p.outcome for p in tree.positions]),
            np.array([p.row for p in tree.positions]),
        )

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
        """Every trap on the realised real paths (no worlds); ``{trap: bool (n,)}``, true where it fired.

        ``expected`` gives each actor's expected payoff at the root, ``(n,)``
        (needed only when a trap uses ``expected()`` or ``surprise()``). See
        :func:`trapsim.runner.traps.evaluate_traps` for ``given`` and worlds.
        """
        paths: dict[str | None, PlayedPaths] = {None: PlayedPaths(self.tree, leaf, actions, payoffs, expected)}
        return evaluate_traps(self, env, paths, chunk).fired

    def uniforms(self, entropy: int, chunk: int, n: int, solver: str) -> dict[int, np.ndarray]:
        """Uniforms for chance nodes (and decisions under ``qre``), one stream per node.

        The copies of a shared node use the stream of its id (only one copy is
        on any path, so they share the draws).
        """
        return self.uniforms_of_chunks(entropy, [(chunk, n)], solver)

    def uniforms_of_chunks(self, entropy: int, chunks: Sequence[tuple[int, int]], solver: str) -> dict[int, np.ndarray]:
        """:meth:`uniforms` of consecutive chunks ``(index, draws)``, each from its streams, side by side."""
        out: dict[int, np.ndarray] = {}
        by_id: dict[str, np.ndarray] = {}
        for pos in self.tree.inner:
            p = self.tree.positions[pos]
            if p.kind == "chance" or solver == "qre":
                if p.id not in by_id:
                    by_id[p.id] = _joined([stream(entropy, c, f"node:{p.id}").random(n) for c, n in chunks])
                out[pos] = by_id[p.id]
        return out
