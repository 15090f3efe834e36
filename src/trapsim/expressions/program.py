"""Many expressions evaluated together: each distinct operation once, each value freed after its last use.

A scenario's payoffs repeat themselves: the same sub-expression appears in
several actors' payoffs, and an outcome reached along several histories has
one payoff row per history, whose ``played(...)`` values are fixed for the
row. A :class:`Program` takes every expression of such a set (each with the
path values fixed for it), folds what the fixed values decide, and keeps one
step per distinct operation on distinct operands. Running it computes each
step once, hands every finished expression's value to the caller and drops an
intermediate value as soon as no later step needs it, so memory stays that of
a few arrays.

A step applies exactly the operation the compiled closure of
:func:`trapsim.expressions.compile_expr` applies at that node, to the same
operand values: a program's results are bit-identical to the closures' (a
value may be handed over as a scalar where the closure broadcast it to the
draws; the caller broadcasts it when storing).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import numpy as np

from trapsim.expressions.compiler import (
    _NUMERIC_PATH_FUNCTIONS,
    PATH_FUNCTIONS,
    Call,
    Name,
    Node,
    Num,
    _choose,
    fold_value,
    operands,
    operation,
    path_key,
    path_ref,
)
from trapsim.expressions.language import Binary, Expr, Type, Unary, Value
from trapsim.expressions.select import blend, mask_of

__all__ = ["Program"]


def _exactly(value: Value, target: float) -> bool:
    """``value`` is the float64 ``target`` itself (for 0.0: +0.0, not -0.0)."""
    if value is None or isinstance(value, bool | np.bool_):
        return False
    arr = np.asarray(value)
    return arr.shape == () and arr.dtype == np.float64 and arr.tobytes() == np.float64(target).tobytes()


def _choose_blended(which: Value, a: Value, b: Value) -> Value:
    """The compiler's ``if`` (``_choose``), without a branch per draw where it can (:func:`blend`).

    A bool condition has no NaN to mark unknown, so on float64 arrays of one
    shape ``_choose`` is ``np.where``, which :func:`blend` equals bit for bit.
    """
    if (
        isinstance(which, np.ndarray)
        and isinstance(a, np.ndarray)
        and isinstance(b, np.ndarray)
        and which.dtype == bool
        and a.dtype == b.dtype == np.float64
        and which.shape == a.shape == b.shape
    ):
        return blend(mask_of(which), a, b)
    return _choose(which, a, b)


class Program:
    """A set of expressions compiled into one list of steps (build with :meth:`add`, then :meth:`run`).

    Parameters
    ----------
    types
        The types of the names the expressions use (as for ``compile_expr``).
    """

    def __init__(self, types: Mapping[str, Type]) -> None:
        self._types = types
        self._slots: dict[Hashable, int] = {}  # operation key -> slot
        self._consts: list[tuple[int, Value]] = []
        self._known: dict[int, Value] = {}  # constant slots' values
        self._memo: dict[tuple[int, tuple[Any, ...]], tuple[Node, Any]] = {}
        self._refs: dict[int, tuple[Node, tuple[str, ...]]] = {}
        self._loads: list[tuple[int, str]] = []
        self._steps: list[tuple[Callable[..., Value], tuple[int, ...], int]] = []
        self._outputs: dict[int, list[Any]] = {}
        self._n = 0
        self._plan: list[tuple[Callable[..., Value], tuple[int, ...], int, tuple[int, ...]]] | None = None

    @property
    def steps(self) -> int:
        """Operations run per :meth:`run` (after folding and sharing)."""
        return len(self._steps)

    def dependent(self, names: set[str] | frozenset[str]) -> Program:
        """The program of only the expressions whose value depends on ``names`` (and the steps they need).

        The other expressions give the same values whatever ``names`` are: a
        caller that has them already (the real draws, for a world that sets a
        few parameters) keeps those and runs this smaller program.
        """
        uses: dict[int, bool] = {slot: key in names for slot, key in self._loads}
        for _, args, out in self._steps:
            uses[out] = any(uses.get(a, False) for a in args)
        keep = {slot for slot in self._outputs if uses.get(slot, False)}
        needed = set(keep)
        for _, args, out in reversed(self._steps):
            if out in needed:
                needed.update(args)
        sub = copy.copy(self)
        sub._steps = [step for step in self._steps if step[2] in needed]
        sub._outputs = {slot: dests for slot, dests in self._outputs.items() if slot in keep}
        sub._loads = [(slot, key) for slot, key in self._loads if slot in needed]
        sub._plan = None
        return sub

    def groups(self) -> list[list[Any]]:
        """The destinations of the expressions, grouped by value (expressions with the same value together)."""
        return [list(dests) for dests in self._outputs.values()]

    def add(self, expr: Expr, dest: Any, fixed: Mapping[str, Value] | None = None) -> None:
        """Add one expression; :meth:`run` hands its value to ``store``, with ``dest`` among the destinations.

        ``fixed`` gives values known when the program is built (``played``/
        ``reached`` keys of a payoff row): they are folded in, as they are
        constants for that expression.
        """
        slot, _, _ = self._node(expr.tree, fixed or {})
        self._outputs.setdefault(slot, []).append(dest)
        self._plan = None

    def run(self, env: Mapping[str, Value], store: Callable[[list[Any], Value], None]) -> None:
        """Evaluate every expression on ``env``.

        ``store(dests, value)`` is called once per distinct value, as soon as
        it is known, with the ``dest`` of every expression that has it.
        """
        plan = self._plan if self._plan is not None else self._finish()
        regs: list[Value] = [None] * self._n
        for slot, value in self._consts:
            regs[slot] = value
        for slot, key in self._loads:
            regs[slot] = env[key]
        outputs = self._outputs
        for slot in self._ready:
            store(outputs[slot], regs[slot])
        for apply, args, out, frees in plan:
            value = regs[out] = apply(*[regs[a] for a in args])
            dests = outputs.get(out)
            if dests is not None:
                store(dests, value)
            for f in frees:
                regs[f] = None

    # -- building ----------------------------------------------------------

    def _finish(self) -> list[tuple[Callable[..., Value], tuple[int, ...], int, tuple[int, ...]]]:
        """Each step with the slots whose last use it is (freed after it)."""
        last: dict[int, int] = {}
        for i, (_, args, out) in enumerate(self._steps):
            last[out] = i  # a value nothing uses is freed right after its step
            for a in args:
                last[a] = i
        const = {slot for slot, _ in self._consts}
        frees: list[list[int]] = [[] for _ in self._steps]
        for slot, i in last.items():
            if slot not in const:
                frees[i].append(slot)
        stepped = {out for _, _, out in self._steps}
        self._ready = [slot for slot in self._outputs if slot not in stepped]
        self._plan = [(f, args, out, tuple(fr)) for (f, args, out), fr in zip(self._steps, frees, strict=True)]
        return self._plan

    def _slot(self, key: Hashable) -> tuple[int, bool]:
        """The slot of ``key``, and whether it is new."""
        slot = self._slots.get(key)
        if slot is not None:
            return slot, False
        slot = self._slots[key] = self._n
        self._n += 1
        return slot, True

    def _unchanged(
        self, name: str, args: list[int], parts: list[tuple[int, Type, Any]], convs: list[Any]
    ) -> tuple[int, Type, tuple[bool, Value] | None] | None:
        """An operand that the operation gives back exactly, if a known operand makes it so; else None.

        ``x * 1``, ``1 * x``, ``x / 1`` and ``x - 0`` are ``x`` bit for bit
        (IEEE 754, NaN and -0 included); ``if`` with a known condition is the
        branch it picks (the closure broadcasts that branch against the other,
        which gives the same values). Operands are float64 arrays, floats or
        (for conditions) booleans, so no dtype changes either.
        """
        known = [self._known.get(a) for a in args]
        if name == "if":
            if known[0] is None or np.isnan(np.asarray(known[0], dtype=np.float64)):
                return None
            k = 1 if bool(known[0]) else 2
            slot, typ, const = parts[k]
            const = None if const is None else (False, const[1])  # picked at run time, not folded by the compiler
            if convs[k] is not None:
                slot = args[k]
                const = None if known[k] is None else (False, known[k])
            return slot, typ if convs[k] is None else "num", const
        if name == "*" or name == "/" or name == "-":
            right = known[1]
            if _exactly(right, 1.0 if name != "-" else 0.0):
                return args[0], "num", None if known[0] is None else (False, known[0])
            if name == "*" and _exactly(known[0], 1.0):
                return args[1], "num", None
        return None

    def _const(self, value: Value) -> int:
        arr = np.asarray(value)
        key = ("const", type(value).__name__, arr.dtype.str, arr.shape, arr.tobytes())
        slot, new = self._slot(key)
        if new:
            self._consts.append((slot, value))
            self._known[slot] = value
        return slot

    def _node(self, node: Node, fixed: Mapping[str, Value]) -> tuple[int, Type, tuple[bool, Value] | None]:
        """``(slot, type, constant)``: ``constant`` is ``(folded by the compiler, value)`` for a known value.

        The compiler folds a sub-expression without names into a float or bool
        (:func:`fold_value`); a sub-expression known only through ``fixed``
        keeps the raw value its closure computes at run time. A sub-tree met
        again with the same fixed values it uses (the same payoff in another
        history row) is looked up, not translated again.
        """
        keys = self._keys_of(node)
        memo = (id(node), tuple(fixed.get(k) for k in keys) if keys else ())
        hit = self._memo.get(memo)
        if hit is not None:
            return hit[1]
        out = self._translate(node, fixed)
        self._memo[memo] = (node, out)  # the node is kept so that its id is not reused
        return out

    def _keys_of(self, node: Node) -> tuple[str, ...]:
        """The path keys used in ``node``'s sub-tree (sorted), computed once per node."""
        hit = self._refs.get(id(node))
        if hit is not None:
            return hit[1]
        if isinstance(node, Call) and node.func in PATH_FUNCTIONS:
            keys: tuple[str, ...] = (path_key(path_ref(node)),)
        elif isinstance(node, Unary | Binary | Call):
            found: set[str] = set()
            for child in operands(node):
                found.update(self._keys_of(child))
            keys = tuple(sorted(found))
        else:
            keys = ()
        self._refs[id(node)] = (node, keys)
        return keys

    def _translate(self, node: Node, fixed: Mapping[str, Value]) -> tuple[int, Type, tuple[bool, Value] | None]:
        if isinstance(node, Num):
            return self._const(node.value), "num", (True, node.value)
        if isinstance(node, Name | Call) and (isinstance(node, Name) or node.func in PATH_FUNCTIONS):
            if isinstance(node, Name):
                key, typ = node.id, self._types.get(node.id, "num")
            else:
                key = path_key(path_ref(node))
                typ = "num" if node.func in _NUMERIC_PATH_FUNCTIONS else "bool"
            if key in fixed:
                return self._const(fixed[key]), typ, (False, fixed[key])
            slot, new = self._slot(("load", key))
            if new:
                self._loads.append((slot, key))
            return slot, typ, None
        assert isinstance(node, Unary | Binary | Call)
        parts = []
        for child in operands(node):  # a loop: one frame per level of a deep tree
            parts.append(self._node(child, fixed))
        name, apply, convs, typ = operation(node, [t for _, t, _ in parts])
        args: list[int] = []
        values: list[Value] = []
        for (slot, _, const), convert in zip(parts, convs, strict=True):
            if const is not None:
                value = const[1] if convert is None else convert(const[1])
                values.append(value)
                args.append(self._const(value))
            elif convert is None:
                args.append(slot)
            else:
                conv, new = self._slot(("convert", convert.__name__, slot))
                if new:
                    self._steps.append((convert, (slot,), conv))
                args.append(conv)
        if len(values) == len(parts):  # every operand known: fold, as the closure would compute it
            with np.errstate(all="ignore"):
                value = apply(*values)
            folded = all(c is not None and c[0] for _, _, c in parts)
            if folded:
                value = fold_value(value, typ)
            return self._const(value), typ, (folded, value)
        same = self._unchanged(name, args, parts, convs)
        if same is not None:
            return same
        slot, new = self._slot((name, tuple(args)))
        if new:
            self._steps.append((_choose_blended if apply is _choose else apply, tuple(args), slot))
        return slot, typ, None
