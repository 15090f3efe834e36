"""Relations as interventions: how much of each trap depends on each tie of the actor graph.

A relation with ``absent = { set = ..., force = ... }`` says what the game
looks like without the tie, in the same forms as a counterfactual world
(``[worlds.<id>]``). :func:`attribute` evaluates every trap twice on the same
draws (the same parameter values and chance dice): as written, and with the
tie absent. For a trap that uses worlds itself, the tie is absent in those
worlds too (the absent intervention is applied first, the trap's world on top
of it, the world's entries winning where both name the same parameter or node).

* **depends**: among the draws where the trap fires (``when`` and ``given``),
  the share where it would not fire without the tie;
* **prevents**: among all draws, the share where the trap would fire without
  the tie but does not fire with it.

Both are computed in one Monte Carlo run of an extended scenario: one extra
world per relation (and per world the traps use), and three derived traps per
relation and trap (the trap without the tie; fires with it but not without;
fires without it but not with). So they inherit the runner's reproducibility:
the same numbers for every worker count and backend.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trapsim.expressions import PATH_FUNCTIONS, Expr, parse
from trapsim.expressions.language import Binary, Call, Name, Node, Str, Unary
from trapsim.model import Relation, Scenario, Trap, World
from trapsim.runner import Result
from trapsim.runner.result import proportion

__all__ = ["Attribution", "RelationAttribution", "attributable", "attribute", "extend"]

_ABSENT = "absent__{i}"
_ABSENT_IN = "absent__{i}__{world}"
_WITHOUT = "without__{i}__{trap}"
_DEPENDS = "depends__{i}__{trap}"
_PREVENTS = "prevents__{i}__{trap}"


def attributable(scenario: Scenario) -> list[tuple[int, Relation]]:
    """The relations with an ``absent`` table, with their index in ``[[relations]]``."""
    return [(i, r) for i, r in enumerate(scenario.relations) if r.absent is not None]


def _compose(first: World, then: World, wid: str) -> World:
    """``first``'s intervention with ``then``'s on top (``then`` wins on a shared key)."""
    sets = dict(first.set)
    sets.update(dict(then.set))
    force = dict(first.force)
    force.update(dict(then.force))
    return World(wid, tuple(sets.items()), tuple(force.items()), then.title, then.description)


def _retarget(node: Node, i: int, traps: frozenset[str]) -> Node:
    """The syntax tree with every path function moved to the tie-absent worlds, trap names to their twins."""
    if isinstance(node, Name):
        return Name(_WITHOUT.format(i=i, trap=node.id), node.pos) if node.id in traps else node
    if isinstance(node, Unary):
        return Unary(node.op, _retarget(node.operand, i, traps), node.pos)
    if isinstance(node, Binary):
        return Binary(node.op, _retarget(node.left, i, traps), _retarget(node.right, i, traps), node.pos)
    if isinstance(node, Call):
        args = tuple(_retarget(a, i, traps) for a in node.args)
        if node.func in PATH_FUNCTIONS:
            if len(args) > PATH_FUNCTIONS[node.func]:  # already names a world
                last = args[-1]
                assert isinstance(last, Str)  # the validator admits only a world id in quotes there
                args = (*args[:-1], Str(_ABSENT_IN.format(i=i, world=last.value), last.pos))
            else:
                args = (*args, Str(_ABSENT.format(i=i), node.pos))
        return Call(node.func, args, node.pos)
    return node


def _expr(tree: Node, source: str) -> Expr:
    return Expr(source, tree)


@dataclass(frozen=True, slots=True)
class _Without(Expr):
    """A trap's expression moved to relation ``i``'s tie-absent worlds (:func:`_retarget`).

    Its ``source`` describes it ("(...) without the tie") but does not parse, so
    it is pickled (for worker processes) as the recipe: the original source,
    parsed and moved again there.
    """

    recipe: tuple[str, int, tuple[str, ...]] = ("", 0, ())  # a sorted tuple: the same pickle bytes every time

    def __reduce__(self) -> tuple[Any, ...]:
        return (_without, self.recipe)


def _without(source: str, i: int, traps: tuple[str, ...], tree: Node | None = None) -> Expr:
    """:class:`_Without` of the expression ``source`` (whose syntax tree is ``tree`` when already parsed).

    ``traps``: the scenario's trap ids, sorted. (A frozenset would do for :func:`_retarget`, but its
    pickle bytes change with the order of a set rebuilt in a worker, and the workers' cache of
    compiled scenarios is keyed by those bytes.)
    """
    if tree is None:
        tree = parse(source).tree
    return _Without(f"({source}) without the tie", _retarget(tree, i, frozenset(traps)), (source, i, traps))


def _name(trap_id: str) -> Node:
    return Name(trap_id, 0)


def extend(scenario: Scenario, relations: Sequence[tuple[int, Relation]]) -> Scenario:
    """The scenario with, per relation, its tie-absent worlds and the derived traps of :func:`attribute`.

    The original traps and worlds come first and are unchanged, so the
    original traps count exactly what a plain run counts.
    """
    worlds = list(scenario.worlds)
    traps = list(scenario.traps)
    trap_ids = tuple(sorted(t.id for t in scenario.traps))
    used = set(scenario.used_worlds())
    for i, rel in relations:
        assert rel.absent is not None
        absent = dataclasses.replace(rel.absent, id=_ABSENT.format(i=i))
        worlds.append(absent)
        worlds += [_compose(absent, w, _ABSENT_IN.format(i=i, world=w.id)) for w in scenario.worlds if w.id in used]
        for t in scenario.traps:
            without = _WITHOUT.format(i=i, trap=t.id)
            when = _without(t.when.source, i, trap_ids, t.when.tree)
            given = None if t.given is None else _without(t.given.source, i, trap_ids, t.given.tree)
            traps.append(Trap(without, f"{t.title} (without the tie)", when, given=given))
        for t in scenario.traps:
            without = _WITHOUT.format(i=i, trap=t.id)
            dep = Binary("and", _name(t.id), Unary("not", _name(without), 0), 0)
            prv = Binary("and", Unary("not", _name(t.id), 0), _name(without), 0)
            traps.append(Trap(_DEPENDS.format(i=i, trap=t.id), "", _expr(dep, f"{t.id} and not {without}")))
            traps.append(Trap(_PREVENTS.format(i=i, trap=t.id), "", _expr(prv, f"not {t.id} and {without}")))
    return dataclasses.replace(scenario, worlds=tuple(worlds), traps=tuple(traps))


@dataclass(frozen=True, slots=True)
class RelationAttribution:
    """One relation's attribution: per trap, ``{"depends": {...}, "prevents": {...}}``.

    Each entry is ``{"count", "rate", "ci95"}`` (Wilson 95%); ``depends`` is
    among the trap's firings (``rate`` is ``None`` when it never fired),
    ``prevents`` among all draws. ``traps`` is empty for a relation without
    ``absent`` (not attributable).
    """

    index: int
    relation: Relation
    traps: Mapping[str, Mapping[str, dict[str, Any]]] = field(default_factory=dict)

    @property
    def attributable(self) -> bool:
        return self.relation.absent is not None

    def to_dict(self) -> dict[str, Any]:
        r = self.relation
        return {
            "from": r.source,
            "to": r.target,
            "kind": r.kind,
            "label": r.label,
            "attributable": self.attributable,
            "traps": {t: dict(v) for t, v in self.traps.items()},
        }


@dataclass(frozen=True, slots=True)
class Attribution:
    """The result of :func:`attribute`: one :class:`RelationAttribution` per relation, and the run behind it."""

    scenario: Scenario
    relations: tuple[RelationAttribution, ...]
    result: Result

    def to_dict(self) -> dict[str, Any]:
        res = self.result
        return {
            "scenario": self.scenario.name,
            "draws": res.draws,
            "seed": res.seed,
            "solver": res.solver,
            "rationality": res.rationality,
            "values": res.values,
            "traps": {t.id: res.trap_dict(t.id) for t in self.scenario.traps},
            "relations": [r.to_dict() for r in self.relations],
        }

    def share(self, relation: int, trap: str, kind: str = "depends") -> float | None:
        """The ``depends`` (or ``prevents``) share of one relation (by index) for one trap."""
        rate = self.relations[relation].traps[trap][kind]["rate"]
        return None if rate is None else float(rate)


def attribute(
    scenario: Scenario,
    run: Callable[[Scenario], Result],
) -> Attribution:
    """Attribute every trap to every relation with ``absent`` (see the module docstring).

    Parameters
    ----------
    scenario
        The scenario as loaded.
    run
        Runs the Monte Carlo on a scenario (the caller fixes draws, seed,
        solver, ``--set`` values and workers), e.g.
        ``lambda sc: trapsim.simulate(sc, draws=100_000, seed=1)``.
    """
    rels = attributable(scenario)
    result = run(extend(scenario, rels))
    out = []
    for i, rel in enumerate(scenario.relations):
        traps: dict[str, dict[str, dict[str, Any]]] = {}
        if rel.absent is not None:
            for t in scenario.traps:
                fired = result.trap_counts[t.id]
                traps[t.id] = {
                    "depends": proportion(result.trap_counts[_DEPENDS.format(i=i, trap=t.id)], fired),
                    "prevents": proportion(result.trap_counts[_PREVENTS.format(i=i, trap=t.id)], result.draws),
                }
        out.append(RelationAttribution(i, rel, traps))
    plain = dataclasses.replace(result, scenario=scenario)
    return Attribution(scenario, tuple(out), plain)
