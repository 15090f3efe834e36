"""Trap evaluation: each trap's ``when`` and ``given`` on the realised paths of the real and counterfactual worlds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from trapsim.errors import RunError
from trapsim.expressions import path_key, split_path_ref, worlds_named
from trapsim.model import Scenario
from trapsim.solver import PayoffTable, Tree, realised_payoffs

if TYPE_CHECKING:
    from trapsim.runner.compiling import CompiledScenario

__all__ = ["PlayedPaths", "TrapValues", "WorldDraws", "evaluate_traps", "world_draws", "world_readers"]


@dataclass(frozen=True, slots=True)
class PlayedPaths:
    """The realised paths of ``n`` draws in one world (the real one or a counterfactual).

    Attributes
    ----------
    tree
        The world's game tree (a forced node keeps only its forced action).
    leaf
        The leaf position reached, ``(n,)``.
    actions
        The action index taken at each inner node of ``tree``, ``(inner, n)``; -1 where not reached.
    payoffs
        The world's payoffs, ``(rows, actors, n)`` or a :class:`~trapsim.solver.PayoffTable`.
    expected
        Each actor's expected payoff at the root, ``{actor: (n,)}`` (only needed by
        ``expected()`` and ``surprise()``).
    draws
        ``None``: the paths of every draw. Else the indices of the draws these
        paths are of (a world solved only where a trap reads it, see
        :func:`world_draws`): every array above has one entry per index, and a
        path function is false (0 for a payoff) in the other draws.
    """

    tree: Tree
    leaf: np.ndarray
    actions: np.ndarray
    payoffs: np.ndarray | PayoffTable
    expected: Mapping[str, np.ndarray] | None = None
    draws: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class TrapValues:
    """Per trap, ``(n,)`` booleans: ``fired`` (``when`` and ``given``) and ``given`` (all true without one)."""

    fired: dict[str, np.ndarray]
    given: dict[str, np.ndarray]


def _path_value(model: CompiledScenario, fn: str, args: tuple[str, ...], path: PlayedPaths, n: int) -> np.ndarray:
    """The value of one path function on the paths of one world, ``(n,)``.

    ``played``/``reached`` of a node hold at any of its copies (shared nodes);
    a node or action a world's ``force`` removed is never played or reached there.
    Paths of some draws only (``path.draws``) give false, or 0, in the others.
    """
    if path.draws is None:
        return _on_paths(model, fn, args, path, n)
    value = np.asarray(_on_paths(model, fn, args, path, len(path.draws)))
    out = np.zeros(n, dtype=value.dtype)
    out[path.draws] = value
    return out


def _on_paths(model: CompiledScenario, fn: str, args: tuple[str, ...], path: PlayedPaths, n: int) -> np.ndarray:
    """:func:`_path_value` on the ``n`` draws that ``path`` holds."""
    tree = path.tree
    rows, outcome_of, row_of = model.lookups(tree)
    if fn in ("played", "reached") and args[0] in tree.copies:
        copies = tree.copies[args[0]]
        if fn == "reached":
            hits = [path.actions[rows[pos]] >= 0 for pos in copies]
        else:
            actions = tree.positions[copies[0]].actions
            if args[1] not in actions:  # removed by a world's `force`
                return np.zeros(n, dtype=bool)
            k = actions.index(args[1])
            hits = [path.actions[rows[pos]] == k for pos in copies]
        return hits[0] if len(hits) == 1 else np.logical_or.reduce(hits)
    if fn == "played" or (fn == "reached" and args[0] in model.scenario.nodes):
        return np.zeros(n, dtype=bool)  # a node this world's tree no longer contains
    if fn == "reached":
        return outcome_of[path.leaf] == tree.outcomes.index(args[0])
    realised = realised_payoffs(path.payoffs, row_of[path.leaf], tree.actors.index(args[0]))
    if fn == "payoff":
        return realised
    if path.expected is None:
        raise RunError(
            f"{fn}('{args[0]}') needs each actor's expected payoff, which only "
            "`trapsim run`, `solve` and `explain` compute",
            file=model.scenario.path,
        )
    e = path.expected[args[0]]
    return e if fn == "expected" else realised - e


def evaluate_traps(
    model: CompiledScenario,
    env: Mapping[str, Any],
    paths: Mapping[str | None, PlayedPaths],
    chunk: int = 0,
    givens: Mapping[int, Any] | None = None,
) -> TrapValues:
    """Evaluate every trap's ``when`` and ``given`` on the realised paths.

    ``paths[None]`` holds the real paths, ``paths[world]`` those of each
    world the traps use. A trap's id, used in a later trap, stands for
    ``when and given`` (the trap fired). A trap's ``when`` matters only
    where its ``given`` holds: it is an error only where it is unknown (NaN)
    in a draw where the ``given`` holds or is itself unknown; the ``given``
    is checked in every draw. ``givens``: values of some ``given`` (by trap
    index) already computed on the same paths (:func:`world_draws`).
    """
    n = paths[None].leaf.shape[0]
    scope = dict(env)
    for ref in model.path_refs:
        fn, args, world = split_path_ref(ref)
        scope[path_key(ref)] = _path_value(model, fn, args, paths[world], n)
    fired, given = {}, {}
    with np.errstate(all="ignore"):
        for i, (tid, when, cond) in enumerate(model.traps):
            raw = when.fn(scope)
            if cond is None:
                value = _flags(model.finite(when, raw, scope, chunk), n)
            else:
                g = givens[i] if givens is not None and i in givens else cond.fn(scope)
                model.finite(when, _where(raw, _flags(g, n)), scope, chunk)  # NaN is true: checked there too
                holds = _flags(model.finite(cond, g, scope, chunk), n)
                value = _flags(raw, n) & holds
                given[tid] = holds
            scope[tid] = value
            fired[tid] = value
    return TrapValues(fired, given)


def _flags(value: Any, n: int) -> np.ndarray:
    """A condition's value as ``(n,)`` booleans (NaN, unknown, is true: only ever used where checked)."""
    return np.broadcast_to(np.asarray(value, dtype=bool), (n,))


def _where(value: Any, region: np.ndarray) -> Any:
    """A condition's value in ``region``, false elsewhere: what is checked of a ``when``."""
    arr = np.asarray(value)
    return value if arr.dtype == bool else np.where(region, arr, 0.0)


def world_readers(scenario: Scenario) -> dict[str, tuple[int, ...] | None]:
    """Per world a trap uses: the traps (indices) whose ``given`` bounds the draws where the world is read.

    A trap that reads a world in its ``when`` fires only where its ``given``
    holds (``fired = when and given``; a later trap naming it reads that), so
    its world matters only in those draws. ``None``: the world is read in
    every draw: a trap reads it without a ``given``, or in its ``given``, or
    with a ``given`` that itself needs a world or another trap (known only
    once the worlds are played).
    """
    trap_ids = {t.id for t in scenario.traps}
    out: dict[str, tuple[int, ...] | None] = {}
    for i, t in enumerate(scenario.traps):
        given = t.given
        bounded = given is not None and not (given.names & trap_ids) and not worlds_named(given.path_refs)
        for w in worlds_named(given.path_refs) if given is not None else ():
            out[w] = None
        for w in worlds_named(t.when.path_refs):
            seen = out.get(w, ())
            out[w] = None if seen is None or not bounded else (*seen, i)
    return out


@dataclass(frozen=True, slots=True)
class WorldDraws:
    """What :func:`world_draws` found: per world its draws (None: all), and the ``given`` values it computed."""

    draws: dict[str, np.ndarray | None]
    givens: dict[int, Any]  # by trap index, for evaluate_traps


def world_draws(model: CompiledScenario, env: Mapping[str, Any], real: PlayedPaths) -> WorldDraws:
    """Per world a trap uses: the draws where it is read (indices, see :func:`world_readers`), or None for all.

    The ``given`` of each trap that bounds a world is evaluated on the real
    paths (the values :func:`evaluate_traps` then takes). Nothing is checked
    here: a ``given`` that is unknown (NaN) in some draw makes its worlds
    solved in every draw, and :func:`evaluate_traps` reports it in its turn.
    With beliefs, worlds are solved in every draw.
    """
    n = real.leaf.shape[0]
    scope = dict(env)
    givens: dict[int, Any] = {}
    out: dict[str, np.ndarray | None] = {}
    by_text: dict[str, Any] = {}  # each given's value, by its text (several traps may share one)
    by_givens: dict[tuple[str, ...], np.ndarray | None] = {}  # worlds read under the same givens share draws
    if model.beliefs:
        return WorldDraws(dict.fromkeys(model.world_readers), givens)
    with np.errstate(all="ignore"):
        for world, readers in model.world_readers.items():
            if readers is None:
                out[world] = None
                continue
            conds = {i: model.traps[i][2] for i in readers}
            key = tuple(sorted({c.expr.source for c in conds.values() if c is not None}))
            if key not in by_givens:
                mask: np.ndarray | None = np.zeros(n, dtype=bool)
                for cond in conds.values():
                    assert cond is not None  # a bounding trap has a given (world_readers)
                    if cond.expr.source not in by_text:
                        for ref in cond.expr.path_refs:
                            if path_key(ref) not in scope:
                                fn, args, _ = split_path_ref(ref)
                                scope[path_key(ref)] = _path_value(model, fn, args, real, n)
                        by_text[cond.expr.source] = cond.fn(scope)
                    value = np.asarray(by_text[cond.expr.source])
                    if mask is not None and value.dtype != bool and np.isnan(value).any():
                        mask = None  # unknown somewhere: an error evaluate_traps reports in its turn
                    if mask is not None:
                        mask |= _flags(value, n)
                by_givens[key] = None if mask is None else np.flatnonzero(mask)
            for i, cond in conds.items():
                if cond is not None and cond.expr.source in by_text:
                    givens[i] = by_text[cond.expr.source]
            out[world] = by_givens[key]
    return WorldDraws(out, givens)
