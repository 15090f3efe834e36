"""Running chunks in this process or in worker processes, and merging them in chunk order."""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import threading
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from trapsim.model import Scenario
from trapsim.runner.chunk import BLOCK, ChunkRecords, ChunkStats, run_blocks
from trapsim.runner.compiling import CHUNK, CompiledScenario
from trapsim.runner.pool import forks, pool_results
from trapsim.runner.result import Result
from trapsim.sampling import fresh_seed
from trapsim.solver import build_tree

_CACHE = threading.local()  # .models: {structure key: CompiledScenario}, the last one compiled by this thread


def _structure_key(scenario: Scenario) -> str:
    """A digest of everything compiled: the whole scenario object, not its file's hash.

    ``scenario.sha256`` is the hash of the file it was read from; a scenario
    changed in Python (``dataclasses.replace``, ``with_values``) or built by
    hand keeps it (or has none), so it cannot key a cache of compiled objects.
    """
    return hashlib.sha256(pickle.dumps(scenario, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()


def compiled(scenario: Scenario) -> CompiledScenario:
    """``CompiledScenario(scenario)``, the last one kept per thread.

    A worker process compiles a scenario once for all its chunks (a forked
    worker has it from its parent, which compiled it first), and a run's
    figures, equilibrium and explanations after the run reuse its
    compilation. Per thread, so that threads (the web explorer's) never share one.
    """
    key = _structure_key(scenario)
    models: dict[str, CompiledScenario] | None = getattr(_CACHE, "models", None)
    if models is None:
        models = _CACHE.models = {}
    model = models.get(key)
    if model is None:
        models.clear()
        model = models[key] = CompiledScenario(scenario)
    return model


def _run_batch(
    scenario: Scenario | str,
    entropy: int,
    chunks: Sequence[tuple[int, int]],
    solver: str,
    rationality: float,
    records: bool = False,
) -> list[ChunkStats]:
    """Worker entry point: run several chunks (the compiled scenario is cached per process).

    ``scenario`` is the scenario, or for a forked worker the key of the compiled one it has from its
    parent (sending the scenario with every task cost a pickle and ~1.4 ms of parsing it again).
    """
    model = compiled(scenario) if isinstance(scenario, Scenario) else _inherited(scenario)
    return [s for stats in run_blocks(model, entropy, chunks, solver, rationality, records) for s in stats]


def _inherited(key: str) -> CompiledScenario:
    """The compiled scenario a forked worker has from its parent (:func:`compiled`'s cache)."""
    model = getattr(_CACHE, "models", {}).get(key)
    if model is None:  # the parent compiles it before it forks: this is a bug, not a user's error
        raise RuntimeError(f"a forked worker process has no compiled scenario {key[:12]}")
    return model


def _chunks(draws: int) -> list[tuple[int, int]]:
    """``(chunk index, draws in it)`` for a run of ``draws`` draws."""
    return [(c, min(CHUNK, draws - c * CHUNK)) for c in range(math.ceil(draws / CHUNK))]


def run_point(
    model: CompiledScenario,
    *,
    draws: int,
    seed: int,
    solver: str = "spe",
    rationality: float = 10.0,
    values: Mapping[str, float] | None = None,
) -> Result:
    """One run in this process from an already compiled scenario (a sweep point).

    Equal to ``run(model.scenario, draws=draws, seed=seed, values=values, ...)``
    (same streams, same chunks), without compiling the scenario again.
    """
    start = time.perf_counter()
    values = dict(values or {})
    point = model.with_values(values)
    merged = _Merged(point.scenario)
    for stats in run_blocks(point, seed, _chunks(draws), solver, rationality):
        for s in stats:
            merged.add(s)
    return _aggregate(
        point.scenario, merged, draws, seed, True, solver, rationality, values, time.perf_counter() - start, 1
    )


def run(
    scenario: Scenario,
    *,
    draws: int,
    seed: int | None,
    solver: str = "spe",
    rationality: float = 10.0,
    values: Mapping[str, float] | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    on_chunk: Callable[[ChunkRecords], None] | None = None,
) -> Result:
    """Run the Monte Carlo: ``draws`` samples, each solved and played once.

    Parameters
    ----------
    seed
        Root seed; ``None`` draws fresh entropy (recorded in the result).
    values
        Parameters fixed at constants for this run (``--set``).
    workers
        Processes to use (1: in this process). Results do not depend on it.
    progress
        Called with the number of draws finished after each block of chunks,
        and with 0 once worker processes run (when there are some).
    on_chunk
        Called with each chunk's per-draw records, in chunk (draw) order, whatever
        ``workers`` is; the records are dropped after the call, so memory stays flat.
    """
    start = time.perf_counter()
    values = dict(values or {})
    if values:
        scenario = scenario.with_values(values)
    seed_given = seed is not None
    entropy = seed if seed is not None else fresh_seed()
    chunks = _chunks(draws)
    workers = max(1, min(workers, len(chunks)))
    records = on_chunk is not None
    merged = _Merged(scenario)

    def done(batch: list[ChunkStats]) -> None:
        for s in batch:
            if on_chunk is not None and s.records is not None:
                on_chunk(s.records)
                s.records = None
            merged.add(s)
        if progress:
            progress(sum(s.n for s in batch))

    if workers == 1:
        model = compiled(scenario)
        try:
            for stats in run_blocks(model, entropy, chunks, solver, rationality, records):
                done(stats)
        finally:
            model.release_buffers()  # the compiled scenario stays cached (for figures), not its chunk tables
    else:
        fork = forks()
        sent: Scenario | str = scenario
        if fork:  # compiled here once: every forked worker has it, and is sent its key only
            compiled(scenario)
            sent = _structure_key(scenario)
        # A task is one block of chunks (solved side by side), or fewer chunks so that every worker has
        # about two tasks at least: small tasks, taken as workers free up, keep the ends of the workers close.
        batch = max(1, min(BLOCK, len(chunks) // (workers * 2)))
        batches = [chunks[i : i + batch] for i in range(0, len(chunks), batch)]
        # At most 4 batches per worker in flight, delivered in order: per-draw records never pile up.
        tasks = ((sent, entropy, b, solver, rationality, records) for b in batches)
        started = (lambda: progress(0)) if progress else None
        for _, part in pool_results(_run_batch, tasks, workers, window=4 * workers, fork=fork, started=started):
            done(part)
    return _aggregate(
        scenario, merged, draws, entropy, seed_given, solver, rationality, values, time.perf_counter() - start, workers
    )


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class _Merged:
    """The chunks' statistics merged as they arrive, in chunk order, so memory does not grow with draws.

    Counts are summed; the payoff moments use Chan et al.'s parallel merge,
    always in chunk order (the same floats whatever the number of workers).
    Only what the convergence figure needs is kept per chunk: its size and
    its trap and given counts.
    """

    def __init__(self, scenario: Scenario) -> None:
        actors = len(scenario.actors)
        self.beliefs = bool(scenario.beliefs)
        self.n = 0
        self.mean = np.zeros(actors)
        self.m2 = np.zeros(actors)
        self.sizes: list[int] = []
        self.trap_rows: list[np.ndarray] = []
        self.given_rows: list[np.ndarray] = []
        self.sums: dict[str, np.ndarray] = {}  # traps, given, outcomes, ties, ties_on_path, changed
        self.actions: list[np.ndarray] = []
        self.tie_anywhere = 0
        self.sample: np.ndarray | None = None

    def add(self, s: ChunkStats) -> None:
        with np.errstate(over="ignore", invalid="ignore"):  # moments of payoffs near 1e308: inf, not a warning
            n_new = self.n + s.n
            delta = s.mean - self.mean
            self.mean = self.mean + delta * (s.n / n_new)
            self.m2 = self.m2 + s.m2 + delta * delta * (self.n * s.n / n_new)
            self.n = n_new
        if not self.sizes:
            self.sample = s.sample
        self.sizes.append(s.n)
        self.trap_rows.append(np.array(s.traps))
        self.given_rows.append(np.array(s.given))
        parts = {
            "traps": s.traps,
            "given": s.given,
            "outcomes": s.outcomes,
            "ties": s.ties,
            "ties_on_path": s.ties_on_path,
        }
        if s.changed is not None:
            parts["changed"] = s.changed
        for key, value in parts.items():  # integer counts: the sum does not depend on the order
            if key in self.sums:
                self.sums[key] += value
            else:
                self.sums[key] = np.array(value)  # a copy, summed into in place
        if self.actions:
            for total, counts in zip(self.actions, s.actions, strict=True):
                total += counts
        else:
            self.actions = [np.array(a) for a in s.actions]
        self.tie_anywhere += s.tie_anywhere

    def sd(self) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            return np.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else np.zeros_like(self.m2)

    def changed(self, scenario: Scenario) -> dict[str, int]:
        """Per actor with beliefs: draws in which its misperception changed the outcome."""
        if not self.beliefs or "changed" not in self.sums:
            return {}
        return {a: int(c) for a, c in zip(scenario.beliefs, self.sums["changed"], strict=True)}


def _aggregate(
    scenario: Scenario,
    merged: _Merged,
    draws: int,
    entropy: int,
    seed_given: bool,
    solver: str,
    rationality: float,
    values: dict[str, float],
    elapsed: float,
    workers: int,
) -> Result:
    tree = build_tree(scenario)
    mean, sd, sums, chunks = merged.mean, merged.sd(), merged.sums, len(merged.sizes)
    traps, given, outcomes = sums["traps"], sums["given"], sums["outcomes"]
    ties, ties_on_path = sums["ties"], sums["ties_on_path"]
    inner_ids = [tree.positions[p].name for p in tree.inner]  # copy names of shared nodes
    decisions = [r for r, p in enumerate(tree.inner) if tree.positions[p].kind == "decision"]
    edges = {nid: merged.actions[r].astype(int).tolist() for r, nid in enumerate(inner_ids)}
    return Result(
        scenario=scenario,
        draws=draws,
        seed=entropy,
        seed_given=seed_given,
        solver=solver,
        rationality=rationality,
        values=values,
        trap_counts={t.id: int(c) for t, c in zip(scenario.traps, traps, strict=True)} if scenario.traps else {},
        outcome_counts={o: int(c) for o, c in zip(tree.outcomes, outcomes, strict=True)},
        payoff_mean={a: float(m) for a, m in zip(scenario.actor_ids, mean, strict=True)},
        payoff_sd={a: float(x) for a, x in zip(scenario.actor_ids, sd, strict=True)},
        tie_counts={inner_ids[r]: int(ties[r]) for r in decisions},
        tie_path_counts={inner_ids[r]: int(ties_on_path[r]) for r in decisions},
        tie_anywhere_count=int(merged.tie_anywhere),
        edge_counts=edges,
        chunk_sizes=np.array(merged.sizes),
        chunk_trap_counts=np.array(merged.trap_rows).reshape(chunks, len(scenario.traps)),
        elapsed_s=elapsed,
        workers=workers,
        payoff_sample=merged.sample,
        misperception=merged.changed(scenario),
        given_counts={t.id: int(c) for t, c in zip(scenario.traps, given, strict=True) if t.given is not None}
        if scenario.traps
        else {},
        chunk_given_counts=np.array(merged.given_rows).reshape(chunks, len(scenario.traps)),
    )
