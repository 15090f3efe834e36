"""trapsim._signals: Ctrl-C and SIGTERM held back during an import, delivered when it is done."""

from __future__ import annotations

import signal
import sys
import threading
import time

import pytest

from trapsim._signals import import_held, signals_held

pytestmark = pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")


def test_a_signal_waits_for_the_end_of_the_block() -> None:
    got: list[float] = []
    previous = signal.signal(signal.SIGTERM, lambda *_: got.append(time.monotonic()))
    try:
        with signals_held():
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGTERM)  # as to a one-thread CLI
            time.sleep(0.05)
            assert got == []  # held back
            left = time.monotonic()
        for _ in range(100):  # delivered at the next bytecode boundaries
            if got:
                break
            time.sleep(0.001)
        assert len(got) == 1 and got[0] >= left
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # the mask is restored


def test_import_held_imports_and_restores_the_mask() -> None:
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    module = import_held("json")
    assert module is sys.modules["json"]
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before


def test_import_meanwhile_imports_on_another_thread_that_takes_no_signals(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from trapsim._signals import ImportMeanwhile

    (tmp_path / "meanwhile_probe.py").write_text(
        "import signal, threading\n"
        "thread = threading.current_thread().name\n"
        "mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importer = ImportMeanwhile("meanwhile_probe")
    importer.join()  # nothing started: nothing to wait for
    importer.start()
    importer.start()  # once only
    importer.join()
    probe = sys.modules["meanwhile_probe"]
    assert probe.thread == "trapsim-import-meanwhile_probe"
    assert {signal.SIGINT, signal.SIGTERM} <= set(probe.mask)  # signals go to the main thread
    assert threading.active_count() == 1 or all(t.name != probe.thread for t in threading.enumerate())


def test_import_meanwhile_leaves_a_failing_import_to_the_main_thread(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from trapsim._signals import ImportMeanwhile

    (tmp_path / "meanwhile_broken.py").write_text("raise ValueError('broken on purpose')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importer = ImportMeanwhile("meanwhile_broken")
    importer.start()
    importer.join()  # no error here, no traceback printed by the thread
    with pytest.raises(ValueError, match="broken on purpose"):
        import_held("meanwhile_broken")
