"""The exact probability that each trap fires, given the parameter values of a draw.

In one draw (one parameter vector ``theta``) the only randomness left is at
the chance nodes (and at the decisions, under ``qre``). So whether a trap
fires is a Bernoulli event with a probability that is a deterministic
function of ``theta``::

    P(trap | theta) = sum over leaves L of  reach(L | theta) * [trap holds on the path to L]

``reach`` comes from the solved tree (:func:`trapsim.solver.reach_probabilities`:
chance nodes multiply, ``spe`` decisions are 0/1, ``qre`` decisions are their
logit probabilities). On the path to a fixed leaf, ``played()`` and
``reached()`` are known and ``payoff()`` is that leaf's payoff, so each trap's
compiled ``when`` is evaluated once per leaf with the runner's own code
(:meth:`trapsim.runner.CompiledScenario.traps_on_path`, which also hands
earlier traps' values to later ones).

The mean of ``P(trap | theta)`` over draws estimates the same rate as
``trapsim run`` with less noise (it averages out the chance nodes exactly);
with the same seed the parameter draws are the very same ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from trapsim.errors import Problem, ScenarioError, suggest
from trapsim.model import Scenario
from trapsim.runner import CHUNK, CompiledScenario
from trapsim.solver import backward, reach_probabilities

__all__ = [
    "check_supported",
    "check_traps",
    "chunk_probabilities",
    "leaf_paths",
    "probabilities_at",
    "sample_probabilities",
    "uncertain_parameters",
]


def uncertain_parameters(scenario: Scenario) -> list[str]:
    """Names of the parameters that are not constants, in file order."""
    return [p.name for p in scenario.parameters if p.dist.kind != "constant"]


def leaf_paths(model: CompiledScenario) -> list[tuple[int, np.ndarray]]:
    """For every leaf, its position and the action taken at each inner node on its path.

    The action column has one entry per inner node (``tree.inner`` order): the
    action index on the path to the leaf, or -1 where the path does not pass.
    This is the ``actions`` array :func:`trapsim.solver.play` returns, for a
    draw that ends at that leaf.
    """
    tree = model.tree
    row_of = {pos: r for r, pos in enumerate(tree.inner)}
    out = []
    for leaf in tree.leaves:
        col = np.full(len(tree.inner), -1, dtype=np.int64)
        for pos, k in tree.path_to(leaf):
            col[row_of[pos]] = k
        out.append((leaf, col))
    return out


def _subset(env: Mapping[str, Any], idx: np.ndarray, n: int) -> dict[str, Any]:
    """The environment restricted to draws ``idx`` (scalars stay scalars)."""
    out = {}
    for k, v in env.items():
        arr = np.asarray(v)
        out[k] = arr[idx] if arr.ndim == 1 and arr.shape[0] == n else v
    return out


#: Path functions whose value on the path to a fixed leaf is known (see the module docstring).
_LEAF_FUNCTIONS = frozenset({"played", "reached", "payoff"})


def check_traps(scenario: Scenario, wanted: Sequence[str]) -> list[str]:
    """The trap ids ``wanted`` (all the scenario's when empty), in order, without repeats.

    Raises
    ------
    ScenarioError
        One problem per unknown id, with the closest known id, or else the
        list of known ids, so a user can pick one.
    """
    known = [t.id for t in scenario.traps]
    chosen = list(dict.fromkeys(wanted)) if wanted else known
    listing = ", ".join(known) or "none"
    bad = [
        Problem(
            scenario.path,
            "--trap",
            f"unknown trap '{t}'" + ("" if suggest(t, known) else f" (traps: {listing})"),
            suggest(t, known),
        )
        for t in chosen
        if t not in known
    ]
    if bad:
        raise ScenarioError(bad)
    return chosen


_UNSUPPORTED = "exact trap probabilities (sensitivity, discover, report --sensitivity) do not support"


def check_supported(scenario: Scenario) -> None:
    """Refuse scenarios whose traps cannot be evaluated leaf by leaf (yet).

    Misperception (``[beliefs]``) changes how the game is played, and
    ``expected()``/``surprise()`` depend on more than the leaf; summing over
    leaves would then silently disagree with ``trapsim run``.
    """
    if getattr(scenario, "beliefs", None):
        raise ScenarioError.single(
            scenario.path,
            "beliefs",
            f"{_UNSUPPORTED} [beliefs] yet; use trapsim run or sweep for this scenario",
        )
    for t in scenario.traps:
        other = sorted({ref[0] for ref in t.when.path_refs} - _LEAF_FUNCTIONS)
        if other:
            raise ScenarioError.single(
                scenario.path,
                f"traps.{t.id}.when",
                f"{_UNSUPPORTED} {other[0]}() yet; use trapsim run or sweep for this scenario",
            )


def chunk_probabilities(
    model: CompiledScenario,
    env: Mapping[str, Any],
    n: int,
    *,
    solver: str,
    rationality: float,
    chunk: int = 0,
    paths: Sequence[tuple[int, np.ndarray]] | None = None,
) -> dict[str, np.ndarray]:
    """``P(trap | draw)`` for every trap and each of ``n`` draws of one chunk.

    Parameters
    ----------
    env
        Parameter and derived values (arrays of shape ``(n,)`` or scalars), as
        from :meth:`CompiledScenario.sample` or :meth:`CompiledScenario.derive`.
    paths
        :func:`leaf_paths` of ``model`` (computed when not given).

    Returns
    -------
    dict
        ``{trap id: array (n,)}`` of probabilities in [0, 1].
    """
    payoffs, chance = model.evaluate(env, n, chunk)
    sol = backward(model.tree, payoffs, chance, solver=solver, rationality=rationality)
    reach = reach_probabilities(model.tree, sol)
    out = {tid: np.zeros(n) for tid, _ in model.traps}
    if not out:
        return out
    for leaf, col in paths if paths is not None else leaf_paths(model):
        idx = np.flatnonzero(reach[leaf] > 0)
        if idx.size == 0:
            continue
        m = idx.size
        if m == n:
            sub_env, sub_pay, weight = env, payoffs, reach[leaf]
        else:
            sub_env, sub_pay, weight = _subset(env, idx, n), payoffs[:, :, idx], reach[leaf, idx]
        fired = model.traps_on_path(
            sub_env,
            np.full(m, leaf, dtype=np.int64),
            np.broadcast_to(col[:, None], (col.shape[0], m)),
            sub_pay,
            chunk,
        )
        for tid, value in fired.items():
            if m == n:
                out[tid] += weight * value
            else:
                out[tid][idx] += weight * value
    for p in out.values():
        np.clip(p, 0.0, 1.0, out=p)  # rounding in long products of probabilities
    return out


def _chunks(draws: int) -> Iterator[tuple[int, int, int]]:
    """``(chunk index, start, size)`` for ``draws`` rows in chunks of :data:`CHUNK`."""
    for c in range(math.ceil(draws / CHUNK)):
        start = c * CHUNK
        yield c, start, min(CHUNK, draws - start)


def sample_probabilities(
    scenario: Scenario,
    *,
    draws: int,
    entropy: int,
    solver: str,
    rationality: float,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Sample ``draws`` parameter vectors as :func:`trapsim.runner.run` does; ``P(trap | draw)``.

    The parameter draws are the run's own (same streams, same chunks), so
    ``P[i]`` is the probability that draw ``i`` of ``trapsim run`` with the
    same seed fires the trap.

    Returns
    -------
    params
        ``{uncertain parameter: array (draws,)}``.
    probs
        ``{trap id: array (draws,)}``.
    """
    names = uncertain_parameters(scenario)
    params = {name: np.empty(draws) for name in names}

    def env_of(model: CompiledScenario, c: int, start: int, n: int) -> dict[str, Any]:
        env = model.sample(entropy, c, n)
        for name in names:
            params[name][start : start + n] = env[name]
        return env

    probs = _by_chunks(scenario, draws, env_of, solver, rationality, progress)
    return params, probs


def probabilities_at(
    scenario: Scenario,
    params: Mapping[str, Any],
    *,
    solver: str,
    rationality: float,
    progress: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """``P(trap | theta)`` at given parameter vectors, evaluated chunk by chunk.

    Parameters
    ----------
    params
        ``{parameter: array (n,) or number}`` for every uncertain parameter of
        ``scenario`` (constants may be given too; they then override the file).

    Returns
    -------
    dict
        ``{trap id: array (n,)}``.
    """
    known = {p.name: p for p in scenario.parameters}
    unknown = [k for k in params if k not in known]
    missing = [k for k in uncertain_parameters(scenario) if k not in params]
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(f"unknown parameter(s) {', '.join(unknown)}")
        if missing:
            parts.append(f"no values for uncertain parameter(s) {', '.join(missing)}")
        raise ScenarioError.single(scenario.path, "params", "; ".join(parts))
    columns = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    lengths = {c.shape[0] for c in columns.values() if c.ndim == 1}
    if any(c.ndim > 1 for c in columns.values()) or len(lengths) > 1:
        raise ScenarioError.single(
            scenario.path,
            "params",
            "every value must be a number or a 1-d array, all of one length",
        )
    n = lengths.pop() if lengths else 1
    constants = {p.name: p.dist.args["value"] for p in scenario.parameters if p.dist.kind == "constant"}

    def env_of(model: CompiledScenario, c: int, start: int, m: int) -> dict[str, Any]:
        env: dict[str, Any] = dict(constants)
        for k, col in columns.items():
            env[k] = col[start : start + m] if col.ndim == 1 else np.full(m, float(col))
        model.derive(env, c)
        return env

    return _by_chunks(scenario, n, env_of, solver, rationality, progress)


def _by_chunks(
    scenario: Scenario,
    n: int,
    env_of: Callable[[CompiledScenario, int, int, int], dict[str, Any]],
    solver: str,
    rationality: float,
    progress: Callable[[int], None] | None,
) -> dict[str, np.ndarray]:
    """``{trap: array (n,)}`` of probabilities, chunk by chunk; ``env_of(model, c, start, size)``."""
    check_supported(scenario)
    model = CompiledScenario(scenario)
    paths = leaf_paths(model)
    probs = {tid: np.empty(n) for tid, _ in model.traps}
    for c, start, m in _chunks(n):
        env = env_of(model, c, start, m)
        for tid, p in chunk_probabilities(
            model, env, m, solver=solver, rationality=rationality, chunk=c, paths=paths
        ).items():
            probs[tid][start : start + m] = p
        if progress:
            progress(m)
    return probs
