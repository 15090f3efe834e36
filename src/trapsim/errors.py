"""The one error tree of trapsim.

Every problem caused by a user's input is a :class:`TrapsimError`. The command
line (``cli.py``) is the only place that turns these into output and exit
codes: bad input exits with status 2, anything else with status 1.

Messages are built from fields in one place (:meth:`Problem.format`), so every
line a user sees has the same shape::

    error: scenarios/x.toml: nodes.a.next.b: unknown node or outcome 'cc' (did you mean 'c'?)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trapsim.output import printable

__all__ = [
    "ArgumentError",
    "ExpressionError",
    "Problem",
    "RunError",
    "ScenarioError",
    "TrapsimError",
    "suggest",
]


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate closest to ``word`` when one is close enough."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in one input file, located by a dotted key path."""

    file: str
    key: str
    message: str
    suggestion: str | None = None

    def format(self) -> str:
        """The one-line form shown to users (control characters of the input escaped: always one line)."""
        where = ": ".join(part for part in (self.file, self.key) if part)
        text = f"{where}: {self.message}" if where else self.message
        if self.suggestion:
            text += f" (did you mean '{self.suggestion}'?)"
        return printable(text)


class TrapsimError(Exception):
    """Base class of every error trapsim raises on purpose."""

    exit_code = 2

    def lines(self) -> list[str]:
        """The lines to print, without the ``error:`` prefix."""
        return [str(self)]


class ScenarioError(TrapsimError):
    """One or more problems in a scenario file (all of them, not only the first)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(p.format() for p in self.problems))

    @classmethod
    def single(cls, file: str, key: str, message: str, suggestion: str | None = None) -> ScenarioError:
        return cls([Problem(file, key, message, suggestion)])

    def lines(self) -> list[str]:
        return [p.format() for p in self.problems]


class ExpressionError(TrapsimError):
    """A syntax or name error inside one expression string.

    ``position`` is the 0-based character offset in the expression; the loader
    turns this into a :class:`Problem` carrying the file and key path.
    """

    def __init__(self, message: str, position: int, suggestion: str | None = None) -> None:
        self.message = message
        self.position = position
        self.suggestion = suggestion
        super().__init__(f"{message} at position {position + 1}")


class RunError(TrapsimError):
    """A problem that only shows up while running: a NaN, a bad probability, a checkpoint.

    Built from the same fields as a :class:`Problem` (file, key path, message,
    suggestion) and formatted by :meth:`Problem.format`, like every other
    error. Picklable, so it crosses from worker processes unchanged.
    """

    def __init__(self, message: str, *, file: str = "", key: str = "", suggestion: str | None = None) -> None:
        self.problem = Problem(file, key, message, suggestion)
        super().__init__(self.problem.format())

    def __reduce__(self) -> tuple[Any, ...]:
        p = self.problem
        return (_run_error, (p.message, p.file, p.key, p.suggestion))

    def within(self, *, before: str = "", after: str = "") -> RunError:
        """The same error with context around its message (``under the beliefs of 'a': ...``)."""
        p = self.problem
        return RunError(f"{before}{p.message}{after}", file=p.file, key=p.key, suggestion=p.suggestion)

    def lines(self) -> list[str]:
        return [self.problem.format()]


def _run_error(message: str, file: str, key: str, suggestion: str | None) -> RunError:
    return RunError(message, file=file, key=key, suggestion=suggestion)


class ArgumentError(TrapsimError, ValueError):
    """A bad argument to a public API function: a mistake of the caller, not of the scenario file.

    ``argument`` is the API name (``draws``, ``values``), ``item`` the entry of
    a mapping argument (``values['x']``). :meth:`problem` builds the one-line
    message through :class:`Problem`; the command line passes ``flags`` to
    name its own options instead (``--set x``).
    """

    def __init__(
        self, argument: str, message: str, *, item: str | None = None, file: str = "", suggestion: str | None = None
    ) -> None:
        self.argument = argument
        self.item = item
        self.file = file
        self.message = message
        self.suggestion = suggestion
        super().__init__(self.problem().format())

    def problem(self, flags: Mapping[str, str] | None = None) -> Problem:
        """The problem, keyed by the API argument or (with ``flags``) by the command-line option."""
        flag = (flags or {}).get(self.argument)
        if flag is not None and "{item}" in flag:  # e.g. a web request's field: "set.{item}"
            key = flag.format(item=self.item) if self.item is not None else flag.partition(".")[0]
        elif flag is not None:
            key = f"{flag} {self.item}" if self.item is not None else flag
        else:
            key = f"argument {self.argument}" + (f"[{self.item!r}]" if self.item is not None else "")
        return Problem(self.file, key, self.message, self.suggestion)

    def lines(self, flags: Mapping[str, str] | None = None) -> list[str]:
        return [self.problem(flags).format()]
