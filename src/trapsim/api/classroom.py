"""For the web explorer and the classroom poll: slider ranges, judgements, pooled priors, the tree."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trapsim.elicitation import Judgement
from trapsim.errors import ScenarioError, suggest
from trapsim.model import Distribution, Scenario


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
