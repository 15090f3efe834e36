"""Vectorised backward induction over many draws at once.

The solver works on arrays only: it never evaluates expressions, reads files
or makes random numbers. Draws run along the last axis everywhere. Its modules:
:mod:`~trapsim.solver.tree`, :mod:`~trapsim.solver.backward` and :mod:`~trapsim.solver.play`.

* :func:`build_tree` turns a scenario's nodes into a :class:`Tree` of
  positions in pre-order (a shared outcome row appears once per position).
* :func:`backward` solves all draws: ``spe`` (first listed action wins ties)
  or ``qre`` (agent logit quantal response).
* :func:`play` plays the realised path from uniforms supplied by the caller.
* :func:`reach_probabilities` pushes path probabilities down the solved tree.
"""

from __future__ import annotations

from trapsim.solver.backward import TIE_TOLERANCE, PayoffTable, Solution, backward, realised_payoffs
from trapsim.solver.play import play, reach_probabilities
from trapsim.solver.tree import Position, Tree, build_tree

__all__ = [
    "TIE_TOLERANCE",
    "PayoffTable",
    "Position",
    "Solution",
    "Tree",
    "backward",
    "build_tree",
    "play",
    "reach_probabilities",
    "realised_payoffs",
]
