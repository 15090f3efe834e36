"""Sweeps over a grid of parameters and comparisons of several scenarios."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trapsim import arguments as _arg
from trapsim import runner
from trapsim import sweeps as _sweeps
from trapsim.api._checks import _derived_note, _draws, _options, _scenario, check_values, default_workers
from trapsim.api.running import simulate
from trapsim.errors import ArgumentError, suggest
from trapsim.model import MAX_STEPS, Scenario
from trapsim.sampling import fresh_seed
from trapsim.sweeps import SweepResult

if TYPE_CHECKING:
    from trapsim.comparison import Comparison


def _sweep_grid(
    scenario: Scenario, grid: str | Mapping[str, Sequence[float]] | None
) -> tuple[str, dict[str, tuple[float, ...]], int | None]:
    """``(sweep id, axes, declared draws)`` from a declared sweep's id or ``{name: values}``."""
    path = scenario.path
    if grid is None or isinstance(grid, str):
        ids = [s.id for s in scenario.sweeps]
        if not ids:
            raise ArgumentError("grid", "the scenario declares no [sweeps]; give the parameters to vary", file=path)
        if grid is None:
            if len(ids) > 1:
                raise ArgumentError(
                    "sweep", f"the scenario declares {len(ids)} sweeps ({', '.join(ids)}); name one", file=path
                )
            grid = ids[0]
        if grid not in ids:
            raise ArgumentError(
                "sweep",
                f"unknown sweep '{grid}' (declared: {', '.join(ids)})",
                item=grid,
                file=path,
                suggestion=suggest(grid, ids),
            )
        declared = next(s for s in scenario.sweeps if s.id == grid)
        axes = {name: _sweeps.grid_values(a, b, n) for name, a, b, n in declared.vary}
        return declared.id, axes, declared.draws
    if not isinstance(grid, Mapping):
        raise ArgumentError(
            "grid", f"expected a sweep id or {{parameter: values}}, got {type(grid).__name__}", file=path
        )
    names = [p.name for p in scenario.parameters]
    if not 1 <= len(grid) <= 2:
        raise ArgumentError("grid", f"vary one or two parameters, not {len(grid)}", file=path)
    axes = {}
    for name, values in grid.items():
        if name not in names:
            raise ArgumentError(
                "grid",
                f"unknown parameter '{name}'{_derived_note(scenario, str(name))}",
                item=str(name),
                file=path,
                suggestion=suggest(str(name), names),
            )
        if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray) or not len(values):
            raise ArgumentError("grid", "expected one or more finite values", item=name, file=path)
        if len(values) > MAX_STEPS:
            raise ArgumentError("grid", f"at most {MAX_STEPS:,} values, got {len(values):,}", item=name, file=path)
        axes[name] = tuple(_arg.finite("grid", v, item=name, file=path) for v in values)
    return "_by_".join(axes), axes, None


def sweep(
    scenario: Scenario,
    grid: str | Mapping[str, Sequence[float]] | None = None,
    *,
    draws: int | None = None,
    seed: int | None = None,
    solver: str | None = None,
    rationality: float | None = None,
    values: Mapping[str, float] | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    keep_checkpoint: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Rerun the Monte Carlo at every point of a grid of one or two parameters.

    Every point uses the same seed (common random numbers) and equals
    ``simulate(scenario, values={**values, **point}, draws=draws, seed=seed)``.

    Parameters
    ----------
    grid
        The id of a ``[sweeps.<id>]`` table of the scenario, or
        ``{parameter: values}`` for one or two parameters (see
        :func:`trapsim.sweeps.grid_values`). ``None``: the scenario's only
        declared sweep.
    draws
        Draws per point [default: the sweep's ``draws``, else the scenario's].
    values
        Other parameters fixed at constants at every point (``--set``).
    workers
        Local processes [default: all cores for sweeps of 100,000 draws or more
        in all on Linux, of a million elsewhere (see
        :func:`~trapsim.api._checks.default_workers`), and for
        ``scheduler="local"``; else 1]. Results do not depend on it.
    scheduler
        Run on Dask instead: a scheduler address, ``"local"`` (a
        ``LocalCluster`` with ``workers`` workers) or a ``distributed.Client``.
    checkpoint_dir, resume, keep_checkpoint, progress
        Checkpointing (Ctrl-C keeps finished points) and progress; see :func:`trapsim.sweeps.run_sweep`.
    """
    solver, rationality = _options(scenario, solver, rationality)
    sweep_id, axes, declared_draws = _sweep_grid(scenario, grid)
    fixed = check_values(scenario, values)
    both = [name for name in axes if name in fixed]
    if both:
        raise ArgumentError(
            "values", f"'{both[0]}' is both varied and fixed; drop one of the two", item=both[0], file=scenario.path
        )
    draws = _draws(scenario, draws, declared_draws)
    seed = _arg.seed(seed, file=scenario.path)
    if workers is None and scheduler is not None:
        workers = runner.default_workers()
    workers = default_workers(workers, draws * math.prod(len(v) for v in axes.values()), file=scenario.path)
    return _sweeps.run_sweep(
        scenario,
        sweep_id=sweep_id,
        axes=axes,
        draws=draws,
        seed=seed if seed is not None else scenario.simulation.seed,
        solver=solver,
        rationality=rationality,
        fixed=fixed,
        workers=workers,
        scheduler=scheduler,
        checkpoint_dir=checkpoint_dir,
        resume=resume,
        keep_checkpoint=keep_checkpoint,
        progress=progress,
    )


def compare(
    scenarios: Sequence[Scenario],
    *,
    draws: int | None = None,
    seed: int | None = None,
    solver: str | None = None,
    rationality: float | None = None,
    values: Mapping[str, float] | None = None,
    workers: int | None = None,
    alpha: float = 0.05,
) -> Comparison:
    """Run several scenarios with the same seed and draws and compare their traps with the first.

    Traps are matched by id (absent where a scenario lacks one). ``draws`` and
    ``seed`` default to the first scenario's ``[simulation]`` values; each
    scenario keeps its own solver and rationality unless ``solver`` or
    ``rationality`` is given. ``values`` fixes parameters in every scenario
    (each must have them).
    """
    from trapsim import comparison as _comparison  # matplotlib is slow to import: only when needed

    scenarios = [_scenario(sc, "scenarios") for sc in scenarios]
    if len(scenarios) < 2:
        raise ArgumentError("scenarios", f"give at least two scenarios, got {len(scenarios)}")
    first = scenarios[0]
    draws = _draws(first, draws)
    seed = _arg.seed(seed)
    seed = first.simulation.seed if seed is None else seed
    if not (isinstance(alpha, float | int) and 0 < alpha < 1):
        raise ArgumentError("alpha", f"expected a number in (0, 1), got {alpha!r}")
    seed_given = seed is not None
    if seed is None:
        seed = fresh_seed()
    results = [
        simulate(sc, draws=draws, seed=seed, solver=solver, rationality=rationality, values=values, workers=workers)
        for sc in scenarios
    ]
    return _comparison.compare(results, alpha=alpha, seed_given=seed_given)
