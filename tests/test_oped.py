"""The op-ed's argument in the model: priors marked ex-ante or hindsight, and the traps
of defense_clause v2 checked on hand-solvable settings.

For the trap tests every parameter is fixed (``values=``), so each draw's game is solved
by hand below: only the chance moves (the push's gain, the DPRK's losses, the war's end,
the fight) are random, and each trap's conditional rate follows from their
probabilities. The expected numbers are computed here from the payoff formulas written
out by hand, not taken from trapsim's output.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import trapsim
from trapsim.errors import ScenarioError
from trapsim.report import build_report
from trapsim.scenario import loads

SIMPLE = Path(__file__).parent / "data" / "simple.toml"


def _simple(parameters: str) -> str:
    text = SIMPLE.read_text()
    start = text.index("[parameters]")
    end = text.index("[derived]")
    return text[:start] + "[parameters]\n" + parameters + "\n\n" + text[end:]


def test_hindsight_is_loaded_and_changes_nothing_in_a_run() -> None:
    marked = loads(
        _simple(
            "# what entry costs\n"
            'cost = { dist = "uniform", low = 0, high = 2, '
            'hindsight = "the 2025 price war" }\np_strong = 0.3'
        ),
        path="h.toml",
    )
    plain = loads(_simple('cost = { dist = "uniform", low = 0, high = 2 }\np_strong = 0.3'), path="p.toml")
    assert marked.parameter("cost").hindsight == "the 2025 price war"
    assert marked.parameter("cost").comment == "what entry costs"
    assert plain.parameter("cost").hindsight == "" == marked.parameter("p_strong").hindsight
    a = trapsim.simulate(marked, draws=2000, seed=3).to_dict()["traps"]
    b = trapsim.simulate(plain, draws=2000, seed=3).to_dict()["traps"]
    assert a == b


def test_hindsight_on_a_labelled_constant() -> None:
    sc = loads(_simple('cost = 1\np_strong = { value = 0.3, hindsight = "known only in 2025" }'), path="h.toml")
    assert sc.parameter("p_strong").hindsight == "known only in 2025"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ('{ dist = "uniform", low = 0, high = 2, hindsight = 1 }', "parameters.cost.hindsight"),
        ('{ dist = "uniform", low = 0, high = 2, hindsigt = "x" }', "hindsight"),
    ],
)
def test_bad_hindsight_is_one_clear_error(spec: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        loads(_simple(f"cost = {spec}\np_strong = 0.3"), path="bad.toml")
    assert message in str(err.value)


def test_report_shows_which_priors_lean_on_hindsight() -> None:
    sc = loads(
        _simple(
            "# what entry costs\n"
            'cost = { dist = "uniform", low = 0, high = 2, '
            'hindsight = "the 2025 price war" }\np_strong = 0.3'
        ),
        path="h.toml",
    )
    page = build_report(trapsim.simulate(sc, draws=500, seed=1))
    assert "what entry costs [Hindsight: the 2025 price war]" in page


ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
DEFAULT = SCENARIOS / "defense_clause.toml"
DRAWS = 20_000

# A hand-solvable draw. With these values (see the module docstring):
#   Ukraine pushes into Russia proper (worth 0.5 * (0.4 + 0.3 * 0.4) - 0.1 = 0.16
#   against 0.054 for annexed land and 0 for holding);
#   the US answers calibrated (escalating costs 0.1 and moves nothing);
#   Moscow pays while the war goes on (0.1 <= 0.3) and reneges once it ended
#   (0.1 > 0.05), so Pyongyang expects payment with probability 0.8 and Moscow
#   expects to spend 0.8 * 0.1 + 0.2 * 0.05 = 0.09;
#   expected losses are 0.75 * 0.2 + 0.25 * 0.4 = 0.25;
#   the DPRK's value of troops (China acquiescing) is
#       gain + 0.3 * 0.8 + 0.1 * (2 * 0.7 - 1) - 0.25 - 0.1 = gain - 0.07,
#   against -0.5 * 0.2 = -0.1 for munitions only and -0.2 for a refusal;
#   Russia invokes when 0.5 * 0.5 + 0.2 > 0.02 + 0.09 (troops replace half of
#   its 0.5 manpower cost and add 0.2 to its chance).
BASE = {
    "p_gain_annexed": 0.2,
    "p_gain_russia": 0.5,
    "rho_alone": 0.5,
    "dprk_boost": 0.2,
    "us_boost": 0.0,
    "heavy_prob": 0.25,
    "war_on_prob": 0.8,
    "mob_cost": 0.5,
    "substitution": 0.5,
    "troop_price": 0.1,
    "need_war": 0.3,
    "need_peace": 0.05,
    "invoke_cost_annexed": 0.15,
    "invoke_cost_russia": 0.02,
    "dprk_gain_now": 0.25,
    "dprk_promise": 0.3,
    "dprk_casualties": 0.2,
    "heavy_factor": 2.0,
    "dprk_glory": 0.1,
    "refuse_cost": 0.2,
    "escape": 0.0,
    "china_chill": 0.1,
    "china_stake": 0.0,
    "us_ground": 0.4,
    "us_dprk_cost": 0.2,
    "us_esc_net": -0.1,
    "ua_push_cost": 0.05,
    "ua_russia_risk": 0.05,
    "ua_divert": 0.4,
    "ua_chip": 0.4,
    "ua_liberation": 0.0,
}


@pytest.fixture(scope="module")
def scenario() -> trapsim.Scenario:
    return trapsim.load(str(DEFAULT))


def _run(scenario: trapsim.Scenario, **changes: float) -> trapsim.Result:
    return trapsim.simulate(scenario, draws=DRAWS, seed=7, values={**BASE, **changes})


def _within(rate: float, p: float, n: int) -> bool:
    """A Monte Carlo rate over ``n`` draws within 4.5 standard errors of ``p``."""
    return abs(rate - p) <= 4.5 * math.sqrt(max(p * (1 - p), 1e-12) / n) + 1e-12


def test_base_values_cover_every_parameter(scenario: trapsim.Scenario) -> None:
    assert set(BASE) == {p.name for p in scenario.parameters}


@pytest.mark.parametrize(
    ("gain", "entrapped"),
    [
        (0.0, True),
        (0.03, True),
        (0.05, True),
        (0.09, False),
        (0.12, False),
        (0.3, False),
    ],
)
def test_entrapment_fires_exactly_when_the_treaty_flips_the_decision(
    scenario: trapsim.Scenario, gain: float, entrapped: bool
) -> None:
    # With the treaty troops (gain - 0.07) beat munitions only (-0.1) for every gain >= 0;
    # without it (refuse_cost = 0) munitions only and a refusal cost nothing, so troops go
    # only when gain - 0.07 >= 0: the treaty decides for gain < 0.07.
    res = _run(scenario, dprk_gain_now=gain)
    assert res.rate("putin_trap") == 1.0  # troops go in every draw with a gain
    assert res.rate("entrapment") == (1.0 if entrapped else 0.0)


@pytest.mark.parametrize(
    ("boost", "because"),
    [
        (0.05, True),
        (0.08, True),
        (0.15, False),
        (0.25, False),
    ],
)
def test_strong_putin_trap_fires_when_substitution_decides_the_call(
    scenario: trapsim.Scenario, boost: float, because: bool
) -> None:
    # Russia invokes when 0.5 * substitution + boost > 0.02 + 0.09; with substitution = 0
    # (the world no_substitution) only when boost > 0.11.
    res = _run(scenario, dprk_boost=boost)
    assert res.rate("putin_trap") == 1.0
    assert res.rate("strong_putin_trap") == (1.0 if because else 0.0)


def test_kim_trap_is_regret_against_the_munitions_only_world(scenario: trapsim.Scenario) -> None:
    # Committed to munitions only, Pyongyang would not be asked (Russia fights alone:
    # -1.0 beats -1.02), so it would get 0. With troops it gets
    #   0.25 + 0.3 * [war goes on] +/- 0.1 - (0.2 or 0.4) - 0.1,
    # which is negative on: goes on, held, heavy (0.8 * 0.3 * 0.25) and, once the war
    # ended (0.2), on every path but retaken with planned losses (1 - 0.7 * 0.75).
    expected = 0.8 * 0.3 * 0.25 + 0.2 * (1 - 0.7 * 0.75)
    res = _run(scenario)
    assert res.rate("putin_trap") == 1.0
    deployments = res.to_dict()["traps"]["kim_trap"]["given"]["count"]
    assert _within(res.rate("kim_trap"), expected, deployments)


def test_kim_trap_vanishes_when_moscow_always_pays(scenario: trapsim.Scenario) -> None:
    # need_peace above the price: Moscow pays after the war too; the only regret left is
    # a lost battle with heavy losses: 0.25 + 0.3 - 0.1 - 0.4 - 0.1 < 0.
    res = _run(scenario, need_peace=0.2)
    deployments = res.to_dict()["traps"]["kim_trap"]["given"]["count"]
    assert _within(res.rate("kim_trap"), 0.3 * 0.25, deployments)


def test_putin_trap_is_conditional_on_a_gain(scenario: trapsim.Scenario) -> None:
    res = _run(scenario)
    given = res.to_dict()["traps"]["putin_trap"]["given"]
    assert _within(given["rate"], 0.5, DRAWS)  # Ukraine pushes into Russia proper
    # expected losses so heavy that troops lose to munitions only: Russia, foreseeing
    # it, fights alone, and the trap never fires though Ukraine still gains ground.
    res = _run(scenario, dprk_casualties=0.6)
    assert res.rate("putin_trap") == 0.0
    assert res.to_dict()["traps"]["putin_trap"]["given"]["count"] > 0


def test_putin_trap_by_target(scenario: trapsim.Scenario) -> None:
    res = _run(scenario)
    assert res.rate("putin_trap_russia") == 1.0
    assert res.to_dict()["traps"]["putin_trap_annexed"]["rate"] is None  # never pushed there
    # Make Russia proper too risky (0.5 * 0.52 - 0.55 < 0.054): Ukraine pushes into
    # annexed land, Russia still invokes (0.25 + 0.2 > 0.15 + 0.09) and the troops go.
    res = _run(scenario, ua_russia_risk=0.5)
    assert res.rate("putin_trap_annexed") == 1.0
    assert res.to_dict()["traps"]["putin_trap_russia"]["rate"] is None


@pytest.mark.parametrize(("invoke_cost", "abandoned"), [(-0.05, 1.0), (0.02, None)])
def test_abandonment_needs_a_restraining_china_and_an_invocation_that_pays_at_home(
    scenario: trapsim.Scenario, invoke_cost: float, abandoned: float | None
) -> None:
    # escape 0.9: refusing costs 0.02, munitions only 0.01 + 0.1 after a restraint.
    # Troops: 0.1 - 0.07 = 0.03 if China acquiesces, -0.07 if it restrains, so a
    # restraint (China 0.5 > 0.1) turns troops into a refusal. Russia, foreseeing it,
    # invokes only if the invocation pays at home by itself.
    res = _run(scenario, china_stake=0.5, escape=0.9, dprk_gain_now=0.1, invoke_cost_russia=invoke_cost)
    assert res.to_dict()["traps"]["abandonment"]["rate"] == abandoned
    assert res.rate("putin_trap") == 0.0
