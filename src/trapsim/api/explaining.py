"""Telling a game as a story and attributing each trap to the actor graph's ties."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from trapsim import arguments as _arg
from trapsim import explain as _explain
from trapsim.api._checks import _options, _scenario, check_values, check_world
from trapsim.api.running import simulate
from trapsim.model import Scenario
from trapsim.runner import Result
from trapsim.sampling import fresh_seed

if TYPE_CHECKING:
    from trapsim.attribution import Attribution


def explain(
    scenario: Scenario,
    *,
    values: Mapping[str, float] | None = None,
    solver: str | None = None,
    rationality: float | None = None,
    at: str | None = None,
    world: str | None = None,
    full: bool = True,
) -> _explain.Explanation:
    """Solve the game once (as :func:`solve`) and tell it as a story in plain English.

    ``at`` tells the game from that node on, as if it were reached. ``full=False``
    tells each action not taken on the path down to its first decisions and
    deeper parts in one line each (``trapsim explain`` without ``--full``).
    """
    solver, rationality = _options(scenario, solver, rationality)
    return _explain.explain(
        scenario,
        values=check_values(scenario, values),
        solver=solver,
        rationality=rationality,
        at=at,
        world=check_world(scenario, world),
        full=full,
    )


def attribute(
    scenario: Scenario,
    *,
    draws: int | None = None,
    seed: int | None = None,
    solver: str | None = None,
    rationality: float | None = None,
    values: Mapping[str, float] | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Attribution:
    """Which tie of the actor graph springs each trap? See :mod:`trapsim.attribution`.

    For every relation with ``absent`` and every trap, on the same draws: the
    share of the trap's firings that depend on the tie and the share of draws
    where the tie prevents it. Options as for :func:`simulate` (the trap
    rates in ``result`` are exactly those of ``simulate`` with the same options).
    """
    from trapsim import attribution as _attribution

    scenario = _scenario(scenario)
    seed = _arg.seed(seed, file=scenario.path)
    seed_given = seed is not None or scenario.simulation.seed is not None
    if not seed_given:
        seed = fresh_seed()

    def run(extended: Scenario) -> Result:
        res = simulate(
            extended,
            draws=draws,
            seed=seed,
            solver=solver,
            rationality=rationality,
            values=values,
            workers=workers,
            progress=progress,
        )
        res.seed_given = seed_given
        return res

    return _attribution.attribute(scenario, run)
