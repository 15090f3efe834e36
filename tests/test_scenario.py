"""Loading and validation: a catalogue of malformed scenarios, checked through the CLI.

Every file in ``tests/data/bad/`` starts with comment lines stating what the
validator must say about it::

    # expect-key: nodes.first.next.invoke      (one or more: each must be reported)
    # expect-text: unknown node or outcome     (optional)
    # expect-suggestion: second                (optional: the "did you mean")
"""

from __future__ import annotations

import copy
import json
import math
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import trapsim
from trapsim.errors import ScenarioError
from trapsim.scenario import loads

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"
BAD_FILES = sorted(BAD.glob("*.toml"))


def _expectations(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"key": [], "text": [], "suggestion": []}
    for line in path.read_text().splitlines():
        m = re.match(r"# expect-(key|text|suggestion): (.*)", line)
        if m:
            out[m[1]].append(m[2].strip())
    return out


def test_catalogue_is_large_enough() -> None:
    assert len(BAD_FILES) >= 30
    for path in BAD_FILES:
        assert _expectations(path)["key"], f"{path.name} states no expected key path"


@pytest.mark.parametrize("path", BAD_FILES, ids=[p.stem for p in BAD_FILES])
def test_bad_file_is_reported(path: Path, invoke) -> None:
    want = _expectations(path)
    result = invoke("validate", path)
    out = result.output
    assert result.exit_code == 2, out
    assert "Traceback" not in out
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in out.splitlines() if line]
    assert lines, "no message at all"
    for line in lines:  # every line is one problem, naming the file
        assert line.startswith(f"error: {path}: "), line
    for key in want["key"]:
        hits = [line for line in lines if f"{path}: {key}" in line]
        assert hits, f"no line names {key!r}:\n{out}"
    for text in want["text"]:
        assert text in out, f"{text!r} missing from:\n{out}"
    for word in want["suggestion"]:
        assert f"(did you mean '{word}'?)" in out, out


def test_several_problems_are_all_reported_one_line_each(invoke) -> None:
    path = BAD / "several_problems.toml"
    result = invoke("validate", path)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    keys = _expectations(path)["key"]
    assert len(keys) >= 5
    for key in keys:
        assert sum(f"{path}: {key}:" in line for line in lines) == 1, key
    # the API raises one ScenarioError carrying every problem
    with pytest.raises(ScenarioError) as info:
        trapsim.load(str(path))
    assert {p.key for p in info.value.problems} >= set(keys)
    assert all(p.file == str(path) for p in info.value.problems)


@pytest.mark.parametrize("name", ["uniform_low_high", "beta_a_nonpositive", "text_for_number", "dist_unknown"])
def test_bad_parameter_gives_one_problem_not_a_cascade(name: str) -> None:
    """A malformed parameter is still declared: its users are not reported as unknown names."""
    with pytest.raises(ScenarioError) as info:
        trapsim.load(str(BAD / f"{name}.toml"))
    assert len(info.value.problems) == 1, info.value.lines()


def test_bad_derived_value_gives_one_problem() -> None:
    with pytest.raises(ScenarioError) as info:
        trapsim.load(str(BAD / "subscript.toml"))
    assert [p.key for p in info.value.problems] == ["derived.net"]


def test_toml_syntax_error_names_line_and_column() -> None:
    with pytest.raises(ScenarioError) as info:
        trapsim.load(str(BAD / "toml_syntax.toml"))
    (problem,) = info.value.problems
    assert problem.key == "line 27, column 13"
    assert problem.message.startswith("TOML syntax error")


def test_validate_good_files(invoke) -> None:
    files = [DATA / "simple.toml", *sorted(DATA.glob("core_*.toml"))]
    result = invoke("validate", *files)
    assert result.exit_code == 0, result.output
    for f in files:
        assert f"{f}: ok" in result.output


def test_validate_reports_good_and_bad_files_together(invoke) -> None:
    good, bad = DATA / "simple.toml", BAD / "root_unknown.toml"
    result = invoke("validate", good, bad)
    assert result.exit_code == 2
    assert f"{good}: ok" in result.output
    assert f"error: {bad}: scenario.root" in result.output


def test_validate_missing_file(invoke, tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    result = invoke("validate", missing)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"error: {missing}: cannot read file" in result.output


@pytest.mark.parametrize("value", ["[" * 100_000 + "]" * 100_000, "{ a = " * 5000 + "1" + " }" * 5000])
def test_deeply_nested_toml_is_a_clean_error(invoke, tmp_path: Path, value: str) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(f"x = {value}\n")
    result = invoke("validate", path)
    assert result.exit_code == 2, result.output
    assert f"error: {path}: TOML syntax error: arrays or tables nested too deeply" in result.output


def test_validate_non_utf8_file(invoke, tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[scenario]\nname = "caf\xe9"\n')
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert "not UTF-8" in result.output


def test_every_command_validates_before_work(invoke) -> None:
    bad = BAD / "unknown_target.toml"
    for command in ("run", "solve"):
        result = invoke(command, bad)
        assert result.exit_code == 2, (command, result.output)
        assert "Traceback" not in result.output
        assert f"error: {bad}: nodes.first.next.invoke" in result.output


def test_outcome_rows_may_be_shared_by_several_parents() -> None:
    text = """
    [scenario]
    name = "shared"
    root = "a"
    [actors.x]
    name = "X"
    [nodes.a]
    actor = "x"
    next = { l = "b", r = "same" }
    [nodes.b]
    actor = "x"
    next = { l = "same", r = "other" }
    [payoffs]
    same = { x = 1 }
    other = { x = 0 }
    """
    sc = loads(text)
    assert set(sc.outcomes) == {"same", "other"}


def _history_game(payoff_x: str, payoff_y: str) -> str:
    """Two ways into outcome `end` (X plays l or r, then Y plays g), with a parameter u on [0, 1]."""
    return f"""
    [scenario]
    name = "history"
    root = "a"
    [actors.x]
    name = "X"
    [actors.y]
    name = "Y"
    [parameters]
    u = {{ dist = "uniform", low = 0, high = 1 }}
    [nodes.a]
    actor = "x"
    next = {{ l = "b", r = "b" }}
    [nodes.b]
    actor = "y"
    next = {{ g = "end", s = "stop" }}
    [payoffs]
    end = {{ x = "{payoff_x}", y = "{payoff_y}" }}
    stop = {{ x = 0, y = 0 }}
    """


def test_a_payoff_that_fails_after_one_history_only_is_found() -> None:
    """Validation evaluates a payoff once per values of the history it reads (not once per history of its
    row): X's payoff fails only after r, while Y's reads other moves; X's failure is still found."""
    text = _history_game("if(played('a', 'r'), log(u - 2), u)", "u * played('b', 'g') + played('a', 'l')")
    with pytest.raises(ScenarioError) as err:
        loads(text)
    (problem,) = err.value.problems
    assert problem.key == "payoffs.end.x" and "is nan at the central values" in problem.message
    loads(_history_game("if(played('a', 'r'), u, log(u + 1))", "u * played('b', 'g') + played('a', 'l')"))


def test_loaded_model_fields() -> None:
    sc = trapsim.load(str(DATA / "simple.toml"))
    assert sc.name == "simple" and sc.root == "entrant"
    assert sc.actor_ids == ("ent", "inc")
    assert sc.parameter("cost").dist.kind == "uniform"
    assert sc.parameter("p_strong").dist.kind == "constant"
    assert [t.id for t in sc.traps] == ["fight", "entry_regret"]
    assert sc.nodes["entrant"].actions == ("enter", "stay")  # listing order is kept
    assert len(sc.sha256) == 64


# ------------------------------------------------------------ fuzzing the validator


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v).replace("inf", "inf").replace("nan", "nan")
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    assert isinstance(v, dict)
    return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"


def _toml(doc: dict) -> str:
    return "\n".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in doc.items()) + "\n"


REPLACEMENTS = st.one_of(
    st.sampled_from(
        [
            0,
            1,
            -1,
            0.5,
            2.5,
            math.inf,
            -math.inf,
            math.nan,
            True,
            False,
            "",
            "first",
            "won",
            "russia",
            "x",
            "1 - cost",
            "cost > 0",
            'played("first", "invoke")',
            "max",
            "Z",
            [],
            [1, 2, 3],
            [0, 1, 5],
            ["a"],
            {},
            {"dist": "uniform"},
            {"a": 1},
            {"russia": 1, "dprk": 2},
            None,
        ]
    ),
    st.integers(-10, 10),
    st.text(max_size=8),
)


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(doc: dict, path: tuple, value: object) -> None:
    target = doc
    for step in path[:-1]:
        target = target[step]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = copy.deepcopy(value)


BASE_DOC = tomllib.loads(re.sub(r"(?m)^#.*$", "", (BAD / "several_problems.toml").read_text()))
GOOD_DOC = tomllib.loads((BAD / "root_unknown.toml").read_text().replace('"frist"', '"first"'))


@given(data=st.data())
def test_validator_never_crashes_on_mutated_files(data) -> None:
    """Any value of any type at any key: a Scenario or a ScenarioError, nothing else."""
    doc = copy.deepcopy(data.draw(st.sampled_from([GOOD_DOC, BASE_DOC])))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        _mutate(doc, data.draw(st.sampled_from(paths)), data.draw(REPLACEMENTS))
    text = _toml(doc)
    try:
        sc = loads(text, path="fuzz.toml")
    except ScenarioError as exc:
        assert exc.problems
        for line in exc.lines():
            assert line.startswith("fuzz.toml: ") and "\n" not in line
        return
    trapsim.solve(sc)  # a file that validates can be solved


def test_good_base_document_is_valid() -> None:
    assert loads(_toml(GOOD_DOC)).name == "mini"
