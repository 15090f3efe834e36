"""trapsim: scenario game-theory simulator for international-relations seminars.

The public API is exactly what is listed in ``__all__``.
"""

from trapsim.api import load, simulate, solve
from trapsim.equilibrium import Equilibrium
from trapsim.errors import RunError, ScenarioError, TrapsimError
from trapsim.model import Scenario
from trapsim.runner import Result

__version__ = "0.1.0"

__all__ = [
    "Equilibrium",
    "Result",
    "RunError",
    "Scenario",
    "ScenarioError",
    "TrapsimError",
    "__version__",
    "load",
    "simulate",
    "solve",
]
