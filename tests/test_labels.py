"""Human labels and units: loaded into the model, shown through one helper, carried in JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import trapsim
from trapsim.errors import ScenarioError
from trapsim.scenario import loads

DATA = Path(__file__).parent / "data"
LABELLED = DATA / "labels_entry.toml"


@pytest.fixture(scope="module")
def sc() -> trapsim.Scenario:
    return trapsim.load(LABELLED)


def test_labels_are_loaded_into_the_model(sc) -> None:
    assert sc.nodes["entrant"].label == "Entrant decides"
    assert dict(sc.nodes["entrant"].action_labels) == {"enter": "Enter the market", "stay": "Stay out"}
    assert sc.nodes["nature"].label == "Incumbent's type"
    assert sc.outcomes["fought_weak"].label == "Weak incumbent fights"
    assert sc.outcomes["fought_weak"].description == "A price war the incumbent cannot afford."
    p = sc.parameter("p")
    assert (p.label, p.unit, p.comment) == (
        "Chance the incumbent is strong",
        "probability",
        "chance that the incumbent is strong",
    )
    assert sc.derived[0].label == "Incumbent probably strong"


def test_label_of_falls_back_to_the_id(sc) -> None:
    assert sc.label_of("node", "entrant") == "Entrant decides"
    assert sc.label_of("node", "inc_strong") == "inc_strong"
    assert sc.label_of("node", "entrant[x,y]") == "Entrant decides[x,y]"
    assert sc.label_of("outcome", "out") == "Entrant stays out"
    assert sc.label_of("outcome", "shared") == "shared"
    assert sc.label_of("parameter", "p") == "Chance the incumbent is strong"
    assert sc.label_of("parameter", "strong_enough") == "Incumbent probably strong"
    assert sc.label_of("parameter", "odds") == "odds"
    assert sc.label_of("trap", "fight") == "A fight"
    assert sc.label_of("actor", "inc") == "Incumbent"
    assert sc.label_of("node", "no_such") == "no_such"
    assert sc.action_label("entrant", "stay") == "Stay out"
    assert sc.action_label("inc_weak", "share") == "share"
    assert sc.action_label("inc_weak[strong]", "fight") == "Price war"
    assert sc.unit_of("p") == "probability"
    assert sc.unit_of("odds") == ""
    with pytest.raises(ValueError):
        sc.label_of("nodes", "entrant")  # type: ignore[arg-type]


def test_group_note_is_said_once_for_the_group(sc) -> None:
    weak = sc.parameter("weak_fight")
    assert weak.group == "fight_costs"
    assert weak.label == "Weak incumbent's fight"
    assert weak.dist.kind == "constant" and weak.dist.args["value"] == -0.5
    assert weak.comment == "What fighting costs the incumbent, relative to sharing the market"
    unused = sc.parameter("unused_cost")
    assert unused.comment == "a note of its own"  # its own note wins over the group's
    assert unused.group == "fight_costs"
    assert sc.parameter("p").group == ""


def test_group_note_may_be_the_comment_above_the_header() -> None:
    text = LABELLED.read_text().replace(
        'group = "What fighting costs the incumbent, relative to sharing the market"', 'group = ""'
    )
    sc = loads(text)
    assert sc.parameter("weak_fight").comment == "costs of fighting, relative to sharing the market"


def test_labels_change_no_result(sc) -> None:
    plain = trapsim.load(DATA / "core_entry.toml")
    a = trapsim.simulate(plain, draws=3000, seed=11)
    b = trapsim.simulate(sc, draws=3000, seed=11)
    assert a.trap_counts == b.trap_counts
    assert a.outcome_counts == b.outcome_counts
    assert trapsim.solve(plain).strategy == trapsim.solve(sc).strategy


def test_json_carries_ids_and_labels(sc) -> None:
    doc = json.loads(trapsim.simulate(sc, draws=500, seed=1).to_json())
    assert doc["outcomes"]["out"]["label"] == "Entrant stays out"
    assert doc["outcomes"]["shared"]["label"] == "shared"
    assert doc["ties"]["entrant"]["label"] == "Entrant decides"
    assert doc["labels"]["actions"]["entrant"] == {"enter": "Enter the market", "stay": "Stay out"}
    assert doc["labels"]["parameters"]["p"] == "Chance the incumbent is strong"
    assert doc["labels"]["units"] == {"p": "probability"}
    solved = json.loads(trapsim.solve(sc).to_json())
    assert solved["labels"]["nodes"] == {"entrant": "Entrant decides", "nature": "Incumbent's type"}
    assert solved["labels"]["outcomes"]["fought_weak"] == "Weak incumbent fights"


def test_scenario_without_labels_has_empty_label_tables() -> None:
    sc = trapsim.load(DATA / "core_entry.toml")
    assert sc.labels() == {"nodes": {}, "actions": {}, "outcomes": {}, "parameters": {}, "units": {}}


BASE = LABELLED.read_text()


@pytest.mark.parametrize(
    ("old", "new", "key", "text"),
    [
        (
            'actions = { fight = "Price war" }',
            'actions = { fihgt = "Price war" }',
            "nodes.inc_weak.actions.fihgt",
            "action not listed in next",
        ),
        (
            'actions = { fight = "Price war" }',
            'actions = "Price war"',
            "nodes.inc_weak.actions",
            'expected { <action> = "label"',
        ),
        ('label = "Entrant decides"', "label = 3", "nodes.entrant.label", "expected a text value"),
        ("[outcomes.out]", "[outcomes.outt]", "outcomes.outt", "unknown outcome 'outt'"),
        ('label = "Entrant stays out"', 'lable = "Entrant stays out"', "outcomes.out.lable", "unknown key"),
        ('unit = "probability"', "unit = 1", "parameters.p.unit", "expected a text value"),
        (
            "weak_fight = { value = -0.5, label",
            'weak_fight = { value = "x", label',
            "parameters.fight_costs.weak_fight.value",
            "expected a number",
        ),
        (
            "weak_fight = { value = -0.5, label",
            "weak_fight = { value = -0.5, dsit = 1, label",
            "parameters.fight_costs.weak_fight.dsit",
            "unknown key",
        ),
        (
            'strong_enough = { expr = "p > 0.5", label',
            'strong_enough = { expression = "p > 0.5", label',
            "derived.strong_enough",
            "unknown key",
        ),
        (
            "unused_cost = 0.25",
            'nested = { group = "x", a = 1 }',
            "parameters.fight_costs.nested",
            "groups cannot be nested",
        ),
    ],
)
def test_malformed_labels_are_reported(old: str, new: str, key: str, text: str) -> None:
    assert old in BASE
    with pytest.raises(ScenarioError) as info:
        loads(BASE.replace(old, new, 1), path="x.toml")
    problems = info.value.problems
    assert any(p.key.startswith(key) and text in p.message for p in problems), [str(p) for p in problems]


def test_grouped_parameters_can_be_set_and_swept(sc) -> None:
    a = trapsim.solve(sc, values={"weak_fight": 1.0})
    assert a.strategy["inc_weak"] == "fight"  # 1 > 0.5
    assert a.strategy["entrant"] == "stay"  # the entrant now meets a fight either way
