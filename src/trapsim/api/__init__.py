"""The Python API: what notebooks, the command line and the web explorer call.

>>> import trapsim
>>> sc = trapsim.load("scenarios/defense_clause.toml")
>>> res = trapsim.simulate(sc, draws=20_000, seed=1)
>>> res.rate("putin_trap")                               # doctest: +SKIP

Every public name is importable from here (``trapsim.api.simulate``); the
modules group them:

- :mod:`~trapsim.api.files`: ``load``, ``library``, ``starter_scenario``, ``to_efg``, ``efg_to_toml``
- :mod:`~trapsim.api.running`: ``simulate``, ``per_draw``, ``per_draw_frame``, ``solve``, ``all_spe``
- :mod:`~trapsim.api.explaining`: ``explain``, ``attribute``
- :mod:`~trapsim.api.sweeping`: ``sweep``, ``compare``
- :mod:`~trapsim.api.analyses`: ``trap_probability``, ``sensitivity``, ``discover``, ``drivers``
  and the thin helpers the command line uses to describe them
- :mod:`~trapsim.api.reports`: ``report``, ``handout``, ``drivers_section``, ``attribution_section``
- :mod:`~trapsim.api.classroom`: what the explorer and the classroom poll need
- :mod:`~trapsim.api._checks`: the argument checks they share (``check_values``, ``default_workers``, ...)

No module here is named after a function it exports, so ``trapsim.api.sweep``
is always the function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trapsim._lazy import lazy_exports

if TYPE_CHECKING:
    from trapsim.api._checks import check_values, check_world, default_workers
    from trapsim.api.analyses import (
        analysis_cost,
        check_supported,
        describe_sensitivity,
        discover,
        discovery_draws,
        drivers,
        format_limit,
        sensitivity,
        trap_probability,
    )
    from trapsim.api.classroom import (
        fit_judgement,
        game_tree,
        judgement_support,
        parameter_ranges,
        prior_density,
        with_pooled_priors,
    )
    from trapsim.api.explaining import attribute, explain
    from trapsim.api.files import efg_to_toml, library, load, starter_scenario, to_efg
    from trapsim.api.reports import (
        attribution_section,
        drivers_section,
        handout,
        report,
        reproduce_command,
        write_report,
    )
    from trapsim.api.running import MAX_FRAME_DRAWS, all_spe, per_draw, per_draw_frame, simulate, solve
    from trapsim.api.sweeping import compare, sweep
    from trapsim.elicitation import KINDS, Judgement, judgements_csv
    from trapsim.equilibrium import AllSPE, Equilibrium, central_values
    from trapsim.errors import ArgumentError, ScenarioError, TrapsimError
    from trapsim.model import Scenario
    from trapsim.output import write_text_atomic
    from trapsim.runner import Result
    from trapsim.scenario import parse_assignment
    from trapsim.scenario.library import LibraryEntry
    from trapsim.sweeps import SweepResult, grid_values

#: Public name -> the module that defines it (imported on first use, PEP 562: `trapsim validate`
#: does not pay for the analyses, reports or the classroom).
_WHERE = {
    "check_values": "trapsim.api._checks",
    "check_world": "trapsim.api._checks",
    "default_workers": "trapsim.api._checks",
    "analysis_cost": "trapsim.api.analyses",
    "check_supported": "trapsim.api.analyses",
    "describe_sensitivity": "trapsim.api.analyses",
    "discover": "trapsim.api.analyses",
    "discovery_draws": "trapsim.api.analyses",
    "drivers": "trapsim.api.analyses",
    "format_limit": "trapsim.api.analyses",
    "sensitivity": "trapsim.api.analyses",
    "trap_probability": "trapsim.api.analyses",
    "fit_judgement": "trapsim.api.classroom",
    "game_tree": "trapsim.api.classroom",
    "judgement_support": "trapsim.api.classroom",
    "parameter_ranges": "trapsim.api.classroom",
    "prior_density": "trapsim.api.classroom",
    "with_pooled_priors": "trapsim.api.classroom",
    "attribute": "trapsim.api.explaining",
    "explain": "trapsim.api.explaining",
    "efg_to_toml": "trapsim.api.files",
    "library": "trapsim.api.files",
    "load": "trapsim.api.files",
    "starter_scenario": "trapsim.api.files",
    "to_efg": "trapsim.api.files",
    "attribution_section": "trapsim.api.reports",
    "drivers_section": "trapsim.api.reports",
    "handout": "trapsim.api.reports",
    "report": "trapsim.api.reports",
    "reproduce_command": "trapsim.api.reports",
    "write_report": "trapsim.api.reports",
    "MAX_FRAME_DRAWS": "trapsim.api.running",
    "all_spe": "trapsim.api.running",
    "per_draw": "trapsim.api.running",
    "per_draw_frame": "trapsim.api.running",
    "simulate": "trapsim.api.running",
    "solve": "trapsim.api.running",
    "compare": "trapsim.api.sweeping",
    "sweep": "trapsim.api.sweeping",
    "Judgement": "trapsim.elicitation",
    "KINDS": "trapsim.elicitation",
    "judgements_csv": "trapsim.elicitation",
    "AllSPE": "trapsim.equilibrium",
    "Equilibrium": "trapsim.equilibrium",
    "central_values": "trapsim.equilibrium",
    "ArgumentError": "trapsim.errors",
    "ScenarioError": "trapsim.errors",
    "TrapsimError": "trapsim.errors",
    "Scenario": "trapsim.model",
    "write_text_atomic": "trapsim.output",
    "Result": "trapsim.runner",
    "parse_assignment": "trapsim.scenario",
    "LibraryEntry": "trapsim.scenario.library",
    "SweepResult": "trapsim.sweeps",
    "grid_values": "trapsim.sweeps",
}

__all__ = [
    "KINDS",
    "MAX_FRAME_DRAWS",
    "AllSPE",
    "ArgumentError",
    "Equilibrium",
    "Judgement",
    "LibraryEntry",
    "Result",
    "Scenario",
    "ScenarioError",
    "SweepResult",
    "TrapsimError",
    "all_spe",
    "analysis_cost",
    "attribute",
    "attribution_section",
    "central_values",
    "check_supported",
    "check_values",
    "check_world",
    "compare",
    "default_workers",
    "describe_sensitivity",
    "discover",
    "discovery_draws",
    "drivers",
    "drivers_section",
    "efg_to_toml",
    "explain",
    "fit_judgement",
    "format_limit",
    "game_tree",
    "grid_values",
    "handout",
    "judgement_support",
    "judgements_csv",
    "library",
    "load",
    "parameter_ranges",
    "parse_assignment",
    "per_draw",
    "per_draw_frame",
    "prior_density",
    "report",
    "reproduce_command",
    "sensitivity",
    "simulate",
    "solve",
    "starter_scenario",
    "sweep",
    "to_efg",
    "trap_probability",
    "with_pooled_priors",
    "write_report",
    "write_text_atomic",
]


#: the public API only in ``dir()`` (tab completion in notebooks), not this module's own imports
__getattr__, __dir__ = lazy_exports(__name__, globals(), _WHERE, __all__)
