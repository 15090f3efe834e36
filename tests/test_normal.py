"""trapsim's own ndtr and ndtri (trapsim._normal) give the very doubles scipy.special gives.

scipy stays installed (sensitivity analysis and elicitation use it), so it is the oracle here:
every result must have the same bits, not merely be close (a run's draws, and so the kernel's
recorded references, depend on them). The note of session 4 (issue 16) records the same check on
10 million inputs; this one is a smaller, fast version of it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special

from trapsim._normal import ndtr, ndtri
from trapsim.model import Distribution
from trapsim.sampling import ppf, truncation_mass

EXP_M2 = math.exp(-2.0)  # where ndtri switches from its central approximation to the tails
TINY = np.nextafter(0.0, 1.0)  # the smallest subnormal
EDGE_P = [
    0.0, -0.0, 1.0, 0.5, np.nextafter(0.5, 0), np.nextafter(0.5, 1), TINY, 1e-320, 2.2250738585072014e-308,
    1e-300, 1e-100, math.exp(-32), np.nextafter(math.exp(-32), 1), 1e-14, 0.13533528323661269189, EXP_M2,
    np.nextafter(EXP_M2, 0), np.nextafter(EXP_M2, 1), 1 - 0.13533528323661269189, 1 - EXP_M2,
    np.nextafter(1 - EXP_M2, 0), np.nextafter(1 - EXP_M2, 1), np.nextafter(1.0, 0), 1 - 1e-15, 0.975, 0.025,
    -1e-300, -0.5, 1 + 1e-16 * 3, 2.0, math.inf, -math.inf, math.nan,
]  # fmt: skip
EDGE_X = [
    0.0, -0.0, 1e-300, -TINY, 0.5, -0.5, math.sqrt(2), -math.sqrt(2), np.nextafter(math.sqrt(2), 0),
    np.nextafter(-math.sqrt(2), 0), 8 * math.sqrt(2), -8 * math.sqrt(2), np.nextafter(-8 * math.sqrt(2), 0),
    37.5, -37.5, 37.7, -37.7, 38.5, -38.5, 40.0, -40.0, 1e10, -1e10, math.inf, -math.inf, math.nan,
]  # fmt: skip


def assert_same_doubles(mine: np.ndarray, ref: np.ndarray) -> None:
    """The same bits (so the same sign of zero), or NaN in both."""
    mine, ref = np.asarray(mine, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    assert mine.shape == ref.shape
    both_nan = np.isnan(mine) & np.isnan(ref)
    differ = (mine.view(np.int64) != ref.view(np.int64)) & ~both_nan
    if differ.any():
        i = np.flatnonzero(differ)[:5]
        raise AssertionError(f"{differ.sum()} of {mine.size} differ, e.g. at {i}: {mine.flat[i]} vs {ref.flat[i]}")


def _inputs(n: int, seed: int) -> np.ndarray:
    """Probabilities over the central region and both tails: uniform, log-uniform down to 1e-300, and
    1 - log-uniform down to 1e-16 (the upper tail's closest approach to 1), plus subnormals."""
    rng = np.random.default_rng(seed)
    k = n // 4
    return np.concatenate(
        [
            rng.random(k),
            EXP_M2 * rng.random(k),
            np.exp(-rng.uniform(0, math.log(1e300), k)),
            1.0 - np.exp(-rng.uniform(0, math.log(1e16), k)),
            rng.random(100) * 2.2250738585072014e-308,
        ]
    )


def test_ndtri_gives_scipys_doubles() -> None:
    p = _inputs(200_000, seed=16)
    assert_same_doubles(ndtri(p), special.ndtri(p))


def test_ndtri_edge_cases_give_scipys_doubles() -> None:
    p = np.array(EDGE_P)
    assert_same_doubles(ndtri(p), special.ndtri(p))
    mine = ndtri(p)
    assert mine[0] == -math.inf and mine[2] == math.inf and mine[3] == 0.0  # 0, 1 and 1/2
    assert np.isnan(mine[[i for i, v in enumerate(EDGE_P) if not 0 <= v <= 1]]).all()  # outside [0, 1], NaN


def test_ndtri_keeps_the_shape_of_its_input() -> None:
    p = _inputs(1200, seed=3)[:1200].reshape(2, -1, 3)[:, :100]  # not contiguous
    assert_same_doubles(ndtri(p), special.ndtri(p))
    assert ndtri(0.975).shape == () and float(ndtri(0.975)) == pytest.approx(1.959963984540054, rel=1e-15)
    assert ndtri(np.empty(0)).shape == (0,)


def test_ndtr_gives_scipys_doubles() -> None:
    rng = np.random.default_rng(17)
    xs = np.concatenate([rng.normal(0, 3, 20_000), rng.uniform(-40, 40, 10_000), rng.uniform(-1.5, 1.5, 9_000)])
    xs = np.concatenate([xs, EDGE_X])
    assert_same_doubles(np.array([ndtr(x) for x in xs.tolist()]), special.ndtr(xs))
    assert ndtr(1.959963984540054) == pytest.approx(0.975, rel=1e-15)
    assert ndtr(np.float64(-1.0)) == special.ndtr(-1.0)  # numpy scalars too (the truncation bounds)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_ndtr_gives_scipys_double_for_any_float(x: float) -> None:
    assert_same_doubles(np.array(ndtr(x)), special.ndtr(x))


@given(st.floats(min_value=0.0, max_value=1.0))
def test_ndtri_gives_scipys_double_for_any_probability(p: float) -> None:
    assert_same_doubles(ndtri(p), special.ndtri(p))


@pytest.mark.parametrize(
    "args",
    [
        {"mean": 0.5, "sd": 0.12, "low": 0.2, "high": 0.8},
        {"mean": 0.15, "sd": 0.08, "low": 0.0, "high": 0.35},
        {"mean": 0, "sd": 1, "low": 3},  # upper tail: inverted in the mirrored lower tail
        {"mean": 0, "sd": 1, "high": -6},
        {"mean": 0, "sd": 1, "low": 7},
    ],
)
def test_truncated_normal_draws_are_scipys(args: dict) -> None:
    """The truncated normal's inverse CDF, written out with scipy's functions, gives the same draws."""
    u = np.random.default_rng(5).random(20_000)
    lo = (args["low"] - args["mean"]) / args["sd"] if "low" in args else -math.inf
    hi = (args["high"] - args["mean"]) / args["sd"] if "high" in args else math.inf
    if lo > 0:
        p_lo, p_hi = special.ndtr(-hi), special.ndtr(-lo)
        z = -special.ndtri(p_hi - u * (p_hi - p_lo))
    else:
        p_lo, p_hi = special.ndtr(lo), special.ndtr(hi)
        z = special.ndtri(p_lo + u * (p_hi - p_lo))
    want = np.clip(args["mean"] + args["sd"] * z, args.get("low", -math.inf), args.get("high", math.inf))
    assert_same_doubles(ppf(Distribution("normal", args), u), want)
    assert truncation_mass(args) == float(p_hi - p_lo)
