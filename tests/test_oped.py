"""The op-ed's argument in the model: priors marked ex-ante or hindsight."""

from __future__ import annotations

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
