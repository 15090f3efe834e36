"""Why does a trap trigger? Exact trap probabilities, sensitivity analysis, scenario discovery.

* :mod:`~trapsim.analysis.probability`: ``P(trap | parameters)`` for every draw,
  exactly (chance nodes and ``qre`` choices summed over, not sampled).
* :mod:`~trapsim.analysis.sensitivity`: Sobol' and Morris indices (SALib);
  the module keeps its name, so its function is ``sensitivity.sensitivity``.
* :mod:`~trapsim.analysis.prim` and :mod:`~trapsim.analysis.discovery`: PRIM
  boxes where a trap is likely, said in words.
* :mod:`~trapsim.analysis.plots`: their figures (imported on demand: matplotlib).
* :mod:`~trapsim.analysis.drivers`: figures and text for a report section.
"""

from trapsim.analysis.discovery import Discovery, FoundBox, discover
from trapsim.analysis.prim import PrimBox, prim
from trapsim.analysis.probability import (
    probabilities_at,
    sample_probabilities,
    uncertain_parameters,
)
from trapsim.analysis.sensitivity import METHODS, SensitivityResult

__all__ = [
    "METHODS",
    "Discovery",
    "FoundBox",
    "PrimBox",
    "SensitivityResult",
    "discover",
    "prim",
    "probabilities_at",
    "sample_probabilities",
    "uncertain_parameters",
]
