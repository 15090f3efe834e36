"""Validate-time evaluation: every probability, payoff and derived value, before any run.

A file whose expressions type-check can still be unable to run: chance
probabilities that leave [0, 1] or do not sum to 1 (``calm = "0.9 - p_storm"``),
a payoff that is ``log`` of a negative number. ``validate`` evaluates every
derived value, payoff and chance probability at the central values and on a
small fixed sample of draws (:data:`SAMPLE` draws of stream entropy
:data:`SAMPLE_ENTROPY`, well under a second), and reports what fails there as a
problem naming the key and the values. A run can still meet a failure in a
draw this sample missed (a rare tail); the run reports it then, with the draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from trapsim.errors import Problem
from trapsim.expressions import Expr, compile_expr, path_key
from trapsim.model import ChanceNode, Scenario
from trapsim.sampling import central_value, draw, stream
from trapsim.unfolding import histories_of

__all__ = ["SAMPLE", "SAMPLE_ENTROPY", "describe", "evaluation_problems", "probability_problem"]

#: Draws of the fixed validation sample (besides the central values, which come first).
SAMPLE = 4096
#: Root entropy of the validation sample: fixed, so ``validate`` always says the same.
SAMPLE_ENTROPY = 0
#: Tolerance of "sums to 1" (the runner's, too).
SUM_TOLERANCE = 1e-9


def describe(names: frozenset[str], env: Mapping[str, Any], deps: Mapping[str, frozenset[str]], i: int) -> str:
    """``a = 0.1, b = 2`` for the names used (and the parameters behind derived ones), at draw ``i``."""
    seen: list[str] = []
    todo = sorted(names)
    while todo:
        name = todo.pop(0)
        if name in seen or name not in env:
            continue
        seen.append(name)
        todo.extend(sorted(deps.get(name, ())))
    if not seen:
        return "no parameter is involved"
    parts = []
    for name in seen:
        v = np.asarray(env[name])
        x = v.flat[i] if v.size > 1 else v.item()
        parts.append(f"{name} = {x:.6g}")
    return ", ".join(parts)


def probability_problem(p: np.ndarray) -> np.ndarray:
    """Per draw (axis 1 of ``p``, ``(actions, n)``): probabilities not finite, outside [0, 1] or not summing to 1."""
    with np.errstate(invalid="ignore"):
        return (
            ~np.isfinite(p).all(axis=0)
            | (p < 0).any(axis=0)
            | (p > 1).any(axis=0)
            | (np.abs(p.sum(axis=0) - 1) > SUM_TOLERANCE)
        )


def _where(i: int) -> str:
    return "at the central values" if i == 0 else f"in validation draw {i} of {SAMPLE}"


def _environment(scenario: Scenario) -> dict[str, Any]:
    """Parameters: index 0 the central values, then :data:`SAMPLE` fixed draws."""
    env: dict[str, Any] = {}
    for p in scenario.parameters:
        center = central_value(p.dist)
        if p.dist.kind == "constant":
            env[p.name] = np.full(SAMPLE + 1, center)
        else:
            env[p.name] = np.concatenate(([center], draw(p.dist, stream(SAMPLE_ENTROPY, 0, p.name), SAMPLE)))
    return env


def evaluation_problems(scenario: Scenario) -> list[Problem]:
    """Every derived value, payoff and chance probability that fails at the central values or in the sample."""
    types = scenario.types()
    env = _environment(scenario)
    deps = {d.name: d.expr.names for d in scenario.derived}
    problems: list[Problem] = []
    n = SAMPLE + 1
    compiled: dict[int, Any] = {}  # each expression compiled once (a payoff is evaluated once per history)

    def value(key: str, expr: Expr) -> np.ndarray | None:
        fn = compiled.get(id(expr))
        if fn is None:
            fn = compiled[id(expr)] = compile_expr(expr, types)
        with np.errstate(all="ignore"):
            out = np.broadcast_to(np.asarray(fn(env), dtype=np.float64), (n,))
        bad = np.flatnonzero(~np.isfinite(out))
        if bad.size == 0:
            return out
        i = int(bad[0])
        if any(p.key == key for p in problems):  # the same payoff after another history
            return None
        problems.append(
            Problem(
                scenario.path,
                key,
                f'"{expr.source}" is {out[i]} {_where(i)}, where {describe(expr.names, env, deps, i)}',
            )
        )
        return None

    for d in scenario.derived:
        got = value(f"derived.{d.name}", d.expr)
        if got is None:
            return problems  # later values may use this one: one problem, not a cascade
        env[d.name] = got
    pasts = _pasts(scenario)
    base = env
    # A payoff once per values of the history references it reads itself (the row's other payoffs may
    # read more): defense_clause's 755 (payoff, history) pairs are 79 distinct evaluations.
    evaluated: set[tuple[int, tuple[bool | None, ...]]] = set()
    for o in scenario.outcomes.values():
        reads = [[path_key(ref) for ref in sorted(expr.path_refs)] for expr in o.payoffs]
        for past in pasts.get(o.id, [{}]):  # once per history values, where payoffs use the history
            env = {**base, **past}
            for actor, expr, keys in zip(scenario.actor_ids, o.payoffs, reads, strict=True):
                seen = (id(expr), tuple(past.get(k) for k in keys))
                if seen not in evaluated:
                    evaluated.add(seen)
                    value(f"payoffs.{o.id}.{actor}", expr)
    for node in scenario.nodes.values():
        if isinstance(node, ChanceNode):
            for past in pasts.get(node.id, [{}]):
                if _chance(scenario, node, {**base, **past}, deps, problems, past):
                    break
    return problems


def _pasts(scenario: Scenario) -> dict[str, list[dict[str, bool]]]:
    """The values of ``played``/``reached`` over the histories of each payoff row and chance node using them."""
    refs = {o.id: frozenset().union(*(e.path_refs for e in o.payoffs)) for o in scenario.outcomes.values()}
    refs.update(
        {
            n.id: frozenset().union(*(e.path_refs for e in n.probs))
            for n in scenario.nodes.values()
            if isinstance(n, ChanceNode)
        }
    )
    if not any(refs.values()):
        return {}
    nodes = scenario.nodes.values()
    return histories_of(scenario.root, {n.id: n.targets for n in nodes}, {n.id: n.actions for n in nodes}, refs)


def _chance(
    scenario: Scenario,
    node: ChanceNode,
    env: dict[str, Any],
    deps: Mapping[str, frozenset[str]],
    problems: list[Problem],
    past: Mapping[str, bool],
) -> bool:
    """Check one chance node's probabilities (on one set of history values); True if a problem was found."""
    types = scenario.types()
    n = SAMPLE + 1
    with np.errstate(all="ignore"):
        p = np.array(
            [np.broadcast_to(np.asarray(compile_expr(e, types)(env), dtype=np.float64), (n,)) for e in node.probs]
        )
    bad = np.flatnonzero(probability_problem(p))
    if bad.size == 0:
        return False
    i = int(bad[0])
    shown = ", ".join(f"{a} = {p[k, i]:.10g}" for k, a in enumerate(node.actions))
    names = frozenset().union(*(e.names for e in node.probs))
    problems.append(
        Problem(
            scenario.path,
            f"nodes.{node.id}.chance",
            f"probabilities must lie in [0, 1] and sum to 1; {_where(i)} they are {shown} "
            f"(sum {p[:, i].sum():.10g}), where {describe(names, env, deps, i)}{_history_text(past)}",
        )
    )
    return True


def _history_text(past: Mapping[str, bool]) -> str:
    """``, after a history where played("a", "x") is true`` for the history values used."""
    if not past:
        return ""
    parts = []
    for key, v in sorted(past.items()):
        fn, *args = key.split(":")
        parts.append(f"{fn}(" + ", ".join(f'"{a}"' for a in args) + f") is {'true' if v else 'false'}")
    return ", after a history where " + " and ".join(parts)
