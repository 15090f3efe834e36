"""Monte Carlo runs: rates against analytic probabilities, reproducibility, run-time errors,
Wilson intervals and the JSON contract."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import trapsim
from trapsim.errors import RunError, ScenarioError
from trapsim.runner import CHUNK, run, wilson
from trapsim.scenario import loads

DATA = Path(__file__).parent / "data"


def _load(name: str) -> trapsim.Scenario:
    return trapsim.load(str(DATA / name))


def assert_rate(res: trapsim.Result, trap: str, p: float) -> None:
    """The observed rate is within 4 standard errors of ``p`` (fixed seeds: no flakiness)."""
    se = math.sqrt(p * (1 - p) / res.draws)
    assert abs(res.rate(trap) - p) <= 4 * se + 1e-12, (trap, res.rate(trap), p)


@pytest.fixture(scope="module")
def distributions() -> trapsim.Result:
    return trapsim.simulate(_load("core_distributions.toml"))


SF = {  # trap -> analytic probability 1 - F(c)
    "u_high": 0.25,
    "n_high": float(stats.norm(1, 2).sf(2)),
    "tn_high": float(stats.truncnorm(-0.5, 1.5, loc=0.5, scale=1).sf(1)),
    "tn_low_high": float(stats.norm.sf(1.5) / stats.norm.sf(1)),
    "ln_high": float(stats.lognorm(s=0.5).sf(1.5)),
    "b_high": float(stats.beta(2, 3).sf(0.4)),
    "tri_high": (4 - 2) ** 2 / ((4 - 0) * (4 - 1)),  # upper part of triangular(0, 1, 4)
    "bern_on": 0.35,
    "ch_high": 0.8,
}


def test_triangular_reference_is_right() -> None:
    # P(tri > 2) for triangular(0, 1, 4) is (4 - 2)^2 / ((4 - 0)(4 - 1)) = 1/3
    assert SF["tri_high"] == pytest.approx(float(stats.triang(0.25, scale=4).sf(2)))


@pytest.mark.parametrize("trap", sorted(SF))
def test_each_distribution_drives_its_trap(distributions: trapsim.Result, trap: str) -> None:
    assert distributions.draws == 100_000
    assert_rate(distributions, trap, SF[trap])
    lo, hi = distributions.ci95(trap)
    assert lo <= distributions.rate(trap) <= hi


def test_payoff_moments(distributions: trapsim.Result) -> None:
    # the only outcome pays A the uniform(0, 4) draw: mean 2, sd 4 / sqrt(12)
    sd = 4 / math.sqrt(12)
    assert abs(distributions.payoff_mean["a"] - 2) < 4 * sd / math.sqrt(distributions.draws)
    assert distributions.payoff_sd["a"] == pytest.approx(sd, rel=0.01)


@pytest.fixture(scope="module")
def decision() -> trapsim.Result:
    return trapsim.simulate(_load("core_decision.toml"))


def test_decision_under_uncertainty(decision: trapsim.Result) -> None:
    assert_rate(decision, "acted", 0.6)  # P(v > 0.4)
    assert decision.trap_counts["regret"] == 0  # A acts only when it gains


def test_chance_node_with_uncertain_probability(decision: trapsim.Result) -> None:
    assert_rate(decision, "hit", 0.6 * 0.4)  # P(act) * E[p], p ~ beta(2, 3)
    hits, misses = decision.edge_counts["nature"]
    assert hits + misses == decision.trap_counts["acted"]
    assert hits == decision.trap_counts["hit"]


def test_ties_go_to_the_first_listed_action(decision: trapsim.Result) -> None:
    # B takes "first" iff t >= 0, t uniform on {-1, 0, 1}: the tie t = 0 goes to "first"
    assert_rate(decision, "first", 0.24 * 2 / 3)
    doc = decision.to_dict()
    assert doc["ties"]["choose"]["share"] == 0.0
    share = doc["ties"]["split"]["share"]
    assert abs(share - 1 / 3) < 4 * math.sqrt(2 / 9 / decision.draws)
    on_path = doc["ties"]["split"]["share_on_path"]
    assert abs(on_path - 0.08) < 4 * math.sqrt(0.08 * 0.92 / decision.draws)


def test_payoffs_of_the_decision_scenario(decision: trapsim.Result) -> None:
    # A gets max(v - 0.4, 0): mean 0.18; B gets t = 1 after act, hit and first: mean 0.24 / 3
    n = decision.draws
    assert abs(decision.payoff_mean["a"] - 0.18) < 4 * math.sqrt(0.0396 / n)
    assert decision.payoff_sd["a"] == pytest.approx(math.sqrt(0.0396), rel=0.02)
    assert abs(decision.payoff_mean["b"] - 0.08) < 4 * math.sqrt(0.08 * 0.92 / n)


def test_outcome_counts_add_up(decision: trapsim.Result) -> None:
    assert sum(decision.outcome_counts.values()) == decision.draws
    waited = decision.outcome_counts["waited"] / decision.draws
    assert abs(waited - 0.4) < 4 * math.sqrt(0.24 / decision.draws)


@pytest.mark.parametrize("rationality", [0.5, 2.0, 8.0])
def test_qre_logit_choice(rationality: float) -> None:
    sc = _load("core_qre.toml")
    res = trapsim.simulate(sc, rationality=rationality, draws=50_000)
    assert res.solver == "qre"
    expected = math.log((1 + math.exp(rationality)) / 2) / rationality
    assert_rate(res, "left", expected)


def test_qre_at_a_fixed_value() -> None:
    sc = _load("core_qre.toml")
    res = trapsim.simulate(sc, values={"v": 1.0}, rationality=3.0, draws=50_000)
    assert_rate(res, "left", math.exp(3.0) / (math.exp(3.0) + 1))


def test_spe_on_the_qre_scenario_always_goes_left() -> None:
    res = trapsim.simulate(_load("core_qre.toml"), solver="spe", draws=10_000)
    assert res.trap_counts["left"] == 10_000


# ----------------------------------------------------------------- reproducibility


def _strip(doc: dict[str, Any]) -> dict[str, Any]:
    doc = dict(doc)
    doc["meta"] = {k: v for k, v in doc["meta"].items() if k != "elapsed_s"}
    return doc


def test_same_seed_gives_bit_identical_results() -> None:
    sc = _load("simple.toml")
    a = trapsim.simulate(sc, draws=30_000, seed=3)
    b = trapsim.simulate(trapsim.load(str(DATA / "simple.toml")), draws=30_000, seed=3)
    assert _strip(a.to_dict()) == _strip(b.to_dict())
    np.testing.assert_array_equal(a.chunk_trap_counts, b.chunk_trap_counts)
    c = trapsim.simulate(sc, draws=30_000, seed=4)
    assert c.trap_counts != a.trap_counts


def test_qre_reruns_are_identical() -> None:
    sc = _load("core_qre.toml")
    a, b = (trapsim.simulate(sc, draws=20_000, seed=9) for _ in range(2))
    assert _strip(a.to_dict()) == _strip(b.to_dict())


def test_more_draws_extend_the_same_chunks() -> None:
    sc = _load("simple.toml")
    short = trapsim.simulate(sc, draws=CHUNK, seed=5)
    long = trapsim.simulate(sc, draws=3 * CHUNK + 17, seed=5)
    np.testing.assert_array_equal(short.chunk_trap_counts[0], long.chunk_trap_counts[0])
    assert list(long.chunk_sizes) == [CHUNK, CHUNK, CHUNK, 17]


@pytest.mark.slow
def test_workers_do_not_change_the_result() -> None:
    sc = _load("simple.toml")
    draws = 2 * CHUNK + 3000  # three chunks
    one = trapsim.simulate(sc, draws=draws, seed=13, workers=1)
    two = trapsim.simulate(sc, draws=draws, seed=13, workers=2)
    assert two.workers == 2
    assert _strip(one.to_dict()) == _strip(two.to_dict())
    np.testing.assert_array_equal(one.chunk_trap_counts, two.chunk_trap_counts)


def test_no_seed_records_the_entropy_used() -> None:
    sc = loads((DATA / "core_qre.toml").read_text().replace("seed = 5\n", ""), path="noseed.toml")
    res = trapsim.simulate(sc, draws=1000)
    assert not res.seed_given
    assert res.to_dict()["meta"]["seed_source"] == "entropy"
    again = trapsim.simulate(sc, draws=1000, seed=res.seed)
    assert again.trap_counts == res.trap_counts


# ---------------------------------------------------------------- run-time errors

BASE = """
[scenario]
name = "err"
root = "first"
[actors.a]
name = "A"
[parameters]
x = {{ dist = "uniform", low = {xlow}, high = 1 }}
y = 2
{derived}
[nodes.first]
actor = "a"
next = {{ go = "nature", stop = "stopped" }}
[nodes.nature]
chance = {{ up = "{p_up}", down = "1 - ({p_up})" }}
next = {{ up = "ups", down = "downs" }}
[payoffs]
stopped = {{ a = 0 }}
ups = {{ a = "{payoff}" }}
downs = {{ a = 1 }}
"""


def _scenario(payoff: str = "x", p_up: str = "0.5", derived: str = "", xlow: float = -1) -> trapsim.Scenario:
    return loads(_text(payoff, p_up, derived, xlow), path="err.toml")


def _text(payoff: str = "x", p_up: str = "0.5", derived: str = "", xlow: float = -1) -> str:
    return BASE.format(payoff=payoff, p_up=p_up, derived=derived, xlow=xlow)


def _validation_error(**kw: Any) -> str:
    with pytest.raises(ScenarioError) as info:
        _scenario(**kw)
    return str(info.value)


# Validation evaluates every expression at the central values and on a fixed sample, so a file
# that cannot run is refused by `validate`; a value fixed for a run (--set) is checked by the run.


def test_nan_in_a_payoff_is_refused_by_validation() -> None:
    msg = _validation_error(payoff="log(x + 0.5) * y")
    assert msg.startswith("err.toml: payoffs.ups.a:")
    assert '"log(x + 0.5) * y" is nan in validation draw' in msg
    assert "x = -" in msg and "y = 2" in msg  # x < -0.5 in that draw


def test_nan_in_a_payoff_at_run_time_names_the_expression_and_values() -> None:
    sc = _scenario(payoff="log(x) * y", xlow=0.5)  # valid as written; x = -0.5 is fixed for the run
    with pytest.raises(RunError) as info:
        run(sc, draws=5000, seed=1, values={"x": -0.5})
    msg = str(info.value)
    assert msg.startswith("err.toml: payoffs.ups.a:")
    assert '"log(x) * y"' in msg and "nan in draw 1," in msg
    assert "x = -0.5" in msg and "y = 2" in msg


def test_inf_in_a_derived_value_names_the_parameters_behind_it() -> None:
    msg = _validation_error(payoff="ratio", derived='[derived]\nratio = "y / (x - x)"')
    assert "derived.ratio" in msg and '"y / (x - x)"' in msg
    assert "at the central values, where x = 0" in msg and "y = 2" in msg


def test_derived_nan_through_a_chain_reports_underlying_parameters() -> None:
    sc = _scenario(payoff="b", derived='[derived]\na = "x * 3"\nb = "sqrt(a)"', xlow=0)
    with pytest.raises(RunError) as info:
        run(sc, draws=100, seed=1, values={"x": -1})
    msg = str(info.value)
    assert "derived.b" in msg and "a = -3" in msg and "x = -1" in msg


def test_chance_probability_outside_unit_interval_names_the_node() -> None:
    msg = _validation_error(p_up="x + 0.5")
    assert "nodes.nature.chance" in msg and "probabilities must lie in [0, 1]" in msg
    assert "x = " in msg
    with pytest.raises(RunError) as info:
        run(_scenario(p_up="x / 2 + 0.25", xlow=0), draws=5000, seed=1, values={"x": 2})
    msg = str(info.value)
    assert "nodes.nature.chance" in msg and "probabilities must lie in [0, 1]" in msg
    assert "up = 1.25, down = -0.25" in msg and "x = 2" in msg


def test_run_error_through_the_cli_exits_2(invoke, tmp_path: Path) -> None:
    path = tmp_path / "nan.toml"
    path.write_text(_text(payoff="log(x)", xlow=0.5))
    result = invoke("run", path, "--draws", "1000", "--seed", "1", "--json", "--set", "x=-1")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"error: {path}: payoffs.ups.a:" in result.output


def test_a_valid_probability_expression_runs() -> None:
    res = run(_scenario(p_up="(x + 1) / 2"), draws=20_000, seed=2)
    # going is worth p x + (1 - p) = (x^2 + 1) / 2 > 0, so A always goes; P(up) = E[p] = 1/2
    assert res.outcome_counts["stopped"] == 0
    assert abs(res.outcome_counts["ups"] / 20_000 - 0.5) < 4 * math.sqrt(0.25 / 20_000)


# ------------------------------------------------------------------ Wilson, JSON


@pytest.mark.parametrize(
    "count,n,lo,hi",
    [  # Newcombe (1998), Statistics in Medicine 17:857-872, Table II, method 3 (score)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_published_values(count: int, n: int, lo: float, hi: float) -> None:
    got = wilson(count, n)
    assert got[0] == pytest.approx(lo, abs=6e-5)
    assert got[1] == pytest.approx(hi, abs=6e-5)


def test_wilson_edge_cases() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    lo, hi = wilson(100, 100)
    assert hi == 1.0 and 0.96 < lo < 0.97


def test_json_shape_of_the_contract() -> None:
    sc = _load("simple.toml")
    res = trapsim.simulate(sc, draws=5000, seed=20240619)
    doc = json.loads(res.to_json())
    assert doc["scenario"] == "simple"
    assert (doc["draws"], doc["seed"], doc["solver"]) == (5000, 20240619, "spe")
    assert set(doc["traps"]) == {"fight", "entry_regret"}
    for trap in doc["traps"].values():
        assert set(trap) >= {"title", "count", "rate", "ci95"}
        assert trap["rate"] == trap["count"] / 5000
        assert len(trap["ci95"]) == 2 and trap["ci95"][0] <= trap["rate"] <= trap["ci95"][1]
    assert doc["traps"]["fight"]["title"] == "A fight"
    assert set(doc["outcomes"]) <= set(sc.outcomes)
    assert sum(o["count"] for o in doc["outcomes"].values()) == 5000
    for o in doc["outcomes"].values():
        assert o["rate"] == o["count"] / 5000
    assert set(doc["payoffs"]) == {"ent", "inc"}
    for p in doc["payoffs"].values():
        assert set(p) >= {"mean", "sd"}
    meta = doc["meta"]
    assert meta["trapsim"] == trapsim.__version__
    assert meta["scenario_sha256"] == sc.sha256 and len(sc.sha256) == 64
    assert isinstance(meta["elapsed_s"], float) and meta["elapsed_s"] >= 0


def test_simple_scenario_against_hand_calculation() -> None:
    """simple.toml: the strong incumbent fights iff 1 - cost > 0.5, i.e. cost < 0.5 (P = 1/4)."""
    sc = _load("simple.toml")
    res = trapsim.simulate(sc, draws=100_000, seed=1)
    # the entrant enters iff 0.3 * (fight ? -1 : 1) + 0.7 > 0, always true
    assert res.outcome_counts["out"] == 0
    assert_rate(res, "fight", 0.3 * 0.25)
    assert_rate(res, "entry_regret", 0.3 * 0.25)


def test_a_run_keeps_no_chunk_statistics_as_draws_grow(monkeypatch: pytest.MonkeyPatch) -> None:
    # Memory stays flat with draws: each chunk's statistics (hundreds of small arrays for a large tree)
    # are merged as they arrive, not kept until the end (10M draws of defense_clause kept ~25 MB).
    import gc

    from trapsim.runner import chunk

    alive: list[int] = []
    real = chunk.run_chunks

    def counted(*args: Any, **kwargs: Any) -> list[chunk.ChunkStats]:
        gc.collect()
        alive.append(sum(isinstance(o, chunk.ChunkStats) for o in gc.get_objects()))
        return real(*args, **kwargs)

    monkeypatch.setattr(chunk, "run_chunks", counted)
    sc = trapsim.load(Path(__file__).parent / "data" / "threshold.toml")
    res = trapsim.simulate(sc, draws=20 * 8192, seed=1, workers=1)
    assert len(alive) == 20 // chunk.BLOCK and max(alive) <= chunk.BLOCK, alive  # one block's at most
    assert res.chunk_sizes.tolist() == [8192] * 20
    assert res.chunk_trap_counts.sum(axis=0).tolist() == [res.trap_counts[t.id] for t in sc.traps]
