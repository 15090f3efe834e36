"""The bundled scenarios installed with the package: `trapsim list`, names for files, `trapsim init`."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import trapsim
from trapsim import api
from trapsim.scenario import library

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"


def test_library_is_the_scenarios_directory_with_titles_from_the_files() -> None:
    """In a source checkout / editable install the library is scenarios/ itself, titles as written there."""
    assert library.library_dir().resolve() == SCENARIOS
    expected = {
        p.stem: " ".join(tomllib.loads(p.read_text(encoding="utf-8"))["scenario"]["title"].split())
        for p in SCENARIOS.glob("*.toml")
    }
    assert {e.name: e.title for e in api.library()} == expected


def test_packaging_maps_trapsim_library_to_scenarios() -> None:
    """pyproject installs scenarios/ as trapsim/library; the placeholder directory holds no scenario."""
    conf = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert conf["package-dir"] == {"": "src", "trapsim.library": "scenarios"}
    assert "*.toml" in conf["package-data"]["trapsim.library"]
    assert "starter.toml" in conf["package-data"]["trapsim.scenario"]
    assert not list((REPO / "src" / "trapsim" / "library").glob("*.toml"))


def test_list_shows_one_line_per_bundled_scenario(invoke) -> None:
    r = invoke("list")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    names = sorted(p.stem for p in SCENARIOS.glob("*.toml"))
    assert [line.split()[0] for line in lines] == names
    r = invoke("list", "--paths")
    assert [Path(line.split("\t")[1]).resolve() for line in r.output.splitlines()] == [
        SCENARIOS / f"{n}.toml" for n in names
    ]


def test_a_bundled_name_works_from_any_directory(invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("vietnam_analogy", "vietnam_analogy.toml"):
        r = invoke("validate", name)
        assert r.exit_code == 0 and "ok (2 actors" in r.output, r.output
    assert trapsim.load("vietnam_analogy").path == str(SCENARIOS / "vietnam_analogy.toml")
    r = invoke("run", "vietnam_analogy", "--draws", 500, "--seed", 1, "--no-figures")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "trapsim-out" / "vietnam_analogy.json").is_file()


def test_a_file_in_the_current_directory_comes_before_the_library(invoke, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "vietnam_analogy.toml").write_text(api.starter_scenario("vietnam_analogy"), encoding="utf-8")
    r = invoke("validate", "vietnam_analogy.toml")
    assert r.exit_code == 0 and "ok (2 actors, 4 parameters, 3 nodes" in r.output, r.output


def test_an_unknown_name_says_so_and_suggests_a_bundled_one(invoke, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = invoke("run", "defense_clase")
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [
        "error: defense_clase: cannot read file: no such file here, and no bundled scenario of that name "
        "(trapsim list) (did you mean 'defense_clause'?)"
    ]
    r = invoke("validate", "sub/defense_clause.toml")  # a path, not a name: never looked up in the library
    assert r.exit_code == 2 and "cannot read file: No such file or directory" in r.output


def test_init_writes_a_commented_scenario_that_validates_and_runs(invoke, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = invoke("init", "my_crisis")
    assert r.exit_code == 0, r.output
    text = (tmp_path / "my_crisis.toml").read_text(encoding="utf-8")
    assert 'name = "my_crisis"' in text and "__NAME__" not in text
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) >= 20  # commented for a student
    sc = trapsim.load("my_crisis.toml")
    res = trapsim.simulate(sc, draws=4000, seed=3)
    # every outcome of the starting game is reachable, so a student sees each branch move
    assert all(c > 0 for c in res.outcome_counts.values()), res.outcome_counts
    assert 0 < res.rate("war_trap") < 1
    r = invoke("init", "my_crisis")
    assert r.exit_code == 2 and "exists; pass --force" in r.output
    assert invoke("init", "my_crisis", "--force").exit_code == 0


def test_init_refuses_a_name_that_is_not_an_id_and_suggests_one(invoke, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = invoke("init", "My Crisis")
    assert r.exit_code == 2
    assert "invalid scenario name 'My Crisis'" in r.output and "did you mean 'my_crisis'" in r.output
    assert not list(tmp_path.iterdir())


def test_shell_completion_offers_bundled_names(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.shell_completion import ShellComplete

    from trapsim.cli import main

    comp = ShellComplete(main, {}, "trapsim", "_TRAPSIM_COMPLETE")
    items = comp.get_completions(["run"], "vietn")
    assert [(i.type, i.value) for i in items] == [("plain", "vietnam_analogy"), ("file", "vietn")]
