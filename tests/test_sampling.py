"""Distributions: moments of many draws, central values and inverse CDFs against scipy.stats,
and the reproducibility of the random streams."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from trapsim.model import Distribution
from trapsim.runner import CompiledScenario
from trapsim.sampling import central_value, draw, ppf, stream, stream_key
from trapsim.scenario import loads

N = 200_000
INF = math.inf

# (id, distribution, the same distribution in scipy.stats)
CASES = [
    ("uniform", Distribution("uniform", {"low": -1.0, "high": 3.0}), stats.uniform(-1.0, 4.0)),
    ("normal", Distribution("normal", {"mean": 0.3, "sd": 0.2}), stats.norm(0.3, 0.2)),
    (
        "normal_truncated",
        Distribution("normal", {"mean": 0.3, "sd": 0.2, "low": 0.0, "high": 0.5}),
        stats.truncnorm(-1.5, 1.0, loc=0.3, scale=0.2),
    ),
    (
        "normal_low_only",
        Distribution("normal", {"mean": 0.1, "sd": 0.3, "low": 0.0}),
        stats.truncnorm(-1 / 3, INF, loc=0.1, scale=0.3),
    ),
    (
        "normal_high_only",
        Distribution("normal", {"mean": 0.1, "sd": 0.3, "high": 0.4}),
        stats.truncnorm(-INF, 1.0, loc=0.1, scale=0.3),
    ),
    ("normal_far_tail", Distribution("normal", {"mean": 0.0, "sd": 1.0, "low": 3.0}), stats.truncnorm(3.0, INF)),
    # 7 sd out: naive inversion via 1 - ndtr(7) loses every digit (it drew inf before a fix)
    (
        "normal_upper_tail_7sd",
        Distribution("normal", {"mean": 1.0, "sd": 2.0, "low": 15.0}),
        stats.truncnorm(7.0, INF, loc=1.0, scale=2.0),
    ),
    (
        "normal_lower_tail_7sd",
        Distribution("normal", {"mean": 1.0, "sd": 2.0, "high": -13.0}),
        stats.truncnorm(-INF, -7.0, loc=1.0, scale=2.0),
    ),
    (
        "normal_upper_band",
        Distribution("normal", {"mean": 0.0, "sd": 1.0, "low": 5.0, "high": 5.5}),
        stats.truncnorm(5.0, 5.5),
    ),
    ("lognormal", Distribution("lognormal", {"mu": -1.0, "sigma": 0.5}), stats.lognorm(s=0.5, scale=math.exp(-1.0))),
    ("beta", Distribution("beta", {"a": 2.0, "b": 5.0}), stats.beta(2.0, 5.0)),
    (
        "beta_rescaled",
        Distribution("beta", {"a": 0.7, "b": 1.5, "low": -2.0, "high": 4.0}),
        stats.beta(0.7, 1.5, loc=-2.0, scale=6.0),
    ),
    (
        "triangular",
        Distribution("triangular", {"low": 0.0, "mode": 0.2, "high": 1.0}),
        stats.triang(0.2, loc=0.0, scale=1.0),
    ),
    (
        "triangular_mode_at_low",
        Distribution("triangular", {"low": 1.0, "mode": 1.0, "high": 3.0}),
        stats.triang(0.0, loc=1.0, scale=2.0),
    ),
    ("bernoulli", Distribution("bernoulli", {"p": 0.27}), stats.bernoulli(0.27)),
    (
        "choice",
        Distribution("choice", {"values": (0.0, 0.5, 2.0)}),
        stats.rv_discrete(values=([0.0, 0.5, 2.0], [1 / 3, 1 / 3, 1 / 3])),
    ),
    (
        "choice_weighted",
        Distribution("choice", {"values": (-1.0, 0.5, 2.0), "weights": (1.0, 3.0, 6.0)}),
        stats.rv_discrete(values=([-1.0, 0.5, 2.0], [0.1, 0.3, 0.6])),
    ),
]
IDS = [c[0] for c in CASES]


def _sample(dist: Distribution, name: str) -> np.ndarray:
    return draw(dist, stream(20240619, 0, name), N)


@pytest.mark.parametrize("name,dist,ref", CASES, ids=IDS)
def test_mean_and_variance_of_draws(name: str, dist: Distribution, ref) -> None:
    x = _sample(dist, name)
    assert x.shape == (N,) and x.dtype == np.float64
    mean, var, kurt = (float(v) for v in ref.stats(moments="mvk"))
    assert abs(x.mean() - mean) < 4 * math.sqrt(var / N), (x.mean(), mean)
    # the sample variance has variance ~ var^2 (excess kurtosis + 2) / N
    assert abs(x.var(ddof=1) - var) < 4 * var * math.sqrt((kurt + 2) / N), (x.var(), var)


@pytest.mark.parametrize("name,dist,ref", CASES, ids=IDS)
def test_draws_stay_in_the_support(name: str, dist: Distribution, ref) -> None:
    x = _sample(dist, name)
    lo, hi = ref.support()
    assert np.all(x >= lo) and np.all(x <= hi)
    assert np.isfinite(x).all()


@pytest.mark.parametrize("name,dist,ref", CASES, ids=IDS)
def test_central_value_is_the_mean(name: str, dist: Distribution, ref) -> None:
    assert central_value(dist) == pytest.approx(float(ref.mean()), rel=1e-10, abs=1e-12)


def test_central_value_of_a_constant() -> None:
    assert central_value(Distribution.constant(0.25)) == 0.25


# uniforms that avoid the atoms' exact boundaries of the discrete distributions
U = np.linspace(0.0005, 0.9995, 999) + 1e-7


@pytest.mark.parametrize(
    "name,dist,ref", [c for c in CASES if c[0] != "bernoulli"], ids=[i for i in IDS if i != "bernoulli"]
)
def test_ppf_agrees_with_scipy(name: str, dist: Distribution, ref) -> None:
    np.testing.assert_allclose(ppf(dist, U), ref.ppf(U), rtol=1e-9, atol=1e-12)


def test_bernoulli_ppf_gives_p_ones() -> None:
    # trapsim maps u < p to 1 (scipy maps u > 1 - p): the same distribution
    x = ppf(Distribution("bernoulli", {"p": 0.27}), U)
    assert set(np.unique(x)) == {0.0, 1.0}
    assert x.mean() == pytest.approx(0.27, abs=2e-3)


def test_ppf_of_a_constant() -> None:
    np.testing.assert_array_equal(ppf(Distribution.constant(2.0), U[:3]), [2.0, 2.0, 2.0])


# ------------------------------------------------------------------------ streams


def test_streams_are_reproducible_and_distinct() -> None:
    a = stream(7, 0, "cost").random(1000)
    np.testing.assert_array_equal(a, stream(7, 0, "cost").random(1000))
    for other in (stream(8, 0, "cost"), stream(7, 1, "cost"), stream(7, 0, "costs")):
        assert not np.array_equal(a, other.random(1000))
    assert abs(np.corrcoef(a, stream(7, 1, "cost").random(1000))[0, 1]) < 0.15


TEXT = """
[scenario]
name = "streams"
root = "n"
[actors.x]
name = "X"
[parameters]
{params}
[nodes.n]
actor = "x"
next = {{ go = "end" }}
[payoffs]
end = {{ x = 0 }}
"""
A = 'alpha = { dist = "normal", mean = 0, sd = 1 }'
B = 'beta = { dist = "beta", a = 2, b = 3 }'
C = 'gamma = { dist = "uniform", low = 0, high = 1 }'


def _env(*params: str, values: dict[str, float] | None = None) -> dict:
    sc = loads(TEXT.format(params="\n".join(params)))
    if values:
        sc = sc.with_values(values)
    return CompiledScenario(sc).sample(11, 3, 5000)


def test_adding_a_parameter_leaves_other_draws_bit_identical() -> None:
    small, large = _env(A, B), _env(C, A, B)
    for name in ("alpha", "beta"):
        np.testing.assert_array_equal(small[name], large[name])


def test_fixing_a_parameter_leaves_other_draws_bit_identical() -> None:
    free, fixed = _env(A, B, C), _env(A, B, C, values={"beta": 0.5})
    assert fixed["beta"] == 0.5
    np.testing.assert_array_equal(free["alpha"], fixed["alpha"])
    np.testing.assert_array_equal(free["gamma"], fixed["gamma"])


def test_parameter_streams_are_not_correlated() -> None:
    env = _env(A, C)
    assert abs(np.corrcoef(env["alpha"], env["gamma"])[0, 1]) < 0.05


def test_names_sharing_a_crc32_draw_independent_values() -> None:
    """Regression: streams were keyed by CRC32, so these two names drew identical values."""
    import zlib

    assert zlib.crc32(b"s6l6mwll") == zlib.crc32(b"ovbiasnc")  # the collision the old key had
    env = _env(
        's6l6mwll = { dist = "uniform", low = 0, high = 1 }', 'ovbiasnc = { dist = "uniform", low = 0, high = 1 }'
    )
    assert not np.array_equal(env["s6l6mwll"], env["ovbiasnc"])
    assert abs(np.corrcoef(env["s6l6mwll"], env["ovbiasnc"])[0, 1]) < 0.05


def test_stream_key_is_the_documented_digest() -> None:
    """docs/scenario-format.md: spawn key = (chunk, first four little-endian 32-bit words of SHA-256)."""
    import hashlib

    digest = hashlib.sha256(b"node:war").digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in (0, 4, 8, 12)]
    assert stream_key(5, "node:war") == (5, *words)
    want = np.random.Generator(np.random.PCG64(np.random.SeedSequence(9, spawn_key=(5, *words)))).random(8)
    np.testing.assert_array_equal(stream(9, 5, "node:war").random(8), want)
