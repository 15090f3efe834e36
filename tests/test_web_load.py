"""A bounded load test of the classroom poll on loopback, and a SIGKILL in the middle of a poll.

60 simulated students (each from its own loopback address, 127.0.0.x, so that the per-address
rate limits apply as on a classroom network) join, submit, revise and retry concurrently while
the presenter's event stream listens. Every judgement must be stored exactly once (the final
revision, nothing twice); the p95 latency is printed. Then more students submit while the server
is killed with SIGKILL; restarted on the same database file, it must hold every judgement it had
acknowledged.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from webtools import request

POLL = str(Path(__file__).parent / "data" / "poll.toml")
STUDENTS = 60


def _start(db: Path) -> tuple[subprocess.Popen[str], int, str, str]:
    """``trapsim explore --classroom`` in a child process: (process, port, join code, presenter token)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "trapsim", "explore", POLL, "--classroom", "--db", str(db), "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if line.startswith("presenter:") or not line:
            break
    text = "".join(lines)
    m = re.search(r"http://127\.0\.0\.1:(\d+)/ .*join code (\w+)\).*token=([\w-]+)", text, re.S)
    assert m, text
    out = proc.stdout

    def drain() -> None:  # keep reading its output until it exits, then close the pipe
        out.read()
        out.close()

    threading.Thread(target=drain, daemon=True).start()
    return proc, int(m[1]), m[2], m[3]


def _answers(i: int, revision: int) -> dict:
    p = 0.05 + 0.5 * (i % 10) / 10 + 0.01 * revision
    g = 0.5 + i / 40 + 0.1 * revision
    return {
        "p": {"kind": "plausible", "values": [p / 2, p, p + 0.3]},
        "gain": {"kind": "quartiles", "values": [g / 2, g, 2 * g]},
    }


def _listen(port: int, token: str, seen: list[int], stop: threading.Event) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/api/classroom/events", headers={"X-Trapsim-Token": token})
    resp = conn.getresponse()
    assert resp.status == 200
    while not stop.is_set():
        line = resp.fp.readline()
        if not line:
            return
        if line.startswith(b"event: summary"):
            seen.append(1)


@pytest.mark.slow
def test_sixty_students_then_a_sigkill_mid_poll(tmp_path):
    db = tmp_path / "poll.sqlite"
    proc, port, code, token = _start(db)
    latencies: list[float] = []
    lock = threading.Lock()
    try:
        seen: list[int] = []
        stop = threading.Event()
        listener = threading.Thread(target=_listen, args=(port, token, seen, stop), daemon=True)
        listener.start()

        def timed(*args, **kwargs):
            t = time.perf_counter()
            out = request(port, *args, **kwargs, timeout=30)
            with lock:
                latencies.append(time.perf_counter() - t)
            return out

        def student(i: int) -> tuple[str, str]:
            src = f"127.0.0.{10 + i}"
            status, me = timed("POST", "/api/classroom/join", {"code": code}, source=src)
            assert status == 200, me
            who = {"code": code, "student": me["student"], "secret": me["secret"]}
            for rev in (1, 2, 2):  # submit, revise, and retry the revision (as a flaky phone would)
                status, doc = timed(
                    "POST",
                    "/api/classroom/submit",
                    {**who, "revision": rev, "judgements": _answers(i, rev)},
                    source=src,
                )
                assert status == 200 and doc["revision"] == rev, doc
            return me["student"], me["secret"]

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=STUDENTS) as pool:
            ids = list(pool.map(student, range(STUDENTS)))
        elapsed = time.perf_counter() - started
        lat = sorted(latencies)
        p95 = lat[int(0.95 * (len(lat) - 1))]
        median = 1000 * lat[len(lat) // 2]
        print(
            f"\n{STUDENTS} students, {len(lat)} requests in {elapsed:.2f} s: median {median:.0f} ms,"
            f" p95 {1000 * p95:.0f} ms, max {1000 * lat[-1]:.0f} ms"
        )
        with sqlite3.connect(db) as con:
            rows = con.execute("SELECT student, parameter, low, mid, high, revision FROM judgements").fetchall()
            revisions = dict(con.execute("SELECT id, revision FROM students").fetchall())
        assert len(rows) == STUDENTS * 2 and len({(r[0], r[1]) for r in rows}) == STUDENTS * 2  # once each
        index = {sid: i for i, (sid, _) in enumerate(ids)}
        for sid, name, low, mid, high, rev in rows:
            assert rev == 2 and revisions[sid] == 2
            assert [low, mid, high] == _answers(index[sid], 2)[name]["values"]
        deadline = time.monotonic() + 60
        while not seen and time.monotonic() < deadline:  # the presenter was told, without asking
            time.sleep(0.1)
        assert seen

        # more students while the server is killed: every acknowledged judgement must survive
        acked: list[tuple[str, str, dict]] = []

        def late(i: int) -> None:
            src = f"127.0.0.{100 + i}"
            try:
                status, me = request(port, "POST", "/api/classroom/join", {"code": code}, source=src, timeout=10)
                if status != 200:
                    return
                answers = _answers(i, 1)
                status, _ = request(
                    port,
                    "POST",
                    "/api/classroom/submit",
                    {
                        "code": code,
                        "student": me["student"],
                        "secret": me["secret"],
                        "revision": 1,
                        "judgements": answers,
                    },
                    source=src,
                    timeout=10,
                )
                if status == 200:
                    with lock:
                        acked.append((me["student"], me["secret"], answers))
            except (OSError, http.client.HTTPException):  # the server died under us (even mid-answer)
                pass

        threads = [threading.Thread(target=late, args=(i,)) for i in range(40)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(acked) < 5 and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        time.sleep(0.2)  # its output pipe is drained and closed
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert len(acked) >= 5
        print(f"SIGKILL after {len(acked)} of 40 late students were acknowledged")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    proc, port2, code2, _ = _start(db)
    try:
        assert code2 == code  # the same poll, resumed
        for sid, secret, answers in acked + [(s, k, {}) for s, k in ids[:3]]:
            status, doc = request(
                port2,
                "POST",
                "/api/classroom/mine",
                {"code": code, "student": sid, "secret": secret},
                source="127.0.0.250",
            )
            assert status == 200
            if answers:
                assert doc["revision"] == 1
                assert doc["judgements"] == answers
            else:
                assert doc["revision"] == 2
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: a clean stop
        try:
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            time.sleep(0.2)
