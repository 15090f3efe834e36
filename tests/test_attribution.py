"""Relations as interventions (trapsim attribute) against closed forms and equivalent explicit worlds."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

import trapsim
from trapsim import api

GAME = """
[scenario]
name = "threshold_tie"
title = "A threshold moved by a tie"
root = "d"

[actors.a]
name = "Actor A"
[actors.b]
name = "Actor B"

[[relations]]
from = "b"
to = "a"
kind = "alliance"
label = "the tie"
{absent}

[[relations]]
from = "a"
to = "b"
kind = "rivalry"

[parameters]
x = {{ dist = "uniform", low = 0, high = 1 }}
c = 0.3

[nodes.d]
actor = "a"
next = {{ act = "acted", wait = "waited" }}

[payoffs]
acted = {{ a = "x - c", b = 0 }}
waited = {{ a = 0, b = 0 }}

[traps.acts]
title = "A acts"
when = 'played("d", "act")'
{extra}
"""

DRAWS = 40_000


def _load(tmp_path: Path, absent: str, extra: str = "") -> trapsim.Scenario:
    path = tmp_path / "tie.toml"
    path.write_text(GAME.format(absent=absent, extra=extra), encoding="utf-8")
    return trapsim.load(path)


def _inside(entry: dict, truth: float) -> bool:
    lo, hi = entry["ci95"]
    return lo <= truth <= hi


@pytest.mark.parametrize("c_without", [0.6, 0.9])
def test_depends_share_is_the_closed_form(tmp_path: Path, c_without: float) -> None:
    sc = _load(tmp_path, f"absent = {{ set = {{ c = {c_without} }} }}")
    att = api.attribute(sc, draws=DRAWS, seed=3)
    entry = att.relations[0].traps["acts"]
    # A acts when x > c: with the tie c = 0.3, without it c'. Depends: P(c < x < c') / P(x > c).
    assert _inside(entry["depends"], (c_without - 0.3) / (1 - 0.3))
    assert entry["prevents"]["count"] == 0
    assert not att.relations[1].attributable and att.relations[1].traps == {}


def test_a_tie_that_prevents_the_trap(tmp_path: Path) -> None:
    sc = _load(tmp_path, "absent = { set = { c = 0.1 } }")
    entry = api.attribute(sc, draws=DRAWS, seed=4).relations[0].traps["acts"]
    assert entry["depends"]["count"] == 0
    assert _inside(entry["prevents"], 0.3 - 0.1)  # fires without the tie when 0.1 < x < 0.3


def test_an_absent_world_that_changes_nothing_gives_exactly_zero(tmp_path: Path) -> None:
    sc = _load(tmp_path, 'absent = { set = { c = "c" } }')
    entry = api.attribute(sc, draws=DRAWS, seed=5).relations[0].traps["acts"]
    assert entry["depends"]["count"] == 0 and entry["depends"]["rate"] == 0
    assert entry["prevents"]["count"] == 0


def test_force_as_absence(tmp_path: Path) -> None:
    # Without the tie A may not act at all: every firing depends on it.
    sc = _load(tmp_path, 'absent = { force = { d = "wait" } }')
    att = api.attribute(sc, draws=10_000, seed=6)
    entry = att.relations[0].traps["acts"]
    assert entry["depends"]["count"] == att.result.trap_counts["acts"] > 0
    assert entry["depends"]["rate"] == 1.0


def test_equals_an_explicit_world_draw_for_draw(tmp_path: Path) -> None:
    extra = """
[worlds.untied]
set = { c = 0.6 }

[traps.acts_only_with_tie]
title = "acts only because of the tie"
when = 'played("d", "act") and not played("d", "act", "untied")'
"""
    sc = _load(tmp_path, "absent = { set = { c = 0.6 } }", extra)
    att = api.attribute(sc, draws=DRAWS, seed=7)
    res = att.result
    assert att.relations[0].traps["acts"]["depends"]["count"] == res.trap_counts["acts_only_with_tie"]
    # and chunk by chunk, so the same draws are counted, not just as many
    ids = [t.id for t in sc.traps]
    plain = trapsim.simulate(sc, draws=DRAWS, seed=7)
    assert plain.trap_counts == {t: res.trap_counts[t] for t in ids}
    col = ids.index("acts_only_with_tie")
    assert list(plain.chunk_trap_counts[:, col]) == list(res.chunk_trap_counts[:, col])


def test_given_gives_shares_among_the_conditional_firings(tmp_path: Path) -> None:
    extra = """given = "x > 0.5" """
    sc = _load(tmp_path, "absent = { set = { c = 0.6 } }", extra)
    entry = api.attribute(sc, draws=DRAWS, seed=8).relations[0].traps["acts"]
    # Firings: x > 0.5 (and x > 0.3). Without the tie: x > 0.6. Depends: P(0.5 < x < 0.6) / P(x > 0.5).
    assert _inside(entry["depends"], 0.1 / 0.5)


def test_traps_that_use_worlds_get_the_tie_removed_there_too(tmp_path: Path) -> None:
    extra = """
[worlds.lazy]
force = { d = "wait" }

[traps.regret]
title = "acting did worse than waiting"
when = 'payoff("a") < payoff("a", "lazy")'
"""
    # regret never fires (A acts only when x > c, so payoff x - c > 0): it depends on nothing.
    sc = _load(tmp_path, "absent = { set = { c = 0.6 } }", extra)
    entry = api.attribute(sc, draws=5_000, seed=9).relations[0].traps["regret"]
    assert entry["depends"]["rate"] is None and entry["prevents"]["count"] == 0


def test_bad_absent_tables_are_one_line_each(tmp_path: Path) -> None:
    for absent, message in [
        (
            "absent = { set = { cc = 0.6 } }",
            r"relations\[0\]\.absent\.set\.cc: unknown parameter 'cc' \(did you mean 'c'\?\)",
        ),
        ('absent = { force = { d = "sleep" } }', r"relations\[0\]\.absent\.force\.d: unknown action"),
        ("absent = { }", r"relations\[0\]\.absent: absent needs set"),
        ("absent = 3", r"relations\[0\]\.absent: expected a table"),
    ]:
        with pytest.raises(trapsim.ScenarioError, match=message) as info:
            _load(tmp_path, absent)
        assert len(info.value.problems) == 1


def test_cli_attribute_table_and_json(tmp_path: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    sc_path = tmp_path / "tie.toml"
    sc_path.write_text(GAME.format(absent="absent = { set = { c = 0.6 } }", extra=""), encoding="utf-8")
    out = invoke("attribute", sc_path, "--draws", 4000, "--seed", 1, "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    rel = doc["relations"][0]
    assert (rel["from"], rel["to"], rel["kind"], rel["label"]) == ("b", "a", "alliance", "the tie")
    assert set(rel["traps"]["acts"]) == {"depends", "prevents"}
    assert set(rel["traps"]["acts"]["depends"]) == {"count", "rate", "ci95"}
    assert doc["relations"][1]["attributable"] is False
    table = invoke("attribute", sc_path, "--draws", 4000, "--seed", 1, "--no-figures")
    assert table.exit_code == 0, table.output
    assert "the tie" in table.output and "not attributable" in table.output
    # the table lines up: each row's interval starts in the column of its header
    lines = table.output.splitlines()
    head = next(ln for ln in lines if "depends (of firings)" in ln)
    rows = [ln for ln in lines if re.search(r"%\s*\[", ln)]
    assert rows and {ln.index("[") for ln in rows} == {head.index("depends") + 7}
    assert {ln.rindex("[") for ln in rows} == {head.index("prevents") + 7}


def test_cli_graph_trap_draws_the_attribution(tmp_path: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    sc_path = tmp_path / "tie.toml"
    sc_path.write_text(GAME.format(absent="absent = { set = { c = 0.6 } }", extra=""), encoding="utf-8")
    out = tmp_path / "g.png"
    res = invoke("graph", sc_path, "--trap", "acts", "--draws", 2000, "--seed", 1, "--out", out)
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = invoke("graph", sc_path, "--trap", "act", "--out", tmp_path / "h.png")
    assert bad.exit_code == 2 and "unknown trap 'act'" in bad.output


def test_attribution_figure_labels_each_tie_with_its_share(tmp_path: Path) -> None:
    from trapsim.figures import plot_attribution_graph

    sc = _load(tmp_path, "absent = { set = { c = 0.6 } }")
    att = api.attribute(sc, draws=DRAWS, seed=3)
    fig = plot_attribution_graph(att, "acts")
    texts = [" ".join(t.get_text().split()) for t in fig.findobj(lambda o: hasattr(o, "get_text"))]
    share = att.share(0, "acts")
    assert share is not None
    assert any(f"depends {100 * share:.0f}%" in t for t in texts)
    assert any("1 ties without an `absent` table (not attributable)" in t for t in texts)


def test_report_has_the_ties_section_and_the_chains(tmp_path: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    from trapsim.report.ties import chains_html

    sc_path = tmp_path / "tie.toml"
    sc_path.write_text(GAME.format(absent="absent = { set = { c = 0.6 } }", extra=""), encoding="utf-8")
    out = tmp_path / "r.html"
    res = invoke("report", sc_path, "--draws", 3000, "--seed", 2, "--out", out)
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert "Which tie springs each trap" in page and "Depends (of firings)" in page
    sc = trapsim.load(Path(__file__).parents[1] / "scenarios" / "defense_clause.toml")
    assert "commitment step" in chains_html(sc)
    assert chains_html(_load(tmp_path, "")) == ""  # no party at war: no chains section


def test_attribution_figure_text_stays_inside_the_figure(tmp_path: Path) -> None:
    from trapsim.figures import plot_attribution_graph

    att = api.attribute(_load(tmp_path, "absent = { set = { c = 0.6 } }"), draws=100_000, seed=20240619)
    fig = plot_attribution_graph(att, "acts")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    width = fig.bbox.width
    for text in fig.texts:  # the footnote: it once ran off the right edge
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width, text.get_text()


def test_cli_attribute_says_how_to_make_a_tie_attributable(tmp_path: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    sc_path = tmp_path / "tie.toml"
    sc_path.write_text(GAME.format(absent="", extra=""), encoding="utf-8")
    out = invoke("attribute", sc_path, "--draws", 500, "--seed", 1, "--no-figures")
    assert out.exit_code == 0, out.output
    assert "No relation has an `absent` table" in out.output
    with_tie = tmp_path / "tie2.toml"
    with_tie.write_text(GAME.format(absent="absent = { set = { c = 0.6 } }", extra=""), encoding="utf-8")
    assert "No relation has" not in invoke("attribute", with_tie, "--draws", 500, "--no-figures").output


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "spawned"])
def test_attribution_on_worker_processes_counts_what_one_process_counts(
    tmp_path: Path, fork: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The derived traps ("... without the tie") travel to worker processes pickled; their text does not
    # parse, so they once killed every worker (a million draws, or 100,000 where workers fork).
    sc = _load(tmp_path, "absent = { set = { c = 0.6 } }")
    one = api.attribute(sc, draws=20_000, seed=3, workers=1)
    if fork and not sys.platform.startswith("linux"):
        pytest.skip("trapsim forks on Linux only")
    for where in ("trapsim.runner.pool.forks", "trapsim.runner.parallel.forks"):  # whatever threads earlier tests left
        monkeypatch.setattr(where, lambda: fork)
    two = api.attribute(sc, draws=20_000, seed=3, workers=2)
    assert two.result.trap_counts == one.result.trap_counts
    assert [r.traps for r in two.relations] == [r.traps for r in one.relations]


def test_an_extended_scenario_pickles_to_the_same_bytes_whatever_the_hash_seed() -> None:
    # Worker processes find their compiled scenario by the digest of its pickle: a set in the derived
    # traps' recipe came back from a worker in another order (1 run in 3), and the worker compiled again.
    path = Path(__file__).parent.parent / "scenarios" / "defense_clause.toml"  # 4 ties to take away, 7 traps
    code = (
        "import pickle, sys\nfrom trapsim import api, attribution\nfrom trapsim.runner.parallel import _structure_key\n"
        f"sc = api.load({str(path)!r})\n"
        "ext = attribution.extend(sc, attribution.attributable(sc))\n"
        "print(_structure_key(ext) == _structure_key(pickle.loads(pickle.dumps(ext))))\n"
    )
    import os
    import subprocess
    import sys as _sys

    for seed in range(6):
        env = dict(os.environ, PYTHONHASHSEED=str(seed))
        out = subprocess.run([_sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
        assert out.stdout.strip() == "True", (seed, out.stderr[-500:])
