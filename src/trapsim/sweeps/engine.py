"""Running a sweep: every grid point is a full Monte Carlo run with the varied parameters fixed.

Common random numbers: every point uses the same root seed, and a parameter's
draws depend only on ``(seed, chunk, parameter name)`` (see
:mod:`trapsim.sampling`). Fixing the varied parameters therefore leaves every
other draw unchanged from point to point, and a point equals
``trapsim run FILE --set name=value --seed S --draws N`` exactly.

Points are independent, so they are dispatched in batches (one task = several
points, a tenth of a second of work or more) to one of three backends:

* in this process (``workers=1``);
* local worker processes (``workers > 1``; :func:`trapsim.runner.pool_results`:
  forked on Linux, fresh interpreters elsewhere and inside Jupyter);
* a Dask distributed cluster (``scheduler``: an address, ``"local"`` for a
  :class:`~distributed.LocalCluster`, or a ``Client``).

Each worker process compiles the scenario once (:func:`trapsim.runner.compiled`).
Results are gathered by grid index, so the backend and the number of workers
never change them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from contextlib import ExitStack, closing, nullcontext
from pathlib import Path
from typing import Any

from trapsim import runner
from trapsim.errors import RunError
from trapsim.model import MAX_STEPS, Scenario
from trapsim.runner import CHUNK
from trapsim.sampling import fresh_seed
from trapsim.solver import build_tree
from trapsim.sweeps.checkpoint import Checkpoint, directory_lock
from trapsim.sweeps.result import Point, SweepResult, grid_points
from trapsim.sweeps.scheduler import probe

__all__ = ["grid_values", "run_sweep"]

#: Draws worth one task: with ~1 µs per draw, a task is at least a tenth of a second.
TASK_DRAWS = 150_000
#: Seconds to wait for a Dask scheduler to answer (an address that is not one must not hang).
CONNECT_TIMEOUT = 10.0
#: Seconds between checkpoint writes (and always on interruption or failure).
SAVE_EVERY = 1.0

Task = tuple[int, dict[str, float]]  # (grid index, varied values)
Progress = Callable[[int, int], None]
Batches = Generator[list[tuple[int, Point]], None, None]  # finished points, batch by batch


def grid_values(start: float, stop: float, steps: int) -> tuple[float, ...]:
    """``steps`` evenly spaced values from ``start`` to ``stop`` (both included).

    Values are rounded to 12 significant digits, so ``0.1 * 3`` is ``0.3``:
    the value printed in the results is the one ``--set`` reproduces.
    """
    if not 2 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number from 2 to {MAX_STEPS:,}, got {steps}")
    if not (math.isfinite(start) and math.isfinite(stop)):
        raise ValueError(f"from and to must be finite numbers, got {start} and {stop}")
    return tuple(float(f"{start + (stop - start) * k / (steps - 1):.12g}") for k in range(steps))


def _run_points(
    scenario: Scenario, tasks: Sequence[Task], draws: int, seed: int, solver: str, rationality: float
) -> list[tuple[int, Point]]:
    """Worker entry point: run a batch of points (the compiled scenario is cached per process)."""
    model = runner.compiled(scenario)
    out = []
    for i, values in tasks:
        try:
            res = runner.run_point(model, draws=draws, seed=seed, solver=solver, rationality=rationality, values=values)
        except RunError as exc:
            at = ", ".join(f"{k}={v:g}" for k, v in values.items())
            raise exc.within(after=f" (sweep point {at})") from None
        out.append((i, Point.from_result(res, values)))
    return out


def _batches(todo: list[Task], draws: int, workers: int) -> list[list[Task]]:
    """Split the points into tasks worth a dispatch, at least ~4 per worker when there are enough."""
    worth = math.ceil(TASK_DRAWS / draws)
    balance = math.ceil(len(todo) / (4 * max(1, workers)))
    size = max(1, min(worth, balance))
    return [todo[i : i + size] for i in range(0, len(todo), size)]


# ------------------------------------------------------------------ backends


def _in_process(scenario: Scenario, batches: list[list[Task]], args: tuple[Any, ...]) -> Batches:
    try:
        for batch in batches:
            yield _run_points(scenario, batch, *args)
    finally:  # the compiled scenario stays cached in this thread, not its chunk tables
        runner.compiled(scenario).release_buffers()


def _processes(scenario: Scenario, batches: list[list[Task]], args: tuple[Any, ...], workers: int) -> Batches:
    tasks = [(scenario, b, *args) for b in batches]
    for _, finished in runner.pool_results(_run_points, tasks, workers, ordered=False):
        yield finished


def _dask(
    scenario: Scenario, todo: list[Task], args: tuple[Any, ...], workers: int, scheduler: Any, info: dict[str, Any]
) -> Batches:
    try:
        import dask
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError:
        raise RunError("running on a Dask scheduler needs Dask: pip install 'trapsim[dask]'", key="scheduler") from None
    with ExitStack() as stack:
        if isinstance(scheduler, str):
            if scheduler == "local":
                # Dask's nanny sets MALLOC_TRIM_THRESHOLD_ on its workers, which makes every large
                # numpy array a fresh mmap: twice the CPU time here (page faults). Not for ours.
                environ = {
                    k: v
                    for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
                    if k != "MALLOC_TRIM_THRESHOLD_"
                }
                with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
                    cluster = stack.enter_context(
                        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
                    )
                client = stack.enter_context(Client(cluster))
            else:
                try:
                    probe(scheduler, CONNECT_TIMEOUT)  # Client alone can wait for ever on a silent server
                    client = stack.enter_context(Client(scheduler, timeout=CONNECT_TIMEOUT))
                except Exception as exc:  # anything, e.g. an HTTP server read as a 3 EiB frame (MemoryError)
                    why = f"no answer within {CONNECT_TIMEOUT:g} s" if isinstance(exc, TimeoutError) else exc
                    raise RunError(
                        f"cannot connect to a Dask scheduler at {scheduler} ({why})", key="scheduler"
                    ) from None
        else:
            client = scheduler  # a distributed.Client made by the caller
        info["workers"] = len(client.scheduler_info().get("workers", {})) or workers
        batches = _batches(todo, args[0], info["workers"])
        shared = client.scatter(scenario, broadcast=True)
        futures = [client.submit(_run_points, shared, b, *args, pure=False) for b in batches]
        try:
            for fut in dask_completed(futures):
                yield fut.result()
        finally:
            client.cancel(futures)


# ------------------------------------------------------------------------ run


def run_sweep(
    scenario: Scenario,
    *,
    sweep_id: str,
    axes: Mapping[str, Sequence[float]],
    draws: int,
    seed: int | None,
    solver: str = "spe",
    rationality: float = 10.0,
    fixed: Mapping[str, float] | None = None,
    workers: int = 1,
    scheduler: Any = None,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    keep_checkpoint: bool = False,
    progress: Progress | None = None,
) -> SweepResult:
    """Run every point of a grid (inputs are trusted: :func:`trapsim.api.sweep` validates them).

    Parameters
    ----------
    axes
        One or two varied parameters and their values; points are every
        combination, row-major.
    seed
        Root seed shared by every point; ``None`` takes the checkpoint's seed
        when resuming, else fresh entropy (recorded in the result).
    fixed
        Further parameters fixed at constants for every point (``--set``).
    workers
        Local processes (1: this process). Ignored when ``scheduler`` is given,
        except for ``"local"``, where it is the number of Dask workers.
    scheduler
        A Dask scheduler address, ``"local"``, or a ``distributed.Client``.
    checkpoint_dir
        Directory of the checkpoint file ``<scenario>_<sweep>.checkpoint.json``
        that keeps finished points (written atomically at most every
        :data:`SAVE_EVERY` seconds, and on any interruption or failure).
    resume
        Continue from the checkpoint if it exists. Without it an existing
        checkpoint is an error, so no finished work is thrown away by accident.
    keep_checkpoint
        Leave the completed checkpoint in place (the caller removes it after
        writing its outputs: ``result.checkpoint``); by default it is removed
        once all points are done.
    progress
        Called as ``progress(0, todo)`` before the first point and
        ``progress(k, todo)`` after each batch of ``k`` points, where ``todo``
        counts the points this call runs (not those resumed).
    """
    lock = directory_lock(Path(checkpoint_dir)) if checkpoint_dir is not None else nullcontext()
    with lock:
        return _run_sweep(
            scenario,
            sweep_id,
            axes,
            draws,
            seed,
            solver,
            rationality,
            fixed,
            workers,
            scheduler,
            checkpoint_dir,
            resume,
            keep_checkpoint,
            progress,
        )


def _run_sweep(
    scenario: Scenario,
    sweep_id: str,
    axes: Mapping[str, Sequence[float]],
    draws: int,
    seed: int | None,
    solver: str,
    rationality: float,
    fixed: Mapping[str, float] | None,
    workers: int,
    scheduler: Any,
    checkpoint_dir: str | Path | None,
    resume: bool,
    keep_checkpoint: bool,
    progress: Progress | None,
) -> SweepResult:
    start = time.perf_counter()
    grid_axes = {name: tuple(float(v) for v in values) for name, values in axes.items()}
    fixed = dict(fixed or {})
    grid = grid_points(grid_axes)
    ckpt, stored, done, stored_meta = _open_checkpoint(scenario, sweep_id, checkpoint_dir, resume, len(grid))
    seed_given = seed is not None
    if seed is None:
        seed_given = bool(stored_meta.get("seed_given", False))
        seed = int(stored["seed"]) if stored else fresh_seed()
    fingerprint = _fingerprint(scenario, sweep_id, grid_axes, fixed, draws, seed, solver, rationality)
    if ckpt is not None and stored is not None:
        ckpt.check(stored, fingerprint)
        ckpt.check_points(
            done,
            grid,
            draws=draws,
            traps=[t.id for t in scenario.traps],
            outcomes=build_tree(scenario).outcomes,
            actors=scenario.actor_ids,
        )
    resumed = len(done)
    todo = [(i, values) for i, values in enumerate(grid) if i not in done]
    if progress:
        progress(0, len(todo))
    args = (draws, seed, solver, rationality)
    backend, results, info = _dispatch(scenario.with_values(fixed), todo, args, workers, scheduler)
    _gather(
        results,
        done,
        len(todo),
        ckpt,
        fingerprint,
        {"seed_given": seed_given},
        keep_checkpoint=keep_checkpoint,
        progress=progress,
    )
    return SweepResult(
        scenario=scenario,
        id=sweep_id,
        axes=grid_axes,
        draws=draws,
        seed=seed,
        seed_given=seed_given,
        solver=solver,
        rationality=rationality,
        fixed=fixed,
        points=[done[i] for i in range(len(grid))],
        elapsed_s=time.perf_counter() - start,
        backend=backend,
        workers=info["workers"],
        resumed=resumed,
        checkpoint=ckpt.path if ckpt is not None and keep_checkpoint else None,
    )


def _open_checkpoint(
    scenario: Scenario, sweep_id: str, checkpoint_dir: str | Path | None, resume: bool, points: int
) -> tuple[Checkpoint | None, dict[str, Any] | None, dict[int, Point], dict[str, Any]]:
    """The sweep's checkpoint (``None`` without ``checkpoint_dir``) and what it holds: fingerprint, points, meta.

    An existing checkpoint without ``resume`` is an error, so no finished work is thrown away by accident.
    """
    if checkpoint_dir is None:
        return None, None, {}, {}
    ckpt = Checkpoint(Path(checkpoint_dir) / f"{scenario.name}_{sweep_id}.checkpoint.json")
    if not ckpt.exists():
        return ckpt, None, {}, {}
    stored, done, stored_meta = ckpt.read()
    if not resume:
        raise RunError(
            f"an interrupted sweep left this checkpoint ({len(done)} of {points} points done); "
            "continue it with --resume (resume=True in Python), or delete it to start afresh",
            file=str(ckpt.path),
        )
    return ckpt, stored, done, stored_meta


def _dispatch(
    base: Scenario, todo: list[Task], args: tuple[int, int, str, float], workers: int, scheduler: Any
) -> tuple[str, Batches, dict[str, Any]]:
    """``(backend name, finished points batch by batch, info)``; ``info["workers"]`` is set once the backend starts."""
    info: dict[str, Any] = {"workers": 1}
    if not todo:  # everything came from the checkpoint
        return "checkpoint", _in_process(base, [], args), info
    if scheduler is not None:
        backend = "dask:local" if isinstance(scheduler, str) and scheduler == "local" else "dask"
        return backend, _dask(base, todo, args, max(1, workers), scheduler, info), info
    batches = _batches(todo, args[0], workers)
    workers = max(1, min(workers, len(batches)))
    if workers > 1:
        info["workers"] = workers
        return "processes", _processes(base, batches, args, workers), info
    return "local", _in_process(base, batches, args), info


def _gather(
    results: Batches,
    done: dict[int, Point],
    todo: int,
    ckpt: Checkpoint | None,
    fingerprint: dict[str, Any],
    meta: dict[str, Any],
    *,
    keep_checkpoint: bool,
    progress: Progress | None,
) -> None:
    """Collect finished points into ``done``, saving the checkpoint every :data:`SAVE_EVERY` seconds and on any
    interruption or failure; remove it at the end unless ``keep_checkpoint``."""
    unsaved = 0
    last_save = time.monotonic()
    try:
        with closing(results):
            for finished in results:
                done.update(finished)
                unsaved += len(finished)
                if progress:
                    progress(len(finished), todo)
                if ckpt is not None and time.monotonic() - last_save >= SAVE_EVERY:
                    ckpt.write(fingerprint, done, meta)
                    unsaved, last_save = 0, time.monotonic()
    except BaseException:
        if ckpt is not None and unsaved:
            ckpt.write(fingerprint, done, meta)
        raise
    if ckpt is not None:
        if not keep_checkpoint:
            ckpt.remove()
        elif unsaved:
            ckpt.write(fingerprint, done, meta)


def _fingerprint(
    scenario: Scenario,
    sweep_id: str,
    axes: Mapping[str, tuple[float, ...]],
    fixed: Mapping[str, float],
    draws: int,
    seed: int,
    solver: str,
    rationality: float,
) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: the scenario file, the grid and every setting of the runs."""
    return {
        "scenario": scenario.name,
        "scenario_sha256": scenario.sha256,
        "sweep": sweep_id,
        "vary": {k: list(v) for k, v in axes.items()},
        "values": dict(fixed),
        "draws": draws,
        "seed": seed,
        "solver": solver,
        "rationality": rationality,
        "chunk_size": CHUNK,
    }
