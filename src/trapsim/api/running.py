"""Running a scenario: the Monte Carlo, per-draw records, one solve, every equilibrium."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trapsim import arguments as _arg
from trapsim import runner
from trapsim.api._checks import _draws, _options, check_values, check_world, default_workers
from trapsim.errors import ArgumentError
from trapsim.model import Scenario
from trapsim.output import pandas
from trapsim.runner import Result

if TYPE_CHECKING:  # imported by solve and all_spe only: a run does not pay for them
    from trapsim.equilibrium import AllSPE, Equilibrium


def simulate(
    scenario: Scenario,
    *,
    draws: int | None = None,
    seed: int | None = None,
    solver: str | None = None,
    rationality: float | None = None,
    values: Mapping[str, float] | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    on_chunk: Callable[[runner.ChunkRecords], None] | None = None,
) -> Result:
    """Sample, solve and count traps; see :func:`trapsim.runner.run`.

    Options left as ``None`` come from the scenario's ``[simulation]`` table.
    With no seed there either, fresh entropy is used and recorded in
    ``result.seed``. ``workers`` defaults as :func:`default_workers`.
    """
    solver, rationality = _options(scenario, solver, rationality)
    draws = _draws(scenario, draws)
    seed = _arg.seed(seed, file=scenario.path)
    if seed is None:
        seed = scenario.simulation.seed
    return runner.run(
        scenario,
        draws=draws,
        seed=seed,
        solver=solver,
        rationality=rationality,
        values=check_values(scenario, values),
        workers=default_workers(workers, draws, file=scenario.path),
        progress=_arg.optional_callable("progress", progress),
        on_chunk=_arg.optional_callable("on_chunk", on_chunk),
    )


#: The most draws :func:`per_draw_frame` holds in memory (write bigger runs with :func:`per_draw`).
MAX_FRAME_DRAWS = 1_000_000


def per_draw(
    scenario: Scenario,
    path: str | Path,
    *,
    draws: int | None = None,
    seed: int | None = None,
    solver: str | None = None,
    rationality: float | None = None,
    values: Mapping[str, float] | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Result:
    """:func:`simulate`, also writing one row per draw to ``path`` (``trapsim run --per-draw``).

    CSV, or Parquet when ``path`` ends in ``.parquet`` (needs ``trapsim[parquet]``).
    Columns: ``draw``, ``param.<name>`` per sampled parameter, ``outcome``,
    ``trap.<id>`` (0/1) and ``given.<id>`` (0/1, conditional traps only),
    ``payoff.<actor>``. Written chunk by chunk (memory stays flat) and atomically;
    rows are in draw order whatever ``workers`` is. Returns the run's result.
    """
    options: dict[str, Any] = dict(
        draws=draws, seed=seed, solver=solver, rationality=rationality, values=values, workers=workers
    )
    return runner.write_per_draw(
        path, scenario, lambda on_chunk: simulate(scenario, progress=progress, on_chunk=on_chunk, **options)
    )


def per_draw_frame(
    scenario: Scenario,
    *,
    draws: int | None = None,
    seed: int | None = None,
    solver: str | None = None,
    rationality: float | None = None,
    values: Mapping[str, float] | None = None,
    workers: int | None = None,
) -> Any:
    """The per-draw records of a small run as a pandas DataFrame (the columns of :func:`per_draw`).

    At most :data:`MAX_FRAME_DRAWS` draws: bigger runs belong in a file (:func:`per_draw`).
    """
    pd = pandas()
    n = _draws(scenario, draws)
    if n > MAX_FRAME_DRAWS:
        raise ArgumentError(
            "draws", f"at most {MAX_FRAME_DRAWS:,} draws in a DataFrame, got {n:,}: write a file with per_draw()"
        )
    options: dict[str, Any] = dict(
        draws=n, seed=seed, solver=solver, rationality=rationality, values=values, workers=workers
    )
    _, columns = runner.collect_per_draw(scenario, lambda on_chunk: simulate(scenario, on_chunk=on_chunk, **options))
    return pd.DataFrame(columns)


def solve(
    scenario: Scenario,
    *,
    values: Mapping[str, float] | None = None,
    solver: str | None = None,
    rationality: float | None = None,
    world: str | None = None,
) -> Equilibrium:
    """Solve the game once at central values (or ``values``); with ``world``, that counterfactual world's game."""
    from trapsim import equilibrium

    solver, rationality = _options(scenario, solver, rationality)
    return equilibrium.solve(
        scenario,
        values=check_values(scenario, values),
        solver=solver,
        rationality=rationality,
        world=check_world(scenario, world),
    )


def all_spe(scenario: Scenario, *, values: Mapping[str, float] | None = None, limit: int = 100) -> AllSPE:
    """Every subgame-perfect equilibrium at central values (or ``values``), up to ``limit``."""
    from trapsim import equilibrium

    return equilibrium.all_spe(scenario, values=check_values(scenario, values), limit=_arg.whole("limit", limit))
