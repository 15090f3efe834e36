"""The unfolding's work grows with the unfolded tree, not with its square (counted, not timed).

A 1,000-deep chain used to spend seconds in the copy names' bookkeeping (every
node's set of the nodes below it: quadratic in depth). The work is measured as
the lines of :mod:`trapsim.unfolding` executed, so the test does not depend on
the machine's speed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from trapsim import unfolding
from trapsim.unfolding import unfold


def _twin_chain(depth: int) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """``r`` with two actions to the same chain ``n0 .. n<depth-1>``: every chain node has two copies."""
    nxt: dict[str, list[str]] = {"r": ["n0", "n0"]}
    acts: dict[str, list[str]] = {"r": ["a", "b"]}
    for k in range(depth):
        nxt[f"n{k}"] = [f"n{k + 1}" if k + 1 < depth else "end", f"s{k}"]
        acts[f"n{k}"] = ["go", "stop"]
    return nxt, acts


def _lines_run(fn: Callable[[], Any]) -> tuple[int, Any]:
    """Lines of trapsim/unfolding.py executed while ``fn`` runs, and its result."""
    path = unfolding.__file__
    count = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if frame.f_code.co_filename != path:
            return None
        if event == "line":
            count += 1
        return tracer

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        out = fn()
    finally:
        sys.settrace(old)
    return count, out


def test_unfolding_work_is_linear_in_the_unfolded_tree() -> None:
    work = {}
    for depth in (1000, 2000):
        nxt, acts = _twin_chain(depth)
        work[depth], places = _lines_run(lambda nxt=nxt, acts=acts: unfold("r", nxt, acts))
        assert len(places) == 1 + 2 * (2 * depth + 1)
        per_position = work[depth] / len(places)
        assert per_position < 60, f"{per_position:.0f} lines per position at depth {depth}"
    assert work[2000] < 2.2 * work[1000], work  # quadratic work would be 4 times


def test_the_twin_chain_is_named_by_the_first_choice() -> None:
    """Hand check of the copy names that the counted run makes."""
    nxt, acts = _twin_chain(3)
    names = [p.name for p in unfold("r", nxt, acts)]
    assert names == [
        "r",
        "n0[a]", "n1[a]", "n2[a]", "end", "s2", "s1", "s0",
        "n0[b]", "n1[b]", "n2[b]", "end", "s2", "s1", "s0",
    ]  # fmt: skip
