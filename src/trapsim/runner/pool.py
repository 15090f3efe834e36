"""The one process-pool path of trapsim: ``run --workers``, ``run --per-draw`` and sweeps.

:func:`pool_results` runs tasks on spawned worker processes and yields their
results in task order (or as they finish), with a bounded number of tasks in
flight so results never pile up in memory.

It is a small pool of its own rather than :class:`concurrent.futures.ProcessPoolExecutor`,
whose shutdown after its workers are killed can hang (its feeder thread stays
blocked writing a large task to a pipe nobody reads, and is joined at exit).
Here every worker has one pipe, holds at most one task, and nothing but the
calling thread touches the pipes, so stopping is: terminate, join, close.

Signals: workers are started with SIGINT and SIGTERM blocked (the mask is
inherited), so a Ctrl-C to the whole process group, or a SIGTERM from the
parent, cannot interrupt a worker half-way through starting (that printed
multiprocessing tracebacks). A started worker leaves SIGINT blocked for good
(the parent alone handles Ctrl-C) and unblocks SIGTERM, with which the parent
ends it. When the caller is interrupted (Ctrl-C, or SIGTERM turned into
``KeyboardInterrupt`` by the command line), when a task fails, or when the
caller stops iterating, the workers are terminated at once.
"""

from __future__ import annotations

import pickle
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from trapsim.errors import RunError, TrapsimError

__all__ = ["pool_results"]

T = TypeVar("T")

_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_STOP_WAIT = 5.0  # seconds a terminated worker gets before it is killed


@contextmanager
def _signals_held() -> Iterator[None]:
    """Block SIGINT and SIGTERM in this thread (and in processes started meanwhile)."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _serve(conn: Connection, fn: Callable[..., Any]) -> None:
    """Worker process: answer ``(index, args)`` with ``(index, ok, value)`` until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # stays blocked too; the parent handles Ctrl-C
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if task is None:
            return
        index, args = task
        try:
            conn.send((index, True, fn(*args)))
        except Exception as exc:
            conn.send((index, False, _portable(exc)))


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
    def __init__(self, fn: Callable[..., Any]) -> None:
        ctx = get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process: BaseProcess = ctx.Process(target=_serve, args=(child, fn), daemon=True)
        self.process.start()
        child.close()
        self.task: int | None = None  # index of the task it holds

    def give(self, index: int, args: tuple[Any, ...]) -> None:
        try:
            self.conn.send((index, args))
        except OSError:
            self.process.join(timeout=_STOP_WAIT)
            raise _died(self) from None
        self.task = index


def pool_results(
    fn: Callable[..., T],
    tasks: Iterable[tuple[Any, ...]],
    workers: int,
    *,
    window: int | None = None,
    ordered: bool = True,
) -> Iterator[tuple[int, T]]:
    """``(task index, fn(*task))`` for every task, on ``workers`` spawned processes.

    ``fn`` must be a module-level function (it is pickled). With ``ordered``,
    results come in task order; otherwise as they finish. At most ``window``
    tasks (default ``4 * workers``) are sent but not yet yielded, so at most
    that many results wait in memory; ``tasks`` is read lazily.
    """
    window = max(workers, window or 4 * workers)
    todo = enumerate(tasks)
    with _signals_held():  # a Ctrl-C now would leave a worker half-started
        pool = [_Worker(fn) for _ in range(workers)]
    done: dict[int, T] = {}
    sent = given = 0  # tasks sent, results yielded
    more, finished = True, False
    try:
        while True:
            for w in pool:
                if w.task is not None or not more or sent - given >= window:
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
            done.update(_receive(busy))
            while (key := given if ordered else next(iter(done), None)) in done:
                given += 1
                yield key, done.pop(key)
        finished = True
    finally:
        _stop(pool, graceful=finished)


def _died(w: _Worker) -> RunError:
    return RunError(
        f"a worker process died (exit status {w.process.exitcode}); from a script, run under "
        '`if __name__ == "__main__":` (worker processes are spawned, not forked)'
    )


def _receive(busy: list[_Worker]) -> list[tuple[int, Any]]:
    """Wait until some workers answer: their ``(index, value)``; a task's error is raised here."""
    ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
    out = []
    for w in busy:
        if w.conn in ready or w.process.sentinel in ready:
            try:
                index, ok, value = w.conn.recv()
            except (EOFError, OSError):
                w.process.join(timeout=_STOP_WAIT)
                raise _died(w) from None
            w.task = None
            if not ok:
                raise value
            out.append((index, value))
    return out


def _stop(pool: list[_Worker], *, graceful: bool) -> None:
    """End the workers: ask them to leave after a complete run, terminate them otherwise."""
    for w in pool:
        if graceful:
            try:
                w.conn.send(None)
            except OSError:
                pass
        elif w.process.is_alive():
            w.process.terminate()
    for w in pool:
        w.process.join(timeout=_STOP_WAIT)
        if w.process.is_alive():
            w.process.kill()
            w.process.join()
        w.conn.close()
