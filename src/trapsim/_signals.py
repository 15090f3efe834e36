"""Holding Ctrl-C and SIGTERM back while a compiled extension is imported or a process is started.

An interrupt is turned into ``KeyboardInterrupt`` wherever the main thread happens to be. Inside
the import of matplotlib or scipy (a fifth of a second) it can leave a half-initialised compiled
extension or a held import lock behind, and the interpreter then fails at exit ("Fatal Python
error ... finalizing", killed by SIGABRT or by SIGINT instead of exiting with 130: seen about once
in twenty interrupted runs). Held back, the signal is delivered when the block ends, at a point
where an interrupt is clean.
"""

from __future__ import annotations

import contextlib
import importlib
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

__all__ = ["ImportMeanwhile", "import_held", "signals_held"]

_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def signals_held() -> Iterator[None]:
    """Block SIGINT and SIGTERM in this thread (and in processes started meanwhile) until the block ends.

    The command line's process has no other thread then (one BLAS thread, no PNG thread yet); in a
    process whose other threads take these signals, one may still be handled inside the block.
    """
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def import_held(name: str) -> ModuleType:
    """``importlib.import_module(name)`` with SIGINT and SIGTERM held back until it is done."""
    with signals_held():
        return importlib.import_module(name)


class ImportMeanwhile:
    """A module imported on a background thread while this one waits for something else.

    ``trapsim run`` spends the Monte Carlo waiting on its worker processes and then imports
    matplotlib (0.2 s) for the figures; :meth:`start`, called once the workers run, imports it
    beside them. The thread takes no signals (Ctrl-C reaches the main thread, which stops the
    run; an import is never interrupted half-way, see the module's notes); it is not a daemon,
    so an interrupted run still ends after the import is done. :meth:`join` waits for it: a
    process with another thread must not fork (``trapsim.figures.forked``). An error of the
    import is left for the main thread's own import to raise.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the import (once; later calls do nothing)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._import, name=f"trapsim-import-{self.name}")
            self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def _import(self) -> None:
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        with contextlib.suppress(Exception):  # the main thread imports it again and reports the error there
            importlib.import_module(self.name)
