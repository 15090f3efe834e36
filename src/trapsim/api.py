"""The Python API: what notebooks and the command line call.

>>> import trapsim
>>> sc = trapsim.load("scenarios/defense_clause.toml")
>>> res = trapsim.simulate(sc, draws=20_000, seed=1)
>>> res.rate("putin_trap")                               # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trapsim import efg, equilibrium, runner
from trapsim import explain as _explain
from trapsim import sweep as _sweep
from trapsim.errors import Problem, ScenarioError, suggest
from trapsim.model import Scenario
from trapsim.runner import Result
from trapsim.scenario import SOLVERS
from trapsim.scenario import load as _load
from trapsim.sweep import SweepResult

if TYPE_CHECKING:
    from trapsim.compare import Comparison

__all__ = ["all_spe", "check_values", "compare", "efg_to_toml", "explain", "load", "simulate", "solve", "sweep", "to_efg"]


def load(path: str) -> Scenario:
    """Read and validate a scenario file (TOML, or Gambit ``.efg``)."""
    if str(path).lower().endswith(".efg"):
        return efg.load_efg(path)
    return _load(path)


def check_values(scenario: Scenario, values: Mapping[str, float] | None) -> dict[str, float]:
    """Check that every overridden name is a parameter of the scenario."""
    values = dict(values or {})
    names = [p.name for p in scenario.parameters]
    problems = []
    for name in values:
        if name not in names:
            derived = [d.name for d in scenario.derived]
            why = " (it is a derived value; set the parameters it uses)" if name in derived else ""
            problems.append((f"--set {name}", f"unknown parameter '{name}'{why}", suggest(name, names)))
    if problems:
        from trapsim.errors import Problem

        raise ScenarioError([Problem(scenario.path, k, m, s) for k, m, s in problems])
    return values


def _options(scenario: Scenario, solver: str | None, rationality: float | None) -> tuple[str, float]:
    solver = solver or scenario.simulation.solver
    if solver not in SOLVERS:
        raise ScenarioError.single(scenario.path, "solver", f"expected spe or qre, got {solver!r}")
    rationality = scenario.simulation.rationality if rationality is None else float(rationality)
    if not rationality > 0:
        raise ScenarioError.single(scenario.path, "rationality", f"expected a number > 0, got {rationality}")
    return solver, rationality


def simulate(
    scenario: Scenario,
    *,
    draws: int | None = None,
    seed: int | None = None,
    solver: str | None = None,
    rationality: float | None = None,
    values: Mapping[str, float] | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Result:
    """Sample, solve and count traps; see :func:`trapsim.runner.run`.

    Options left as ``None`` come from the scenario's ``[simulation]`` table.
    With no seed there either, fresh entropy is used and recorded in
    ``result.seed``.
    """
    solver, rationality = _options(scenario, solver, rationality)
    draws = scenario.simulation.draws if draws is None else int(draws)
    if draws <= 0:
        raise ScenarioError.single(scenario.path, "draws", f"expected a whole number > 0, got {draws}")
    if seed is None:
        seed = scenario.simulation.seed
    return runner.run(
        scenario, draws=draws, seed=seed, solver=solver, rationality=rationality,
        values=check_values(scenario, values), workers=workers, progress=progress,
    )


def solve(
    scenario: Scenario,
    *,
    values: Mapping[str, float] | None = None,
    solver: str | None = None,
    rationality: float | None = None,
) -> equilibrium.Equilibrium:
    """Solve the game once at central values (or ``values``)."""
    solver, rationality = _options(scenario, solver, rationality)
    return equilibrium.solve(scenario, values=check_values(scenario, values), solver=solver,
                             rationality=rationality)


def explain(
    scenario: Scenario,
    *,
    values: Mapping[str, float] | None = None,
    solver: str | None = None,
    rationality: float | None = None,
) -> _explain.Explanation:
    """Solve the game once (as :func:`solve`) and tell it as a story in plain English."""
    solver, rationality = _options(scenario, solver, rationality)
    return _explain.explain(scenario, values=check_values(scenario, values), solver=solver,
                            rationality=rationality)


def all_spe(
    scenario: Scenario, *, values: Mapping[str, float] | None = None, limit: int = 100
) -> equilibrium.AllSPE:
    """Every subgame-perfect equilibrium at central values (or ``values``), up to ``limit``."""
    return equilibrium.all_spe(scenario, values=check_values(scenario, values), limit=limit)


def to_efg(scenario: Scenario, *, values: Mapping[str, float] | None = None) -> str:
    """The scenario's game at central values (or ``values``) as Gambit ``.efg`` text."""
    return efg.write_efg(scenario, values=check_values(scenario, values))


def efg_to_toml(path: str) -> str:
    """A starting scenario TOML for a Gambit ``.efg`` file."""
    return efg.efg_to_toml(path)


def _sweep_grid(scenario: Scenario, grid: str | Mapping[str, Sequence[float]] | None
                ) -> tuple[str, dict[str, tuple[float, ...]], int | None]:
    """``(sweep id, axes, declared draws)`` from a declared sweep's id or ``{name: values}``."""
    path = scenario.path
    if grid is None or isinstance(grid, str):
        ids = [s.id for s in scenario.sweeps]
        if not ids:
            raise ScenarioError.single(path, "sweeps", "the scenario declares no [sweeps]; give the "
                                                       "parameters to vary (--vary name=from:to:steps)")
        if grid is None:
            if len(ids) > 1:
                raise ScenarioError.single(path, "sweeps", f"the scenario declares {len(ids)} sweeps "
                                                           f"({', '.join(ids)}); name one")
            grid = ids[0]
        if grid not in ids:
            raise ScenarioError.single(path, f"--sweep {grid}", f"unknown sweep '{grid}' (declared: "
                                                                f"{', '.join(ids)})", suggest(grid, ids))
        declared = next(s for s in scenario.sweeps if s.id == grid)
        axes = {name: _sweep.grid_values(a, b, n) for name, a, b, n in declared.vary}
        return declared.id, axes, declared.draws
    names = [p.name for p in scenario.parameters]
    problems = []
    if not 1 <= len(grid) <= 2:
        problems.append(Problem(path, "--vary", f"vary one or two parameters, not {len(grid)}"))
    axes = {}
    for name, values in grid.items():
        if name not in names:
            problems.append(Problem(path, f"--vary {name}", f"unknown parameter '{name}'",
                                    suggest(name, names)))
            continue
        vals = tuple(float(v) for v in values)
        if not vals or not all(math.isfinite(v) for v in vals):
            problems.append(Problem(path, f"--vary {name}", "expected one or more finite values"))
        axes[name] = vals
    if problems:
        raise ScenarioError(problems)
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
    checkpoint: str | Path | None = None,
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
        :func:`trapsim.sweep.grid_values`). ``None``: the scenario's only
        declared sweep.
    draws
        Draws per point [default: the sweep's ``draws``, else the scenario's].
    values
        Other parameters fixed at constants at every point (``--set``).
    workers
        Local processes [default: all cores for sweeps of a million draws or
        more, else 1]. Results do not depend on it.
    scheduler
        Run on Dask instead: a scheduler address, ``"local"`` (a
        ``LocalCluster`` with ``workers`` workers) or a ``distributed.Client``.
    checkpoint, resume, keep_checkpoint, progress
        See :func:`trapsim.sweep.run_sweep`.
    """
    solver, rationality = _options(scenario, solver, rationality)
    sweep_id, axes, declared_draws = _sweep_grid(scenario, grid)
    fixed = check_values(scenario, values)
    both = [name for name in axes if name in fixed]
    if both:
        raise ScenarioError.single(scenario.path, f"--set {both[0]}",
                                   f"'{both[0]}' is both varied and fixed; drop one of the two")
    draws = int(draws if draws is not None else declared_draws or scenario.simulation.draws)
    if draws <= 0:
        raise ScenarioError.single(scenario.path, "draws", f"expected a whole number > 0, got {draws}")
    if workers is None:
        total = draws * math.prod(len(v) for v in axes.values())
        workers = runner.default_workers() if total >= 1_000_000 else 1
    if workers < 1:
        raise ScenarioError.single(scenario.path, "workers", f"expected a whole number > 0, got {workers}")
    return _sweep.run_sweep(
        scenario, sweep_id=sweep_id, axes=axes, draws=draws,
        seed=seed if seed is not None else scenario.simulation.seed, solver=solver,
        rationality=rationality, fixed=fixed, workers=workers, scheduler=scheduler,
        checkpoint=checkpoint, resume=resume, keep_checkpoint=keep_checkpoint, progress=progress,
    )


def compare(
    scenarios: Sequence[Scenario],
    *,
    draws: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    alpha: float = 0.05,
) -> Comparison:
    """Run several scenarios with the same seed and draws and compare their traps with the first.

    Traps are matched by id (absent where a scenario lacks one). ``draws`` and
    ``seed`` default to the first scenario's ``[simulation]`` values; each
    scenario keeps its own solver.
    """
    from trapsim import compare as _compare  # matplotlib is slow to import: only when needed

    if len(scenarios) < 2:
        raise ScenarioError.single("", "compare", f"give at least two scenarios, got {len(scenarios)}")
    first = scenarios[0]
    draws = first.simulation.draws if draws is None else int(draws)
    seed = first.simulation.seed if seed is None else seed
    seed_given = seed is not None
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    results = [simulate(sc, draws=draws, seed=seed, workers=workers) for sc in scenarios]
    return _compare.compare(results, alpha=alpha, seed_given=seed_given)
