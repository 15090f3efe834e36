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

from trapsim import arguments as _arg
from trapsim import efg, equilibrium, runner
from trapsim import explain as _explain
from trapsim import sweeps as _sweeps
from trapsim.elicitation import KINDS, Judgement, judgements_csv
from trapsim.equilibrium import AllSPE, Equilibrium, central_values
from trapsim.errors import ArgumentError, ScenarioError, TrapsimError, suggest
from trapsim.model import MAX_DRAWS, MAX_STEPS, Distribution, Scenario
from trapsim.output import pandas, write_text_atomic
from trapsim.runner import Result
from trapsim.sampling import fresh_seed
from trapsim.scenario import SOLVERS, parse_assignment
from trapsim.scenario import library as _library
from trapsim.scenario import load as _load
from trapsim.scenario.library import LibraryEntry
from trapsim.sweeps import SweepResult, grid_values

if TYPE_CHECKING:
    from trapsim.analysis import Discovery, SensitivityResult
    from trapsim.analysis.drivers import Drivers
    from trapsim.attribution import Attribution
    from trapsim.comparison import Comparison
    from trapsim.report import Section

__all__ = [
    "KINDS",
    "AllSPE",
    "ArgumentError",
    "Equilibrium",
    "Judgement",
    "LibraryEntry",
    "Result",
    "Scenario",
    "SweepResult",
    "TrapsimError",
    "all_spe",
    "analysis_cost",
    "attribute",
    "attribution_section",
    "central_values",
    "check_supported",
    "check_values",
    "compare",
    "default_workers",
    "describe_sensitivity",
    "discover",
    "discovery_draws",
    "drivers",
    "drivers_section",
    "efg_to_toml",
    "explain",
    "fit_judgement",
    "format_limit",
    "game_tree",
    "grid_values",
    "judgement_support",
    "judgements_csv",
    "library",
    "load",
    "parameter_ranges",
    "parse_assignment",
    "per_draw",
    "per_draw_frame",
    "prior_density",
    "report",
    "reproduce_command",
    "sensitivity",
    "simulate",
    "solve",
    "starter_scenario",
    "sweep",
    "to_efg",
    "trap_probability",
    "with_pooled_priors",
    "write_report",
    "write_text_atomic",
]


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file (TOML, or Gambit ``.efg``), or a bundled scenario by name.

    ``load("defense_clause")`` reads the bundled scenario of that name (see
    :func:`library`) when no file of that name exists here.
    """
    if not Path(path).exists() and _library.is_bare_name(path):
        bundled = _library.find(path)
        if bundled is None:
            raise ScenarioError.single(
                str(path),
                "",
                "cannot read file: no such file here, and no bundled scenario of that name (trapsim list)",
                _library.did_you_mean(path),
            )
        path = bundled
    if str(path).lower().endswith(".efg"):
        return efg.load_efg(path)
    return _load(path)


def library() -> list[LibraryEntry]:
    """The bundled scenarios: ``name``, ``path`` and ``title`` of each (``trapsim list``)."""
    return _library.library()


def starter_scenario(name: str) -> str:
    """A commented starting scenario called ``name`` that validates, as TOML text (``trapsim init``)."""
    try:
        return _library.starter_scenario(name)
    except ValueError as exc:
        raise ScenarioError.single("", "name", str(exc), _library.as_name(name)) from None


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


def default_workers(workers: int | None, total_draws: int, *, file: str = "") -> int:
    """``workers`` (checked), or the one default of every command: all cores for a million draws or more, else 1.

    Results never depend on the number of workers; below a million draws
    starting processes costs more than it saves.
    """
    if workers is None:
        return runner.default_workers() if total_draws >= 1_000_000 else 1
    return _arg.whole("workers", workers, file=file)


def solve(
    scenario: Scenario,
    *,
    values: Mapping[str, float] | None = None,
    solver: str | None = None,
    rationality: float | None = None,
    world: str | None = None,
) -> equilibrium.Equilibrium:
    """Solve the game once at central values (or ``values``); with ``world``, that counterfactual world's game."""
    solver, rationality = _options(scenario, solver, rationality)
    return equilibrium.solve(
        scenario,
        values=check_values(scenario, values),
        solver=solver,
        rationality=rationality,
        world=check_world(scenario, world),
    )


def explain(
    scenario: Scenario,
    *,
    values: Mapping[str, float] | None = None,
    solver: str | None = None,
    rationality: float | None = None,
    at: str | None = None,
    world: str | None = None,
) -> _explain.Explanation:
    """Solve the game once (as :func:`solve`) and tell it as a story in plain English.

    ``at`` tells the game from that node on, as if it were reached.
    """
    solver, rationality = _options(scenario, solver, rationality)
    return _explain.explain(
        scenario,
        values=check_values(scenario, values),
        solver=solver,
        rationality=rationality,
        at=at,
        world=check_world(scenario, world),
    )


def all_spe(scenario: Scenario, *, values: Mapping[str, float] | None = None, limit: int = 100) -> equilibrium.AllSPE:
    """Every subgame-perfect equilibrium at central values (or ``values``), up to ``limit``."""
    return equilibrium.all_spe(scenario, values=check_values(scenario, values), limit=_arg.whole("limit", limit))


def to_efg(scenario: Scenario, *, values: Mapping[str, float] | None = None) -> str:
    """The scenario's game at central values (or ``values``) as Gambit ``.efg`` text."""
    return efg.write_efg(scenario, values=check_values(scenario, values))


def efg_to_toml(path: str) -> str:
    """A starting scenario TOML for a Gambit ``.efg`` file."""
    return efg.efg_to_toml(path)


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
        Local processes [default: all cores for sweeps of a million draws or
        more (and for ``scheduler="local"``), else 1]. Results do not depend on it.
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


# ------------------------------------------------------------------ analysis


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


def drivers_section(
    result: Result, *, method: str = "sobol", samples: int | None = None, draws: int | None = None
) -> Section:
    """The "What drives each trap" section of the HTML report for a finished run.

    Runs :func:`drivers` with the run's scenario, seed, solver and rationality
    and returns a :class:`trapsim.report.Section` placed after the trap rates
    (pass it to :func:`trapsim.report.build_report` as ``extra_sections``).
    """
    from trapsim import report
    from trapsim.figures.analysis import drivers_figures

    sec = drivers(
        result.scenario,
        method=method,
        samples=samples,
        draws=draws,
        seed=result.seed,
        solver=result.solver,
        rationality=result.rationality,
    )
    figs = {slug: report.figure_html(fig, caption) for slug, caption, fig in drivers_figures(sec)}
    parts = [f"<p>{report.esc(sec.intro)}</p>", figs.get("drivers", "")]
    for t in sec.traps:
        parts.append(f"<h3>{report.esc(t.title)}</h3><p>{report.esc(t.paragraph)}</p>")
        parts.extend(figs.get(f"{t.trap}_{kind}", "") for kind in ("sensitivity", "box"))
    return report.Section("drivers", sec.heading, "".join(parts), after="traps")


def attribution_section(result: Result) -> Section | None:
    """The report's "Which tie springs each trap" section, or ``None`` when no relation declares ``absent``.

    Runs :func:`attribute` with the run's scenario, draws, seed, solver,
    rationality and fixed values, so its trap rates are the run's.
    """
    from trapsim import attribution as _attribution
    from trapsim import report
    from trapsim.report.ties import attribution_html

    sc = result.scenario
    if not _attribution.attributable(sc):
        return None
    att = attribute(
        sc,
        draws=result.draws,
        seed=result.seed,
        solver=result.solver,
        rationality=result.rationality,
        values=result.values or None,
        workers=result.workers,
    )
    return report.Section("ties", "Which tie springs each trap", attribution_html(att), after="traps")


def report(result: Result, *, command: str | None = None, extra_sections: Sequence[Section] = ()) -> str:
    """The one-file HTML report of a finished run (``trapsim report``).

    See :func:`trapsim.report.build_report`; ``extra_sections`` adds
    :class:`trapsim.report.Section` objects (e.g. :func:`drivers_section`).
    Write it with :func:`trapsim.report.write_report`.
    """
    from trapsim import report as _report  # matplotlib is slow to import: only when needed

    return _report.build_report(result, command=command, extra_sections=extra_sections)


def handout(result: Result, path: str | Path, *, command: str | None = None) -> Path:
    """Write the two-page A4 PDF handout of a finished run (``trapsim report --handout``).

    Page 1: the headline answers and the game tree; page 2: trap rates,
    outcomes, the actors and the scenario's discussion questions.
    """
    from trapsim import report as _report
    from trapsim.report.handout import write_handout

    return write_handout(result, path, command=command or _report.reproduce_command(result))


# ------------------------------------------------------------------ explorer and classroom poll


def parameter_ranges(scenario: Scenario) -> dict[str, tuple[float, float, float]]:
    """``{parameter: (low, central, high)}`` for every uncertain parameter: a slider's range.

    The support's ends for bounded distributions, else the 0.5% and 99.5% quantiles.
    """
    from trapsim.sampling import central_value, ppf

    out = {}
    for p in scenario.parameters:
        a, kind = p.dist.args, p.dist.kind
        if kind == "constant":
            continue
        if kind in ("uniform", "triangular", "beta"):
            lo, hi = a.get("low", 0.0), a.get("high", 1.0)
        elif kind == "bernoulli":
            lo, hi = 0.0, 1.0
        elif kind == "choice":
            lo, hi = min(a["values"]), max(a["values"])
        else:
            lo, hi = (float(v) for v in ppf(p.dist, np.array([0.005, 0.995])))
        out[p.name] = (float(lo), central_value(p.dist), float(hi))
    return out


def fit_judgement(scenario: Scenario, judgement: Judgement) -> Distribution:
    """A student's judgement about one parameter, fitted (see :mod:`trapsim.elicitation`).

    Raises a one-problem :class:`ScenarioError` (key: the parameter) saying what was wrong.
    """
    from trapsim import elicitation

    try:
        where = elicitation.support(scenario.parameter(judgement.parameter), scenario.classroom.ranges)
        return elicitation.fit(judgement, where)
    except KeyError:
        names = [p.name for p in scenario.parameters]
        raise ScenarioError.single(
            scenario.path,
            judgement.parameter,
            f"unknown parameter '{judgement.parameter}'",
            suggest(judgement.parameter, names),
        ) from None
    except ValueError as exc:
        raise ScenarioError.single(scenario.path, judgement.parameter, str(exc)) from None


def with_pooled_priors(scenario: Scenario, judgements: Sequence[Judgement] | str | Path) -> Scenario:
    """The scenario with each judged parameter's prior replaced by the students' equal-weight pool.

    ``judgements`` are :class:`~trapsim.elicitation.Judgement` objects or the path of
    a judgements CSV (as the classroom export writes; ``trapsim run --priors``).
    """
    from trapsim import elicitation

    where = "<judgements>"
    if isinstance(judgements, str | Path):
        where = str(judgements)
        try:
            with open(judgements, "rb") as fh:
                raw = fh.read(_MAX_PRIORS_BYTES + 1)
        except OSError as exc:
            raise ScenarioError.single(where, "", f"cannot read file: {exc.strerror or exc}") from None
        if len(raw) > _MAX_PRIORS_BYTES:
            raise ScenarioError.single(where, "", f"file larger than {_MAX_PRIORS_BYTES // 1_000_000} MB")
        try:
            judgements = elicitation.read_judgements(raw.decode("utf-8"), path=where)
        except UnicodeDecodeError:
            raise ScenarioError.single(where, "", "file is not UTF-8 text") from None
    priors = elicitation.pooled_priors(scenario, judgements, path=where)
    return elicitation.with_priors(scenario, priors)


_MAX_PRIORS_BYTES = 20_000_000


def prior_density(dist: Distribution, grid: Sequence[float]) -> list[float]:
    """The density of a parameter's distribution (a pool averages its components) on ``grid``."""
    from trapsim import elicitation

    return [float(v) for v in elicitation.density(dist, np.asarray(grid, dtype=np.float64))]


def judgement_support(scenario: Scenario, name: str) -> Any:
    """Where judgements about parameter ``name`` may lie, and the family fitted (an ``elicitation.Support``)."""
    from trapsim import elicitation

    return elicitation.support(scenario.parameter(name), scenario.classroom.ranges)


def game_tree(scenario: Scenario) -> list[tuple[str, str, int, int]]:
    """The game tree, shared subtrees unfolded, in pre-order: ``(id, copy name, parent, action index)``.

    ``parent`` is the position of the parent (-1 for the root); the copy name is
    the id of a node reached by one history, else ``id[a,b]`` (see :mod:`trapsim.unfolding`),
    and it keys the branch counts of a run (``Result.edge_counts``).
    """
    from trapsim.unfolding import unfold

    nodes = scenario.nodes
    places = unfold(scenario.root, {n: v.targets for n, v in nodes.items()}, {n: v.actions for n, v in nodes.items()})
    return [(p.id, p.name, p.parent, p.action_in_parent) for p in places]


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


def reproduce_command(result: Result) -> str:
    """The ``trapsim run`` command that reproduces ``result`` (shown in the report)."""
    from trapsim import report as _report

    return _report.reproduce_command(result)


def write_report(path: str | Path, page: str) -> Path:
    """Write a report page (from :func:`report`) atomically; returns the path."""
    from trapsim import report as _report

    return _report.write_report(path, page)


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
