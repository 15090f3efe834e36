"""Misperception: [beliefs.<actor>] tables, expected()/surprise(), changed outcomes."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

import trapsim
from trapsim.cli import main
from trapsim.errors import ScenarioError
from trapsim.scenario import loads

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "tests" / "data" / "defense_clause_v1.toml"

# The two-node worked example of docs/misperception.md.
WORKED = """
[scenario]
name = "worked"
title = "Worked example"
root = "ask"

[actors.russia]
name = "Russia"
[actors.dprk]
name = "DPRK"

[parameters]
aid = 0.2
cas = 0.3

[nodes.ask]
actor = "russia"
next = { alone = "alone", ask = "answer" }

[nodes.answer]
actor = "dprk"
next = { troops = "troops", munitions = "munitions" }

[payoffs]
alone     = { russia = -0.7,   dprk = 0 }
troops    = { russia = "-aid", dprk = "aid - cas" }
munitions = { russia = -0.6,   dprk = 0 }

[traps.kim_surprise]
title = "DPRK got less than it expected"
when = 'played("answer", "troops") and surprise("dprk") < 0'

[traps.expected_dprk]
when = 'abs(expected("dprk") - 0.1) < 1e-12'

[traps.surprise_dprk]
when = 'abs(surprise("dprk") + 0.2) < 1e-12'

[traps.expected_russia]
when = 'abs(expected("russia") + 0.6) < 1e-12 and abs(surprise("russia") - 0.4) < 1e-12'
"""
BELIEF = """
[beliefs.dprk]
aid = "2 * aid"
"""


def _sim(text: str, draws: int = 1000, seed: int = 1, **kw) -> trapsim.Result:  # type: ignore[no-untyped-def]
    return trapsim.simulate(loads(text, path="t.toml"), draws=draws, seed=seed, **kw)


def test_worked_example_without_beliefs() -> None:
    res = _sim(WORKED)
    assert res.outcome_counts["munitions"] == 1000
    assert res.rate("kim_surprise") == 0
    assert "misperception" not in res.to_dict()


def test_worked_example_with_beliefs() -> None:
    res = _sim(WORKED + BELIEF)
    assert res.outcome_counts["troops"] == res.draws
    assert res.payoff_mean == pytest.approx({"russia": -0.2, "dprk": -0.1})
    for trap in ("kim_surprise", "expected_dprk", "surprise_dprk", "expected_russia"):
        assert res.rate(trap) == 1.0, trap
    doc = res.to_dict()
    assert doc["misperception"] == {"dprk": {"changed": res.draws, "share": 1.0}}


def test_untested_misperception_changes_nothing_but_surprises() -> None:
    """Russia, predicting munitions, fights alone: the DPRK's belief is never tested."""
    text = (WORKED + BELIEF).replace("alone     = { russia = -0.7", "alone     = { russia = -0.5")
    text += "\n[traps.dprk_disappointed]\nwhen = 'abs(surprise(\"dprk\") + 0.1) < 1e-12'\n"
    res = _sim(text)
    assert res.outcome_counts["alone"] == res.draws
    assert res.rate("dprk_disappointed") == 1.0
    assert res.to_dict()["misperception"]["dprk"]["changed"] == 0


def test_misperception_at_the_central_values() -> None:
    sc = loads(WORKED + BELIEF, path="t.toml")
    eq = trapsim.solve(sc)
    assert eq.strategy == {"ask": "ask", "answer": "troops"}
    assert eq.outcome_probabilities["troops"] == 1.0
    assert eq.payoffs == pytest.approx({"russia": -0.2, "dprk": -0.1})
    assert eq.perceived["dprk"].strategy == {"ask": "ask", "answer": "troops"}
    assert eq.perceived["dprk"].payoffs["dprk"] == pytest.approx(0.1)
    text = trapsim.api.explain(sc).text(width=None)
    assert "DPRK chooses troops at answer as it sees the game: 0.100 against 0.000 for munitions" in text
    assert "In truth: -0.100 against 0.000 for munitions." in text


def _defense(beliefs: str = "") -> trapsim.Scenario:
    return loads(DEFAULT.read_text() + beliefs, path=str(DEFAULT))


def _same(a: trapsim.Result, b: trapsim.Result) -> None:
    assert a.trap_counts == b.trap_counts
    assert a.outcome_counts == b.outcome_counts
    assert a.edge_counts == b.edge_counts
    assert a.payoff_mean == b.payoff_mean  # bit-identical, not approximately equal
    assert a.payoff_sd == b.payoff_sd


@pytest.mark.parametrize("solver", ["spe", "qre"])
def test_beliefs_equal_to_truth_are_bit_identical(solver: str) -> None:
    plain = trapsim.simulate(_defense(), draws=20_000, seed=3, solver=solver)
    truth = """
[beliefs.dprk]
dprk_promise = "dprk_promise"
deliver_prob = "deliver_prob + 0"
[beliefs.russia]
mob_cost = "mob_cost"
"""
    same = trapsim.simulate(_defense(truth), draws=20_000, seed=3, solver=solver)
    _same(plain, same)
    assert same.to_dict()["misperception"] == {
        "dprk": {"changed": 0, "share": 0.0},
        "russia": {"changed": 0, "share": 0.0},
    }


def test_beliefs_do_not_disturb_other_streams() -> None:
    """A belief drawn on its own stream leaves the true draws alone (same seed, same worlds)."""
    plain = trapsim.simulate(_defense(), draws=10_000, seed=5)
    other = trapsim.simulate(
        _defense('[beliefs.china]\nchina_stake = { dist = "uniform", low = 0.1, high = 0.4 }\n'), draws=10_000, seed=5
    )
    # China's decisions may change, but Ukraine's first move depends only on true values
    assert plain.edge_counts["ua_move"] == other.edge_counts["ua_move"]
    assert plain.edge_counts["ua_gains"] == other.edge_counts["ua_gains"]


# Constructed flip. True aid ~ U(0, 0.4), cas = 0.3; the DPRK's own guess of
# the aid is drawn independently, b ~ U(0, 0.5). Russia always asks (-aid or
# -0.6 beat -0.7). The DPRK sends troops iff b > 0.3 (it would iff aid > 0.3),
# so its misperception changes the outcome with probability
#   P(b > 0.3) P(aid <= 0.3) + P(b <= 0.3) P(aid > 0.3) = 0.4 * 0.75 + 0.6 * 0.25 = 0.45.
# expected("dprk") = max(b - 0.3, 0): P(expected > 0.1) = P(b > 0.4) = 0.2.
# surprise = aid - b if b > 0.3 else 0:
#   P(surprise < -0.25) = P(b > 0.3, aid < b - 0.25) = (1/0.2) * int_0.05^0.25 u/0.4 ... = 0.15.
FLIP = (
    WORKED.replace("aid = 0.2", 'aid = { dist = "uniform", low = 0, high = 0.4 }')
    + """
[traps.hopeful]
when = 'expected("dprk") > 0.1'

[traps.let_down]
when = 'surprise("dprk") < -0.25'

[traps.sent]
when = 'played("answer", "troops")'

[beliefs.dprk]
aid = { dist = "uniform", low = 0, high = 0.5 }
"""
)


def _within(count: int, n: int, p: float, sds: float = 4.5) -> bool:
    return abs(count / n - p) <= sds * math.sqrt(p * (1 - p) / n)


def test_constructed_flip_matches_analytic_share() -> None:
    n = 60_000
    res = _sim(FLIP, draws=n, seed=11)
    changed = res.to_dict()["misperception"]["dprk"]["changed"]
    assert _within(changed, n, 0.45), changed / n
    assert _within(res.trap_counts["sent"], n, 0.4)
    assert _within(res.trap_counts["hopeful"], n, 0.2)
    assert _within(res.trap_counts["let_down"], n, 0.15)


def test_belief_streams_are_reproducible_and_worker_independent() -> None:
    a = _sim(FLIP, draws=20_000, seed=2)
    b = _sim(FLIP, draws=20_000, seed=2, workers=2)
    _same(a, b)
    assert a.to_dict()["misperception"] == b.to_dict()["misperception"]


def test_expected_without_beliefs_is_the_true_value() -> None:
    res = _sim(
        WORKED + '\n[traps.e]\nwhen = \'abs(expected("dprk")) < 1e-12 and abs(expected("russia") + 0.6)'
        ' < 1e-12 and surprise("dprk") == 0\'\n'
    )
    assert res.rate("e") == 1.0


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[beliefs.dprkk]\naid = 1\n", "beliefs.dprkk: unknown actor 'dprkk' (did you mean 'dprk'?)"),
        ("[beliefs.dprk]\naidd = 1\n", "beliefs.dprk.aidd: unknown parameter 'aidd' (did you mean 'aid'?)"),
        ('[beliefs.dprk]\naid = "aid +"\n', "beliefs.dprk.aid: expression ends too early"),
        ('[beliefs.dprk]\naid = "zz"\n', "beliefs.dprk.aid: unknown name 'zz'"),
        ('[beliefs.dprk]\naid = "aid > 0"\n', "beliefs.dprk.aid: expected a number, got a condition"),
        ('[beliefs.dprk]\naid = { dist = "uniform", low = 1, high = 0 }\n', "beliefs.dprk.aid.high"),
        ("[beliefs.dprk]\naid = true\n", "beliefs.dprk.aid"),
        ("[beliefs]\ndprk = 3\n", "beliefs.dprk: expected a table"),
    ],
)
def test_bad_beliefs_are_reported(table: str, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        loads(WORKED + table, path="t.toml")
    assert any(message in line for line in info.value.lines()), info.value.lines()


def test_bad_path_function_use() -> None:
    bad = WORKED + "\n[traps.x]\nwhen = 'surprise(\"dprkk\") < 0'\n"
    with pytest.raises(ScenarioError, match="unknown actor 'dprkk'"):
        loads(bad, path="t.toml")
    bad = (
        WORKED.replace('title = "Worked example"', 'title = "Worked example"')
        + "\n[derived]\nz = 'expected(\"dprk\")'\n"
    )
    with pytest.raises(ScenarioError, match=r"expected\(\) can only be used in traps"):
        loads(bad, path="t.toml")


def test_invalid_perceived_probability_names_the_belief() -> None:
    text = """
[scenario]
name = "p"
root = "c"
[actors.a]
name = "A"
[parameters]
q = 0.5
[nodes.c]
chance = { x = "q", y = "1 - q" }
next = { x = "d", y = "o2" }
[nodes.d]
actor = "a"
next = { l = "o1", r = "o2" }
[payoffs]
o1 = { a = 1 }
o2 = { a = 0 }
[beliefs.a]
q = 1.5
"""
    with pytest.raises(trapsim.RunError, match=r"nodes\.c\.chance: under the beliefs of 'a': probabilities"):
        _sim(text)


def test_cli_run_reports_changed_share(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(WORKED + BELIEF)
    res = CliRunner().invoke(
        main, ["run", str(path), "--draws", "500", "--seed", "1", "--no-figures", "--out", str(tmp_path / "out")]
    )
    assert res.exit_code == 0, res.output
    assert "Misperception changed the outcome" in res.output
    assert "DPRK (dprk)" in res.output and "100.00%" in res.output


def test_no_beliefs_no_extra_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without [beliefs] the solver runs once per block of chunks and world (defense_clause uses one world);
    with beliefs, once per chunk, world and believer's view (beliefs are drawn chunk by chunk)."""
    from trapsim import runner

    calls = []
    real = runner.chunk.backward

    def counting(*a, **k):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(runner.chunk, "backward", counting)  # the true game
    monkeypatch.setattr(runner.worlds, "backward", counting)  # the world munitions_only
    monkeypatch.setattr(runner.hypergame, "backward", counting)  # each believer's game, in each world
    assert _defense().used_worlds() == ("munitions_only",)
    trapsim.simulate(_defense(), draws=runner.CHUNK * 2, seed=1)
    assert len(calls) == 2  # both chunks in one block
    calls.clear()
    trapsim.simulate(_defense("[beliefs.dprk]\ndprk_promise = 0.5\n"), draws=runner.CHUNK * 2, seed=1)
    assert len(calls) == 2 * 4


def test_a_believers_tie_is_one_in_the_game_it_sees() -> None:
    """aid seen as 0.3: troops and munitions both worth 0 to the DPRK (first listed wins)."""
    sc = loads(WORKED + BELIEF.replace('"2 * aid"', '"1.5 * aid"'), path="t.toml")
    eq = trapsim.solve(sc)
    assert eq.ties == ["answer"]
    assert eq.strategy["answer"] == "troops"
    assert trapsim.solve(loads(WORKED, path="t.toml")).ties == []


def test_run_counts_a_believers_ties() -> None:
    res = _sim(WORKED + BELIEF.replace('"2 * aid"', '"1.5 * aid"'), draws=500)
    assert res.tie_counts == {"ask": 0, "answer": 500}
    assert res.outcome_counts["troops"] == 500
