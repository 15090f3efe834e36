"""One chunk of draws: sample, solve, play and count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from trapsim.runner.compiling import CompiledScenario
from trapsim.runner.hypergame import follow, hypergame
from trapsim.runner.traps import PlayedPaths, evaluate_traps
from trapsim.runner.worlds import play_world
from trapsim.solver import Solution, Tree, backward, play, realised_payoffs


@dataclass(slots=True)
class ChunkStats:
    """Counts and moments of one chunk (merged in chunk order)."""

    n: int
    traps: np.ndarray  # (traps,) int: draws where the trap fired (when and given)
    given: np.ndarray  # (traps,) int: draws where its given holds (all draws without one)
    outcomes: np.ndarray  # (outcomes,) int
    mean: np.ndarray  # (actors,)
    m2: np.ndarray  # (actors,)
    ties: np.ndarray  # (inner,) int: draws with a tie at the node
    ties_on_path: np.ndarray  # (inner,) int: ... and the node was reached
    tie_anywhere: int  # draws with a tie at some node of the realised path
    actions: list[np.ndarray]  # per inner node, (k,) int: draws taking each action
    sample: np.ndarray | None = None  # chunk 0 only: realised payoffs (actors, n), for figures
    changed: np.ndarray | None = None  # (believers,) int: draws whose outcome a misperception changed
    records: ChunkRecords | None = None  # per-draw records, only when asked for (``run(on_chunk=...)``)


@dataclass(frozen=True, slots=True)
class ChunkRecords:
    """One row per draw of one chunk: what ``trapsim run --per-draw`` writes.

    ``params`` holds each sampled (non-constant) parameter in scenario order,
    ``fired``/``given`` each trap in scenario order (``given`` only for traps
    with a ``given``), ``payoffs`` the realised payoffs ``(n, actors)``.
    """

    chunk: int
    params: dict[str, np.ndarray]  # (n,) float each
    outcome: np.ndarray  # (n,) int: index into the tree's outcomes
    fired: dict[str, np.ndarray]  # (n,) bool each
    given: dict[str, np.ndarray]  # (n,) bool each
    payoffs: np.ndarray  # (n, actors) float


def run_chunk(
    model: CompiledScenario,
    entropy: int,
    chunk: int,
    n: int,
    solver: str,
    rationality: float,
    records: bool = False,
) -> ChunkStats:
    """Sample, solve, play and count one chunk of ``n`` draws (and keep its per-draw records if ``records``)."""
    env = model.sample(entropy, chunk, n)
    payoffs, chance = model.evaluate(env, n, chunk, table=True)
    memo: dict[Any, Any] = {}  # the chunk's solves (real game, worlds) share what they have in common
    want_expected = any(ref[0] in ("expected", "surprise") for ref in model.path_refs)
    sol: Solution = backward(
        model.tree, payoffs, chance, solver=solver, rationality=rationality, memo=memo, root_values=want_expected
    )
    uniforms = model.uniforms(entropy, chunk, n, solver)
    played = sol
    perceived: dict[str, Solution] = {}
    if model.beliefs:
        played, perceived = hypergame(
            model, model.game, env, sol, entropy=entropy, chunk=chunk, n=n, solver=solver, rationality=rationality
        )
    leaf, actions = play(model.tree, played, uniforms, memo)
    expected = None
    if want_expected:
        expected = {a: sol.values[0][k] for k, a in enumerate(model.tree.actors)}
        expected.update({a: ps.values[0][model.tree.actors.index(a)] for a, ps in perceived.items()})
    paths: dict[str | None, PlayedPaths] = {None: PlayedPaths(model.tree, leaf, actions, payoffs, expected)}
    for wid, game in model.worlds.items():
        paths[wid] = play_world(
            model, game, env, payoffs, chance, uniforms, entropy=entropy, chunk=chunk, n=n, solver=solver,
            rationality=rationality, expected=expected is not None, memo=memo,
        )  # fmt: skip
    traps = evaluate_traps(model, env, paths, chunk)
    tree = model.tree
    outcome_idx = model.outcome_of[leaf]
    changed = _changed_outcomes(model, sol, perceived, uniforms, outcome_idx) if perceived else None
    realised = realised_payoffs(payoffs, model.row_of_position[leaf])  # (n, actors)
    with np.errstate(over="ignore", invalid="ignore"):  # payoffs near 1e308 overflow the sum: inf, JSON null
        mean = realised.mean(axis=0)
        m2 = ((realised - mean) ** 2).sum(axis=0)
    ties, ties_on_path, tie_anywhere = _tie_counts(tree, played, actions)
    return ChunkStats(
        n=n,
        traps=np.array([int(np.count_nonzero(traps.fired[t.id])) for t in model.scenario.traps], dtype=np.int64),
        given=np.array(
            [int(np.count_nonzero(traps.given[t.id])) if t.id in traps.given else n for t in model.scenario.traps],
            dtype=np.int64,
        ),
        outcomes=np.bincount(outcome_idx, minlength=len(tree.outcomes)).astype(np.int64),
        mean=mean,
        m2=m2,
        ties=ties,
        ties_on_path=ties_on_path,
        tie_anywhere=tie_anywhere,
        actions=_action_counts(tree, actions),
        sample=np.ascontiguousarray(realised.T) if chunk == 0 else None,
        changed=changed,
        records=_records(model, env, chunk, n, outcome_idx, traps.fired, traps.given, realised) if records else None,
    )


def _changed_outcomes(
    model: CompiledScenario,
    sol: Solution,
    perceived: dict[str, Solution],
    uniforms: dict[int, np.ndarray],
    outcome_idx: np.ndarray,
) -> np.ndarray:
    """Per believer: in how many draws the outcome would differ had it played the true solution."""
    tree, outcome_of = model.tree, model.outcome_of
    counts = []
    for a in perceived:
        others = follow(tree, sol, {b: ps for b, ps in perceived.items() if b != a})
        counts.append(int(np.count_nonzero(outcome_of[play(tree, others, uniforms)[0]] != outcome_idx)))
    return np.array(counts, dtype=np.int64)


def _records(
    model: CompiledScenario,
    env: dict[str, Any],
    chunk: int,
    n: int,
    outcome: np.ndarray,
    fired: dict[str, np.ndarray],
    given: dict[str, np.ndarray],
    realised: np.ndarray,
) -> ChunkRecords:
    """The per-draw records of one chunk (copies: nothing else of the chunk is kept alive)."""
    sampled = [p.name for p in model.scenario.parameters if p.dist.kind != "constant"]
    traps = model.scenario.traps
    return ChunkRecords(
        chunk=chunk,
        params={name: np.broadcast_to(np.asarray(env[name], dtype=float), (n,)).copy() for name in sampled},
        outcome=np.asarray(outcome, dtype=np.int64).copy(),
        fired={t.id: np.broadcast_to(np.asarray(fired[t.id], dtype=bool), (n,)).copy() for t in traps},
        given={
            t.id: np.broadcast_to(np.asarray(given[t.id], dtype=bool), (n,)).copy()
            for t in traps
            if t.given is not None
        },
        payoffs=np.array(realised, dtype=float),
    )


def _tie_counts(tree: Tree, solution: Solution, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Per inner node: draws with a tie, draws with a tie where the node was reached; draws with any such tie.

    Ties are rare: only the nodes with one are looked at along the paths.
    """
    ties = np.array(
        [np.count_nonzero(solution.ties[pos]) if pos in solution.ties else 0 for pos in tree.inner], dtype=np.int64
    )
    on_path = np.zeros(len(tree.inner), dtype=np.int64)
    rows = np.flatnonzero(ties)
    if not len(rows):
        return ties, on_path, 0
    tied = np.stack([solution.ties[tree.inner[r]] for r in rows])  # (rows, n) bool
    tied &= actions[rows] >= 0
    on_path[rows] = np.count_nonzero(tied, axis=1)
    return ties, on_path, int(np.count_nonzero(tied.any(axis=0)))


def _action_counts(tree: Tree, actions: np.ndarray) -> list[np.ndarray]:
    """Per inner node (``tree.inner`` order): draws taking each of its actions, ``(k,)`` int.

    Only the reached entries of the table (a few per draw) are counted: one
    ``bincount`` of ``node row * width + action`` over them.
    """
    widths = [len(tree.positions[pos].children) for pos in tree.inner]
    if not widths:
        return []
    width = max(widths)
    flat = actions.reshape(-1)
    reached = np.flatnonzero(flat >= 0)
    key = reached // actions.shape[1] * width + flat[reached]
    counts = np.bincount(key, minlength=len(widths) * width).reshape(len(widths), width)
    return [counts[r, :k] for r, k in enumerate(widths)]
