"""Shared rules of validation: constants, and the one problem collector with the value checks."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from trapsim.errors import ExpressionError, Problem, suggest
from trapsim.expressions import FUNCTIONS, KEYWORDS, PATH_FUNCTIONS, Expr, Type, check, parse

IDENT = re.compile(r"[a-z][a-z0-9_]*\Z")
_RESERVED = set(FUNCTIONS) | set(PATH_FUNCTIONS) | KEYWORDS
_TOP = {
    "scenario": "identity: name, title, description, root, sources, discussion, reality_check, commitment_kinds, "
    "payoff_unit",
    "simulation": "run defaults: draws, seed, solver, rationality",
    "actors": "one table per actor",
    "relations": "edges of the actor graph",
    "parameters": "uncertain inputs",
    "derived": "named expressions",
    "nodes": "the game tree",
    "payoffs": "the payoff table",
    "outcomes": "labels of outcomes",
    "traps": "named events to count",
    "sweeps": "declared parameter sweeps",
    "beliefs": "how actors see the parameters (misperception)",
    "classroom": "the parameters students judge in a classroom poll",
    "worlds": "counterfactual worlds: the same draw with parameters set or decisions forced",
}
_SCENARIO_KEYS = {
    "name",
    "title",
    "description",
    "root",
    "sources",
    "discussion",
    "reality_check",
    "commitment_kinds",
    "payoff_unit",
}
_SIMULATION_KEYS = {"draws", "seed", "solver", "rationality"}
_ACTOR_KEYS = {"name", "color", "description", "payoff_unit"}
_RELATION_KEYS = {"from", "to", "kind", "label", "weight", "directed", "absent"}
_NODE_KEYS = {"actor", "chance", "next", "description", "label", "actions"}
_OUTCOME_KEYS = {"label", "description"}
_TRAP_KEYS = {"title", "description", "when", "given", "given_label"}
_SWEEP_KEYS = {"vary", "draws"}
_WORLD_KEYS = {"set", "force", "title", "description"}
SOLVERS = ("spe", "qre")
_TOML_POSITION = re.compile(r"^(?P<msg>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)\s*$")


def _as_table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _descendants(node: str, below: Mapping[str, set[str]]) -> set[str]:
    """``node`` and everything reachable from it through ``below``."""
    out = {node}
    stack = [node]
    while stack:
        for child in below.get(stack.pop(), ()):
            if child not in out:
                out.add(child)
                stack.append(child)
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _finite(value: int | float) -> bool:
    """Finite and within float range (TOML integers are unbounded: 10**400 is not a float)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _shown_number(value: int | float) -> str:
    text = str(value)
    return text if len(text) <= 24 else f"a {len(text.lstrip('-'))}-digit number"


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        shown = _shown_number(value)
        return shown if shown.startswith("a ") else f"the number {shown}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


class Collector:
    """The one problem collector of a validation: the document, and every problem found in it.

    The rules of each table are functions of a collector (:mod:`trapsim.scenario.tables`,
    :mod:`trapsim.scenario.game`); the value checks they share are its methods.
    """

    def __init__(self, file: str, data: dict[str, Any], comments: Mapping[str, str] | None = None) -> None:
        self.file = file
        self.data = data
        self.comments: Mapping[str, str] = comments or {}
        self.problems: list[Problem] = []
        #: ``(key, node or outcome id, expression)`` of payoffs and probabilities using the history.
        self.history_uses: list[tuple[str, str, Expr]] = []
        self._shadow: set[str] = set()
        #: Keys a "did you mean" pointed at (``nodes.challenger_move.actor``, ``payoffs``): a later
        #: problem that only follows from that misspelling is not reported again (see :meth:`err`).
        self._meant: set[str] = set()
        #: What the path functions may name (:func:`trapsim.scenario.game.path_targets`), computed once:
        #: it depends on the document only, and every payoff asks (recomputing it was quadratic).
        self.path_names: dict[str, frozenset[str]] | None = None

    def err(self, key: str, message: str, suggestion: str | None = None) -> None:
        if message.startswith("unknown") and self._shadowed(key, message):
            return  # one mistake, one line: the name's own problem is reported already
        if message.startswith("missing") and key in self._shadow:
            return  # `nme = ...` said "did you mean 'name'?" already: not also "name: missing"
        if not message.startswith("unknown") and self._consequence(key, message):
            return  # `actr = ...` said "did you mean 'actor'?": not also "a node needs exactly one of actor ..."
        self.problems.append(Problem(self.file, key, message, suggestion))

    def meant(self, *keys: str) -> None:
        """Keys that a "did you mean" has just named, in place of a misspelt one."""
        self._meant.update(keys)

    def _consequence(self, key: str, message: str) -> bool:
        """Whether a problem only follows from a misspelling reported already: the meant key itself
        missing or unreachable (``[payoff]`` → no ``[payoffs]``; ``next = "defender_mov"`` → node
        ``defender_move`` unreachable), or its table's problem naming it (``actr`` → no ``actor``;
        ``defnder`` → "missing payoff for defender")."""
        for m in self._meant:
            if m == key and (message.startswith("missing") or "not reachable" in message):
                return True
            parent, _, name = m.rpartition(".")
            if parent == key and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", message):
                return True
        return False

    def shadow(self, *names: str) -> None:
        """Names whose problem is reported already (an invalid id, the keys of a misspelt table):
        no later "unknown ..." problem may name them again, so one mistake gives one line."""
        self._shadow.update(names)
        self._shadow.update(n.lower() for n in names)

    def _shadowed(self, key: str, message: str) -> bool:
        names = self._shadow
        if not names:
            return False
        mentioned = [*re.findall(r"'([^']*)'", message), key.rpartition(".")[2]]
        return any(n in names for n in mentioned)

    def table(self, key: str, value: Any, *, required: bool = True) -> dict[str, Any]:
        if value is None:
            if required:
                self.err(key, f"missing table [{key}]")
            return {}
        if not isinstance(value, dict):
            self.err(key, f"expected a table, got {_type_name(value)}")
            return {}
        return value

    def unknown_keys(self, key: str, table: Mapping[str, Any], allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for k in table:
            if k not in allowed:
                meant = suggest(k, allowed)
                self.err(f"{key}.{k}", f"unknown key (expected one of: {', '.join(sorted(allowed))})", meant)
                if meant is not None and meant not in table:
                    self.shadow(f"{key}.{meant}")
                    self.meant(f"{key}.{meant}")

    def string(self, key: str, value: Any, *, required: bool = False, default: str = "") -> str:
        if value is None:
            if required:
                self.err(key, "missing (expected a text value in quotes)")
            return default
        if not isinstance(value, str):
            self.err(key, f"expected a text value in quotes, got {_type_name(value)}")
            return default
        return value

    def number(self, key: str, value: Any) -> float | None:
        if not _is_number(value):
            self.err(key, f"expected a number, got {_type_name(value)}")
            return None
        if not _finite(value):
            self.err(key, f"expected a finite number (within 1.8e308), got {_shown_number(value)}")
            return None
        return float(value)

    def ident(self, key: str, value: str, what: str) -> bool:
        if not IDENT.match(value):
            lower = value.lower()
            self.err(
                key,
                f"invalid {what} id '{value}' (use lower-case letters, digits and _, starting with a letter)",
                lower if IDENT.match(lower) else None,
            )
            self.shadow(value)
            return False
        if value in _RESERVED:
            self.err(key, f"{what} id '{value}' is a reserved word of the expression language; choose another name")
            return False
        return True

    def expression(
        self, key: str, value: Any, known: Mapping[str, Type], paths: Mapping[str, frozenset[str]] | None = None
    ) -> tuple[Expr, Type] | None:
        """Parse and check a number or expression string."""
        if _is_number(value):
            if not _finite(value):
                self.err(key, f"expected a finite number (within 1.8e308), got {_shown_number(value)}")
                return None
            try:
                return parse(repr(float(value))), "num"
            except ExpressionError as exc:  # e.g. a number beyond the 1e15 literal limit
                self.err(key, exc.message)
                return None
        if not isinstance(value, str):
            self.err(key, f"expected a number or an expression in quotes, got {_type_name(value)}")
            return None
        try:
            expr = parse(value)
            return expr, check(expr, known, path_targets=paths)
        except ExpressionError as exc:
            shown = value if len(value) <= 60 else value[:57] + "..."
            self.err(key, f'{exc.message} at position {exc.position + 1} in "{shown}"', exc.suggestion)
            return None
