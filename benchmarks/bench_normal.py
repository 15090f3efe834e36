"""trapsim's own ndtri/ndtr (trapsim._normal) against scipy.special's: the same bits, and the cost.

    python benchmarks/bench_normal.py [--inputs N]    # default 10,000,000 inputs, a few seconds

Checks, in blocks of a million, that ``trapsim._normal.ndtri`` gives scipy's doubles on N
probabilities (a quarter each: uniform on (0, 1); uniform on (0, exp(-2)), the lower tail; log-uniform
down to 1e-300; 1 - log-uniform down to 1e-16, the upper tail) plus subnormals, and that ``ndtr``
does on 1,000,000 scalars; then times one chunk (8,192 draws of a normal truncated at ±2.5 sd, as
the bundled scenarios' are) of each. tests/test_normal.py is the small, fast version of the check.
"""

from __future__ import annotations

import argparse
import math
import sys
import timeit

import numpy as np
from scipy import special

from trapsim._normal import ndtr, ndtri

BLOCK = 1_000_000


def _probabilities(rng: np.random.Generator, n: int) -> np.ndarray:
    k = n // 4
    return np.concatenate(
        [
            rng.random(k),
            math.exp(-2.0) * rng.random(k),
            np.exp(-rng.uniform(0, math.log(1e300), k)),
            1.0 - np.exp(-rng.uniform(0, math.log(1e16), n - 3 * k)),
        ]
    )


def _differ(mine: np.ndarray, ref: np.ndarray) -> int:
    both_nan = np.isnan(mine) & np.isnan(ref)
    return int(((mine.view(np.int64) != ref.view(np.int64)) & ~both_nan).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000_000)
    n = parser.parse_args().inputs
    rng = np.random.default_rng(20261130)
    checked = bad = 0
    while checked < n:
        p = _probabilities(rng, min(BLOCK, n - checked))
        bad += _differ(ndtri(p), special.ndtri(p))
        checked += p.size
    sub = rng.random(100_000) * 2.2250738585072014e-308
    bad += _differ(ndtri(sub), special.ndtri(sub))
    print(f"ndtri: {bad} of {checked + sub.size:,} probabilities differ from scipy's")
    xs = np.concatenate(
        [rng.normal(0, 3, BLOCK // 2), rng.uniform(-40, 40, BLOCK // 4), rng.uniform(-1.5, 1.5, BLOCK // 4)]
    )
    bad_x = _differ(np.array([ndtr(x) for x in xs.tolist()]), special.ndtr(xs))
    print(f"ndtr:  {bad_x} of {xs.size:,} values differ from scipy's")

    lo, hi = ndtr(-2.5), ndtr(2.5)
    p = lo + rng.random(8192) * (hi - lo)
    for name, fn in (("trapsim._normal.ndtri", ndtri), ("scipy.special.ndtri", special.ndtri)):
        best = min(timeit.repeat(lambda fn=fn: fn(p), number=200, repeat=7)) / 200
        print(f"{name:22s} {best * 1e6:6.0f} µs per chunk of 8,192")
    for name, f in (("trapsim._normal.ndtr", ndtr), ("scipy.special.ndtr", special.ndtr)):
        best = min(timeit.repeat(lambda f=f: f(-2.5), number=20_000, repeat=7)) / 20_000
        print(f"{name:22s} {best * 1e6:6.2f} µs per scalar")
    sys.exit(1 if bad or bad_x else 0)


if __name__ == "__main__":
    main()
