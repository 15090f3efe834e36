"""Messages a student meets: one mistake, one clear line, with the fix when trapsim can tell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trapsim import api

DATA = Path(__file__).parent / "data"


@pytest.fixture
def starter(tmp_path: Path) -> str:
    """A valid scenario to break (the one `trapsim init` writes)."""
    return api.starter_scenario("crisis")


def _lines(invoke, tmp_path: Path, text: str | bytes, *args: object) -> list[str]:
    path = tmp_path / "s.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    r = invoke("validate", path, *args)
    assert r.exit_code == 2, r.output
    return [line.replace(f"{path}: ", "") for line in r.output.splitlines()]


def test_a_misspelt_dist_names_the_key_written_and_suggests_dist(invoke, tmp_path, starter) -> None:
    text = starter.replace('p_win = { dist = "uniform"', 'p_win = { dsit = "uniform"')
    assert _lines(invoke, tmp_path, text) == [
        "error: parameters.p_win.dsit: unknown key (a distribution needs 'dist') (did you mean 'dist'?)"
    ]


def test_a_misspelt_required_key_is_one_line_not_two(invoke, tmp_path, starter) -> None:
    text = starter.replace('name = "Challenger"', 'nme = "Challenger"')
    assert _lines(invoke, tmp_path, text) == [
        "error: actors.challenger.nme: unknown key (expected one of: color, description, name, payoff_unit) "
        "(did you mean 'name'?)"
    ]


def test_a_byte_order_mark_gets_a_hint(invoke, tmp_path, starter) -> None:
    lines = _lines(invoke, tmp_path, b"\xef\xbb\xbf" + starter.encode())
    assert lines == [
        "error: line 1, column 1: the file starts with a byte-order mark (BOM), which TOML does not allow; "
        "save it as plain 'UTF-8', not 'UTF-8 with BOM'"
    ]


def test_an_unterminated_string_says_so(invoke, tmp_path, starter) -> None:
    text = starter.replace('title = "Press or hold back?"', 'title = "Press or hold back?')
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("title = "))
    (only,) = _lines(invoke, tmp_path, text)
    assert only.startswith(f"error: line {line}, column ")
    assert only.endswith("unterminated string: a quote opened on this line is not closed on it")
    (only,) = _lines(invoke, tmp_path, starter + '\nextra = "never closed')
    assert only == "error: unterminated string: a quote is not closed before the end of the file"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("low = 0.3, high = 0.7", "low = 0,3, high = 0.7", "a decimal comma: TOML numbers use a point (0.5, not 0,5)"),
        (
            'title = "Press or hold back?"',
            "title = \u201cPress or hold back?\u201d",
            'curly quotes (\u201c \u201d \u2018 \u2019) are not TOML quotes: type straight quotes " '
            "(a phone or word processor may have replaced them)",
        ),
        (
            'title = "Press or hold back?"',
            'title = "Press or hold back?"\ntitle = "Again"',
            "'title' is given twice in this table: keep one of them",
        ),
        ("[scenario]", "[scenario]\n[scenario]", "the table [scenario] appears twice: merge the two into one"),
    ],
)
def test_syntax_mistakes_students_make_get_a_fix(invoke, tmp_path, starter, old: str, new: str, message: str) -> None:
    """tomllib says "Invalid value", "Cannot overwrite a value", "Expected newline ...": no key, no fix."""
    text = starter.replace(old, new, 1)
    assert text != starter
    (only,) = _lines(invoke, tmp_path, text)
    assert only.startswith("error: line ")
    assert only.endswith(message)


@pytest.mark.parametrize(
    ("old", "new", "only"),
    [
        (
            'actor = "challenger"',
            'actr = "challenger"',
            "error: nodes.challenger_move.actr: unknown key (expected one of: actions, actor, chance, "
            "description, label, next) (did you mean 'actor'?)",
        ),
        ("[payoffs]", "[payoff]", "(did you mean 'payoffs'?)"),
        (
            "status_quo     = { challenger = 0, defender = 0 }",
            "status_quo     = { challenger = 0, defnder = 0 }",
            "error: payoffs.status_quo.defnder: unknown actor (did you mean 'defender'?)",
        ),
        (
            'press = "defender_move"',
            'press = "defender_mov"',
            "error: nodes.challenger_move.next.press: unknown node or outcome 'defender_mov' "
            "(did you mean 'defender_move'?)",
        ),
    ],
)
def test_a_misspelling_is_not_also_reported_as_its_consequence(
    invoke, tmp_path, starter, old: str, new: str, only: str
) -> None:
    """Before: a second line for what the typo left missing (no actor, no [payoffs], no payoff for
    defender) or unreachable (the node the typo meant), leading a student to fix the wrong line."""
    text = starter.replace(old, new, 1)
    assert text != starter
    (line,) = _lines(invoke, tmp_path, text)
    assert line.endswith(only)


def test_a_misspelt_declaration_is_one_line_at_the_declaration(invoke, tmp_path, starter) -> None:
    """Before: one "unknown name 'p_win'" line per use (4), each suggesting the misspelt 'p_wn'."""
    text = starter.replace("p_win = {", "p_wn = {", 1)
    (line,) = _lines(invoke, tmp_path, text)
    assert line.startswith("error: parameters.p_wn: declared as 'p_wn' but used as 'p_win' in ")
    assert line.endswith("(did you mean 'p_win'?)")
    # one misspelt use of a correct declaration stays one line at the use
    text = starter.replace('chance = { defender_wins = "p_win"', 'chance = { defender_wins = "p_wim"', 1)
    (line,) = _lines(invoke, tmp_path, text)
    assert line.startswith("error: nodes.war.chance.defender_wins: unknown name 'p_wim'")


def test_an_independent_second_mistake_is_still_reported(invoke, tmp_path, starter) -> None:
    """The consequence rule drops only what follows from the misspelling."""
    text = starter.replace('actor = "challenger"', 'actr = "challenger"', 1)
    text = text.replace("status_quo     = { challenger = 0, defender = 0 }", "status_quo     = { challenger = 0 }")
    lines = _lines(invoke, tmp_path, text)
    assert len(lines) == 2
    assert "error: payoffs.status_quo: missing payoff for defender (every outcome names every actor)" in lines
    assert any(line.endswith("(did you mean 'actor'?)") for line in lines)


def test_an_upper_case_actor_id_is_one_line_with_the_fix(invoke, tmp_path, starter) -> None:
    """Before: the invalid id and then every payoff, node and trap naming the actor (7 lines)."""
    text = starter.replace("[actors.challenger]", "[actors.Challenger]")
    assert _lines(invoke, tmp_path, text) == [
        "error: actors.Challenger: invalid actor id 'Challenger' (use lower-case letters, digits and _, "
        "starting with a letter) (did you mean 'challenger'?)"
    ]


def test_a_misspelt_table_name_does_not_cascade(invoke, tmp_path, starter) -> None:
    text = starter.replace("[derived]", "[derive]").replace(
        'defender_won   = { challenger = "-war_cost"', 'defender_won   = { challenger = "war_value"'
    )
    (only,) = _lines(invoke, tmp_path, text)
    assert only.startswith("error: derive: unknown top-level table") and only.endswith("(did you mean 'derived'?)")


def test_ln_suggests_log(invoke, tmp_path, starter) -> None:
    text = starter.replace('war_value = "(1 - p_win) * stake - war_cost"', 'war_value = "ln(stake) - war_cost"')
    (only,) = _lines(invoke, tmp_path, text)
    assert only.endswith("unknown function 'ln' at position 1 in \"ln(stake) - war_cost\" (did you mean 'log'?)")


@pytest.mark.parametrize("option", [["run", "--set", "war_value=1"], ["sweep", "--vary", "war_value=0:1:3"]])
def test_setting_a_derived_value_lists_the_parameters_it_is_computed_from(invoke, tmp_path, starter, option):
    path = tmp_path / "crisis.toml"
    path.write_text(starter, encoding="utf-8")
    r = invoke(option[0], path, *option[1:], "--draws", 100)
    assert r.exit_code == 2
    assert "(it is a derived value, computed from p_win, stake, war_cost: set those instead)" in r.output


def test_an_unseeded_run_prints_a_short_seed_that_repeats_it(invoke, tmp_path, starter) -> None:
    path = tmp_path / "crisis.toml"
    path.write_text(starter.replace("seed = 1 ", "# no seed "), encoding="utf-8")
    r = invoke("run", path, "--draws", 500, "--no-figures", "--out", tmp_path)
    assert r.exit_code == 0, r.output
    first = json.loads((tmp_path / "crisis.json").read_text())
    seed = first["seed"]
    assert 0 <= seed < 10**9 and f"seed {seed} (random: --seed {seed} repeats this run)" in r.output
    r = invoke("run", path, "--draws", 500, "--no-figures", "--out", tmp_path, "--seed", seed)
    again = json.loads((tmp_path / "crisis.json").read_text())
    assert again["traps"] == first["traps"]


def test_a_trap_that_never_fires_says_so_in_one_line(invoke, tmp_path, starter) -> None:
    path = tmp_path / "crisis.toml"
    path.write_text(
        starter.replace(
            """when = 'played("challenger_move", "press") and payoff("challenger") < 0'""",
            """when = 'payoff("challenger") < -5'""",
        ),
        encoding="utf-8",
    )
    r = invoke("run", path, "--draws", 2000, "--no-figures", "--out", tmp_path)
    assert r.exit_code == 0, r.output
    notes = [line for line in r.output.splitlines() if line.startswith("note:")]
    # 0 of 2000: the Wilson upper bound is z^2 / (n + z^2) = 0.19%
    assert notes == [
        "note: regret never fired in 2,000 draws (rate below 0.19% at 95%); "
        "if it should, check its condition with trapsim explain"
    ]


def test_unstable_sensitivity_indices_say_so(invoke, tmp_path, starter) -> None:
    path = tmp_path / "crisis.toml"
    path.write_text(starter, encoding="utf-8")
    r = invoke("sensitivity", path, "--draws", 8, "--seed", 1, "--no-figures", "--out", tmp_path)
    assert r.exit_code == 0, r.output
    unstable = [line.strip() for line in r.output.splitlines() if line.strip().startswith("unstable:")]
    assert unstable and all(line.endswith("rerun with --draws 16 or more") for line in unstable)
    r = invoke("sensitivity", path, "--draws", 4096, "--seed", 1, "--no-figures", "--out", tmp_path)
    assert "unstable:" not in r.output
