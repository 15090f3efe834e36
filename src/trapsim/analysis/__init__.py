"""Why does a trap trigger? Exact trap probabilities, sensitivity analysis, scenario discovery.

* :mod:`~trapsim.analysis.probability`: ``P(trap | parameters)`` for every draw,
  exactly (chance nodes and ``qre`` choices summed over, not sampled), over the
  coupled paths of the real game and its worlds (:mod:`~trapsim.analysis.paths`).
* :mod:`~trapsim.analysis.sensitivity`: Sobol' and Morris indices (SALib).
* :mod:`~trapsim.analysis.prim`, :mod:`~trapsim.analysis.cart` and
  :mod:`~trapsim.analysis.discovery`: PRIM boxes (or CART rules) where a trap
  is likely, said in words.
* :mod:`~trapsim.analysis.drivers`: the text of a report section (its figures:
  :func:`trapsim.figures.analysis.drivers_figures`).

This package computes only; :mod:`trapsim.figures.analysis` draws the results.

Functions named like their module (``sensitivity``, ``prim``, ``cart``) are
not re-exported here, so ``trapsim.analysis.prim`` stays the module; use
``trapsim.sensitivity`` or ``trapsim.analysis.prim.prim``.
"""

from trapsim.analysis.cart import Leaf
from trapsim.analysis.discovery import Discovery, FoundBox, discover
from trapsim.analysis.prim import PrimBox
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
    "Leaf",
    "PrimBox",
    "SensitivityResult",
    "discover",
    "probabilities_at",
    "sample_probabilities",
    "uncertain_parameters",
]
