"""The expression language: hostile input, precedence, and properties against a reference.

The reference evaluator below walks the *same generated tree* that is rendered
to text for trapsim, one draw at a time, in plain Python. It shares only the
primitive transcendental functions (``exp``, ``log``, ``sqrt``, ``**``, taken
from numpy one element at a time so that last-bit differences between libm and
numpy's SIMD loops cannot flip a comparison); parsing, precedence, typing,
truthiness, ``min``/``max``/``clip``/``if`` and IEEE division are independent.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trapsim.errors import ExpressionError
from trapsim.expressions import FUNCTIONS, MAX_DEPTH, check, compile_expr, parse

VARS = ("x", "y", "z")
TYPES = dict.fromkeys(VARS, "num")


def evaluate(text: str, env: dict[str, Any] | None = None) -> tuple[Any, str]:
    """Parse, check and evaluate ``text`` as trapsim does; return (value, type)."""
    expr = parse(text)
    typ = check(expr, TYPES)
    fn = compile_expr(expr, TYPES)
    with np.errstate(all="ignore"):
        return fn(env or {}), typ


def rejected(text: str, **known: str) -> ExpressionError:
    """Assert that ``text`` is rejected by parse + check; return the error.

    How fast hostile input is rejected is measured in ``benchmarks/bench_expressions.py``
    (wall-clock budgets do not belong in tests).
    """
    with pytest.raises(ExpressionError) as info:
        check(parse(text), known or TYPES)
    return info.value


# ------------------------------------------------------------------ hostile input

HOSTILE = {
    "attribute": ("x.__class__", "attribute access"),
    "attribute_chain": ("x.__class__.__mro__[1].__subclasses__()", "attribute access"),
    "dunder_name": ("__builtins__", "unknown name"),
    "dunder_import": ("__import__('os')", "unknown function '__import__'"),
    "import_system": ("__import__('os').system('echo pwned')", "attribute access"),
    "eval_call": ("eval('1')", "unknown function 'eval'"),
    "open_call": ("open('/etc/passwd')", "unknown function 'open'"),
    "unknown_function": ("maximum(x, y)", "unknown function 'maximum'"),
    "call_of_call": ("(x)(1)", "only function names can be called"),
    "lambda": ("lambda: 1", "no lambdas"),
    "subscript": ("x[0]", "subscripts"),
    "slice": ("x[0:1]", "subscripts"),
    "huge_exponent": ("2**1000", "too large"),
    "tower": ("9**9**9", "must be a constant"),
    "variable_exponent": ("x ** y", "must be a constant"),
    "huge_literal": ("1e400", "too large"),
    "long_literal": ("9" * 30, "too large"),
    "deep_parentheses": ("(" * 10_000 + "x" + ")" * 10_000, "longer than"),
    "nested_within_length": ("(" * 1500 + "x" + ")" * 1500, "nested deeper"),
    "unary_chain": ("-" * 3000 + "x", "nested deeper"),
    "not_chain": ("not " * 900 + "x", "nested deeper"),
    "call_chain": ("abs(" * 600 + "x" + ")" * 600, "nested deeper"),
    "megabyte": ("x + " * 250_000 + "x", "longer than"),
    "megabyte_string": ("'" + "a" * 1_000_000 + "'", "longer than"),
    "string_value": ("'abc'", "text in quotes"),
    "walrus": ("(y := 1)", "not allowed"),
    "semicolon": ("x; y", "not allowed"),
    "boolean_literal": ("True", "unknown name"),
    "keyword_alone": ("and", "needs a value"),
    "chained_comparison": ("x < y < z", "chained comparisons"),
    "empty": ("   ", "empty expression"),
    "path_function_outside_traps": ('payoff("russia")', "only be used in traps"),
    "function_as_name": ("max", "is a function"),
    "wrong_arity": ("clip(x, 1)", "takes 3"),
}


@pytest.mark.parametrize("text,message", HOSTILE.values(), ids=list(HOSTILE))
def test_hostile_expression_rejected(text: str, message: str) -> None:
    error = rejected(text)
    assert message in error.message
    assert 0 <= error.position <= len(text)


def test_rejection_has_no_side_effect(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for text in (
        f"__import__('os').system('touch {marker}')",
        f"__import__('pathlib').Path('{marker}').touch()",
        f"open('{marker}', 'w')",
    ):
        rejected(text)
    assert not marker.exists()


def test_nesting_limit_is_generous_for_real_expressions() -> None:
    depth = MAX_DEPTH - 2
    value, _ = evaluate("(" * depth + "1" + ")" * depth)
    assert value == 1.0


def test_error_positions_point_at_the_problem() -> None:
    assert rejected("x + y.real").position == 5
    assert rejected("1 + foo(2)").position == 4
    assert rejected("x + cots", x="num", cost="num").suggestion == "cost"


def test_overflowing_constants_give_inf_not_a_hang() -> None:
    """Python's int power would compute a 10**10000-digit number; floats overflow to inf at once."""
    value, _ = evaluate("(((2**10)**10)**10)**10")
    assert value == math.inf


# --------------------------------------------------------------------- precedence


@pytest.mark.parametrize(
    "text,env,expected",
    [
        ("-2**2", {}, -4.0),
        ("2**-1", {}, 0.5),
        ("-x**2", {"x": 3.0}, -9.0),
        ("(-x)**2", {"x": 3.0}, 9.0),
        ("x - y - z", {"x": 10.0, "y": 3.0, "z": 2.0}, 5.0),
        ("x / y / z", {"x": 12.0, "y": 3.0, "z": 2.0}, 2.0),
        ("1 + 2 * 3", {}, 7.0),
        ("2 * 3 ** 2", {}, 18.0),
        ("1 + 1 == 2", {}, True),
        ("not x and y", {"x": 1.0, "y": 0.0}, False),
        ("not x or y", {"x": 1.0, "y": 0.0}, False),
        ("not (x and y)", {"x": 1.0, "y": 0.0}, True),
        ("x or y and z", {"x": 1.0, "y": 0.0, "z": 0.0}, True),
        ("(x or y) and z", {"x": 1.0, "y": 0.0, "z": 0.0}, False),
        ("not x < y", {"x": 1.0, "y": 2.0}, False),
        ("- - x", {"x": 2.0}, 2.0),
        ("+x", {"x": 2.0}, 2.0),
        ("2e-1 * 10", {}, 2.0),
        (".5 + 1.", {}, 1.5),
        ("if(x, 1, 2)", {"x": 0.0}, 2.0),
        ("(x > 1) * 5", {"x": 2.0}, 5.0),
        ("min(3, x, 1)", {"x": 2.0}, 1.0),
        ("max(3, x, 1)", {"x": 4.0}, 4.0),
        ("clip(x, 0, 1)", {"x": 4.0}, 1.0),
    ],
)
def test_precedence_and_semantics(text: str, env: dict[str, float], expected: Any) -> None:
    value, typ = evaluate(text, env)
    assert value == expected
    assert typ == ("bool" if isinstance(expected, bool) else "num")


def test_vectorised_over_draws() -> None:
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    value, _ = evaluate("if(x > 0, sqrt(x), -x) + min(x, 1)", {"x": x})
    np.testing.assert_array_equal(value, [0.0, 0.0, math.sqrt(0.5) + 0.5, math.sqrt(2.0) + 1.0])


def test_names_and_path_refs() -> None:
    expr = parse('played("a", "b") and x > y or reached("c")')
    assert expr.names == {"x", "y"}
    assert expr.path_refs == {("played", "a", "b"), ("reached", "c")}


# ------------------------------------------------------- generated expression trees

NUMBERS = st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 10.0, 1e-3, 1e12, 123.25])
EXPONENTS = st.sampled_from([0, 1, 2, 3, -1, -2, 0.5])
ARITH = ["+", "-", "*", "/"]
COMPARE = ["<", "<=", ">", ">=", "==", "!="]
LOGIC = ["and", "or"]
ARITY = {
    "min": (2, 3),
    "max": (2, 3),
    "clip": (3, 3),
    "abs": (1, 1),
    "exp": (1, 1),
    "log": (1, 1),
    "sqrt": (1, 1),
    "if": (3, 3),
}
assert set(ARITY) == set(FUNCTIONS)


def _trees(children: st.SearchStrategy) -> st.SearchStrategy:
    calls = st.sampled_from(sorted(ARITY)).flatmap(
        lambda f: st.lists(children, min_size=ARITY[f][0], max_size=ARITY[f][1]).map(
            lambda args: ("call", f, tuple(args))
        )
    )
    return st.one_of(
        st.tuples(st.just("neg"), children),
        st.tuples(st.just("not"), children),
        st.tuples(st.just("bin"), st.sampled_from(ARITH + COMPARE + LOGIC), children, children),
        st.tuples(st.just("pow"), children, EXPONENTS),
        calls,
    )


LEAVES = st.one_of(st.tuples(st.just("num"), NUMBERS), st.tuples(st.just("var"), st.sampled_from(VARS)))
TREES = st.recursive(LEAVES, _trees, max_leaves=10)

# --- rendering: fully parenthesised, and with the fewest parentheses Python needs

PREC = {
    "or": 1,
    "and": 2,
    "not": 3,
    **dict.fromkeys(COMPARE, 4),
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "neg": 7,
    "pow": 8,
    "atom": 9,
}


def _num_text(v: float) -> str:
    return repr(float(v))


def render_full(t: tuple) -> str:
    kind = t[0]
    if kind == "num":
        return _num_text(t[1])
    if kind == "var":
        return t[1]
    if kind == "neg":
        return f"(-{render_full(t[1])})"
    if kind == "not":
        return f"(not {render_full(t[1])})"
    if kind == "bin":
        return f"({render_full(t[2])} {t[1]} {render_full(t[3])})"
    if kind == "pow":
        return f"({render_full(t[1])} ** {t[2]})"
    return f"{t[1]}({', '.join(render_full(a) for a in t[2])})"


def render_min(t: tuple) -> tuple[str, int]:
    """Text with minimal parentheses under Python's (and trapsim's) precedence, and its level."""
    kind = t[0]
    if kind in ("num", "var"):
        return (_num_text(t[1]) if kind == "num" else t[1]), PREC["atom"]
    if kind == "call":
        return f"{t[1]}({', '.join(render_min(a)[0] for a in t[2])})", PREC["atom"]

    def wrap(sub: tuple, need: int) -> str:
        text, level = render_min(sub)
        return text if level >= need else f"({text})"

    if kind == "neg":
        return "-" + wrap(t[1], PREC["neg"]), PREC["neg"]
    if kind == "not":
        return "not " + wrap(t[1], PREC["not"]), PREC["not"]
    if kind == "pow":
        return f"{wrap(t[1], PREC['atom'])} ** {t[2]}", PREC["pow"]
    op, level = t[1], PREC[t[1]]
    if op in COMPARE:  # non-associative: both sides one level up
        return f"{wrap(t[2], level + 1)} {op} {wrap(t[3], level + 1)}", level
    return f"{wrap(t[2], level)} {op} {wrap(t[3], level + 1)}", level


# --- the reference: one draw at a time, plain Python over the tree


def _np1(f: Any, *args: float) -> float:
    with np.errstate(all="ignore"):
        return float(f(*(np.array([a]) for a in args))[0])


def _div(a: float, b: float) -> float:
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a) or math.isnan(b):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _as_num(v: Any) -> float:
    return float(v)  # True/False count as 1/0


def _truth(v: Any) -> Any:
    """True, False, or NaN: a condition on NaN is unknown, so the run stops where it is checked."""
    if isinstance(v, bool):
        return v
    return math.nan if math.isnan(v) else v != 0


def _unknown(*values: Any) -> bool:
    return any(isinstance(v, float) and math.isnan(v) for v in values)


def _minmax(values: list[float], smaller: bool) -> float:
    out = values[0]
    for v in values[1:]:
        if math.isnan(out) or math.isnan(v):
            out = math.nan
        elif (v < out) if smaller else (v > out):
            out = v
    return out


def reference(t: tuple, env: dict[str, float]) -> Any:
    kind = t[0]
    if kind == "num":
        return float(t[1])
    if kind == "var":
        return env[t[1]]
    if kind == "neg":
        return -_as_num(reference(t[1], env))
    if kind == "not":
        c = _truth(reference(t[1], env))
        return math.nan if _unknown(c) else not c
    if kind == "pow":
        # the exponent as a Python float, as trapsim passes it: numpy then takes its
        # sqrt fast path for 0.5 (so (-inf) ** 0.5 is nan, not C99's inf)
        with np.errstate(all="ignore"):
            return float(np.power(np.array([_as_num(reference(t[1], env))]), float(t[2]))[0])
    if kind == "bin":
        op = t[1]
        a, b = reference(t[2], env), reference(t[3], env)
        if op in ("and", "or"):
            ta, tb = _truth(a), _truth(b)
            return math.nan if _unknown(ta, tb) else (ta and tb) if op == "and" else (ta or tb)
        a, b = _as_num(a), _as_num(b)
        if op in COMPARE and _unknown(a, b):
            return math.nan
        return {
            "+": lambda: a + b,
            "-": lambda: a - b,
            "*": lambda: a * b,
            "/": lambda: _div(a, b),
            "<": lambda: a < b,
            "<=": lambda: a <= b,
            ">": lambda: a > b,
            ">=": lambda: a >= b,
            "==": lambda: a == b,
            "!=": lambda: a != b,
        }[op]()
    f, args = t[1], [reference(a, env) for a in t[2]]
    if f == "if":
        c, a, b = args
        tc = _truth(c)
        if _unknown(tc):
            return math.nan
        if reference_type(t[2][1]) == reference_type(t[2][2]) == "bool":
            return a if tc else b
        return _as_num(a) if tc else _as_num(b)
    nums = [_as_num(a) for a in args]
    if f in ("min", "max"):
        return _minmax(nums, f == "min")
    if f == "clip":
        return _minmax([_minmax([nums[0], nums[1]], smaller=False), nums[2]], smaller=True)
    if f == "abs":
        return abs(nums[0])
    return _np1({"exp": np.exp, "log": np.log, "sqrt": np.sqrt}[f], nums[0])


def reference_type(t: tuple) -> str:
    kind = t[0]
    if kind == "not" or (kind == "bin" and t[1] in COMPARE + LOGIC):
        return "bool"
    if kind == "call" and t[1] == "if":
        return "bool" if reference_type(t[2][1]) == reference_type(t[2][2]) == "bool" else "num"
    return "num"


DRAW_VALUES = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -3.0, 1e-300, 1e300, math.inf, -math.inf, math.nan]),
    st.floats(-1e3, 1e3),
)
ENVS = st.integers(1, 6).flatmap(
    lambda n: st.fixed_dictionaries({v: st.lists(DRAW_VALUES, min_size=n, max_size=n) for v in VARS})
)


def _compare(tree: tuple, text: str, env_lists: dict[str, list[float]]) -> None:
    env = {k: np.array(v, dtype=np.float64) for k, v in env_lists.items()}
    n = len(env_lists["x"])
    got, typ = evaluate(text, env)
    assert typ == reference_type(tree), text
    got = np.broadcast_to(np.asarray(got), (n,))
    want = [reference(tree, {k: v[i] for k, v in env_lists.items()}) for i in range(n)]
    if typ == "bool" and not _unknown(*want):
        assert got.dtype == bool, text
        assert got.tolist() == want, text
    else:
        np.testing.assert_array_equal(got.astype(np.float64), np.array(want, dtype=np.float64), err_msg=text)


@given(tree=TREES, env=ENVS)
def test_generated_trees_match_reference_fully_parenthesised(tree: tuple, env: dict) -> None:
    _compare(tree, render_full(tree), env)


@given(tree=TREES, env=ENVS)
def test_generated_trees_match_reference_minimal_parentheses(tree: tuple, env: dict) -> None:
    """Precedence and associativity: the fewest parentheses Python needs give the same value."""
    _compare(tree, render_min(tree)[0], env)


@given(tree=TREES)
def test_constant_folding_matches_reference(tree: tuple) -> None:
    """With every variable replaced by a number, the expression folds to the reference value."""

    def fix(t: tuple) -> tuple:
        if t[0] == "var":
            return ("num", {"x": 0.5, "y": 2.0, "z": 3.0}[t[1]])
        if t[0] in ("neg", "not"):
            return (t[0], fix(t[1]))
        if t[0] == "bin":
            return ("bin", t[1], fix(t[2]), fix(t[3]))
        if t[0] == "pow":
            return ("pow", fix(t[1]), t[2])
        if t[0] == "call":
            return ("call", t[1], tuple(fix(a) for a in t[2]))
        return t

    const = fix(tree)
    _compare(const, render_full(const), {"x": [0.0], "y": [0.0], "z": [0.0]})


# ------------------------------------------------------------ the parser never crashes

TOKENS = [
    "x",
    "y",
    "1",
    "2.5",
    "1e3",
    "+",
    "-",
    "*",
    "/",
    "**",
    "(",
    ")",
    ",",
    "<",
    "==",
    "!=",
    "and",
    "or",
    "not",
    "min",
    "max",
    "clip",
    "if",
    "log",
    "'a'",
    '"b"',
    ".",
    "[",
    "]",
    ":",
    "played",
    "reached",
    "payoff",
    "__class__",
    "lambda",
    "=",
    "!",
    "^",
    "#",
    "\\",
    "\n",
]


def _never_crashes(text: str) -> None:
    try:
        expr = parse(text)
    except ExpressionError:
        return
    try:
        typ = check(expr, TYPES)
    except ExpressionError:
        return
    fn = compile_expr(expr, TYPES)
    env = {v: np.array([0.0, 1.0, -2.0]) for v in VARS}
    with np.errstate(all="ignore"):
        fn(env)
    assert typ in ("num", "bool")


@given(st.text(max_size=80))
def test_parser_raises_only_expression_error_on_any_text(text: str) -> None:
    _never_crashes(text)


@given(st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join))
def test_parser_raises_only_expression_error_on_token_soup(text: str) -> None:
    _never_crashes(text)


def test_non_string_input_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError):
        parse(12)  # type: ignore[arg-type]
