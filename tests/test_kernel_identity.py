"""A faster kernel gives bit-identical results (issue 16).

The reference values were recorded before the kernel was rewritten, by
``tests/kernel_reference.py`` (see its docstring); every count, every payoff
moment (exact ``float.hex``) and the payoff sample of each run must match.
"""

from __future__ import annotations

import json

import pytest

from kernel_reference import REFERENCE, SOLVERS, cases, collect

_REFERENCE = json.loads(REFERENCE.read_text())


def test_every_case_has_a_reference() -> None:
    assert sorted(_REFERENCE) == sorted(f"{p.name}:{s}" for p in cases() for s in SOLVERS)
    assert len(cases()) >= 15


@pytest.mark.parametrize("path", cases(), ids=lambda p: p.stem)
@pytest.mark.parametrize("solver", SOLVERS)
def test_results_are_bit_identical(path, solver) -> None:  # type: ignore[no-untyped-def]
    assert collect(path, solver) == _REFERENCE[f"{path.name}:{solver}"]
