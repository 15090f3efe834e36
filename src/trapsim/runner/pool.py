"""The one process-pool path of trapsim: ``run --workers``, ``run --per-draw`` and sweeps.

:func:`pool_results` runs tasks on worker processes and yields their
results in task order (or as they finish), with a bounded number of tasks in
flight so results never pile up in memory.

It is a small pool of its own rather than :class:`concurrent.futures.ProcessPoolExecutor`,
whose shutdown after its workers are killed can hang (its feeder thread stays
blocked writing a large task to a pipe nobody reads, and is joined at exit).
Here every worker has one pipe, holds at most one task, and nothing but the
calling thread touches the pipes, so stopping is: terminate, wait, close.

Starting: on Linux, from a process with no other Python thread (the command
line), a worker is a fork of this process: it starts in about a millisecond
with everything already imported and compiled (a fresh interpreter spends
0.3-0.5 s importing numpy and trapsim and compiling the scenario, which was
most of a million-draw run's overhead). Elsewhere (macOS, whose system
libraries are not safe after fork; a notebook or any process running
threads, which fork cannot copy safely) a worker is a fresh ``python -c``
process that imports only trapsim (never the caller's ``__main__``), so
scripts need no ``if __name__ == "__main__":`` guard either way.

Signals: each worker is in a process group of its own, so a terminal's
Ctrl-C (SIGINT to the foreground group) reaches the parent only: no worker is
ever interrupted half-way through starting or importing (that printed
multiprocessing tracebacks). Workers ignore SIGINT as well, and die of
SIGTERM. When the caller is interrupted (Ctrl-C, or SIGTERM turned into
``KeyboardInterrupt`` by the command line), when a task fails, or when the
caller stops iterating, the workers are terminated at once; a worker whose
parent dies reads the end of its pipe and leaves.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from typing import TYPE_CHECKING, Any, TypeVar

from trapsim._blas import one_blas_thread
from trapsim._fork import Child, can_fork, fork
from trapsim._signals import signals_held
from trapsim.errors import RunError, TrapsimError

if TYPE_CHECKING:  # multiprocessing (sockets, selectors: ~5 ms) is imported when a pool starts, not by every run
    from multiprocessing.connection import Connection

__all__ = ["forks", "pool_results"]

T = TypeVar("T")

_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_STOP_WAIT = 5.0  # seconds a terminated worker gets before it is killed


#: Whether :func:`pool_results` starts its workers by fork from here now (one rule for every fork).
forks = can_fork


# The worker's whole program: read sys.path and the task function, then serve (see _serve).
_BOOT = """
import sys
from multiprocessing.connection import Connection
c = Connection(int(sys.argv[1]))
try:
    sys.path[:] = c.recv()
except (EOFError, OSError):  # the parent is gone already
    sys.exit(0)
from trapsim.runner.pool import _serve
_serve(c)
"""


def _serve(conn: Connection) -> None:
    """Worker process: answer ``(index, args)`` with ``(index, ok, value)`` until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
    try:
        fn = conn.recv()
        while (task := conn.recv()) is not None:
            index, args = task
            try:
                conn.send((index, True, fn(*args)))
            except Exception as exc:
                conn.send((index, False, _portable(exc)))
    except (EOFError, OSError):  # the parent is gone
        return


def _portable(exc: Exception) -> Exception:
    """``exc`` if it pickles, with the worker's traceback as a note unless it is a trapsim error."""
    if not isinstance(exc, TrapsimError):
        exc.add_note("in a worker process:\n" + "".join(traceback.format_exception(exc)))
    try:
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc} (in a worker process)")
    return exc


class _Worker:
    """A worker process in a process group of its own, and the parent's end of its pipe."""

    def __init__(self, fn: Callable[..., Any], pool: list[_Worker], *, fork: bool) -> None:
        from multiprocessing import Pipe

        self.conn, child = Pipe()
        self.process: subprocess.Popen[bytes] | Child
        try:
            self.process = _fork(child, [w.conn for w in pool] + [self.conn]) if fork else _spawn(child)
        except BaseException:
            self.conn.close()
            raise
        finally:
            child.close()
        self.task: int | None = None  # index of the task it holds
        try:
            if not fork:
                self.conn.send(list(sys.path))
            self.conn.send(fn)
        except BaseException as exc:  # a function that does not pickle: no worker left behind
            self.ask_to_stop(graceful=False)
            self.reap()
            if isinstance(exc, Exception) and not isinstance(exc, OSError):
                raise RunError(f"the task function cannot be sent to a worker process ({exc})") from None
            raise

    def give(self, index: int, args: tuple[Any, ...]) -> None:
        try:
            self.conn.send((index, args))
        except OSError:
            raise _died(self) from None
        self.task = index

    def ask_to_stop(self, *, graceful: bool) -> None:
        """Ask it to leave (``graceful``: after a complete run: the end of its tasks) or terminate it."""
        if graceful:
            with suppress(OSError):
                self.conn.send(None)
        elif self.process.poll() is None:
            self.process.terminate()

    def reap(self) -> None:
        """Wait for it to end (killed after :data:`_STOP_WAIT` seconds) and close the pipe."""
        try:
            self.process.wait(timeout=_STOP_WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.conn.close()


def _spawn(child: Connection) -> subprocess.Popen[bytes]:
    """A fresh interpreter serving ``child``'s other end (it reads ``sys.path``, then the task function)."""
    try:
        return subprocess.Popen(
            [sys.executable, "-c", _BOOT, str(child.fileno())],
            pass_fds=[child.fileno()],
            stdin=subprocess.DEVNULL,
            env=one_blas_thread(dict(os.environ)),  # no idle BLAS threads competing with the workers
            process_group=0,  # a terminal's Ctrl-C reaches the parent only
        )
    except OSError as exc:
        raise RunError(f"cannot start a worker process ({sys.executable or 'no Python executable'}: {exc})") from None


def _fork(child: Connection, parents: list[Connection]) -> Child:
    """A fork of this process serving ``child``; ``parents``: the parent's pipe ends, closed in the child.

    Called with SIGINT and SIGTERM held (:func:`pool_results`) until the worker is in the pool.
    """

    def serve() -> int:
        os.setpgid(0, 0)  # a terminal's Ctrl-C reaches the parent only
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler turns it into KeyboardInterrupt
        for conn in parents:  # a pipe's end held here would hide the parent's death from its worker
            os.close(conn.fileno())
        null = os.open(os.devnull, os.O_RDONLY)  # stdin as a spawned worker has it
        os.dup2(null, 0)
        os.close(null)
        try:
            _serve(child)  # unblocks the signals once SIGINT is ignored
        except BaseException:  # as a spawned worker would: say why on stderr; the parent reports the death
            traceback.print_exc()
            return 1
        return 0

    try:
        pid = fork(serve)
    except OSError as exc:
        raise RunError(f"cannot start a worker process (fork: {exc})") from None
    with suppress(OSError):  # done by both, so the group exists whichever runs first
        os.setpgid(pid, pid)
    return Child(pid)


def pool_results(
    fn: Callable[..., T],
    tasks: Iterable[tuple[Any, ...]],
    workers: int,
    *,
    window: int | None = None,
    ordered: bool = True,
    fork: bool | None = None,
    started: Callable[[], None] | None = None,
) -> Iterator[tuple[int, T]]:
    """``(task index, fn(*task))`` for every task, on ``workers`` processes.

    ``fn`` must be a module-level function (it is pickled). With ``ordered``,
    results come in task order, and a task's error is raised in its turn (after
    the results of the tasks before it; no task after it is sent); otherwise
    as they finish, and an error as it comes. At most ``window``
    tasks (default ``4 * workers``) are sent but not yet yielded, so at most
    that many results wait in memory; ``tasks`` is read lazily. ``fork``:
    start the workers by fork (``None``: :func:`forks`, the default; the
    results are the same either way). ``started`` is called once every
    worker runs (this process forks no more: it may start threads).
    """
    fork = forks() if fork is None else fork
    window = max(workers, window or 4 * workers)
    todo = enumerate(tasks)
    pool: list[_Worker] = []
    done: dict[int, T] = {}
    errors: dict[int, BaseException] = {}  # ordered: a task's error waits for the tasks before it
    sent = given = 0  # tasks sent, results yielded
    more, finished = True, False
    try:
        with signals_held():  # an interrupt now would leave a worker started but not in the pool
            for _ in range(workers):
                pool.append(_Worker(fn, pool, fork=fork))
        if started is not None:
            started()
        while True:
            for w in pool:
                if w.task is not None or not more or errors or sent - given >= window:
                    continue
                nxt = next(todo, None)
                if nxt is None:
                    more = False
                else:
                    w.give(*nxt)
                    sent += 1
            busy = [w for w in pool if w.task is not None]
            if not busy:
                break
            for index, ok, value in _receive(busy):
                if ok:
                    done[index] = value
                elif ordered:
                    errors[index] = value
                else:
                    raise value
            while (key := given if ordered else next(iter(done), None)) in done or key in errors:
                if key in errors:  # every task before it succeeded: the error the tasks give in turn
                    raise errors[key]
                given += 1
                yield key, done.pop(key)
        finished = True
    finally:
        _stop(pool, graceful=finished)


def _died(w: _Worker) -> RunError:
    try:
        status = w.process.wait(timeout=_STOP_WAIT)
    except subprocess.TimeoutExpired:
        status = None
    return RunError(f"a worker process died (exit status {status})")


def _receive(busy: list[_Worker]) -> list[tuple[int, bool, Any]]:
    """Wait until some workers answer: their ``(index, succeeded, value or error)``; a dead worker raises here."""
    from multiprocessing.connection import wait

    ready = wait([w.conn for w in busy])  # a worker that dies closes its end: readable, then EOFError
    out = []
    for w in busy:
        if w.conn in ready:
            try:
                index, ok, value = w.conn.recv()
            except (EOFError, OSError):
                raise _died(w) from None
            w.task = None
            out.append((index, ok, value))
    return out


def _stop(pool: list[_Worker], *, graceful: bool) -> None:
    """End the workers: ask them to leave after a complete run, terminate them otherwise."""
    for w in pool:  # all asked first, then each waited for: they stop side by side
        w.ask_to_stop(graceful=graceful)
    for w in pool:
        w.reap()
