"""Gambit .efg files: trapsim's own reader, the writer, `trapsim export`, `solve --all-spe`.

The solver's agreement with Gambit is in ``test_solver_oracle.py``; here each
feature of the format and of the commands is checked on small hand-written
files with known answers.
"""

from __future__ import annotations

import io
import json
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import trapsim
from trapsim import api
from trapsim.efg import chance_fractions, efg_text_to_toml, loads_efg, make_ident, write_efg
from trapsim.equilibrium import all_spe, game_at, solve
from trapsim.errors import ScenarioError
from trapsim.model import ChanceNode, DecisionNode
from trapsim.scenario import loads

DATA = Path(__file__).parent / "data"
GAMBIT = DATA / "gambit"
TEACHING = GAMBIT / "teaching" / "deterrence_tie.efg"
PERFECT_INFO = sorted(GAMBIT.glob("*.efg")) + sorted((GAMBIT / "extra").glob("*.efg"))
IMPERFECT = sorted((GAMBIT / "imperfect").glob("*.efg"))

TINY = """EFG 2 R "Tiny entry game" { "Entrant" "Incumbent" }
"chance move, repeated outcomes, one non-terminal outcome"
p "root" 1 1 "E" { "Out" "In" } 0
t "" 1 "stay out" { 0, 4 }
c "cost draw" 1 "cost" { "low" 3/4 "high" 0.25 } 0
p "" 2 1 "I-low" { "Fight" "Accommodate" } 0
t "" 2 "fight" { -1, -1 }
t "" 3 "share" { 2 2 }
p "" 2 2 "I-high" { "Fight" "Accommodate" } 4 "entry fee" { -1/2, 0 }
t "" 2
t "" 3
"""


def _payoffs(sc: trapsim.Scenario, outcome: str) -> list[float]:
    """An outcome row's payoffs (constants) in actor order."""
    model = game_at(sc)
    k = list(sc.outcomes).index(outcome)
    return [float(x) for x in model.payoffs[k, :, 0]]


# ------------------------------------------------------------------ reading


def test_tiny_game_from_the_format_notes() -> None:
    sc = loads_efg(TINY, path="tiny.efg")
    assert sc.actor_ids == ("entrant", "incumbent")
    assert [a.name for a in sc.actors] == ["Entrant", "Incumbent"]
    assert sc.title == "Tiny entry game" and sc.name == "tiny"
    assert sc.description == "chance move, repeated outcomes, one non-terminal outcome"
    assert list(sc.nodes) == ["root", "cost_draw", "n4", "n7"]  # labels, else prefix position
    # one row per terminal node; the inner outcome "entry fee" is added along its path
    assert list(sc.outcomes) == ["stay_out", "fight", "share", "fight_2", "share_2"]
    assert _payoffs(sc, "fight_2") == [-1.5, -1.0]
    assert _payoffs(sc, "share_2") == [1.5, 2.0]
    assert not sc.parameters and not sc.traps
    eq = solve(sc)
    assert eq.payoffs == {"entrant": pytest.approx(1.875), "incumbent": pytest.approx(2.0)}
    assert eq.strategy == {"root": "In", "n4": "Accommodate", "n7": "Accommodate"}


def test_numbers_in_every_spelling_and_exact_chance() -> None:
    text = """EFG 2 D "numbers" { "A" "B" }
c "" 1 "" { "x" 1/3 "y" 1/6 "z" .5 } 0
t "" 1 "" { 1e1, +3 }
t "" 2 "" { -2/4 1.25e-1 }
t "" 3 "" { 7/3, -0.75 }
"""
    sc = loads_efg(text)
    node = sc.nodes["n1"]
    assert isinstance(node, ChanceNode)
    assert [p.source for p in node.probs] == ["1/3", "1/6", "0.5"]
    assert _payoffs(sc, "t2") == [10.0, 3.0]
    assert _payoffs(sc, "t3") == [-0.5, 0.125]
    assert _payoffs(sc, "t4") == pytest.approx([7 / 3, -0.75], abs=0)
    assert solve(sc).payoffs["a"] == pytest.approx(10 / 3 - 0.5 / 6 + 7 / 6, rel=1e-15)


def test_quotes_in_text_no_comment_and_repeated_infoset() -> None:
    text = r"""EFG 2 R "The \"big\" game" { "Mr \"X\"" "Y" }
p "a" 1 1 "one" { "l" "r" } 0
p "b" 2 1 "two" { "u" "d" } 0
t "" 1 "o1" { 1 1 }
t "" 2 "o2" { 0 2 }
p "c" 2 2 "three" { "u" "d" } 0
t "" 3 "o3" { 2 0 }
t "" 1
"""
    sc = loads_efg(text)
    assert sc.title == 'The "big" game' and sc.actors[0].name == 'Mr "X"'
    assert sc.actor_ids == ("mr_x", "y") and sc.description == ""
    assert list(sc.outcomes) == ["o1", "o2", "o3", "o1_2"]
    assert solve(sc).payoffs == {"mr_x": 1.0, "y": 1.0}


def test_ids_are_deterministic_unique_and_not_reserved() -> None:
    text = """EFG 2 R "ids" { "Player 1" "player 1" "1" "max" "Côte d'Ivoire" "" }
p "n2" 1 1 "" { "" "" "go" } 0
p "" 2 1 "" { "a" "a" } 0
t "if" 0
t "" 0
t "n2" 0
t "" 1 "Peace" { 1 2 3 4 5 6 }
"""
    sc = loads_efg(text, path="9 lives.efg")
    assert sc.actor_ids == ("player_1", "player_1_2", "player_1_3", "max_", "cote_d_ivoire", "player_6")
    assert sc.name == "game_9_lives"
    assert list(sc.nodes) == ["n2", "n2_2"]  # the label "n2" first, then position n2 deduplicated
    assert list(sc.outcomes) == ["if_", "t4", "n2_3", "peace"]
    root = sc.nodes["n2"]
    assert isinstance(root, DecisionNode) and root.actions == ("1", "2", "go")
    assert sc.nodes["n2_2"].actions == ("a", "a (2)")
    assert make_ident("--", prefix="x_") == ""
    assert make_ident("2nd Army", prefix="n_") == "n_2nd_army"


@pytest.mark.parametrize("path", PERFECT_INFO, ids=lambda p: p.name)
def test_every_perfect_information_sample_reads(path: Path) -> None:
    sc = api.load(str(path))
    assert sc.path == str(path) and len(sc.sha256) == 64
    assert len(sc.outcomes) == path.read_text().count("\nt ")
    assert all(isinstance(n, DecisionNode | ChanceNode) for n in sc.nodes.values())


@pytest.mark.parametrize("path", IMPERFECT, ids=lambda p: p.name)
def test_imperfect_information_is_refused_clearly(path: Path, invoke) -> None:
    with pytest.raises(ScenarioError) as info:
        api.load(str(path))
    first = info.value.problems[0]
    assert re.match(r'player \d+ \(".*"\), information set \d+', first.key), first.key
    assert "imperfect information" in first.message and "lines" in first.message
    result = invoke("solve", path)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.startswith(f"error: {path}: player ")


def test_imperfect_message_names_player_infoset_and_lines() -> None:
    text = """EFG 2 R "" { "Row" "Column" }
p "" 1 1 "" { "T" "B" } 0
p "" 2 1 "col" { "L" "R" } 0
t "" 1 "" { 1 1 }
t "" 2 "" { 0 0 }
p "" 2 1 0
t "" 3 "" { 0 0 }
t "" 4 "" { 2 2 }
"""
    with pytest.raises(ScenarioError) as info:
        loads_efg(text, path="g.efg")
    assert str(info.value) == (
        'g.efg: player 2 ("Column"), information set 1 ("col"): holds 2 nodes (lines 3, 6): the '
        "game has imperfect information, and trapsim solves only perfect-information games "
        "(every decision node its own information set)"
    )


HEAD = 'EFG 2 R "g" { "A" "B" }\n'
SYNTAX_ERRORS = [
    ('EFG 3 R "g" { "A" }\n', 1, 5, "only version 2"),
    ('NFG 1 R "g" { "A" }\n', 1, 1, "expected 'EFG'"),
    ('EFG 2 X "g" { "A" }\n', 1, 7, "number type R or D"),
    ('EFG 2 R "g { "A" }\n', 1, 16, "unterminated text"),
    (HEAD + 'p "" 1 1 "" { "a" "b" } 0\nt "" 1 "" { 1, 2 }\n', 3, 19, "file ends"),
    (HEAD + 'c "" 1 "" { "a" 1/2, "b" 1/2 } 0\n', 2, 20, "expected an action name"),
    (HEAD + 'c "" 1 "" { "a" 1/2 "b" 1/3 } 0\n', 2, 6, "sum to 5/6"),
    (HEAD + 'c "" 1 "" { "a" 3/2 "b" -1/2 } 0\n', 2, 6, "between 0 and 1"),
    (HEAD + 'p "" 3 1 "" { "a" } 0\n', 2, 6, "player 3 does not exist"),
    (HEAD + 'p "" 1 1 { "a" } 0\n', 2, 8, "without its description"),
    (HEAD + 'p "" 1 1 "" { "a" } 1 "o" { 1 }\n', 2, 31, "has 1 payoff; expected one per player"),
    (HEAD + 'p "" 1 1 "" { "a" } 0\nt "" 1 "o" { 1 x }\n', 3, 16, "expected a payoff"),
    (HEAD + 'p "" 1 1 "" { "a" } 0\nt "" 1 "o" { 1 1/0 }\n', 3, 16, "divides by zero"),
    (HEAD + 'p "" 1 1 "" { "a" } 0\nt "" 7\n', 3, 6, "outcome 7 appears for the first time"),
    (HEAD + 'p "" 1 1 "" { "a" } 0\nt "" 0 "o" { 1 1 }\n', 3, 6, "outcome 0 means"),
    (
        HEAD + 'p "" 1 1 "" { "a" "b" } 1 "o" { 1 1 }\nt "" 1 "o" { 1 2 }\nt "" 0\n',
        3,
        6,
        "outcome 1 is described again",
    ),
    (HEAD + 'p "" 1 1 "" { "a" } 0\nt "" 0\nt "" 0\n', 4, 1, "after the last node"),
    (HEAD + 'x "" 1 1 "" { "a" } 0\n', 2, 1, "expected the first node"),
    (HEAD + 'p "" 1 1 "" { } 0\n', 2, 15, "at least one action"),
    (
        HEAD + 'p "" 1 1 "" { "a" "b" } 0\nt "" 0\np "" 1 1 "" { "a" "c" } 0\n',
        4,
        8,
        "described again with different actions",
    ),
    # hostile numbers are refused quickly instead of being computed
    (HEAD + 'p "" 1 1 "" { "a" } 0\nt "" 1 "o" { 1 1e99999999 }\n', 3, 16, "expected a payoff"),
    (HEAD + 'p "" 1 1 "" { "a" } 0\nt "" 1 "o" { 1 1e9999 }\n', 3, 16, "too large"),
    (HEAD + 'p "" 1 1 "" { "a" } 0\nt "" 1 "o" { 1 ' + "9" * 5000 + " }\n", 3, 16, "expected a payoff"),
    (HEAD + 'p "" 1 ' + "9" * 5000 + ' "" { "a" } 0\n', 2, 8, "at most 18 digits"),
    ("", 1, 1, "the file ends where 'EFG' was expected"),
]


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"), SYNTAX_ERRORS, ids=[f"{i}-{e[3][:20]}" for i, e in enumerate(SYNTAX_ERRORS)]
)
def test_syntax_errors_name_line_and_column(text: str, line: int, col: int, fragment: str) -> None:
    with pytest.raises(ScenarioError) as info:
        loads_efg(text, path="bad.efg")
    (problem,) = info.value.problems
    assert problem.file == "bad.efg"
    assert problem.key == f"line {line}, column {col}", problem.format()
    assert fragment in problem.message, problem.message


def test_the_cli_reports_a_syntax_error_without_traceback(tmp_path: Path, invoke) -> None:
    bad = tmp_path / "bad.efg"
    bad.write_text(HEAD + 'p "" 1 1 "" { "a" } 0\nt "" 1 "o" { 1 x }\n')
    result = invoke("validate", bad)
    assert result.exit_code == 2
    assert result.output == (
        f"error: {bad}: line 3, column 16: expected a payoff (e.g. 2, -1.5, 1/3 or 1e1), found 'x'\n"
    )
    assert invoke("validate", tmp_path / "missing.efg").output.startswith(
        f"error: {tmp_path / 'missing.efg'}: cannot read file"
    )


def test_efg_files_work_with_every_command(invoke) -> None:
    path = GAMBIT / "extra" / "perfect_info_with_chance.efg"
    result = invoke("validate", path)
    assert result.exit_code == 0 and result.output.strip().endswith(
        "ok (2 actors, 0 parameters, 4 nodes, 5 outcomes, 0 traps)"
    )
    result = invoke("solve", path, "--json")
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert doc["payoffs"] == {"player_1": -1.0, "player_2": 1.0}
    assert doc["strategy"]["n1"] == "b"


# ------------------------------------------------------------------ writing


def test_chance_fractions_are_simple_and_sum_to_one() -> None:
    assert chance_fractions([0.3, 0.7]) == [Fraction(3, 10), Fraction(7, 10)]
    assert chance_fractions([1 / 3, 2 / 3]) == [Fraction(1, 3), Fraction(2, 3)]
    assert chance_fractions([1.0]) == [Fraction(1)]
    rng = np.random.default_rng(5)
    for _ in range(300):
        p = rng.dirichlet(np.ones(rng.integers(2, 7)))
        fr = chance_fractions(list(p))
        assert sum(fr) == 1
        assert all(f >= 0 for f in fr)
        assert np.allclose([float(f) for f in fr], p, rtol=0, atol=1e-12)


def test_written_file_loads_in_pygambit_with_unique_ascii_labels() -> None:
    gbt = pytest.importorskip("pygambit")
    sc = api.load(str(Path(__file__).parent / "data" / "defense_clause_v1.toml"))
    text = write_efg(sc)
    game = gbt.read_efg(io.StringIO(text))
    assert [p.label for p in game.players] == [a.name for a in sc.actors]
    labels = re.findall(r'^[pct] "([^"]*)"', text, flags=re.M)
    assert len(labels) == len(set(labels)) == sum(1 for _ in sc.preorder())
    assert text.isascii() or all(ord(c) < 128 for c in "".join(labels))
    # the game written is the game solved: same payoffs through trapsim's own reader
    again = loads_efg(text, path="again.efg")
    assert list(solve(again).payoffs.values()) == pytest.approx(list(solve(sc).payoffs.values()))


def test_names_gambit_refuses_are_folded(tmp_path: Path) -> None:
    gbt = pytest.importorskip("pygambit")
    toml = """[scenario]
name = "folding"
title = "C\u00f4te d\u2019Ivoire \u2014 a test"
root = "start"
[actors.civ]
name = "C\u00f4te  d\u2019Ivoire "
[actors.fr]
name = "France"
[nodes.start]
actor = "civ"
next = { "négocier" = "calm", "negocier" = "calm", "  " = "war" }
[payoffs]
calm = { civ = 1, fr = 1 }
war = { civ = 0, fr = 0 }
"""
    text = write_efg(loads(toml))
    game = gbt.read_efg(io.StringIO(text))
    assert [p.label for p in game.players] == ["Cote d'Ivoire", "France"]
    assert [a.label for a in game.root.infoset.actions] == ["negocier", "negocier (2)", "3"]
    assert game.title == "Cote d'Ivoire - a test"
    labels = [n.label for n in game.nodes]
    assert labels.count("calm") == 1 and "calm (2)" in labels


def test_set_values_are_written() -> None:
    sc = api.load(str(DATA / "simple.toml"))
    central = write_efg(sc)
    assert '{ "strong" 3/10 "weak" 7/10 }' in central and "cost = 1" in central
    moved = api.to_efg(sc, values={"cost": 0.5, "p_strong": 0.25})
    assert '{ "strong" 1/4 "weak" 3/4 }' in moved
    assert 't "fought" 2 "fought" { -1, 0.5 }' in moved
    with pytest.raises(trapsim.ArgumentError, match=r"unknown parameter 'cots'.*did you mean 'cost'"):
        api.to_efg(sc, values={"cots": 1.0})


# ------------------------------------------------------------------ trapsim export


def test_export_efg_and_toml(tmp_path: Path, invoke) -> None:
    gbt = pytest.importorskip("pygambit")
    out = tmp_path / "sub" / "simple.efg"
    result = invoke("export", DATA / "simple.toml", "--efg", out, "--set", "cost=1.5")
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {out}\n"
    assert [p.name for p in out.parent.iterdir()] == ["simple.efg"]  # no temporary file left
    game = gbt.read_efg(str(out))
    assert game.title == "Entry game with an uncertain cost"
    assert "cost = 1.5" in game.description

    toml = tmp_path / "tiny.toml"
    src = tmp_path / "tiny.efg"
    src.write_text(TINY)
    result = invoke("export", src, "--toml", toml)
    assert result.exit_code == 0, result.output
    assert invoke("validate", toml).output.startswith(f"{toml}: ok (2 actors, 0 parameters")
    assert solve(api.load(str(toml))).payoffs == solve(api.load(str(src))).payoffs


def test_toml_conversion_keeps_exact_fractions() -> None:
    text = efg_text_to_toml(
        'EFG 2 R "t" { "A" }\nc "" 1 "" { "a" 1/3 "b" 2/3 } 0\nt "" 1 "" { 1/7 }\nt "" 2 "" { 0.1 }\n', path="t.efg"
    )
    assert 'chance = { a = "1/3", b = "2/3" }' in text
    assert 't2 = { a = "1/7" }' in text and "t3 = { a = 0.1 }" in text
    assert text.startswith("# Converted by trapsim from t.efg")


def test_export_set_with_toml_writes_nothing(invoke, tmp_path: Path) -> None:
    src = tmp_path / "game.efg"
    assert invoke("export", DATA / "simple.toml", "--efg", src).exit_code == 0
    result = invoke("export", src, "--efg", tmp_path / "again.efg", "--toml", tmp_path / "g.toml", "--set", "cost=1")
    assert result.exit_code == 2 and "--set has no effect with --toml" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["game.efg"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "nothing to do"),
        (("--toml", "x.toml"), "--toml converts a Gambit .efg file"),
        (("--efg", "x.efg", "--set", "nosuch=1"), "unknown parameter 'nosuch'"),
        (("--efg", "x.efg", "--set", "cost"), "expected name=value"),
    ],
)
def test_export_usage_errors(
    args: tuple[str, ...], message: str, invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("export", DATA / "simple.toml", *args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------ all SPEs


def test_all_spe_teaching_case_tie_breaking_changes_the_story() -> None:
    sc = api.load(str(TEACHING))
    result = all_spe(sc)
    assert result.complete and result.tie_nodes == ["defender_steady"]
    first, second = result.profiles
    assert first.strategy == solve(sc).strategy  # the one solve and run report
    assert first.strategy == {"challenger": "Wait", "defender_steady": "Resist", "defender_alone": "Concede"}
    assert second.strategy == {"challenger": "Probe", "defender_steady": "Concede", "defender_alone": "Concede"}
    assert first.payoffs == {"challenger": 0.0, "defender": 1.0}
    assert second.payoffs == pytest.approx({"challenger": 1.0, "defender": 0.0})
    assert first.outcome_probabilities["status_quo"] == 1.0
    assert second.outcome_probabilities["conceded"] == pytest.approx(2 / 3)


def test_all_spe_cli(invoke) -> None:
    result = invoke("solve", TEACHING, "--all-spe")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2 subgame-perfect equilibria." in out
    assert "Ties (an owner indifferent between best actions) at defender_steady." in out
    assert "differs at   challenger: Probe (not Wait); defender_steady: Concede (not Resist)" in out
    doc = json.loads(invoke("solve", TEACHING, "--all-spe", "--json").output)
    assert doc["complete"] and len(doc["equilibria"]) == 2
    assert doc["equilibria"][1]["outcome_probabilities"] == pytest.approx({"conceded": 2 / 3, "conceded_alone": 1 / 3})
    unique = invoke("solve", DATA / "simple.toml", "--all-spe").output
    assert "The subgame-perfect equilibrium is unique" in unique
    capped = invoke("solve", GAMBIT / "ttt.efg", "--all-spe").output
    assert "More than 100 subgame-perfect equilibria; the first 100 are listed." in capped
    assert capped.count("\nEquilibrium ") == 100
    bad = invoke("solve", TEACHING, "--all-spe", "--solver", "qre")
    assert bad.exit_code == 2 and "cannot be combined with --solver qre" in bad.output


def test_all_spe_follows_ties_created_below() -> None:
    """A tie broken differently below changes which actions tie above (built bottom-up)."""
    text = """EFG 2 R "chain" { "A" "B" }
p "top" 1 1 "" { "left" "right" } 0
p "mid" 2 1 "" { "x" "y" } 0
t "" 1 "" { 1 0 }
t "" 2 "" { 0 0 }
t "" 3 "" { 0 5 }
"""
    result = all_spe(loads_efg(text))
    got = [(p.strategy["top"], p.strategy["mid"]) for p in result.profiles]
    # B indifferent at mid: x gives A 1 (A goes left), y gives A 0 (tie at top for A)
    assert got == [("left", "x"), ("left", "y"), ("right", "y")]
    assert result.tie_nodes == ["top", "mid"]
    with pytest.raises(ValueError):
        all_spe(loads_efg(text), limit=0)


# ------------------------------------------------------------------ the run warning


def test_run_warns_once_about_ties_on_the_realised_path(invoke, tmp_path: Path) -> None:
    result = invoke("run", GAMBIT / "e10.efg", "--draws", "500", "--seed", "1", "--no-figures", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: ties on the realised path in 100.0% of draws, at n_3_left_2 (100.0%); "
        "the first listed action was taken"
    ]
    quiet = invoke("run", GAMBIT / "cent4.efg", "--draws", "500", "--seed", "1", "--no-figures", "--out", tmp_path)
    assert quiet.exit_code == 0 and "warning" not in quiet.stderr


def test_float_noise_is_not_written_so_ties_stay_ties() -> None:
    """0.1 + 0.2 ties with 0.3 in trapsim (within the tie tolerance); it must in Gambit too."""
    toml = """[scenario]
name = "noise"
title = "noise"
root = "pick"
[actors.a]
name = "A"
[parameters]
x = 0.1
[nodes.pick]
actor = "a"
next = { first = "sum", second = "plain" }
[payoffs]
sum = { a = "x + 0.2" }
plain = { a = 0.3 }
"""
    sc = loads(toml)
    assert solve(sc).ties == ["pick"]
    text = write_efg(sc)
    assert 't "sum" 1 "sum" { 0.3 }' in text and 't "plain" 2 "plain" { 0.3 }' in text


def test_module_examples() -> None:
    import doctest

    from trapsim.efg import build, writer

    for module in (build, writer):
        failed, attempted = doctest.testmod(module)
        assert attempted > 0 and failed == 0, module.__name__


def test_toml_conversion_keeps_awkward_text(tmp_path: Path) -> None:
    text = (
        'EFG 2 R "A \\"quoted\\" title" { "P" }\n'
        '"line one\nline \\"two\\" with a \\\\ backslash"\n'
        'p "" 1 1 "" { "go \\"now\\"" "stay" } 0\nt "" 1 "" { 1 }\nt "" 2 "" { 0 }\n'
    )
    sc = loads_efg(text, path="q.efg")
    again = loads(efg_text_to_toml(text, path="q.efg"), path="q.toml")
    assert again.title == sc.title == 'A "quoted" title'
    assert again.description == sc.description == 'line one\nline "two" with a \\ backslash'
    assert again.nodes["n1"].actions == sc.nodes["n1"].actions == ('go "now"', "stay")


@pytest.mark.parametrize(("tie_weight", "warned"), [(0.004, False), (0.05, True)])
def test_run_warning_threshold_is_one_percent_of_draws(tie_weight: float, warned: bool, tmp_path: Path, invoke) -> None:
    toml = tmp_path / "rare_tie.toml"
    toml.write_text(f"""[scenario]
name = "rare_tie"
title = "A tie in some draws"
root = "pick"
[actors.a]
name = "A"
[parameters]
gap = {{ dist = "choice", values = [0, 1], weights = [{tie_weight}, {1 - tie_weight}] }}
[nodes.pick]
actor = "a"
next = {{ safe = "kept", bold = "gained" }}
[payoffs]
kept = {{ a = 0 }}
gained = {{ a = "gap" }}
""")
    result = invoke("run", toml, "--draws", "20000", "--seed", "3", "--no-figures", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    if warned:
        (line,) = lines
        share = float(re.search(r"pick \(([\d.]+)%\)", line).group(1))
        assert share == pytest.approx(100 * tie_weight, abs=0.5)
    else:
        assert not lines


def test_byte_order_mark_windows_lines_and_latin1(tmp_path: Path) -> None:
    path = tmp_path / "win.efg"
    path.write_bytes(b"\xef\xbb\xbf" + TINY.replace("\n", "\r\n").encode())
    assert solve(api.load(str(path))).payoffs == solve(loads_efg(TINY)).payoffs
    old = tmp_path / "old.efg"
    old.write_bytes(TINY.replace("Entrant", "Entr\xe9e").encode("latin-1"))
    assert api.load(str(old)).actors[0].name == "Entr\xe9e"


def test_export_says_beliefs_are_left_out(invoke, tmp_path: Path) -> None:
    scenario = Path(__file__).parent / "data" / "kim_misperception_v1.toml"
    result = invoke("export", scenario, "--efg", tmp_path / "km.efg")
    assert result.exit_code == 0, result.output
    assert "warning: a Gambit game has no [beliefs]" in result.stderr and "dprk" in result.stderr
    assert (tmp_path / "km.efg").read_text().startswith("EFG 2 R")


# ------------------------------------------------------------------ export -> import round trip

BUNDLED = sorted((Path(__file__).parent.parent / "scenarios").glob("*.toml"))


def _random_game(rng: np.random.Generator, g: int) -> str:
    """A random tree of decision and chance nodes, payoffs from 1e-13 to 1e15 in size, either sign."""
    lines = [
        "[scenario]",
        f'name = "r{g}"',
        'root = "n0"',
        '[actors.a]\nname = "A"',
        '[actors.b]\nname = "B \\"the second\\""',
    ]
    pays = []
    n = int(rng.integers(1, 6))
    for i in range(n):
        kids = [(f"k{k}", f"n{i + 1}" if k == 0 and i < n - 1 else f"o{i}_{k}") for k in range(int(rng.integers(2, 4)))]
        nxt = "next = { " + ", ".join(f'{a} = "{t}"' for a, t in kids) + " }"
        if rng.random() < 0.3:
            probs = rng.dirichlet(np.ones(len(kids)))
            chance = (
                "chance = { " + ", ".join(f"{a} = {float(p)!r}" for (a, _), p in zip(kids, probs, strict=True)) + " }"
            )
            lines += [f"[nodes.n{i}]", chance, nxt]
        else:
            lines += [f"[nodes.n{i}]", f'actor = "{rng.choice(["a", "b"])}"', nxt]
        for _, t in kids:
            if t.startswith("o"):
                a, b = (float(rng.choice([-1, 1]) * 10.0 ** rng.uniform(-13, 15)) for _ in range(2))
                pays.append(f'{t} = {{ a = {a!r}, b = "{b!r} / 3" }}')
    return "\n".join([*lines, "[payoffs]", *pays]) + "\n"


def _leaf_payoffs(sc: trapsim.Scenario) -> list[float]:
    """Every leaf's payoffs, leaves in pre-order (the order the writer writes and the reader reads)."""
    game = game_at(sc)
    return [float(v) for p in game.model.tree.positions if p.kind == "leaf" for v in game.payoffs[p.row, :, 0]]


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_every_bundled_scenario_exports_a_file_its_own_reader_takes(path: Path) -> None:
    sc = api.load(str(path))
    again = loads_efg(write_efg(sc), path=f"{path.stem}.efg")
    assert list(solve(again).payoffs.values()) == pytest.approx(list(solve(sc).payoffs.values()), rel=1e-12, abs=1e-12)
    assert _leaf_payoffs(again) == pytest.approx(_leaf_payoffs(sc), rel=1e-12, abs=1e-12)


def test_random_games_export_and_read_back_with_their_payoffs() -> None:
    """Every payoff within the reader's bounds (1e-13 to 1e15 in size, either sign, thirds) is read
    back as written, to the writer's 1e-12 rounding, leaf by leaf; labels with quotes survive."""
    rng = np.random.default_rng(15)
    for g in range(60):
        sc = loads(_random_game(rng, g))
        text = write_efg(sc)
        again = loads_efg(text, path=f"r{g}.efg")
        assert _leaf_payoffs(again) == pytest.approx(_leaf_payoffs(sc), rel=1e-12, abs=1e-12), text


def test_a_payoff_the_reader_would_refuse_is_an_export_error(tmp_path: Path, invoke) -> None:
    """Regression: `export --efg` wrote payoffs beyond 1e15, which its own reader refused (the one class
    of refusal found by round-tripping the bundled scenarios and random games)."""
    toml = tmp_path / "big.toml"
    toml.write_text(
        '[scenario]\nname = "big"\nroot = "n0"\n[actors.a]\nname = "A"\n'
        '[parameters]\nx = { dist = "uniform", low = 0, high = 10 }\n'
        '[nodes.n0]\nactor = "a"\nnext = { l = "o1", r = "o2" }\n'
        '[payoffs]\no1 = { a = "x ** 3 * 1e13" }\no2 = { a = 0 }\n'
    )
    out = tmp_path / "big.efg"
    result = invoke("export", toml, "--efg", out)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {toml}: payoffs.o1.a: the payoff of a is 1.25e+15 at the values exported; .efg files hold "
        "payoffs up to 1e15 in size (trapsim reads them back as it reads numbers in scenario files); "
        "rescale the payoffs (e.g. in thousands)"
    )
    assert not out.exists()
    assert invoke("export", toml, "--efg", out, "--set", "x=2").exit_code == 0  # 8e13: fine
    assert loads_efg(out.read_text()).outcomes["o1"].payoffs[0].source in ("80000000000000", "8e13", "80000000000000.0")
