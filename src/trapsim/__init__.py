"""trapsim: scenario game-theory simulator for international-relations seminars.

The public API is exactly what is listed in ``__all__``.
"""

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
from trapsim.errors import RunError, ScenarioError, TrapsimError
from trapsim.model import Scenario
from trapsim.runner import Result
from trapsim.sweeps import SweepResult

__version__ = "0.1.0"

__all__ = [
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
