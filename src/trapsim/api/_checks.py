"""Checks of the arguments every API function shares (scenario, values, world, solver, draws, workers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trapsim import arguments as _arg
from trapsim.errors import ArgumentError, ScenarioError, suggest
from trapsim.model import MAX_DRAWS, Scenario
from trapsim.sampling import fresh_seed
from trapsim.scenario import SOLVERS


def _scenario(scenario: Any, argument: str = "scenario") -> Scenario:
    if not isinstance(scenario, Scenario):
        raise ArgumentError(argument, f"expected a Scenario (from trapsim.load), got {type(scenario).__name__}")
    return scenario


def check_values(scenario: Scenario, values: Mapping[str, float] | None) -> dict[str, float]:
    """Check that every overridden name is a parameter of the scenario and every value a finite number."""
    values = _arg.mapping_of_numbers("values", values, file=_scenario(scenario).path)
    names = [p.name for p in scenario.parameters]
    for name in values:
        if name not in names:
            why = _derived_note(scenario, name)
            raise ArgumentError(
                "values",
                f"unknown parameter '{name}'{why}",
                item=name,
                file=scenario.path,
                suggestion=suggest(name, names),
            )
    return values


def _derived_note(scenario: Scenario, name: str) -> str:
    """For a derived value's name: which parameters it is computed from (they are what can be set)."""
    derived = {d.name: d.expr for d in scenario.derived}
    if name not in derived:
        return ""
    params = {p.name for p in scenario.parameters}
    seen, todo, uses = set(), [name], set()
    while todo:  # derived values may use earlier derived values
        for used in derived[todo.pop()].names:
            if used in params:
                uses.add(used)
            elif used in derived and used not in seen:
                seen.add(used)
                todo.append(used)
    listed = ", ".join(sorted(uses)) or "constants only"
    return f" (it is a derived value, computed from {listed}: set those instead)"


def check_world(scenario: Scenario, world: str | None) -> str | None:
    """Check that ``world`` (``--world``) names a world of the scenario."""
    ids = [w.id for w in scenario.worlds]
    if world is not None and world not in ids:
        known = f" (the scenario's worlds: {', '.join(ids)})" if ids else " (the scenario defines no [worlds])"
        raise ScenarioError.single(scenario.path, "--world", f"unknown world '{world}'{known}", suggest(world, ids))
    return world


def _options(scenario: Scenario, solver: str | None, rationality: float | None) -> tuple[str, float]:
    path = _scenario(scenario).path
    solver = _arg.choice("solver", solver or scenario.simulation.solver, SOLVERS, file=path)
    rationality = _arg.positive(
        "rationality", scenario.simulation.rationality if rationality is None else rationality, file=path
    )
    return solver, rationality


def _draws(scenario: Scenario, draws: Any, default: int | None = None) -> int:
    """``draws``, or the default (the scenario's), as a checked whole number > 0."""
    if draws is None:
        return default if default is not None else scenario.simulation.draws
    return _arg.whole("draws", draws, maximum=MAX_DRAWS, file=scenario.path)


#: Draws in all from which every core is used by default: workers started by fork (a millisecond
#: each; measured on defense_clause: 100,000 draws 0.19 s on two against 0.23 s on one, 65,536
#: draws even), or as fresh interpreters.
FORKED_FROM = 100_000
SPAWNED_FROM = 1_000_000


def default_workers(workers: int | None, total_draws: int, *, file: str = "") -> int:
    """``workers`` (checked), or the one default of every command: all cores for big jobs, else 1.

    Big is :data:`FORKED_FROM` draws in all where workers start by fork (Linux,
    from a process without other threads: the command line) and
    :data:`SPAWNED_FROM` elsewhere (a fresh interpreter per worker costs about
    half a second). Results never depend on the number of workers.
    """
    if workers is None:
        from trapsim import runner  # not at import: `validate` (trapsim.api.files) does not load the runner

        big = FORKED_FROM if runner.forks() else SPAWNED_FROM
        return runner.default_workers() if total_draws >= big else 1
    return _arg.whole("workers", workers, file=file)


def _analysis_setup(
    scenario: Scenario,
    seed: int | None,
    solver: str | None,
    rationality: float | None,
    values: Mapping[str, float] | None,
) -> tuple[Scenario, int, str, float]:
    """Options of the analyses: the scenario with ``values`` fixed, a seed, solver, rationality."""
    solver, rationality = _options(scenario, solver, rationality)
    fixed = check_values(scenario, values)
    if fixed:
        scenario = scenario.with_values(fixed)
    seed = _arg.seed(seed, file=scenario.path)
    if seed is None:
        seed = scenario.simulation.seed
    if seed is None:
        seed = fresh_seed()
    return scenario, seed, solver, rationality
