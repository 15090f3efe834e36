"""A reader of Gambit's extensive-form text format (``EFG 2 R`` / ``EFG 2 D``).

The format is small, so trapsim reads it itself: Gambit's own reader (through
pygambit) refuses some well-formed files of Gambit's own collection (repeated
node labels), and pygambit is GPL-licensed, so it is a test oracle only.

Numbers are kept exactly as :class:`fractions.Fraction`. A syntax error is a
:class:`~trapsim.errors.ScenarioError` whose key is ``line L, column C``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NamedTuple

from trapsim.errors import ScenarioError
from trapsim.output import CONTROL

__all__ = ["EfgGame", "EfgNode", "EfgOutcome", "parse_efg"]

_NUMBER = re.compile(r"[+-]?(?:\d+/\d+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?)\Z")
_INT = re.compile(r"\d{1,18}\Z")
_MAX_NUMBER_TEXT = 80  # characters: longer numbers are refused, not computed
MAX_MAGNITUDE = 10**15  # the expression language's largest literal (the writer keeps to it too)
_MAX_DEPTH = 10_000  # nodes are read iteratively; this only bounds silly files


class _Token(NamedTuple):
    kind: str  # "text", "word", "{", "}", ","
    value: str
    line: int
    col: int

    def shown(self) -> str:
        if self.kind == "text":
            text = self.value if len(self.value) <= 30 else self.value[:27] + "..."
            return f'the text "{text}"'
        return f"'{self.value}'"


@dataclass(frozen=True, slots=True)
class EfgOutcome:
    """An outcome of the file: its label and one exact payoff per player."""

    number: int
    label: str
    payoffs: tuple[Fraction, ...]


@dataclass(slots=True)
class EfgNode:
    """One node, as listed in the file.

    ``player`` is 0 for chance and for terminal nodes; ``probs`` is set for
    chance nodes only; ``outcome`` is 0 when no outcome is attached.
    """

    kind: str  # "c", "p" or "t"
    label: str
    line: int
    player: int = 0
    infoset: int = 0
    infoset_label: str = ""
    actions: tuple[str, ...] = ()
    probs: tuple[Fraction, ...] = ()
    outcome: int = 0
    children: list[EfgNode] = field(default_factory=list)

    def preorder(self) -> Iterator[EfgNode]:
        """This node and all below it, in the file's (prefix) order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


@dataclass(frozen=True, slots=True)
class EfgGame:
    """A parsed ``.efg`` file, exactly as written (no interpretation yet)."""

    title: str
    players: tuple[str, ...]
    comment: str
    outcomes: dict[int, EfgOutcome]
    root: EfgNode
    number_type: str  # "R" or "D"


_TOKEN = re.compile(
    r'(?P<space>\s+)|(?P<punct>[{},])|(?P<text>"(?:\\.|[^"\\])*")|(?P<open>")'
    r'|(?P<word>[^\s{},"]+)',
    re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _tokens(text: str, file: str) -> list[_Token]:
    out: list[_Token] = []
    line, line_start = 1, 0
    for m in _TOKEN.finditer(text):
        kind, value, start = m.lastgroup, m.group(), m.start()
        col = start - line_start + 1
        if kind == "open":
            raise ScenarioError.single(file, f"line {line}, column {col}", 'unterminated text: a closing " is missing')
        if kind == "punct":
            out.append(_Token(value, value, line, col))
        elif kind == "word":
            out.append(_Token("word", value, line, col))
        elif kind == "text":
            if found := CONTROL.search(value):  # as in scenario files: no escape sequences, no bidi overrides
                raise ScenarioError.single(
                    file,
                    f"line {line}, column {col}",
                    f"the text contains a control character (U+{ord(found.group()):04X}); escape sequences "
                    "are not allowed",
                )
            out.append(_Token("text", _ESCAPE.sub(r"\1", value[1:-1]), line, col))
        newlines = value.count("\n") if kind in ("space", "text") else 0
        if newlines:
            line += newlines
            line_start = start + value.rindex("\n") + 1
    return out


class _Parser:
    """Recursive-descent over the token list, with the node loop made iterative."""

    def __init__(self, text: str, file: str) -> None:
        self.file = file
        self.toks = _tokens(text, file)
        self.pos = 0
        body = text.rstrip()
        self.end = (body.count("\n") + 1, len(body) - body.rfind("\n"))  # just after the last token
        self.players: tuple[str, ...] = ()
        self.outcomes: dict[int, EfgOutcome] = {}
        self.infosets: dict[tuple[int, int], tuple[str, tuple[str, ...], tuple[Fraction, ...]]] = {}

    # ------------------------------------------------------------ tokens

    def fail(self, tok: _Token | None, message: str) -> ScenarioError:
        line, col = (tok.line, tok.col) if tok else self.end
        where = f"line {line}, column {col}"
        return ScenarioError.single(self.file, where, message)

    def peek(self) -> _Token | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def next(self, what: str) -> _Token:
        tok = self.peek()
        if tok is None:
            raise self.fail(None, f"the file ends where {what} was expected")
        self.pos += 1
        return tok

    def expect(self, kind: str, what: str) -> _Token:
        tok = self.next(what)
        if tok.kind != kind:
            raise self.fail(tok, f"expected {what}, found {tok.shown()}")
        return tok

    def text(self, what: str) -> str:
        return self.expect("text", f"{what} in quotes").value

    def integer(self, what: str) -> int:
        tok = self.expect("word", what)
        if not _INT.match(tok.value):
            raise self.fail(tok, f"expected {what} (a whole number >= 0, at most 18 digits), found {tok.shown()}")
        return int(tok.value)

    def number(self, what: str) -> Fraction:
        tok = self.next(what)
        if tok.kind != "word" or len(tok.value) > _MAX_NUMBER_TEXT or not _NUMBER.match(tok.value):
            shown = tok.shown() if len(tok.value) <= 40 else f"'{tok.value[:37]}...'"
            raise self.fail(tok, f"expected {what} (e.g. 2, -1.5, 1/3 or 1e1), found {shown}")
        try:
            value = Fraction(tok.value)
        except ZeroDivisionError:
            raise self.fail(tok, f"{what} {tok.value} divides by zero") from None
        if abs(value) > MAX_MAGNITUDE:
            raise self.fail(tok, f"{what} {tok.value} is too large (at most 1e15 in size)")
        return value

    def at(self, kind: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == kind

    # ------------------------------------------------------------ grammar

    def parse(self) -> EfgGame:
        for expected in ("EFG", "2"):
            tok = self.next(f"'{expected}'")
            if tok.kind != "word" or tok.value != expected:
                hint = ' (an .efg file starts with: EFG 2 R "title" { "Player 1" ... })'
                if expected == "2" and tok.kind == "word" and tok.value.isdigit():
                    hint = " (only version 2 of the format is supported)"
                raise self.fail(tok, f"expected '{expected}', found {tok.shown()}{hint}")
        tok = self.next("the number type R or D")
        if tok.kind != "word" or tok.value not in ("R", "D"):
            raise self.fail(tok, f"expected the number type R or D, found {tok.shown()}")
        number_type = tok.value
        title = self.text("the game's title")
        self.expect("{", "'{' opening the list of players")
        players = []
        while not self.at("}"):
            players.append(self.text("a player name or '}'"))
        self.pos += 1
        self.players = tuple(players)
        comment = self.text("comment") if self.at("text") else ""
        root = self.tree()
        extra = self.peek()
        if extra is not None:
            raise self.fail(
                extra,
                f"unexpected {extra.shown()} after the last node of the tree "
                "(every node's children are already complete)",
            )
        return EfgGame(title, self.players, comment, self.outcomes, root, number_type)

    def tree(self) -> EfgNode:
        root = self.node()
        # each entry: a node still waiting for children
        stack: list[EfgNode] = [root] if root.kind != "t" else []
        while stack:
            parent = stack[-1]
            if len(parent.children) == len(parent.actions):
                stack.pop()
                continue
            if len(stack) > _MAX_DEPTH:
                raise self.fail(self.peek(), f"the tree is deeper than {_MAX_DEPTH} nodes")
            child = self.node(parent)
            parent.children.append(child)
            if child.kind != "t":
                stack.append(child)
        return root

    def node(self, parent: EfgNode | None = None) -> EfgNode:
        where = (
            "the first node ('p', 'c' or 't')"
            if parent is None
            else (
                f"child {len(parent.children) + 1} of {len(parent.actions)} of the node on line "
                f"{parent.line} ('p', 'c' or 't')"
            )
        )
        tok = self.next(where)
        if tok.kind != "word" or tok.value not in ("p", "c", "t"):
            raise self.fail(tok, f"expected {where}, found {tok.shown()}")
        node = EfgNode(tok.value, self.text("the node's label"), tok.line)
        if node.kind == "t":
            node.outcome = self.outcome()
            return node
        if node.kind == "p":
            ptok = self.peek()
            node.player = self.integer("the player number")
            if not 1 <= node.player <= len(self.players):
                raise self.fail(
                    ptok,
                    f"player {node.player} does not exist (the header lists "
                    f"{len(self.players)} players, numbered from 1)",
                )
        itok = self.peek()
        node.infoset = self.integer("the information set number")
        key = (node.player, node.infoset)
        if self.at("text"):
            label = self.text("the information set's label")
            self.expect("{", "'{' opening the list of actions")
            actions: list[str] = []
            probs: list[Fraction] = []
            while not self.at("}"):
                actions.append(self.text("an action name or '}'"))
                if node.kind == "c":
                    probs.append(self.number(f'the probability of action "{actions[-1]}"'))
            close = self.next("'}'")
            if not actions:
                raise self.fail(close, "a move needs at least one action")
            desc = (label, tuple(actions), tuple(probs))
            if node.kind == "c":
                self.check_probabilities(itok, desc[2])
            if key in self.infosets and self.infosets[key] != desc:
                raise self.fail(
                    itok,
                    f"information set {node.infoset} of {self.owner(node)} is "
                    "described again with different actions or probabilities",
                )
            self.infosets.setdefault(key, desc)
        elif key not in self.infosets:
            raise self.fail(
                itok,
                f"information set {node.infoset} of {self.owner(node)} appears "
                "for the first time without its description "
                '("label" { actions })',
            )
        node.infoset_label, node.actions, node.probs = self.infosets[key]
        node.outcome = self.outcome()
        return node

    def owner(self, node: EfgNode) -> str:
        if node.kind == "c":
            return "chance"
        return f'player {node.player} ("{self.players[node.player - 1]}")'

    def check_probabilities(self, tok: _Token | None, probs: tuple[Fraction, ...]) -> None:
        if any(p < 0 or p > 1 for p in probs):
            raise self.fail(tok, "chance probabilities must lie between 0 and 1")
        total = sum(probs, Fraction(0))
        if abs(total - 1) > Fraction(1, 10**9):
            raise self.fail(tok, f"chance probabilities sum to {total} ({float(total):.6g}), expected 1")

    def outcome(self) -> int:
        tok = self.peek()
        number = self.integer("the outcome number (0 for none)")
        if not self.at("text"):
            if number and number not in self.outcomes:
                raise self.fail(
                    tok,
                    f"outcome {number} appears for the first time without its "
                    'payoffs ("label" { payoff per player })',
                )
            return number
        if number == 0:
            raise self.fail(tok, "outcome 0 means 'no outcome' and cannot have a label or payoffs")
        label = self.text("the outcome's label")
        self.expect("{", "'{' opening the list of payoffs")
        payoffs: list[Fraction] = []
        while not self.at("}"):
            if payoffs and self.at(","):
                self.pos += 1
            payoffs.append(self.number("a payoff"))
        close = self.next("'}'")
        if len(payoffs) != len(self.players):
            plural = "" if len(payoffs) == 1 else "s"
            raise self.fail(
                close,
                f'outcome {number} ("{label}") has {len(payoffs)} '
                f"payoff{plural}; expected one per player "
                f"({len(self.players)})",
            )
        out = EfgOutcome(number, label, tuple(payoffs))
        if number in self.outcomes and self.outcomes[number] != out:
            raise self.fail(tok, f"outcome {number} is described again with a different label or payoffs")
        self.outcomes.setdefault(number, out)
        return number


def parse_efg(text: str, *, path: str = "<string>") -> EfgGame:
    """Parse the text of an ``.efg`` file.

    Parameters
    ----------
    text
        The file's content.
    path
        Used in error messages.

    Raises
    ------
    ScenarioError
        On the first syntax error, located by line and column.
    """
    return _Parser(text, path).parse()
