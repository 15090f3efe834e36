"""Exact element selection without a branch per element (``np.where`` for unpredictable conditions).

``np.where(cond, a, b)`` branches on every element: where the condition
follows no pattern a branch predictor can learn (a draw's choice, a
comparison of random parameters) it mispredicts about every other element,
measured at ~30 µs per 8,192 float64 draws against ~4 µs on a learned
pattern. :func:`blend` selects the bits arithmetically,
``b ^ ((a ^ b) & mask)`` on the float64 bit patterns, in ~6 µs whatever the
condition: every element is exactly ``a``'s or ``b``'s (NaN payloads and
signed zeros included), as ``np.where`` gives.
"""

from __future__ import annotations

import numpy as np

__all__ = ["blend", "mask_of"]


def mask_of(cond: np.ndarray) -> np.ndarray:
    """The int64 mask of a bool (or 0/1 integer) array: -1 (every bit set) where true, 0 elsewhere."""
    if cond.dtype == np.int64:
        return np.negative(cond)  # type: ignore[no-any-return]
    mask = cond.view(np.int8).astype(np.int64) if cond.dtype == bool else cond.astype(np.int64)
    np.negative(mask, out=mask)
    return mask


def blend(mask: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.where(mask != 0, a, b)`` for a :func:`mask_of` mask and float64 arrays ``a``, ``b`` of one shape.

    ``mask`` broadcasts against them (a draw's mask over several actors' rows).
    """
    bits = np.bitwise_xor(a.view(np.int64), b.view(np.int64))
    bits &= mask
    bits ^= b.view(np.int64)
    return bits.view(np.float64)
