"""One chunk of draws: sample, solve, play and count."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trapsim.errors import RunError
from trapsim.runner.compiling import CHUNK, CompiledScenario
from trapsim.runner.hypergame import follow, hypergame
from trapsim.runner.traps import PlayedPaths, TrapValues, evaluate_traps, world_draws
from trapsim.runner.worlds import Subsets, play_world
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


#: Most consecutive chunks solved side by side in one pass (numpy's cost per call is paid once per block).
BLOCK = 4
#: Most bytes of stored payoffs in a block: a big game is solved in smaller blocks (memory stays modest).
BLOCK_BYTES = 64 << 20


def block_size(model: CompiledScenario) -> int:
    """Chunks per block for ``model``: up to :data:`BLOCK` within :data:`BLOCK_BYTES` of payoffs; 1 with beliefs.

    (defense_clause: 67 payoff arrays, 4.4 MB a chunk: blocks of 4; a game of 400 leaves and 8 actors: 1.)
    """
    if model.beliefs:
        return 1
    return max(1, min(BLOCK, BLOCK_BYTES // (model.payoff_cells * 8 * CHUNK)))


def blocks(chunks: Sequence[tuple[int, int]], size: int) -> list[list[tuple[int, int]]]:
    """``chunks`` (``(index, draws)``, consecutive) in blocks of up to ``size`` (:func:`block_size`)."""
    return [list(chunks[i : i + size]) for i in range(0, len(chunks), size)]


def run_blocks(
    model: CompiledScenario,
    entropy: int,
    chunks: Sequence[tuple[int, int]],
    solver: str,
    rationality: float,
    records: bool = False,
) -> Iterator[list[ChunkStats]]:
    """The statistics of ``chunks`` (consecutive), block by block (:func:`block_size`, :func:`run_chunks`)."""
    for block in blocks(chunks, block_size(model)):
        yield run_chunks(model, entropy, block, solver, rationality, records)


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
    return run_chunks(model, entropy, [(chunk, n)], solver, rationality, records)[0]


def run_chunks(
    model: CompiledScenario,
    entropy: int,
    chunks: Sequence[tuple[int, int]],
    solver: str,
    rationality: float,
    records: bool = False,
) -> list[ChunkStats]:
    """:func:`run_chunk` of consecutive chunks ``(index, draws)``, solved side by side in one pass.

    Each chunk is sampled from its own streams; the draws of all are then
    evaluated, solved and played together (every step works draw by draw, so
    each draw's results are those of its chunk alone) and counted chunk by
    chunk: the statistics are bit-identical to one :func:`run_chunk` per
    chunk. Every chunk but the last must be full (:data:`CHUNK` draws), so
    that a draw's number in a message is the first chunk's plus its place.
    With beliefs, one chunk only (perceived values are drawn per chunk).
    A block that fails is run again chunk by chunk, so that the error is the
    one the first failing chunk alone gives (whatever the blocks).
    """
    first = chunks[0][0]
    if any(c != first + i or (i < len(chunks) - 1 and k != CHUNK) for i, (c, k) in enumerate(chunks)):
        raise ValueError(f"run_chunks needs consecutive full chunks, not {list(chunks)}")
    if model.beliefs and len(chunks) > 1:
        raise ValueError("run_chunks solves one chunk at a time when actors hold beliefs")
    try:
        return _run_block(model, entropy, chunks, solver, rationality, records)
    except RunError:
        if len(chunks) == 1:
            raise
        for c, k in chunks:  # the first chunk that fails alone raises its own error
            _run_block(model, entropy, [(c, k)], solver, rationality, records)
        raise


def _run_block(
    model: CompiledScenario,
    entropy: int,
    chunks: Sequence[tuple[int, int]],
    solver: str,
    rationality: float,
    records: bool,
) -> list[ChunkStats]:
    """:func:`run_chunks` once its chunks are checked."""
    first = chunks[0][0]
    n = sum(k for _, k in chunks)
    env = model.sample_chunks(entropy, chunks)
    payoffs, chance = model.evaluate(env, n, first, table=True)
    memo: dict[Any, Any] = {}  # the chunk's solves (real game, worlds) share what they have in common
    want_expected = any(ref[0] in ("expected", "surprise") for ref in model.path_refs)
    sol: Solution = backward(
        model.tree, payoffs, chance, solver=solver, rationality=rationality, memo=memo, root_values=want_expected
    )
    uniforms = model.uniforms_of_chunks(entropy, chunks, solver)
    played = sol
    perceived: dict[str, Solution] = {}
    if model.beliefs:
        played, perceived = hypergame(
            model, model.game, env, sol, entropy=entropy, chunk=first, n=n, solver=solver, rationality=rationality
        )
    leaf, actions = play(model.tree, played, uniforms, memo)
    expected = None
    if want_expected:
        expected = {a: sol.values[0][k] for k, a in enumerate(model.tree.actors)}
        expected.update({a: ps.values[0][model.tree.actors.index(a)] for a, ps in perceived.items()})
    paths: dict[str | None, PlayedPaths] = {None: PlayedPaths(model.tree, leaf, actions, payoffs, expected)}
    read = world_draws(model, env, paths[None]) if model.worlds else None
    subsets = Subsets()
    for wid, game in model.worlds.items():
        paths[wid] = play_world(
            model, game, env, payoffs, chance, uniforms, entropy=entropy, chunk=first, n=n, solver=solver,
            rationality=rationality, expected=expected is not None, memo=memo,
            draws=subsets.of(read.draws[wid] if read else None, n), subsets=subsets,
        )  # fmt: skip
    traps = evaluate_traps(model, env, paths, first, read.givens if read else None)
    outcome_idx = model.outcome_of[leaf]
    changed = _changed_outcomes(model, sol, perceived, uniforms, outcome_idx) if perceived else None
    realised = realised_payoffs(payoffs, model.row_of_position[leaf])  # (n, actors)
    starts = np.cumsum([0, *(k for _, k in chunks)]).tolist()
    counts = _action_counts(model.tree, actions, starts)
    return [
        _stats(model, env, c, slice(a, b), outcome_idx, traps, realised, played.ties, actions, changed, records, taken)
        for (c, _), a, b, taken in zip(chunks, starts, starts[1:], counts, strict=False)
    ]


def _stats(
    model: CompiledScenario,
    env: dict[str, Any],
    chunk: int,
    part: slice,
    outcome_idx: np.ndarray,
    traps: TrapValues,
    realised_all: np.ndarray,
    tied: dict[int, np.ndarray],
    actions_all: np.ndarray,
    changed: np.ndarray | None,
    records: bool,
    taken: list[np.ndarray],
) -> ChunkStats:
    """The statistics of one chunk, the draws ``part`` of a block solved together (:func:`run_chunks`);
    ``taken``: its action counts (:func:`_action_counts`)."""
    tree = model.tree
    n = part.stop - part.start
    outcome = outcome_idx[part]
    realised = realised_all[part]
    actions = actions_all[:, part]
    with np.errstate(over="ignore", invalid="ignore"):  # payoffs near 1e308 overflow the sum: inf, JSON null
        mean = realised.mean(axis=0)
        m2 = ((realised - mean) ** 2).sum(axis=0)
    ties, ties_on_path, tie_anywhere = _tie_counts(tree, {pos: t[part] for pos, t in tied.items()}, actions)
    fired = {t: v[part] for t, v in traps.fired.items()}  # (n,) each (evaluate_traps)
    given = {t: v[part] for t, v in traps.given.items()}
    return ChunkStats(
        n=n,
        traps=np.array([int(np.count_nonzero(fired[t.id])) for t in model.scenario.traps], dtype=np.int64),
        given=np.array(
            [int(np.count_nonzero(given[t.id])) if t.id in given else n for t in model.scenario.traps],
            dtype=np.int64,
        ),
        outcomes=np.bincount(outcome, minlength=len(tree.outcomes)).astype(np.int64),
        mean=mean,
        m2=m2,
        ties=ties,
        ties_on_path=ties_on_path,
        tie_anywhere=tie_anywhere,
        actions=taken,
        sample=np.ascontiguousarray(realised.T) if chunk == 0 else None,
        changed=changed,
        records=_records(model, _part_of(env, part), chunk, n, outcome, fired, given, realised) if records else None,
    )


def _part_of(env: dict[str, Any], part: slice) -> dict[str, Any]:
    """The values of the draws ``part`` (a constant stays a number)."""
    return {k: v[part] if isinstance(v, np.ndarray) and v.ndim else v for k, v in env.items()}


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


def _tie_counts(tree: Tree, tied: dict[int, np.ndarray], actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Per inner node: draws with a tie, draws with a tie where the node was reached; draws with any such tie.

    Ties are rare: only the nodes with one are looked at along the paths.
    """
    ties = np.array([np.count_nonzero(tied[pos]) if pos in tied else 0 for pos in tree.inner], dtype=np.int64)
    on_path = np.zeros(len(tree.inner), dtype=np.int64)
    rows = np.flatnonzero(ties)
    if not len(rows):
        return ties, on_path, 0
    tied_rows = np.stack([tied[tree.inner[r]] for r in rows])  # (rows, n) bool
    tied_rows &= actions[rows] >= 0
    on_path[rows] = np.count_nonzero(tied_rows, axis=1)
    return ties, on_path, int(np.count_nonzero(tied_rows.any(axis=0)))


def _action_counts(tree: Tree, actions: np.ndarray, starts: Sequence[int]) -> list[list[np.ndarray]]:
    """Per chunk, per inner node (``tree.inner`` order): draws taking each of its actions, ``(k,)`` int.

    ``actions`` holds the draws of consecutive chunks side by side, chunk
    ``c`` from column ``starts[c]`` to ``starts[c + 1]``. Only the reached
    entries of the table (a few per draw) are counted: one ``bincount`` of
    ``(chunk * nodes + node row) * width + action`` over them.
    """
    chunks = len(starts) - 1
    widths = [len(tree.positions[pos].children) for pos in tree.inner]
    if not widths:
        return [[] for _ in range(chunks)]
    width = max(widths)
    flat = actions.reshape(-1)
    reached = np.flatnonzero(flat >= 0)
    row, draw = np.divmod(reached, actions.shape[1])
    part = np.searchsorted(np.asarray(starts[1:-1]), draw, side="right") if chunks > 1 else 0
    key = (part * len(widths) + row) * width + flat[reached]
    counts = np.bincount(key, minlength=chunks * len(widths) * width).reshape(chunks, len(widths), width)
    return [[counts[c, r, :k] for r, k in enumerate(widths)] for c in range(chunks)]
