"""Tell a solved game as a story that teaches (``trapsim explain``).

* :mod:`~trapsim.explain.story`: the story, node by node, and its JSON form;
* :mod:`~trapsim.explain.terms`: each alternative's value split into terms
  that add up to it, and how narrow each choice is.
"""

from trapsim.explain.story import (
    Choice,
    Explanation,
    Line,
    PathTraps,
    TrapReport,
    explain,
    traps_at_leaves,
)
from trapsim.explain.terms import Alternative, Margin, Term

__all__ = [
    "Alternative",
    "Choice",
    "Explanation",
    "Line",
    "Margin",
    "PathTraps",
    "Term",
    "TrapReport",
    "explain",
    "traps_at_leaves",
]
