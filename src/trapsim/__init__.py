"""trapsim: scenario game-theory simulator for international-relations seminars.

The public API is exactly what is listed in ``__all__``. Its names are
imported on first use (PEP 562), so ``import trapsim`` and the command line
start without loading numpy's heavier friends (scipy, matplotlib, SALib,
networkx, dask) that a command may never need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trapsim._lazy import lazy_exports

if TYPE_CHECKING:
    from trapsim.analysis import Discovery, SensitivityResult
    from trapsim.api import (
        compare,
        discover,
        load,
        sensitivity,
        simulate,
        solve,
        sweep,
        trap_probability,
    )
    from trapsim.equilibrium import Equilibrium
    from trapsim.errors import ArgumentError, RunError, ScenarioError, TrapsimError
    from trapsim.model import Scenario
    from trapsim.runner import Result
    from trapsim.sweeps import SweepResult

from trapsim._version import __version__  # written once, there

#: Public name -> the module that defines it.
_WHERE = {
    "Discovery": "trapsim.analysis",
    "SensitivityResult": "trapsim.analysis",
    "compare": "trapsim.api",
    "discover": "trapsim.api",
    "load": "trapsim.api",
    "sensitivity": "trapsim.api",
    "simulate": "trapsim.api",
    "solve": "trapsim.api",
    "sweep": "trapsim.api",
    "trap_probability": "trapsim.api",
    "Equilibrium": "trapsim.equilibrium",
    "ArgumentError": "trapsim.errors",
    "RunError": "trapsim.errors",
    "ScenarioError": "trapsim.errors",
    "TrapsimError": "trapsim.errors",
    "Scenario": "trapsim.model",
    "Result": "trapsim.runner",
    "SweepResult": "trapsim.sweeps",
}

__all__ = [
    "ArgumentError",
    "Discovery",
    "Equilibrium",
    "Result",
    "RunError",
    "Scenario",
    "ScenarioError",
    "SensitivityResult",
    "SweepResult",
    "TrapsimError",
    "__version__",
    "compare",
    "discover",
    "load",
    "sensitivity",
    "simulate",
    "solve",
    "sweep",
    "trap_probability",
]


#: the public API only in ``dir()`` (tab completion in notebooks), not this module's own imports
__getattr__, __dir__ = lazy_exports(__name__, globals(), _WHERE, __all__)
