"""trapsim: scenario game-theory simulator for international-relations seminars.

The public API is exactly what is listed in ``__all__``.
"""

from trapsim.analysis import Discovery, SensitivityResult
from trapsim.api import discover, load, sensitivity, simulate, solve, trap_probability
from trapsim.equilibrium import Equilibrium
from trapsim.errors import RunError, ScenarioError, TrapsimError
from trapsim.model import Scenario
from trapsim.runner import Result

__version__ = "0.1.0"

__all__ = [
    "Discovery",
    "Equilibrium",
    "Result",
    "RunError",
    "Scenario",
    "ScenarioError",
    "SensitivityResult",
    "TrapsimError",
    "__version__",
    "discover",
    "load",
    "sensitivity",
    "simulate",
    "solve",
    "trap_probability",
]
