"""The exact probability that each trap fires, given the parameter values of a draw.

In one draw (one parameter vector ``theta``) the only randomness left is at
the chance nodes (and at the decisions, under ``qre``). So whether a trap
fires is a Bernoulli event with a probability that is a deterministic
function of ``theta``::

    P(trap | theta) = sum over complete paths L of  P(L | theta) * [trap holds on L]

A "complete path" is one path per game: the real one and every
counterfactual world a trap names (``[worlds.<id>]``). The worlds share the
draw's chance uniforms, so their paths are *coupled*, not independent:
:func:`~trapsim.analysis.paths.joint_paths` enumerates the combinations with the probability of each
(exactly, as the lengths of intersections of uniform intervals). On a fixed
combination ``played()``, ``reached()``, ``payoff()`` are known, and
``expected()``/``surprise()`` are the solved values, so each trap's ``when``
and ``given`` are evaluated once per combination with the runner's own code
(:func:`trapsim.runner.traps.evaluate_traps`, which also hands earlier traps'
values to later ones). For a conditional trap both ``P(when and given |
theta)`` and ``P(given | theta)`` are returned (:class:`Probabilities`).

The mean of ``P(trap | theta)`` over draws estimates the same rate as
``trapsim run`` with less noise (it averages out the chance nodes exactly);
with the same seed the parameter draws are the very same ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trapsim.analysis.paths import joint_paths, solve_worlds
from trapsim.errors import Problem, ScenarioError, suggest
from trapsim.model import Scenario
from trapsim.runner import CHUNK, CompiledScenario
from trapsim.runner.traps import PlayedPaths, evaluate_traps

__all__ = [
    "Probabilities",
    "check_supported",
    "check_traps",
    "chunk_probabilities",
    "joint_paths",
    "probabilities_at",
    "sample_probabilities",
    "uncertain_parameters",
]


def uncertain_parameters(scenario: Scenario) -> list[str]:
    """Names of the parameters that are not constants, in file order."""
    return [p.name for p in scenario.parameters if p.dist.kind != "constant"]


@dataclass(frozen=True, slots=True)
class Probabilities(Mapping[str, np.ndarray]):
    """Exact per-draw trap probabilities: a mapping ``{trap: array (n,)}`` of ``fired``.

    ``fired`` is the probability that the trap fires in the draw (``when``,
    and ``given`` for a conditional trap); ``given`` is the probability that
    a conditional trap's ``given`` holds (absent for other traps). A run's
    conditional rate estimates ``sum(fired) / sum(given)`` over its draws.
    """

    fired: dict[str, np.ndarray]
    given: dict[str, np.ndarray]

    def __getitem__(self, trap: str) -> np.ndarray:
        return self.fired[trap]

    def __iter__(self) -> Iterator[str]:
        return iter(self.fired)

    def __len__(self) -> int:
        return len(self.fired)

    def given_or_one(self, trap: str) -> np.ndarray:
        """``P(given | draw)``, or ones for a trap without ``given``."""
        return self.given.get(trap, np.ones_like(self.fired[trap]))


def _subset(env: Mapping[str, Any], idx: np.ndarray, n: int) -> dict[str, Any]:
    """The environment restricted to draws ``idx`` (scalars stay scalars)."""
    out = {}
    for k, v in env.items():
        arr = np.asarray(v)
        out[k] = arr[idx] if arr.ndim == 1 and arr.shape[0] == n else v
    return out


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
    """Refuse scenarios whose trap probabilities cannot be computed exactly (yet).

    Misperception (``[beliefs]``) changes how the game is played and draws
    believed values on their own streams; summing over paths would then
    silently disagree with ``trapsim run``.
    """
    if getattr(scenario, "beliefs", None):
        raise ScenarioError.single(
            scenario.path,
            "beliefs",
            f"{_UNSUPPORTED} [beliefs] yet; use trapsim run or sweep for this scenario",
        )


def chunk_probabilities(
    model: CompiledScenario,
    env: Mapping[str, Any],
    n: int,
    *,
    solver: str,
    rationality: float,
    chunk: int = 0,
) -> Probabilities:
    """``P(trap | draw)`` for every trap and each of ``n`` draws of one chunk.

    Exact over the chance nodes (and ``qre`` choices) of the real game and of
    every world the traps use, coupled as a run couples them (see
    :func:`joint_paths`).

    Parameters
    ----------
    env
        Parameter and derived values (arrays of shape ``(n,)`` or scalars), as
        from :meth:`CompiledScenario.sample` or :meth:`CompiledScenario.derive`.
    """
    solved = solve_worlds(model, env, n, solver, rationality, chunk)
    fired = {t[0]: np.zeros(n) for t in model.traps}
    given = {t[0]: np.zeros(n) for t in model.traps if t[2] is not None}
    if not fired:
        return Probabilities(fired, given)
    ids = [wid for wid, _ in solved]
    worlds = [sv for _, sv in solved]
    for combo, weight in joint_paths(worlds, n):
        idx = np.flatnonzero(weight > 0)
        m = idx.size
        if m == 0:
            continue
        whole = m == n
        sub_env = env if whole else _subset(env, idx, n)
        paths = {}
        for wid, sv, (leaf, col) in zip(ids, worlds, combo, strict=True):
            pay = sv.payoffs if whole else sv.payoffs[:, :, idx]
            expected = sv.expected if whole else {a: v[idx] for a, v in sv.expected.items()}
            paths[wid] = PlayedPaths(
                sv.game.tree,
                np.full(m, leaf, dtype=np.int64),
                np.broadcast_to(col[:, None], (col.shape[0], m)),
                pay,
                expected,
            )
        values = evaluate_traps(model, sub_env, paths, chunk)
        w = weight if whole else weight[idx]
        for out, got in ((fired, values.fired), (given, values.given)):
            for tid, value in got.items():
                if whole:
                    out[tid] += w * value
                else:
                    out[tid][idx] += w * value
    for p in [*fired.values(), *given.values()]:
        np.clip(p, 0.0, 1.0, out=p)  # rounding in long products of probabilities
    return Probabilities(fired, given)


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
) -> tuple[dict[str, np.ndarray], Probabilities]:
    """Sample ``draws`` parameter vectors as :func:`trapsim.runner.run` does; ``P(trap | draw)``.

    The parameter draws are the run's own (same streams, same chunks), so
    ``P[i]`` is the probability that draw ``i`` of ``trapsim run`` with the
    same seed fires the trap.

    Returns
    -------
    params
        ``{uncertain parameter: array (draws,)}``.
    probs
        :class:`Probabilities` of the draws, ``(draws,)`` arrays.
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
) -> Probabilities:
    """``P(trap | theta)`` at given parameter vectors, evaluated chunk by chunk.

    Parameters
    ----------
    params
        ``{parameter: array (n,) or number}`` for every uncertain parameter of
        ``scenario`` (constants may be given too; they then override the file).

    Returns
    -------
    Probabilities
        ``(n,)`` arrays per trap.
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
) -> Probabilities:
    """:class:`Probabilities` of ``n`` draws, chunk by chunk; ``env_of(model, c, start, size)``."""
    check_supported(scenario)
    model = CompiledScenario(scenario)
    fired = {t[0]: np.empty(n) for t in model.traps}
    given = {t[0]: np.empty(n) for t in model.traps if t[2] is not None}
    for c, start, m in _chunks(n):
        env = env_of(model, c, start, m)
        got = chunk_probabilities(model, env, m, solver=solver, rationality=rationality, chunk=c)
        for out, part in ((fired, got.fired), (given, got.given)):
            for tid, p in part.items():
                out[tid][start : start + m] = p
        del env, got
        if progress:
            progress(m)
    return Probabilities(fired, given)
