"""The game tree of a scenario as arrays of positions (shared nodes unfolded, see :mod:`trapsim.unfolding`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from trapsim.model import ChanceNode, DecisionNode, Scenario
from trapsim.unfolding import history_values, unfold

__all__ = ["Position", "Tree", "assemble_tree", "build_tree"]


@dataclass(frozen=True, slots=True)
class Position:
    """One place in the tree: an inner node or a leaf (an outcome instance).

    A node shared in the file (several actions lead to it) has one position
    per history; ``name`` tells the copies apart (``dprk_answer[restrain]``,
    see :mod:`trapsim.unfolding`) and is the id for a node with one copy.
    """

    id: str  # node id, or outcome id for a leaf
    kind: str  # "decision", "chance" or "leaf"
    owner: int  # actor index for decisions, -1 otherwise
    children: tuple[int, ...]  # position indices, in action order
    actions: tuple[str, ...]
    outcome: int  # outcome index for leaves, -1 otherwise
    parent: int  # -1 for the root
    action_in_parent: int  # -1 for the root
    name: str = ""  # copy name (the id unless the node is shared)
    row: int = -1  # leaves: row of the payoff array (the outcome index unless payoffs use the history)


@dataclass(frozen=True, slots=True)
class Tree:
    """The game tree as positions in pre-order (position 0 is the root).

    ``rows`` lists the payoff rows: ``(outcome index, history values)``, one
    per outcome, plus one per distinct history of an outcome whose payoffs use
    ``played``/``reached`` (the history values map :func:`path_key` keys to
    booleans). ``history`` gives the same values for chance positions whose
    probabilities use the history.
    """

    positions: tuple[Position, ...]
    actors: tuple[str, ...]
    outcomes: tuple[str, ...]
    inner: tuple[int, ...]  # positions of inner nodes, pre-order
    node_index: Mapping[str, int]  # copy name -> position (the node id for an unshared node)
    copies: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # node id -> its positions
    rows: tuple[tuple[int, Mapping[str, bool]], ...] = ()
    history: Mapping[int, Mapping[str, bool]] = field(default_factory=dict)

    @property
    def leaves(self) -> tuple[int, ...]:
        return tuple(i for i, p in enumerate(self.positions) if p.kind == "leaf")

    def path_to(self, position: int) -> list[tuple[int, int]]:
        """``(inner position, action index)`` pairs from the root to ``position``."""
        out = []
        p = self.positions[position]
        while p.parent >= 0:
            out.append((p.parent, p.action_in_parent))
            p = self.positions[p.parent]
        return out[::-1]


def build_tree(scenario: Scenario) -> Tree:
    """Lay out the scenario's game tree as positions in pre-order (shared nodes unfolded)."""
    actors = scenario.actor_ids
    outcomes = tuple(scenario.outcomes)
    nodes = scenario.nodes
    places = unfold(scenario.root, {n: v.targets for n, v in nodes.items()}, {n: v.actions for n, v in nodes.items()})
    refs = {o.id: frozenset().union(*(e.path_refs for e in o.payoffs)) for o in scenario.outcomes.values()}
    refs.update(
        {n.id: frozenset().union(*(e.path_refs for e in n.probs)) for n in nodes.values() if isinstance(n, ChanceNode)}
    )
    outcome_index = {o: k for k, o in enumerate(outcomes)}  # not tuple.index: O(outcomes) per leaf
    actor_index = {a: k for k, a in enumerate(actors)}
    rows: list[tuple[int, Mapping[str, bool]]] = []
    row_of: dict[tuple[str, tuple[tuple[str, bool], ...]], int] = {}
    for o in outcomes:  # one row per outcome first, so that rows == outcomes without history functions
        if not refs[o]:
            row_of[(o, ())] = len(rows)
            rows.append((outcome_index[o], {}))
    positions = []
    history: dict[int, Mapping[str, bool]] = {}
    for i, pl in enumerate(places):
        node = nodes.get(pl.id)
        ref = refs.get(pl.id)  # a place's history costs its depth: only where it is asked about
        values = history_values(ref, pl.history) if ref else {}
        if node is None:
            key = (pl.id, tuple(sorted(values.items())))
            if key not in row_of:
                row_of[key] = len(rows)
                rows.append((outcome_index[pl.id], values))
            index = outcome_index[pl.id]
            positions.append(
                Position(pl.id, "leaf", -1, (), (), index, pl.parent, pl.action_in_parent, pl.name, row_of[key])
            )
        elif isinstance(node, DecisionNode):
            a = actor_index[node.actor]
            positions.append(
                Position(pl.id, "decision", a, pl.children, node.actions, -1, pl.parent, pl.action_in_parent, pl.name)
            )
        else:
            if values:
                history[i] = values
            positions.append(
                Position(pl.id, "chance", -1, pl.children, node.actions, -1, pl.parent, pl.action_in_parent, pl.name)
            )
    return assemble_tree(positions, actors, outcomes, tuple(rows), history)


def assemble_tree(
    positions: Sequence[Position],
    actors: tuple[str, ...],
    outcomes: tuple[str, ...],
    rows: tuple[tuple[int, Mapping[str, bool]], ...],
    history: dict[int, Mapping[str, bool]],
) -> Tree:
    """A :class:`Tree` of positions in pre-order, with its inner positions, names and copies indexed."""
    inner = tuple(i for i, p in enumerate(positions) if p.kind != "leaf")
    copies: dict[str, list[int]] = {}
    for i in inner:
        copies.setdefault(positions[i].id, []).append(i)
    return Tree(
        tuple(positions),
        actors,
        outcomes,
        inner,
        {positions[i].name: i for i in inner},
        {k: tuple(v) for k, v in copies.items()},
        rows,
        history,
    )
