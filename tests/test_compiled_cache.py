"""runner.compiled: one compilation per scenario and thread, shared by a run and what follows it."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from trapsim import api, figures, runner
from trapsim.runner import compiling

ROOT = Path(__file__).parent.parent


@pytest.fixture
def compilations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the scenarios compiled from now on, this thread's cache emptied first."""
    monkeypatch.setattr(runner.parallel._CACHE, "models", {}, raising=False)
    made: list[str] = []
    real = compiling.CompiledScenario.__init__

    def counting(self, scenario):  # type: ignore[no-untyped-def]
        made.append(scenario.name)
        real(self, scenario)

    monkeypatch.setattr(compiling.CompiledScenario, "__init__", counting)
    return made


def test_a_run_and_its_tree_figure_compile_the_scenario_once(compilations: list[str]) -> None:
    sc = api.load(ROOT / "scenarios" / "defense_clause.toml")
    res = api.simulate(sc, draws=3000, seed=1, workers=1)
    figures.plot_tree_panels(res)  # solves the game at central values and finds the traps at the endings
    api.solve(sc)
    assert compilations == ["defense_clause"]


def test_each_thread_compiles_its_own(compilations: list[str]) -> None:
    sc = api.load(ROOT / "scenarios" / "defense_clause.toml")
    mine = runner.compiled(sc)
    theirs: list[object] = []
    t = threading.Thread(target=lambda: theirs.append(runner.compiled(sc)))
    t.start()
    t.join()
    assert runner.compiled(sc) is mine and theirs[0] is not mine
    assert len(compilations) == 2


def test_a_cached_model_keeps_no_chunk_tables_after_a_run() -> None:
    sc = api.load(ROOT / "scenarios" / "defense_clause.toml")
    api.simulate(sc, draws=9000, seed=1, workers=1)  # two chunks: tables reused, then dropped
    assert runner.compiled(sc)._tables._spare == []


def _has_compiled(key: str) -> bool:
    return key in getattr(runner.parallel._CACHE, "models", {})


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="trapsim forks on Linux only")
def test_forked_workers_have_the_compilation_of_their_parent() -> None:
    sc = api.load(ROOT / "scenarios" / "defense_clause.toml")
    runner.compiled(sc)
    key = runner.parallel._structure_key(sc)
    assert [ok for _, ok in runner.pool_results(_has_compiled, [(key,)] * 4, 2, fork=True)] == [True] * 4
    assert [ok for _, ok in runner.pool_results(_has_compiled, [(key,)] * 2, 2, fork=False)] == [False] * 2


def test_an_in_process_sweep_leaves_no_chunk_tables_in_the_cache() -> None:
    sc = api.load(ROOT / "scenarios" / "defense_clause.toml")
    api.sweep(sc, {"china_stake": (0.1, 0.3)}, draws=9000, workers=1, seed=1)
    assert runner.compiled(sc)._tables._spare == []


def test_forked_workers_are_sent_the_key_not_the_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    # A forked worker has the compiled scenario already; pickling and parsing it again per task cost
    # ~1.5 ms a task. With the key only, the results are the same bits.
    sc = api.load(ROOT / "scenarios" / "defense_clause.toml")
    sent: list[object] = []
    real = runner.parallel.pool_results

    def spy(fn, tasks, workers, **kw):  # type: ignore[no-untyped-def]
        tasks = list(tasks)
        sent.extend(t[0] for t in tasks)
        return real(fn, tasks, workers, **kw)

    monkeypatch.setattr(runner.parallel, "pool_results", spy)
    monkeypatch.setattr(runner.parallel, "forks", lambda: sys.platform.startswith("linux"))
    two = api.simulate(sc, draws=20_000, seed=5, workers=2)
    one = api.simulate(sc, draws=20_000, seed=5, workers=1)
    assert two.trap_counts == one.trap_counts and two.payoff_mean == one.payoff_mean
    if sys.platform.startswith("linux"):
        assert sent and all(s == runner.parallel._structure_key(sc) for s in sent)


def test_a_forked_worker_without_the_compiled_scenario_says_so() -> None:
    with pytest.raises(RuntimeError, match="has no compiled scenario 0123456789ab"):
        runner.parallel._run_batch("0123456789abcdef", 1, [(0, 10)], "spe", 10.0)
