"""Shared subtrees: a scenario's graph of nodes unfolded into the game tree it describes.

A scenario file describes a directed acyclic graph: several actions may point at
the same node. The game is the graph's unfolding into a tree, with one copy of a
shared node (and of everything below it) per history leading there. This module
counts and lays out that unfolding; it works on plain ``{node: targets}``
mappings so that the validator can use it on a file that is not yet valid.

Copy names
----------
A node reached by one history only keeps its id. Each copy of a node reached
by several histories is named ``id[a,b]``: the actions of its history, in
order, taken at the nodes whose choice decides which copy is reached (the nodes
with two or more actions that lead to it), e.g. ``dprk_answer[restrain]``.
Leaves keep their outcome id (an outcome row could always end many branches).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from trapsim.expressions import path_key

__all__ = [
    "MAX_POSITIONS",
    "Place",
    "ancestors",
    "count_positions",
    "find_cycle",
    "histories_of",
    "history_values",
    "unfold",
]

#: The largest unfolded tree trapsim builds (positions: inner nodes and leaves).
MAX_POSITIONS = 100_000


#: A history as a linked list shared with the parent: ``(trail before, (node id, action))``.
_Trail = tuple["_Trail | None", tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Place:
    """One position of the unfolded tree (pre-order; position 0 is the root)."""

    id: str  # node or outcome id
    name: str  # copy name: the id, or ``id[a,b]`` for one of several copies of a node
    parent: int  # -1 for the root
    action_in_parent: int  # -1 for the root
    children: tuple[int, ...]
    trail: _Trail | None  # the history, shared with the parent's (so unfolding stays linear)

    @property
    def history(self) -> tuple[tuple[str, str], ...]:
        """``(node id, action)`` from the root to here."""
        steps = []
        trail = self.trail
        while trail is not None:
            trail, step = trail
            steps.append(step)
        return tuple(reversed(steps))


def find_cycle(root: str, nxt: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A cycle through nodes reachable from ``root`` (``[a, b, a]``), or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []
    stack: list[tuple[str, int]] = [(root, 0)]
    while stack:
        node, k = stack.pop()
        if k == 0:
            state[node] = 1
            path.append(node)
        targets = nxt.get(node, ())
        if k < len(targets):
            stack.append((node, k + 1))
            child = targets[k]
            if child in nxt:
                if state.get(child) == 1:
                    return [*path[path.index(child) :], child]
                if child not in state:
                    stack.append((child, 0))
            continue
        state[node] = 2
        path.pop()
    return None


def count_positions(root: str, nxt: Mapping[str, Sequence[str]], limit: int = MAX_POSITIONS) -> int:
    """Positions of the unfolded tree below ``root`` (capped a little above ``limit``).

    ``nxt`` maps each node to its targets (nodes or outcomes); the graph must
    be acyclic. The count is made on the graph, never by unfolding it.
    """
    size: dict[str, int] = {}
    order = _postorder(root, nxt)
    for node in order:
        size[node] = min(limit + 1, 1 + sum(size.get(t, 1) for t in nxt[node]))
    return size.get(root, 1)


def ancestors(root: str, nxt: Mapping[str, Sequence[str]], of: Iterable[str]) -> dict[str, set[str]]:
    """For each node or outcome in ``of`` reachable from ``root``, the nodes that can precede it.

    One backward search per node asked about: O(size of the graph) each, not a
    set per node of the whole graph (O(depth^2) on a long chain).
    """
    reachable = _postorder(root, nxt)
    parents: dict[str, list[str]] = {}
    for node in reachable:
        for t in nxt[node]:
            parents.setdefault(t, []).append(node)
    out: dict[str, set[str]] = {}
    for target in set(of):
        if target != root and target not in parents:
            continue  # not reachable from the root
        seen: set[str] = set()
        stack = list(parents.get(target, ()))
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(parents.get(node, ()))
        out[target] = seen
    return out


def unfold(root: str, nxt: Mapping[str, Sequence[str]], actions: Mapping[str, Sequence[str]]) -> list[Place]:
    """The unfolded tree in pre-order, with copy names.

    ``actions[node]`` lists the node's actions in the order of ``nxt[node]``.
    The graph must be acyclic and small enough (see :func:`count_positions`).
    The work is O(n log n) in the n positions of the unfolded tree, plus the
    length of the copy names (a 2,000-deep chain used to cost O(depth^2)).
    """
    ids: list[str] = []
    parents: list[int] = []
    ks: list[int] = []
    trails: list[_Trail | None] = []
    children: list[list[int]] = []
    stack: list[tuple[str, int, int, _Trail | None]] = [(root, -1, -1, None)]
    while stack:
        node, parent, k, trail = stack.pop()
        i = len(ids)
        ids.append(node)
        parents.append(parent)
        ks.append(k)
        trails.append(trail)
        children.append([])
        if parent >= 0:
            children[parent].append(i)
        if node in nxt:
            targets, acts = nxt[node], actions[node]
            for j in reversed(range(len(targets))):
                stack.append((targets[j], i, j, (trail, (node, acts[j]))))
    multiple = {k for k, n in _histories(root, nxt).items() if n > 1 and k in nxt}  # outcomes keep their id
    names = _copy_names(ids, children, ks, actions, multiple) if multiple else ids
    return [Place(ids[i], names[i], parents[i], ks[i], tuple(children[i]), trails[i]) for i in range(len(ids))]


def _copy_names(
    ids: list[str],
    children: list[list[int]],
    ks: list[int],
    actions: Mapping[str, Sequence[str]],
    multiple: set[str],
) -> list[str]:
    """Copy names of the positions of the unfolded tree (pre-order ``ids`` and ``children``).

    A copy of a node ``v`` in ``multiple`` is named by the actions of its history
    at the nodes with two or more actions leading to ``v``: the positions
    whose subtree holds copies of ``v`` below two or more of its children
    (every copy of such a node does, since all copies unfold alike).
    """
    deciding = _deciding(ids, children, multiple)
    names = list(ids)
    comps: dict[str, list[str]] = {v: [] for v in multiple}
    # events: (position, -1) enter a position; (position, j) before child j; (position, -2) after a child
    stack: list[tuple[int, int]] = [(0, -1)]
    while stack:
        q, j = stack.pop()
        if j == -1:
            if ids[q] in multiple:
                names[q] = f"{ids[q]}[{','.join(comps[ids[q]])}]"
            for jj in reversed(range(len(children[q]))):
                stack += [(q, -2), (children[q][jj], -1), (q, jj)] if q in deciding else [(children[q][jj], -1)]
        elif j >= 0:
            action = actions[ids[q]][ks[children[q][j]]]
            for v in deciding[q]:
                comps[v].append(action)
        else:
            for v in deciding[q]:
                comps[v].pop()
    return names


def _deciding(ids: list[str], children: list[list[int]], multiple: set[str]) -> dict[int, set[str]]:
    """For each position, the nodes of ``multiple`` with copies below two or more of its children.

    Small-to-large merging of the sets of ``multiple`` nodes below each position,
    keeping the set of the largest child: every position is copied out of
    at most log2(n) sets, so the work is O(n log n) for n positions.
    """
    size = [1] * len(ids)
    below: dict[int, set[str]] = {}
    out: dict[int, set[str]] = {}
    for q in reversed(range(len(ids))):
        kids = children[q]
        if kids:
            heavy = max(kids, key=size.__getitem__)
            base = below.pop(heavy)
            for c in kids:
                size[q] += size[c]
                if c == heavy:
                    continue
                for v in below.pop(c):
                    if v in base:
                        out.setdefault(q, set()).add(v)
                    else:
                        base.add(v)
        else:
            base = set()
        if ids[q] in multiple:
            base.add(ids[q])
        below[q] = base
    return out


def history_values(refs: frozenset[tuple[str, ...]], history: tuple[tuple[str, str], ...]) -> dict[str, bool]:
    """The value of each ``played``/``reached`` reference on one history, by :func:`path_key`."""
    out = {}
    for ref in refs:
        if ref[0] == "played":
            out[path_key(ref)] = (ref[1], ref[2]) in history
        else:
            out[path_key(ref)] = any(n == ref[1] for n, _ in history)
    return out


def histories_of(
    root: str,
    nxt: Mapping[str, Sequence[str]],
    actions: Mapping[str, Sequence[str]],
    refs: Mapping[str, frozenset[tuple[str, ...]]],
) -> dict[str, list[dict[str, bool]]]:
    """For each node or outcome in ``refs``: the distinct values its references take over its histories."""
    out: dict[str, list[dict[str, bool]]] = {}
    for place in unfold(root, nxt, actions):
        if refs.get(place.id):
            values = history_values(refs[place.id], place.history)
            if values not in out.setdefault(place.id, []):
                out[place.id].append(values)
    return out


def _postorder(root: str, nxt: Mapping[str, Sequence[str]]) -> list[str]:
    """Nodes reachable from ``root``, each after all nodes below it."""
    seen: set[str] = set()
    order: list[str] = []
    stack: list[tuple[str, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen or node not in nxt:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((t, False) for t in nxt[node] if t in nxt and t not in seen)
    return order


def _histories(root: str, nxt: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """How many histories lead from ``root`` to each node and outcome (capped)."""
    count: dict[str, int] = {root: 1}
    for node in reversed(_postorder(root, nxt)):
        for t in nxt[node]:
            count[t] = min(MAX_POSITIONS + 1, count.get(t, 0) + count[node])
    return count
