"""Drawing figures in a forked child process while this process draws others.

Matplotlib draws on one thread at a time (it holds the GIL), so the figures
of ``trapsim run`` use a second core only in another process. A child forked
after the run has every object it needs in memory (no import, no pickling of
the result): it draws and saves its share of the figures and reports the
paths it wrote, as JSON, over a pipe.

The child is an optimisation, never a second source of truth. If it cannot
be forked, fails, dies or says nothing, this process does the child's share
itself, so an error (a full disk, a directory where a file should be) is
raised here, with its usual type and message, exactly as without a child.
Interrupted (Ctrl-C reaches both processes; SIGTERM reaches only this one
and is passed on), the child stops like this process does: the file being
written is finished or removed, never left half-written, and the child is
always waited for.
"""

from __future__ import annotations

import json
import os
import select
import signal
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from trapsim._fork import Child, can_fork, fork
from trapsim._signals import signals_held
from trapsim.runner import default_workers

__all__ = ["Forked"]

#: Seconds to wait for an interrupted child to finish the file it is writing before it is killed.
STOP_WAIT = 5.0
#: Seconds to wait for the child's report before stopping it and doing its work here: a safety
#: net against a child that hangs (a run's figures take seconds, not minutes).
CHILD_WAIT = 300.0

_interrupted = False  # True in a child of Forked once a signal has interrupted it


class Forked:
    """``work`` run in a forked child; :meth:`result` returns its paths (or runs ``work`` here).

    Use as a context manager: leaving the block early (an error or an
    interrupt here) stops the child and waits for it. A child never forks
    again (two cores are busy already). Off Linux (macOS's
    system libraries are not safe to use after fork, and a child that hangs
    would hang this process), on one core, or from a process that runs other
    Python threads (forking those is unsafe), ``work`` simply runs in
    :meth:`result`.
    """

    def __init__(self, work: Callable[[], list[Path]]) -> None:
        self._work = work
        self._child: Child | None = None
        self._read = -1
        if can_fork() and _cores() > 1:
            self._start()

    def _start(self) -> None:
        read, write = os.pipe()

        def child() -> int:
            os.close(read)
            return _child(self._work, write)

        try:
            with signals_held():  # until the child is stored here (trapsim._fork.fork)
                pid = fork(child)
                os.close(write)
                self._child, self._read = Child(pid), read
        except BaseException:  # a signal held during the fork, delivered now: no __exit__ will stop the child
            self.__exit__(None, None, None)
            raise

    def result(self) -> list[Path]:
        """The paths ``work`` wrote: the child's report, or ``work()`` run here if the child did not succeed.

        A child that has not reported within :data:`CHILD_WAIT` seconds is stopped and its work done here.
        """
        if self._child is not None:
            report = _read_within(self._read, CHILD_WAIT)
            os.close(self._read)
            self._read = -1
            if report is None:
                self._child.stop(STOP_WAIT)
            status = self._child.wait()
            self._child = None
            if status == 0 and report:
                return [Path(p) for p in json.loads(report)]
        return self._work()

    def __enter__(self) -> Forked:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._read >= 0:
            os.close(self._read)
            self._read = -1
        if self._child is not None:
            self._child.stop(STOP_WAIT)
            self._child = None


def _child(work: Callable[[], list[Path]], write: int) -> int:
    """The child's program: ``work``, then its paths reported as JSON; the exit status."""
    try:
        # Stopped like the parent: Ctrl-C (to the group) or SIGTERM (from the parent's stop) interrupts,
        # and the file being written is finished or removed (write_atomic), never left half-written.
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})  # held by fork
        report = json.dumps([str(p) for p in work()]).encode()
        with os.fdopen(write, "wb") as pipe:
            pipe.write(report)
    except BaseException:  # the parent redoes the work and reports the error itself
        return 1
    return 0


def _read_within(fd: int, seconds: float) -> bytes | None:
    """Everything ``fd`` gives until its end, or ``None`` if that takes longer than ``seconds``."""
    deadline = time.monotonic() + seconds
    parts: list[bytes] = []
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([fd], [], [], left)[0]:
            break
        data = os.read(fd, 1 << 16)
        if not data:
            return b"".join(parts)
        parts.append(data)
    return None


def _interrupt(signum: int, frame: object) -> None:
    """The first SIGINT or SIGTERM interrupts the child; later ones do nothing while it stops.

    Ctrl-C reaches the child twice: from the terminal, then as SIGTERM from the parent's
    :meth:`~trapsim._fork.Child.stop`. A second interrupt landing while the child waits for its PNG thread to finish a
    file would end the child (``os._exit``) with that file half-written (seen: a
    ``.trapsim-*.part.png`` left behind). (Not ``SIG_IGN`` here: a signal already pending then
    raises "signal ignored due to race condition".) The parent kills a child that has not stopped
    in :data:`STOP_WAIT` seconds.
    """
    global _interrupted
    if not _interrupted:
        _interrupted = True
        raise KeyboardInterrupt


def _cores() -> int:
    return default_workers()
