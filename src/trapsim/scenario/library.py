"""The bundled scenario library, and the starting scenario of ``trapsim init``.

The repository's ``scenarios/`` directory is installed with the package as
``trapsim/library`` (see ``pyproject.toml``), so ``trapsim run defense_clause``
works from any directory. In an editable install or a source checkout the
files are read from ``scenarios/`` itself.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from trapsim.errors import suggest
from trapsim.scenario.rules import IDENT

__all__ = [
    "LibraryEntry",
    "as_name",
    "did_you_mean",
    "find",
    "is_bare_name",
    "library",
    "library_dir",
    "starter_scenario",
]

_PACKAGE = Path(__file__).resolve().parent.parent  # .../trapsim


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """One bundled scenario: its name (the file stem), path and title."""

    name: str
    path: Path
    title: str


def library_dir() -> Path:
    """The directory holding the bundled ``*.toml`` scenarios."""
    installed = _PACKAGE / "library"
    if any(installed.glob("*.toml")):
        return installed
    return _PACKAGE.parents[1] / "scenarios"  # src/trapsim -> the repository root


def library() -> list[LibraryEntry]:
    """Every bundled scenario, by name; the title is read without validating the file."""
    entries = []
    for path in sorted(library_dir().glob("*.toml")):
        try:
            title = str(tomllib.loads(path.read_text(encoding="utf-8"))["scenario"]["title"])
        except (OSError, ValueError, KeyError, TypeError):
            title = "(unreadable: run trapsim validate on it)"
        entries.append(LibraryEntry(path.stem, path, " ".join(title.split())))
    return entries


def find(name: str | Path) -> Path | None:
    """The bundled scenario called ``name`` (``defense_clause`` or ``defense_clause.toml``), or ``None``.

    Only a bare name is looked up: anything with a directory part is a path.
    """
    if not is_bare_name(name):
        return None
    text = str(name)
    stem = text[: -len(".toml")] if text.endswith(".toml") else text
    path = library_dir() / f"{stem}.toml"
    return path if IDENT.fullmatch(stem) and path.is_file() else None


def is_bare_name(name: str | Path) -> bool:
    """Whether ``name`` has no directory part, so that it may name a bundled scenario."""
    text = str(name)
    return "/" not in text and "\\" not in text


def did_you_mean(name: str | Path) -> str | None:
    """A close library name for a file that was not found, for the error message."""
    stem = Path(str(name)).stem
    return suggest(stem, [e.name for e in library()])


def as_name(text: str) -> str | None:
    """``text`` made into a valid scenario name (``My Crisis`` -> ``my_crisis``), or ``None``."""
    name = re.sub(r"[^a-z0-9_]+", "_", text.strip().lower()).strip("_")
    return name if IDENT.fullmatch(name) else None


def starter_scenario(name: str) -> str:
    """The commented starting scenario of ``trapsim init NAME``, as TOML text (it validates)."""
    if not IDENT.fullmatch(name):
        raise ValueError(
            f"invalid scenario name '{name}' (use lower-case letters, digits and _, starting with a letter)"
        )
    text = resources.files("trapsim.scenario").joinpath("starter.toml").read_text(encoding="utf-8")
    return text.replace("__NAME__", name)
