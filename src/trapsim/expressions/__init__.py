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

Limits keep hostile input cheap: at most 4,000 characters, nesting depth 48, a tree
at most 256 operators deep (each operator of a chain such as ``a + b + c`` counts),
number literals up to 1e15 in magnitude, constant exponents up to 10.

Every expression has a static type, ``"num"`` or ``"bool"``; comparisons and
``and``/``or``/``not`` give conditions, arithmetic gives numbers, and a
condition used as a number counts as 1 (true) or 0 (false).
"""

from trapsim.expressions.checker import check
from trapsim.expressions.compiler import Compiled, compile_expr, is_constant, path_key
from trapsim.expressions.language import (
    FUNCTIONS,
    KEYWORDS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_HEIGHT,
    MAX_LENGTH,
    MAX_LITERAL,
    PATH_FUNCTIONS,
    Expr,
    Type,
    split_path_ref,
    worlds_named,
)
from trapsim.expressions.parser import parse

__all__ = [
    "FUNCTIONS",
    "KEYWORDS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_HEIGHT",
    "MAX_LENGTH",
    "MAX_LITERAL",
    "PATH_FUNCTIONS",
    "Compiled",
    "Expr",
    "Type",
    "check",
    "compile_expr",
    "is_constant",
    "parse",
    "path_key",
    "split_path_ref",
    "worlds_named",
]
