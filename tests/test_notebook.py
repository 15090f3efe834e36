"""Notebook use: short reprs, HTML tables, DataFrames; the worked example in docs/notebook.md runs."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

import trapsim
from trapsim import api

DOC = Path(__file__).resolve().parents[1] / "docs" / "notebook.md"


def test_docs_notebook_example_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=flags, verbose=False)
    assert result.attempted >= 15 and result.failed == 0, result


@pytest.fixture(scope="module")
def objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    path = tmp_path_factory.mktemp("nb") / "crisis.toml"
    path.write_text(api.starter_scenario("crisis"), encoding="utf-8")
    sc = trapsim.load(str(path))
    return {
        "scenario": sc,
        "result": trapsim.simulate(sc, draws=2000, seed=3),
        "equilibrium": trapsim.solve(sc),
        "sweep": trapsim.sweep(sc, "odds", draws=500, seed=3),
        "comparison": trapsim.compare([sc, sc.with_values({"concession": 0.2})], draws=1000, seed=3),
        "sensitivity": trapsim.sensitivity(sc, samples=16, seed=3),
        "discovery": trapsim.discover(sc, "war_trap", draws=500, seed=3),
    }


@pytest.mark.parametrize(
    "kind", ["scenario", "result", "equilibrium", "sweep", "comparison", "sensitivity", "discovery"]
)
def test_every_object_prints_as_one_short_line(objects, kind: str) -> None:
    """Before: 12-16k characters of syntax trees."""
    text = repr(objects[kind])
    assert "\n" not in text and len(text) < 400 and text.startswith("<") and text.endswith(">"), text


@pytest.mark.parametrize("kind", ["scenario", "result", "equilibrium", "sweep", "comparison"])
def test_results_show_as_html_tables(objects, kind: str) -> None:
    html = objects[kind]._repr_html_()
    assert html.startswith("<div><table>") and html.count("<tr>") >= 3 and len(html) < 20_000


def test_html_escapes_scenario_text(objects) -> None:
    sc = objects["scenario"]
    tampered = api.starter_scenario("crisis").replace('title = "Press or hold back?"', 'title = "<b>x</b> & y"')
    from trapsim.scenario import loads

    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in loads(tampered)._repr_html_()
    assert "<b>x</b>" not in loads(tampered)._repr_html_() and sc.title in sc._repr_html_()


def test_frames_hold_the_same_numbers_as_the_objects(objects) -> None:
    res, sw, comp, eq = objects["result"], objects["sweep"], objects["comparison"], objects["equilibrium"]
    traps = res.to_frame()
    for t in res.trap_counts:
        assert traps.loc[t, "count"] == res.trap_counts[t]
        assert (traps.loc[t, "ci_low"], traps.loc[t, "ci_high"]) == pytest.approx(res.ci95(t))
    outcomes = res.to_frame("outcomes")
    assert outcomes["count"].sum() == res.draws and outcomes["rate"].sum() == pytest.approx(1.0)
    assert list(res.to_frame("payoffs").index) == list(res.scenario.actor_ids)
    with pytest.raises(ValueError, match="expected 'traps', 'outcomes' or 'payoffs'"):
        res.to_frame("nope")
    tidy = sw.to_frame()
    assert len(tidy) == len(sw.points) * len(sw.trap_ids)
    assert tidy[tidy.trap == "war_trap"]["rate"].tolist() == pytest.approx(sw.rates("war_trap").tolist())
    frame = comp.to_frame()
    assert frame.loc[("war_trap", comp.labels[1]), "difference"] == pytest.approx(
        comp.difference("war_trap", 1).difference
    )
    strategy = eq.to_frame()
    assert strategy["choice"].to_dict() == eq.strategy
