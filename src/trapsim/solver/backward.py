"""Backward induction over many draws at once: ``spe`` (first listed action wins ties) or ``qre``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np

from trapsim.expressions.select import blend, mask_of
from trapsim.solver.needs import Needs, needs_of
from trapsim.solver.tree import Tree

__all__ = ["TIE_TOLERANCE", "PayoffTable", "Solution", "backward", "draws_of", "realised_payoffs"]

#: Two payoffs closer than this (relative to max(1, |payoff|)) count as a tie.
TIE_TOLERANCE = 1e-12


@dataclass(frozen=True, slots=True)
class PayoffTable:
    """Payoffs stored once per distinct value: ``values[index[row, actor]]`` is that cell's ``(n,)`` draws.

    When payoffs use the history, an outcome has one row per history, and most
    of its actors' payoffs are the same in many rows: one array each, read in
    place by :func:`backward` (a leaf's value is then a list of per-actor
    arrays), instead of a ``(rows, actors, n)`` array of copies.
    """

    index: np.ndarray  # (rows, actors) int: row of ``values`` of each cell
    views: tuple[tuple[np.ndarray, ...], ...]  # per row: its actors' arrays
    cells: tuple[np.ndarray, ...]  # per distinct value: the array that ``views`` hold
    n: int
    _stacked: list[np.ndarray]  # [values] once known (see ``values``)
    getters: tuple[Callable[[Any], Any], ...] = ()  # per row: ``itemgetter(*index[row])``

    @classmethod
    def of(
        cls,
        values: np.ndarray | None,
        index: np.ndarray,
        getters: Sequence[Callable[[Any], Any]] = (),
        cells: Sequence[np.ndarray] | None = None,
    ) -> PayoffTable:
        """The table of ``values`` (distinct, n) and ``index``.

        ``getters`` (``itemgetter(*index[row])`` per row) may be given;
        ``cells`` gives the array of each distinct value (equal to its row of
        ``values``; by default a view of it), e.g. another table's very
        arrays where the values are the same (see :func:`backward`'s ``memo``).
        With ``cells``, ``values`` may be None: it is stacked from them if it
        is ever read (a counterfactual world solved on its own draws never is).
        """
        if cells is not None:
            rows = list(cells)  # one array per distinct value, shared by its cells
        elif values is not None:
            rows = list(values)
        else:
            raise ValueError("a payoff table needs its values or its cells")
        getters = getters or [itemgetter(*row) for row in index.tolist()]
        views = tuple(g(rows) for g in getters)
        if index.shape[1] == 1:  # itemgetter of one item gives the item, not a tuple
            views = tuple((v,) for v in views)
        n = int(values.shape[-1]) if values is not None else int(rows[0].shape[-1]) if rows else 0
        return cls(index, views, tuple(rows), n, [] if values is None else [values], tuple(getters))

    @property
    def values(self) -> np.ndarray:
        """``(distinct, n)``: the distinct values (stacked from ``cells`` on first use if not given)."""
        if not self._stacked:
            self._stacked.append(np.array(self.cells).reshape(len(self.cells), self.n))
        return self._stacked[0]

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
    root_values: bool = True,
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
    root_values
        False when only the choices, ties and probabilities are wanted: with
        a payoff array (not a table) each position then computes only the
        values of the actors whose decisions above it compare them, and
        ``values`` holds nothing usable but the number of draws (the root's
        entry has no rows). Choices, ties and probabilities are the same.
    """
    values: dict[int, Any] = {}
    probs: dict[int, np.ndarray] = {}
    choice: dict[int, np.ndarray] = {}
    ties: dict[int, np.ndarray] = {}
    positions = tree.positions
    actorwise = isinstance(payoffs, PayoffTable)
    n = payoffs.n if isinstance(payoffs, PayoffTable) else payoffs.shape[-1]
    needs = None if actorwise or root_values or keep_values else needs_of(tree)
    leaf_value = _leaf_values(payoffs, needs)
    scratch = _Scratch(n)
    memo = memo if memo is not None else {}
    for i in reversed(range(len(positions))):
        pos = positions[i]
        if pos.kind == "leaf":
            values[i] = leaf_value(pos.row, i)
            continue
        owner = pos.owner if needs is None else needs.owner[i]  # the owner's row in the children's values
        kids = [values[c] for c in pos.children]  # k arrays (actors, n), or actor-wise tuples of (n,)
        own = [v[owner] for v in kids] if pos.kind == "decision" else []
        if needs is not None and needs.rows[i] < len(kids[0]):
            kids = [v[: needs.rows[i]] for v in kids]  # the rows this position needs come first
        if pos.kind == "decision" and solver == "spe":
            pick, tie = _best_shared(own, scratch, memo) if actorwise else _best(own, scratch)
            choice[i] = pick
            ties[i] = tie
            values[i] = _select_actors(pick, kids, memo) if actorwise else _select(pick, kids)
        else:
            p = probs[i] = chance[i] if pos.kind == "chance" else _logit(own, rationality)
            values[i] = _mix_actors(p, kids, memo, scratch.b) if actorwise else _mix(p, kids, scratch)
        for c in pos.children:  # children no longer needed: keep memory flat
            if not keep_values and (needs is not None or positions[c].kind != "leaf"):  # a leaf: the rows it needs
                del values[c]
    return Solution(values, probs, choice, ties)


def _leaf_values(payoffs: np.ndarray | PayoffTable, needs: Needs | None) -> Callable[[int, int], Any]:
    """``value(row, position)``: a leaf's value, as :func:`backward` reads it.

    A table's row of per-actor arrays; a block of the payoff array (a view
    of the rows it needs when they are consecutive actors, else a copy).
    """
    if isinstance(payoffs, PayoffTable):
        views = payoffs.views
        return lambda row, _position: views[row]
    if needs is None:
        return lambda row, _position: payoffs[row]
    take = needs.take
    return lambda row, position: payoffs[row, take[position]]


def _logit(own: list[np.ndarray], rationality: float) -> np.ndarray:
    """Agent logit response at a decision whose owner's values are ``own``: ``P(a) ∝ exp(rationality * payoff(a))``."""
    logits = rationality * np.stack(own)
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
        """A work array of ``shape`` (an actor-by-draw block): the first rows of one kept for the next node."""
        if self.row is None or self.row.shape[1:] != shape[1:] or self.row.shape[0] < shape[0]:
            self.row = np.empty(shape)
        return self.row[: shape[0]]


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
    """``kids[pick[d]][:, d]`` for every draw ``d``: each actor's value of the action taken (:func:`blend`)."""
    if len(kids) == 1:
        return kids[0]
    out = blend(mask_of(pick if len(kids) == 2 else pick == 1), kids[1], kids[0])
    for k in range(2, len(kids)):
        out = blend(mask_of(pick == k), kids[k], out)
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
                masks = [mask_of(pick)] if len(kids) == 2 else [mask_of(pick == k) for k in range(1, len(kids))]
            value = blend(masks[0], xs[1], first)
            for k in range(2, len(xs)):
                value = blend(masks[k - 1], xs[k], value)
            hit = memo[key] = (pick, xs, value)
        out.append(hit[2])
    return tuple(out)


def _best_shared(own: list[np.ndarray], scratch: _Scratch, memo: dict[Any, Any]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_best`, taken from ``memo`` when the owner's arrays are the very same as before."""
    key = ("best", *map(id, own))
    hit = memo.get(key)
    if hit is None:
        hit = memo[key] = (own, *_best(own, scratch))
    return hit[1], hit[2]


def draws_of(solution: Solution) -> int:
    root = solution.values[0]
    return int((root[0] if isinstance(root, tuple) else root).shape[-1])


def _best(own: list[np.ndarray], scratch: _Scratch | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The owner's best action per draw (first listed on a tie) and where ties occur.

    ``own`` holds the owner's values of each action. An action is "at the
    top" when its payoff is within :data:`TIE_TOLERANCE` (relative to
    ``max(1, |best|)``) of the best; the first such action is picked, and a
    tie is two or more at the top.
    """
    scratch = scratch if scratch is not None else _Scratch(own[0].shape[-1])
    best, floor = scratch.a, scratch.b
    if len(own) == 1:
        np.copyto(best, own[0])
    else:
        np.maximum(own[0], own[1], out=best)
    for v in own[2:]:
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
    step = np.empty(best.shape, dtype=np.intp)
    for k in reversed(range(len(own))):
        ok = own[k] >= floor
        count += ok
        np.subtract(k, pick, out=step)  # pick becomes k where ok: arithmetic, not a branch per draw
        step *= ok
        pick += step
    return pick, count > 1
