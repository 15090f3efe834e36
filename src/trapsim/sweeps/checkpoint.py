"""Checkpoints: the finished points of a sweep, saved atomically so an interruption loses nothing.

A checkpoint is a JSON file holding a *fingerprint* (everything that decides
the numbers: scenario hash, grid, draws, seed, solver, chunk size) and the
counts of every finished point. Resuming with a different fingerprint is an
error rather than a silent mix of two sweeps.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import socket
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trapsim._fork import close_in_children, keep_in_children
from trapsim.errors import RunError
from trapsim.output import json_text, write_text_atomic
from trapsim.sweeps.result import Point

__all__ = ["FORMAT", "LOCK_NAME", "Checkpoint", "directory_lock"]

#: The lock file of a sweep's output directory (removed when the sweep ends).
LOCK_NAME = ".trapsim-sweep.lock"

FORMAT = "trapsim-sweep-checkpoint/1"


@contextmanager
def directory_lock(directory: Path) -> Iterator[None]:
    """Hold the directory of a sweep's checkpoint for one process at a time.

    Two sweeps writing the same directory would overwrite each other's
    checkpoint; the second one is refused, naming the process that holds the
    lock. The lock is ``flock`` on :data:`LOCK_NAME`, so it dies with its
    process (a killed sweep leaves no stale lock); forked worker processes
    do not inherit it (:func:`trapsim._fork.close_in_children`).
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise RunError(
                f"another sweep is writing this directory ({holder}); wait for it to finish, or write elsewhere",
                file=str(directory),
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"process {os.getpid()} on {socket.gethostname()}".encode(), 0)
        close_in_children(fd)  # a forked worker sharing it would hold the lock after this process died
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
    finally:
        keep_in_children(fd)
        os.close(fd)


class Checkpoint:
    """The checkpoint file of one sweep.

    Parameters
    ----------
    path
        Where the checkpoint lives (conventionally ``OUT/<scenario>_<sweep>.checkpoint.json``).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def exists(self) -> bool:
        """Whether a checkpoint file is there."""
        return self.path.exists()

    def read(self) -> tuple[dict[str, Any], dict[int, Point], dict[str, Any]]:
        """The stored fingerprint, finished points ``{grid index: point}`` and metadata.

        The document is checked field by field (a checkpoint may have been
        edited by hand); :meth:`check_points` then checks the points against
        the sweep being resumed.
        """
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                raise ValueError(f"not a {FORMAT} file")
            fingerprint, points, meta = (_object(doc, name) for name in ("fingerprint", "points", "meta"))
            parsed = {}
            for i, state in points.items():
                if not (isinstance(i, str) and i.isdigit()):
                    raise ValueError(f"point index {i!r} is not a whole number")
                parsed[int(i)] = _point(i, state)
            return dict(fingerprint), parsed, dict(meta)
        except (OSError, ValueError) as exc:
            raise self._error(f"cannot read the sweep checkpoint ({exc})") from None

    def check_points(
        self,
        points: Mapping[int, Point],
        grid: Sequence[Mapping[str, float]],
        *,
        draws: int,
        traps: Sequence[str],
        outcomes: Sequence[str],
        actors: Sequence[str],
    ) -> None:
        """Refuse points that cannot belong to this sweep: wrong index, values, names or counts."""
        for i, point in sorted(points.items()):
            where = f"point {i}"
            if i >= len(grid):
                raise self._error(f"{where}: the grid has only {len(grid)} points")
            if dict(point.values) != dict(grid[i]):
                raise self._error(f"{where}: values {dict(point.values)} are not the grid's {dict(grid[i])}")
            for what, got, want in (
                ("traps", point.trap_counts, traps),
                ("outcomes", point.outcome_counts, outcomes),
                ("payoff_mean", point.payoff_mean, actors),
                ("payoff_sd", point.payoff_sd, actors),
            ):
                if sorted(got) != sorted(want):
                    raise self._error(f"{where}: {what} names {sorted(got)}, expected {sorted(want)}")
            counts = [*point.trap_counts.values(), *point.outcome_counts.values()]
            if any(not 0 <= c <= draws for c in counts) or sum(point.outcome_counts.values()) != draws:
                raise self._error(f"{where}: counts must lie in [0, {draws}] and the outcomes sum to {draws}")
            if any(v < 0 for v in point.payoff_sd.values()):
                raise self._error(f"{where}: a negative standard deviation")

    def _error(self, message: str) -> RunError:
        return RunError(f"{message}; delete it to start the sweep afresh", file=str(self.path))

    def check(self, stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> None:
        """Refuse to resume a checkpoint written for different settings."""
        differ = [k for k in sorted(set(stored) | set(wanted)) if stored.get(k) != wanted.get(k)]
        if differ:
            shown = "; ".join(f"{k}: checkpoint {stored.get(k)!r}, now {wanted.get(k)!r}" for k in differ)
            raise RunError(
                f"the checkpoint was written for a different sweep ({shown}); "
                "run with the same settings, or delete it to start afresh",
                file=str(self.path),
            )

    def write(
        self, fingerprint: Mapping[str, Any], points: Mapping[int, Point], meta: Mapping[str, Any] | None = None
    ) -> None:
        """Replace the checkpoint atomically with these finished points."""
        doc = {
            "format": FORMAT,
            "fingerprint": dict(fingerprint),
            "meta": dict(meta or {}),
            "points": {str(i): points[i].to_state() for i in sorted(points)},
        }
        write_text_atomic(self.path, json_text(doc, indent=None, separators=(",", ":")))

    def remove(self) -> None:
        """Delete the checkpoint file (no error if it is gone)."""
        self.path.unlink(missing_ok=True)


def _object(doc: dict[str, Any], name: str) -> dict[str, Any]:
    value = doc.get(name, {} if name == "meta" else None)
    if not isinstance(value, dict):
        raise ValueError(f"'{name}' is not a JSON object")
    return value


def _numbers(i: str, field: str, value: Any, *, whole: bool) -> dict[str, Any]:
    """``{name: number}`` of one field of a stored point: whole numbers for counts, finite ones otherwise."""
    if not isinstance(value, dict):
        raise ValueError(f"point {i}: '{field}' is not a JSON object")
    for name, x in value.items():
        ok = isinstance(x, int) if whole else isinstance(x, int | float) and math.isfinite(x)
        if isinstance(x, bool) or not ok:
            raise ValueError(f"point {i}: {field}.{name} is {x!r}, not a {'whole' if whole else 'finite'} number")
    return {k: int(v) if whole else float(v) for k, v in value.items()}


def _point(i: str, state: Any) -> Point:
    if not isinstance(state, dict):
        raise ValueError(f"point {i} is not a JSON object")
    fields = ("values", "traps", "outcomes", "payoff_mean", "payoff_sd")
    missing = [f for f in fields if f not in state]
    if missing:
        raise ValueError(f"point {i} has no '{missing[0]}'")
    return Point(*(_numbers(i, f, state[f], whole=f in ("traps", "outcomes")) for f in fields))
