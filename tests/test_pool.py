"""The one process pool (trapsim.runner.pool_results): order, bounded window, errors, clean stops."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from trapsim.errors import RunError
from trapsim.runner import pool_results


def _slow_echo(i: int, delay: float) -> tuple[int, int]:
    time.sleep(delay)
    return i, os.getpid()


def _fail_on(i: int, bad: int) -> int:
    if i == bad:
        raise ValueError(f"task {i} refused")
    return i


def _fail_late(i: int, delay: float) -> int:
    time.sleep(delay)
    if i in (1, 3):
        raise ValueError(f"task {i} refused")
    return i


def _die(code: int) -> None:
    os._exit(code)


def _children() -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        out.update(int(p) for p in (task / "children").read_text().split())
    return out


@pytest.fixture()
def no_leftover_workers() -> Iterator[None]:
    before = _children()
    yield
    deadline = time.monotonic() + 10
    while _children() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _children() - before == set()


both_starts = pytest.mark.parametrize("fork", [True, False], ids=["forked", "spawned"])


def test_a_plain_process_on_linux_forks_its_workers_and_one_with_threads_does_not() -> None:
    code = "import threading, time; from trapsim.runner import forks; a = forks(); "
    code += "threading.Thread(target=time.sleep, args=(1,)).start(); print(a, forks())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == [str(sys.platform.startswith("linux")), "False"]


@both_starts
def test_results_come_in_task_order_on_two_processes(no_leftover_workers: None, fork: bool) -> None:
    # The early tasks are the slow ones, so they finish last: delivery must still follow the tasks.
    tasks = [(i, 0.3 if i < 2 else 0.0) for i in range(8)]
    out = list(pool_results(_slow_echo, tasks, 2, fork=fork))
    assert [k for k, _ in out] == list(range(8))
    assert [v[0] for _, v in out] == list(range(8))
    assert len({pid for _, (_, pid) in out}) == 2
    assert os.getpid() not in {pid for _, (_, pid) in out}


@both_starts
def test_unordered_results_come_as_they_finish(no_leftover_workers: None, fork: bool) -> None:
    tasks = [(0, 0.5), (1, 0.0), (2, 0.0)]
    out = [k for k, _ in pool_results(_slow_echo, tasks, 2, ordered=False, fork=fork)]
    assert sorted(out) == [0, 1, 2]
    assert out[-1] == 0


@both_starts
def test_started_is_called_once_every_worker_runs_before_any_result(no_leftover_workers: None, fork: bool) -> None:
    events: list[object] = []

    def started() -> None:  # `trapsim run` starts importing matplotlib here: no fork may follow
        events.append(("started", len(_children())))

    for _k, (i, _) in pool_results(_slow_echo, [(i, 0.0) for i in range(4)], 2, fork=fork, started=started):
        events.append(i)
    assert events[0] == ("started", 2) and events[1:] == [0, 1, 2, 3]


def test_a_run_on_workers_reports_progress_zero_once_they_run() -> None:
    import trapsim

    seen: list[int] = []
    sc = trapsim.load(Path(__file__).parent / "data" / "threshold.toml")
    trapsim.simulate(sc, draws=5 * 8192, seed=1, workers=2, progress=seen.append)
    assert seen[0] == 0 and 0 not in seen[1:] and sum(seen) == 5 * 8192


@both_starts
def test_the_first_failing_task_in_order_gives_the_error(no_leftover_workers: None, fork: bool) -> None:
    # Task 3 fails at once, task 1 a moment later: a run reports what its chunks give in turn, the same
    # error whatever the number of workers (one worker would meet task 1 first).
    tasks = [(0, 0.0), (1, 0.4), (2, 0.0), (3, 0.0), (4, 0.0)]
    got: list[int] = []
    with pytest.raises(ValueError, match="task 1 refused"):
        for _, value in pool_results(_fail_late, tasks, 2, fork=fork):
            got.append(value)
    assert got == [0]
    with pytest.raises(ValueError, match="task 3 refused"):  # unordered: as it comes
        list(pool_results(_fail_late, tasks, 2, ordered=False, fork=fork))


def test_tasks_are_read_lazily_within_the_window(no_leftover_workers: None) -> None:
    read: list[int] = []

    def tasks() -> Iterator[tuple[int, float]]:
        for i in range(40):
            read.append(i)
            yield i, 0.0

    results = pool_results(_slow_echo, tasks(), 2, window=3)
    first = next(results)
    assert first[0] == 0
    assert len(read) <= 3 + 1  # the window, and at most one more read when it opened
    seen = [first[0]] + [k for k, _ in results]
    assert seen == list(range(40))


@both_starts
def test_a_failing_task_raises_its_error_and_ends_the_workers(no_leftover_workers: None, fork: bool) -> None:
    with pytest.raises(ValueError, match="task 3 refused"):
        list(pool_results(_fail_on, [(i, 3) for i in range(10)], 2, fork=fork))


@both_starts
def test_a_dying_worker_is_a_run_error(no_leftover_workers: None, fork: bool) -> None:
    with pytest.raises(RunError, match=r"a worker process died \(exit status 7\)"):
        list(pool_results(_die, [(7,)], 2, fork=fork))


@both_starts
def test_stopping_early_ends_the_workers(no_leftover_workers: None, fork: bool) -> None:
    results = pool_results(_slow_echo, [(i, 0.2) for i in range(20)], 2, fork=fork)
    next(results)
    results.close()


@both_starts
def test_workers_leave_when_their_parent_is_killed(tmp_path: Path, fork: bool) -> None:
    # A forked worker must hold neither its own nor another worker's parent end of a pipe, or it never
    # sees the end of its pipe when the parent is killed (SIGKILL: the parent stops no one).
    (tmp_path / "tasks.py").write_text("import os, time\ndef nap(s):\n    time.sleep(s)\n    return os.getpid()\n")
    (tmp_path / "parent.py").write_text(
        textwrap.dedent(
            f"""
            import time
            from tasks import nap
            from trapsim.runner import forks, pool_results
            seen = set()
            for _, pid in pool_results(nap, [(0.4,)] * 50, 2, fork={fork}):
                if pid not in seen:
                    seen.add(pid)
                    print(pid, flush=True)
                if len(seen) == 2:
                    time.sleep(3600)
            """
        )
    )
    parent = subprocess.Popen([sys.executable, str(tmp_path / "parent.py")], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    pids = {int(parent.stdout.readline()), int(parent.stdout.readline())}
    assert len(pids) == 2 and parent.pid not in pids
    parent.kill()
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 20  # each has at most one 0.4 s task left to finish
    while (alive := {p for p in pids if _running(p)}) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive == set(), "workers outlived their killed parent"


def _running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie (an orphan may wait for a reaper that never comes)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_script_without_a_main_guard_runs_on_two_workers(tmp_path: Path) -> None:
    # Workers import trapsim only, never the script, so the spawn-method guard is not needed.
    script = tmp_path / "script.py"
    scenario = Path(__file__).parent.parent / "scenarios" / "defense_clause.toml"
    script.write_text(
        textwrap.dedent(
            f"""
            import trapsim
            sc = trapsim.load({str(scenario)!r})
            a = trapsim.simulate(sc, draws=40000, seed=4, workers=2)
            b = trapsim.simulate(sc, draws=40000, seed=4, workers=1)
            print(a.trap_counts == b.trap_counts and a.payoff_mean == b.payoff_mean)
            """
        )
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "True", out.stderr


def test_spawned_workers_have_one_blas_thread_unless_the_user_says_otherwise(
    monkeypatch: pytest.MonkeyPatch, no_leftover_workers: None
) -> None:
    # OpenBLAS's idle threads would spin on the cores the other workers use (trapsim._blas); a forked
    # worker has this process's OpenBLAS (the command line sets one thread before numpy loads)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert [v for _, v in pool_results(os.getenv, [("OPENBLAS_NUM_THREADS",)], 1, fork=False)] == ["1"]
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert [v for _, v in pool_results(os.getenv, [("OPENBLAS_NUM_THREADS",)], 1, fork=False)] == ["2"]


def test_a_worker_that_cannot_start_is_a_run_error(monkeypatch: pytest.MonkeyPatch, no_leftover_workers: None) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python3")
    with pytest.raises(RunError, match=r"cannot start a worker process \(/nonexistent/python3: "):
        list(pool_results(_slow_echo, [(1, 0.0)], 2, fork=False))


def test_every_core_by_default_from_100000_draws_when_workers_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    from trapsim import runner
    from trapsim.api._checks import default_workers

    monkeypatch.setattr(runner, "default_workers", lambda: 6)
    monkeypatch.setattr(runner, "forks", lambda: True)
    assert [default_workers(None, d) for d in (99_999, 100_000, 1_000_000)] == [1, 6, 6]
    assert default_workers(3, 100_000) == 3
    monkeypatch.setattr(runner, "forks", lambda: False)  # fresh interpreters cost ~0.5 s each: only from a million
    assert [default_workers(None, d) for d in (100_000, 999_999, 1_000_000)] == [1, 1, 6]
