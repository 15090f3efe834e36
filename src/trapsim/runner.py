"""Monte Carlo runs: sample in fixed-size chunks, solve, play, count traps.

A run is split into chunks of :data:`CHUNK` draws. Chunk ``c`` draws from
streams addressed by ``c`` (see :mod:`trapsim.sampling`), so the result does
not depend on how chunks are spread over processes: per-chunk statistics are
always merged in chunk order.
"""

from __future__ import annotations

import copy
import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

import numpy as np

from trapsim.errors import RunError
from trapsim.expressions import Compiled, Expr, compile_expr, path_key
from trapsim.model import ChanceNode, Scenario
from trapsim.sampling import central_value, draw, stream
from trapsim.solver import Solution, Tree, backward, build_tree, play

__all__ = ["CHUNK", "CompiledScenario", "Result", "compiled", "run", "run_point", "wilson"]

#: Draws per chunk. Part of the reproducibility contract: changing it changes results.
CHUNK = 8192
_Z95 = 1.959963984540054


def wilson(count: int, n: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval for ``count`` successes in ``n`` trials."""
    if n == 0:
        return (0.0, 1.0)
    p = count / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if count == 0 else max(0.0, centre - half)  # exact ends, no rounding residue
    hi = 1.0 if count == n else min(1.0, centre + half)
    return (lo, hi)


# ------------------------------------------------------------------ compiling


@dataclass(frozen=True, slots=True)
class _Item:
    key: str  # the key path shown in errors, e.g. "payoffs.stalemate.russia"
    expr: Expr
    fn: Compiled


class CompiledScenario:
    """A scenario with every expression compiled, ready to evaluate chunks."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.tree: Tree = build_tree(scenario)
        types = scenario.types()

        def item(key: str, expr: Expr) -> _Item:
            return _Item(key, expr, compile_expr(expr, types))

        self.derived = [(d.name, item(f"derived.{d.name}", d.expr)) for d in scenario.derived]
        actors = scenario.actor_ids
        self.payoffs = [
            [item(f"payoffs.{o.id}.{a}", e) for a, e in zip(actors, o.payoffs, strict=True)]
            for o in scenario.outcomes.values()
        ]
        self.chance: dict[int, list[_Item]] = {}
        for pos in self.tree.inner:
            node = scenario.nodes[self.tree.positions[pos].id]
            if isinstance(node, ChanceNode):
                self.chance[pos] = [
                    item(f"nodes.{node.id}.chance.{a}", e) for a, e in zip(node.actions, node.probs, strict=True)
                ]
        self.traps = [(t.id, item(f"traps.{t.id}.when", t.when)) for t in scenario.traps]
        #: ``{actor: [(belief, compiled expression or None)]}`` for actors with ``[beliefs]``.
        self.beliefs = {
            actor: [(b, item(f"beliefs.{actor}.{b.parameter}", b.expr) if b.expr is not None else None)
                    for b in beliefs]
            for actor, beliefs in scenario.beliefs.items()
        }
        self.path_refs = sorted({ref for t in scenario.traps for ref in t.when.path_refs})
        self._deps = {d.name: d.expr.names for d in scenario.derived}

    def with_values(self, values: Mapping[str, float]) -> CompiledScenario:
        """The same compiled scenario with parameters fixed at constants (no recompiling).

        Fixing a parameter changes only how it is sampled, never an expression,
        so the compiled closures and the tree are shared with ``self``.
        """
        if not values:
            return self
        out = copy.copy(self)
        out.scenario = self.scenario.with_values(values)
        return out

    # -- sampling and evaluation ------------------------------------------

    def sample(self, entropy: int, chunk: int, n: int) -> dict[str, Any]:
        """Draw every parameter for one chunk and compute derived values."""
        env: dict[str, Any] = {}
        for p in self.scenario.parameters:
            if p.dist.kind == "constant":
                env[p.name] = p.dist.args["value"]
            else:
                env[p.name] = draw(p.dist, stream(entropy, chunk, p.name), n)
        self.derive(env, chunk)
        return env

    def derive(self, env: dict[str, Any], chunk: int = 0) -> None:
        """Add derived values to an environment of parameter values."""
        with np.errstate(all="ignore"):
            for name, it in self.derived:
                env[name] = self.finite(it, it.fn(env), env, chunk)

    def evaluate(self, env: Mapping[str, Any], n: int, chunk: int = 0) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        """Payoff array ``(outcomes, actors, n)`` and chance probabilities ``{pos: (k, n)}``."""
        payoffs = np.empty((len(self.payoffs), len(self.scenario.actors), n))
        with np.errstate(all="ignore"):
            for o, row in enumerate(self.payoffs):
                for a, it in enumerate(row):
                    payoffs[o, a] = it.fn(env)
            if not np.isfinite(payoffs).all():  # find the culprit only when there is one
                for o, row in enumerate(self.payoffs):
                    for a, it in enumerate(row):
                        self.finite(it, payoffs[o, a], env, chunk)
            chance = {}
            for pos, items in self.chance.items():
                p = np.empty((len(items), n))
                for k, it in enumerate(items):
                    p[k] = it.fn(env)
                if not np.isfinite(p).all():
                    for k, it in enumerate(items):
                        self.finite(it, p[k], env, chunk)
                self.check_probabilities(pos, p, env, chunk)
                chance[pos] = p
        return payoffs, chance

    def perceive(self, env: Mapping[str, Any], actor: str, entropy: int = 0, chunk: int = 0, n: int = 1,
                 *, central: bool = False) -> dict[str, Any]:
        """The parameters and derived values as ``actor`` sees them, in the same draws as ``env``.

        Unlisted parameters keep their true values. A believed distribution is
        drawn on the stream ``belief:<actor>:<parameter>`` (or taken at its
        central value with ``central=True``); a believed expression is
        evaluated on the true values ``env``. Derived values are recomputed.
        """
        seen: dict[str, Any] = {p.name: env[p.name] for p in self.scenario.parameters}
        with np.errstate(all="ignore"):
            for belief, it in self.beliefs[actor]:
                if it is not None:
                    seen[belief.parameter] = self.finite(it, it.fn(env), env, chunk)
                elif belief.dist is None:
                    continue
                elif central or belief.dist.kind == "constant":
                    value = central_value(belief.dist)
                    seen[belief.parameter] = np.full(n, value) if central else value
                else:
                    rng = stream(entropy, chunk, f"belief:{actor}:{belief.parameter}")
                    seen[belief.parameter] = draw(belief.dist, rng, n)
        self.derive(seen, chunk)
        return seen

    def hypergame(self, env: Mapping[str, Any], truth: Solution, entropy: int, chunk: int, n: int,
                  solver: str, rationality: float) -> tuple[Solution, dict[str, Solution]]:
        """The strategy played when actors have beliefs, and each believer's perceived solution.

        Each actor with beliefs solves the game with its perceived values and
        plays that solution at its own decision nodes; everyone else plays
        ``truth``; chance nodes keep their true probabilities.
        """
        perceived = {}
        for actor in self.beliefs:
            seen = self.perceive(env, actor, entropy, chunk, n)
            try:
                payoffs, chance = self.evaluate(seen, n, chunk)
            except RunError as exc:
                raise RunError(f"under the beliefs of '{actor}': {exc}") from None
            perceived[actor] = backward(self.tree, payoffs, chance, solver=solver, rationality=rationality)
        return self.follow(truth, perceived), perceived

    def follow(self, truth: Solution, perceived: Mapping[str, Solution]) -> Solution:
        """``truth`` with each listed actor's decisions taken from its own solution."""
        owners = {self.tree.actors.index(a): sol for a, sol in perceived.items()}
        choice, probs, ties = dict(truth.choice), dict(truth.probs), dict(truth.ties)
        for i in self.tree.inner:
            pos = self.tree.positions[i]
            sol = owners.get(pos.owner) if pos.kind == "decision" else None
            if sol is not None:
                if i in sol.choice:
                    choice[i] = sol.choice[i]
                    ties[i] = sol.ties[i]  # a believer's tie is one in the game it sees
                else:
                    probs[i] = sol.probs[i]
        return Solution(truth.values, probs, choice, ties)

    def finite(self, it: _Item, value: Any, env: Mapping[str, Any], chunk: int) -> Any:
        arr = np.asarray(value)
        if arr.dtype == bool or np.isfinite(arr).all():
            return value
        bad = int(np.flatnonzero(~np.isfinite(np.broadcast_to(arr, (max(arr.size, 1),))))[0])
        shown = arr.flat[bad] if arr.size > 1 else arr.item()
        raise RunError(
            f"{self.scenario.path}: {it.key}: \"{it.expr.source}\" is {shown} in draw "
            f"{chunk * CHUNK + bad + 1}, where {self.describe(it.expr.names, env, bad)}"
        )

    def check_probabilities(self, pos: int, p: np.ndarray, env: Mapping[str, Any], chunk: int) -> None:
        bad = (p < 0).any(axis=0) | (p > 1).any(axis=0) | (np.abs(p.sum(axis=0) - 1) > 1e-9)
        if not bad.any():
            return
        i = int(np.flatnonzero(bad)[0])
        node = self.tree.positions[pos]
        shown = ", ".join(f"{a} = {p[k, i]:.6g}" for k, a in enumerate(node.actions))
        names = frozenset().union(*(it.expr.names for it in self.chance[pos]))
        raise RunError(
            f"{self.scenario.path}: nodes.{node.id}.chance: probabilities must lie in [0, 1] and sum to 1 "
            f"in every draw; in draw {chunk * CHUNK + i + 1} they are {shown} (sum {p[:, i].sum():.6g}), "
            f"where {self.describe(names, env, i)}"
        )

    def describe(self, names: frozenset[str], env: Mapping[str, Any], i: int) -> str:
        """``a = 0.1, b = 2`` for the names used (and the parameters behind derived ones)."""
        seen: list[str] = []
        todo = sorted(names)
        while todo:
            name = todo.pop(0)
            if name in seen or name not in env:
                continue
            seen.append(name)
            todo.extend(sorted(self._deps.get(name, ())))
        if not seen:
            return "no parameter is involved"
        parts = []
        for name in seen:
            v = np.asarray(env[name])
            x = v.flat[i] if v.size > 1 else v.item()
            parts.append(f"{name} = {x:.6g}")
        return ", ".join(parts)

    def traps_on_path(self, env: Mapping[str, Any], leaf: np.ndarray, actions: np.ndarray,
                      payoffs: np.ndarray, chunk: int = 0, *,
                      expected: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """Evaluate every trap on the realised paths; ``{trap: bool (n,)}``.

        ``expected`` gives each actor's expected payoff at the root, ``(n,)``
        (needed only when a trap uses ``expected()`` or ``surprise()``).
        """
        n = leaf.shape[0]
        tree = self.tree
        scope = dict(env)
        row_of = {pos: r for r, pos in enumerate(tree.inner)}
        outcome_of_leaf = np.array([p.outcome for p in tree.positions])[leaf]
        for ref in self.path_refs:
            fn, *args = ref
            if fn == "played":
                pos = tree.node_index[args[0]]
                k = tree.positions[pos].actions.index(args[1])
                scope[path_key(ref)] = actions[row_of[pos]] == k
            elif fn == "reached":
                if args[0] in tree.node_index:
                    scope[path_key(ref)] = actions[row_of[tree.node_index[args[0]]]] >= 0
                else:
                    scope[path_key(ref)] = outcome_of_leaf == tree.outcomes.index(args[0])
            else:
                a = tree.actors.index(args[0])
                realised = payoffs[outcome_of_leaf, a, np.arange(n)]
                if fn == "payoff":
                    scope[path_key(ref)] = realised
                else:
                    if expected is None:
                        raise RunError(f"{self.scenario.path}: {fn}('{args[0]}') needs each actor's "
                                       "expected payoff, which only `trapsim run`, `solve` and "
                                       "`explain` compute")
                    e = expected[args[0]]
                    scope[path_key(ref)] = e if fn == "expected" else realised - e
        out = {}
        with np.errstate(all="ignore"):
            for tid, it in self.traps:
                value = np.broadcast_to(np.asarray(self.finite(it, it.fn(scope), scope, chunk), dtype=bool), (n,))
                scope[tid] = value
                out[tid] = value
        return out

    def uniforms(self, entropy: int, chunk: int, n: int, solver: str) -> dict[int, np.ndarray]:
        """Uniforms for chance nodes (and decisions under ``qre``), one stream per node."""
        out = {}
        for pos in self.tree.inner:
            p = self.tree.positions[pos]
            if p.kind == "chance" or solver == "qre":
                out[pos] = stream(entropy, chunk, f"node:{p.id}").random(n)
        return out


# ------------------------------------------------------------------ one chunk


@dataclass(slots=True)
class ChunkStats:
    """Counts and moments of one chunk (merged in chunk order)."""

    n: int
    traps: np.ndarray  # (traps,) int
    outcomes: np.ndarray  # (outcomes,) int
    mean: np.ndarray  # (actors,)
    m2: np.ndarray  # (actors,)
    ties: np.ndarray  # (inner,) int: draws with a tie at the node
    ties_on_path: np.ndarray  # (inner,) int: ... and the node was reached
    tie_anywhere: int  # draws with a tie at some node of the realised path
    actions: list[np.ndarray]  # per inner node, (k,) int: draws taking each action
    sample: np.ndarray | None = None  # chunk 0 only: realised payoffs (actors, n), for figures
    changed: np.ndarray | None = None  # (believers,) int: draws whose outcome a misperception changed


def run_chunk(model: CompiledScenario, entropy: int, chunk: int, n: int, solver: str,
              rationality: float) -> ChunkStats:
    """Sample, solve, play and count one chunk of ``n`` draws."""
    env = model.sample(entropy, chunk, n)
    payoffs, chance = model.evaluate(env, n, chunk)
    sol: Solution = backward(model.tree, payoffs, chance, solver=solver, rationality=rationality)
    uniforms = model.uniforms(entropy, chunk, n, solver)
    played = sol
    perceived: dict[str, Solution] = {}
    if model.beliefs:
        played, perceived = model.hypergame(env, sol, entropy, chunk, n, solver, rationality)
    leaf, actions = play(model.tree, played, uniforms)
    expected = None
    if any(ref[0] in ("expected", "surprise") for ref in model.path_refs):
        expected = {a: sol.values[0][k] for k, a in enumerate(model.tree.actors)}
        expected.update({a: ps.values[0][model.tree.actors.index(a)] for a, ps in perceived.items()})
    traps = model.traps_on_path(env, leaf, actions, payoffs, chunk, expected=expected)
    tree = model.tree
    outcome_of = np.array([p.outcome for p in tree.positions])
    outcome_idx = outcome_of[leaf]
    changed = None
    if perceived:  # per believer: would the outcome differ had it played the true solution?
        changed = np.array([
            int(np.count_nonzero(outcome_of[play(tree, model.follow(sol, {b: ps for b, ps in perceived.items()
                                                                          if b != a}), uniforms)[0]]
                                 != outcome_idx))
            for a in perceived
        ], dtype=np.int64)
    realised = payoffs[outcome_idx, :, np.arange(n)]  # (n, actors)
    tie_rows = [played.ties.get(pos) for pos in tree.inner]
    zeros = np.zeros(n, dtype=bool)
    ties = np.array([int(np.count_nonzero(t)) if t is not None else 0 for t in tie_rows])
    tied_on_path = [(t if t is not None else zeros) & (actions[r] >= 0) for r, t in enumerate(tie_rows)]
    ties_on_path = np.array([int(np.count_nonzero(t)) for t in tied_on_path])
    any_tie = np.logical_or.reduce(tied_on_path) if tied_on_path else zeros
    return ChunkStats(
        n=n,
        traps=np.array([int(np.count_nonzero(traps[t.id])) for t in model.scenario.traps], dtype=np.int64),
        outcomes=np.bincount(outcome_idx, minlength=len(tree.outcomes)).astype(np.int64),
        mean=realised.mean(axis=0),
        m2=((realised - realised.mean(axis=0)) ** 2).sum(axis=0),
        ties=ties,
        ties_on_path=ties_on_path,
        tie_anywhere=int(np.count_nonzero(any_tie)),
        actions=[np.bincount(actions[r][actions[r] >= 0], minlength=len(tree.positions[pos].children))
                 for r, pos in enumerate(tree.inner)],
        sample=np.ascontiguousarray(realised.T) if chunk == 0 else None,
        changed=changed,
    )


_WORKER_CACHE: dict[str, CompiledScenario] = {}


def compiled(scenario: Scenario) -> CompiledScenario:
    """``CompiledScenario(scenario)``, cached in this process (for worker processes)."""
    key = scenario.sha256 + repr([(p.name, p.dist.kind, dict(p.dist.args)) for p in scenario.parameters])
    model = _WORKER_CACHE.get(key)
    if model is None:
        _WORKER_CACHE.clear()
        model = _WORKER_CACHE[key] = CompiledScenario(scenario)
    return model


def _run_batch(scenario: Scenario, entropy: int, chunks: Sequence[tuple[int, int]], solver: str,
               rationality: float) -> list[ChunkStats]:
    """Worker entry point: run several chunks (the compiled scenario is cached per process)."""
    model = compiled(scenario)
    return [run_chunk(model, entropy, c, n, solver, rationality) for c, n in chunks]


def _chunks(draws: int) -> list[tuple[int, int]]:
    """``(chunk index, draws in it)`` for a run of ``draws`` draws."""
    return [(c, min(CHUNK, draws - c * CHUNK)) for c in range(math.ceil(draws / CHUNK))]


def run_point(model: CompiledScenario, *, draws: int, seed: int, solver: str = "spe",
              rationality: float = 10.0, values: Mapping[str, float] | None = None) -> Result:
    """One run in this process from an already compiled scenario (a sweep point).

    Equal to ``run(model.scenario, draws=draws, seed=seed, values=values, ...)``
    (same streams, same chunks), without compiling the scenario again.
    """
    start = time.perf_counter()
    values = dict(values or {})
    point = model.with_values(values)
    stats = [run_chunk(point, seed, c, n, solver, rationality) for c, n in _chunks(draws)]
    return _aggregate(point.scenario, stats, draws, seed, True, solver, rationality, values,
                      time.perf_counter() - start, 1)


# --------------------------------------------------------------------- result


@dataclass
class Result:
    """The outcome of a Monte Carlo run (see :func:`run`)."""

    scenario: Scenario
    draws: int
    seed: int
    seed_given: bool
    solver: str
    rationality: float
    values: dict[str, float]
    trap_counts: dict[str, int]
    outcome_counts: dict[str, int]
    payoff_mean: dict[str, float]
    payoff_sd: dict[str, float]
    tie_counts: dict[str, int]
    tie_path_counts: dict[str, int]
    tie_anywhere_count: int
    edge_counts: dict[str, list[int]]
    chunk_sizes: np.ndarray
    chunk_trap_counts: np.ndarray  # (chunks, traps)
    elapsed_s: float = 0.0
    workers: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    #: Realised payoffs of the first chunk's draws, ``(actors, min(draws, CHUNK))``, in actor
    #: order: a random sample for payoff figures (not part of the JSON output).
    payoff_sample: np.ndarray | None = None
    #: Per actor with beliefs: draws in which its misperception changed the realised outcome.
    misperception: dict[str, int] = field(default_factory=dict)

    def rate(self, trap: str) -> float:
        return self.trap_counts[trap] / self.draws

    def ci95(self, trap: str) -> tuple[float, float]:
        return wilson(self.trap_counts[trap], self.draws)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of the format contract (plus a few extra keys)."""
        sc = self.scenario
        traps = {
            t.id: {
                "title": t.title,
                "count": self.trap_counts[t.id],
                "rate": self.rate(t.id),
                "ci95": list(self.ci95(t.id)),
            }
            for t in sc.traps
        }
        ranked = sorted(self.outcome_counts.items(), key=lambda kv: (-kv[1], list(sc.outcomes).index(kv[0])))
        outcomes = {o: {"count": c, "rate": c / self.draws, "ci95": list(wilson(c, self.draws))}
                    for o, c in ranked}
        payoffs = {a: {"mean": self.payoff_mean[a], "sd": self.payoff_sd[a]} for a in sc.actor_ids}
        doc: dict[str, Any] = {
            "scenario": sc.name,
            "title": sc.title,
            "draws": self.draws,
            "seed": self.seed,
            "solver": self.solver,
        }
        if self.solver == "qre":
            doc["rationality"] = self.rationality
        if self.values:
            doc["values"] = dict(self.values)
        doc.update(traps=traps, outcomes=outcomes, payoffs=payoffs)
        doc["ties"] = {node: {"share": c / self.draws, "share_on_path": self.tie_path_counts[node] / self.draws}
                       for node, c in self.tie_counts.items()}
        doc["tie_on_path_share"] = self.tie_anywhere_count / self.draws
        if self.misperception:
            doc["misperception"] = {a: {"changed": c, "share": c / self.draws}
                                    for a, c in self.misperception.items()}
        doc["meta"] = {
            "trapsim": _version(),
            "scenario_sha256": sc.sha256,
            "scenario_path": sc.path,
            "seed_source": "given" if self.seed_given else "entropy",
            "chunk_size": CHUNK,
            "elapsed_s": round(self.elapsed_s, 4),
        }
        doc.update(self.extra)
        return doc

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("trapsim")
    except PackageNotFoundError:  # running from a source tree
        return "0.1.0"


# ------------------------------------------------------------------------ run


def run(
    scenario: Scenario,
    *,
    draws: int,
    seed: int | None,
    solver: str = "spe",
    rationality: float = 10.0,
    values: Mapping[str, float] | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Result:
    """Run the Monte Carlo: ``draws`` samples, each solved and played once.

    Parameters
    ----------
    seed
        Root seed; ``None`` draws fresh entropy (recorded in the result).
    values
        Parameters fixed at constants for this run (``--set``).
    workers
        Processes to use (1: in this process). Results do not depend on it.
    progress
        Called with the number of draws finished after each chunk.
    """
    start = time.perf_counter()
    values = dict(values or {})
    if values:
        scenario = scenario.with_values(values)
    seed_given = seed is not None
    entropy = seed if seed is not None else int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    chunks = _chunks(draws)
    workers = max(1, min(workers, len(chunks)))
    stats: list[ChunkStats] = []
    if workers == 1:
        model = CompiledScenario(scenario)
        for c, n in chunks:
            stats.append(run_chunk(model, entropy, c, n, solver, rationality))
            if progress:
                progress(n)
    else:
        batch = max(1, min(16, len(chunks) // (workers * 4)))
        batches = [chunks[i : i + batch] for i in range(0, len(chunks), batch)]
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(_run_batch, scenario, entropy, b, solver, rationality) for b in batches]
            for fut, b in zip(futures, batches, strict=True):
                stats.extend(fut.result())
                if progress:
                    progress(sum(n for _, n in b))
    return _aggregate(scenario, stats, draws, entropy, seed_given, solver, rationality, values,
                      time.perf_counter() - start, workers)


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _changed(scenario: Scenario, stats: list[ChunkStats]) -> dict[str, int]:
    """Per actor with beliefs: draws in which its misperception changed the outcome."""
    counts = [s.changed for s in stats if s.changed is not None]
    if not scenario.beliefs or not counts:
        return {}
    return {a: int(c) for a, c in zip(scenario.beliefs, np.sum(counts, axis=0), strict=True)}


def _aggregate(scenario: Scenario, stats: list[ChunkStats], draws: int, entropy: int, seed_given: bool,
               solver: str, rationality: float, values: dict[str, float], elapsed: float,
               workers: int) -> Result:
    tree = build_tree(scenario)
    n_total = 0
    mean = np.zeros(len(scenario.actors))
    m2 = np.zeros(len(scenario.actors))
    for s in stats:  # Chan et al.'s parallel merge, always in chunk order
        n_new = n_total + s.n
        delta = s.mean - mean
        mean = mean + delta * (s.n / n_new)
        m2 = m2 + s.m2 + delta * delta * (n_total * s.n / n_new)
        n_total = n_new
    sd = np.sqrt(m2 / (n_total - 1)) if n_total > 1 else np.zeros_like(m2)
    traps = np.sum([s.traps for s in stats], axis=0)
    outcomes = np.sum([s.outcomes for s in stats], axis=0)
    ties = np.sum([s.ties for s in stats], axis=0)
    ties_on_path = np.sum([s.ties_on_path for s in stats], axis=0)
    inner_ids = [tree.positions[p].id for p in tree.inner]
    decisions = [r for r, p in enumerate(tree.inner) if tree.positions[p].kind == "decision"]
    edges = {nid: np.sum([s.actions[r] for s in stats], axis=0).astype(int).tolist()
             for r, nid in enumerate(inner_ids)}
    return Result(
        scenario=scenario,
        draws=draws,
        seed=entropy,
        seed_given=seed_given,
        solver=solver,
        rationality=rationality,
        values=values,
        trap_counts={t.id: int(c) for t, c in zip(scenario.traps, traps, strict=True)} if scenario.traps else {},
        outcome_counts={o: int(c) for o, c in zip(tree.outcomes, outcomes, strict=True)},
        payoff_mean={a: float(m) for a, m in zip(scenario.actor_ids, mean, strict=True)},
        payoff_sd={a: float(x) for a, x in zip(scenario.actor_ids, sd, strict=True)},
        tie_counts={inner_ids[r]: int(ties[r]) for r in decisions},
        tie_path_counts={inner_ids[r]: int(ties_on_path[r]) for r in decisions},
        tie_anywhere_count=int(sum(s.tie_anywhere for s in stats)),
        edge_counts=edges,
        chunk_sizes=np.array([s.n for s in stats]),
        chunk_trap_counts=np.array([s.traps for s in stats]).reshape(len(stats), len(scenario.traps)),
        elapsed_s=elapsed,
        workers=workers,
        payoff_sample=stats[0].sample if stats else None,
        misperception=_changed(scenario, stats),
    )
