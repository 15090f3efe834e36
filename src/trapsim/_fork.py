"""Forking this process to work beside it: when it is safe, how, and how a child is stopped.

Two parts of trapsim fork: the process pool (:mod:`trapsim.runner.pool`: a run's and a
sweep's worker processes) and the figures (:mod:`trapsim.figures.forked`). A forked child
starts in about a millisecond with everything already imported and compiled, where a fresh
interpreter spends 0.3-0.5 s. It is done only where it is safe:

* on Linux (macOS's system libraries are not safe to use after fork);
* from a process with no other Python thread (a notebook, the web explorer: fork copies one
  thread and whatever locks the others held);
* never from a child (two cores are busy already, and a child's children would outlive
  their stopping).

What every fork here does the same way: Python's buffered ``stdout`` and ``stderr`` are
flushed first, so the child never writes the parent's pending output again; SIGINT and SIGTERM
are held across the fork and stay held in the child until it has installed its own handlers
(an interrupt inside the fork lands in an at-fork hook, where Python prints it as ignored;
one in the child before its handlers would run the parent's interrupt handling in the child);
file descriptors registered with :func:`close_in_children` are closed in the child; and the
child always ends with ``os._exit``, never returning into the parent's code.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from contextlib import suppress

from trapsim._signals import signals_held

__all__ = ["Child", "can_fork", "close_in_children", "fork", "in_child", "keep_in_children"]

_in_child = False  # True in a child forked here
_CLOSED_IN_CHILDREN: set[int] = set()


def can_fork() -> bool:
    """Whether to fork from this process now (see the module's notes)."""
    return sys.platform.startswith("linux") and not _in_child and threading.active_count() == 1


def in_child() -> bool:
    """Whether this process is a child forked by :func:`fork`."""
    return _in_child


def close_in_children(fd: int) -> None:
    """Close ``fd`` in every child forked from now on (a lock that must die with this process)."""
    _CLOSED_IN_CHILDREN.add(fd)


def keep_in_children(fd: int) -> None:
    """Undo :func:`close_in_children` (``fd`` is about to be closed here)."""
    _CLOSED_IN_CHILDREN.discard(fd)


def fork(child: Callable[[], int]) -> int:
    """Fork; the child runs ``child()`` and exits with the status it returns; here, return its pid.

    ``child`` starts with SIGINT and SIGTERM blocked and unblocks them once its handlers are set.
    An exception escaping it ends the child with status 1 (report it inside ``child`` if wanted).
    Call this with the signals held (:func:`~trapsim._signals.signals_held`) until the pid is
    stored, so an interrupt cannot lose it. Raises :class:`OSError` when the system cannot fork.
    """
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):  # a closed or odd stream: nothing pending to protect
            stream.flush()
    with signals_held(), warnings.catch_warnings():
        # Python >= 3.12 warns when forking a process with OS threads: numpy's OpenBLAS pool is one,
        # idle (trapsim does no BLAS work), and re-created after fork by OpenBLAS's own fork handlers.
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        pid = os.fork()
        if pid == 0:  # the child: never returns
            global _in_child
            _in_child = True
            status = 1
            try:
                for fd in _CLOSED_IN_CHILDREN:
                    with suppress(OSError):
                        os.close(fd)
                status = child()
            finally:
                os._exit(status)  # no atexit handlers, no flushing the parent's buffers twice
    return pid


class Child:
    """A forked child, with the part of :class:`subprocess.Popen`'s interface that stopping needs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored): gone, as Popen says
                self.returncode = 0
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"process {self.pid}", timeout or 0.0)
            time.sleep(0.002)
        return code

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def stop(self, grace: float) -> None:
        """SIGTERM, then SIGKILL if it has not ended within ``grace`` seconds; reaped either way."""
        if self.poll() is None:
            self.terminate()
        try:
            self.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill()
            self.wait()

    def _signal(self, sig: int) -> None:
        if self.returncode is None:
            with suppress(ProcessLookupError):
                os.kill(self.pid, sig)
