"""Conditional traps (``given``) and counterfactual worlds (``[worlds.<id>]``), against closed forms."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import trapsim
from trapsim.runner import wilson
from trapsim.scenario import loads

DATA = Path(__file__).parent / "data"


def _inside(value: float, count: int, n: int) -> bool:
    lo, hi = wilson(count, n)
    return lo <= value <= hi


@pytest.fixture(scope="module")
def conditional() -> trapsim.Result:
    return trapsim.simulate(trapsim.load(DATA / "conditional.toml"), draws=20_000, seed=5)


def test_conditional_rate_is_among_the_draws_where_given_holds(conditional: trapsim.Result) -> None:
    res = conditional
    n_given = res.given_count("won_after_acting")
    count = res.trap_counts["won_after_acting"]
    assert _inside(0.6, n_given, res.draws)  # P(acted) = 1 - c
    assert _inside(0.3, count, n_given)  # P(won | acted) = p
    assert _inside(0.18, count, res.draws)  # P(won and acted)
    assert res.rate("won_after_acting") == count / n_given
    assert res.ci95("won_after_acting") == wilson(count, n_given)
    # the denominator is the very set of draws where the unconditional `acted` fires
    assert n_given == res.trap_counts["acted"]
    # a trap used by name stands for "when and given": the joint event
    assert res.trap_counts["acted_and_won"] == count
    assert res.rate("acted") == res.trap_counts["acted"] / res.draws


def test_json_shape_of_conditional_and_plain_traps(conditional: trapsim.Result) -> None:
    doc = json.loads(conditional.to_json())
    t = doc["traps"]["won_after_acting"]
    assert set(t) == {"title", "count", "rate", "ci95", "given", "joint"}
    n_given, count, n = t["given"]["count"], t["count"], doc["draws"]
    assert t["rate"] == count / n_given and t["ci95"] == list(wilson(count, n_given))
    assert t["given"] == {"count": n_given, "rate": n_given / n, "ci95": list(wilson(n_given, n))}
    assert t["joint"] == {"count": count, "rate": count / n, "ci95": list(wilson(count, n))}
    assert set(doc["traps"]["acted"]) == {"title", "count", "rate", "ci95"}  # as without `given`


def test_a_condition_that_never_holds_gives_null_not_nan(conditional: trapsim.Result) -> None:
    res = conditional
    assert res.rate("never") is None and res.ci95("never") is None
    assert res.undefined_traps() == ["never"]
    doc = json.loads(res.to_json())  # strict JSON: no NaN
    assert doc["traps"]["never"]["rate"] is None and doc["traps"]["never"]["ci95"] is None
    assert doc["traps"]["never"]["given"]["count"] == 0
    assert doc["traps"]["never"]["given"]["rate"] == 0.0


def test_run_table_says_the_denominator_in_words(invoke, tmp_path: Path) -> None:
    result = invoke("run", DATA / "conditional.toml", "--draws", 3000, "--seed", 2, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    res = trapsim.simulate(trapsim.load(DATA / "conditional.toml"), draws=3000, seed=2)
    rate, share = res.rate("won_after_acting"), res.given_count("won_after_acting") / 3000
    line = next(x for x in result.output.splitlines() if x.strip().startswith("won_after_acting"))
    assert f"{rate:.2%}" in line and f"of the {share:.2%} of draws where A acted" in line
    never = next(x for x in result.output.splitlines() if x.strip().startswith("never "))
    assert "n/a" in never and "draws where x > 2" in never
    warnings = [x for x in result.output.splitlines() if x.startswith("warning: trap 'never'")]
    assert len(warnings) == 1 and "n/a" in warnings[0]
    assert (tmp_path / "conditional_convergence.png").exists()


# ------------------------------------------------------------------ worlds


@pytest.fixture(scope="module")
def worlds() -> trapsim.Result:
    return trapsim.simulate(trapsim.load(DATA / "worlds.toml"), draws=20_000, seed=8)


def test_world_rates_match_their_closed_forms(worlds: trapsim.Result) -> None:
    res = worlds
    for trap, value in [("but_for", (0.7 - 0.4) / (1 - 0.4)), ("regret", 0.7 * 0.15 / 0.6), ("luck", 0.5 - 0.3)]:
        assert _inside(value, res.trap_counts[trap], res.given_count(trap)), trap
    # the same probabilities and the same uniform: never a different branch
    assert res.given_count("same_dice") > 0 and res.trap_counts["same_dice"] == 0


def test_forcing_the_second_mover_changes_the_first_movers_choice() -> None:
    sc = trapsim.load(DATA / "worlds_entry.toml")
    res = trapsim.simulate(sc, draws=10_000, seed=3)
    assert _inside(0.5, res.trap_counts["deterred"], res.draws)
    assert res.trap_counts["fight_in_committed"] == 0  # A stays out: the forced node is never reached
    assert res.trap_counts["accommodated_in_committed"] == 0  # the removed action cannot be played
    eq = trapsim.solve(sc, values={"f": 0.2}, world="committed")
    assert eq.strategy == {"entry": "stay_out", "response": "fight"}
    assert eq.action_probabilities["response"] == {"fight": 1.0}
    assert trapsim.solve(sc, values={"f": 0.2}).strategy == {"entry": "enter", "response": "accommodate"}


def test_only_used_worlds_are_solved(monkeypatch: pytest.MonkeyPatch) -> None:
    from trapsim import runner

    sc = trapsim.load(DATA / "worlds.toml")
    assert sc.used_worlds() == ("stricter", "safe", "luckier")  # not "unused"
    calls: list[int] = []
    real = runner.worlds.backward

    def counting(*a, **k):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(runner.worlds, "backward", counting)
    trapsim.simulate(sc, draws=runner.CHUNK + 10, seed=1)
    assert len(calls) == 3  # three used worlds, each solved once for both chunks (one block)
    calls.clear()
    trapsim.simulate(sc, draws=(runner.chunk.BLOCK + 1) * runner.CHUNK, seed=1)
    assert len(calls) == 2 * 3  # two blocks


def test_set_applies_on_top_of_the_run_values() -> None:
    res = trapsim.simulate(trapsim.load(DATA / "worlds.toml"), draws=20_000, seed=4, values={"c": 0.2})
    # real: acts when x > 0.2; stricter: c + 0.3 = 0.5
    assert _inside((0.5 - 0.2) / (1 - 0.2), res.trap_counts["but_for"], res.given_count("but_for"))


@pytest.mark.parametrize(("belief", "share"), [("0.6", 0.0), ('"c + 0.2"', (0.9 - 0.6) / (1 - 0.6))])
def test_believers_keep_their_beliefs_in_a_world(belief: str, share: float) -> None:
    """A believes the threshold is 0.6 (or c + 0.2, which follows the world's c)."""
    text = (DATA / "worlds.toml").read_text() + f"\n[beliefs.a]\nc = {belief}\n"
    res = trapsim.simulate(loads(text, path="w.toml"), draws=20_000, seed=6)
    assert _inside(0.4, res.given_count("but_for"), res.draws)  # acts when x > 0.6
    count, n = res.trap_counts["but_for"], res.given_count("but_for")
    assert count == 0 if share == 0 else _inside(share, count, n)


def test_worlds_are_bit_identical_across_workers_and_reruns() -> None:
    from trapsim.runner import CHUNK

    sc = trapsim.load(DATA / "worlds.toml")
    one = trapsim.simulate(sc, draws=2 * CHUNK + 7, seed=12)
    two = trapsim.simulate(sc, draws=2 * CHUNK + 7, seed=12, workers=2)
    again = trapsim.simulate(sc, draws=2 * CHUNK + 7, seed=12)
    assert one.trap_counts == two.trap_counts == again.trap_counts
    assert one.given_counts == two.given_counts == again.given_counts


def test_solve_and_explain_a_world_on_the_command_line(invoke) -> None:
    path = DATA / "worlds_entry.toml"
    result = invoke("solve", path, "--world", "committed", "--json", "--set", "f=0.2")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["world"] == "committed" and doc["strategy"] == {"entry": "stay_out", "response": "fight"}
    text = invoke("solve", path, "--world", "committed").output
    assert "response forced to fight" in text and "[forced]" in text
    bad = invoke("solve", path, "--world", "comitted")
    assert bad.exit_code == 2 and "unknown world 'comitted'" in bad.output and "did you mean 'committed'" in bad.output
    told = invoke("explain", path, "--world", "committed")
    assert told.exit_code == 0 and "is forced to fight at response" in told.output
    real = invoke("explain", path)
    assert "compares each draw with the world 'committed'" in real.output


# ------------------------------------------------------------------ exactness


def test_trap_probability_is_exact_over_coupled_worlds() -> None:
    """Per draw, the closed forms of worlds.toml (x is the only uncertain parameter)."""
    sc = trapsim.load(DATA / "worlds.toml")
    x = np.linspace(0.001, 0.999, 101)
    fired = trapsim.trap_probability(sc, {"x": x})
    given = trapsim.trap_probability(sc, {"x": x}, part="given")
    acted = (x > 0.4).astype(float)
    np.testing.assert_allclose(given["but_for"], acted, atol=1e-12)
    np.testing.assert_allclose(fired["but_for"], acted * (x <= 0.7), atol=1e-12)
    np.testing.assert_allclose(fired["regret"], acted * (x < 0.4 + 0.15) * 0.7, atol=1e-12)
    np.testing.assert_allclose(fired["luck"], acted * (0.5 - 0.3), atol=1e-12)  # not 0.5 * 0.7: coupled
    np.testing.assert_allclose(fired["same_dice"], 0.0, atol=1e-12)
    np.testing.assert_allclose(given["same_dice"], x > 0.7, atol=1e-12)


def test_trap_probability_of_a_run_agrees_with_its_counts(worlds: trapsim.Result) -> None:
    fired = trapsim.trap_probability(worlds)
    given = trapsim.trap_probability(worlds, part="given")
    for trap in ("but_for", "regret", "luck"):
        exact = fired[trap].sum() / given[trap].sum()
        assert _inside(exact, worlds.trap_counts[trap], worlds.given_count(trap)), trap


def test_trap_probability_in_a_two_stage_world() -> None:
    sc = trapsim.load(DATA / "worlds_entry.toml")
    f = np.array([0.1, 0.3, 0.49, 0.51, 0.9])
    p = trapsim.trap_probability(sc, {"f": f})
    np.testing.assert_allclose(p["deterred"], f < 0.5, atol=1e-12)
    np.testing.assert_allclose(p["fight_in_committed"], 0.0, atol=1e-12)


# ------------------------------------------------------------------ everywhere a rate appears


def test_sweep_reports_conditional_rates_with_their_denominators(tmp_path: Path) -> None:
    """Varying c moves P(acted) = 1 - c, but P(won | acted) stays p = 0.3 at every point."""
    sc = trapsim.load(DATA / "conditional.toml")
    sw = trapsim.sweep(sc, {"c": [0.2, 0.5, 0.8]}, draws=4000, seed=3)
    given = sw.given("won_after_acting")
    counts = sw.counts("won_after_acting")
    for k, c in enumerate([0.2, 0.5, 0.8]):
        assert _inside(1 - c, int(given[k]), 4000)
        assert _inside(0.3, int(counts[k]), int(given[k]))
    np.testing.assert_array_equal(sw.rates("won_after_acting"), counts / given)
    assert np.isnan(sw.rates("never")).all()  # n/a everywhere, never a division error
    rows = sw.to_csv().splitlines()
    assert rows[0] == "c,trap,count,rate,ci_low,ci_high,given_count"
    never = [r for r in rows if ",never," in r]
    assert never and all(r.endswith(",,,,0") for r in never)
    point = json.loads(sw.to_json())["points"][0]["traps"]
    assert point["won_after_acting"]["given"]["count"] == int(given[0])
    assert point["never"]["rate"] is None
    from trapsim.figures.sweeps import plot_sweep_lines

    plot_sweep_lines(sw).savefig(tmp_path / "sweep.png")


def test_compare_tests_conditional_rates_on_their_own_denominators() -> None:
    sc = trapsim.load(DATA / "conditional.toml")
    other = sc.with_values({"c": 0.7})  # acts less often; P(won | acted) is unchanged
    comp = trapsim.compare([sc, other], draws=8000, seed=2)
    res = comp.results[1]
    d = comp.difference("won_after_acting", 1)
    assert d is not None and not d.distinguishable
    assert comp.rate("won_after_acting", 1) == res.trap_counts["won_after_acting"] / res.given_count("won_after_acting")
    assert comp.difference("acted", 1).distinguishable  # the unconditional rate moves
    assert comp.difference("never", 1) is None and comp.rate("never", 0) is None
    cell = comp.to_dict()["traps"]["won_after_acting"]["scenarios"][comp.labels[1]]
    assert cell["given"]["count"] == res.given_count("won_after_acting")


def test_forcing_a_shared_node_forces_every_copy() -> None:
    """A node reached by two histories (two copies): the world forces both; the dice stay shared."""
    text = """
[scenario]
name = "shared"
root = "coin"
[actors.a]
name = "A"
[parameters]
x = { dist = "uniform", low = 0, high = 1 }
[nodes.coin]
chance = { heads = 0.5, tails = 0.5 }
next = { heads = "choose", tails = "choose" }
[nodes.choose]
actor = "a"
next = { go = "went", stay = "stayed" }
[payoffs]
went = { a = "x - 0.5" }
stayed = { a = 0 }
[worlds.cautious]
force = { choose = "stay" }
[traps.but_for]
given = 'played("choose", "go")'
when = 'not played("choose", "go", "cautious") and played("coin", "heads") == played("coin", "heads", "cautious")'
[traps.regret]
when = 'payoff("a") < payoff("a", "cautious")'
"""
    sc = loads(text, path="shared.toml")
    res = trapsim.simulate(sc, draws=4000, seed=2)
    assert res.trap_counts["but_for"] == res.given_count("but_for") > 0  # every go is undone, same coin
    assert res.trap_counts["regret"] == 0  # A goes only when going pays
    assert trapsim.solve(sc, values={"x": 0.9}, world="cautious").strategy == {
        "choose[heads]": "stay",
        "choose[tails]": "stay",
    }
    x = np.array([0.2, 0.7])
    np.testing.assert_allclose(trapsim.trap_probability(sc, {"x": x})["but_for"], x > 0.5, atol=1e-12)


WORLD_BREAKS_A_PROBABILITY = """
[scenario]
name = "bad_world"
title = "A world whose set breaks a probability"
root = "act"

[actors.a]
name = "A"

[parameters]
p = { dist = "uniform", low = 0.2, high = 0.7 }

[nodes.act]
actor = "a"
next = { go = "fight", stay = "home" }

[nodes.fight]
chance = { win = "p", lose = "1 - p" }
next = { win = "won", lose = "lost" }

[payoffs]
home = { a = 0 }
won = { a = 1 }
lost = { a = -1 }

[worlds.sure]
title = "Victory taken for granted"
set = { p = 1.5 }

[traps.went]
title = "A would go anyway"
when = 'played("act", "go", "sure")'
"""


def test_a_bad_value_in_a_world_names_the_world(invoke, tmp_path: Path) -> None:
    path = tmp_path / "bad_world.toml"
    path.write_text(WORLD_BREAKS_A_PROBABILITY, encoding="utf-8")
    r = invoke("run", path, "--draws", 500, "--no-figures", "--out", tmp_path)
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.output
    assert "nodes.fight.chance: in world 'sure' (after worlds.sure.set): probabilities must lie in [0, 1]" in lines[0]
    assert "p = 1.5" in lines[0]
