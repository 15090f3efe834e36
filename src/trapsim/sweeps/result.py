"""What a sweep produces: one :class:`Point` per grid point, gathered in a :class:`SweepResult`."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trapsim.model import Scenario
from trapsim.output import html_table, json_text, pandas, short_repr
from trapsim.runner import CHUNK, Result, wilson
from trapsim.runner.result import json_meta, run_header, trap_entry

__all__ = ["Point", "SweepResult", "grid_points"]


def grid_points(axes: Mapping[str, tuple[float, ...]]) -> list[dict[str, float]]:
    """Every combination of the axis values, row-major (the last parameter varies fastest)."""
    names = list(axes)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*axes.values())]


@dataclass(frozen=True, slots=True)
class Point:
    """The counts of one sweep point (``draws`` draws with ``values`` fixed)."""

    values: Mapping[str, float]
    trap_counts: Mapping[str, int]
    outcome_counts: Mapping[str, int]
    payoff_mean: Mapping[str, float]
    payoff_sd: Mapping[str, float]
    #: Conditional traps only: the draws where their ``given`` holds (the denominator of the rate).
    given_counts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_result(cls, result: Result, varied: Mapping[str, float]) -> Point:
        """Keep only what a sweep reports of a run (small enough to send between processes)."""
        return cls(
            dict(varied),
            dict(result.trap_counts),
            dict(result.outcome_counts),
            dict(result.payoff_mean),
            dict(result.payoff_sd),
            dict(result.given_counts),
        )

    def to_state(self) -> dict[str, Any]:
        """A JSON-safe form for checkpoints (floats survive a JSON round trip exactly)."""
        return {
            "values": dict(self.values),
            "traps": dict(self.trap_counts),
            "outcomes": dict(self.outcome_counts),
            "payoff_mean": dict(self.payoff_mean),
            "payoff_sd": dict(self.payoff_sd),
            "given": dict(self.given_counts),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Point:
        """The point stored by :meth:`to_state` (a checkpoint entry)."""
        return cls(
            {k: float(v) for k, v in state["values"].items()},
            {k: int(v) for k, v in state["traps"].items()},
            {k: int(v) for k, v in state["outcomes"].items()},
            {k: float(v) for k, v in state["payoff_mean"].items()},
            {k: float(v) for k, v in state["payoff_sd"].items()},
            {k: int(v) for k, v in state.get("given", {}).items()},
        )


@dataclass
class SweepResult:
    """A finished sweep: one :class:`Point` per combination of the axis values.

    ``points`` are in row-major grid order: with axes ``a`` (3 values) and
    ``b`` (4 values), point ``i * 4 + j`` has ``a = axes["a"][i]`` and
    ``b = axes["b"][j]``. :meth:`rates` and :meth:`ci95` return arrays of
    shape ``(len(a),)`` or ``(len(a), len(b))``.
    """

    scenario: Scenario  # the scenario as loaded (varied parameters not yet fixed)
    id: str
    axes: dict[str, tuple[float, ...]]
    draws: int
    seed: int
    seed_given: bool
    solver: str
    rationality: float
    fixed: dict[str, float]
    points: list[Point]
    elapsed_s: float = 0.0
    backend: str = "local"
    workers: int = 1
    resumed: int = 0  # points taken from a checkpoint
    checkpoint: Path | None = None  # a completed checkpoint left for the caller to remove
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        grid = " by ".join(f"{n} ({len(v)} values, {v[0]:g} to {v[-1]:g})" for n, v in self.axes.items())
        return short_repr(
            "SweepResult",
            f"{self.scenario.name}/{self.id}",
            grid,
            f"{self.draws:,} draws per point, seed {self.seed}",
            f"traps {', '.join(self.trap_ids)}",
        )

    def _repr_html_(self, max_rows: int = 40) -> str:
        names = self.names
        rows = [
            [f"{p.values[n]:g}" for n in names]
            + [
                f"{p.trap_counts[t] / g:.2%}" if (g := p.given_counts.get(t, self.draws)) else "n/a"
                for t in self.trap_ids
            ]
            for p in self.points[:max_rows]
        ]
        more = (
            f" · first {max_rows} of {len(self.points)} points (to_frame() has all)"
            if len(self.points) > max_rows
            else ""
        )
        note = f"{self.draws:,} draws per point · seed {self.seed} · trap rates{more}"
        return html_table(f"{self.scenario.title}: sweep {self.id}", [*names, *self.trap_ids], rows, note=note)

    def to_frame(self) -> Any:
        """The tidy table of :meth:`to_csv` (one row per point and trap) as a pandas DataFrame."""
        import io

        return pandas().read_csv(io.StringIO(self.to_csv()))

    @property
    def names(self) -> list[str]:
        """The varied parameters, in axis order."""
        return list(self.axes)

    @property
    def shape(self) -> tuple[int, ...]:
        """Grid shape: the number of values of each varied parameter, in order."""
        return tuple(len(v) for v in self.axes.values())

    @property
    def trap_ids(self) -> list[str]:
        """The scenario's trap ids, in file order."""
        return [t.id for t in self.scenario.traps]

    def counts(self, trap: str) -> np.ndarray:
        """How often ``trap`` fired at each point; shape :attr:`shape`."""
        return np.array([p.trap_counts[trap] for p in self.points], dtype=np.int64).reshape(self.shape)

    def given(self, trap: str) -> np.ndarray:
        """The denominator of the rate at each point: draws where the trap's ``given`` holds (all without one)."""
        return np.array([p.given_counts.get(trap, self.draws) for p in self.points], dtype=np.int64).reshape(self.shape)

    def rates(self, trap: str) -> np.ndarray:
        """The trap's rate at each point (among the draws where its ``given`` holds); shape :attr:`shape`.

        ``nan`` at a point where a conditional trap's ``given`` never held (figures leave a gap).
        """
        counts, given = self.counts(trap), self.given(trap)
        out = np.full(self.shape, np.nan)
        np.divide(counts, given, out=out, where=given > 0)
        return out

    def ci95(self, trap: str) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper 95% Wilson bounds at each point (``nan`` where :meth:`rates` is)."""
        bounds = np.array(
            [
                wilson(c, g) if g else (np.nan, np.nan)
                for c, g in zip(self.counts(trap).ravel(), self.given(trap).ravel(), strict=True)
            ]
        )
        return bounds[:, 0].reshape(self.shape), bounds[:, 1].reshape(self.shape)

    def point(self, **values: float) -> Point:
        """The point at the given values of the varied parameters."""
        for p in self.points:
            if all(p.values[k] == v for k, v in values.items()) and len(values) == len(self.axes):
                return p
        raise KeyError(values)

    # ------------------------------------------------------------- documents

    def to_dict(self) -> dict[str, Any]:
        """The sweep's JSON document (see docs/sweeps.md)."""
        sc = self.scenario
        n = self.draws
        points = []
        for p in self.points:
            traps = {
                t.id: trap_entry(p.trap_counts[t.id], p.given_counts.get(t.id, n), n, t.given is not None)
                for t in sc.traps
            }
            outcomes = {o: {"count": c, "rate": c / n} for o, c in p.outcome_counts.items()}
            payoffs = {a: {"mean": p.payoff_mean[a], "sd": p.payoff_sd[a]} for a in sc.actor_ids}
            points.append({"values": dict(p.values), "traps": traps, "outcomes": outcomes, "payoffs": payoffs})
        vary = {name: list(values) for name, values in self.axes.items()}
        doc = run_header(
            sc,
            draws=n,
            seed=self.seed,
            solver=self.solver,
            rationality=self.rationality,
            values=self.fixed,
            extra={"sweep": self.id, "vary": vary},
        )
        doc["traps"] = {t.id: {"title": t.title} for t in sc.traps}
        doc["points"] = points
        doc["meta"] = json_meta(
            sc,
            elapsed_s=self.elapsed_s,
            seed_given=self.seed_given,
            chunk_size=CHUNK,
            common_random_numbers=True,
            backend=self.backend,
            workers=self.workers,
            resumed_points=self.resumed,
        )
        doc.update(self.extra)
        return doc

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json_text(self.to_dict(), indent=indent)

    def to_csv(self) -> str:
        """The tidy table: one row per point and trap.

        Columns: the varied parameters, ``trap``, ``count``, ``rate``,
        ``ci_low``, ``ci_high``, ``given_count``. ``rate`` is among the
        ``given_count`` draws where the trap's ``given`` holds (all draws for a
        trap without one); it and its interval are empty where that count is 0.
        Values are written in Python's shortest round-trip form, so a value
        copied into ``--set`` reproduces the row.
        """
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([*self.names, "trap", "count", "rate", "ci_low", "ci_high", "given_count"])
        for p in self.points:
            for t in self.trap_ids:
                c, g = p.trap_counts[t], p.given_counts.get(t, self.draws)
                cells = [repr(c / g), *map(repr, wilson(c, g))] if g else ["", "", ""]
                writer.writerow([*(repr(p.values[k]) for k in self.names), t, c, *cells, g])
        return buf.getvalue()
