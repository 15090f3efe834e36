"""Vectorised backward induction over many draws at once.

The solver works on arrays only: it never evaluates expressions, reads files
or makes random numbers. Draws run along the last axis everywhere.

* :func:`build_tree` turns a scenario's nodes into a :class:`Tree` of
  positions in pre-order (a shared outcome row appears once per position).
* :func:`backward` solves all draws: ``spe`` (first listed action wins ties)
  or ``qre`` (agent logit quantal response).
* :func:`play` plays the realised path from uniforms supplied by the caller.
* :func:`reach_probabilities` pushes path probabilities down the solved tree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np

from trapsim.model import ChanceNode, DecisionNode, Scenario
from trapsim.unfolding import history_values, unfold

__all__ = [
    "TIE_TOLERANCE",
    "PayoffTable",
    "Position",
    "Solution",
    "Tree",
    "backward",
    "build_tree",
    "play",
    "reach_probabilities",
    "realised_payoffs",
]

#: Two payoffs closer than this (relative to max(1, |payoff|)) count as a tie.
TIE_TOLERANCE = 1e-12


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
            positions.append(
                Position(
                    pl.id,
                    "leaf",
                    -1,
                    (),
                    (),
                    outcome_index[pl.id],
                    pl.parent,
                    pl.action_in_parent,
                    pl.name,
                    row_of[key],
                )
            )
        elif isinstance(node, DecisionNode):
            positions.append(
                Position(
                    pl.id,
                    "decision",
                    actor_index[node.actor],
                    pl.children,
                    node.actions,
                    -1,
                    pl.parent,
                    pl.action_in_parent,
                    pl.name,
                )
            )
        else:
            if values:
                history[i] = values
            positions.append(
                Position(pl.id, "chance", -1, pl.children, node.actions, -1, pl.parent, pl.action_in_parent, pl.name)
            )
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
        tuple(rows),
        history,
    )


@dataclass(frozen=True, slots=True)
class PayoffTable:
    """Payoffs stored once per distinct value: ``values[index[row, actor]]`` is that cell's ``(n,)`` draws.

    When payoffs use the history, an outcome has one row per history, and most
    of its actors' payoffs are the same in many rows: one array each, read in
    place by :func:`backward` (a leaf's value is then a list of per-actor
    arrays), instead of a ``(rows, actors, n)`` array of copies.
    """

    values: np.ndarray  # (distinct, n)
    index: np.ndarray  # (rows, actors) int: row of ``values`` of each cell
    views: tuple[tuple[np.ndarray, ...], ...]  # per row: its actors' arrays
    cells: tuple[np.ndarray, ...] = ()  # per distinct value: the array that ``views`` hold

    @classmethod
    def of(
        cls,
        values: np.ndarray,
        index: np.ndarray,
        getters: Sequence[Callable[[Any], Any]] = (),
        cells: Sequence[np.ndarray] | None = None,
    ) -> PayoffTable:
        """The table of ``values`` and ``index``.

        ``getters`` (``itemgetter(*index[row])`` per row) may be given;
        ``cells`` gives the array of each distinct value (equal to its row of
        ``values``; by default a view of it), e.g. another table's very
        arrays where the values are the same (see :func:`backward`'s ``memo``).
        """
        rows = list(values) if cells is None else list(cells)  # one array per distinct value, shared by its cells
        getters = getters or [itemgetter(*row) for row in index.tolist()]
        views = tuple(g(rows) for g in getters)
        if index.shape[1] == 1:  # itemgetter of one item gives the item, not a tuple
            views = tuple((v,) for v in views)
        return cls(values, index, views, tuple(rows))

    @property
    def n(self) -> int:
        return int(self.values.shape[-1])

    def full(self) -> np.ndarray:
        """The ``(rows, actors, n)`` array."""
        return self.values[self.index]


def realised_payoffs(payoffs: np.ndarray | PayoffTable, rows: np.ndarray, actor: int | None = None) -> np.ndarray:
    """The payoffs of row ``rows[d]`` in each draw ``d``: ``(n, actors)``, or ``(n,)`` for one ``actor``.

    ``payoffs`` is a ``(rows, actors, n)`` array or a :class:`PayoffTable`.
    """
    draws = np.arange(rows.shape[0])
    if isinstance(payoffs, PayoffTable):
        cells = payoffs.index[rows] if actor is None else payoffs.index[rows, actor]
        return payoffs.values[cells, draws[:, None] if actor is None else draws]
    if actor is None:
        return payoffs[rows, :, draws]
    return payoffs[rows, actor, draws]


@dataclass(slots=True)
class Solution:
    """Backward induction over ``n`` draws.

    Attributes
    ----------
    values
        Expected payoffs at every position, ``{position: array (actors, n)}``.
    probs
        Action probabilities at chance nodes and ``qre`` decisions,
        ``{position: array (k, n)}``; use :meth:`action_probs` for any node.
    choice
        ``spe`` only: chosen action index at each decision, ``{position: (n,)}``.
    ties
        ``spe`` only: draws where two or more actions tie at the top, ``{position: bool (n,)}``.
    """

    values: dict[int, np.ndarray]
    probs: dict[int, np.ndarray]
    choice: dict[int, np.ndarray]
    ties: dict[int, np.ndarray]

    def root_values(self) -> np.ndarray:
        """Expected payoffs at the root, ``(actors, n)``."""
        root = self.values[0]
        return np.array(root) if isinstance(root, tuple) else root

    def action_probs(self, position: int, k: int) -> np.ndarray:
        """Action probabilities ``(k, n)`` at an inner node (0/1 for ``spe`` decisions)."""
        if position in self.probs:
            return self.probs[position]
        pick = self.choice[position]
        onehot = np.zeros((k, pick.shape[0]))
        onehot[pick, np.arange(pick.shape[0])] = 1.0
        return onehot


def backward(
    tree: Tree,
    payoffs: np.ndarray | PayoffTable,
    chance: Mapping[int, np.ndarray],
    *,
    solver: str = "spe",
    rationality: float = 10.0,
    keep_values: bool = False,
    memo: dict[Any, Any] | None = None,
) -> Solution:
    """Solve every draw by backward induction.

    Parameters
    ----------
    payoffs
        Array ``(rows, actors, n)``: the payoff per actor and draw of each row
        of ``tree.rows`` (one per outcome unless payoffs use the history), or
        the same as a :class:`PayoffTable`. With a table the solve goes actor
        by actor: every entry of ``Solution.values`` is a tuple of per-actor
        ``(n,)`` arrays, and an actor whose values are the same arrays in two
        places (the same payoffs, mixed by the same probabilities) has them
        computed once (bit-identical to the blocks of a plain array).
    chance
        ``{position: array (k, n)}``: branch probabilities at each chance node.
    solver
        ``"spe"``: each owner takes its best action, the first listed on a tie.
        ``"qre"``: agent logit response, ``P(a) ∝ exp(rationality * payoff(a))``.
    keep_values
        Keep the values of every inner position (for explanations); by default
        only the root's and the leaves' are kept, so memory stays flat.
    memo
        With a :class:`PayoffTable`: the actor-wise results of earlier solves
        of the same draws (the real game, then its worlds, in one chunk), keyed
        by the identities of their inputs: an actor's mix, a best action or a
        selection whose inputs are the very same arrays is taken, not
        computed again. It keeps what it has seen alive: one per chunk.
    """
    values: dict[int, Any] = {}
    probs: dict[int, np.ndarray] = {}
    choice: dict[int, np.ndarray] = {}
    ties: dict[int, np.ndarray] = {}
    positions = tree.positions
    actorwise = isinstance(payoffs, PayoffTable)
    leaf_value: Any = payoffs.views if isinstance(payoffs, PayoffTable) else payoffs
    n = payoffs.n if isinstance(payoffs, PayoffTable) else payoffs.shape[-1]
    scratch = _Scratch(n)
    memo = memo if memo is not None else {}
    for i in reversed(range(len(positions))):
        pos = positions[i]
        if pos.kind == "leaf":
            values[i] = leaf_value[pos.row]
            continue
        kids = [values[c] for c in pos.children]  # k arrays (actors, n), or actor-wise tuples of (n,)
        if pos.kind == "decision" and solver == "spe":
            pick, tie = _best_shared(kids, pos.owner, scratch, memo) if actorwise else _best(kids, pos.owner, scratch)
            choice[i] = pick
            ties[i] = tie
            values[i] = _select_actors(pick, kids, memo) if actorwise else _select(pick, kids)
        else:
            p = probs[i] = chance[i] if pos.kind == "chance" else _logit(kids, pos.owner, rationality)
            values[i] = _mix_actors(p, kids, memo, scratch.b) if actorwise else _mix(p, kids, scratch)
        for c in pos.children:  # children no longer needed: keep memory flat
            if not keep_values and positions[c].kind != "leaf":
                del values[c]
    return Solution(values, probs, choice, ties)


def _logit(kids: list[Any], owner: int, rationality: float) -> np.ndarray:
    """Agent logit response at a decision: ``P(a) ∝ exp(rationality * payoff(a))``, ``(k, n)``."""
    logits = rationality * np.stack([v[owner] for v in kids])
    logits -= logits.max(axis=0)
    p = np.exp(logits)
    p /= p.sum(axis=0)
    return p


class _Scratch:
    """Work arrays of one backward pass, reused at every node (no allocation per node)."""

    __slots__ = ("a", "b", "row")

    def __init__(self, n: int) -> None:
        self.a = np.empty(n)
        self.b = np.empty(n)
        self.row: np.ndarray | None = None

    def rows(self, shape: tuple[int, ...]) -> np.ndarray:
        """A work array of ``shape`` (an actor-by-draw block), kept for the next node."""
        if self.row is None or self.row.shape != shape:
            self.row = np.empty(shape)
        return self.row


def _mix(p: np.ndarray, kids: list[np.ndarray], scratch: _Scratch | None = None) -> np.ndarray:
    """Expected values ``sum_k p[k] * kids[k]`` with ``p`` of shape (k, n).

    Summed left to right, ``p[0] * kids[0] + p[1] * kids[1] + ...``; each
    product goes through one reused work array.
    """
    out = np.multiply(p[0], kids[0])
    tmp = scratch.rows(out.shape) if scratch is not None else np.empty_like(out)
    for k in range(1, len(kids)):
        np.multiply(p[k], kids[k], out=tmp)
        out += tmp
    return out


def _select(pick: np.ndarray, kids: list[np.ndarray]) -> np.ndarray:
    """``kids[pick[d]][:, d]`` for every draw ``d``: each actor's value of the action taken."""
    if len(kids) == 1:
        return kids[0]
    out = np.where(pick.astype(bool) if len(kids) == 2 else pick == 1, kids[1], kids[0])
    for k in range(2, len(kids)):
        np.copyto(out, kids[k], where=pick == k)
    return out


#: Actor-wise values: one ``(n,)`` array per actor, shared between positions wherever they are equal.
Actorwise = tuple[np.ndarray, ...]


def _mix_actors(p: np.ndarray, kids: list[Actorwise], memo: dict[tuple[int, ...], Any], row: np.ndarray) -> Actorwise:
    """:func:`_mix` actor by actor; the same probabilities on the same arrays give the same (one) array.

    ``memo`` maps ``(id(p), id(kid arrays)...)`` to ``(p, kid arrays, result)``
    (the inputs kept alive, so that their ids are not reused within the solve).
    """
    pid = id(p)
    out = []
    for xs in zip(*kids, strict=True):  # each actor's arrays in the kids
        key = (pid, *map(id, xs))
        hit = memo.get(key)
        if hit is None:
            value = np.multiply(p[0], xs[0])
            for k in range(1, len(xs)):
                np.multiply(p[k], xs[k], out=row)
                value += row
            hit = memo[key] = (p, xs, value)
        out.append(hit[2])
    return tuple(out)


def _select_actors(pick: np.ndarray, kids: list[Actorwise], memo: dict[Any, Any]) -> Actorwise:
    """:func:`_select` actor by actor; an actor with the same array in every kid keeps that array.

    ``memo`` (see :func:`backward`): the same choices among the same arrays give the same (one) array.
    """
    if len(kids) == 1:
        return kids[0]
    masks: list[np.ndarray] = []
    out = []
    for xs in zip(*kids, strict=True):
        first = xs[0]
        if all(x is first for x in xs):
            out.append(first)
            continue
        key = ("select", id(pick), *map(id, xs))
        hit = memo.get(key)
        if hit is None:
            if not masks:
                masks = [pick.astype(bool)] if len(kids) == 2 else [pick == k for k in range(1, len(kids))]
            value = np.where(masks[0], xs[1], first)
            for k in range(2, len(xs)):
                np.copyto(value, xs[k], where=masks[k - 1])
            hit = memo[key] = (pick, xs, value)
        out.append(hit[2])
    return tuple(out)


def _best_shared(
    kids: list[Actorwise], owner: int, scratch: _Scratch, memo: dict[Any, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_best`, taken from ``memo`` when the owner's arrays are the very same as before."""
    own = tuple(kid[owner] for kid in kids)
    key = ("best", *map(id, own))
    hit = memo.get(key)
    if hit is None:
        hit = memo[key] = (own, *_best(kids, owner, scratch))
    return hit[1], hit[2]


def _draws(solution: Solution) -> int:
    root = solution.values[0]
    return int((root[0] if isinstance(root, tuple) else root).shape[-1])


def _best(kids: list[Any], owner: int, scratch: _Scratch | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The owner's best action per draw (first listed on a tie) and where ties occur.

    An action is "at the top" when its payoff is within :data:`TIE_TOLERANCE`
    (relative to ``max(1, |best|)``) of the best; the first such action is
    picked, and a tie is two or more at the top.
    """
    scratch = scratch if scratch is not None else _Scratch(kids[0].shape[-1])
    own = [v[owner] for v in kids]
    best, floor = scratch.a, scratch.b
    np.copyto(best, own[0])
    for v in own[1:]:
        np.maximum(best, v, out=best)
    np.abs(best, out=floor)
    np.maximum(floor, 1.0, out=floor)
    floor *= TIE_TOLERANCE
    np.subtract(best, floor, out=floor)
    if len(own) == 2:
        top0 = own[0] >= floor
        top1 = own[1] >= floor
        return (~top0).view(np.uint8).astype(np.intp), top0 & top1
    pick = np.full(best.shape, len(own) - 1, dtype=np.intp)
    count = np.zeros(best.shape, dtype=np.intp)
    for k in reversed(range(len(own))):
        ok = own[k] >= floor
        count += ok
        pick[ok] = k
    return pick, count > 1


def _pick(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of the branch that uniform ``u`` falls into under probabilities ``p``.

    The branch is the number of cumulative probabilities ``p[0]``,
    ``p[0] + p[1]``, ... (summed left to right) that ``u`` reaches.
    """
    if len(p) == 1:
        return np.zeros(len(u), dtype=np.intp)
    pick = (u >= p[0]).view(np.uint8).astype(np.intp)
    if len(p) > 2:
        cum = p[0].copy()
        for k in range(1, len(p) - 1):
            cum += p[k]
            pick += u >= cum
    return pick


def play(tree: Tree, solution: Solution, uniforms: Mapping[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Play the realised path of every draw.

    Every inner node's action is known for every draw (the solution's choice,
    or a branch picked by the node's uniforms); the path then walks down one
    level at a time with integer gathers, all draws at once.

    Parameters
    ----------
    uniforms
        ``{position: array (n,)}`` of uniforms in [0, 1) for every chance
        node and (for ``qre``) every decision node.

    Returns
    -------
    leaf
        The leaf position reached in each draw, ``(n,)``.
    actions
        ``(inner nodes, n)`` action index taken at each inner node (in
        ``tree.inner`` order), or -1 where the node was not reached; the
        smallest signed integer type that holds the widest node's actions
        (these tables are a byte per node and draw, not eight).
    """
    n = _draws(solution)
    walk = _walk(tree)
    inner = len(tree.inner)
    # row r < inner: the action node tree.inner[r] takes; row `inner`: 0 for draws already at a leaf
    act: np.ndarray = np.empty((inner + 1, n), dtype=walk.dtype)
    act[inner] = 0
    for row, i in enumerate(tree.inner):
        act[row] = solution.choice[i] if i in solution.choice else _pick(solution.probs[i], uniforms[i])
    actions: np.ndarray = np.full((inner + 1) * n, -1, dtype=walk.dtype)
    flat = act.reshape(-1)
    draw = np.arange(n, dtype=np.intp)
    cur = np.zeros(n, dtype=np.intp)
    for _ in range(walk.depth):
        at = walk.row[cur] * n + draw  # flat index of (row of the current node, draw)
        taken = flat[at]
        actions[at] = taken
        cur = walk.child[cur, taken]
    return cur.astype(np.int64), actions[: inner * n].reshape(inner, n)


@dataclass(frozen=True, slots=True)
class _Walk:
    """Integer tables for playing paths: a leaf's row is the extra "stay" row."""

    row: np.ndarray  # (positions,) row in tree.inner order; leaves: len(tree.inner)
    child: np.ndarray  # (positions, max actions) child position; a leaf points to itself
    depth: int  # levels below the root
    dtype: type  # of action indices: int8 unless a node has more than 127 actions


_WALKS: dict[int, tuple[Tree, _Walk]] = {}


def _walk(tree: Tree) -> _Walk:
    """The walk tables of ``tree`` (built once per tree and cached)."""
    hit = _WALKS.get(id(tree))
    if hit is not None and hit[0] is tree:
        return hit[1]
    positions = tree.positions
    width = max((len(p.children) for p in positions), default=1)
    row = np.full(len(positions), len(tree.inner), dtype=np.intp)
    row[list(tree.inner)] = np.arange(len(tree.inner))
    child = np.tile(np.arange(len(positions), dtype=np.intp)[:, None], (1, max(width, 1)))
    depth = np.zeros(len(positions), dtype=np.intp)
    for i, p in enumerate(positions):  # pre-order: a parent comes before its children
        if p.children:
            child[i, : len(p.children)] = p.children
        if p.parent >= 0:
            depth[i] = depth[p.parent] + 1
    walk = _Walk(row, child, int(depth.max()) if len(positions) else 0, np.int8 if width <= 127 else np.intp)
    if len(_WALKS) > 64:
        _WALKS.clear()
    _WALKS[id(tree)] = (tree, walk)
    return walk


def reach_probabilities(tree: Tree, solution: Solution) -> np.ndarray:
    """Probability of reaching every position, ``(positions, n)``.

    Chance nodes multiply by their branch probabilities, ``spe`` decisions by
    0 or 1, ``qre`` decisions by their logit probabilities.
    """
    n = _draws(solution)
    reach = np.zeros((len(tree.positions), n))
    reach[0] = 1.0
    for i in tree.inner:
        children = tree.positions[i].children
        p = solution.action_probs(i, len(children))
        for k, c in enumerate(children):
            reach[c] = reach[i] * p[k]
    return reach
