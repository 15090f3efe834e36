"""Figures drawn in a forked child (trapsim.figures.forked): same files, errors raised here, no child left."""

from __future__ import annotations

import filecmp
import os
import sys
import time
from pathlib import Path

import pytest

from trapsim import api, figures
from trapsim.figures import forked
from trapsim.figures.forked import Forked
from trapsim.output import write_atomic

ROOT = Path(__file__).parent.parent
CAN_FORK = sys.platform.startswith("linux") and forked._cores() > 1


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork even if earlier tests left threads running in this process (the CLI has none)."""
    monkeypatch.setattr("trapsim._fork.threading.active_count", lambda: 1)


def _no_child_left() -> None:
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def _writer(path: Path):
    def work() -> list[Path]:
        return [write_atomic(path, lambda tmp: tmp.write_text(str(os.getpid())))]

    return work


@pytest.mark.skipif(not CAN_FORK, reason="needs os.fork and two cores")
def test_work_runs_in_another_process_and_its_paths_come_back(tmp_path: Path, forks: None) -> None:
    path = tmp_path / "a.txt"
    with Forked(_writer(path)) as child:
        assert child.result() == [path]
    assert int(path.read_text()) != os.getpid()
    _no_child_left()


def test_a_failing_child_is_replaced_by_the_work_done_here(tmp_path: Path, forks: None) -> None:
    parent = os.getpid()
    path = tmp_path / "b.txt"

    def work() -> list[Path]:
        if os.getpid() != parent:
            raise OSError("only in the child")
        return _writer(path)()

    with Forked(work) as child:
        assert child.result() == [path]
    assert int(path.read_text()) == parent
    _no_child_left()


def test_an_error_of_the_work_is_raised_here_with_its_type(tmp_path: Path) -> None:
    target = tmp_path / "c.png"
    target.mkdir()  # a directory where the file should go: fails in the child and again here
    with pytest.raises(IsADirectoryError), Forked(_writer(target)) as child:
        child.result()
    _no_child_left()


@pytest.mark.skipif(not CAN_FORK, reason="needs os.fork and two cores")
def test_leaving_early_stops_the_child_and_removes_its_partial_file(tmp_path: Path, forks: None) -> None:
    def slow(tmp: Path) -> None:
        tmp.write_text("half")
        time.sleep(60)

    start = time.monotonic()
    with pytest.raises(RuntimeError), Forked(lambda: [write_atomic(tmp_path / "d.txt", slow)]):
        time.sleep(0.3)  # the child is inside write_atomic
        raise RuntimeError("this process failed")
    assert time.monotonic() - start < forked.STOP_WAIT
    assert list(tmp_path.iterdir()) == []  # neither the file nor its .part
    _no_child_left()


def test_run_figures_are_the_same_files_with_and_without_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: None
) -> None:
    res = api.simulate(api.load(ROOT / "scenarios" / "defense_clause.toml"), draws=2000, seed=3)
    forked_paths = figures.write_run_figures(res, tmp_path / "forked")
    monkeypatch.setattr(forked, "_cores", lambda: 1)
    plain_paths = figures.write_run_figures(res, tmp_path / "plain")
    assert [p.name for p in forked_paths] == [p.name for p in plain_paths]
    names = [p.name for p in forked_paths]
    assert names[:3] == ["defense_clause_traps.png", "defense_clause_outcomes.png", "defense_clause_tree.png"]
    assert names[-1] == "defense_clause_convergence.png" and len(names) > 4  # the tree's panels in between
    for a, b in zip(forked_paths, plain_paths, strict=True):
        assert filecmp.cmp(a, b, shallow=False), a.name
    _no_child_left()


@pytest.mark.skipif(not CAN_FORK, reason="needs os.fork and two cores")
def test_a_child_never_forks_again(tmp_path: Path, forks: None) -> None:
    def nested() -> list[Path]:
        inner_path = tmp_path / "inner.txt"
        with Forked(_writer(inner_path)) as inner:
            inner.result()
        return [write_atomic(tmp_path / "outer.txt", lambda tmp: tmp.write_text(str(os.getpid())))]

    with Forked(nested) as child:
        child.result()
    assert (tmp_path / "inner.txt").read_text() == (tmp_path / "outer.txt").read_text() != str(os.getpid())
    _no_child_left()


def test_tree_panels_saved_by_two_processes_are_the_files_of_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: None
) -> None:
    sc = api.load(ROOT / "scenarios" / "defense_clause.toml")
    split = figures.save_panels(figures.plot_tree_panels(sc, equilibrium=api.solve(sc)), tmp_path / "a" / "t.png")
    monkeypatch.setattr(forked, "_cores", lambda: 1)
    plain = figures.save_panels(figures.plot_tree_panels(sc, equilibrium=api.solve(sc)), tmp_path / "b" / "t.png")
    assert len(split) == len(plain) > 2
    assert [p.name for p in split] == ["t.png", *(f"t_{c}.png" for c in "BCDEFGH"[: len(split) - 1])]
    for a, b in zip(split, plain, strict=True):
        assert filecmp.cmp(a, b, shallow=False), a.name
    _no_child_left()


@pytest.mark.skipif(not CAN_FORK, reason="needs os.fork and two cores")
def test_a_child_that_hangs_is_stopped_and_its_work_done_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: None
) -> None:
    parent = os.getpid()
    path = tmp_path / "e.txt"

    def work() -> list[Path]:
        if os.getpid() != parent:
            time.sleep(60)  # a child that never reports
        return _writer(path)()

    monkeypatch.setattr(forked, "CHILD_WAIT", 0.5)
    start = time.monotonic()
    with Forked(work) as child:
        assert child.result() == [path]
    assert time.monotonic() - start < forked.STOP_WAIT
    assert int(path.read_text()) == parent
    _no_child_left()


@pytest.mark.skipif(not CAN_FORK, reason="needs os.fork and two cores")
def test_a_child_interrupted_twice_lets_its_thread_finish_the_file(tmp_path: Path, forks: None) -> None:
    # Ctrl-C reaches a child twice: SIGINT from the terminal, then SIGTERM from the parent leaving its
    # block. The second one once ended the child while its PNG thread was writing: a .part file stayed.
    import signal
    from concurrent.futures import ThreadPoolExecutor

    def slow(tmp: Path) -> None:
        tmp.write_text("half")
        time.sleep(1.0)
        tmp.write_text("whole")

    def work() -> list[Path]:
        with ThreadPoolExecutor(max_workers=1) as pool:
            done = pool.submit(write_atomic, tmp_path / "e.txt", slow)
            time.sleep(60)  # interrupted here, while the thread writes
            return [done.result()]

    with Forked(work) as child:
        time.sleep(0.4)
        assert child._child is not None
        os.kill(child._child.pid, signal.SIGINT)
        time.sleep(0.1)
    # leaving the block sent SIGTERM and waited for the child
    assert [p.name for p in tmp_path.iterdir()] == ["e.txt"]
    assert (tmp_path / "e.txt").read_text() == "whole"
    _no_child_left()


@pytest.mark.skipif(not CAN_FORK, reason="needs os.fork and two cores")
def test_signals_are_held_across_the_fork_and_the_child_takes_them_with_its_own_handler(forks: None) -> None:
    import signal

    def work() -> list[Path]:
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        handler = signal.getsignal(signal.SIGINT)
        return [Path(f"{signal.SIGINT in mask}-{signal.SIGTERM in mask}-{getattr(handler, '__name__', handler)}")]

    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    with Forked(work) as child:
        assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before  # restored here after the fork
        assert child.result() == [Path("False-False-_interrupt")]
    _no_child_left()
