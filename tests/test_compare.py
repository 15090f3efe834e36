"""Comparing scenarios: matching traps by id, absent traps, the two-proportion test, CLI and figure."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import trapsim
from trapsim import api
from trapsim.comparison import Comparison, compare, two_proportion_test
from trapsim.errors import ArgumentError
from trapsim.figures.comparison import plot_comparison

DATA = Path(__file__).parent / "data"
BASE = DATA / "threshold.toml"  # "high" fires with probability 0.5 (t ~ U(0, 1))
VARIANT = DATA / "threshold_variant.toml"  # t = 0.3: "high" 0.7; no "both"; a new trap "low"


@pytest.mark.parametrize(
    ("x0", "n0", "x1", "n1"), [(500, 1000, 560, 1000), (30, 4000, 45, 3000), (0, 100, 3, 100), (999, 1000, 1000, 1000)]
)
def test_two_proportion_test_matches_chi_square(x0: int, n0: int, x1: int, n1: int) -> None:
    """The pooled z-test is the 2x2 chi-square test without continuity correction (z² = χ²)."""
    z, p = two_proportion_test(x0, n0, x1, n1)
    chi2, p_ref, _, _ = stats.chi2_contingency([[x0, n0 - x0], [x1, n1 - x1]], correction=False)
    assert z * z == pytest.approx(chi2, rel=1e-9)
    assert p == pytest.approx(p_ref, rel=1e-9)
    assert np.sign(z) == np.sign(x1 / n1 - x0 / n0)


@pytest.mark.parametrize(
    ("x0", "n0", "x1", "n1", "low", "high"),
    [
        # Newcombe (1998), "Interval estimation for the difference between independent proportions",
        # Statistics in Medicine 17:873-890, Table II, method 10 (score interval, hybrid of Wilson intervals):
        (48, 80, 56, 70, 0.0524, 0.3339),  # (a) 56/70 - 48/80
        (3, 10, 9, 10, 0.1705, 0.8090),  # (b) 9/10 - 3/10
        (0, 29, 5, 56, -0.0381, 0.1926),  # (d) 5/56 - 0/29
        (0, 20, 0, 10, -0.1611, 0.2775),  # (e) 0/10 - 0/20
        (0, 20, 10, 10, 0.6791, 1.0000),  # (f) 10/10 - 0/20
    ],
)
def test_difference_interval_is_newcombes_hybrid_score_interval(x0, n0, x1, n1, low, high) -> None:
    """The interval of a difference in rates against the published values (4 decimals)."""
    from trapsim.comparison import _difference

    d = _difference(x0, n0, x1, n1, 0.05)
    assert d.difference == pytest.approx(x1 / n1 - x0 / n0)
    assert d.ci95 == pytest.approx((low, high), abs=5e-5)


def test_no_difference_when_both_are_degenerate() -> None:
    assert two_proportion_test(0, 100, 0, 200) == (0.0, 1.0)
    assert two_proportion_test(100, 100, 50, 50) == (0.0, 1.0)


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return api.compare([api.load(str(BASE)), api.load(str(VARIANT))], draws=20_000, seed=3)


def test_traps_matched_by_id_and_absent_is_not_zero(comparison: Comparison) -> None:
    assert comparison.labels == ["threshold", "threshold_variant"]
    assert comparison.traps == ["high", "both", "go", "low"]
    assert comparison.rate("both", 1) is None and comparison.rate("low", 0) is None
    assert comparison.difference("both", 1) is None and comparison.difference("low", 1) is None
    doc = json.loads(comparison.to_json())
    assert doc["traps"]["both"]["scenarios"]["threshold_variant"] is None
    assert doc["traps"]["low"]["scenarios"]["threshold"] is None
    assert doc["traps"]["low"]["scenarios"]["threshold_variant"]["rate"] == pytest.approx(0.3, abs=0.02)
    assert doc["baseline"] == "threshold" and doc["draws"] == 20_000 and doc["seed"] == 3


def test_json_has_the_meta_block_of_every_document(comparison: Comparison) -> None:
    """The one JSON header (issue 18): version and seed source; each scenario's file and hash beside it."""
    doc = json.loads(comparison.to_json())
    meta = doc["meta"]
    assert meta["trapsim"] == trapsim.__version__ and meta["seed_source"] == "given"
    assert meta["elapsed_s"] >= 0 and "scenario_sha256" not in meta  # several scenarios: listed per scenario
    assert [s["scenario_sha256"] for s in doc["scenarios"]] == [r.scenario.sha256 for r in comparison.results]


def test_difference_to_first_scenario(comparison: Comparison) -> None:
    d = comparison.difference("high", 1)
    assert d.difference == pytest.approx(0.7 - 0.5, abs=0.02)
    assert d.ci95[0] < 0.2 < d.ci95[1]  # the true difference lies in its interval
    assert d.distinguishable and d.p_value < 1e-10
    # "go" does not depend on t: same seed, same draws, identical counts
    same = comparison.difference("go", 1)
    assert same.difference == 0 and same.p_value == 1.0 and not same.distinguishable
    doc = comparison.to_dict()["traps"]["high"]["difference_to_first"]["threshold_variant"]
    assert set(doc) == {"difference", "ci95", "z", "p_value", "distinguishable"}


def test_small_differences_are_not_distinguishable() -> None:
    a = api.simulate(api.load(str(BASE)), draws=2000, seed=1, values={"t": 0.50})
    b = api.simulate(api.load(str(BASE)), draws=2000, seed=2, values={"t": 0.51})
    d = compare([a, b]).difference("high", 1)
    assert not d.distinguishable and d.p_value > 0.05


def test_same_names_get_distinct_labels(tmp_path: Path) -> None:
    copy = tmp_path / "copy_of_threshold.toml"
    copy.write_text(BASE.read_text())
    comp = api.compare([api.load(str(BASE)), api.load(str(copy))], draws=500)
    assert comp.labels == ["threshold", "copy_of_threshold"]
    comp = api.compare([api.load(str(BASE)), api.load(str(BASE))], draws=500)
    assert comp.labels == ["threshold#1", "threshold#2"]


def test_compare_needs_two_scenarios() -> None:
    with pytest.raises(ArgumentError, match="at least two"):
        api.compare([api.load(str(BASE))])


def test_figure_has_one_panel_per_trap_and_says_absent_once(comparison: Comparison) -> None:
    fig = plot_comparison(comparison)
    panels = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title(loc="left") for ax in panels] == [comparison.titles[t] for t in comparison.traps]
    assert sum(len(ax.patches) for ax in panels) == 6  # 4 traps x 2 scenarios, minus the 2 absent ones
    notes = [ax.get_xlabel() for ax in panels if ax.get_xlabel().startswith("not in")]
    assert len(notes) == 2  # once per trap a scenario lacks, not once per missing bar
    texts = [t.get_text() for ax in panels for t in ax.texts]
    assert any(t.endswith("%*") for t in texts)  # the distinguishable bar is starred
    tops = {round(ax.get_ylim()[1], 6) for ax in panels}
    assert len(tops) > 1  # each panel on its own scale
    legend = fig.legends[0]
    assert legend.get_texts()[0].get_text().startswith(comparison.results[0].scenario.title)
    colors = {p.get_facecolor()[:3] for ax in panels for p in ax.patches}
    from matplotlib.colors import to_rgb

    from trapsim.figures.style import PALETTE

    assert not colors & {to_rgb(c) for c in PALETTE}  # apart from the actors' colours


def test_cli_compare(tmp_path: Path, invoke) -> None:
    r = invoke("compare", BASE, VARIANT, "--draws", 4000, "--out", tmp_path)
    assert r.exit_code == 0, r.output
    assert "absent" in r.output and "distinguishable" in r.output and "(baseline)" in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "compare_threshold_vs_threshold_variant.json",
        "compare_threshold_vs_threshold_variant.png",
    ]
    r = invoke("compare", BASE, VARIANT, "--draws", 4000, "--json")
    assert r.exit_code == 0
    assert json.loads(r.output)["traps"]["both"]["scenarios"]["threshold_variant"] is None
    r = invoke("compare", BASE)
    assert r.exit_code == 2 and "at least two" in r.output
    r = invoke("compare", BASE, DATA / "nope.toml")
    assert r.exit_code == 2


def test_figure_gives_a_conditional_traps_denominator_under_each_bar(tmp_path: Path) -> None:
    # "cond" counts only where u > 0.5: about half the draws
    cond = '[traps.cond]\ntitle = "v above s, where u is high"\nwhen = "v > s"\ngiven = "u > 0.5"\n\n'
    text = BASE.read_text(encoding="utf-8").replace("[traps.go]", cond + "[traps.go]")
    (tmp_path / "a.toml").write_text(text, encoding="utf-8")
    (tmp_path / "b.toml").write_text(text.replace('name = "threshold"', 'name = "other"'), encoding="utf-8")
    comp = api.compare([api.load(str(tmp_path / "a.toml")), api.load(str(tmp_path / "b.toml"))], draws=3000, seed=4)
    fig = plot_comparison(comp)
    panels = {ax.get_title(loc="left"): ax for ax in fig.axes if ax.axison}
    under = [t.get_text() for t in panels[comp.titles["cond"]].get_xticklabels()]
    assert under == [f"{r.given_count('cond'):,}" for r in comp.results]
    assert all(0 < r.given_count("cond") < 3000 for r in comp.results)
    assert [t.get_text() for t in panels[comp.titles["high"]].get_xticklabels()] == []  # every draw counts: no n
    assert "share of draws" not in fig.legends[0].get_title().get_text()
    assert any("among the draws where its condition holds" in t.get_text() for t in fig.texts)
