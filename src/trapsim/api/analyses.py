"""Trap probabilities, sensitivity, scenario discovery and the drivers of each trap."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from trapsim import arguments as _arg
from trapsim.api._checks import _analysis_setup, _draws
from trapsim.model import Scenario
from trapsim.runner import Result

if TYPE_CHECKING:
    from trapsim.analysis import Discovery, SensitivityResult
    from trapsim.analysis.drivers import Drivers


def trap_probability(
    source: Scenario | Result,
    params: Mapping[str, Any] | None = None,
    *,
    draws: int | None = None,
    seed: int | None = None,
    solver: str | None = None,
    rationality: float | None = None,
    values: Mapping[str, float] | None = None,
    part: str = "fired",
) -> dict[str, np.ndarray]:
    """The exact probability that each trap fires, per draw: ``{trap: array (draws,)}``.

    In one draw only the chance nodes (and ``qre`` choices) are left to
    chance, so each trap fires with a probability that is a function of the
    parameters (see :mod:`trapsim.analysis.probability`). Its mean over draws
    estimates the trap's rate with less noise than counting.

    Parameters
    ----------
    source
        A scenario, or a :class:`Result`: then the run's own draws are used
        (its scenario, seed, draw count, solver and rationality), so
        ``trap_probability(result)["t"][i]`` is the probability that draw ``i``
        of that run fires trap ``t``.
    params
        ``{parameter: array (n,) or number}`` for every uncertain parameter:
        evaluate at these points instead of sampling.
    draws, seed, solver, rationality, values
        As for :func:`simulate` (with a scenario and no ``params``).
    part
        ``"fired"``: the probability that the trap fires (for a conditional
        trap, that ``when`` and ``given`` both hold). ``"given"``: the
        probability that its ``given`` holds (1 for a trap without one). A
        run's conditional rate is estimated by ``fired.sum() / given.sum()``.

    Traps that name counterfactual worlds are exact too: the real and the
    world paths share the draw's chance uniforms, and the probability is over
    their joint distribution (see :mod:`trapsim.analysis.probability`).
    """
    if part not in ("fired", "given"):
        raise ValueError(f"part: expected 'fired' or 'given', got {part!r}")
    from trapsim.analysis import probability

    if isinstance(source, Result):
        scenario, seed_, solver_, rationality_ = (source.scenario, source.seed, source.solver, source.rationality)
        n = source.draws
    else:
        scenario, seed_, solver_, rationality_ = _analysis_setup(source, seed, solver, rationality, values)
        n = _draws(scenario, draws)
    if params is not None:
        probs = probability.probabilities_at(scenario, params, solver=solver_, rationality=rationality_)
    else:
        _, probs = probability.sample_probabilities(
            scenario, draws=n, entropy=seed_, solver=solver_, rationality=rationality_
        )
    if part == "given":
        return {t: probs.given_or_one(t) for t in probs.fired}
    return probs.fired


def sensitivity(
    scenario: Scenario,
    *,
    traps: Sequence[str] | None = None,
    method: str = "sobol",
    samples: int | None = None,
    seed: int | None = None,
    solver: str | None = None,
    rationality: float | None = None,
    values: Mapping[str, float] | None = None,
    progress: Callable[[int], None] | None = None,
) -> SensitivityResult:
    """Sobol' (or Morris) indices of each trap's probability to every uncertain parameter.

    See :func:`trapsim.analysis.sensitivity.sensitivity`. Parameters fixed with
    ``values`` are left out; ``seed`` defaults to the scenario's.
    """
    from trapsim.analysis import sensitivity as _sensitivity

    scenario, seed, solver, rationality = _analysis_setup(scenario, seed, solver, rationality, values)
    samples = None if samples is None else _arg.whole("samples", samples, file=scenario.path)
    return _sensitivity.sensitivity(
        scenario,
        traps=list(traps) if traps else None,
        method=method,
        samples=samples,
        seed=seed,
        solver=solver,
        rationality=rationality,
        progress=progress,
    )


def discover(
    scenario: Scenario,
    trap: str,
    *,
    threshold: float | None = None,
    draws: int | None = None,
    seed: int | None = None,
    solver: str | None = None,
    rationality: float | None = None,
    values: Mapping[str, float] | None = None,
    boxes: int = 2,
    min_coverage: float = 0.5,
    alpha: float = 0.05,
    method: str = "prim",
    max_depth: int = 3,
    progress: Callable[[int], None] | None = None,
) -> Discovery:
    """Scenario discovery: PRIM boxes (or CART rules) of parameter space where ``trap`` is likely.

    See :func:`trapsim.analysis.discovery.discover`. ``draws`` defaults to
    20,000 (as many again test the boxes); ``seed`` to the scenario's.
    """
    from trapsim.analysis import discovery as _discovery

    scenario, seed, solver, rationality = _analysis_setup(scenario, seed, solver, rationality, values)
    return _discovery.discover(
        scenario,
        trap,
        seed=seed,
        threshold=threshold,
        draws=_draws(scenario, draws, _discovery.DEFAULT_DRAWS),
        solver=solver,
        rationality=rationality,
        max_boxes=boxes,
        alpha=alpha,
        min_coverage=min_coverage,
        method=method,
        max_depth=max_depth,
        progress=progress,
    )


def drivers(
    scenario: Scenario,
    *,
    traps: Sequence[str] | None = None,
    method: str = "sobol",
    samples: int | None = None,
    draws: int | None = None,
    seed: int | None = None,
    solver: str | None = None,
    rationality: float | None = None,
    values: Mapping[str, float] | None = None,
) -> Drivers:
    """The "What drives each trap" report section: sensitivity and discovery for every trap.

    See :func:`trapsim.analysis.drivers.drivers`; its figures:
    :func:`trapsim.figures.analysis.drivers_figures`.
    """
    from trapsim.analysis import discovery as _discovery
    from trapsim.analysis import drivers as _drivers

    scenario, seed, solver, rationality = _analysis_setup(scenario, seed, solver, rationality, values)
    return _drivers.drivers(
        scenario,
        seed=seed,
        traps=list(traps) if traps else None,
        method=method,
        samples=samples,
        draws=_draws(scenario, draws, _discovery.DEFAULT_DRAWS),
        solver=solver,
        rationality=rationality,
    )


# ------------------------------------------------------------------ for the command line
# Thin helpers, so that the CLI calls api and figures only (import-linter checks it).


def analysis_cost(scenario: Scenario, *, method: str, samples: int | None, values: Mapping[str, float] | None) -> int:
    """Solved games a :func:`sensitivity` run costs (``N x (d + 2)`` for Sobol', ``N x (d + 1)`` for Morris)."""
    from trapsim.analysis.probability import uncertain_parameters
    from trapsim.analysis.sensitivity import DEFAULT_SAMPLES

    fixed = values or {}
    d = sum(1 for name in uncertain_parameters(scenario) if name not in fixed)
    n = samples or DEFAULT_SAMPLES[method]
    return n * (d + 2) if method == "sobol" else n * (d + 1)


def check_supported(scenario: Scenario) -> None:
    """Refuse, before any run, a scenario that :func:`sensitivity` and :func:`discover` cannot analyse."""
    from trapsim.analysis.probability import check_supported as _check

    _check(scenario)


def describe_sensitivity(result: SensitivityResult, trap: str) -> str:
    """The sensitivity of ``trap`` said in one paragraph of plain words."""
    from trapsim.analysis.drivers import describe_sensitivity as _describe

    return _describe(result, trap)


def discovery_draws(draws: int | None) -> int:
    """The draws :func:`discover` searches: ``draws``, else its default (as many again test the boxes)."""
    from trapsim.analysis.discovery import DEFAULT_DRAWS

    return draws or DEFAULT_DRAWS


def format_limit(value: float, span: float) -> str:
    """A box limit of :func:`discover`, rounded to what the parameter's range ``span`` warrants."""
    from trapsim.analysis.discovery import number

    return number(value, span)
