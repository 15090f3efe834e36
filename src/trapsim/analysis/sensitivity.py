"""Global sensitivity of each trap's probability to the uncertain parameters (SALib).

The quantity analysed is ``P(trap | theta)``, the exact probability that the
trap fires given a parameter vector (:mod:`trapsim.analysis.probability`).
SALib designs live on the unit hypercube; each column is pushed through its
parameter's inverse CDF (:func:`trapsim.sampling.ppf`), so every parameter is
sampled from its own distribution. Constants (and parameters fixed with
``values``) are left out.

* ``sobol``: SALib's Sobol' sampler (Saltelli's scheme, first and total order
  only: ``N * (D + 2)`` evaluations for ``D`` parameters) and estimator, with
  bootstrap confidence intervals. ``S1`` is the share of the variance of the
  trap probability explained by the parameter alone, ``ST`` the share it is
  involved in, interactions included. Convergence is checked by recomputing
  the indices on the first half of the design (a Sobol' design of ``N/2``).
* ``morris``: elementary effects on a 4-level grid placed at the quantiles
  1/8, 3/8, 5/8, 7/8 (so unbounded distributions stay finite); each step moves
  one parameter by two levels (half its quantile range, e.g. from its 1/8 to
  its 5/8 quantile). ``mu_star`` is the mean absolute change of the trap
  probability over such steps, ``sigma`` their spread (interactions or
  non-linearity): a screening measure, cheap, ``r * (D + 1)`` runs.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trapsim.analysis.memory import refuse_beyond_memory
from trapsim.analysis.probability import check_traps, probabilities_at, uncertain_parameters
from trapsim.errors import ScenarioError
from trapsim.model import Scenario
from trapsim.output import short_repr
from trapsim.runner.result import json_meta
from trapsim.sampling import ppf

__all__ = ["DEFAULT_SAMPLES", "METHODS", "SensitivityResult", "sensitivity"]

METHODS = ("sobol", "morris")
#: Default base samples: Sobol' ``N`` (a power of 2) and Morris trajectories.
DEFAULT_SAMPLES = {"sobol": 8192, "morris": 100}
_LEVELS = 4  # Morris grid levels
_EPS = 1e-9  # keep uniforms off 0 and 1 (unbounded distributions)
_RESAMPLES = 100  # bootstrap resamples for the confidence intervals (SALib's default)
#: The indices reported per parameter, by method.
_KEYS = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "sigma", "mu"),
}


@dataclass
class SensitivityResult:
    """Sensitivity indices of every analysed trap.

    Attributes
    ----------
    indices
        ``{trap: {parameter: {"S1", "S1_conf", "ST", "ST_conf"}}}`` (Sobol') or
        ``{"mu_star", "mu_star_conf", "sigma", "mu"}`` (Morris). ``None`` where a
        trap's probability does not vary over the design (nothing to explain).
    convergence
        ``{trap: {"half_samples": N/2, "max_abs_change_ST": x, "max_abs_change_S1": x}}``
        (Morris: ``max_abs_change_mu_star``, relative to the largest mu_star).
    mean, sd
        Mean and standard deviation of the trap probability over the design.
    """

    scenario: Scenario
    method: str
    samples: int
    evaluations: int
    seed: int
    solver: str
    rationality: float
    parameters: list[str]
    excluded: list[str]
    indices: dict[str, dict[str, dict[str, float | None]]]
    convergence: dict[str, dict[str, float]]
    mean: dict[str, float]
    sd: dict[str, float]
    notes: dict[str, str] = field(default_factory=dict)
    #: For conditional traps: ``given_mean`` (mean P(given | parameters) over the design),
    #: ``can_hold`` (share of design points where it is positive) and ``rate``
    #: (the conditional rate over the design, sum of joint / sum of given).
    conditional: dict[str, dict[str, float | None]] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def key(self) -> str:
        """The index used to rank parameters: ``ST`` (Sobol') or ``mu_star`` (Morris)."""
        return "ST" if self.method == "sobol" else "mu_star"

    def ranking(self, trap: str) -> list[str]:
        """Parameters from most to least influential for ``trap`` (file order on ties)."""
        idx = self.indices[trap]
        order = {p: i for i, p in enumerate(self.parameters)}
        return sorted(self.parameters, key=lambda p: (-(idx[p][self.key] or 0.0), order[p]))

    def instability(self, trap: str, *, tolerance: float = 0.1) -> str | None:
        """One line saying why ``trap``'s Sobol' indices cannot be trusted yet, or ``None``.

        Unstable: an S1 negative beyond its 95% interval (impossible for a
        variance share: sampling noise dominates), or indices that moved by
        more than ``tolerance`` between the first half of the design and all of it.
        """
        if self.method != "sobol" or not self.indices.get(trap):
            return None
        idx = self.indices[trap]
        negative = [
            p
            for p in self.parameters
            if (idx[p]["S1"] or 0.0) + (idx[p]["S1_conf"] or 0.0) < 0  # below its interval
        ]
        moved = max(self.convergence.get(trap, {}).get(k, 0.0) for k in ("max_abs_change_ST", "max_abs_change_S1"))
        if not negative and moved <= tolerance:
            return None
        why = []
        if negative:
            p = negative[0]
            why.append(f"S1 of {p} is {idx[p]['S1']:.3f} ± {idx[p]['S1_conf']:.3f}, below 0 beyond its interval")
        if moved > tolerance:
            why.append(f"the indices moved by up to {moved:.2f} from N = {self.samples // 2:,} to {self.samples:,}")
        return f"unstable: {'; '.join(why)}; rerun with --draws {2 * self.samples} or more"

    def __repr__(self) -> str:
        top = ", ".join(f"{t}: {', '.join(self.ranking(t)[:3])}" for t in self.indices if self.indices[t])
        return short_repr("SensitivityResult", self.scenario.name, f"{self.method}, N = {self.samples:,}", top)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``trapsim sensitivity --json``."""
        sc = self.scenario
        return {
            "method": self.method,
            "samples": self.samples,
            "traps": {t: {p: dict(v[p]) for p in self.ranking(t)} for t, v in self.indices.items()},
            "scenario": sc.name,
            "evaluations": self.evaluations,
            "seed": self.seed,
            "solver": self.solver,
            "parameters": list(self.parameters),
            "excluded": list(self.excluded),
            "ranking": {t: self.ranking(t) for t in self.indices},
            "probability": {t: {"mean": self.mean[t], "sd": self.sd[t]} for t in self.indices},
            "convergence": self.convergence,
            "notes": dict(self.notes),
            "conditional": dict(self.conditional),
            "meta": json_meta(sc, elapsed_s=self.elapsed_s),
        }


def _problem(method: str, names: list[str]) -> dict[str, Any]:
    """SALib's problem on the unit cube; Morris levels sit at the centres of equal-probability bins."""
    low = 0.0 if method == "sobol" else 0.5 / _LEVELS
    return {"num_vars": len(names), "names": list(names), "bounds": [[low, 1 - low]] * len(names)}


def _rng_seed(entropy: int, purpose: int) -> int:
    """A positive 32-bit seed for SALib, derived from the root seed (never 0: SALib ignores 0)."""
    return int(np.random.SeedSequence(entropy, spawn_key=(purpose,)).generate_state(1)[0]) | 1


def _design(scenario: Scenario, names: list[str], method: str, samples: int, entropy: int) -> np.ndarray:
    """The SALib design on the unit hypercube, ``(evaluations, parameters)``."""
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    if method == "sobol":
        u = sobol_sample.sample(_problem(method, names), samples, calc_second_order=False, seed=_rng_seed(entropy, 1))
        return np.clip(u, _EPS, 1 - _EPS)
    return morris_sample.sample(_problem(method, names), samples, num_levels=_LEVELS, seed=_rng_seed(entropy, 1))


def _analyze(
    method: str,
    names: list[str],
    u: np.ndarray,
    y: np.ndarray,
    entropy: int,
    resamples: int = _RESAMPLES,
) -> tuple[dict[str, dict[str, float | None]], bool]:
    """SALib's estimator on one output; also whether SALib warned (e.g. a rare trap).

    ``resamples`` bootstrap resamples give the confidence intervals (2 when
    only the point estimates are wanted).
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if method == "sobol":
            si = sobol_analyze.analyze(
                _problem(method, names),
                y,
                calc_second_order=False,
                num_resamples=resamples,
                seed=_rng_seed(entropy, 2),
            )
        else:
            si = morris_analyze.analyze(
                _problem(method, names),
                u,
                y,
                num_resamples=resamples,
                num_levels=_LEVELS,
                seed=_rng_seed(entropy, 2),
            )
    # SALib divides Morris effects by the grid step in unit-cube terms (2/3 for 4 levels);
    # undo it, so mu* is the change in probability for one step between quantile levels
    scale = 1.0 if method == "sobol" else _LEVELS / (2 * (_LEVELS - 1))
    out = {p: {k: _finite(si[k][j] * scale) for k in _KEYS[method]} for j, p in enumerate(names)}
    return out, bool(caught)


def _finite(x: Any) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def _constant(method: str, names: list[str]) -> dict[str, dict[str, float | None]]:
    return {p: dict.fromkeys(_KEYS[method]) for p in names}


def _max_change(a: dict[str, dict[str, float | None]], b: dict[str, dict[str, float | None]], key: str) -> float:
    return max((abs((a[p][key] or 0.0) - (b[p][key] or 0.0)) for p in a), default=0.0)


def sensitivity(
    scenario: Scenario,
    *,
    traps: list[str] | None = None,
    method: str = "sobol",
    samples: int | None = None,
    seed: int,
    solver: str = "spe",
    rationality: float = 10.0,
    progress: Callable[[int], None] | None = None,
) -> SensitivityResult:
    """Global sensitivity indices of each trap's probability to every uncertain parameter.

    Parameters
    ----------
    scenario
        The scenario (parameters fixed with ``--set`` already made constants).
    traps
        Trap ids to analyse (default: all).
    method
        ``"sobol"`` (S1/ST with bootstrap intervals) or ``"morris"`` (mu*/sigma).
    samples
        Sobol': base sample ``N``, a power of 2 (``N * (D + 2)`` evaluations);
        Morris: number of trajectories (``r * (D + 1)`` evaluations).
    seed
        Root seed for the design and the bootstrap.
    progress
        Called with the number of evaluations finished after each chunk.
    """
    start = time.perf_counter()
    samples = _checked_samples(scenario, method, samples)
    chosen = check_traps(scenario, traps or [])
    if not chosen:
        raise ScenarioError.single(scenario.path, "traps", "the scenario defines no traps to analyse")
    names = uncertain_parameters(scenario)
    excluded = [p.name for p in scenario.parameters if p.dist.kind == "constant"]
    if not names:
        raise ScenarioError.single(scenario.path, "parameters", "every parameter is a constant: nothing to analyse")
    _check_memory(method, samples, len(names), len(chosen))
    u = _design(scenario, names, method, samples, seed)
    params = {name: ppf(scenario.parameter(name).dist, u[:, j]) for j, name in enumerate(names)}
    probs = probabilities_at(scenario, params, solver=solver, rationality=rationality, progress=progress)
    del params

    indices: dict[str, dict[str, dict[str, float | None]]] = {}
    convergence: dict[str, dict[str, float]] = {}
    notes: dict[str, str] = {}
    mean: dict[str, float] = {}
    sd: dict[str, float] = {}
    conditional: dict[str, dict[str, float | None]] = {}
    for tid in chosen:
        y = probs.fired[tid]  # for a conditional trap: the joint P(when and given | theta)
        mean[tid], sd[tid] = float(y.mean()), float(y.std())
        said = []
        if tid in probs.given:
            conditional[tid] = _conditional(y, probs.given[tid])
            said.append(_CONDITIONAL_NOTE)
        indices[tid], moved, note = _trap_indices(method, names, u, y, seed, samples)
        if moved is not None:
            convergence[tid] = moved
        if note:
            said.append(note)
        if said:
            notes[tid] = "; ".join(said)
    evaluations = int(u.shape[0])
    return SensitivityResult(
        scenario=scenario,
        method=method,
        samples=samples,
        evaluations=evaluations,
        seed=seed,
        solver=solver,
        rationality=rationality,
        parameters=names,
        excluded=excluded,
        indices=indices,
        convergence=convergence,
        mean=mean,
        sd=sd,
        notes=notes,
        conditional=conditional,
        elapsed_s=time.perf_counter() - start,
    )


_CONDITIONAL_NOTE = (
    "conditional trap: the indices explain the joint probability P(when and given | "
    "parameters), not P(when | given): a Sobol' or Morris design cannot be restricted "
    "to the draws where given can hold (trapsim discover analyses the conditional)"
)


def _check_memory(method: str, samples: int, parameters: int, traps: int) -> None:
    """Refuse (ArgumentError on ``samples``) a design whose arrays would not fit in memory."""
    per_row = 8 * (2 * parameters + 2 * traps + 2)  # design and parameter values; each trap's P (and given)
    rows = parameters + (2 if method == "sobol" else 1)  # evaluations per base sample (or trajectory)

    def needed(n: int) -> float:
        bootstrap = 4 * 8 * n * _RESAMPLES if method == "sobol" else 0  # SALib's resampled copies, one trap
        return n * rows * per_row + bootstrap

    refuse_beyond_memory(
        "samples",
        samples,
        needed,
        what=f"{samples * rows:,} evaluations of {parameters} parameters",
        candidates=(lambda n: n // 2) if method == "sobol" else (lambda n: max(1, int(n * 0.9))),
    )


def _checked_samples(scenario: Scenario, method: str, samples: int | None) -> int:
    """The method's base samples (its default for ``None``), refused with a one-line problem when unusable."""
    if method not in METHODS:
        raise ScenarioError.single(scenario.path, "method", f"expected sobol or morris, got {method!r}")
    samples = DEFAULT_SAMPLES[method] if samples is None else int(samples)
    if method == "sobol" and (samples < 4 or samples & (samples - 1)):
        up = 1 << max(2, (max(samples, 1) - 1).bit_length())
        raise ScenarioError.single(
            scenario.path,
            "samples",
            f"Sobol' needs a power of 2 of at least 4 base samples, got {samples} (try {up})",
        )
    if method == "morris" and samples < 2:
        raise ScenarioError.single(scenario.path, "samples", f"Morris needs at least 2 trajectories, got {samples}")
    return samples


def _conditional(y: np.ndarray, g: np.ndarray) -> dict[str, float | None]:
    """A conditional trap's ``given`` over the design: its mean, where it can hold, and the conditional rate."""
    return {
        "given_mean": float(g.mean()),
        "can_hold": float(np.mean(g > 0)),
        "rate": float(y.sum() / g.sum()) if g.sum() > 0 else None,
    }


def _trap_indices(
    method: str, names: list[str], u: np.ndarray, y: np.ndarray, seed: int, samples: int
) -> tuple[dict[str, dict[str, float | None]], dict[str, float] | None, str]:
    """One trap's indices, how far they moved from half the design (``None``: not measurable), and a note."""
    if np.ptp(y) <= 1e-12:
        note = f"the probability is {y[0]:.3g} everywhere in the design: no variance to attribute"
        return _constant(method, names), {}, note
    full, warned = _analyze(method, names, u, y, seed)
    note = "the trap is rare in the design; intervals may be unreliable" if warned else ""
    return full, _convergence(method, names, u, y, seed, samples, full), note


def _convergence(
    method: str,
    names: list[str],
    u: np.ndarray,
    y: np.ndarray,
    seed: int,
    samples: int,
    full: dict[str, dict[str, float | None]],
) -> dict[str, float] | None:
    """The first half of the design is a design of half the size: how much did the indices move?"""
    rows = (samples // 2) * (len(names) + (2 if method == "sobol" else 1))
    if np.ptp(y[:rows]) <= 1e-12:
        return None
    half, _ = _analyze(method, names, u[:rows], y[:rows], seed, resamples=2)
    moved: dict[str, float] = {"half_samples": samples // 2}
    if method == "sobol":
        moved["max_abs_change_ST"] = _max_change(full, half, "ST")
        moved["max_abs_change_S1"] = _max_change(full, half, "S1")
    else:
        top = max((v["mu_star"] or 0.0) for v in full.values()) or 1.0
        moved["max_abs_change_mu_star"] = _max_change(full, half, "mu_star") / top
    return moved
