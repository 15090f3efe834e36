"""The quick test of a chunk's chance probabilities never passes what the full check refuses (issue 16)."""

from __future__ import annotations

import numpy as np
import pytest

from trapsim.runner.compiling import _plainly_probabilities
from trapsim.scenario.evaluation import probability_problem


def _valid(rng: np.random.Generator, k: int, n: int) -> np.ndarray:
    p = rng.random((k, n))
    return p / p.sum(axis=0)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda p: None,
        lambda p: p.__setitem__((0, 7), np.nan),
        lambda p: p.__setitem__((1, 3), np.inf),
        lambda p: p.__setitem__((0, 0), -1e-300),
        lambda p: p.__setitem__((1, 5), 1.0 + 2e-16),
        lambda p: p.__setitem__((0, 9), p[0, 9] + 2e-9),  # the sum is off by more than the tolerance
        lambda p: p.__setitem__((0, 9), p[0, 9] + 5e-10),  # within it
    ],
)
def test_the_quick_test_agrees_with_the_full_check(spoil) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(2)
    for k in (2, 3):
        p = _valid(rng, k, 64)
        spoil(p)
        with np.errstate(all="ignore"):
            full = not probability_problem(p).any()
        assert _plainly_probabilities(p) == full
