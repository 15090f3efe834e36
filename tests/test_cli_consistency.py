"""One way to do things: the same option means the same thing in every command that has it.

Table-driven: which commands take which shared option, that each declaration is the same
(type, default, flag or not), that each command's --help shows an example, and that the
options behave the same way (--out, --format, --seed/--draws/--set/--solver/--rationality,
--rationality refused without qre).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from trapsim.cli import load_commands

COMMANDS = load_commands()  # every command (the CLI imports a command's module when it runs)

SIMPLE = Path(__file__).parent / "data" / "simple.toml"

# option -> the commands that take it (where it makes sense)
TAKES = {
    "--seed": {"run", "sweep", "compare", "sensitivity", "discover", "tree", "report"},
    "--draws": {"run", "sweep", "compare", "sensitivity", "discover", "tree", "report"},
    "--set": {"solve", "run", "sweep", "compare", "sensitivity", "discover", "tree", "report", "explain", "export"},
    "--solver": {"solve", "run", "sweep", "compare", "sensitivity", "discover", "tree", "report", "explain"},
    "--rationality": {"solve", "run", "sweep", "compare", "sensitivity", "discover", "tree", "report", "explain"},
    "--workers": {"run", "sweep", "compare", "tree", "report"},
    "--format": {"run", "sweep", "compare", "sensitivity", "discover", "tree", "graph"},
    "--out": {"run", "sweep", "compare", "sensitivity", "discover", "tree", "graph", "report", "init"},
    "--json": {"solve", "run", "sweep", "compare", "sensitivity", "discover", "explain"},
    "--no-figures": {"run", "sweep", "compare", "sensitivity", "discover"},
}

# how to run each file-writing command on the small scenario, cheaply
ARGS = {
    "run": [SIMPLE, "--draws", 256],
    "sweep": [SIMPLE, "--vary", "p_strong=0.2:0.4:2", "--draws", 256],
    "compare": [SIMPLE, SIMPLE, "--draws", 256],
    "sensitivity": [SIMPLE, "--draws", 64],
    "discover": [SIMPLE, "--trap", "fight", "--draws", 200],
    "tree": [SIMPLE],
    "graph": [SIMPLE],
    "report": [SIMPLE, "--draws", 256],
}
FIGURES = {"run", "sweep", "compare", "sensitivity", "discover", "tree", "graph"}


def _options(command: click.Command) -> dict[str, click.Option]:
    return {name: p for p in command.params if isinstance(p, click.Option) for name in p.opts}


def _signature(option: click.Option) -> tuple:
    kind = option.type.choices if isinstance(option.type, click.Choice) else type(option.type).__name__
    return (kind, option.default, option.multiple, option.is_flag, option.hidden)


@pytest.mark.parametrize("option", sorted(TAKES))
def test_shared_option_is_in_every_command_where_it_makes_sense_and_declared_the_same(option: str) -> None:
    having = {name for name, cmd in COMMANDS.items() if option in _options(cmd)}
    assert TAKES[option] <= having, f"{option} missing from {sorted(TAKES[option] - having)}"
    signatures = {name: _signature(_options(COMMANDS[name])[option]) for name in having}
    assert len(set(signatures.values())) == 1, signatures


def test_no_command_offers_samples_any_more() -> None:
    """--draws everywhere; sensitivity's old --samples is a hidden alias only."""
    for name, cmd in COMMANDS.items():
        opt = _options(cmd).get("--samples")
        assert opt is None or opt.hidden, name


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_help_shows_an_example(invoke, name: str) -> None:
    r = invoke(name, "--help")
    assert r.exit_code == 0
    examples = [line.strip() for line in r.output.splitlines() if line.strip().startswith(f"trapsim {name}")]
    assert examples, f"trapsim {name} --help has no example"


def _files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", sorted(ARGS))
def test_out_rule_is_the_same_everywhere(invoke, name: str, tmp_path: Path, monkeypatch) -> None:
    """Default: everything in ./trapsim-out; --out DIR: everything in DIR; nothing anywhere else."""
    monkeypatch.chdir(tmp_path)
    seed = ["--seed", 1] if "--seed" in _options(COMMANDS[name]) else []
    r = invoke(name, *ARGS[name], *seed)
    assert r.exit_code == 0, r.output
    default = _files(tmp_path)
    assert default and all(p.parts[0] == "trapsim-out" for p in default), default
    out = tmp_path / "elsewhere" / "here"
    r = invoke(name, *ARGS[name], *seed, "--out", out)
    assert r.exit_code == 0, r.output
    assert {Path("elsewhere/here") / p.relative_to("trapsim-out") for p in default} == _files(tmp_path) - default
    for path in _files(out):
        assert f"wrote {out / path}" in r.output


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_format_means_the_figure_format_everywhere(invoke, name: str, tmp_path: Path) -> None:
    r = invoke(name, *ARGS[name], "--format", "svg", "--out", tmp_path)
    assert r.exit_code == 0, r.output
    figures = [p for p in tmp_path.iterdir() if p.suffix not in (".json", ".csv")]
    assert figures and all(p.suffix == ".svg" and p.read_text().lstrip().startswith("<?xml") for p in figures)


THRESHOLD = Path(__file__).parent / "data" / "threshold.toml"  # four uncertain parameters
SAME = {
    "run": [THRESHOLD],
    "sweep": [THRESHOLD, "--vary", "s=0.2:0.4:2"],
    "compare": [THRESHOLD, THRESHOLD],
    "sensitivity": [THRESHOLD],
    "discover": [THRESHOLD, "--trap", "high"],
}


def _recorded(name: str, doc: dict) -> dict:
    """seed, draws, fixed values and solver as each command's JSON records them."""
    if name == "compare":
        doc = {**doc, **doc["scenarios"][0]}
    if name == "sensitivity":  # the fixed parameter is left out of the analysis
        doc = {**doc, "draws": doc["samples"], "values": {"t": 0.5} if "t" in doc["excluded"] else {}}
    if name == "discover":  # the fixed parameter is no dimension of the boxes
        doc = {**doc, "values": {} if "t" in doc["ranges"] else {"t": 0.5}}
    keys = ("seed", "draws", "values", "solver", "rationality")
    return {k: doc.get(k, {} if k == "values" else None) for k in keys}


@pytest.mark.parametrize("name", sorted(SAME))
def test_seed_draws_set_and_solver_mean_the_same_everywhere(invoke, name: str) -> None:
    r = invoke(name, *SAME[name], "--draws", 128, "--seed", 11, "--set", "t=0.5", "--solver", "qre",
               "--rationality", 4, "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    got = _recorded(name, json.loads(r.output))
    assert got["seed"] == 11 and got["draws"] == 128 and got["values"] == {"t": 0.5}, got
    assert got["solver"] == "qre"
    if name in ("run", "sweep", "compare"):
        assert got["rationality"] == 4


@pytest.mark.parametrize("name", sorted(TAKES["--rationality"]))
def test_rationality_without_qre_is_refused_everywhere(invoke, name: str, tmp_path: Path) -> None:
    extra = {"export": ["--efg", tmp_path / "x.efg"], "discover": ["--trap", "fight"], "compare": [SIMPLE]}
    r = invoke(name, SIMPLE, *extra.get(name, []), "--rationality", 3)
    assert r.exit_code == 2, r.output
    assert "--rationality is the precision of --solver qre, but this run uses spe" in r.output
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "args",
    [
        ("run", "defense_clause", "--per-draw", "--no-figures"),
        ("run", "defense_clause", "--out", "--no-figures"),
        ("export", "defense_clause", "--efg", "--set", "need_peace=0.5"),
        ("init", "mine", "--out", "--force"),
    ],
)
def test_a_forgotten_file_name_is_not_taken_from_the_next_option(
    invoke, args: tuple[str, ...], tmp_path: Path, monkeypatch
) -> None:
    """``--per-draw --no-figures`` once wrote the draws to a file named ``--no-figures``."""
    monkeypatch.chdir(tmp_path)
    r = invoke(*args)
    assert r.exit_code == 2
    assert f"'{args[3]}' is an option, not a file name" in r.output
    assert list(tmp_path.iterdir()) == []  # nothing written anywhere
