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


def _num(fn: Compiled, typ: Type) -> Compiled:
    """Make a condition usable as a number (1.0/0.0)."""
    if typ == "num":
        return fn
    return lambda env: np.asarray(fn(env), dtype=np.float64)


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


def _cond(fn: Compiled, typ: Type) -> Compiled:
    """Make a number usable as a condition (non-zero is true; NaN stays NaN: unknown)."""
    if typ == "bool":
        return fn

    def cond(env: Env) -> Value:
        v = fn(env)
        return _unknown_where_nan(np.not_equal(v, 0.0), v)

    return cond


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


def _fold(fn: Compiled, typ: Type, constant: bool) -> tuple[Compiled, Type, bool]:
    if not constant:
        return fn, typ, False
    with np.errstate(all="ignore"):
        value = fn({})
    value = float(value) if typ == "num" or np.isnan(np.asarray(value, dtype=np.float64)) else bool(value)
    return (lambda env: value), typ, True


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
    if isinstance(node, Unary):
        inner, typ, const = _compile_c(node.operand, types)
        if node.op == "not":
            c = _cond(inner, typ)

            def negate(env: Env) -> Value:
                x = c(env)
                return _unknown_where_nan(np.logical_not(x), x)

            return _fold(negate, "bool", const)
        if node.op == "-":
            v = _num(inner, typ)
            return _fold(lambda env: np.negative(v(env)), "num", const)
        return _fold(_num(inner, typ), "num", const)
    if isinstance(node, Binary):
        lf, lt, lc = _compile_c(node.left, types)
        rf, rt, rc = _compile_c(node.right, types)
        op = _BINARY[node.op]
        if node.op in ("and", "or"):
            a, b = _cond(lf, lt), _cond(rf, rt)
        else:
            a, b = _num(lf, lt), _num(rf, rt)
        if node.op in ("and", "or") or node.op in _COMPARE:

            def condition(env: Env) -> Value:
                x, y = a(env), b(env)
                return _unknown_where_nan(op(x, y), x, y)

            return _fold(condition, "bool", lc and rc)
        return _fold(lambda env: op(a(env), b(env)), "num", lc and rc)
    if isinstance(node, Call):
        return _compile_call(node, types)
    raise ExpressionError("text in quotes is not a value", node.pos)  # Str outside a path call


def _compile_call(node: Call, types: Mapping[str, Type]) -> tuple[Compiled, Type, bool]:
    if node.func in PATH_FUNCTIONS:
        ref = (node.func, *(a.value for a in node.args if isinstance(a, Str)))
        key = path_key(ref)
        typ: Type = "num" if node.func in _NUMERIC_PATH_FUNCTIONS else "bool"
        return (lambda env: env[key]), typ, False
    parts = [_compile_c(a, types) for a in node.args]
    const = all(p[2] for p in parts)
    if node.func == "if":
        (cf, ct, _), (af, at, _), (bf, bt, _) = parts
        c = _cond(cf, ct)
        kind: Type = "bool" if at == bt == "bool" else "num"
        a, b = (af, bf) if kind == "bool" else (_num(af, at), _num(bf, bt))

        def choose(env: Env) -> Value:
            which = c(env)
            return _unknown_where_nan(np.where(which, a(env), b(env)), which)

        return _fold(choose, kind, const)
    fns = [_num(f, t) for f, t, _ in parts]
    if node.func in ("min", "max"):
        reduce = np.minimum if node.func == "min" else np.maximum
        first, rest = fns[0], fns[1:]

        def minmax(env: Env) -> Value:
            out = first(env)
            for f in rest:
                out = reduce(out, f(env))
            return out

        return _fold(minmax, "num", const)
    if node.func == "clip":
        x, lo, hi = fns
        return _fold(lambda env: np.minimum(np.maximum(x(env), lo(env)), hi(env)), "num", const)
    unary = _UNARY_FUNCS[node.func]
    (arg,) = fns
    return _fold(lambda env: unary(arg(env)), "num", const)
