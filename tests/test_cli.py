"""The command line, through click's CliRunner: run, solve, validate, --version, --help."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import trapsim
from trapsim.cli import load_commands

COMMANDS = load_commands()  # every command (the CLI imports a command's module when it runs)

DATA = Path(__file__).parent / "data"
SIMPLE = DATA / "simple.toml"


def test_run_human_output(invoke, tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = invoke("run", SIMPLE, "--draws", "20000", "--seed", "5", "--out", out, "--no-figures")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Entry game with an uncertain cost" in text
    assert "20,000 draws" in text and "seed 5" in text and "solver spe" in text
    assert re.search(r"trap\s+title\s+rate\s+95% CI", text)
    # every trap row: id, title, rate, [low, high]; the numbers match the API's
    res = trapsim.simulate(trapsim.load(str(SIMPLE)), draws=20_000, seed=5)
    for trap in ("fight", "entry_regret"):
        lo, hi = res.ci95(trap)
        row = f"{res.rate(trap):7.2%}  [{lo:.2%}, {hi:.2%}]"
        assert re.search(rf"{trap}\s+.+{re.escape(row)}", text), row
    assert "Most frequent outcomes" in text and "shared_weak" in text
    assert "Mean payoff per actor" in text
    assert re.findall(r"^wrote (.+)$", text, flags=re.M) == [str(out / "simple.json")]
    doc = json.loads((out / "simple.json").read_text())
    assert doc["traps"]["fight"]["count"] == res.trap_counts["fight"]


@pytest.mark.slow
def test_run_writes_the_trap_rate_figure(invoke, tmp_path: Path) -> None:
    result = invoke("run", SIMPLE, "--draws", "5000", "--seed", "5", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    written = re.findall(r"^wrote (.+)$", result.output, flags=re.M)
    assert str(tmp_path / "simple.json") in written
    assert str(tmp_path / "simple_traps.png") in written
    for path in written:
        assert Path(path).stat().st_size > 0
    assert (tmp_path / "simple_traps.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_without_figures(invoke, tmp_path: Path) -> None:
    result = invoke("run", SIMPLE, "--draws", "1000", "--out", tmp_path, "--no-figures")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["simple.json"]
    assert "seed 7" in result.output  # the seed from the file's [simulation] table


def test_run_json_prints_json_and_writes_nothing(invoke, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("run", SIMPLE, "--draws", "3000", "--seed", "2", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["draws"] == 3000 and doc["seed"] == 2 and doc["scenario"] == "simple"
    assert set(doc) >= {"traps", "outcomes", "payoffs", "meta"}
    assert list(tmp_path.iterdir()) == []


def test_run_json_with_out_writes_the_same_document(invoke, tmp_path: Path) -> None:
    result = invoke("run", SIMPLE, "--draws", "3000", "--seed", "2", "--json", "--out", tmp_path, "--no-figures")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    written = json.loads((tmp_path / "simple.json").read_text())
    printed["meta"].pop("elapsed_s"), written["meta"].pop("elapsed_s")
    assert printed == written


def test_run_is_reproducible_through_the_cli(invoke) -> None:
    docs = []
    for _ in range(2):
        result = invoke("run", DATA / "core_decision.toml", "--draws", "20000", "--json")
        assert result.exit_code == 0, result.output
        doc = json.loads(result.output)
        doc["meta"].pop("elapsed_s")
        docs.append(doc)
    assert docs[0] == docs[1]


def test_run_qre_options(invoke) -> None:
    result = invoke("run", DATA / "core_qre.toml", "--solver", "qre", "--rationality", "4", "--draws", "2000", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["solver"] == "qre" and doc["rationality"] == 4.0


def test_run_set_fixes_a_parameter(invoke) -> None:
    result = invoke("run", SIMPLE, "--set", "cost=0.1", "--draws", "5000", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["values"] == {"cost": 0.1}
    # the strong incumbent now always fights: fight rate = P(strong) = 0.3
    assert abs(doc["traps"]["fight"]["rate"] - 0.3) < 4 * (0.21 / 5000) ** 0.5


def test_set_unknown_parameter_exits_2_with_suggestion(invoke) -> None:
    for command in ("run", "solve"):
        result = invoke(command, SIMPLE, "--set", "cots=1")
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert f"error: {SIMPLE}: --set cots: unknown parameter 'cots'" in result.output
        assert "(did you mean 'cost'?)" in result.output


def test_set_derived_value_explains_itself(invoke) -> None:
    result = invoke("solve", SIMPLE, "--set", "fight_value=1")
    assert result.exit_code == 2
    assert "derived value" in result.output


@pytest.mark.parametrize("value", ["cost=abc", "cost", "=1", "cost=nan", "cost=inf"])
def test_set_bad_value_exits_2(invoke, value: str) -> None:
    result = invoke("run", SIMPLE, "--set", value)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "--set" in result.output


@pytest.mark.parametrize("args", [["--draws", "0"], ["--seed", "-1"], ["--solver", "nash"], ["--draws", "many"]])
def test_run_bad_options_exit_2(invoke, args: list[str]) -> None:
    result = invoke("run", SIMPLE, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_run_nonexistent_file(invoke, tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    result = invoke("run", missing)
    assert result.exit_code == 2
    assert f"error: {missing}: cannot read file" in result.output


def test_solve_human_output(invoke) -> None:
    result = invoke("solve", DATA / "core_entry.toml")
    assert result.exit_code == 0, result.output
    text = result.output
    assert re.search(r"\* entrant\s+ent\s+enter", text)
    assert re.search(r"\* inc_strong\s+inc\s+fight", text)
    assert re.search(r"ent\s+\+0\.4000", text) and re.search(r"inc\s+\+0\.6500", text)
    assert re.search(r"shared_weak\s+70\.00%", text)


def test_solve_marks_off_path_nodes(invoke) -> None:
    result = invoke("solve", DATA / "core_entry.toml", "--set", "p=0.6")
    assert result.exit_code == 0, result.output
    assert re.search(r"\* entrant\s+ent\s+stay", result.output)
    assert re.search(r"^\s+inc_strong\s+inc\s+fight", result.output, flags=re.M)  # no star


def test_solve_json(invoke) -> None:
    result = invoke("solve", DATA / "core_chicken.toml", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["payoffs"] == {"row": 1.0, "col": -1.0}
    assert doc["strategy"]["first"] == "straight"
    assert doc["outcome_probabilities"] == {"row_wins": 1.0}


def test_version(invoke) -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"trapsim, version {trapsim.__version__}"


def test_help_for_every_command(invoke) -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for name in ("run", "solve", "validate"):
        assert name in COMMANDS and re.search(rf"^\s+{name}\s", result.output, flags=re.M)
    for name in COMMANDS:
        for flag in ("--help", "-h"):
            sub = invoke(name, flag)
            assert sub.exit_code == 0, (name, sub.output)
            assert f"Usage: main {name}" in sub.output or f"Usage: trapsim {name}" in sub.output


def test_run_help_lists_the_contract_options(invoke) -> None:
    text = invoke("run", "--help").output
    for option in ("--draws", "--seed", "--solver", "--rationality", "--set", "--json", "--out"):
        assert option in text


def test_installed_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "trapsim", "validate", str(SIMPLE)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert f"{SIMPLE}: ok" in result.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "trapsim", "validate", str(DATA / "bad" / "cycle_to_root.toml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "nodes.nature.next.lose" in bad.stderr


def test_unwritable_output_is_bad_input_not_a_bug(invoke, tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    result = invoke("run", SIMPLE, "--draws", "100", "--seed", "1", "--out", blocker / "sub", "--no-figures")
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert str(blocker) in result.output


def test_closed_pipe_ends_quietly() -> None:
    cmd = [sys.executable, "-m", "trapsim", "run", str(SIMPLE), "--json", "--draws", "2000", "--seed", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader leaves before trapsim writes, as `| head -0` would
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert b"Traceback" not in err and b"internal error" not in err


def test_tie_warning_counts_draws_with_a_tie_anywhere_on_the_path(invoke, tmp_path: Path) -> None:
    """Two nodes, each on the path in half the draws and tied in 1.4% of those: about 0.7% of
    draws have a tie at either node, 1.4% at one of them, so one warning."""
    toml = tmp_path / "thin_ties.toml"
    toml.write_text("""[scenario]
name = "thin_ties"
root = "coin"
[actors.a]
name = "A"
[parameters]
g1 = { dist = "choice", values = [0, 1], weights = [0.014, 0.986] }
g2 = { dist = "choice", values = [0, 1], weights = [0.014, 0.986] }
[nodes.coin]
chance = { left = 0.5, right = 0.5 }
next = { left = "pick_left", right = "pick_right" }
[nodes.pick_left]
actor = "a"
next = { safe = "kept", bold = "won_left" }
[nodes.pick_right]
actor = "a"
next = { safe = "kept", bold = "won_right" }
[payoffs]
kept = { a = 0 }
won_left = { a = "g1" }
won_right = { a = "g2" }
""")
    result = invoke("run", toml, "--draws", "50000", "--seed", "2", "--no-figures", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    res = trapsim.simulate(trapsim.load(str(toml)), draws=50_000, seed=2)
    per_node = [c / res.draws for c in res.tie_path_counts.values()]
    assert len(per_node) == 2 and all(0 < s < 0.01 for s in per_node)  # no node crosses 1% ...
    assert res.tie_anywhere_count / res.draws > 0.01  # ... but the draws with a tie do
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("warning:")]
    assert f"in {res.tie_anywhere_count / res.draws:.1%} of draws" in line
