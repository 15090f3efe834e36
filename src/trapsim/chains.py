"""Chains of commitment: how many treaty steps each actor is from the war.

Computed from the actor graph alone (``[[relations]]``), not from the game.
An actor is *at war* when it is an end of a relation whose kind is in
``war_kinds`` (``"war"``). A *commitment* is a relation whose kind is in the
scenario's commitment kinds (by default :data:`COMMITMENT_KINDS`); it is
followed from ``from`` to ``to`` (the committed party to the party it is
committed to), both ways when ``directed = false``. An actor's chain is the
shortest path of commitments from it to an actor at war (Snyder's chain of
entrapment: China → North Korea (1961) → Russia (2024, Art. 4), at war).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from trapsim.model import Relation, Scenario

__all__ = ["COMMITMENT_KINDS", "WAR_KINDS", "Chain", "commitment_chains"]

#: Relation kinds that count as commitments unless a scenario says otherwise.
COMMITMENT_KINDS: tuple[str, ...] = ("alliance", "patronage", "support")
#: Relation kinds whose two ends are parties at war.
WAR_KINDS: tuple[str, ...] = ("war",)

_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True, slots=True)
class Chain:
    """One actor's shortest chain of commitments to a party at war.

    ``actors`` runs from the actor itself to the party at war (one actor when
    the actor is itself at war); ``relations[i]`` links ``actors[i]`` to
    ``actors[i + 1]``.
    """

    actors: tuple[str, ...]
    relations: tuple[Relation, ...]

    @property
    def steps(self) -> int:
        return len(self.relations)

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        """Plain words, e.g. ``China is two commitment steps from the war: ...``."""
        names = names or {}

        def name(a: str) -> str:
            return names.get(a, a)

        first = name(self.actors[0])
        if self.steps == 0:
            return f"{first} is at war."
        count = _NUMBERS[self.steps] if self.steps < len(_NUMBERS) else str(self.steps)
        plural = "step" if self.steps == 1 else "steps"
        links = [name(self.actors[0])]
        for b, rel in zip(self.actors[1:], self.relations, strict=True):
            links.append(f"{name(b)} ({rel.label or rel.kind})")
        last = name(self.actors[-1])
        return f"{first} is {count} commitment {plural} from the war: {' → '.join(links)}; {last} is at war."


def _parties_at_war(relations: Iterable[Relation], war_kinds: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for rel in relations:
        if rel.kind in war_kinds:
            out.update((rel.source, rel.target))
    return out


def commitment_chains(
    scenario: Scenario,
    *,
    kinds: Sequence[str] | None = None,
    war_kinds: Sequence[str] = WAR_KINDS,
) -> dict[str, Chain | None]:
    """Each actor's shortest chain of commitments to a party at war.

    Parameters
    ----------
    scenario
        The scenario whose ``relations`` form the graph.
    kinds
        Relation kinds that count as commitments; by default the scenario's
        ``commitment_kinds`` or :data:`COMMITMENT_KINDS`.
    war_kinds
        Relation kinds whose ends are at war.

    Returns
    -------
    dict
        Actor id → its :class:`Chain` (``steps == 0`` for a party at war), or
        ``None`` when no chain of commitments reaches the war. Ties between
        equally short chains are broken by the order of ``[[relations]]``.
    """
    import networkx as nx

    if kinds is None:
        kinds = scenario.commitment_kinds or COMMITMENT_KINDS
    at_war = _parties_at_war(scenario.relations, war_kinds)
    graph = nx.DiGraph()
    graph.add_nodes_from(scenario.actor_ids)
    for rel in scenario.relations:
        if rel.kind not in kinds or rel.source == rel.target:
            continue
        pairs = [(rel.source, rel.target)] + ([] if rel.directed else [(rel.target, rel.source)])
        for a, b in pairs:
            if not graph.has_edge(a, b):  # the first relation listed wins a tie
                graph.add_edge(a, b, relation=rel)
    out: dict[str, Chain | None] = {}
    if not at_war:
        return dict.fromkeys(scenario.actor_ids)
    # One reverse breadth-first search from every party at war at once: a
    # virtual sink that each party at war points to.
    sink = object()
    graph.add_node(sink)
    for a in at_war:
        if a in graph:
            graph.add_edge(a, sink)
    for actor in scenario.actor_ids:
        try:
            path = nx.shortest_path(graph, actor, sink)
        except nx.NetworkXNoPath:
            out[actor] = None
            continue
        hops = path[:-1]
        rels = tuple(graph.edges[a, b]["relation"] for a, b in itertools.pairwise(hops))
        out[actor] = Chain(tuple(hops), rels)
    return out
