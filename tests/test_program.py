"""Programs: many expressions evaluated together give exactly what each compiled expression gives (issue 16)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from test_expressions import ENVS, TREES, render_full
from trapsim.expressions import compile_expr, parse
from trapsim.expressions.program import Program

TYPES: dict[str, Any] = {}


def _same(a: Any, b: Any) -> bool:
    """The same dtype and bits (NaN payloads and the sign of zero included) once broadcast to b's shape.

    A program may hand over a scalar where the closure broadcast it to the
    draws (``if`` with a known condition): the caller broadcasts either.
    """
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and np.broadcast_to(a, b.shape).tobytes() == b.tobytes()


def _run(program: Program, env: dict[str, Any]) -> dict[Any, Any]:
    got: dict[Any, Any] = {}

    def store(dests: list[Any], value: Any) -> None:
        for d in dests:
            assert d not in got  # every expression's value is handed over once
            got[d] = value

    with np.errstate(all="ignore"):
        program.run(env, store)
    return got


@given(
    trees=st.lists(TREES, min_size=1, max_size=6),
    env=ENVS,
    fix_x=st.sampled_from([None, 0.5, 1.0, 0.0, -0.0, float("nan")]),
)
def test_a_program_gives_each_closures_value_bit_for_bit(trees: list[tuple], env: dict, fix_x: Any) -> None:
    """Generated expressions (sharing sub-expressions by chance), with ``x`` fixed at build time or not."""
    arrays = {k: np.array(v, dtype=np.float64) for k, v in env.items()}
    fixed = {} if fix_x is None else {"x": fix_x}
    program = Program(TYPES)
    exprs = [parse(render_full(t)) for t in trees]
    for i, e in enumerate(exprs):
        program.add(e, i, fixed)
    got = _run(program, arrays)
    for i, e in enumerate(exprs):
        with np.errstate(all="ignore"):
            want = compile_expr(e, TYPES)({**arrays, **fixed})
        assert _same(got[i], want), render_full(trees[i])


def test_shared_sub_expressions_are_computed_once() -> None:
    program = Program(TYPES)
    program.add(parse("a * b + c"), "first")
    program.add(parse("a * b - c"), "second")
    program.add(parse("c - a * b"), "third")
    program.add(parse("a * b + c"), "again")  # the same expression: no step of its own
    assert program.steps == 4  # a * b, + c, - c, c -
    env = {"a": np.array([1.0, 2.0]), "b": np.array([3.0, -1.0]), "c": np.array([0.5, 0.25])}
    got = _run(program, env)
    assert got["first"] is got["again"]
    assert got["second"].tolist() == [2.5, -2.25]
    assert got["third"].tolist() == [-2.5, 2.25]


def test_fixed_path_values_fold_away() -> None:
    """A payoff row's ``played`` values are constants: only the operations they leave open remain."""
    text = "played('n', 'a') * x + if(played('n', 'b'), y, 2 * y)"
    program = Program(TYPES)
    program.add(parse(text), "row1", {"played:n:a": True, "played:n:b": False})
    program.add(parse(text), "row2", {"played:n:a": True, "played:n:b": True})
    # x * 1.0 is x; the `if` is decided: 2 * y and the sums x + y, x + 2 * y remain
    assert program.steps == 3
    env = {"x": np.array([1.0, -2.0]), "y": np.array([0.5, 3.0])}
    got = _run(program, env)
    for dest, fixed in (
        ("row1", {"played:n:a": True, "played:n:b": False}),
        ("row2", {"played:n:a": True, "played:n:b": True}),
    ):
        assert _same(got[dest], compile_expr(parse(text), TYPES)({**env, **fixed}))


def test_constants_and_names_are_handed_over_too() -> None:
    program = Program(TYPES)
    program.add(parse("0"), "zero")
    program.add(parse("x"), "x")
    program.add(parse("1 + 2 * 3"), "seven")
    assert program.steps == 0
    env = {"x": np.array([4.0])}
    got = _run(program, env)
    assert got["zero"] == 0.0 and got["seven"] == 7.0 and got["x"] is env["x"]
