"""Wall-clock budgets that used to be assertions in the test suite (issue 18).

Tests assert behaviour, not timing (a loaded CI machine makes timing flaky);
the budgets they held are checked here instead, each printed with its time:

* every hostile expression of ``tests/test_expressions.py`` is rejected in
  under 0.5 s (no catastrophic parse: deep nesting, megabyte inputs, towers);
* ``(((2**10)**10)**10)**10`` evaluates to inf in under 0.5 s (floats, not
  Python's exact integers);
* the default Sobol' analysis (N = 8192) of ``putin_trap`` on the pinned v1
  copy of the bundled scenario takes under 30 s on two cores.

    python benchmarks/bench_budgets.py      # exit status 1 if a budget is exceeded
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import trapsim
from trapsim.errors import ExpressionError
from trapsim.expressions import check, compile_expr, parse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_expressions import HOSTILE, TYPES  # noqa: E402  (the hostile inputs are the tests')


def _timed(label: str, budget: float, work: Callable[[], object]) -> bool:
    start = time.perf_counter()
    work()
    took = time.perf_counter() - start
    ok = took < budget
    print(f"{'ok  ' if ok else 'SLOW'} {took:8.3f} s  (budget {budget:g} s)  {label}")
    return ok


def _reject(text: str) -> None:
    try:
        check(parse(text), TYPES)
    except ExpressionError:
        return
    raise SystemExit(f"not rejected: {text[:60]!r}")


def _overflow() -> None:
    expr = parse("(((2**10)**10)**10)**10")
    check(expr, TYPES)
    fn = compile_expr(expr, TYPES)
    with np.errstate(all="ignore"):
        assert fn({}) == float("inf")


def _sobol() -> None:
    sc = trapsim.load(str(ROOT / "tests" / "data" / "defense_clause_v1.toml"))
    trapsim.sensitivity(sc, traps=["putin_trap"])


def main() -> int:
    results = [_timed(f"reject {name}", 0.5, lambda t=text: _reject(t)) for name, (text, _) in HOSTILE.items()]
    results.append(_timed("evaluate (((2**10)**10)**10)**10", 0.5, _overflow))
    results.append(_timed("sensitivity putin_trap, N = 8192 (v1 copy)", 30.0, _sobol))
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
