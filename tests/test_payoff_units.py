"""``payoff_unit``: a label for what a payoff of 1 is worth, per scenario or per actor, shown after payoffs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trapsim import figures
from trapsim.errors import ScenarioError
from trapsim.explain import explain
from trapsim.scenario import loads

SIMPLE = (Path(__file__).parent / "data" / "simple.toml").read_text()


def _with_units(scenario: str | None, incumbent: str | None) -> str:
    text = SIMPLE
    if scenario is not None:
        text = text.replace('root = "entrant"', f'root = "entrant"\npayoff_unit = {json.dumps(scenario)}')
    if incumbent is not None:
        text = text.replace('name = "Incumbent"', f'name = "Incumbent"\npayoff_unit = {json.dumps(incumbent)}')
    return text


def test_an_actors_unit_overrides_the_scenarios() -> None:
    sc = loads(_with_units("market shares", "billion USD"), path="simple.toml")
    assert sc.payoff_unit_of("ent") == "market shares"
    assert sc.payoff_unit_of("inc") == "billion USD"
    bare = loads(SIMPLE, path="simple.toml")
    assert bare.payoff_unit_of("ent") == bare.payoff_unit_of("inc") == ""
    with pytest.raises(KeyError):
        bare.payoff_unit_of("nobody")


@pytest.mark.parametrize(
    ("scenario", "incumbent", "key"),
    [
        ("x" * 41, None, "scenario.payoff_unit"),
        ("two\nlines", None, "scenario.payoff_unit"),
        (None, "y" * 60, "actors.inc.payoff_unit"),
    ],
)
def test_a_long_or_multi_line_unit_is_refused(scenario: str | None, incumbent: str | None, key: str) -> None:
    with pytest.raises(ScenarioError) as err:
        loads(_with_units(scenario, incumbent), path="simple.toml")
    assert key in str(err.value) and "at most 40 characters" in str(err.value)


def test_a_unit_that_is_not_text_is_refused() -> None:
    text = SIMPLE.replace('root = "entrant"', 'root = "entrant"\npayoff_unit = 3')
    with pytest.raises(ScenarioError) as err:
        loads(text, path="simple.toml")
    assert "scenario.payoff_unit" in str(err.value) and "text value" in str(err.value)


def test_explain_prints_each_choosers_unit_after_totals_and_in_json() -> None:
    sc = loads(_with_units("market shares", "billion USD"), path="simple.toml")
    ex = explain(sc)
    text = ex.text(width=None)
    assert "(Payoffs in market shares.)" in text  # the entrant's decision
    assert "(Payoffs in billion USD.)" in text  # the incumbent's
    doc = json.loads(ex.to_json())
    units = {c["node"]: c["payoff_unit"] for c in doc["choices"]}
    assert units["entrant"] == "market shares" and units["inc_strong"] == "billion USD"
    for c in doc["choices"]:
        assert all(a["unit"] == c["payoff_unit"] for a in c["alternatives"])


def test_the_equilibrium_tree_names_each_actors_unit() -> None:
    sc = loads(_with_units(None, "billion USD"), path="simple.toml")
    fig = figures.plot_tree(sc)
    note = " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
    assert "payoffs at each ending: Entrant, Incumbent (in billion USD)" in note
