"""Students' judgements as distributions: SHELF-style fitting and the equal-weight linear pool.

A judgement about one parameter is three values with stated cumulative
probabilities: "lowest plausible" (5%), "best guess" (50%) and "highest
plausible" (95%), or three quartiles (25%, 50%, 75%). As SHELF's ``fitdist``
does, the fitted distribution minimises the sum of squared differences between
the stated probabilities and the fitted CDF at the stated values.

The family is chosen per parameter from its support (:func:`family`):

* bounded ``[low, high]`` (a ``[classroom] range``, or a uniform, triangular,
  beta or two-sided truncated normal prior): a beta on ``[low, high]``;
* a lognormal prior: a lognormal on ``(0, inf)``;
* otherwise a normal, truncated where the prior is.

Students are pooled per parameter with equal weights (SHELF's default linear
pool): a mixture whose component is picked uniformly per draw.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trapsim.errors import ScenarioError, suggest
from trapsim.model import Distribution, Parameter, Scenario

__all__ = [
    "KINDS",
    "Judgement",
    "Support",
    "fit",
    "judgements_csv",
    "pool",
    "read_judgements",
    "support",
    "with_priors",
]

#: Judgement kinds: the cumulative probabilities of the three stated values.
KINDS: dict[str, tuple[float, float, float]] = {
    "plausible": (0.05, 0.5, 0.95),
    "quartiles": (0.25, 0.5, 0.75),
}
_WORDS = ("lowest", "best guess", "highest")
_LIMIT = 1e12  # no stated value may be larger in magnitude


@dataclass(frozen=True, slots=True)
class Support:
    """Where a parameter's values may lie, and the family fitted there."""

    family: str  # "beta", "lognormal" or "normal"
    low: float = -math.inf
    high: float = math.inf

    def describe(self) -> str:
        lo = "-inf" if self.low == -math.inf else f"{self.low:g}"
        hi = "inf" if self.high == math.inf else f"{self.high:g}"
        return f"{self.family} on [{lo}, {hi}]"


@dataclass(frozen=True, slots=True)
class Judgement:
    """One student's three stated values about one parameter."""

    student: str
    parameter: str
    kind: str
    values: tuple[float, float, float]

    @property
    def probabilities(self) -> tuple[float, float, float]:
        return KINDS[self.kind]


def support(parameter: Parameter, ranges: Mapping[str, tuple[float, float]] | None = None) -> Support:
    """The support and fitted family of ``parameter`` (see the module docstring)."""
    if ranges and parameter.name in ranges:
        lo, hi = ranges[parameter.name]
        return Support("beta", float(lo), float(hi))
    d = parameter.dist
    a = d.args
    if d.kind in ("uniform", "triangular"):
        return Support("beta", float(a["low"]), float(a["high"]))
    if d.kind == "beta":
        return Support("beta", float(a.get("low", 0.0)), float(a.get("high", 1.0)))
    if d.kind == "lognormal":
        return Support("lognormal", 0.0, math.inf)
    if d.kind == "normal":
        lo, hi = float(a.get("low", -math.inf)), float(a.get("high", math.inf))
        return Support("beta", lo, hi) if math.isfinite(lo) and math.isfinite(hi) else Support("normal", lo, hi)
    if d.kind == "constant":
        return Support("normal")
    raise ValueError(f"a {d.kind} parameter cannot be judged with three values")


def check(judgement: Judgement, where: Support) -> str | None:
    """What is wrong with a judgement, in plain words, or ``None``."""
    if judgement.kind not in KINDS:
        return f"unknown kind {judgement.kind!r} (expected {' or '.join(KINDS)})"
    v = judgement.values
    for word, x in zip(_WORDS, v, strict=True):
        if not math.isfinite(x) or abs(x) > _LIMIT:
            return f"the {word} value must be a finite number"
    if not v[0] < v[1]:
        return f"the lowest value ({v[0]:g}) must be below the best guess ({v[1]:g})"
    if not v[1] < v[2]:
        return f"the best guess ({v[1]:g}) must be below the highest value ({v[2]:g})"
    if v[0] <= where.low and where.low > -math.inf:
        return f"the lowest value ({v[0]:g}) must be above {where.low:g}"
    if v[2] >= where.high and where.high < math.inf:
        return f"the highest value ({v[2]:g}) must be below {where.high:g}"
    return None


def _cdf(family: str, where: Support, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    from scipy import special  # slow to import: only when a judgement is fitted

    if family == "beta":
        z = (x - where.low) / (where.high - where.low)
        return np.asarray(special.betainc(math.exp(theta[0]), math.exp(theta[1]), z))
    if family == "lognormal":
        return np.asarray(special.ndtr((np.log(x) - theta[0]) / math.exp(theta[1])))
    mean, sd = theta[0], math.exp(theta[1])
    lo, hi = special.ndtr((where.low - mean) / sd), special.ndtr((where.high - mean) / sd)
    return np.asarray((special.ndtr((x - mean) / sd) - lo) / max(hi - lo, 1e-300))


def _start(family: str, where: Support, x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """A starting point from the best guess and the spread of the outer values."""
    from scipy import special

    zspan = float(special.ndtri(p[2]) - special.ndtri(p[0]))
    if family == "lognormal":
        return np.array([math.log(x[1]), math.log(math.log(x[2] / x[0]) / zspan)])
    if family == "normal":
        return np.array([x[1], math.log((x[2] - x[0]) / zspan)])
    z = (x - where.low) / (where.high - where.low)
    m, s = z[1], (z[2] - z[0]) / zspan
    var = min(s * s, 0.9 * m * (1 - m))
    k = m * (1 - m) / var - 1
    return np.log([max(m * k, 1e-3), max((1 - m) * k, 1e-3)])


def fit(judgement: Judgement, where: Support) -> Distribution:
    """The least-squares distribution of ``where.family`` for one checked judgement.

    Minimises ``sum_i (F(x_i) - p_i)^2`` over the family's two parameters
    (SHELF ``fitdist``). Raises ``ValueError`` if the judgement fails :func:`check`.
    """
    problem = check(judgement, where)
    if problem:
        raise ValueError(problem)
    x = np.asarray(judgement.values, dtype=np.float64)
    p = np.asarray(judgement.probabilities, dtype=np.float64)
    fam = where.family
    from scipy import optimize  # slow to import: only when fitting

    sol = optimize.least_squares(
        lambda t: _cdf(fam, where, t, x) - p,
        _start(fam, where, x, p),
        xtol=1e-14,
        ftol=1e-14,
        gtol=1e-14,
        max_nfev=2000,
    )
    t0, t1 = (float(v) for v in sol.x)
    if fam == "beta":
        return Distribution("beta", {"a": math.exp(t0), "b": math.exp(t1), "low": where.low, "high": where.high})
    if fam == "lognormal":
        return Distribution("lognormal", {"mu": t0, "sigma": math.exp(t1)})
    args = {"mean": t0, "sd": math.exp(t1)}
    args.update({k: v for k, v in (("low", where.low), ("high", where.high)) if math.isfinite(v)})
    return Distribution("normal", args)


def cdf(dist: Distribution, x: np.ndarray) -> np.ndarray:
    """The CDF of a fitted distribution (beta, lognormal or normal) at ``x``."""
    from scipy import stats  # slow to import: only when needed

    a = dist.args
    x = np.asarray(x, dtype=np.float64)
    if dist.kind == "beta":
        lo, hi = a.get("low", 0.0), a.get("high", 1.0)
        return np.asarray(stats.beta.cdf(x, a["a"], a["b"], loc=lo, scale=hi - lo))
    if dist.kind == "lognormal":
        return np.asarray(stats.lognorm.cdf(x, a["sigma"], scale=math.exp(a["mu"])))
    if dist.kind == "normal":
        where = Support("normal", a.get("low", -math.inf), a.get("high", math.inf))
        return _cdf("normal", where, np.array([a["mean"], math.log(a["sd"])]), x)
    raise ValueError(f"no CDF for {dist.kind}")


def pool(components: Sequence[Distribution]) -> Distribution:
    """The equal-weight linear pool (a mixture) of one parameter's fitted distributions."""
    if not components:
        raise ValueError("nothing to pool")
    if len(components) == 1:
        return components[0]
    return Distribution("mixture", {"components": tuple(components)})


def with_priors(scenario: Scenario, priors: Mapping[str, Distribution]) -> Scenario:
    """A copy of ``scenario`` whose named parameters take the given distributions."""
    params = tuple(dataclasses.replace(p, dist=priors[p.name]) if p.name in priors else p for p in scenario.parameters)
    return dataclasses.replace(scenario, parameters=params)


# ------------------------------------------------------------------ CSV

_COLUMNS = ("student", "parameter", "kind", "low", "mid", "high", "p_low", "p_mid", "p_high", "fitted")
_MAX_ROWS = 100_000


def judgements_csv(rows: Sequence[tuple[Judgement, Distribution]]) -> str:
    """The judgements (and their fits) as CSV, one row per student and parameter."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(_COLUMNS)
    for j, dist in rows:
        w.writerow([j.student, j.parameter, j.kind, *(repr(v) for v in j.values), *j.probabilities, dist.describe()])
    return out.getvalue()


def read_judgements(text: str, *, path: str = "<judgements>") -> list[Judgement]:
    """Parse a judgements CSV (as :func:`judgements_csv` writes; ``fitted`` is ignored)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("student", "parameter", "kind", "low", "mid", "high") if c not in (reader.fieldnames or [])]
    if missing:
        raise ScenarioError.single(
            path, "header", f"missing column(s) {', '.join(missing)} (expected {','.join(_COLUMNS)})"
        )
    out: list[Judgement] = []
    for i, row in enumerate(reader, start=2):
        if i > _MAX_ROWS:
            raise ScenarioError.single(path, f"line {i}", f"more than {_MAX_ROWS:,} judgements")
        try:
            values = tuple(float(row[c]) for c in ("low", "mid", "high"))
        except (TypeError, ValueError):
            raise ScenarioError.single(path, f"line {i}", "low, mid and high must be numbers") from None
        kind = row["kind"] or ""
        if kind not in KINDS:
            raise ScenarioError.single(path, f"line {i}", f"unknown kind {kind!r} (expected {' or '.join(KINDS)})")
        out.append(Judgement(str(row["student"]), str(row["parameter"]), kind, values))  # type: ignore[arg-type]
    return out


def pooled_priors(
    scenario: Scenario, judgements: Sequence[Judgement], *, path: str = "<judgements>"
) -> dict[str, Distribution]:
    """Fit every judgement and pool them per parameter: ``{parameter: distribution}``.

    The support of each parameter comes from the scenario (its ``[classroom] range``, else its prior).
    """
    ranges = scenario.classroom.ranges
    names = {p.name: p for p in scenario.parameters}
    fitted: dict[str, list[Distribution]] = {}
    seen: set[tuple[str, str]] = set()
    for k, j in enumerate(judgements, start=2):
        where = f"line {k}"
        if j.parameter not in names:
            raise ScenarioError.single(path, where, f"unknown parameter '{j.parameter}'", suggest(j.parameter, names))
        if (j.student, j.parameter) in seen:
            raise ScenarioError.single(path, where, f"student {j.student!r} judged {j.parameter} twice")
        seen.add((j.student, j.parameter))
        try:
            sup = support(names[j.parameter], ranges)
            fitted.setdefault(j.parameter, []).append(fit(j, sup))
        except ValueError as exc:
            raise ScenarioError.single(path, where, f"{j.parameter}: {exc}") from None
    if not fitted:
        raise ScenarioError.single(path, "", "no judgements")
    return {name: pool(dists) for name, dists in fitted.items()}


def summary(priors: Mapping[str, Distribution]) -> dict[str, Any]:
    """A JSON-friendly description of pooled priors: ``{parameter: {"students": n}}``."""
    return {name: {"students": len(d.args["components"]) if d.kind == "mixture" else 1} for name, d in priors.items()}


def density(dist: Distribution, grid: np.ndarray) -> np.ndarray:
    """The density of ``dist`` on ``grid`` (increasing), from its quantile function; a pool averages."""
    from trapsim.sampling import ppf

    grid = np.asarray(grid, dtype=np.float64)
    if dist.kind == "mixture":
        return np.mean([density(c, grid) for c in dist.args["components"]], axis=0)
    if dist.kind == "constant":
        return np.zeros_like(grid)
    u = np.linspace(1e-5, 1 - 1e-5, 4001)
    x = ppf(dist, u)
    if not np.all(np.diff(x) >= 0) or x[-1] <= x[0]:
        return np.zeros_like(grid)
    cum = np.interp(grid, x, u, left=0.0, right=1.0)
    return np.gradient(cum, grid)
