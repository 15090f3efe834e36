"""Quick whole-array checks of a chunk's values, before the exact per-draw ones (which run only if these fail)."""

from __future__ import annotations

import numpy as np

from trapsim.scenario.evaluation import SUM_TOLERANCE

__all__ = ["finite_sum", "plainly_probabilities"]


def finite_sum(total: np.ndarray) -> bool:
    """Whether a sum of values is finite in every draw: then every value was (an inf or NaN stays in a sum).

    A sum of finite values near 1e308 may overflow: the caller then checks
    each value on its own, as it does when one is not finite.
    """
    return bool(np.isfinite(total).all())


def plainly_probabilities(p: np.ndarray) -> bool:
    """True when every entry lies in [0, 1] and every draw's sum within ``SUM_TOLERANCE`` of 1.

    Then :func:`~trapsim.scenario.evaluation.probability_problem` finds nothing (its sum is this sum); a few
    whole-array reductions instead of its per-draw masks. NaN fails the first test.
    """
    if p.size == 0 or not (p.min() >= 0 and p.max() <= 1):
        return False
    return bool(np.abs(p.sum(axis=0) - 1).max() <= SUM_TOLERANCE)
