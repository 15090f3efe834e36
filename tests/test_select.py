"""Branch-free selection equals ``np.where`` bit for bit (issue 16)."""

from __future__ import annotations

import numpy as np
import pytest

from trapsim.expressions.select import blend, mask_of

SPECIAL = [np.nan, -np.nan, 0.0, -0.0, np.inf, -np.inf, 5e-324, -5e-324, 1.7976931348623157e308, 1.0]


@pytest.mark.parametrize("kind", ["bool", "int64", "uint8"])
def test_blend_picks_exactly_the_bits_np_where_picks(kind: str) -> None:
    rng = np.random.default_rng(4)
    a = np.array(SPECIAL * 40)
    b = rng.permutation(a)
    a = np.stack([a, rng.standard_normal(a.size)])  # two rows share one draw's condition
    b = np.stack([b, -b])
    cond = rng.random(a.shape[1]) < 0.5
    where = np.where(cond, a, b)
    assert blend(mask_of(cond.astype(kind)), a, b).tobytes() == where.tobytes()
    assert blend(mask_of(cond.astype(kind)), a[1], b[1]).tobytes() == where[1].tobytes()


def test_a_mask_is_every_bit_or_none() -> None:
    assert mask_of(np.array([True, False, True])).tolist() == [-1, 0, -1]
    assert mask_of(np.array([0, 1, 1], dtype=np.intp)).tolist() == [0, -1, -1]
