"""A recursive-descent parser from expression text to the syntax tree; never Python's eval."""

from __future__ import annotations

from collections.abc import Callable

from trapsim.errors import ExpressionError
from trapsim.expressions.language import (
    _COMPARE,
    _HINTS,
    _TOKEN,
    KEYWORDS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_HEIGHT,
    MAX_LENGTH,
    MAX_LITERAL,
    Binary,
    Call,
    Expr,
    Name,
    Node,
    Num,
    Str,
    Unary,
    height,
)


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
                    "the exponent of '**' must be a constant number (write exp(y * log(x)) for a variable power)",
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
    tree = _Parser(text).parse()
    if height(tree) > MAX_HEIGHT:
        raise ExpressionError(
            f"expression more than {MAX_HEIGHT} operators deep (each operator of a chain such as a + b + c "
            "counts); split it into derived values",
            0,
        )
    return Expr(text, tree)
