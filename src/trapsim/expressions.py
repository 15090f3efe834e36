"""The expression language of scenario files: parse, check, compile, evaluate.

Expressions are untrusted text. They are tokenised and parsed here by a small
recursive-descent parser (never Python's ``eval``/``exec``), checked against a
whitelist of names and functions, and compiled to a tree of closures that
evaluate on numpy arrays of draws (draws along axis 0).

Grammar (lowest precedence first)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum [("<"|"<="|">"|">="|"=="|"!=") sum]
    sum     := term (("+"|"-") term)*
    term    := unary (("*"|"/") unary)*
    unary   := ("-"|"+") unary | power
    power   := atom ["**" unary]          -- the exponent must be a constant, |p| <= 10
    atom    := NUMBER | NAME | NAME "(" [expr ("," expr)*] ")" | "(" expr ")" | STRING

Limits keep hostile input cheap: at most 4,000 characters, nesting depth 48,
number literals up to 1e15 in magnitude, constant exponents up to 10.

Every expression has a static type, ``"num"`` or ``"bool"``; comparisons and
``and``/``or``/``not`` give conditions, arithmetic gives numbers, and a
condition used as a number counts as 1 (true) or 0 (false).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from trapsim.errors import ExpressionError, suggest

__all__ = [
    "FUNCTIONS",
    "PATH_FUNCTIONS",
    "Compiled",
    "Expr",
    "compile_expr",
    "parse",
]

Type = Literal["num", "bool"]
Value = Any  # a float or a numpy array of draws
Env = Mapping[str, Value]

MAX_LENGTH = 4000
MAX_DEPTH = 48
MAX_LITERAL = 1e15
MAX_EXPONENT = 10.0

#: Functions of the language and their number of arguments (None: two or more).
FUNCTIONS: dict[str, int | None] = {
    "min": None,
    "max": None,
    "clip": 3,
    "abs": 1,
    "exp": 1,
    "log": 1,
    "sqrt": 1,
    "if": 3,
}
#: Functions allowed only in ``traps.*.when``; their arguments are strings.
PATH_FUNCTIONS: dict[str, int] = {"played": 2, "reached": 1, "payoff": 1, "expected": 1, "surprise": 1}
#: Path functions whose value is a number (the others are conditions).
_NUMERIC_PATH_FUNCTIONS = frozenset({"payoff", "expected", "surprise"})

KEYWORDS = {"and", "or", "not"}
_COMPARE = {"<", "<=", ">", ">=", "==", "!="}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<str>"[^"\\]*"|'[^'\\]*')
  | (?P<op>\*\*|<=|>=|==|!=|[-+*/<>(),])
    """,
    re.VERBOSE,
)

_HINTS = {
    ".": "attribute access is not allowed",
    "[": "subscripts are not allowed",
    "]": "subscripts are not allowed",
    "^": "use '**' for powers",
    "=": "use '==' to compare",
    "&": "use 'and'",
    "|": "use 'or'",
    "!": "use 'not' or '!='",
    "%": "the remainder operator is not part of the language",
    "{": "braces are not allowed",
    ":": "':' is not allowed (no lambdas or slices)",
    "@": "'@' is not allowed",
    "`": "backticks are not allowed",
    ";": "';' is not allowed",
}


# --------------------------------------------------------------------------- IR


@dataclass(frozen=True, slots=True)
class Num:
    value: float
    pos: int


@dataclass(frozen=True, slots=True)
class Name:
    id: str
    pos: int


@dataclass(frozen=True, slots=True)
class Str:
    value: str
    pos: int


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Node
    right: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Node, ...]
    pos: int


Node = Num | Name | Str | Unary | Binary | Call


@dataclass(frozen=True, slots=True)
class Expr:
    """A parsed expression: its source text and syntax tree."""

    source: str
    tree: Node

    @property
    def names(self) -> frozenset[str]:
        """Free names (parameters, derived values, trap ids) used."""
        return frozenset(n.id for n in _walk(self.tree) if isinstance(n, Name))

    @property
    def path_refs(self) -> frozenset[tuple[str, ...]]:
        """Path-function calls used, as ``(function, *string arguments)`` tuples."""
        return frozenset(
            (n.func, *(a.value for a in n.args if isinstance(a, Str)))
            for n in _walk(self.tree)
            if isinstance(n, Call) and n.func in PATH_FUNCTIONS
        )


def _walk(node: Node):  # type: ignore[no-untyped-def]
    yield node
    if isinstance(node, Unary):
        yield from _walk(node.operand)
    elif isinstance(node, Binary):
        yield from _walk(node.left)
        yield from _walk(node.right)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from _walk(arg)


# ----------------------------------------------------------------------- parser


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            hint = _HINTS.get(ch, f"unexpected character {ch!r}")
            raise ExpressionError(hint, pos)
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append((kind, m.group(), pos))
        pos = m.end()
    tokens.append(("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        kind, text, pos = self.take()
        if text != value or kind not in ("op", "name"):
            found = "the end" if kind == "end" else repr(text)
            raise ExpressionError(f"expected '{value}' but found {found}", pos)

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested deeper than {MAX_DEPTH} levels", pos)

    def parse(self) -> Node:
        node = self.expr()
        kind, text, pos = self.peek()
        if kind != "end":
            if text == "if":
                raise ExpressionError("write conditions as if(cond, a, b)", pos)
            if text == "(":
                raise ExpressionError("only function names can be called", pos)
            raise ExpressionError(f"unexpected {text!r}", pos)
        return node

    def expr(self) -> Node:
        pos = self.peek()[2]
        self.enter(pos)
        node = self.binary_chain(self.and_, ("or",))
        self.depth -= 1
        return node

    def and_(self) -> Node:
        return self.binary_chain(self.not_, ("and",))

    def binary_chain(self, sub: Callable[[], Node], ops: tuple[str, ...]) -> Node:
        left = sub()
        while self.peek()[1] in ops and self.peek()[0] in ("op", "name"):
            _, op, pos = self.take()
            left = Binary(op, left, sub(), pos)
        return left

    def not_(self) -> Node:
        kind, text, pos = self.peek()
        if kind == "name" and text == "not":
            self.take()
            self.enter(pos)
            node = Unary("not", self.not_(), pos)
            self.depth -= 1
            return node
        return self.compare()

    def compare(self) -> Node:
        left = self.sum()
        kind, text, pos = self.peek()
        if kind == "op" and text in _COMPARE:
            self.take()
            right = self.sum()
            if self.peek()[1] in _COMPARE:
                raise ExpressionError(
                    "chained comparisons are not supported; join them with 'and'",
                    self.peek()[2],
                )
            return Binary(text, left, right, pos)
        return left

    def sum(self) -> Node:
        return self.binary_chain(self.term, ("+", "-"))

    def term(self) -> Node:
        return self.binary_chain(self.unary, ("*", "/"))

    def unary(self) -> Node:
        kind, text, pos = self.peek()
        if kind == "op" and text in ("-", "+"):
            self.take()
            self.enter(pos)
            node = Unary(text, self.unary(), pos)
            self.depth -= 1
            return node
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        kind, text, pos = self.peek()
        if kind == "op" and text == "**":
            self.take()
            exponent = self.unary()
            value = _constant_value(exponent)
            if value is None:
                raise ExpressionError(
                    "the exponent of '**' must be a constant number "
                    "(write exp(y * log(x)) for a variable power)",
                    pos,
                )
            if abs(value) > MAX_EXPONENT:
                raise ExpressionError(f"exponent {value:g} is too large (at most {MAX_EXPONENT:g})", pos)
            return Binary("**", base, exponent, pos)
        return base

    def atom(self) -> Node:
        kind, text, pos = self.take()
        if kind == "num":
            value = float(text)
            if not abs(value) <= MAX_LITERAL:
                raise ExpressionError(f"number {text} is too large (at most {MAX_LITERAL:g})", pos)
            return Num(value, pos)
        if kind == "str":
            return Str(text[1:-1], pos)
        if kind == "name":
            if text in KEYWORDS:
                raise ExpressionError(f"'{text}' needs a value before and after it", pos)
            if self.peek()[1] == "(" and self.peek()[0] == "op":
                self.take()
                self.enter(pos)
                args: list[Node] = []
                if self.peek()[1] != ")":
                    args.append(self.expr())
                    while self.peek()[1] == ",":
                        self.take()
                        args.append(self.expr())
                self.expect(")")
                self.depth -= 1
                return Call(text, tuple(args), pos)
            return Name(text, pos)
        if kind == "op" and text == "(":
            node = self.expr()
            self.expect(")")
            return node
        if kind == "end":
            raise ExpressionError("expression ends too early", pos)
        raise ExpressionError(f"unexpected {text!r}", pos)


def _constant_value(node: Node) -> float | None:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Unary) and node.op in ("-", "+"):
        inner = _constant_value(node.operand)
        if inner is None:
            return None
        return -inner if node.op == "-" else inner
    return None


def parse(text: str) -> Expr:
    """Parse an expression string; raise :class:`ExpressionError` on bad syntax."""
    if not isinstance(text, str):
        raise ExpressionError("an expression must be a string", 0)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters", MAX_LENGTH)
    if not text.strip():
        raise ExpressionError("empty expression", 0)
    return Expr(text, _Parser(text).parse())


# ---------------------------------------------------------------------- checker


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
        node's actions), ``"reached"`` (nodes and outcomes) and ``"actor"``.
    """
    return _check(expr.tree, known, path_targets)


def _check(node: Node, known: Mapping[str, Type], paths: Mapping[str, frozenset[str]] | None) -> Type:
    if isinstance(node, Num):
        return "num"
    if isinstance(node, Str):
        raise ExpressionError(
            "text in quotes is only allowed as an argument of played(), reached(), payoff(), "
            "expected() or surprise()",
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
        if paths is None:
            raise ExpressionError(f"{name}() can only be used in traps.*.when", node.pos)
        arity = PATH_FUNCTIONS[name]
        if len(args) != arity or not all(isinstance(a, Str) for a in args):
            quoted = {"played": '"<node>", "<action>"', "reached": '"<node or outcome>"'}.get(name, '"<actor>"')
            raise ExpressionError(f"{name}() takes {arity} quoted argument(s): {name}({quoted})", node.pos)
        strs = [a for a in args if isinstance(a, Str)]
        if name == "played":
            _check_target(strs[0], paths["node"], "decision or chance node")
            _check_target(strs[1], paths.get("action:" + strs[0].value, frozenset()), f"action of '{strs[0].value}'")
            return "bool"
        if name == "reached":
            _check_target(strs[0], paths["reached"], "node or outcome")
            return "bool"
        _check_target(strs[0], paths["actor"], "actor")
        return "num"
    if name not in FUNCTIONS:
        hint = suggest(name, list(FUNCTIONS) + (list(PATH_FUNCTIONS) if paths is not None else []))
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


def _check_target(arg: Str, allowed: frozenset[str], what: str) -> None:
    if arg.value not in allowed:
        raise ExpressionError(f"unknown {what} '{arg.value}'", arg.pos, suggest(arg.value, allowed))


# --------------------------------------------------------------------- compiler

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


def _cond(fn: Compiled, typ: Type) -> Compiled:
    """Make a number usable as a condition (non-zero is true)."""
    if typ == "bool":
        return fn
    return lambda env: np.not_equal(fn(env), 0.0)


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
    value = float(value) if typ == "num" else bool(value)
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
            return _fold(lambda env: np.logical_not(c(env)), "bool", const)
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
            return _fold(lambda env: op(a(env), b(env)), "bool", lc and rc)
        a, b = _num(lf, lt), _num(rf, rt)
        result: Type = "bool" if node.op in _COMPARE else "num"
        return _fold(lambda env: op(a(env), b(env)), result, lc and rc)
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
        if at == bt == "bool":
            return _fold(lambda env: np.where(c(env), af(env), bf(env)), "bool", const)
        a, b = _num(af, at), _num(bf, bt)
        return _fold(lambda env: np.where(c(env), a(env), b(env)), "num", const)
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
