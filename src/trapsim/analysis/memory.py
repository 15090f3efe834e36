"""Memory estimates that refuse an analysis too large for this machine before any work.

``sensitivity --samples`` and ``discover --draws`` hold arrays that grow with
their size (the design, the parameter values, each trap's probabilities, the
bootstrap's resamples). :func:`refuse_beyond_memory` compares their estimate
with the memory available and raises an :class:`ArgumentError` naming the
argument, the estimate and the largest value that fits, instead of running
until the machine swaps or the process is killed.

The estimates count the arrays that grow with the argument (8 bytes per float);
the per-chunk working memory of the model is constant in it, and a fifth of
the memory available is left for it and for the rest of the process.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from trapsim.errors import ArgumentError

__all__ = ["available_bytes", "refuse_beyond_memory"]

#: Share of the available memory the growing arrays may take.
SHARE = 0.8


def available_bytes() -> int | None:
    """Memory this process may still use: MemAvailable, capped by a cgroup limit; None if unknown."""
    found: list[int] = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
        if limit != "max":
            found.append(int(limit) - int(used))
    except (OSError, ValueError):
        pass
    return min(found) if found else None


def _size(n: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n / 1e6:.2f} MB"


def refuse_beyond_memory(
    argument: str, value: int, needed: Callable[[int], float], *, what: str, candidates: Callable[[int], int]
) -> None:
    """Raise if ``needed(value)`` bytes exceed :data:`SHARE` of the memory available.

    ``candidates(v)`` is the next smaller acceptable value below ``v`` (e.g. the
    next power of 2), used to find the suggested maximum; ``what`` describes the
    arrays (``"33,554,432 evaluations"``).
    """
    free = available_bytes()
    if free is None or needed(value) <= SHARE * free:
        return
    fits = value
    while fits > 1 and needed(fits) > SHARE * free:
        fits = candidates(fits)
    raise ArgumentError(
        argument,
        f"{value:,} needs about {_size(needed(value))} of memory ({what}), more than this machine has "
        f"available ({_size(free)}); at most {fits:,} fits",
    )
