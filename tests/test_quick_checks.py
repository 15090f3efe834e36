"""A chunk's quick checks never pass what the full checks refuse, nor refuse what they pass (issue 16)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trapsim.runner import CompiledScenario
from trapsim.runner.checks import plainly_probabilities
from trapsim.scenario import loads
from trapsim.scenario.evaluation import probability_problem

SIMPLE = Path(__file__).resolve().parent / "data" / "simple.toml"


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
        assert plainly_probabilities(p) == full


def test_finite_payoffs_whose_sum_overflows_are_accepted() -> None:
    """The values' running sum overflows (payoffs of 1.35e308 and 1.22e308): each is then checked on its own."""
    huge = '{ ent = "exp(709.5)", inc = "exp(709.4)" }'  # finite, but their sum is not
    text = SIMPLE.read_text().replace("out = { ent = 0, inc = 2 }", f"out = {huge}")
    model = CompiledScenario(loads(text, path="huge.toml"))
    env = model.sample(1, 0, 100)
    payoffs, _ = model.evaluate(env, 100, 0)
    assert payoffs[model.tree.outcomes.index("out")].tolist() == [[np.exp(709.5)] * 100, [np.exp(709.4)] * 100]
