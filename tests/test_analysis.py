"""Exact trap probabilities, Sobol'/Morris sensitivity and PRIM discovery, with known answers."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import trapsim
from trapsim.analysis.discovery import share
from trapsim.analysis.prim import prim
from trapsim.analysis.probability import probabilities_at, sample_probabilities
from trapsim.cli import main
from trapsim.errors import ScenarioError
from trapsim.scenario import loads

ROOT = Path(__file__).resolve().parents[1]
DEFENSE = ROOT / "tests" / "data" / "defense_clause_v1.toml"
SIMPLE = ROOT / "tests" / "data" / "simple.toml"

# A coin, then a decision. P(went) = p * [x >= 0.5] (ties go to the first action),
# P(regret) = p * [0.5 <= x < 0.7], P(stayed) = (1 - p) + p * [x < 0.5].
COIN = """
[scenario]
name = "coin"
title = "Coin then choice"
root = "c"
[actors.a]
name = "A"
[parameters]
p = { dist = "uniform", low = 0, high = 1 }
x = { dist = "uniform", low = 0, high = 1 }
k = 3
[nodes.c]
chance = { h = "p", t = "1 - p" }
next = { h = "d", t = "tails" }
[nodes.d]
actor = "a"
next = { go = "win", stop = "lose" }
[payoffs]
win = { a = "x" }
lose = { a = 0.5 }
tails = { a = 0 }
[traps.went]
title = "Went"
when = 'played("d", "go")'
[traps.regret]
title = "Regret"
when = 'went and payoff("a") < 0.7'
[traps.stayed]
title = "Stayed"
when = 'reached("c") and not went'
"""


def _chance_game(prob: str, params: str, name: str = "known") -> trapsim.Scenario:
    """One chance node with P(fire) = ``prob``: the trap's exact probability is that expression."""
    return loads(
        f"""
[scenario]
name = "{name}"
title = "Known answer"
root = "c"
[actors.a]
name = "A"
[parameters]
{params}
[nodes.c]
chance = {{ fire = "{prob}", calm = "1 - ({prob})" }}
next = {{ fire = "fired", calm = "calm" }}
[payoffs]
fired = {{ a = 1 }}
calm = {{ a = 0 }}
[traps.t]
title = "The trap"
when = 'reached("fired")'
""",
        path=f"{name}.toml",
    )


def _box_game() -> trapsim.Scenario:
    """A decision that makes trap ``t`` fire exactly when x > 0.7 and y < 0.3."""
    return loads(
        """
[scenario]
name = "box"
title = "A trap with a known box"
root = "d"
[simulation]
seed = 11
[actors.a]
name = "A"
[parameters]
x = { dist = "uniform", low = 0, high = 1 }
y = { dist = "uniform", low = 0, high = 1 }
z = { dist = "uniform", low = 0, high = 1 }
w = { dist = "normal", mean = 0, sd = 1 }
flag = { dist = "bernoulli", p = 0.5 }
[nodes.d]
actor = "a"
next = { act = "acted", wait = "waited" }
[payoffs]
acted = { a = "if(x > 0.7 and y < 0.3, 1, 0)" }
waited = { a = 0.5 }
[traps.t]
title = "Acted"
when = 'played("d", "act")'
""",
        path="box.toml",
    )


# ------------------------------------------------------------ exact probability


def test_probability_matches_hand_solution_with_ties_payoffs_and_earlier_traps() -> None:
    sc = loads(COIN, path="coin.toml")
    p = np.array([0.2, 0.5, 0.9, 1.0, 0.0])
    x = np.array([0.3, 0.5, 0.6, 0.8, 0.9])
    out = probabilities_at(sc, {"p": p, "x": x}, solver="spe", rationality=10)
    np.testing.assert_allclose(out["went"], p * (x >= 0.5))
    np.testing.assert_allclose(out["regret"], p * ((x >= 0.5) & (x < 0.7)))
    np.testing.assert_allclose(out["stayed"], (1 - p) + p * (x < 0.5))


def test_probability_under_qre_is_the_logit_choice_times_the_chance() -> None:
    sc = loads(COIN, path="coin.toml")
    p, x, r = np.array([0.3, 0.8]), np.array([0.4, 0.9]), 4.0
    out = trapsim.trap_probability(sc, {"p": p, "x": x}, solver="qre", rationality=r)
    go = np.exp(r * x) / (np.exp(r * x) + np.exp(r * 0.5))
    np.testing.assert_allclose(out["went"], p * go)
    np.testing.assert_allclose(out["regret"], p * go * (x < 0.7))
    np.testing.assert_allclose(out["stayed"], 1 - p * go)


def test_probability_on_simple_entry_game() -> None:
    # The entrant always enters; a strong incumbent (p = 0.3) fights iff 1 - cost >= 0.5.
    sc = trapsim.load(str(SIMPLE))
    cost = np.array([0.1, 0.5, 0.51, 1.9])
    out = trapsim.trap_probability(sc, {"cost": cost})
    np.testing.assert_allclose(out["fight"], [0.3, 0.3, 0.0, 0.0])
    np.testing.assert_allclose(out["entry_regret"], out["fight"])


@pytest.mark.parametrize("solver", ["spe", "qre"])
def test_mean_probability_matches_the_monte_carlo_rate(solver: str) -> None:
    sc = trapsim.load(str(DEFENSE))
    res = trapsim.simulate(sc, draws=20_000, seed=5, solver=solver)
    probs = trapsim.trap_probability(res)
    # the same draws as a scenario-level call with the run's seed (and P(given) for conditional traps)
    _, again = sample_probabilities(sc, draws=20_000, entropy=5, solver=solver, rationality=res.rationality)
    for t in sc.traps:
        lo, hi = res.ci95(t.id)
        assert probs[t.id].shape == (20_000,)
        np.testing.assert_array_equal(again[t.id], probs[t.id])
        assert lo <= probs[t.id].sum() / again.given_or_one(t.id).sum() <= hi, t.id  # the rate among given
        assert ((probs[t.id] >= 0) & (probs[t.id] <= 1)).all()


def test_fixed_values_are_used_and_bad_params_are_reported() -> None:
    sc = loads(COIN, path="coin.toml")
    out = trapsim.trap_probability(sc, draws=1000, seed=1, values={"p": 1.0, "x": 0.9})
    np.testing.assert_allclose(out["went"], 1.0)
    with pytest.raises(ScenarioError, match=r"no values for uncertain parameter.*x"):
        trapsim.trap_probability(sc, {"p": [0.5]})
    with pytest.raises(ScenarioError, match=r"unknown parameter.*q"):
        trapsim.trap_probability(sc, {"p": [0.5], "x": [0.5], "q": [1]})


# ------------------------------------------------------------------ sensitivity


def test_sobol_one_parameter_trap_has_total_index_one_for_it_only() -> None:
    sc = _chance_game(
        "x ** 2",
        'x = { dist = "uniform", low = 0, high = 1 }\n'
        'y = { dist = "uniform", low = 0, high = 1 }\n'
        'z = { dist = "beta", a = 2, b = 3 }\nk = 0.5',
    )
    res = trapsim.sensitivity(sc, samples=512, seed=3)
    idx = res.indices["t"]
    assert res.parameters == ["x", "y", "z"] and res.excluded == ["k"]
    assert idx["x"]["ST"] == pytest.approx(1.0, abs=0.05)
    assert idx["x"]["S1"] == pytest.approx(1.0, abs=0.05)
    for other in ("y", "z"):
        assert abs(idx[other]["ST"]) < 0.02 and abs(idx[other]["S1"]) < 0.05
    assert res.ranking("t")[0] == "x"
    assert res.evaluations == 512 * (3 + 2)
    assert set(res.convergence["t"]) == {"half_samples", "max_abs_change_ST", "max_abs_change_S1"}


def test_sobol_first_order_indices_of_an_additive_trap() -> None:
    # P = (x + 3y) / 4 with x, y uniform: S1 = 1/10 and 9/10, no interactions.
    sc = _chance_game(
        "(x + 3 * y) / 4",
        'x = { dist = "uniform", low = 0, high = 1 }\ny = { dist = "uniform", low = 0, high = 1 }',
    )
    idx = trapsim.sensitivity(sc, samples=1024, seed=4).indices["t"]
    assert idx["x"]["S1"] == pytest.approx(0.1, abs=0.03)
    assert idx["y"]["S1"] == pytest.approx(0.9, abs=0.03)
    assert idx["y"]["ST"] == pytest.approx(0.9, abs=0.03)
    assert 0 < idx["y"]["S1_conf"] < 0.1


def test_design_follows_each_parameters_distribution() -> None:
    # P = x with x ~ beta(2, 5): the mean over the design is E[x] = 2/7, not 1/2.
    sc = _chance_game("x", 'x = { dist = "beta", a = 2, b = 5 }\ny = { dist = "uniform", low = 0, high = 1 }')
    res = trapsim.sensitivity(sc, samples=1024, seed=5)
    assert res.mean["t"] == pytest.approx(2 / 7, abs=0.01)
    assert res.sd["t"] == pytest.approx(np.sqrt(10 / (49 * 8)), abs=0.01)  # var = ab/((a+b)^2(a+b+1))


def test_morris_ranks_the_only_relevant_parameter_first() -> None:
    sc = _chance_game(
        "x ** 2",
        'x = { dist = "uniform", low = 0, high = 1 }\n'
        'y = { dist = "normal", mean = 0, sd = 1 }\n'
        'z = { dist = "lognormal", mu = 0, sigma = 1 }',
    )
    res = trapsim.sensitivity(sc, method="morris", samples=20, seed=6)
    idx = res.indices["t"]
    assert res.ranking("t")[0] == "x"
    # steps of half the quantile range: 1/8 <-> 5/8 changes x^2 by 0.375, 3/8 <-> 7/8 by 0.625
    assert idx["x"]["mu_star"] == pytest.approx(0.5, abs=0.13)
    assert idx["y"]["mu_star"] == 0.0 and idx["z"]["mu_star"] == 0.0
    assert res.evaluations == 20 * 4
    doc = res.to_dict()
    assert set(doc["traps"]["t"]["x"]) >= {"mu_star", "mu_star_conf", "sigma"}
    assert doc["method"] == "morris" and doc["samples"] == 20


def test_sensitivity_is_reproducible_and_json_has_the_contract_shape() -> None:
    sc = trapsim.load(str(SIMPLE))
    a = trapsim.sensitivity(sc, samples=64, seed=9).to_dict()
    b = trapsim.sensitivity(sc, samples=64, seed=9).to_dict()
    a["meta"].pop("elapsed_s"), b["meta"].pop("elapsed_s")
    assert a == b
    assert a["method"] == "sobol" and a["samples"] == 64
    assert set(a["traps"]) == {"fight", "entry_regret"}
    assert set(a["traps"]["fight"]["cost"]) == {"S1", "S1_conf", "ST", "ST_conf"}
    json.dumps(a, allow_nan=False)  # valid JSON: no NaN


def test_constant_trap_gets_no_indices_and_a_note() -> None:
    sc = _chance_game("0.25", 'x = { dist = "uniform", low = 0, high = 1 }')
    res = trapsim.sensitivity(sc, samples=16, seed=1)
    assert res.indices["t"]["x"] == {"S1": None, "S1_conf": None, "ST": None, "ST_conf": None}
    assert "no variance" in res.notes["t"]
    json.dumps(res.to_dict(), allow_nan=False)


def test_sensitivity_input_errors() -> None:
    sc = trapsim.load(str(SIMPLE))
    with pytest.raises(ScenarioError, match=r"power of 2.*got 100 \(try 128\)"):
        trapsim.sensitivity(sc, samples=100)
    with pytest.raises(ScenarioError, match=r"unknown trap 'fihgt'.*did you mean 'fight'"):
        trapsim.sensitivity(sc, traps=["fihgt"], samples=16)
    with pytest.raises(ScenarioError, match=r"unknown trap 'x' \(traps: fight, entry_regret\)$"):
        trapsim.sensitivity(sc, traps=["x"], samples=16)
    with pytest.raises(ScenarioError, match=r"unknown trap 'x' \(traps: fight, entry_regret\)$"):
        trapsim.discover(sc, "x", draws=100)
    with pytest.raises(ScenarioError, match="every parameter is a constant"):
        trapsim.sensitivity(sc, values={"cost": 1.0}, samples=16)


# -------------------------------------------------------------------- discovery


def _check_known_box(d: trapsim.Discovery) -> None:
    assert d.boxes, d.note
    box = d.boxes[0]
    assert set(box.limits) == {"x", "y"}
    (xlo, xhi), (ylo, yhi) = box.limits["x"], box.limits["y"]
    assert abs(xlo - 0.7) < 0.05 and xhi == 1.0
    assert ylo == 0.0 and abs(yhi - 0.3) < 0.05
    assert box.density > 0.9 and box.test["density"] > 0.9
    assert box.coverage > 0.9 and box.mass == pytest.approx(0.09, abs=0.02)


def test_prim_finds_the_known_box() -> None:
    d = trapsim.discover(_box_game(), "t", draws=8000)
    _check_known_box(d)
    text = d.boxes[0].text
    assert re.fullmatch(
        r"t fires in \d+% of draws where (x > 0\.\d+ and y < 0\.\d+|y < 0\.\d+ and x > 0\.\d+) "
        r"\(this box holds \d\.?\d?% of draws and \d+% of all firings\)",
        text,
    ), text
    assert len(d.boxes) == 1  # nothing else makes the trap likely


def test_prim_with_a_threshold_finds_the_same_box() -> None:
    d = trapsim.discover(_box_game(), "t", draws=8000, threshold=0.5)
    _check_known_box(d)
    assert "has P(fires) >= 0.5 in" in d.boxes[0].text


def test_prim_core_on_probabilities_with_a_discrete_input_and_covering() -> None:
    rng = np.random.default_rng(0)
    n = 6000
    x = np.column_stack([rng.random(n), rng.integers(0, 2, n).astype(float), rng.random(n)])
    y = np.where((x[:, 1] == 1) & (x[:, 0] > 0.5), 0.9, 0.05)
    first = prim(x, y, discrete=[False, True, False], min_coverage=0.3)
    assert first.restricted == (0, 1)
    assert first.limits[1].tolist() == [1.0, 1.0]
    assert abs(first.limits[0, 0] - 0.5) < 0.05
    assert first.density == pytest.approx(0.9, abs=1e-9)
    # the trajectory starts at the whole sample and never gains coverage while peeling
    cov = [p.coverage for p in first.trajectory]
    assert cov[0] == 1.0 and all(a >= b for a, b in itertools.pairwise(cov))
    second = prim(x, y, discrete=[False, True, False], exclude=first.inside)
    assert not (second.inside & first.inside).any()


def test_discovery_json_text_and_reproducibility() -> None:
    sc = trapsim.load(str(DEFENSE))
    a = trapsim.discover(sc, "putin_trap", draws=4000, seed=2).to_dict()
    b = trapsim.discover(sc, "putin_trap", draws=4000, seed=2).to_dict()
    a["meta"].pop("elapsed_s"), b["meta"].pop("elapsed_s")
    assert a == b
    box = a["boxes"][0]
    assert {"limits", "density", "coverage", "mass", "text"} <= set(box)
    assert box["density"] > 2 * a["rate"]  # the box is where the trap is likely
    assert box["text"].startswith(f"putin_trap fires in {share(box['density'])} of draws where ")
    for name, (lo, hi) in box["limits"].items():
        r_lo, r_hi = a["ranges"][name]
        assert r_lo <= lo <= hi <= r_hi and (lo > r_lo or hi < r_hi)
    json.dumps(a, allow_nan=False)


def test_discovery_of_a_trap_that_never_fires() -> None:
    sc = _chance_game("0", 'x = { dist = "uniform", low = 0, high = 1 }')
    d = trapsim.discover(sc, "t", draws=500, seed=1)
    assert d.boxes == [] and "never fires" in d.note
    with pytest.raises(ScenarioError, match="threshold: expected a probability"):
        trapsim.discover(sc, "t", threshold=1.5)


# -------------------------------------------------------------------------- CLI


def test_cli_sensitivity_json_and_files(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(main, ["sensitivity", str(SIMPLE), "--draws", "64", "--seed", "1", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["method"] == "sobol" and set(doc["traps"]) == {"fight", "entry_regret"}
    out = tmp_path / "out"
    r = runner.invoke(main, ["sensitivity", str(SIMPLE), "--draws", "64", "--trap", "fight", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "ST" in r.output and "cost" in r.output and "convergence" in r.output
    assert (out / "simple_sensitivity.json").exists()
    assert (out / "simple_sensitivity_fight.png").read_bytes()[:4] == b"\x89PNG"
    r = runner.invoke(main, ["sensitivity", str(SIMPLE), "--draws", "100"])
    assert r.exit_code == 2 and "power of 2" in r.output


def test_cli_discover(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(
        main,
        [
            "discover",
            str(DEFENSE),
            "--trap",
            "putin_trap",
            "--draws",
            "3000",
            "--out",
            str(tmp_path),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "Box 1: putin_trap fires in" in r.output and "on fresh draws" in r.output
    assert (tmp_path / "defense_clause_discover_putin_trap_box.png").exists()
    assert (tmp_path / "defense_clause_discover_putin_trap_peeling.png").exists()
    r = runner.invoke(main, ["discover", str(DEFENSE), "--draws", "3000"])
    assert r.exit_code == 2 and "putin_trap, kim_trap" in r.output
    r = runner.invoke(main, ["discover", str(DEFENSE), "--trap", "putin", "--draws", "3000"])
    assert r.exit_code == 2 and "unknown trap 'putin'" in r.output
    r = runner.invoke(main, ["discover", str(DEFENSE), "--trap", "putin_trap", "--draws", "1000", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["trap"] == "putin_trap"


def test_drivers_section_for_the_report() -> None:
    from trapsim.api import drivers
    from trapsim.figures.analysis import drivers_figures

    sec = drivers(_box_game(), samples=64, draws=2000)
    assert sec.heading == "What drives each trap"
    (part,) = sec.traps
    assert "fires in" in part.paragraph and "x" in part.paragraph
    slugs = [slug for slug, _, _ in drivers_figures(sec)]
    assert slugs == ["t_sensitivity", "t_box", "t_peeling"]
    assert sec.to_dict()["discovery"]["t"]["boxes"]


def test_report_gains_a_what_drives_each_trap_section() -> None:
    from trapsim import report
    from trapsim.api import drivers_section

    res = trapsim.simulate(_box_game(), draws=2000, seed=1)
    sec = drivers_section(res, samples=64, draws=2000)
    page = report.build_report(res, extra_sections=[sec])
    assert page.index('id="traps"') < page.index('id="drivers"') < page.index('id="outcomes"')
    body = page[page.index('id="drivers"') : page.index('id="outcomes"')]
    assert "What drives each trap" in body and "Where it springs: t fires in" in body
    assert body.count("data:image/png;base64,") == 2  # tornado and box limits


def test_cart_rules_find_the_known_box() -> None:
    d = trapsim.discover(_box_game(), "t", draws=8000, method="cart", max_depth=2)
    _check_known_box(d)
    assert d.method == "cart" and d.to_dict()["method"] == "cart"
    assert d.boxes[0].text.startswith("t fires in 100% of draws where x > 0.70 and y < 0.30")


def test_cart_leaves_partition_the_draws() -> None:
    from trapsim.analysis.cart import cart

    rng = np.random.default_rng(1)
    x = rng.random((4000, 3))
    y = (x[:, 2] > 0.5).astype(float) * 0.8
    leaves = cart(x, y, max_depth=3, min_leaf=0.05)
    assert sum(int(leaf.inside.sum()) for leaf in leaves) == 4000
    assert not np.any(np.sum([leaf.inside for leaf in leaves], axis=0) > 1)
    best = leaves[0]
    assert best.mean == pytest.approx(0.8) and abs(best.limits[2, 0] - 0.5) < 0.01
    assert [leaf.mean for leaf in leaves] == sorted((leaf.mean for leaf in leaves), reverse=True)


def test_cli_discover_with_cart(tmp_path: Path) -> None:
    r = CliRunner().invoke(
        main,
        [
            "discover",
            str(DEFENSE),
            "--trap",
            "abandonment",
            "--method",
            "cart",
            "--draws",
            "5000",
            "--out",
            str(tmp_path),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "Box 1: abandonment fires in" in r.output and "invoke_cost <" in r.output
    assert (tmp_path / "defense_clause_discover_abandonment_leaves.png").exists()


def test_default_sobol_on_the_bundled_scenario_is_converged() -> None:
    """Its time (under 30 s on two cores) is a budget in benchmarks/bench_budgets.py, not a test."""
    res = trapsim.sensitivity(trapsim.load(str(DEFENSE)), traps=["putin_trap"])
    assert res.samples == 8192 and res.evaluations == 8192 * 22
    assert res.ranking("putin_trap")[0] == "p_gain"
    assert res.convergence["putin_trap"]["max_abs_change_ST"] < 0.05


def test_scenarios_with_beliefs_are_refused_rather_than_answered_wrongly() -> None:
    from types import SimpleNamespace

    from trapsim.analysis.probability import check_supported

    fake = SimpleNamespace(beliefs={"a": ("x",)}, path="b.toml", traps=())
    with pytest.raises(ScenarioError, match=r"b\.toml: beliefs: .*do not support \[beliefs\]"):
        check_supported(fake)  # type: ignore[arg-type]
    check_supported(loads(COIN, path="coin.toml"))  # played/reached/payoff are fine


def test_cli_discover_names_the_denominator_of_a_conditional_trap() -> None:
    """P(won | acted) = p = 0.3 exactly in every analysed draw (tests/data/conditional.toml)."""
    data = Path(__file__).parent / "data" / "conditional.toml"
    runner = CliRunner()
    r = runner.invoke(main, ["discover", str(data), "--trap", "won_after_acting", "--draws", "2000", "--no-figures"])
    assert r.exit_code == 0, r.output
    assert "Overall the trap fires in 30.00% of draws where A acted." in r.output
    r = runner.invoke(main, ["discover", str(data), "--trap", "acted", "--draws", "2000", "--no-figures"])
    assert r.exit_code == 0, r.output
    assert "Overall the trap fires in " in r.output and "% of draws.\n" in r.output  # unconditional: all draws
