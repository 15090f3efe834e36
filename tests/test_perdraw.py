"""Per-draw records: `trapsim run --per-draw FILE`, api.per_draw and api.per_draw_frame.

The scenario is `trapsim init`'s starting scenario plus a conditional trap, so every
column can be checked against the file format's own meaning: the parameters against
their distributions' bounds, the payoffs against the payoff formulas applied to the
row's own parameters, the traps against the outcome, and the counts against the run.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from trapsim import api
from trapsim.cli import main
from trapsim.model import Scenario
from trapsim.runner import CHUNK

DRAWS = CHUNK + 1500  # two chunks, the second one short


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("perdraw") / "demo.toml"
    assert CliRunner().invoke(main, ["init", "demo", "--out", str(path)]).exit_code == 0
    path.write_text(
        path.read_text(encoding="utf-8") + "\n[traps.firm_when_pressed]\n"
        'title = "Defender stood firm, given a demand"\n'
        'when = \'played("defender_move", "stand_firm")\'\n'
        'given = \'played("challenger_move", "press")\'\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def sc(scenario_file: Path) -> Scenario:
    return api.load(str(scenario_file))


@pytest.fixture(scope="module")
def rows(sc: Scenario, tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, api.Result]:
    path = tmp_path_factory.mktemp("rows") / "draws.csv"
    res = api.per_draw(sc, path, draws=DRAWS, seed=11)
    return pd.read_csv(path), res


def test_columns_in_the_documented_order(rows: tuple[pd.DataFrame, api.Result]) -> None:
    df, _ = rows
    assert list(df.columns) == [
        "draw",
        "param.p_win",
        "param.war_cost",
        "param.stake",  # the constant `concession` is not sampled: no column
        "outcome",
        "trap.war_trap",
        "trap.regret",
        "trap.firm_when_pressed",
        "given.firm_when_pressed",
        "payoff.challenger",
        "payoff.defender",
    ]
    assert df["draw"].tolist() == list(range(DRAWS))


def test_counts_equal_the_runs_counts(sc: Scenario, rows: tuple[pd.DataFrame, api.Result]) -> None:
    df, res = rows
    plain = api.simulate(sc, draws=DRAWS, seed=11)  # the same run without records: the same numbers
    assert plain.trap_counts == res.trap_counts
    assert plain.outcome_counts == res.outcome_counts
    assert plain.payoff_mean == res.payoff_mean
    for trap, count in res.trap_counts.items():
        assert df[f"trap.{trap}"].sum() == count
    assert df["given.firm_when_pressed"].sum() == res.given_counts["firm_when_pressed"]
    counts = df["outcome"].value_counts().to_dict()
    assert {o: counts.get(o, 0) for o in res.outcome_counts} == res.outcome_counts
    assert sum(counts.values()) == DRAWS
    for actor, mean in res.payoff_mean.items():
        assert df[f"payoff.{actor}"].mean() == pytest.approx(mean, rel=1e-12, abs=1e-12)


def test_parameters_follow_their_distributions(rows: tuple[pd.DataFrame, api.Result]) -> None:
    df, _ = rows
    p_win, war_cost, stake = df["param.p_win"], df["param.war_cost"], df["param.stake"]
    assert p_win.between(0.3, 0.7).all() and war_cost.between(0.1, 0.8).all() and (stake >= 0).all()
    n = len(df)
    # uniform(0.3, 0.7): mean 0.5, sd 0.4/sqrt(12); triangular(0.1, 0.3, 0.8): mean 0.4 (5 standard errors)
    assert abs(p_win.mean() - 0.5) < 5 * 0.4 / np.sqrt(12 * n)
    tri_sd = np.sqrt((0.1**2 + 0.3**2 + 0.8**2 - 0.1 * 0.3 - 0.1 * 0.8 - 0.3 * 0.8) / 18)
    assert abs(war_cost.mean() - 0.4) < 5 * tri_sd / np.sqrt(n)
    assert p_win.nunique() == n  # sampled per draw, not one value repeated


def test_each_row_is_consistent_with_the_file_format(rows: tuple[pd.DataFrame, api.Result]) -> None:
    """Payoffs recomputed from the row's own parameters; traps from the row's outcome."""
    df, _ = rows
    assert set(df["outcome"]) == {"status_quo", "conceded", "defender_won", "challenger_won"}
    expected = {
        "status_quo": (0 * df["param.stake"], 0 * df["param.stake"]),
        "conceded": (0.5 * df["param.stake"], -0.5 + 0 * df["param.stake"]),
        "defender_won": (-df["param.war_cost"], 1 - df["param.war_cost"]),
        "challenger_won": (df["param.stake"] - df["param.war_cost"], -1 - df["param.war_cost"]),
    }
    for outcome, (challenger, defender) in expected.items():
        at = df["outcome"] == outcome
        np.testing.assert_allclose(df.loc[at, "payoff.challenger"], challenger[at], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(df.loc[at, "payoff.defender"], defender[at], rtol=1e-12, atol=1e-12)
    war = df["outcome"].isin(["defender_won", "challenger_won"])
    assert (df["trap.war_trap"] == war).all()
    assert (df["given.firm_when_pressed"] == (df["outcome"] != "status_quo")).all()
    assert (df["trap.firm_when_pressed"] == war).all()  # stood firm after a demand = a war was fought
    assert (df["trap.regret"] == ((df["outcome"] != "status_quo") & (df["payoff.challenger"] < 0))).all()


def test_workers_do_not_change_the_file(sc: Scenario, tmp_path: Path) -> None:
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    api.per_draw(sc, one, draws=3 * CHUNK + 7, seed=4, workers=1)
    api.per_draw(sc, two, draws=3 * CHUNK + 7, seed=4, workers=2)
    assert one.read_bytes() == two.read_bytes()


def test_parquet_holds_the_same_rows(sc: Scenario, tmp_path: Path) -> None:
    # pyarrow is in the test extra: under CI (CI=true) its absence is a failure, not a skip
    if os.environ.get("CI") != "true":
        pytest.importorskip("pyarrow")
    api.per_draw(sc, tmp_path / "d.csv", draws=2000, seed=9)
    api.per_draw(sc, tmp_path / "d.parquet", draws=2000, seed=9)
    csv, parquet = pd.read_csv(tmp_path / "d.csv"), pd.read_parquet(tmp_path / "d.parquet")
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=False, rtol=0, atol=0)


def test_frame_equals_the_file(sc: Scenario, tmp_path: Path) -> None:
    api.per_draw(sc, tmp_path / "d.csv", draws=1200, seed=2)
    frame = api.per_draw_frame(sc, draws=1200, seed=2)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "d.csv"), frame, check_dtype=False, rtol=0, atol=0)
    with pytest.raises(api.ArgumentError, match="at most 1,000,000 draws in a DataFrame"):
        api.per_draw_frame(sc, draws=api.MAX_FRAME_DRAWS + 1, seed=2)


def test_cli_writes_the_file_and_the_same_counts(invoke, scenario_file: Path, tmp_path: Path) -> None:
    out = invoke(
        "run", scenario_file, "--draws", 3000, "--seed", 5, "--per-draw", tmp_path / "d.csv", "--json",
        "--out", tmp_path,
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    doc = json.loads((tmp_path / "demo.json").read_text(encoding="utf-8"))
    df = pd.read_csv(tmp_path / "d.csv")
    assert len(df) == 3000
    for trap, entry in doc["traps"].items():
        assert df[f"trap.{trap}"].sum() == entry["count"]
    human = invoke("run", scenario_file, "--draws", 300, "--per-draw", tmp_path / "h.csv", "--out", tmp_path)
    assert human.exit_code == 0 and f"wrote {tmp_path / 'h.csv'}" in human.output


@pytest.mark.parametrize("where", ["dir", "under_a_file", "parquet_without_pyarrow"])
def test_bad_path_is_one_line_exit_2(
    invoke, scenario_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    path = {"dir": tmp_path, "under_a_file": tmp_path / "afile" / "d.csv"}.get(where, tmp_path / "d.parquet")
    if where == "parquet_without_pyarrow":
        monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow raises ImportError
    out = invoke("run", scenario_file, "--draws", 100, "--no-figures", "--out", tmp_path / "o", "--per-draw", path)
    assert out.exit_code == 2
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --per-draw:"), out.output
    assert "trapsim[parquet]" in lines[0] if where == "parquet_without_pyarrow" else str(path) in lines[0]
    assert not (tmp_path / "o").exists()  # refused before running
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_interrupted_run_leaves_no_file(sc: Scenario, tmp_path: Path) -> None:
    (tmp_path / "old.csv").write_text("old\n", encoding="utf-8")

    def stop(_: int) -> None:
        raise KeyboardInterrupt

    for name in ("new.csv", "old.csv"):
        with pytest.raises(KeyboardInterrupt):
            api.per_draw(sc, tmp_path / name, draws=3 * CHUNK, seed=1, progress=stop)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.csv"]  # no partial or temporary file
    assert (tmp_path / "old.csv").read_text(encoding="utf-8") == "old\n"
