"""Holding Ctrl-C and SIGTERM back while a compiled extension is imported or a process is started.

An interrupt is turned into ``KeyboardInterrupt`` wherever the main thread happens to be. Inside
the import of matplotlib or scipy (a fifth of a second) it can leave a half-initialised compiled
extension or a held import lock behind, and the interpreter then fails at exit ("Fatal Python
error ... finalizing", killed by SIGABRT or by SIGINT instead of exiting with 130: seen about once
in twenty interrupted runs). Held back, the signal is delivered when the block ends, at a point
where an interrupt is clean.
"""

from __future__ import annotations

import importlib
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

__all__ = ["import_held", "signals_held"]

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
