"""trapsim._fork: what every fork of trapsim does (streams, signals, descriptors, stopping)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trapsim import _fork
from trapsim._signals import signals_held
from trapsim.errors import RunError
from trapsim.runner import pool_results
from trapsim.sweeps.checkpoint import LOCK_NAME, directory_lock

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="trapsim forks on Linux only")


def _exit_status(child: callable) -> int:  # type: ignore[valid-type]
    with signals_held():
        pid = _fork.fork(child)
    return _fork.Child(pid).wait(30)


def test_the_child_runs_with_signals_held_and_never_returns_here() -> None:
    def child() -> int:
        held = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        return 7 if {signal.SIGINT, signal.SIGTERM} <= set(held) and _fork.in_child() else 1

    assert _exit_status(child) == 7  # the child's status; had it returned here, this test would run twice
    assert not _fork.in_child()


def test_an_error_in_the_child_ends_it_with_status_1() -> None:
    def child() -> int:
        raise ValueError("in the child")

    assert _exit_status(child) == 1


def test_a_sweep_directory_lock_is_not_held_by_forked_children(tmp_path: Path) -> None:
    # A forked worker that kept the lock's descriptor would keep the lock after its sweep was killed.
    def child() -> int:
        targets = []
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):  # the descriptor listdir itself used, closed by now
                targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        return 2 if any(t.endswith(LOCK_NAME) for t in targets) else 0

    with directory_lock(tmp_path):
        assert _exit_status(child) == 0
    assert not _fork._CLOSED_IN_CHILDREN  # forgotten with the lock


def test_pending_output_is_written_once(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom trapsim import _fork\nfrom trapsim._signals import signals_held\n"
        "sys.stdout.write('parent line\\n')\n"  # buffered: stdout is a pipe here
        "with signals_held():\n    pid = _fork.fork(lambda: (sys.stdout.write('child\\n'), sys.stdout.flush(), 0)[2])\n"
        "_fork.Child(pid).wait(30)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.count("parent line") == 1 and "child" in out


def test_an_unpicklable_task_function_is_a_run_error_and_leaves_no_worker() -> None:
    with pytest.raises(RunError, match="cannot be sent to a worker process"):
        list(pool_results(lambda x: x, [(1,)], 2, fork=True))
    time.sleep(0.1)
    with pytest.raises(ChildProcessError):  # nothing left to reap: no zombie
        os.waitpid(-1, os.WNOHANG)


def test_a_child_reaped_elsewhere_counts_as_ended() -> None:
    with signals_held():
        pid = _fork.fork(lambda: 0)
    os.waitpid(pid, 0)  # as a host application ignoring SIGCHLD would have it
    child = _fork.Child(pid)
    assert child.poll() == 0
    child.stop(1.0)  # nothing to signal, nothing raised
