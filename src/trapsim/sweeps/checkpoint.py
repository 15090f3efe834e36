"""Checkpoints: the finished points of a sweep, saved atomically so an interruption loses nothing.

A checkpoint is a JSON file holding a *fingerprint* (everything that decides
the numbers: scenario hash, grid, draws, seed, solver, chunk size) and the
counts of every finished point. Resuming with a different fingerprint is an
error rather than a silent mix of two sweeps.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trapsim.errors import RunError
from trapsim.output import write_text_atomic
from trapsim.sweeps.result import Point

__all__ = ["FORMAT", "Checkpoint"]

FORMAT = "trapsim-sweep-checkpoint/1"


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
        """The stored fingerprint, finished points ``{grid index: point}`` and metadata."""
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            if doc.get("format") != FORMAT:
                raise ValueError(f"not a {FORMAT} file")
            points = {int(i): Point.from_state(s) for i, s in doc["points"].items()}
            return dict(doc["fingerprint"]), points, dict(doc.get("meta", {}))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RunError(
                f"{self.path}: cannot read the sweep checkpoint ({exc}); delete it to start the sweep afresh"
            ) from None

    def check(self, stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> None:
        """Refuse to resume a checkpoint written for different settings."""
        differ = [k for k in sorted(set(stored) | set(wanted)) if stored.get(k) != wanted.get(k)]
        if differ:
            shown = "; ".join(f"{k}: checkpoint {stored.get(k)!r}, now {wanted.get(k)!r}" for k in differ)
            raise RunError(
                f"{self.path}: the checkpoint was written for a different sweep ({shown}); "
                "run with the same settings, or delete it to start afresh"
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
        write_text_atomic(self.path, json.dumps(doc, separators=(",", ":")))

    def remove(self) -> None:
        """Delete the checkpoint file (no error if it is gone)."""
        self.path.unlink(missing_ok=True)
