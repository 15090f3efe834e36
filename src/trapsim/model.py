"""The validated scenario, as frozen dataclasses.

Objects here are built once by :mod:`trapsim.scenario` (or :mod:`trapsim.efg`)
after every rule of the format has been checked; downstream code trusts them.

Longer than the project's ~400-line guideline on purpose: it is the one schema of
the format, a frozen dataclass per table of ``docs/scenario-format.md`` and the
:class:`Scenario` that holds them with its lookups (labels, units, types). Each
class is short; splitting them across modules would scatter one contract.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from trapsim.expressions import Expr, Type, worlds_named
from trapsim.output import html_table, short_repr

__all__ = [
    "DISTRIBUTIONS",
    "MAX_DRAWS",
    "MAX_STEPS",
    "Actor",
    "Belief",
    "ChanceNode",
    "Classroom",
    "DecisionNode",
    "Derived",
    "Distribution",
    "LabelKind",
    "Outcome",
    "Parameter",
    "Relation",
    "Scenario",
    "Simulation",
    "Sweep",
    "Trap",
    "World",
]

#: Most draws of one run (or one sweep point): ten billion, about three hours at 1 µs a draw.
MAX_DRAWS = 10**10
#: Most values of one axis of a sweep.
MAX_STEPS = 1_000

#: Distribution kinds: required and optional arguments.
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "uniform": (("low", "high"), ()),
    "normal": (("mean", "sd"), ("low", "high")),
    "lognormal": (("mu", "sigma"), ()),
    "beta": (("a", "b"), ("low", "high")),
    "triangular": (("low", "mode", "high"), ()),
    "bernoulli": (("p",), ()),
    "choice": (("values",), ("weights",)),
}


@dataclass(frozen=True, slots=True)
class Distribution:
    """A parameter's distribution; ``kind == "constant"`` has ``args["value"]``."""

    kind: str
    args: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @classmethod
    def constant(cls, value: float) -> Distribution:
        return cls("constant", {"value": float(value)})

    def describe(self) -> str:
        """A short human form, e.g. ``uniform(low=0.1, high=0.35)``."""
        if self.kind == "constant":
            return f"{self.args['value']:g}"
        if self.kind == "mixture":  # a pool of students' priors (trapsim.elicitation)
            return f"pool of {len(self.args['components'])} (equal weights)"
        inner = ", ".join(f"{k}={_fmt(v)}" for k, v in self.args.items())
        return f"{self.kind}({inner})"


def _split_copy(name: str) -> tuple[str, str]:
    """``("dprk_answer", "[restrain]")`` for a copy name, ``(name, "")`` otherwise."""
    i = name.find("[")
    return (name[:i], name[i:]) if i > 0 and name.endswith("]") else (name, "")


def _fmt(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float | int) else str(value)


@dataclass(frozen=True, slots=True)
class Parameter:
    """An uncertain input.

    ``comment`` is the note written above the parameter (or at the end of its
    line); for a parameter of a group without a note of its own it is the
    group's note. ``group`` is the id of its ``[parameters.<group>]`` table,
    or ``""``. ``hindsight`` is empty for a prior whose basis was known when
    the scenario is set (ex-ante); otherwise it names the later knowledge the
    prior leans on.
    """

    name: str
    dist: Distribution
    comment: str = ""
    label: str = ""
    unit: str = ""
    group: str = ""
    hindsight: str = ""


@dataclass(frozen=True, slots=True)
class Derived:
    name: str
    expr: Expr
    type: Type = "num"
    label: str = ""
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    name: str
    color: str | None = None
    description: str = ""
    payoff_unit: str = ""  # what 1 of this actor's payoffs is worth ("" = the scenario's payoff_unit)


@dataclass(frozen=True, slots=True)
class Relation:
    """An edge of the actor graph; ``absent`` is the game without this tie (a world), if declared."""

    source: str
    target: str
    kind: str
    label: str = ""
    weight: float = 1.0
    directed: bool = True
    absent: World | None = None


@dataclass(frozen=True, slots=True)
class DecisionNode:
    """An inner node where ``actor`` picks one of ``actions``."""

    id: str
    actor: str
    actions: tuple[str, ...]
    targets: tuple[str, ...]
    label: str = ""
    action_labels: Mapping[str, str] = field(default_factory=dict, hash=False)
    description: str = ""


@dataclass(frozen=True, slots=True)
class ChanceNode:
    """An inner node where chance picks an action with probability ``probs[i]``."""

    id: str
    actions: tuple[str, ...]
    targets: tuple[str, ...]
    probs: tuple[Expr, ...]
    label: str = ""
    action_labels: Mapping[str, str] = field(default_factory=dict, hash=False)
    description: str = ""


Node = DecisionNode | ChanceNode

#: What :meth:`Scenario.label_of` can name.
LabelKind = Literal["node", "outcome", "parameter", "trap", "actor"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One row of the payoff table: a payoff expression per actor (actor order)."""

    id: str
    payoffs: tuple[Expr, ...]
    label: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Trap:
    """A named event: ``when`` on the realised path, counted among the draws where ``given`` holds.

    ``given`` is ``None`` for an unconditional trap (every draw counts).
    ``given_label`` says in words where ``given`` holds ("Ukraine gained ground").
    """

    id: str
    title: str
    when: Expr
    description: str = ""
    given: Expr | None = None
    given_label: str = ""

    @property
    def conditions(self) -> tuple[Expr, ...]:
        """``when`` and, for a conditional trap, ``given``."""
        return (self.when,) if self.given is None else (self.when, self.given)

    def denominator(self) -> str:
        """The draws the rate counts among, in words: ``draws where <given>`` or ``all draws``."""
        if self.given is None:
            return "all draws"
        return f"draws where {self.given_label or self.given.source}"


@dataclass(frozen=True, slots=True)
class World:
    """A counterfactual world (``[worlds.<id>]``): the same draw, intervened on.

    ``set`` fixes parameters to expressions over the draw's true values
    (derived values are recomputed); ``force`` keeps only one action at each
    listed decision node, so earlier movers anticipate it.
    """

    id: str
    set: tuple[tuple[str, Expr], ...] = ()
    force: tuple[tuple[str, str], ...] = ()
    title: str = ""
    description: str = ""

    def describe(self) -> str:
        """The intervention in words: ``the same draw with escape = 0; dprk_answer forced to munitions``."""
        parts = []
        if self.set:
            parts.append(" and ".join(f"{name} = {e.source}" for name, e in self.set))
        if self.force:
            parts.append(" and ".join(f"{node} forced to {action}" for node, action in self.force))
        return "the same draw with " + "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Sweep:
    """A declared sweep: ``vary`` holds ``(parameter, start, stop, steps)``."""

    id: str
    vary: tuple[tuple[str, float, float, int], ...]
    draws: int | None = None


@dataclass(frozen=True, slots=True)
class Belief:
    """How one actor sees one parameter (``[beliefs.<actor>]``).

    Exactly one of ``dist`` (a constant or a distribution, drawn on its own
    stream ``belief:<actor>:<parameter>``) and ``expr`` (an expression over
    the true values of the same draw) is set.
    """

    actor: str
    parameter: str
    dist: Distribution | None = None
    expr: Expr | None = None


@dataclass(frozen=True, slots=True)
class Classroom:
    """The ``[classroom]`` table: the parameters students judge in a poll, and optional ranges.

    ``ranges`` maps an asked parameter to the ``(low, high)`` where judgements
    may lie (a beta is fitted there; see :mod:`trapsim.elicitation`).
    """

    ask: tuple[str, ...] = ()
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class Simulation:
    draws: int = 10_000
    seed: int | None = None
    solver: str = "spe"
    rationality: float = 10.0


@dataclass(frozen=True, slots=True)
class Scenario:
    """A complete, validated scenario."""

    name: str
    title: str
    root: str
    actors: tuple[Actor, ...]
    parameters: tuple[Parameter, ...]
    nodes: Mapping[str, Node] = field(hash=False)
    outcomes: Mapping[str, Outcome] = field(hash=False)
    traps: tuple[Trap, ...] = ()
    derived: tuple[Derived, ...] = ()
    relations: tuple[Relation, ...] = ()
    sweeps: tuple[Sweep, ...] = ()
    beliefs: Mapping[str, tuple[Belief, ...]] = field(default_factory=dict, hash=False)
    worlds: tuple[World, ...] = ()
    simulation: Simulation = Simulation()
    classroom: Classroom = Classroom()
    description: str = ""
    sources: tuple[str, ...] = ()
    discussion: tuple[str, ...] = ()
    reality_check: str = ""
    commitment_kinds: tuple[str, ...] = ()
    payoff_unit: str = ""  # the unit of every actor's payoffs, unless the actor gives its own
    path: str = ""
    sha256: str = ""

    @property
    def actor_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.actors)

    def payoff_unit_of(self, actor: str) -> str:
        """The unit of ``actor``'s payoffs: its own ``payoff_unit``, else the scenario's, else ``""``."""
        for a in self.actors:
            if a.id == actor:
                return a.payoff_unit or self.payoff_unit
        raise KeyError(actor)

    def trap(self, trap_id: str) -> Trap:
        for t in self.traps:
            if t.id == trap_id:
                return t
        raise KeyError(trap_id)

    def _values(self) -> tuple[Parameter | Derived, ...]:
        return (*self.parameters, *self.derived)

    def label_of(self, kind: LabelKind, id: str) -> str:
        """The display text of an id: its ``label`` where the file gives one, else the id.

        ``kind`` is ``"node"``, ``"outcome"``, ``"parameter"`` (parameters and
        derived values), ``"trap"`` (its ``title``) or ``"actor"`` (its
        ``name``). A history-qualified copy name of a shared node,
        ``dprk_answer[restrain]``, keeps its bracket: ``Answer[restrain]``.
        Unknown ids come back unchanged, so callers never need a fallback.
        For an action use :meth:`action_label`.
        """
        if kind == "node" or kind == "outcome":
            base, bracket = _split_copy(id)
            table: Mapping[str, Any] = self.nodes if kind == "node" else self.outcomes
            item = table.get(base)
            text = getattr(item, "label", "") if item is not None else ""
            return (text or base) + bracket
        if kind == "parameter":
            for p in self._values():
                if p.name == id:
                    return p.label or id
            return id
        if kind == "trap":
            for t in self.traps:
                if t.id == id:
                    return t.title or id
            return id
        if kind == "actor":
            for a in self.actors:
                if a.id == id:
                    return a.name or id
            return id
        raise ValueError(f"unknown label kind {kind!r}")

    def action_label(self, node: str, action: str) -> str:
        """The display text of ``action`` at ``node`` (or at a copy ``node[...]``)."""
        item = self.nodes.get(_split_copy(node)[0])
        return (item.action_labels.get(action, "") if item is not None else "") or action

    def unit_of(self, name: str) -> str:
        """The ``unit`` of a parameter or derived value, or ``""``."""
        for p in self._values():
            if p.name == name:
                return p.unit
        return ""

    def labels(self) -> dict[str, dict[str, Any]]:
        """Every label the file gives, for JSON outputs (``{kind: {id: label}}``).

        Kinds: ``nodes``, ``actions`` (``{node: {action: label}}``),
        ``outcomes``, ``parameters`` (parameters and derived values) and
        ``units``; ids without a label are left out.
        """
        nodes = {n.id: n.label for n in self.nodes.values() if n.label}
        actions = {n.id: dict(n.action_labels) for n in self.nodes.values() if n.action_labels}
        outcomes = {o.id: o.label for o in self.outcomes.values() if o.label}
        params = {p.name: p.label for p in self._values() if p.label}
        units = {p.name: p.unit for p in self._values() if p.unit}
        return {"nodes": nodes, "actions": actions, "outcomes": outcomes, "parameters": params, "units": units}

    def node(self, name: str) -> Node:
        """The node of an id or of a copy name (``dprk_answer[restrain]``, see :mod:`trapsim.unfolding`)."""
        return self.nodes[_split_copy(name)[0]]

    def world(self, world_id: str) -> World:
        for w in self.worlds:
            if w.id == world_id:
                return w
        raise KeyError(world_id)

    def used_worlds(self) -> tuple[str, ...]:
        """Ids of the worlds some trap names, in file order (the only ones ever solved)."""
        used = worlds_named(ref for t in self.traps for e in t.conditions for ref in e.path_refs)
        return tuple(w.id for w in self.worlds if w.id in used)

    def forced(self, world_id: str) -> Scenario:
        """The game of a world: each forced decision node keeps only its forced action.

        Parameters, traps and worlds are kept; the caller applies ``set``.
        """
        nodes = dict(self.nodes)
        for node_id, action in self.world(world_id).force:
            node = nodes[node_id]
            k = node.actions.index(action)
            nodes[node_id] = dataclasses.replace(node, actions=(action,), targets=(node.targets[k],))
        return dataclasses.replace(self, nodes=nodes)

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    def types(self) -> dict[str, Type]:
        """Types of the names usable in expressions (parameters, derived, traps)."""
        out: dict[str, Type] = {p.name: "num" for p in self.parameters}
        out.update({d.name: d.type for d in self.derived})
        out.update({t.id: "bool" for t in self.traps})
        return out

    def preorder(self) -> Iterator[tuple[str, str | None, int]]:
        """Walk the tree from the root: ``(id, parent id, action index)``.

        Outcomes appear once per position, so a shared outcome row is visited
        once for each parent pointing to it.
        """
        stack: list[tuple[str, str | None, int]] = [(self.root, None, -1)]
        while stack:
            node_id, parent, k = stack.pop()
            yield node_id, parent, k
            node = self.nodes.get(node_id)
            if node is not None:
                for i in reversed(range(len(node.targets))):
                    stack.append((node.targets[i], node_id, i))

    def summary(self) -> str:
        """``5 actors, 20 parameters, 21 nodes, 24 outcomes, 4 traps`` (``trapsim validate``, the repr)."""
        counts = [
            (len(self.actors), "actor"),
            (len(self.parameters), "parameter"),
            (len(self.nodes), "node"),
            (len(self.outcomes), "outcome"),
            (len(self.traps), "trap"),
        ]
        return ", ".join(f"{n} {word}" + ("" if n == 1 else "s") for n, word in counts)

    def __repr__(self) -> str:
        return short_repr("Scenario", self.name, self.summary())

    def _repr_html_(self) -> str:
        rows = [(t.id, t.title, t.description) for t in self.traps]
        return html_table(f"{self.title} ({self.name})", ["trap", "title", "meaning"], rows, note=repr(self))

    def with_values(self, values: Mapping[str, float]) -> Scenario:
        """A copy with the named parameters fixed at constants (``--set``)."""
        params = tuple(
            dataclasses.replace(p, dist=Distribution.constant(values[p.name])) if p.name in values else p
            for p in self.parameters
        )
        return dataclasses.replace(self, parameters=params)
