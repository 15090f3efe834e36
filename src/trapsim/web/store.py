"""The classroom poll's database: SQLite in WAL mode, every judgement committed before it is acknowledged.

Tables: ``poll`` (key/value: the join code, whether the poll is closed),
``students`` (a random id, the SHA-256 of the browser's secret, a number
shown to the presenter, the last stored revision) and ``judgements`` (one row
per student and parameter; a revision replaces the student's rows in one
transaction, so a judgement is stored exactly once).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from trapsim import api

__all__ = ["JOIN_ALPHABET", "Stale", "Store"]

JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read off a projector

_SCHEMA = """
CREATE TABLE IF NOT EXISTS poll (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS students (
    id TEXT PRIMARY KEY, secret_sha256 TEXT NOT NULL, number INTEGER NOT NULL UNIQUE,
    revision INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS judgements (
    student TEXT NOT NULL REFERENCES students(id), parameter TEXT NOT NULL, kind TEXT NOT NULL,
    low REAL NOT NULL, mid REAL NOT NULL, high REAL NOT NULL, revision INTEGER NOT NULL,
    updated REAL NOT NULL, PRIMARY KEY (student, parameter));
"""


class Stale(Exception):
    """A revision older than the one stored (``stored`` is the stored revision)."""

    def __init__(self, stored: int) -> None:
        super().__init__(stored)
        self.stored = stored


def _sha(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Store:
    """One poll's database file (created if missing; an existing file resumes the poll)."""

    def __init__(self, path: str | Path, *, scenario_sha256: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._lock = threading.Lock()
        try:
            self._open(scenario_sha256)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise api.ScenarioError.single(str(self.path), "", f"not a trapsim poll database ({exc})") from None
        except api.ScenarioError:
            self._db.close()
            raise

    def _open(self, scenario_sha256: str) -> None:
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a commit survives a crash of the machine too
            self._db.executescript(_SCHEMA)
            known = self._get("scenario_sha256")
            if known and known != scenario_sha256:
                raise api.ScenarioError.single(
                    str(self.path),
                    "",
                    "holds a poll of another version of the scenario (its SHA-256 differs); "
                    "name a new database file with --db",
                )
            self._set("scenario_sha256", scenario_sha256)
            if not self._get("join_code"):
                self._set("join_code", "".join(secrets.choice(JOIN_ALPHABET) for _ in range(6)))

    def _get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM poll WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO poll(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def join_code(self) -> str:
        with self._lock:
            return self._get("join_code") or ""

    @property
    def closed(self) -> bool:
        with self._lock:
            return self._get("closed") == "1"

    def set_closed(self, closed: bool) -> None:
        with self._lock:
            self._set("closed", "1" if closed else "0")

    def student_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM students").fetchone()[0])

    def new_student(self) -> tuple[str, str, int]:
        """A new student: ``(id, secret, number)``; only the secret's hash is stored."""
        sid, secret = secrets.token_urlsafe(12), secrets.token_urlsafe(24)
        with self._lock:
            number = 1 + int(self._db.execute("SELECT COALESCE(MAX(number), 0) FROM students").fetchone()[0])
            self._db.execute(
                "INSERT INTO students(id, secret_sha256, number, created) VALUES (?, ?, ?, ?)",
                (sid, _sha(secret), number, time.time()),
            )
        return sid, secret, number

    def owner(self, student: str, secret: str) -> bool:
        """Whether ``secret`` is the secret of ``student``."""
        with self._lock:
            row = self._db.execute("SELECT secret_sha256 FROM students WHERE id = ?", (student,)).fetchone()
        return row is not None and hmac.compare_digest(str(row[0]), _sha(secret))

    def submit(
        self, student: str, revision: int, judgements: Mapping[str, tuple[str, tuple[float, float, float]]]
    ) -> bool:
        """Store a student's judgements ``{parameter: (kind, (low, mid, high))}`` as ``revision``.

        Committed before returning. Returns ``False`` (storing nothing) when this
        revision is already stored (a retry); raises :class:`Stale` for an older one.
        """
        now = time.time()
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                stored = int(db.execute("SELECT revision FROM students WHERE id = ?", (student,)).fetchone()[0])
                if revision < stored:
                    raise Stale(stored)
                if revision == stored:
                    db.execute("ROLLBACK")
                    return False
                db.execute("DELETE FROM judgements WHERE student = ?", (student,))
                db.executemany(
                    "INSERT INTO judgements(student, parameter, kind, low, mid, high, revision, updated) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(student, p, kind, *vals, revision, now) for p, (kind, vals) in judgements.items()],
                )
                db.execute("UPDATE students SET revision = ? WHERE id = ?", (revision, student))
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        return True

    def judgements(self) -> list[tuple[int, str, str, tuple[float, float, float], int]]:
        """Every stored judgement: ``(student number, parameter, kind, values, revision)``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT s.number, j.parameter, j.kind, j.low, j.mid, j.high, j.revision FROM judgements j "
                "JOIN students s ON s.id = j.student ORDER BY s.number, j.parameter"
            ).fetchall()
        return [(int(n), str(p), str(k), (float(a), float(b), float(c)), int(r)) for n, p, k, a, b, c, r in rows]

    def student_judgements(self, student: str) -> tuple[int, dict[str, tuple[str, Sequence[float]]]]:
        """A student's own revision and judgements (to refill their form)."""
        with self._lock:
            rev = self._db.execute("SELECT revision FROM students WHERE id = ?", (student,)).fetchone()
            rows = self._db.execute(
                "SELECT parameter, kind, low, mid, high FROM judgements WHERE student = ?", (student,)
            ).fetchall()
        return (int(rev[0]) if rev else 0), {str(p): (str(k), (a, b, c)) for p, k, a, b, c in rows}

    def reset(self) -> None:
        """Delete every student and judgement (the join code stays)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM judgements")
            self._db.execute("DELETE FROM students")
            self._set("closed", "0")
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()
