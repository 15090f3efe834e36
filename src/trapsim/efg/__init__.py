"""Gambit ``.efg`` files: read them as scenarios, write scenarios as them.

* :func:`load_efg` reads an ``EFG 2 R``/``EFG 2 D`` file (own reader, exact
  numbers) as a :class:`~trapsim.model.Scenario`;
* :func:`efg_to_toml` turns one into a starting scenario TOML;
* :func:`write_efg` writes a scenario's game at one parameter vector as
  ``.efg`` text that Gambit (and pygambit 16.7) reads.
"""

from trapsim.efg.build import (
    efg_text_to_toml,
    efg_to_toml,
    load_efg,
    loads_efg,
    make_ident,
    scenario_data,
    to_toml,
)
from trapsim.efg.reader import EfgGame, EfgNode, EfgOutcome, parse_efg
from trapsim.efg.writer import chance_fractions, write_efg

__all__ = [
    "EfgGame",
    "EfgNode",
    "EfgOutcome",
    "chance_fractions",
    "efg_text_to_toml",
    "efg_to_toml",
    "load_efg",
    "loads_efg",
    "make_ident",
    "parse_efg",
    "scenario_data",
    "to_toml",
    "write_efg",
]
