"""Which actors' values each position computes when the root's values are not wanted (see ``backward``)."""

from __future__ import annotations

from dataclasses import dataclass

from trapsim.solver.tree import Tree

__all__ = ["Needs", "needs_of"]


@dataclass(frozen=True, slots=True)
class Needs:
    """The actors whose values each position of a tree computes.

    A decision compares its owner's values in its children and passes its
    own values up to the positions above: a position computes the values of
    the actors whose decisions above it compare them (none at the root).
    Its value's rows are those of its parent, then the parent's owner if
    that is new; so the rows a parent needs are the first ones of each
    child's value.
    """

    rows: tuple[int, ...]  # per position: how many actors' values it computes
    owner: tuple[int, ...]  # per inner position: row of its owner's values in its children's values (-1: chance)
    take: tuple[slice | list[int], ...]  # per position: its actors, as an index of the actor axis


_NEEDS: dict[int, tuple[Tree, Needs]] = {}


def needs_of(tree: Tree) -> Needs:
    """The :class:`Needs` of ``tree`` (built once per tree, and cached)."""
    hit = _NEEDS.get(id(tree))
    if hit is not None and hit[0] is tree:
        return hit[1]
    positions = tree.positions
    actors: list[tuple[int, ...]] = [()] * len(positions)
    owner = [-1] * len(positions)
    for i, pos in enumerate(positions):  # pre-order: a parent comes before its children
        kid = actors[i]
        if pos.kind == "decision":
            if pos.owner not in kid:
                kid = (*kid, pos.owner)
            owner[i] = kid.index(pos.owner)
        for c in pos.children:
            actors[c] = kid
    needs = Needs(tuple(len(a) for a in actors), tuple(owner), tuple(_index(a) for a in actors))
    if len(_NEEDS) > 64:
        _NEEDS.clear()
    _NEEDS[id(tree)] = (tree, needs)
    return needs


def _index(actors: tuple[int, ...]) -> slice | list[int]:
    """``actors`` as an index: a slice (a view) when they are consecutive and increasing, else a list (a copy)."""
    if actors and actors == tuple(range(actors[0], actors[0] + len(actors))):
        return slice(actors[0], actors[0] + len(actors))
    return list(actors)
