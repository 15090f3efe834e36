"""Scenarios in and out: files, the bundled library, a starter scenario, Gambit ``.efg``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from trapsim.api._checks import check_values
from trapsim.errors import ScenarioError
from trapsim.model import Scenario
from trapsim.scenario import library as _library
from trapsim.scenario import load as _load
from trapsim.scenario.library import LibraryEntry


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file (TOML, or Gambit ``.efg``), or a bundled scenario by name.

    ``load("defense_clause")`` reads the bundled scenario of that name (see
    :func:`library`) when no file of that name exists here.
    """
    if not Path(path).exists() and _library.is_bare_name(path):
        bundled = _library.find(path)
        if bundled is None:
            raise ScenarioError.single(
                str(path),
                "",
                "cannot read file: no such file here, and no bundled scenario of that name (trapsim list)",
                _library.did_you_mean(path),
            )
        path = bundled
    if str(path).lower().endswith(".efg"):
        from trapsim import efg  # Gambit files only: a TOML scenario does not pay for the reader

        return efg.load_efg(path)
    return _load(path)


def library() -> list[LibraryEntry]:
    """The bundled scenarios: ``name``, ``path`` and ``title`` of each (``trapsim list``)."""
    return _library.library()


def starter_scenario(name: str) -> str:
    """A commented starting scenario called ``name`` that validates, as TOML text (``trapsim init``)."""
    try:
        return _library.starter_scenario(name)
    except ValueError as exc:
        raise ScenarioError.single("", "name", str(exc), _library.as_name(name)) from None


def to_efg(scenario: Scenario, *, values: Mapping[str, float] | None = None) -> str:
    """The scenario's game at central values (or ``values``) as Gambit ``.efg`` text."""
    from trapsim import efg

    return efg.write_efg(scenario, values=check_values(scenario, values))


def efg_to_toml(path: str) -> str:
    """A starting scenario TOML for a Gambit ``.efg`` file."""
    from trapsim import efg

    return efg.efg_to_toml(path)
