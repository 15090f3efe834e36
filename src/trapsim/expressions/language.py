"""The language's vocabulary: limits, functions, tokens, and the syntax tree (IR)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Type = Literal["num", "bool"]
Value = Any  # a float or a numpy array of draws
Env = Mapping[str, Value]

MAX_LENGTH = 4000
MAX_DEPTH = 48
#: Most levels of the syntax tree, where each operator of a chain such as ``a + b + c`` is a level:
#: compiling, evaluating and pickling recurse once per level.
MAX_HEIGHT = 256
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
#: Names from other languages for functions of :data:`FUNCTIONS`, suggested when used (``ln`` -> ``log``).
FUNCTION_ALIASES: dict[str, str] = {
    "ln": "log",
    "log_e": "log",
    "fabs": "abs",
    "minimum": "min",
    "maximum": "max",
    "clamp": "clip",
    "ifelse": "if",
    "where": "if",
    "sqr": "sqrt",
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

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its source and parsed again: pickling a deep tree would recurse once per level."""
        return (_reparse, (self.source,))

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


def split_path_ref(ref: tuple[str, ...]) -> tuple[str, tuple[str, ...], str | None]:
    """``(function, arguments, world or None)`` of a path reference from :attr:`Expr.path_refs`.

    A path function takes an optional last argument naming a world
    (``played("n", "a", "w")``); without it the reference is to the real path.
    """
    fn, args = ref[0], ref[1:]
    if len(args) > PATH_FUNCTIONS[fn]:
        return fn, args[:-1], args[-1]
    return fn, args, None


def worlds_named(refs: Iterable[tuple[str, ...]]) -> set[str]:
    """The worlds that path references (:attr:`Expr.path_refs`) name."""
    return {w for w in (split_path_ref(ref)[2] for ref in refs) if w is not None}


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return tuple(node.args)
    return ()


def _walk(node: Node):  # type: ignore[no-untyped-def]
    """Every node, depth first (without recursion: trees may be :data:`MAX_HEIGHT` deep)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(_children(n)))


def height(node: Node) -> int:
    """Levels of the tree (1 for a leaf), computed without recursion."""
    best = 0
    stack = [(node, 1)]
    while stack:
        n, level = stack.pop()
        best = max(best, level)
        stack.extend((c, level + 1) for c in _children(n))
    return best


def _reparse(source: str) -> Expr:
    from trapsim.expressions.parser import parse  # the parser imports this module

    return parse(source)
