"""Running chunks in this process or in worker processes, and merging them in chunk order."""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from trapsim.model import Scenario
from trapsim.runner.chunk import ChunkRecords, ChunkStats, run_chunk
from trapsim.runner.compiling import CHUNK, CompiledScenario
from trapsim.runner.pool import pool_results
from trapsim.runner.result import Result
from trapsim.sampling import fresh_seed
from trapsim.solver import build_tree

_WORKER_CACHE: dict[str, CompiledScenario] = {}


def _structure_key(scenario: Scenario) -> str:
    """A digest of everything compiled: the whole scenario object, not its file's hash.

    ``scenario.sha256`` is the hash of the file it was read from; a scenario
    changed in Python (``dataclasses.replace``, ``with_values``) or built by
    hand keeps it (or has none), so it cannot key a cache of compiled objects.
    """
    return hashlib.sha256(pickle.dumps(scenario, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()


def compiled(scenario: Scenario) -> CompiledScenario:
    """``CompiledScenario(scenario)``, cached in this process (for worker processes)."""
    key = _structure_key(scenario)
    model = _WORKER_CACHE.get(key)
    if model is None:
        _WORKER_CACHE.clear()
        model = _WORKER_CACHE[key] = CompiledScenario(scenario)
    return model


def _run_batch(
    scenario: Scenario,
    entropy: int,
    chunks: Sequence[tuple[int, int]],
    solver: str,
    rationality: float,
    records: bool = False,
) -> list[ChunkStats]:
    """Worker entry point: run several chunks (the compiled scenario is cached per process)."""
    model = compiled(scenario)
    return [run_chunk(model, entropy, c, n, solver, rationality, records) for c, n in chunks]


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
    stats = [run_chunk(point, seed, c, n, solver, rationality) for c, n in _chunks(draws)]
    return _aggregate(
        point.scenario, stats, draws, seed, True, solver, rationality, values, time.perf_counter() - start, 1
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
        Called with the number of draws finished after each chunk.
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
    stats: list[ChunkStats] = []

    def done(batch: list[ChunkStats]) -> None:
        for s in batch:
            if on_chunk is not None and s.records is not None:
                on_chunk(s.records)
                s.records = None
        stats.extend(batch)
        if progress:
            progress(sum(s.n for s in batch))

    if workers == 1:
        model = CompiledScenario(scenario)
        for c, n in chunks:
            done([run_chunk(model, entropy, c, n, solver, rationality, records)])
    else:
        batch = max(1, min(16, len(chunks) // (workers * 4)))
        batches = [chunks[i : i + batch] for i in range(0, len(chunks), batch)]
        # At most 4 batches per worker in flight, delivered in order: per-draw records never pile up.
        tasks = ((scenario, entropy, b, solver, rationality, records) for b in batches)
        for _, part in pool_results(_run_batch, tasks, workers, window=4 * workers):
            done(part)
    return _aggregate(
        scenario, stats, draws, entropy, seed_given, solver, rationality, values, time.perf_counter() - start, workers
    )


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _changed(scenario: Scenario, stats: list[ChunkStats]) -> dict[str, int]:
    """Per actor with beliefs: draws in which its misperception changed the outcome."""
    counts = [s.changed for s in stats if s.changed is not None]
    if not scenario.beliefs or not counts:
        return {}
    return {a: int(c) for a, c in zip(scenario.beliefs, np.sum(counts, axis=0), strict=True)}


def _aggregate(
    scenario: Scenario,
    stats: list[ChunkStats],
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
    n_total = 0
    mean = np.zeros(len(scenario.actors))
    m2 = np.zeros(len(scenario.actors))
    with np.errstate(over="ignore", invalid="ignore"):  # moments of payoffs near 1e308: inf, not a warning
        for s in stats:  # Chan et al.'s parallel merge, always in chunk order
            n_new = n_total + s.n
            delta = s.mean - mean
            mean = mean + delta * (s.n / n_new)
            m2 = m2 + s.m2 + delta * delta * (n_total * s.n / n_new)
            n_total = n_new
        sd = np.sqrt(m2 / (n_total - 1)) if n_total > 1 else np.zeros_like(m2)
    traps = np.sum([s.traps for s in stats], axis=0)
    given = np.sum([s.given for s in stats], axis=0)
    outcomes = np.sum([s.outcomes for s in stats], axis=0)
    ties = np.sum([s.ties for s in stats], axis=0)
    ties_on_path = np.sum([s.ties_on_path for s in stats], axis=0)
    inner_ids = [tree.positions[p].name for p in tree.inner]  # copy names of shared nodes
    decisions = [r for r, p in enumerate(tree.inner) if tree.positions[p].kind == "decision"]
    edges = {nid: np.sum([s.actions[r] for s in stats], axis=0).astype(int).tolist() for r, nid in enumerate(inner_ids)}
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
        tie_anywhere_count=int(sum(s.tie_anywhere for s in stats)),
        edge_counts=edges,
        chunk_sizes=np.array([s.n for s in stats]),
        chunk_trap_counts=np.array([s.traps for s in stats]).reshape(len(stats), len(scenario.traps)),
        elapsed_s=elapsed,
        workers=workers,
        payoff_sample=stats[0].sample if stats else None,
        misperception=_changed(scenario, stats),
        given_counts={t.id: int(c) for t, c in zip(scenario.traps, given, strict=True) if t.given is not None}
        if scenario.traps
        else {},
        chunk_given_counts=np.array([s.given for s in stats]).reshape(len(stats), len(scenario.traps)),
    )
