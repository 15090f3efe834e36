"""Tell a solved game as a story that teaches (``trapsim explain``).

* :mod:`~trapsim.explain.story`: the story, node by node (:func:`explain`);
* :mod:`~trapsim.explain.facts`: what it finds as data, and its text and JSON forms;
* :mod:`~trapsim.explain.traps`: where each trap fires (paths, deviations, worlds);
* :mod:`~trapsim.explain.words`: numbers and lists in prose;
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
