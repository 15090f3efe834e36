"""Load a scenario file and check every rule of the format.

:func:`load` reads a TOML scenario (or, through :mod:`trapsim.efg`, a Gambit
``.efg`` file), collects *every* problem it finds, and raises one
:class:`~trapsim.errors.ScenarioError` listing them all, or returns a frozen
:class:`~trapsim.model.Scenario` that the rest of trapsim trusts.
"""

from trapsim.scenario.loading import load, loads, parse_assignment
from trapsim.scenario.rules import IDENT, SOLVERS
from trapsim.scenario.validator import validate

__all__ = ["IDENT", "SOLVERS", "load", "loads", "parse_assignment", "validate"]
