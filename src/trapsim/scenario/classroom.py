"""Rules of the ``[classroom]`` table: which parameters students judge in a poll."""

from __future__ import annotations

from typing import Any

from trapsim.errors import suggest
from trapsim.model import Classroom, Parameter
from trapsim.scenario.rules import Collector, _is_number, _type_name

_CLASSROOM_KEYS = {"ask", "range"}
MAX_ASKED = 8
_NOT_JUDGED = ("bernoulli", "choice")


def classroom_table(checks: Collector, value: Any, parameters: list[Parameter]) -> Classroom:
    """Check ``[classroom]`` (``ask = [names]``, optional ``range = {name = [low, high]}``)."""
    if value is None:
        return Classroom()
    table = checks.table("classroom", value)
    checks.unknown_keys("classroom", table, _CLASSROOM_KEYS)
    by_name = {p.name: p for p in parameters}
    raw = table.get("ask")
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
        checks.err(
            "classroom.ask",
            f"expected a list of 1 to {MAX_ASKED} parameter names, e.g. "
            f'["need_peace"], got {"nothing" if raw is None else _type_name(raw)}',
        )
        return Classroom()
    if len(raw) > MAX_ASKED:
        checks.err("classroom.ask", f"ask at most {MAX_ASKED} parameters, not {len(raw)}")
    ask: list[str] = []
    for name in raw:
        if name not in by_name:
            checks.err("classroom.ask", f"unknown parameter '{name}'", suggest(name, by_name))
        elif name in ask:
            checks.err("classroom.ask", f"'{name}' is listed twice")
        elif by_name[name].dist.kind in _NOT_JUDGED:
            checks.err(
                "classroom.ask",
                f"'{name}' is a {by_name[name].dist.kind} parameter; students judge continuous quantities only",
            )
        else:
            ask.append(name)
    ranges: dict[str, tuple[float, float]] = {}
    for name, bounds in checks.table("classroom.range", table.get("range"), required=False).items():
        key = f"classroom.range.{name}"
        if name not in raw:
            checks.err(key, "a range is given only for an asked parameter", suggest(name, raw))
        elif (
            not isinstance(bounds, list)
            or len(bounds) != 2
            or not all(_is_number(b) for b in bounds)
            or not float("-inf") < bounds[0] < bounds[1] < float("inf")
        ):
            checks.err(key, "expected [low, high] with finite low < high, e.g. [0, 1]")
        else:
            ranges[name] = (float(bounds[0]), float(bounds[1]))
    return Classroom(tuple(ask), ranges)
