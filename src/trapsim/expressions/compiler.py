"""Compile a checked syntax tree into closures over numpy arrays, folding constants."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from trapsim.errors import ExpressionError
from trapsim.expressions.language import (
    _COMPARE,
    _NUMERIC_PATH_FUNCTIONS,
    PATH_FUNCTIONS,
    Binary,
    Call,
    Env,
    Expr,
    Name,
    Node,
    Num,
    Str,
    Type,
    Unary,
    Value,
)

Compiled = Callable[[Env], Value]


def path_key(ref: tuple[str, ...]) -> str:
    """The environment key under which the runner supplies a path-function value."""
    return ":".join(ref)


def compile_expr(expr: Expr, types: Mapping[str, Type]) -> Compiled:
    """Compile a checked expression into a function of an environment.

    The environment maps names (and :func:`path_key` keys) to floats or numpy
    arrays; the result is a float or an array, broadcast like numpy. Constant
    sub-expressions are folded at compile time.
    """
    fn, _ = _compile(expr.tree, types)
    return fn


def is_constant(expr: Expr) -> bool:
    """True when the expression uses no names (it folds to a number)."""
    return not expr.names and not expr.path_refs


def _nan_mask(*values: Value) -> Any:
    """Where any of ``values`` is NaN (``None`` if nowhere): a condition on NaN is neither true nor false."""
    mask: Any = None
    for v in values:
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            if not np.isnan(v).any():
                continue
            m: Any = np.isnan(v)
        elif isinstance(v, float) and math.isnan(v):
            m = True
        else:
            continue
        mask = m if mask is None else mask | m
    return mask


def _unknown_where_nan(result: Value, *operands: Value) -> Value:
    """``result``, made NaN wherever an operand is NaN (a condition NaN stops the run at its check)."""
    mask = _nan_mask(*operands)
    if mask is None:
        return result
    return np.where(mask, np.nan, result)


_BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.true_divide,
    "**": np.power,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
    "and": np.logical_and,
    "or": np.logical_or,
}
_UNARY_FUNCS: dict[str, Callable[[Value], Value]] = {
    "abs": np.abs,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
}


def to_num(value: Value) -> Value:
    """A condition used as a number (1.0/0.0)."""
    return np.asarray(value, dtype=np.float64)


def to_cond(value: Value) -> Value:
    """A number used as a condition (non-zero is true; NaN stays NaN: unknown)."""
    return _unknown_where_nan(np.not_equal(value, 0.0), value)


def _negate(x: Value) -> Value:
    return _unknown_where_nan(np.logical_not(x), x)


def _identity(x: Value) -> Value:
    return x


def _choose(which: Value, a: Value, b: Value) -> Value:
    return _unknown_where_nan(np.where(which, a, b), which)


def _clip(x: Value, lo: Value, hi: Value) -> Value:
    return np.minimum(np.maximum(x, lo), hi)


def _condition(op: Callable[[Value, Value], Value]) -> Callable[[Value, Value], Value]:
    def condition(x: Value, y: Value) -> Value:
        return _unknown_where_nan(op(x, y), x, y)

    return condition


def _reducer(reduce: Callable[[Value, Value], Value]) -> Callable[..., Value]:
    def minmax(first: Value, *rest: Value) -> Value:
        out = first
        for v in rest:
            out = reduce(out, v)
        return out

    return minmax


_CONDITIONS = {op: _condition(f) for op, f in _BINARY.items() if op in _COMPARE or op in ("and", "or")}
_MINMAX = {"min": _reducer(np.minimum), "max": _reducer(np.maximum)}

#: How an operand is converted before an operation uses it: to a number, to a condition, or not at all.
Convert = Callable[[Value], Value] | None


def _as_num(typ: Type) -> Convert:
    return None if typ == "num" else to_num


def _as_cond(typ: Type) -> Convert:
    return None if typ == "bool" else to_cond


def operation(
    node: Unary | Binary | Call, operand_types: list[Type]
) -> tuple[str, Callable[..., Value], list[Convert], Type]:
    """What an inner node computes from its operands' values: ``(name, apply, conversions, type)``.

    ``apply`` takes the operands' values, each first passed through its
    conversion (None: as is); the compiled closures and
    :class:`trapsim.expressions.program.Program` both evaluate a node this way.
    ``name`` identifies the operation (equal names, equal operands: equal values).
    """
    if isinstance(node, Unary):
        (t,) = operand_types
        if node.op == "not":
            return "not", _negate, [_as_cond(t)], "bool"
        if node.op == "-":
            return "neg", np.negative, [_as_num(t)], "num"
        return "pos", _identity, [_as_num(t)], "num"
    if isinstance(node, Binary):
        lt, rt = operand_types
        if node.op in ("and", "or"):
            return node.op, _CONDITIONS[node.op], [_as_cond(lt), _as_cond(rt)], "bool"
        if node.op in _COMPARE:
            return node.op, _CONDITIONS[node.op], [_as_num(lt), _as_num(rt)], "bool"
        return node.op, _BINARY[node.op], [_as_num(lt), _as_num(rt)], "num"
    if node.func == "if":
        ct, at, bt = operand_types
        if at == bt == "bool":
            return "if", _choose, [_as_cond(ct), None, None], "bool"
        return "if", _choose, [_as_cond(ct), _as_num(at), _as_num(bt)], "num"
    convs = [_as_num(t) for t in operand_types]
    if node.func in _MINMAX:
        return node.func, _MINMAX[node.func], convs, "num"
    if node.func == "clip":
        return "clip", _clip, convs, "num"
    return node.func, _UNARY_FUNCS[node.func], convs, "num"


def fold_value(value: Value, typ: Type) -> Value:
    """A constant sub-expression's value as the compiler keeps it: a float, or a bool for a condition."""
    return float(value) if typ == "num" or np.isnan(np.asarray(value, dtype=np.float64)) else bool(value)


def _fold(fn: Compiled, typ: Type, constant: bool) -> tuple[Compiled, Type, bool]:
    if not constant:
        return fn, typ, False
    with np.errstate(all="ignore"):
        value = fold_value(fn({}), typ)
    return (lambda env: value), typ, True


def _converted(fn: Compiled, convert: Convert) -> Compiled:
    if convert is None:
        return fn
    return lambda env: convert(fn(env))


def _apply(apply: Callable[..., Value], fns: list[Compiled]) -> Compiled:
    if len(fns) == 1:
        (f,) = fns
        return lambda env: apply(f(env))
    if len(fns) == 2:
        f, g = fns
        return lambda env: apply(f(env), g(env))
    if len(fns) == 3:
        f, g, h = fns
        return lambda env: apply(f(env), g(env), h(env))
    return lambda env: apply(*[f(env) for f in fns])


def _compile(node: Node, types: Mapping[str, Type]) -> tuple[Compiled, Type]:
    fn, typ, _ = _compile_c(node, types)
    return fn, typ


def _compile_c(node: Node, types: Mapping[str, Type]) -> tuple[Compiled, Type, bool]:
    if isinstance(node, Num):
        value = node.value
        return (lambda env: value), "num", True
    if isinstance(node, Name):
        key = node.id
        return (lambda env: env[key]), types.get(key, "num"), False
    if isinstance(node, Call) and node.func in PATH_FUNCTIONS:
        key = path_key(path_ref(node))
        typ: Type = "num" if node.func in _NUMERIC_PATH_FUNCTIONS else "bool"
        return (lambda env: env[key]), typ, False
    if isinstance(node, Unary | Binary | Call):
        parts = []
        for child in operands(node):  # a loop, not a comprehension: one frame less per level of a deep tree
            parts.append(_compile_c(child, types))
        _, apply, convs, typ = operation(node, [t for _, t, _ in parts])
        fns = [_converted(f, c) for (f, _, _), c in zip(parts, convs, strict=True)]
        return _fold(_apply(apply, fns), typ, all(c for _, _, c in parts))
    raise ExpressionError("text in quotes is not a value", node.pos)  # Str outside a path call


def operands(node: Unary | Binary | Call) -> tuple[Node, ...]:
    """The operand nodes of an inner node, in order."""
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    return node.args


def path_ref(node: Call) -> tuple[str, ...]:
    """``(function, *string arguments)`` of a path-function call."""
    return (node.func, *(a.value for a in node.args if isinstance(a, Str)))
