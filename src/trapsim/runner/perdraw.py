"""Per-draw records: one row per draw, written chunk by chunk (``trapsim run --per-draw``).

Columns, in this order: ``draw`` (0-based index), ``param.<name>`` for each
sampled parameter, ``outcome`` (the outcome id), ``trap.<id>`` (1 if the trap
fired) and, for a conditional trap, ``given.<id>`` (1 if its ``given`` held),
then ``payoff.<actor>`` (the realised payoff). Rows are in draw order whatever
the number of workers; only one chunk is held at a time.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from trapsim.errors import ArgumentError
from trapsim.model import Scenario
from trapsim.output import write_atomic
from trapsim.runner.chunk import ChunkRecords
from trapsim.runner.compiling import CHUNK
from trapsim.runner.result import Result
from trapsim.solver import build_tree

__all__ = ["check_path", "chunk_columns", "collect_per_draw", "per_draw_format", "write_per_draw"]


def per_draw_format(path: str | Path) -> str:
    """``"parquet"`` for a ``.parquet`` file, else ``"csv"``."""
    return "parquet" if Path(path).suffix.lower() == ".parquet" else "csv"


def check_path(path: str | Path) -> Path:
    """``path`` as a writable file name, or an :class:`ArgumentError` naming what is wrong (before any run)."""
    p = Path(path)
    if str(path) == "" or p.is_dir():
        raise ArgumentError("path", f"{str(path)!r} is a directory, not a file name")
    parent = next((a for a in p.absolute().parents if a.exists()), None)
    if parent is not None and not parent.is_dir():
        raise ArgumentError("path", f"cannot write {str(path)!r}: {str(parent)!r} is a file, not a directory")
    if per_draw_format(p) == "parquet":
        _pyarrow()
    return p


def _pyarrow() -> Any:
    try:
        import pyarrow as pa
        import pyarrow.parquet  # the submodule, for pa.parquet.ParquetWriter
    except ImportError:
        raise ArgumentError(
            "path", "writing Parquet needs pyarrow: pip install 'trapsim[parquet]' (or write a .csv file)"
        ) from None
    return pa


def chunk_columns(scenario: Scenario, outcomes: np.ndarray, rec: ChunkRecords) -> dict[str, np.ndarray]:
    """The columns of one chunk's rows (``outcomes``: the tree's outcome ids as an object array)."""
    n = len(rec.outcome)
    cols: dict[str, np.ndarray] = {"draw": np.arange(rec.chunk * CHUNK, rec.chunk * CHUNK + n, dtype=np.int64)}
    cols.update({f"param.{name}": v for name, v in rec.params.items()})
    cols["outcome"] = outcomes[rec.outcome]
    for t in scenario.traps:
        cols[f"trap.{t.id}"] = rec.fired[t.id].astype(np.int8)
        if t.id in rec.given:
            cols[f"given.{t.id}"] = rec.given[t.id].astype(np.int8)
    for a, actor in enumerate(scenario.actor_ids):
        cols[f"payoff.{actor}"] = rec.payoffs[:, a]
    return cols


def write_per_draw(
    path: str | Path, scenario: Scenario, run: Callable[[Callable[[ChunkRecords], None]], Result]
) -> Result:
    """Call ``run(on_chunk)`` with a callback writing each chunk's rows to ``path``, atomically.

    The file is a temporary one until ``run`` returns, then renamed into place;
    an interrupted or failed run leaves no file (and any old one untouched).
    """
    path = check_path(path)
    outcomes = np.array(build_tree(scenario).outcomes, dtype=object)
    out: list[Result] = []

    def write(tmp: Path) -> None:
        if per_draw_format(path) == "parquet":
            out.append(_write_parquet(tmp, scenario, outcomes, run))
        else:
            out.append(_write_csv(tmp, scenario, outcomes, run))

    write_atomic(path, write)
    return out[0]


def collect_per_draw(
    scenario: Scenario, run: Callable[[Callable[[ChunkRecords], None]], Result]
) -> tuple[Result, dict[str, np.ndarray]]:
    """Call ``run(on_chunk)`` and keep every row in memory: the run's result and the columns (small runs only)."""
    outcomes = np.array(build_tree(scenario).outcomes, dtype=object)
    parts: list[dict[str, np.ndarray]] = []
    res = run(lambda rec: parts.append(chunk_columns(scenario, outcomes, rec)))
    return res, {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _write_csv(tmp: Path, scenario: Scenario, outcomes: np.ndarray, run: Callable[..., Result]) -> Result:
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        header = [False]

        def on_chunk(rec: ChunkRecords) -> None:
            cols = chunk_columns(scenario, outcomes, rec)
            if not header[0]:
                writer.writerow(cols)
                header[0] = True
            # tolist(): Python floats are written as their shortest exact repr
            writer.writerows(zip(*(c.tolist() for c in cols.values()), strict=True))

        return run(on_chunk)


def _write_parquet(tmp: Path, scenario: Scenario, outcomes: np.ndarray, run: Callable[..., Result]) -> Result:
    pa = _pyarrow()
    writer: list[Any] = []

    def on_chunk(rec: ChunkRecords) -> None:
        cols = chunk_columns(scenario, outcomes, rec)
        table = pa.table({k: pa.array(v.tolist(), type=pa.string()) if k == "outcome" else v for k, v in cols.items()})
        if not writer:
            writer.append(pa.parquet.ParquetWriter(str(tmp), table.schema))
        writer[0].write_table(table)

    try:
        return run(on_chunk)
    finally:
        if writer:
            writer[0].close()
