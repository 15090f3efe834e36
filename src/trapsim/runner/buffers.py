"""Big per-chunk arrays handed out again once nothing refers to them any more, and freed memory kept for reuse."""

from __future__ import annotations

import math
import sys
import threading
from typing import Any

import numpy as np

__all__ = ["Recycler", "keep_freed_memory"]

#: glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_kept = False


def keep_freed_memory() -> None:
    """Let the C allocator reuse freed arrays' memory instead of giving it back (glibc; once per process).

    A chunk allocates and frees thousands of arrays of 8 KB to a few MB, of
    sizes that change from node to node. glibc's malloc serves a block above a
    moving threshold (128 KB to start) with mmap, unmaps it when it is freed,
    and gives the top of its heap back to the system once 128 KB is free
    there: such memory is page-faulted in (and zero-filled by the kernel)
    again at the next allocation. Measured on the generated 75-leaf game:
    1,800 page faults per chunk, 17.6 ms per chunk instead of 14.4 ms.
    Here blocks up to 32 MB (glibc's largest threshold) come from the heap,
    and up to 128 MB free at its top is kept, as the :class:`Recycler` keeps
    its tables: memory is reused, the peak is the same. Elsewhere than glibc
    (no ``mallopt``) this does nothing.
    """
    global _kept
    if _kept:
        return
    _kept = True
    import ctypes  # only here: importing the runner stays lean

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # not glibc (TypeError: no CDLL(None), as on Windows)
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    mallopt(_M_MMAP_THRESHOLD, 32 << 20)
    mallopt(_M_TRIM_THRESHOLD, 128 << 20)


def _free_count() -> int:
    """References to an array that only a list refers to, seen from a loop over that list.

    Measured on this interpreter (normally 3: the list, the loop variable and
    ``getrefcount``'s argument) rather than assumed.
    """
    probe = [np.empty(1)]
    for buf in probe:
        return sys.getrefcount(buf)
    raise AssertionError("unreachable")


_FREE = _free_count()


class Recycler:
    """A few large float arrays, reused by later chunks instead of being allocated again.

    A chunk's payoff table (rows by actors by 8,192 draws) passes glibc's
    largest mmap threshold (32 MB) from about 100 outcomes of 5 actors: a
    fresh table is then mapped, zero-filled by the kernel and page-faulted in
    again in every chunk, which costs more than evaluating the payoffs into it
    (measured: 143 ms against 32 ms per chunk at 1,000 outcomes).

    An array is reused only when this recycler holds the last reference to it,
    so a result that still uses one (a solution keeps views of its payoff
    table as the leaves' values) is never overwritten. Every element of a
    reused array must be written before it is read, as ``np.empty`` requires.
    """

    def __init__(self, *, keep: int = 2, min_bytes: int = 4 << 20) -> None:
        self._keep = keep
        self._min_bytes = min_bytes
        self._spare: list[np.ndarray] = []
        self._lock = threading.Lock()

    def empty(self, shape: tuple[int, ...]) -> np.ndarray:
        """A float64 array of ``shape`` with undefined contents (like ``np.empty``)."""
        if math.prod(shape) * 8 < self._min_bytes:
            return np.empty(shape)
        with self._lock:
            for buf in self._spare:
                if buf.shape == shape and sys.getrefcount(buf) <= _FREE:
                    return buf
            buf = np.empty(shape)
            if len(self._spare) >= self._keep:
                self._spare.pop(0)
            self._spare.append(buf)
            return buf

    def clear(self) -> None:
        """Forget the arrays kept (those still in use elsewhere live on there)."""
        with self._lock:
            self._spare.clear()

    def __getstate__(self) -> dict[str, Any]:  # pickled without its arrays and lock
        return {"keep": self._keep, "min_bytes": self._min_bytes}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(keep=state["keep"], min_bytes=state["min_bytes"])  # type: ignore[misc]
