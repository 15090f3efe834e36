"""Sweeps: analytic answers, common random numbers, backends, checkpoints, outputs."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import trapsim
from trapsim import api
from trapsim.errors import ArgumentError, RunError
from trapsim.runner import wilson
from trapsim.scenario import loads
from trapsim.sweeps import SweepResult, grid_values, run_sweep

DATA = Path(__file__).parent / "data"
THRESHOLD = DATA / "threshold.toml"
DEFENSE = Path(__file__).parent / "data" / "defense_clause_v1.toml"
Z95, Z999 = 1.959963984540054, 3.2905267314918945


def same_points(a: SweepResult, b: SweepResult) -> bool:
    return a.axes == b.axes and a.points == b.points


@pytest.fixture(scope="module")
def threshold() -> trapsim.Scenario:
    return api.load(str(THRESHOLD))


@pytest.fixture(scope="module")
def defense() -> trapsim.Scenario:
    return api.load(str(DEFENSE))


# ------------------------------------------------------------------ the grid


def test_grid_values_are_rounded_so_set_reproduces_them() -> None:
    assert grid_values(0, 0.6, 13)[6] == 0.3  # not 0.30000000000000004
    assert grid_values(0.2, 1.0, 9) == (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    assert grid_values(1, -1, 3) == (1.0, 0.0, -1.0)
    with pytest.raises(ValueError):
        grid_values(0, 1, 1)


# ---------------------------------------------------------- analytic answers


def _inside(res: SweepResult, trap: str, truth: np.ndarray, z: float) -> np.ndarray:
    bounds = np.array([wilson(p.trap_counts[trap], res.draws, z) for p in res.points])
    lo, hi = bounds[:, 0].reshape(res.shape), bounds[:, 1].reshape(res.shape)
    return (lo <= truth) & (truth <= hi)


def test_one_parameter_analytic_rate_inside_every_interval(threshold: trapsim.Scenario) -> None:
    """The trap fires when u ~ U(0, 1) exceeds the swept t: its rate is exactly 1 - t.

    The intervals are pointwise: each covers the truth with probability 95%.
    So the truth must lie inside the 99.9% interval at every point, and
    inside the 95% interval at about 95% of points over many seeds.
    """
    res = api.sweep(threshold, "one", workers=1)
    t = np.array(res.axes["t"])
    assert _inside(res, "high", 1 - t, Z999).all()
    assert res.rates("high")[0] == 1.0 and res.rates("high")[-1] == 0.0
    inner = []
    for seed in range(1, 21):
        r = api.sweep(threshold, "one", draws=2000, seed=seed, workers=1)
        inner.extend(_inside(r, "high", 1 - t, Z95)[1:-1])
    assert 0.88 <= np.mean(inner) <= 1.0, np.mean(inner)


def test_two_parameter_analytic_rate_inside_every_interval(threshold: trapsim.Scenario) -> None:
    """u > t and v > s with independent uniforms: (1 - t)(1 - s)."""
    res = api.sweep(threshold, "two", workers=1)
    assert res.shape == (4, 4)
    t, s = np.meshgrid(res.axes["t"], res.axes["s"], indexing="ij")
    truth = (1 - t) * (1 - s)
    assert _inside(res, "both", truth, Z999).all()
    assert _inside(res, "both", truth, Z95).mean() >= 0.75
    # row-major: point i * 4 + j has t = axes["t"][i], s = axes["s"][j]
    assert res.points[1 * 4 + 2].values == {"t": res.axes["t"][1], "s": res.axes["s"][2]}


def test_common_random_numbers_make_curves_monotone(threshold: trapsim.Scenario) -> None:
    """The same u draws at every point: the count of u > t can only fall as t rises.

    Independent draws per point would make a 41-point curve at 1,000 draws
    zig-zag; common random numbers make it exactly monotone.
    """
    res = api.sweep(threshold, {"t": grid_values(0, 1, 41)}, draws=1000, workers=1)
    counts = res.counts("high")
    assert np.all(np.diff(counts) <= 0)
    # ... and a trap that does not involve t is identical at every point
    assert len(set(res.counts("go").tolist())) == 1


# ------------------------------------------------------------- determinism


def test_point_equals_run_with_set(defense: trapsim.Scenario, invoke) -> None:
    res = api.sweep(defense, {"china_stake": (0.0, 0.3)}, draws=3000, seed=99, workers=1)
    direct = api.simulate(defense, draws=3000, seed=99, values={"china_stake": 0.3})
    p = res.point(china_stake=0.3)
    assert p.trap_counts == direct.trap_counts
    assert p.outcome_counts == direct.outcome_counts
    assert p.payoff_mean == direct.payoff_mean
    cli = invoke("run", DEFENSE, "--set", "china_stake=0.3", "--seed", 99, "--draws", 3000, "--json")
    assert cli.exit_code == 0, cli.output
    doc = json.loads(cli.output)
    assert {t: v["count"] for t, v in doc["traps"].items()} == dict(p.trap_counts)


def test_results_do_not_depend_on_worker_count(threshold: trapsim.Scenario) -> None:
    grid = {"t": grid_values(0, 1, 11), "s": (0.2, 0.7)}
    one = api.sweep(threshold, grid, draws=2000, workers=1)
    two = api.sweep(threshold, grid, draws=2000, workers=2)
    assert one.backend == "local" and two.backend == "processes" and two.workers == 2
    assert same_points(one, two)


def test_changed_scenario_is_compiled_afresh(threshold: trapsim.Scenario) -> None:
    """Regression: the compile cache was keyed by the file's sha256, so a changed scenario kept its old traps."""
    import dataclasses

    grid = {"t": (0.2, 0.6)}
    full = api.sweep(threshold, grid, draws=500, workers=1)
    assert set(full.points[0].trap_counts) == {"high", "both", "go"}
    fewer = dataclasses.replace(threshold, traps=threshold.traps[:1])
    res = api.sweep(fewer, grid, draws=500, workers=1)
    assert set(res.points[0].trap_counts) == {"high"}
    hand_built = dataclasses.replace(fewer, sha256="")  # a hand-built scenario has no file hash
    swapped = dataclasses.replace(hand_built, traps=threshold.traps[1:2])
    assert set(api.sweep(hand_built, grid, draws=500, workers=1).points[0].trap_counts) == {"high"}
    assert set(api.sweep(swapped, grid, draws=500, workers=1).points[0].trap_counts) == {"both"}


def test_fixed_values_apply_to_every_point(threshold: trapsim.Scenario) -> None:
    res = api.sweep(threshold, {"t": (0.2, 0.6)}, draws=2000, values={"s": 0.5}, workers=1)
    direct = api.simulate(threshold, draws=2000, values={"t": 0.6, "s": 0.5})
    assert res.point(t=0.6).trap_counts == direct.trap_counts
    assert res.to_dict()["values"] == {"s": 0.5}


def test_dask_local_cluster_agrees_with_local_path(threshold: trapsim.Scenario) -> None:
    distributed = pytest.importorskip("distributed")
    grid = {"t": grid_values(0, 1, 6), "s": (0.1, 0.5, 0.9)}
    local = api.sweep(threshold, grid, draws=1500, workers=1)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        by_address = api.sweep(threshold, grid, draws=1500, scheduler=cluster.scheduler_address)
        with distributed.Client(cluster) as client:
            by_client = api.sweep(threshold, grid, draws=1500, scheduler=client)
    assert by_address.backend == "dask" and by_address.workers == 2
    assert same_points(local, by_address)
    assert same_points(local, by_client)


def test_dask_scheduler_local_starts_worker_processes(threshold: trapsim.Scenario) -> None:
    pytest.importorskip("distributed")
    grid = {"t": grid_values(0, 1, 5)}
    res = api.sweep(threshold, grid, draws=1000, scheduler="local", workers=1)
    assert res.backend == "dask:local" and res.workers == 1
    assert same_points(res, api.sweep(threshold, grid, draws=1000, workers=1))


def test_unreachable_scheduler_is_a_clear_error(threshold: trapsim.Scenario) -> None:
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(RunError, match="cannot connect to a Dask scheduler"),
    ):
        api.sweep(threshold, {"t": (0.1, 0.2)}, draws=100, scheduler="tcp://127.0.0.1:9")


# ------------------------------------------------------------- checkpoints


class Interrupt:
    """A progress callback that presses Ctrl-C after ``after`` points."""

    def __init__(self, after: int) -> None:
        self.after, self.done = after, 0

    def __call__(self, k: int, todo: int) -> None:
        self.done += k
        if self.done >= self.after:
            raise KeyboardInterrupt


@pytest.mark.parametrize("workers", [1, 2])
def test_resume_after_interruption_gives_identical_results(
    threshold: trapsim.Scenario, tmp_path: Path, workers: int
) -> None:
    grid = {"t": grid_values(0, 1, 9), "s": (0.25, 0.75)}
    whole = api.sweep(threshold, grid, draws=2000, workers=1)
    with pytest.raises(KeyboardInterrupt):
        api.sweep(threshold, grid, draws=2000, workers=workers, checkpoint_dir=tmp_path, progress=Interrupt(5))
    ckpt = tmp_path / "threshold_t_by_s.checkpoint.json"
    saved = json.loads(ckpt.read_text())["points"]
    assert 5 <= len(saved) < 18
    assert [p.name for p in tmp_path.iterdir()] == [ckpt.name]  # no partial files
    # without --resume, the checkpoint is protected
    with pytest.raises(RunError, match="--resume"):
        api.sweep(threshold, grid, draws=2000, workers=1, checkpoint_dir=tmp_path)
    # a different sweep cannot resume it
    with pytest.raises(RunError, match=r"different sweep.*draws"):
        api.sweep(threshold, grid, draws=1000, workers=1, checkpoint_dir=tmp_path, resume=True)
    ran: list[int] = []
    resumed = api.sweep(
        threshold,
        grid,
        draws=2000,
        workers=workers,
        checkpoint_dir=tmp_path,
        resume=True,
        progress=lambda k, todo: ran.append(k),
    )
    assert resumed.resumed == len(saved) and sum(ran) == 18 - len(saved)
    assert same_points(whole, resumed)
    assert list(tmp_path.iterdir()) == []  # finished: the checkpoint is gone


def test_sigterm_to_the_command_keeps_finished_points(tmp_path: Path, threshold: trapsim.Scenario, invoke) -> None:
    """A real process, stopped by SIGTERM mid-sweep, then resumed: the same results as one go."""
    args = [
        "sweep",
        str(THRESHOLD),
        "--vary",
        "t=0:1:50",
        "--vary",
        "s=0:1:40",
        "--draws",
        "20000",
        "--workers",
        "1",
        "--out",
        str(tmp_path),
        "--no-figures",
    ]
    proc = subprocess.Popen([sys.executable, "-m", "trapsim", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ckpt = tmp_path / "threshold_t_by_s.checkpoint.json"
    deadline = time.monotonic() + 60
    while not ckpt.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    saved = len(json.loads(ckpt.read_text())["points"])
    assert 0 < saved < 2000
    r = invoke(*args, "--resume")
    assert r.exit_code == 0, r.output
    assert f"{saved} points resumed" in r.output
    resumed = list(csv.DictReader(io.StringIO((tmp_path / "threshold_t_by_s.csv").read_text())))
    whole = api.sweep(threshold, {"t": grid_values(0, 1, 50), "s": grid_values(0, 1, 40)}, draws=20000, workers=1)
    assert resumed == list(csv.DictReader(io.StringIO(whole.to_csv())))
    assert not ckpt.exists()


def test_kept_checkpoint_resumes_without_work(threshold: trapsim.Scenario, tmp_path: Path) -> None:
    """keep_checkpoint leaves the finished checkpoint; resuming it computes nothing."""
    grid = {"t": grid_values(0, 1, 4)}
    first = api.sweep(threshold, grid, draws=300, workers=1, checkpoint_dir=tmp_path, keep_checkpoint=True)
    assert first.checkpoint is not None and first.checkpoint.exists()
    again = api.sweep(threshold, grid, draws=300, workers=2, checkpoint_dir=tmp_path, resume=True)
    assert again.backend == "checkpoint" and again.resumed == 4
    assert same_points(first, again) and not first.checkpoint.exists()


def test_failure_at_a_point_keeps_finished_points(tmp_path: Path) -> None:
    """A crash (an expression that is infinite at one point) keeps the points before it."""
    text = THRESHOLD.read_text().replace("[nodes.choose]", '[derived]\nlt = "log(t)"\n\n[nodes.choose]')
    text = text.replace('went = { a = "u" }', 'went = { a = "u + lt" }')
    sc = loads(text, path="crash.toml")
    with pytest.raises(RunError, match=r"sweep point t=0\)"):
        run_sweep(sc, sweep_id="x", axes={"t": (1.0, 0.5, 0.0, 0.2)}, draws=500, seed=1, checkpoint_dir=tmp_path)
    doc = json.loads((tmp_path / "threshold_x.checkpoint.json").read_text())
    assert sorted(doc["points"]) == ["0", "1"]


def test_seed_comes_from_checkpoint_when_none_is_given(threshold: trapsim.Scenario, tmp_path: Path) -> None:
    sc = loads(THRESHOLD.read_text().replace("seed = 11\n", ""), path=str(THRESHOLD))
    grid = {"t": grid_values(0, 1, 6)}
    with pytest.raises(KeyboardInterrupt):
        api.sweep(sc, grid, draws=500, workers=1, checkpoint_dir=tmp_path, progress=Interrupt(2))
    resumed = api.sweep(sc, grid, draws=500, workers=1, checkpoint_dir=tmp_path, resume=True)
    again = api.sweep(sc, grid, draws=500, seed=resumed.seed, workers=1)
    assert not resumed.seed_given and same_points(resumed, again)


# ------------------------------------------------------------ input errors


def test_bad_grids_are_argument_errors(threshold: trapsim.Scenario) -> None:
    """Grids are arguments of the caller, not problems of the file (tests/test_arguments.py has more)."""
    with pytest.raises(ArgumentError, match=r"grid\['tt'\]: unknown parameter 'tt' \(did you mean 't'\?\)"):
        api.sweep(threshold, {"tt": (0, 1)})
    with pytest.raises(ArgumentError, match="one or two parameters, not 3"):
        api.sweep(threshold, {"t": (0, 1), "s": (0, 1), "u": (0, 1)})
    with pytest.raises(ArgumentError, match=r"unknown sweep 'onw'.*did you mean 'one'"):
        api.sweep(threshold, "onw")
    with pytest.raises(ArgumentError, match="declares 2 sweeps"):
        api.sweep(threshold)
    with pytest.raises(ArgumentError, match="both varied and fixed"):
        api.sweep(threshold, {"t": (0, 1)}, values={"t": 0.5})


# ------------------------------------------------------------ output shape


def test_csv_and_json_shape(threshold: trapsim.Scenario) -> None:
    res = api.sweep(threshold, "two", draws=500, workers=1)
    rows = list(csv.DictReader(io.StringIO(res.to_csv())))
    assert list(rows[0]) == ["t", "s", "trap", "count", "rate", "ci_low", "ci_high", "given_count"]
    assert len(rows) == 16 * 3
    first = rows[0]
    assert (float(first["t"]), float(first["s"]), first["trap"]) == (0.0, 0.0, "high")
    assert int(first["count"]) / 500 == float(first["rate"])
    doc = json.loads(res.to_json())
    assert doc["sweep"] == "two" and doc["vary"] == {"t": [0.0, 0.3, 0.6, 0.9], "s": [0.0, 0.3, 0.6, 0.9]}
    assert doc["draws"] == 500 and doc["seed"] == 11
    assert len(doc["points"]) == 16
    point = doc["points"][5]
    assert point["values"] == {"t": 0.3, "s": 0.3}
    assert set(point["traps"]) == {"high", "both", "go"}
    assert set(point["traps"]["both"]) == {"rate", "ci95", "count"}
    assert point["traps"]["both"]["count"] == res.points[5].trap_counts["both"]
    assert sum(o["count"] for o in point["outcomes"].values()) == 500


def test_cli_sweep_writes_outputs_and_no_partial_files(tmp_path: Path, invoke) -> None:
    out = tmp_path / "out"
    r = invoke("sweep", THRESHOLD, "--vary", "t=0:1:5", "--draws", 400, "--workers", 1, "--out", out)
    assert r.exit_code == 0, r.output
    assert "t (5 values, 0 to 1)" in r.output
    assert sorted(p.name for p in out.iterdir()) == ["threshold_t.csv", "threshold_t.json", "threshold_t.png"]
    r = invoke("sweep", THRESHOLD, "--out", out, "--draws", 300, "--workers", 1, "--no-figures")
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in out.iterdir())
    assert "threshold_one.csv" in names and "threshold_two.json" in names
    assert not any("checkpoint" in n or ".part" in n for n in names)


def test_cli_sweep_json_and_resume(tmp_path: Path, threshold: trapsim.Scenario, invoke) -> None:
    grid = {"t": grid_values(0, 1, 5)}
    with pytest.raises(KeyboardInterrupt):
        api.sweep(threshold, grid, draws=400, workers=1, checkpoint_dir=tmp_path, progress=Interrupt(2))
    r = invoke("sweep", THRESHOLD, "--vary", "t=0:1:5", "--draws", 400, "--out", tmp_path)
    assert r.exit_code == 2 and "--resume" in r.output
    r = invoke(
        "sweep", THRESHOLD, "--vary", "t=0:1:5", "--draws", 400, "--out", tmp_path, "--resume", "--json", "--no-figures"
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["meta"]["resumed_points"] >= 2
    assert doc == {**api.sweep(threshold, grid, draws=400, workers=1).to_dict(), "meta": doc["meta"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["threshold_t.csv", "threshold_t.json"]


def test_cli_sweep_json_alone_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke) -> None:
    monkeypatch.chdir(tmp_path)
    r = invoke("sweep", THRESHOLD, "--sweep", "one", "--draws", 200, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["sweep"] == "one"
    assert list(tmp_path.iterdir()) == []  # not even an empty trapsim-out
    r = invoke("sweep", THRESHOLD, "--draws", 200, "--json")  # two declared sweeps: a list
    assert [d["sweep"] for d in json.loads(r.output)] == ["one", "two"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vary", "t=0:1"], "expected name=from:to:steps"),
        (["--vary", "t=0:1:1"], "steps must be a whole number from 2 to 1,000"),
        (["--vary", "t=a:1:3"], "must be numbers"),
        (["--vary", "t=0:1:3", "--sweep", "one"], "not both"),
        (["--vary", "tt=0:1:3"], "unknown parameter 'tt'"),
        (["--sweep", "nope"], "unknown sweep 'nope'"),
    ],
)
def test_cli_sweep_bad_input_exits_2(args: list[str], message: str, invoke) -> None:
    r = invoke("sweep", THRESHOLD, *args, "--json")
    assert r.exit_code == 2
    assert message in r.output


# ------------------------------------------------------------------ figures


def test_figures(threshold: trapsim.Scenario, tmp_path: Path) -> None:
    from trapsim.figures.sweeps import plot_sweep_heatmap, plot_sweep_lines, write_sweep_figures

    one = api.sweep(threshold, "one", draws=500, workers=1)
    fig = plot_sweep_lines(one)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()[:3]] == ["u above t", "u above t and v above s", "A went"]
    assert len(ax.collections) == 3  # one 95% band per trap
    two = api.sweep(threshold, {"t": grid_values(0, 1, 5), "s": grid_values(0, 1, 5)}, draws=500, workers=1)
    fig = plot_sweep_heatmap(two, "both")
    assert len(fig.axes) == 2  # the map and its colour bar
    levels = [list(c.levels) for c in fig.axes[0].collections if hasattr(c, "levels")]
    assert [50.0] in levels
    paths = write_sweep_figures(two, tmp_path)
    assert sorted(p.name for p in paths) == [f"threshold_t_by_s_{t}.png" for t in ("both", "go", "high")]
    assert all(p.stat().st_size > 10_000 for p in paths)


def _conditional_threshold(tmp_path: Path) -> Path:
    """threshold.toml with a trap counted only where ``t < 0.5``: its rate is ``1 - s`` there, undefined elsewhere."""
    text = THRESHOLD.read_text(encoding="utf-8")
    text = text.replace(
        "[traps.go]",
        '[traps.cond]\ntitle = "u above s, where t is low"\nwhen = "u > s"\ngiven = "t < 0.5"\n\n[traps.go]',
    )
    path = tmp_path / "conditional.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_two_parameter_summary_skips_points_where_the_given_never_held(tmp_path: Path, invoke) -> None:
    # t = 0, 0.3, 0.6, 0.9: the given holds nowhere at t >= 0.6 (8 of 16 points); where it holds the
    # rate is 1 - s, near 100% at s = 0 and near 10% at s = 0.9, so it crosses 50%.
    path = _conditional_threshold(tmp_path)
    r = invoke("sweep", path, "--vary", "t=0:0.9:4", "--vary", "s=0:0.9:4", "--draws", 2000, "--no-figures")
    assert r.exit_code == 0, r.output
    line = next(ln for ln in r.output.splitlines() if ln.strip().startswith("cond "))
    assert "nan" not in line
    assert "s=0.9)" in line.split(" to ")[0] and "s=0)" in line.split(" to ")[1]
    assert "crosses 50%" in line and "does not cross" not in line
    assert "n/a at 8 of 16 points" in line


def test_cli_one_parameter_table_gives_intervals_denominators_and_no_nan(tmp_path: Path, invoke) -> None:
    path = _conditional_threshold(tmp_path)
    args = ("sweep", path, "--vary", "t=0:0.9:4", "--draws", 2000, "--seed", 5, "--workers", 1)
    r = invoke(*args, "--no-figures")
    assert r.exit_code == 0, r.output
    assert "nan" not in r.output
    res = api.sweep(api.load(path), {"t": grid_values(0, 0.9, 4)}, draws=2000, seed=5, workers=1)
    rows = [ln.split() for ln in r.output.splitlines()]
    rows = [row for row in rows if row and row[0] in {"0", "0.3", "0.6", "0.9"}]
    assert [row[0] for row in rows] == ["0", "0.3", "0.6", "0.9"]
    given, counts = res.given("cond"), res.counts("cond")
    lo, hi = res.ci95("cond")
    for i, row in enumerate(rows[:2]):  # t < 0.5: the given holds in every draw
        assert given[i] == 2000
        text = " ".join(row)
        assert f"{counts[i] / given[i]:.1%} [{lo[i]:.1%}, {hi[i]:.1%}] n = 2,000" in text
    for row in rows[2:]:
        assert "n/a (n = 0)" in " ".join(row)
