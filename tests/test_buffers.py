"""Recycled payoff tables: reused only when nothing else refers to them (issue 16)."""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np
import pytest

import trapsim
from trapsim.runner import CHUNK
from trapsim.runner.buffers import Recycler

SHAPE = (4, 3, 1 << 16)  # 6 MB: large enough to be recycled


def test_a_freed_array_is_handed_out_again() -> None:
    pool = Recycler()
    first = pool.empty(SHAPE)
    ident = id(first)
    del first
    assert id(pool.empty(SHAPE)) == ident


def test_an_array_still_referred_to_is_never_reused() -> None:
    pool = Recycler()
    first = pool.empty(SHAPE)
    first[:] = 1.0
    view = first[2]  # a view (like a leaf's values in a solution) keeps the table busy
    del first
    second = pool.empty(SHAPE)
    second[:] = 2.0
    assert np.all(view == 1.0)
    assert second.base is None and view.base is not second


def test_small_arrays_are_not_kept() -> None:
    pool = Recycler()
    a = pool.empty((3, 5))
    ident = id(a)
    b = pool.empty((3, 5))
    assert id(b) != ident  # both alive: two arrays
    assert a.shape == b.shape == (3, 5)


def test_other_shapes_get_their_own_array() -> None:
    pool = Recycler(keep=2)
    a = pool.empty(SHAPE)
    b = pool.empty((2, *SHAPE[1:]))
    assert a.shape == SHAPE and b.shape == (2, *SHAPE[1:])


def test_a_run_is_the_same_with_and_without_recycling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three chunks of a 120-outcome game: chunks 1 and 2 reuse chunk 0's payoff table."""
    scenario = trapsim.load(Path(__file__).parent / "data" / "kernel" / "random_7.toml")

    def summary() -> tuple[object, ...]:
        r = trapsim.simulate(scenario, draws=3 * CHUNK, seed=5)
        return (r.trap_counts, r.outcome_counts, r.payoff_mean, r.payoff_sd, r.edge_counts)

    recycled = summary()
    monkeypatch.setattr(Recycler, "empty", lambda self, shape: np.full(shape, np.nan))
    assert summary() == recycled


def test_freed_arrays_memory_is_reused_without_page_faults() -> None:
    """After ``keep_freed_memory`` (glibc), a node's worth of arrays allocated and freed again reuses its memory.

    Without it glibc gives the freed top of its heap back to the system and
    page-faults it in again every time (measured: ~59,000 faults for this loop).
    """
    resource = pytest.importorskip("resource")
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt's thresholds are glibc's")
    from trapsim.runner.buffers import keep_freed_memory

    keep_freed_memory()
    keep_freed_memory()  # once per process; a second call changes nothing

    def node() -> None:
        arrays = [np.ones(40_000) for _ in range(8)]  # 8 arrays of 320 KB alive at once, then freed
        del arrays

    for _ in range(5):  # the heap grows to its working size once
        node()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(100):
        node()
    assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before < 2_000  # 62,500 pages written
