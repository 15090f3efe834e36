"""A faster kernel gives bit-identical results (issue 16).

The reference values were recorded before the kernel was rewritten, by
``tests/kernel_reference.py`` (see its docstring); every count, every payoff
moment (exact ``float.hex``) and the payoff sample of each run must match.
"""

from __future__ import annotations

import json
import sys

import pytest

from kernel_reference import CURRENT, CURRENT_REFERENCE, REFERENCE, SOLVERS, cases, collect, current_cases

_REFERENCE = json.loads(REFERENCE.read_text())
_CURRENT = json.loads(CURRENT_REFERENCE.read_text())


def test_every_case_has_a_reference() -> None:
    assert sorted(_REFERENCE) == sorted(f"{p.name}:{s}" for p in cases() for s in SOLVERS)
    assert len(cases()) >= 15


@pytest.mark.parametrize("path", cases(), ids=lambda p: p.stem)
@pytest.mark.parametrize("solver", SOLVERS)
def test_results_are_bit_identical(path, solver) -> None:  # type: ignore[no-untyped-def]
    assert collect(path, solver) == _REFERENCE[f"{path.name}:{solver}"]


def test_every_current_case_has_a_reference() -> None:
    assert sorted(_CURRENT) == sorted(f"{p.name}:{s}" for p in current_cases() for s in SOLVERS)
    assert any("worlds" in p.name for p in current_cases())


@pytest.mark.parametrize("path", current_cases(), ids=lambda p: p.stem)
@pytest.mark.parametrize("solver", SOLVERS)
def test_worlds_and_conditional_traps_are_bit_identical(path, solver) -> None:  # type: ignore[no-untyped-def]
    """The session-2 reference (worlds, conditional traps, today's streams): see kernel_reference.py."""
    assert collect(path, solver, pinned=False) == _CURRENT[f"{path.name}:{solver}"]


_ON_WORKERS = ["scenarios_defense_clause.toml", "scenarios_kim_misperception.toml", "data_worlds.toml"]


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "spawned"])
@pytest.mark.parametrize("name", _ON_WORKERS)
def test_worker_processes_give_the_same_bits(name: str, fork: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--workers 2`` (and the default of all cores for big runs) changes where the chunks run, never
    a bit of the result: one chunk per worker process gives the one-process reference exactly, whether
    the workers are forked copies of this process (which compiled the scenario for them) or fresh ones."""
    if fork and not sys.platform.startswith("linux"):
        pytest.skip("trapsim forks on Linux only")
    for where in ("trapsim.runner.pool.forks", "trapsim.runner.parallel.forks"):  # whatever threads earlier tests left
        monkeypatch.setattr(where, lambda: fork)
    solver = "qre" if "kim" in name else "spe"
    assert collect(CURRENT / name, solver, pinned=False, workers=2) == _CURRENT[f"{name}:{solver}"]
