"""Static checks: names, functions, arity, path-function targets, and each expression's type."""

from __future__ import annotations

from collections.abc import Mapping

from trapsim.errors import ExpressionError, suggest
from trapsim.expressions.language import (
    _COMPARE,
    FUNCTION_ALIASES,
    FUNCTIONS,
    PATH_FUNCTIONS,
    Binary,
    Call,
    Expr,
    Name,
    Node,
    Num,
    Str,
    Type,
    Unary,
)


def check(
    expr: Expr,
    known: Mapping[str, Type],
    *,
    path_targets: Mapping[str, frozenset[str]] | None = None,
) -> Type:
    """Check names, functions and types; return the expression's type.

    Parameters
    ----------
    known
        Names usable in the expression and their types.
    path_targets
        When given, the path functions (``played``, ``reached``, ``payoff``,
        ``expected``, ``surprise``) are allowed: keys
        ``"node"`` (decision and chance node ids), ``"action:<node>"`` (that
        node's actions), ``"reached"`` (nodes and outcomes), ``"actor"`` and,
        where a world may be named as the optional last argument, ``"world"``.
    """
    return _check(expr.tree, known, path_targets)


def _check(node: Node, known: Mapping[str, Type], paths: Mapping[str, frozenset[str]] | None) -> Type:
    if isinstance(node, Num):
        return "num"
    if isinstance(node, Str):
        raise ExpressionError(
            "text in quotes is only allowed as an argument of played(), reached(), payoff(), expected() or surprise()",
            node.pos,
        )
    if isinstance(node, Name):
        if node.id in known:
            return known[node.id]
        if node.id in FUNCTIONS or node.id in PATH_FUNCTIONS:
            raise ExpressionError(f"'{node.id}' is a function; call it as {node.id}(...)", node.pos)
        if node.id in ("True", "False", "true", "false"):
            raise ExpressionError(f"unknown name '{node.id}' (write 1 or 0, or a comparison)", node.pos)
        raise ExpressionError(f"unknown name '{node.id}'", node.pos, suggest(node.id, known))
    if isinstance(node, Unary):
        _check(node.operand, known, paths)
        return "bool" if node.op == "not" else "num"
    if isinstance(node, Binary):
        _check(node.left, known, paths)
        _check(node.right, known, paths)
        if node.op in _COMPARE or node.op in ("and", "or"):
            return "bool"
        return "num"
    # Call
    return _check_call(node, known, paths)


def _check_call(node: Call, known: Mapping[str, Type], paths: Mapping[str, frozenset[str]] | None) -> Type:
    name, args = node.func, node.args
    if name in PATH_FUNCTIONS:
        arity = PATH_FUNCTIONS[name]
        if paths is None or ("world" not in paths and len(args) == arity + 1):
            if len(args) == arity + 1 and isinstance(args[-1], Str):
                raise ExpressionError("a world can only be named in traps.*.when and traps.*.given", args[-1].pos)
            raise ExpressionError(f"{name}() can only be used in traps.*.when and traps.*.given", node.pos)
        if len(args) not in (arity, arity + 1) or not all(isinstance(a, Str) for a in args):
            quoted = {"played": '"<node>", "<action>"', "reached": '"<node or outcome>"'}.get(name, '"<actor>"')
            raise ExpressionError(
                f'{name}() takes {arity} quoted argument(s) and optionally a world: {name}({quoted}[, "<world>"])',
                node.pos,
            )
        strs = [a for a in args if isinstance(a, Str)]
        if len(strs) > arity:
            _check_target(strs[-1], paths["world"], "world")
        if name == "played":
            _check_target(strs[0], paths["node"], "decision or chance node")
            node_actions = paths.get("action:" + strs[0].value, frozenset())
            _check_target(strs[1], node_actions, "action", f" of '{strs[0].value}'")
            return "bool"
        if name == "reached":
            _check_target(strs[0], paths["reached"], "node or outcome")
            return "bool"
        _check_target(strs[0], paths["actor"], "actor")
        return "num"
    if name not in FUNCTIONS:
        hint = FUNCTION_ALIASES.get(name) or suggest(
            name, list(FUNCTIONS) + (list(PATH_FUNCTIONS) if paths is not None else [])
        )
        raise ExpressionError(f"unknown function '{name}'", node.pos, hint)
    want = FUNCTIONS[name]
    if want is None and len(args) < 2:
        raise ExpressionError(f"{name}() needs at least 2 arguments", node.pos)
    if want is not None and len(args) != want:
        raise ExpressionError(f"{name}() takes {want} argument(s), got {len(args)}", node.pos)
    types = [_check(a, known, paths) for a in args]
    if name == "if":
        return "bool" if types[1] == types[2] == "bool" else "num"
    return "num"


def _check_target(arg: Str, allowed: frozenset[str], what: str, of: str = "") -> None:
    if arg.value not in allowed:
        raise ExpressionError(f"unknown {what} '{arg.value}'{of}", arg.pos, suggest(arg.value, allowed))
