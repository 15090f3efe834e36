"""Reading scenario files: TOML syntax errors with line and column, parameter comments, --set values."""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from pathlib import Path
from typing import Any

from trapsim.errors import Problem, ScenarioError
from trapsim.model import (
    Scenario,
)
from trapsim.output import ANY_CONTROL, CONTROL, printable, protect_input
from trapsim.scenario.evaluation import evaluation_problems
from trapsim.scenario.rules import (
    _TOML_POSITION,
)
from trapsim.scenario.validator import validate

#: Largest scenario file read (bytes): far above any real scenario (the bundled ones are under 40 KB).
MAX_FILE_BYTES = 8 * 2**20


def load(path: str | Path) -> Scenario:
    """Read and validate a TOML scenario file (``api.load`` also reads ``.efg``).

    Raises
    ------
    ScenarioError
        With one :class:`~trapsim.errors.Problem` per problem found.
    """
    path = Path(path)
    name = str(path)
    try:
        with path.open("rb") as f:  # never more than the cap: `validate /dev/zero` must not read forever
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError.single(name, "", f"cannot read file: {exc.strerror or exc}") from None
    protect_input(path)
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError.single(
            name, "", f"file larger than {MAX_FILE_BYTES // 2**20} MiB (the limit of a scenario)"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError.single(name, "", f"file is not UTF-8 text (byte {exc.start})") from None
    return loads(text, path=name)


def loads(text: str, *, path: str = "<string>") -> Scenario:
    """Validate a scenario given as TOML text (``path`` is used in messages)."""
    try:
        data = tomllib.loads(text)
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        raise ScenarioError.single(path, "", "TOML syntax error: arrays or tables nested too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError.single(path, *_syntax_error(text, str(exc))) from None
    control = _control_characters(path, data)
    if control:
        raise ScenarioError(control)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    scenario = validate(path, data, _parameter_comments(text), sha=sha)
    problems = evaluation_problems(scenario)
    if problems:
        raise ScenarioError(problems)
    return scenario


def _syntax_error(text: str, error: str) -> tuple[str, str]:
    """``(where, message)`` of a TOML syntax error, with a hint for the mistakes students make."""
    m = _TOML_POSITION.match(error)
    if not m and error.startswith("Unterminated string"):
        return "", "unterminated string: a quote is not closed before the end of the file"
    if not m:
        return "", f"TOML syntax error: {error}"
    where = f"line {m['line']}, column {m['col']}"
    msg = f"TOML syntax error: {m['msg'][:1].lower()}{m['msg'][1:]}"
    line_no = int(m["line"])
    if text.startswith("\ufeff") and line_no == 1:
        return where, (
            "the file starts with a byte-order mark (BOM), which TOML does not allow; "
            "save it as plain 'UTF-8', not 'UTF-8 with BOM'"
        )
    lines = text.splitlines()
    line = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
    unterminated = m["msg"].lower().startswith("unterminated string") or (
        m["msg"] == "Illegal character '\\n'" and line.count('"') % 2 == 1
    )
    if unterminated:
        return where, "unterminated string: a quote opened on this line is not closed on it"
    return where, _hint(m["msg"], line) or msg


def _hint(error: str, line: str) -> str | None:
    """A message for the syntax errors students make, where tomllib's names neither key nor fix."""
    if any(q in line for q in "\u201c\u201d\u2018\u2019"):
        return (
            'curly quotes (\u201c \u201d \u2018 \u2019) are not TOML quotes: type straight quotes " '
            "(a phone or word processor may have replaced them)"
        )
    if error.startswith("Expected") and re.search(r"\d,\d", line):
        return "a decimal comma: TOML numbers use a point (0.5, not 0,5)"
    if error.startswith("Cannot overwrite a value"):
        key = line.partition("=")[0].strip()
        return f"'{key}' is given twice in this table: keep one of them" if key else None
    declared = re.match(r"Cannot declare \((.*)\) twice", error)
    if declared:
        name = ".".join(part.strip(" '\"") for part in declared[1].split(",") if part.strip())
        return f"the table [{name}] appears twice: merge the two into one"
    return None


def _control_characters(path: str, data: Any, key: str = "") -> list[Problem]:
    """Every key and text value holding a control character (tab and newline are allowed in text).

    Text from a file reaches terminals, file names and figures; escape
    sequences in it could retitle a terminal, clear it or hide a hyperlink.
    """
    out: list[Problem] = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for k, value in items:
        sub = f"{key}.{k}" if key else str(k)
        if isinstance(k, str) and ANY_CONTROL.search(k):
            out.append(Problem(path, printable(sub), f"the key contains a control character ({_first(k)})"))
        elif isinstance(value, str) and CONTROL.search(value):
            out.append(
                Problem(
                    path,
                    sub,
                    f"the text contains a control character ({_first(value)}); escape sequences are not allowed",
                )
            )
        else:
            out.extend(_control_characters(path, value, sub))
    return out


def _first(text: str) -> str:
    m = ANY_CONTROL.search(text)
    if not m:
        return ""
    code = ord(m.group())
    return f"U+{code:04X}, a bidirectional override" if code > 0x9F else f"U+{code:04X}"


def parse_assignment(text: str) -> tuple[str, float]:
    """Parse a ``name=value`` command-line override into its two parts."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ValueError(f"expected name=value, got {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name}: expected a number after '=', got {value.strip()!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name}: the value must be a finite number")
    return name, number


def _parameter_comments(text: str) -> dict[str, str]:
    """Comments written just above (or after) each key of ``[parameters]``.

    Keys of a ``[parameters.<group>]`` table are returned as ``group.key``; a
    comment just above such a table's header is returned under the group's id.
    """
    out: dict[str, str] = {}
    section: str | None = None  # None outside [parameters]; "" in it; "<group>." in a sub-table
    pending: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            header = stripped.split("#")[0].strip()
            sub = re.fullmatch(r"\[\s*parameters\s*\.\s*([a-z][a-z0-9_]*)\s*\]", header)
            if sub and pending:
                out[sub.group(1)] = " ".join(pending)
            section = "" if header == "[parameters]" else f"{sub.group(1)}." if sub else None
            pending = []
            continue
        if section is None:
            continue
        if stripped.startswith("#"):
            pending.append(stripped.lstrip("#").strip())
            continue
        m = re.match(r"([a-z][a-z0-9_]*)\s*=", stripped)
        if m:
            parts = [p for p in (" ".join(pending), _trailing_comment(stripped)) if p]
            if parts:
                out[section + m.group(1)] = " ".join(parts)
        pending = []
    return out


def _trailing_comment(line: str) -> str:
    """The text of a ``# comment`` at the end of a TOML line (ignoring ``#`` inside strings)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[i + 1 :].strip()
    return ""
