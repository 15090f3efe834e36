"""The Python API: what notebooks and the command line call.

>>> import trapsim
>>> sc = trapsim.load("scenarios/defense_clause.toml")
>>> res = trapsim.simulate(sc, draws=20_000, seed=1)
>>> res.rate("putin_trap")                               # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from trapsim import equilibrium, runner
from trapsim import explain as _explain
from trapsim.errors import ScenarioError, suggest
from trapsim.model import Scenario
from trapsim.runner import Result
from trapsim.scenario import SOLVERS
from trapsim.scenario import load as _load

__all__ = ["check_values", "explain", "load", "simulate", "solve"]


def load(path: str) -> Scenario:
    """Read and validate a scenario file (TOML, or Gambit ``.efg``)."""
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
