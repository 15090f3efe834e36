"""Explanations: the story names every decision with its deciding numbers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import trapsim
from trapsim import api
from trapsim.cli import main
from trapsim.explain import explain
from trapsim.explain.story import _numbers
from trapsim.scenario import loads

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "tests" / "data" / "defense_clause_v1.toml"

# A hand-solved game. At the central value x = 1:
#   b_good: grab gives Bob x + 0.5 = 1.5 > 1 (share)      -> grab
#   b_bad:  grab gives Bob x - 0.5 = 0.5 < 1 (share)      -> share
#   a_move: risky = 0.25 * (-1) + 0.75 * 1 = 0.5 > 0.4    -> risky
#   Bob's expected payoff: 0.25 * 1.5 + 0.75 * 1 = 1.125.
# At x = 2 Bob grabs in both states, risky = 0.25 * (-1) + 0.75 * 0 = -0.25
# and Alice stays safe.
HAND = """
[scenario]
name = "hand"
title = "Hand-solved game"
description = "Alice decides whether to risk it; Bob then shares or grabs."
root = "a_move"

[actors.a]
name = "Alice"
[actors.b]
name = "Bob"

[parameters]
x = { dist = "uniform", low = 0, high = 2 }
q = 0.25

[nodes.a_move]
actor = "a"
next = { safe = "safe", risky = "coin" }

[nodes.coin]
chance = { good = "q", bad = "1 - q" }
next = { good = "b_good", bad = "b_bad" }

[nodes.b_good]
actor = "b"
next = { share = "good_share", grab = "good_grab" }

[nodes.b_bad]
actor = "b"
next = { share = "bad_share", grab = "bad_grab" }

[payoffs]
safe = { a = 0.4, b = 0 }
good_share = { a = 2, b = 1 }
good_grab = { a = -1, b = "x + 0.5" }
bad_share = { a = 1, b = 1 }
bad_grab = { a = 0, b = "x - 0.5" }

[traps.grabbed]
title = "Bob grabbed"
description = "Bob took everything."
when = 'reached("good_grab") or reached("bad_grab")'

[traps.regret]
title = "Alice regrets"
when = 'played("a_move", "risky") and payoff("a") < 0.4'
"""


@pytest.fixture(scope="module")
def hand() -> trapsim.Scenario:
    return loads(HAND, path="hand.toml")


def test_hand_game_story(hand: trapsim.Scenario) -> None:
    ex = explain(hand)
    text = ex.text(width=None)
    assert "Alice chooses risky at a_move: 0.500 against 0.400 for safe (which ends at safe)." in text
    assert "Chance at coin: good 25.0% and bad 75.0%." in text
    assert ("Bob chooses grab at b_good: 1.500 against 1.000 for share (which ends at good_share).") in text
    assert "Bob chooses share at b_bad: 1.000 against 0.500 for grab (which ends at bad_grab)." in text
    assert "Expected payoffs: Alice 0.500, Bob 1.125." in text
    # the more likely branch is told first
    assert text.index("If bad (75.0%)") < text.index("If good (25.0%)")
    assert [(c.node, c.chosen, c.on_path) for c in ex.choices] == [
        ("a_move", "risky", True),
        ("b_good", "grab", True),
        ("b_bad", "share", True),
    ]
    assert ex.choices[0].worth == pytest.approx({"safe": 0.4, "risky": 0.5})


def test_hand_game_traps(hand: trapsim.Scenario) -> None:
    ex = explain(hand)
    likely = ex.traps.likely
    assert likely.steps == (("a_move", "risky"), ("coin", "bad"), ("b_bad", "share"))
    assert likely.outcome == "bad_share"
    assert likely.probability == pytest.approx(0.75)
    assert likely.traps == {"grabbed": False, "regret": False}
    # both traps hold on the less likely branch (Bob grabs, Alice gets -1)
    assert set(ex.traps.elsewhere) == {"grabbed", "regret"}
    assert ex.traps.elsewhere["regret"].outcome == "good_grab"
    assert ex.traps.elsewhere["regret"].probability == pytest.approx(0.25)
    text = ex.text(width=None)
    assert "Traps on the most likely path (75.0%): a_move: risky → coin: bad → b_bad: share → bad_share" in text
    assert "No trap fires on it." in text
    assert (
        "Alice regrets fires on a less likely path (25.0%): a_move: risky → coin: good → b_good: grab → good_grab."
        in text
    )


def test_off_path_support(hand: trapsim.Scenario) -> None:
    ex = explain(hand, values={"x": 2.0})
    text = ex.text(width=None)
    # -0.25 = 0.25 * (-1) + 0.75 * 0
    assert "Alice chooses safe at a_move: 0.400 against -0.250 for risky" in text
    why = text.index("Why: what the actors expect off the path")
    had = text.index("Had Alice chosen risky at a_move:")
    assert why < had
    assert text.index("Bob chooses grab at b_bad: 1.500 against 1.000 for share", had) > had
    assert [c.on_path for c in ex.choices] == [True, False, False]
    assert ex.traps.likely.outcome == "safe"
    assert not any(ex.traps.likely.traps.values())
    (dev,) = ex.deviations
    assert dev.after == ("a_move", "risky")
    assert dev.likely.outcome == "bad_grab"
    assert dev.likely.probability == pytest.approx(0.75)
    assert dev.likely.traps == {"grabbed": True, "regret": True}
    assert "Bob grabbed fires: Bob took everything." in text
    assert "Alice regrets fires." in text


def test_tie_is_named() -> None:
    sc = loads(HAND.replace("safe = { a = 0.4", "safe = { a = 0.5"), path="tie.toml")
    ex = explain(sc)
    assert ex.choices[0].chosen == "safe" and ex.choices[0].tie
    assert "A tie: the first listed action is taken." in ex.text(width=None)


def _deciding_numbers_named(ex, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Every decision named once, with the owner's worth of every action."""
    missing = []
    eq = ex.equilibrium
    sc = eq.scenario
    for node, action in eq.strategy.items():
        owner = sc.nodes[node].actor
        name = sc.label_of("actor", owner)
        m = re.findall(rf"^\s*{re.escape(name)} chooses {action} at {node}\b[^\n]*", text, re.M)
        if len(m) != 1:
            missing.append(f"{node}: {len(m)} lines")
            continue
        worth = eq.node_values[node]
        shown = _numbers([worth[a][owner] for a in worth])
        for a, s in zip(worth, shown, strict=True):
            expect = f": {s} against" if a == action else f"{s} for {a}"
            if expect not in m[0]:
                missing.append(f"{node}: {expect!r} not in {m[0]!r}")
    return missing


@pytest.mark.parametrize("values", [{}, {"p_gain": 0.6, "ua_push_cost": 0.05}, {"china_stake": 0.6}])
def test_default_scenario_names_every_decision(values: dict[str, float]) -> None:
    sc = trapsim.load(str(DEFAULT))
    ex = trapsim.api.explain(sc, values=values)
    text = ex.text(width=None)
    assert _deciding_numbers_named(ex, text) == []
    on_path = {n for n in ex.equilibrium.strategy if ex.equilibrium.reach[n] > 0}
    assert {c.node for c in ex.choices if c.on_path} == on_path
    if ex.equilibrium.strategy["ua_move"] == "hold":
        assert "Had Ukraine chosen push at ua_move:" in text
    else:  # the path goes through Russia's call, told with its numbers
        assert "Ukraine chooses push at ua_move" in text
        assert "Russia chooses" in text


def test_default_scenario_push_fires_putin_trap() -> None:
    """With a cheap, likely push the war path is on the equilibrium path."""
    sc = trapsim.load(str(DEFAULT))
    ex = explain(sc, values={"p_gain": 0.9, "ua_push_cost": 0.05})
    eq = ex.equilibrium
    assert eq.strategy["ua_move"] == "push"
    likely = ex.traps.likely
    assert likely.steps[:2] == (("ua_move", "push"), ("ua_gains", "gains"))
    assert likely.traps["putin_trap"] == (
        eq.strategy["russia_call"] == "invoke"
        and eq.strategy["aq_dprk"] == "troops"
        and eq.strategy["china_reply"] == "acquiesce"
    )


def test_qre_story_gives_probabilities() -> None:
    sc = trapsim.load(str(DEFAULT))
    ex = trapsim.api.explain(sc, solver="qre", rationality=5)
    text = ex.text(width=None)
    assert re.search(r"chooses \w+ at ua_move \(with probability 0\.\d\d\)", text)
    assert _deciding_numbers_named(ex, text) == []


def test_numbers_keep_distinct_values_distinct() -> None:
    assert _numbers([0.1, 0.2]) == ["0.100", "0.200"]
    assert _numbers([0.1234, 0.12346]) == ["0.1234", "0.1235"]
    assert _numbers([0.12341, 0.12342]) == ["0.12341", "0.12342"]
    assert _numbers([-0.0001, 0.0]) == ["-0.0001", "0.0000"]
    assert _numbers([-1e-9]) == ["0.000"]


def test_cli_explain(tmp_path: Path) -> None:
    path = tmp_path / "hand.toml"
    path.write_text(HAND)
    runner = CliRunner()
    res = runner.invoke(main, ["explain", str(path)])
    assert res.exit_code == 0, res.output
    assert "Alice chooses risky at a_move: 0.500 against" in res.output
    res = runner.invoke(main, ["explain", str(path), "--set", "x=2", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["choices"][0]["chosen"] == "safe"
    assert doc["deviations"][0]["most_likely"]["traps"] == {"grabbed": True, "regret": True}
    assert "Had Alice chosen risky" in doc["text"]
    res = runner.invoke(main, ["explain", str(path), "--set", "y=2"])
    assert res.exit_code == 2
    assert "unknown parameter 'y'" in res.output


# ------------------------------------------------ explain that teaches: terms, margins, paths, --at


def test_terms_of_each_alternative_add_up_to_its_value_by_hand(hand: trapsim.Scenario) -> None:
    ex = explain(hand)
    alice = ex.choices[0]
    risky, safe = alice.alternatives  # the chosen action first
    assert (risky.action, safe.action) == ("risky", "safe")
    # risky = 0.25 * (-1) at good_grab + 0.75 * 1 at bad_share
    terms = {t.text: (t.value, t.probability, t.each) for t in risky.terms}
    assert terms == {"(good_grab)": pytest.approx((-0.25, 0.25, -1.0)), "(bad_share)": pytest.approx((0.75, 0.75, 1.0))}
    assert sum(t.value for t in risky.terms) == pytest.approx(0.5, abs=1e-9)
    # Bob at b_good: grab = x + 0.5 with x = 1 (central value): the parameter and the constant
    grab = next(c for c in ex.choices if c.node == "b_good").alternatives[0]
    assert {t.text: t.value for t in grab.terms} == pytest.approx({"x": 1.0, "(good_grab)": 0.5})
    assert "risky: \u22120.25 \u00d7 1.00 (good_grab) + 0.75 \u00d7 1.00 (bad_share) \u2248 +0.50" in ex.text(None)


def test_terms_add_up_on_every_choice_of_the_default_scenario() -> None:
    sc = trapsim.load(str(DEFAULT))
    ex = explain(sc)
    checked = 0
    for c in ex.choices:
        for alt in c.alternatives:
            assert alt.value == pytest.approx(c.worth[alt.action], abs=1e-12)
            if alt.terms:
                assert abs(sum(t.value for t in alt.terms) - alt.value) < 1e-9
                checked += 1
    assert checked >= 10


def test_narrow_margin_is_the_true_one_and_names_what_flips_it(hand: trapsim.Scenario) -> None:
    # Alice: risky 0.5 against safe 0.4; her payoffs run from -1 to 2 (range 3)
    ex = explain(hand)
    m = ex.choices[0].margin
    assert m is not None
    assert (m.chosen, m.runner_up) == ("risky", "safe")
    assert m.margin == pytest.approx(0.1, abs=1e-12) and m.payoff_range == pytest.approx(3.0)
    assert m.narrow and m.share == pytest.approx(0.1 / 3)
    # x at its 95th percentile (1.9): Bob grabs in the bad state too, risky = -0.25 < 0.4
    assert m.flips == (("x", pytest.approx(1.9)),)
    assert "Narrow: Alice prefers risky to safe by 0.1, 3.3% of the range of Alice's payoffs (3)" in ex.text(None)
    # a wide choice is not flagged: Bob's grab at b_good leads by 0.5 of a range of 1.5
    wide = next(c for c in ex.choices if c.node == "b_good").margin
    assert wide is not None and not wide.narrow and wide.margin == pytest.approx(0.5)


def test_every_path_on_which_a_trap_fires_with_its_probability(hand: trapsim.Scenario) -> None:
    forced = loads(HAND.replace("safe = { a = 0.4", "safe = { a = -5"), path="forced.toml")
    ex = explain(forced, values={"x": 2.0})  # Bob grabs in both states
    paths = ex.firing["grabbed"]
    assert [(p.outcome, p.probability) for p in paths] == [
        ("bad_grab", pytest.approx(0.75)),
        ("good_grab", pytest.approx(0.25)),
    ]
    text = ex.text(None)
    assert "Bob grabbed: 100.0% in all, on 2 paths:" in text
    assert "75.0%: a_move: risky \u2192 coin: bad \u2192 b_bad: grab \u2192 bad_grab" in text
    doc = json.loads(ex.to_json())
    assert doc["firing"]["grabbed"]["probability"] == pytest.approx(1.0)
    assert len(doc["firing"]["grabbed"]["paths"]) == 2


def test_at_explains_the_game_from_a_node_on(hand: trapsim.Scenario) -> None:
    ex = explain(hand, at="b_good")
    text = ex.text(None)
    assert "What happens from b_good on, as if it were reached" in text
    assert "Alice chooses" not in text  # the story starts at Bob's node
    assert "Expected payoffs from b_good on: Alice -1.000, Bob 1.500." in text
    assert [p.outcome for p in ex.firing["grabbed"]] == ["good_grab"]
    assert ex.firing["grabbed"][0].probability == pytest.approx(1.0)
    assert json.loads(ex.to_json())["at"] == "b_good"
    with pytest.raises(trapsim.TrapsimError, match="unknown node 'b_god' \\(did you mean 'b_good'\\?\\)"):
        explain(hand, at="b_god")


def test_cli_explain_at_and_json(tmp_path: Path) -> None:
    path = tmp_path / "hand.toml"
    path.write_text(HAND)
    runner = CliRunner()
    res = runner.invoke(main, ["explain", str(path), "--at", "coin", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["at"] == "coin"
    alts = {c["node"]: c["alternatives"] for c in doc["choices"]}
    assert set(alts) == {"b_good", "b_bad"}
    assert alts["b_good"][0]["action"] == "grab" and alts["b_good"][0]["value"] == pytest.approx(1.5)
    res = runner.invoke(main, ["explain", str(path), "--at", "nowhere"])
    assert res.exit_code == 2 and "unknown node 'nowhere'" in res.output


def test_routes_through_shared_nodes_name_copies_by_their_label_only() -> None:
    """defense_clause v2 unfolds shared nodes into copies (``russia_pays[push_russia,...]``); the story
    names each by its label, since the route it stands on is its history (issue 13)."""
    sc = trapsim.load(str(ROOT / "scenarios" / "defense_clause.toml"))
    text = explain(sc).text(width=None)
    assert "Every path on which each trap fires" in text and "Moscow pays or reneges" in text
    assert not re.search(r"[\w?]\[[a-z_]+(,[a-z_]+)*\]", text)  # no history bracket anywhere


# ------------------------------------------------- the default teaches, --full tells everything

DEFENSE_V2 = Path(__file__).resolve().parents[1] / "scenarios" / "defense_clause.toml"


def test_explain_by_default_tells_off_path_parts_briefly_and_full_tells_everything() -> None:
    from trapsim.explain.story import BRIEF_DEPTH

    runner = CliRunner()
    brief = runner.invoke(main, ["explain", str(DEFENSE_V2)])
    full = runner.invoke(main, ["explain", str(DEFENSE_V2), "--full"])
    assert brief.exit_code == 0 and full.exit_code == 0, brief.output + full.output
    sc = trapsim.load(str(DEFENSE_V2))
    assert full.output == api.explain(sc).text(width=100)  # --full is the whole story, unchanged
    brief_lines, full_lines = brief.output.splitlines(), full.output.splitlines()
    assert len(brief_lines) < len(full_lines) / 3
    off = brief.output[brief.output.index("Why: what the actors expect off the path") : brief.output.index("Traps on")]
    # each action not taken on the path is told, down to its first decisions
    assert "Had Ukraine chosen Push into Russia proper at Ukraine decides whether to push:" in off
    assert "Russia chooses Invoke Article 4 at Russia: fight alone or invoke Article 4" in off
    assert "If As planned (70.0%): then Moscow pays or reneges;" in off  # a deeper part in one line: its decisions
    assert "--full tells all" in off
    told = api.explain(sc, full=False)
    summary = next(ln.text for ln in told.lines if ln.text.startswith("If As planned (70.0%): then"))
    # war goes on 70% (then Moscow pays) x Russia retakes the ground 67.5% = 47.25%: the likeliest ending
    assert summary.endswith("the game most likely (47.2%) ends at Russia retakes the ground.")
    depth = max(
        ln.depth for ln in told.lines[told.lines.index(next(ln for ln in told.lines if ln.text.startswith("Why"))) :]
    )
    assert depth <= BRIEF_DEPTH + 3  # a decision's terms and wrapped lines below the deepest told part
    # the traps and the firing paths are the same in both
    assert brief.output[brief.output.index("Traps on") :] == full.output[full.output.index("Traps on") :]


def test_explain_json_is_complete_with_or_without_full() -> None:
    runner = CliRunner()
    plain = runner.invoke(main, ["explain", str(DEFENSE_V2), "--json"])
    full = runner.invoke(main, ["explain", str(DEFENSE_V2), "--json", "--full"])
    assert plain.exit_code == 0 and plain.output == full.output
