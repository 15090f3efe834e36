"""Benchmark trapsim's vectorised runner against two per-draw baselines.

Run from the project root::

    python benchmarks/bench_run.py          # full run (a few minutes): benchmarks/results.md
    python benchmarks/bench_run.py --quick  # smaller sizes, prints only

For each scenario (the bundled ``defense_clause`` and a generated 60-80-leaf,
5-actor, 8-parameter game, see ``generated_game.py``) it measures

* trapsim draws per second: ``trapsim.simulate`` at 1,000,000 draws with
  ``workers=1`` and ``workers=2``, best of 3;
* per-draw Python: the same draws (trapsim's sampler, seed and chunk 0), but
  each draw solved on its own: derived values, payoffs and chance
  probabilities evaluated on scalars, a recursive backward induction in plain
  Python, the path played out with the same uniforms, traps evaluated;
* "the Gambit way": each draw's game built with pygambit (``Game.new_tree``,
  ``append_move``, exact chance probabilities, one outcome per payoff row)
  and solved by walking its nodes (pygambit 16.7 has no subgame-perfect
  solver), then played out and its traps evaluated like above;
* peak memory of a 10,000,000-draw run, in a fresh process (``ru_maxrss`` of
  ``getrusage(RUSAGE_CHILDREN)`` read by a wrapper whose only child is the run).

The three solvers must agree: the baselines' trap counts and realised
outcomes are compared draw by draw with trapsim's on the same draws, and the
benchmark stops if they differ. Speed ratios are per draw (baselines are timed
on a few thousand / a few hundred draws and extrapolated).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pygambit as gbt

import trapsim
from trapsim.expressions import path_key, split_path_ref
from trapsim.model import DecisionNode, Scenario
from trapsim.output import write_text_atomic
from trapsim.runner import CompiledScenario
from trapsim.solver import TIE_TOLERANCE

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generated_game import generate_toml

ROOT = Path(__file__).resolve().parent.parent
SEED = 20240619

# ------------------------------------------------------------------ per-draw helpers


@dataclass
class DrawBatch:
    """Parameter draws and chance uniforms for ``n`` draws (chunk 0 of trapsim's streams)."""

    n: int
    params: dict[str, Any]  # name -> float or array (n,)
    uniforms: dict[str, np.ndarray]  # node id -> array (n,)


def sample_draws(model: CompiledScenario, n: int, seed: int = SEED) -> DrawBatch:
    """The same parameter values and uniforms trapsim uses for draws 1..n (n <= 8192)."""
    params: dict[str, Any] = {}
    env = model.sample(seed, 0, n)
    for p in model.scenario.parameters:
        params[p.name] = env[p.name]
    uniforms = {model.tree.positions[pos].id: u for pos, u in model.uniforms(seed, 0, n, "spe").items()}
    return DrawBatch(n, params, uniforms)


def draw_env(model: CompiledScenario, batch: DrawBatch, i: int) -> dict[str, float]:
    """Scalar parameter values of draw ``i`` plus its derived values, evaluated on scalars."""
    env: dict[str, Any] = {k: (float(v[i]) if isinstance(v, np.ndarray) else float(v)) for k, v in batch.params.items()}
    for name, item in model.derived:
        env[name] = item.fn(env)
    return env


def draw_tables(
    model: CompiledScenario, env: Mapping[str, Any]
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Payoff rows ``{outcome: [per actor]}`` and chance probabilities ``{node: [per branch]}``."""
    payoffs = {
        oid: [float(it.fn(env)) for it in row] for oid, row in zip(model.scenario.outcomes, model.payoffs, strict=True)
    }
    chance = {model.tree.positions[pos].id: [float(it.fn(env)) for it in items] for pos, items in model.chance.items()}
    return payoffs, chance


def best_action(values: Sequence[float]) -> int:
    """First action whose value ties the maximum (trapsim's relative tolerance)."""
    best = max(values)
    cut = best - TIE_TOLERANCE * max(1.0, abs(best))
    return next(k for k, v in enumerate(values) if v >= cut)


def pick_branch(probs: Sequence[float], u: float) -> int:
    """Branch that uniform ``u`` falls into (same rule as trapsim's player)."""
    cum, k = 0.0, 0
    for p in probs[:-1]:
        cum += p
        if u >= cum:
            k += 1
    return k


def traps_on_path(
    model: CompiledScenario,
    env: Mapping[str, Any],
    played: Mapping[str, int],
    leaf: str,
    leaf_payoffs: Sequence[float],
    worlds: Mapping[str, Path_] | None = None,
) -> dict[str, bool]:
    """Evaluate every trap of one draw from its realised path (and each world's, see :func:`world_paths`)."""
    scope: dict[str, Any] = dict(env)
    actors = model.scenario.actor_ids
    paths: dict[str | None, Path_] = {None: (played, leaf, leaf_payoffs), **(worlds or {})}
    for ref in model.path_refs:
        fn, args, world = split_path_ref(ref)
        w_played, w_leaf, w_payoffs = paths[world]
        if fn == "played":
            node = model.scenario.nodes[args[0]]
            scope[path_key(ref)] = w_played.get(args[0]) == node.actions.index(args[1])
        elif fn == "reached":
            scope[path_key(ref)] = args[0] in w_played or args[0] == w_leaf
        else:
            scope[path_key(ref)] = w_payoffs[actors.index(args[0])]
    out = {}
    for tid, when, given in model.traps:  # a trap fires when its `when` and its `given` hold
        out[tid] = scope[tid] = bool(when.fn(scope)) and (given is None or bool(given.fn(scope)))
    return out


@dataclass
class BaselineRun:
    elapsed_s: float
    leaves: list[str]
    trap_counts: dict[str, int]
    solve_s: float = 0.0  # time spent solving and playing (the rest: sampling, expressions, traps)

    def rate(self) -> float:
        return len(self.leaves) / self.elapsed_s


# ------------------------------------------------------------------ baseline (a): plain Python


def solve_python(
    sc: Scenario,
    nid: str,
    payoffs: Mapping[str, list[float]],
    chance: Mapping[str, list[float]],
    choice: dict[str, int],
    force: Mapping[str, str] | None = None,
) -> list[float]:
    """Recursive backward induction of one draw; fills ``choice`` at every decision node.

    ``force`` (a world's) maps a decision node to the one action it keeps.
    """
    node = sc.nodes.get(nid)
    if node is None:
        return payoffs[nid]
    if force and nid in force:
        k = node.actions.index(force[nid])
        choice[nid] = k
        return solve_python(sc, node.targets[k], payoffs, chance, choice, force)
    values = [solve_python(sc, t, payoffs, chance, choice, force) for t in node.targets]
    if isinstance(node, DecisionNode):
        owner = sc.actor_ids.index(node.actor)
        k = best_action([v[owner] for v in values])
        choice[nid] = k
        return values[k]
    p = chance[nid]
    return [sum(p[k] * values[k][a] for k in range(len(values))) for a in range(len(sc.actors))]


#: One draw's path in one world: ``(node -> action index played, leaf, the leaf's payoffs)``.
Path_ = tuple[Mapping[str, int], str, Sequence[float]]


def walk_python(
    sc: Scenario, choice: Mapping[str, int], chance: Mapping[str, list[float]], batch: DrawBatch, i: int
) -> tuple[dict[str, int], str]:
    """Play one draw out: decisions from ``choice``, chance nodes by the draw's uniforms."""
    played: dict[str, int] = {}
    cur = sc.root
    while cur in sc.nodes:
        k = choice[cur] if cur in choice else pick_branch(chance[cur], float(batch.uniforms[cur][i]))
        played[cur] = k
        cur = sc.nodes[cur].targets[k]
    return played, cur


def world_paths(
    model: CompiledScenario,
    env: Mapping[str, Any],
    tables: tuple[dict[str, list[float]], dict[str, list[float]]],
    batch: DrawBatch,
    i: int,
) -> dict[str, Path_]:
    """Each world a trap names, solved and played for draw ``i`` in plain Python (same dice as the real path).

    A world's ``set`` values are applied and its payoffs evaluated again; its
    ``force`` keeps one action at each forced node.
    """
    sc = model.scenario
    out: dict[str, Path_] = {}
    for wid, game in model.worlds.items():
        values = model.world_values(game, env, None)
        payoffs, chance = tables if values is env else draw_tables(model, values)
        choice: dict[str, int] = {}
        solve_python(sc, sc.root, payoffs, chance, choice, dict(sc.world(wid).force))
        played, leaf = walk_python(sc, choice, chance, batch, i)
        out[wid] = (played, leaf, payoffs[leaf])
    return out


def python_per_draw(model: CompiledScenario, n: int) -> BaselineRun:
    """Solve ``n`` draws one at a time with a recursive backward induction in plain Python."""
    sc = model.scenario
    start = time.perf_counter()
    batch = sample_draws(model, n)
    leaves: list[str] = []
    counts = dict.fromkeys((t.id for t in sc.traps), 0)
    solve_s = 0.0
    for i in range(n):
        env = draw_env(model, batch, i)
        payoffs, chance = draw_tables(model, env)
        t0 = time.perf_counter()
        choice: dict[str, int] = {}
        solve_python(sc, sc.root, payoffs, chance, choice)
        played, cur = walk_python(sc, choice, chance, batch, i)
        worlds = world_paths(model, env, (payoffs, chance), batch, i)
        solve_s += time.perf_counter() - t0
        leaves.append(cur)
        for tid, hit in traps_on_path(model, env, played, cur, payoffs[cur], worlds).items():
            counts[tid] += hit
    return BaselineRun(time.perf_counter() - start, leaves, counts, solve_s)


# ------------------------------------------------------------------ baseline (b): pygambit


def build_gambit(sc: Scenario, payoffs: Mapping[str, list[float]], chance: Mapping[str, list[float]]) -> Any:
    """One draw's game as a pygambit tree: nodes labelled by id, one outcome per payoff row."""
    game = gbt.Game.new_tree(players=list(sc.actor_ids), title=sc.name)
    outcome = {oid: game.add_outcome(oid, row) for oid, row in payoffs.items()}
    stack = [(game.root, sc.root)]
    while stack:
        gnode, nid = stack.pop()
        node = sc.nodes.get(nid)
        if node is None:
            game.set_outcome(gnode, outcome[nid])
            continue
        gnode.label = nid
        if isinstance(node, DecisionNode):
            game.append_move(gnode, node.actor, list(node.actions))
        else:
            game.append_move(gnode, game.players.chance, list(node.actions))
            exact = [Fraction(p) for p in chance[nid]]
            total = sum(exact)
            game.set_chance_probs(gnode.infoset, [p / total for p in exact])  # sums to exactly 1
        stack.extend(zip(gnode.children, node.targets, strict=True))
    return game


def walk_gambit(gnode: Any, players: Sequence[Any], choice: dict[str, int]) -> list[float]:
    """Backward induction over a pygambit tree; fills ``choice`` (by node label)."""
    if gnode.is_terminal:
        return [float(gnode.outcome[p]) for p in players]
    values = [walk_gambit(c, players, choice) for c in gnode.children]
    if gnode.player.is_chance:
        probs = [float(a.prob) for a in gnode.infoset.actions]
        return [sum(p * v[a] for p, v in zip(probs, values, strict=True)) for a in range(len(players))]
    owner = players.index(gnode.player)
    k = best_action([v[owner] for v in values])
    choice[gnode.label] = k
    return values[k]


def gambit_per_draw(model: CompiledScenario, n: int) -> BaselineRun:
    """Build each draw's game with pygambit and solve it by walking its nodes."""
    sc = model.scenario
    start = time.perf_counter()
    batch = sample_draws(model, n)
    leaves: list[str] = []
    counts = dict.fromkeys((t.id for t in sc.traps), 0)
    for i in range(n):
        env = draw_env(model, batch, i)
        payoffs, chance = draw_tables(model, env)
        game = build_gambit(sc, payoffs, chance)
        players = list(game.players)
        choice: dict[str, int] = {}
        walk_gambit(game.root, players, choice)
        played: dict[str, int] = {}
        gnode = game.root
        while not gnode.is_terminal:  # play it out on pygambit's tree
            if gnode.player.is_chance:
                probs = [float(a.prob) for a in gnode.infoset.actions]
                k = pick_branch(probs, float(batch.uniforms[gnode.label][i]))
            else:
                k = choice[gnode.label]
            played[gnode.label] = k
            gnode = list(gnode.children)[k]
        leaf = gnode.outcome.label
        leaves.append(leaf)
        realised = [float(gnode.outcome[p]) for p in players]
        worlds = world_paths(model, env, (payoffs, chance), batch, i)  # worlds: the plain-Python walk
        for tid, hit in traps_on_path(model, env, played, leaf, realised, worlds).items():
            counts[tid] += hit
    return BaselineRun(time.perf_counter() - start, leaves, counts)


# ------------------------------------------------------------------ trapsim itself


def trapsim_leaves(model: CompiledScenario, n: int) -> list[str]:
    """Realised outcome of each of the first ``n`` draws, through trapsim's own run_chunk pieces."""
    from trapsim.solver import backward, play

    env = model.sample(SEED, 0, n)
    payoffs, chance = model.evaluate(env, n)
    sol = backward(model.tree, payoffs, chance, solver="spe")
    leaf, _ = play(model.tree, sol, model.uniforms(SEED, 0, n, "spe"))
    return [model.tree.positions[int(p)].id for p in leaf]


def best_of(fn: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


_MEMORY_WORK = (
    "import sys, trapsim; sc = trapsim.load(sys.argv[1]); "
    "r = trapsim.simulate(sc, draws=int(sys.argv[2]), seed=1, workers=1); print(r.elapsed_s)"
)
_MEMORY_WRAPPER = (
    "import resource, subprocess, sys; "
    "out = subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True).stdout; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, out.strip())"
)


def peak_memory(path: Path, draws: int) -> tuple[float, float]:
    """Peak resident memory (MB) and elapsed seconds of a fresh process running ``draws`` draws."""
    cmd = [
        sys.executable,
        "-c",
        _MEMORY_WRAPPER,
        sys.executable,
        "-c",
        _MEMORY_WORK,
        str(path),
        str(draws),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.split()
    return int(out[0]) / 1024, float(out[1])  # ru_maxrss is in KiB on Linux


# ------------------------------------------------------------------ one scenario


@dataclass
class Row:
    name: str
    leaves: int
    actors: int
    uncertain: int
    rate_1: float
    time_1m_1: float
    rate_2: float
    time_1m_2: float
    rate_python: float
    rate_gambit: float
    peak_mb: float
    peak_draws: int
    peak_elapsed: float
    baseline_mb: float
    python_draws: int
    gambit_draws: int
    rate_python_solve: float  # the per-draw loop's solve-and-play step alone, draws/s


def bench_scenario(name: str, path: Path, cfg: argparse.Namespace) -> Row:
    sc: Scenario = trapsim.load(str(path))
    model = CompiledScenario(sc)
    uncertain = sum(p.dist.kind != "constant" for p in sc.parameters)
    leaves = len(model.tree.leaves)
    log(f"[{name}] {leaves} leaves, {len(sc.actors)} actors, {uncertain} uncertain parameters")

    # correctness first: the baselines must reproduce trapsim's draws exactly
    py = python_per_draw(model, cfg.python_draws)
    ref = trapsim.simulate(sc, draws=cfg.python_draws, seed=SEED, solver="spe", workers=1)
    if py.leaves != trapsim_leaves(model, cfg.python_draws) or py.trap_counts != ref.trap_counts:
        raise SystemExit(f"[{name}] per-draw Python disagrees with trapsim: {py.trap_counts} vs {ref.trap_counts}")
    log(
        f"[{name}] per-draw Python: {cfg.python_draws} draws in {py.elapsed_s:.2f} s "
        f"({py.rate():,.0f} draws/s, {py.solve_s / py.elapsed_s:.0%} of it solving and playing); "
        "realised outcomes and trap counts equal trapsim's"
    )
    gb = gambit_per_draw(model, cfg.gambit_draws)
    if gb.leaves != py.leaves[: cfg.gambit_draws]:
        raise SystemExit(f"[{name}] the pygambit walk disagrees with trapsim")
    log(
        f"[{name}] pygambit: {cfg.gambit_draws} draws in {gb.elapsed_s:.2f} s "
        f"({gb.rate():,.0f} draws/s, {1000 / gb.rate():.2f} ms per draw); same outcomes"
    )

    def sim(workers: int) -> Callable[[], Any]:
        return lambda: trapsim.simulate(sc, draws=cfg.draws, seed=1, workers=workers)

    t1 = best_of(sim(1), cfg.repeats)
    log(f"[{name}] trapsim 1 core: {cfg.draws:,} draws in {t1:.3f} s (best of {cfg.repeats})")
    t2 = best_of(sim(2), cfg.repeats)
    log(f"[{name}] trapsim 2 workers: {cfg.draws:,} draws in {t2:.3f} s (best of {cfg.repeats})")
    baseline_mb, _ = peak_memory(path, 1)
    peak_mb, peak_elapsed = peak_memory(path, cfg.memory_draws)
    log(
        f"[{name}] peak memory at {cfg.memory_draws:,} draws: {peak_mb:.0f} MB "
        f"(a 1-draw run: {baseline_mb:.0f} MB), {peak_elapsed:.1f} s"
    )
    return Row(
        name,
        leaves,
        len(sc.actors),
        uncertain,
        cfg.draws / t1,
        t1 * 1e6 / cfg.draws,
        cfg.draws / t2,
        t2 * 1e6 / cfg.draws,
        py.rate(),
        gb.rate(),
        peak_mb,
        cfg.memory_draws,
        peak_elapsed,
        baseline_mb,
        cfg.python_draws,
        cfg.gambit_draws,
        cfg.python_draws / py.solve_s,
    )


# ------------------------------------------------------------------ report


def fmt_int(x: float) -> str:
    return f"{x:,.0f}"


def reference_table(rows: Sequence[Any], peak: str, name: Callable[[Any], str]) -> list[str]:
    """The table against the two per-draw references (results.md and README), one row per scenario."""
    header = ["scenario", "trapsim draws/s (1 core)", "per-draw Python draws/s", "pygambit draws/s"]
    header += ["ratio vs Python", "ratio vs pygambit", peak]
    body = [
        [
            name(r),
            fmt_int(r.rate_1),
            fmt_int(r.rate_python),
            fmt_int(r.rate_gambit),
            f"{r.rate_1 / r.rate_python:,.0f}x",
            f"{r.rate_1 / r.rate_gambit:,.0f}x",
            f"{r.peak_mb:,.0f}",
        ]
        for r in rows
    ]
    return md_table(header, "lrrrrrr", body)


def md_table(header: Sequence[str], align: str, body: Sequence[Sequence[str]]) -> list[str]:
    """Markdown table lines; ``align`` has one letter per column (l, r or c)."""
    marks = {"l": "---", "r": "---:", "c": ":-:"}
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(marks[c] for c in align) + "|"]
    return out + ["| " + " | ".join(row) + " |" for row in body]


def report(rows: Sequence[Row], cfg: argparse.Namespace) -> str:
    """The results as markdown: the main table, details, targets and the method."""
    m = rows[0].peak_draws
    big = f"{m // 1_000_000}M" if m % 1_000_000 == 0 else fmt_int(m)
    quick = " --quick" if cfg.quick else ""
    lines = [
        "# trapsim benchmark results",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} by `python benchmarks/bench_run.py{quick}` ({environment()}).",
        "",
    ]
    lines += reference_table(rows, f"peak MB at {big}", lambda r: r.name)
    lines.append("")
    lines += md_table(
        [
            "scenario",
            "leaves",
            "actors",
            "uncertain parameters",
            "1M draws, 1 core (s)",
            "1M draws, 2 workers (s)",
            "draws/s, 2 workers",
            "ms per draw: Python / pygambit",
            f"{big}-draw run (s)",
            "1-draw run (MB)",
            "ratio vs Python's solve step alone",
        ],
        "lrrrrrrrrrr",
        [
            [
                r.name,
                str(r.leaves),
                str(r.actors),
                str(r.uncertain),
                f"{r.time_1m_1:.2f}",
                f"{r.time_1m_2:.2f}",
                fmt_int(r.rate_2),
                f"{1000 / r.rate_python:.2f} / {1000 / r.rate_gambit:.2f}",
                f"{r.peak_elapsed:.1f}",
                f"{r.baseline_mb:,.0f}",
                f"{r.rate_1 / r.rate_python_solve:,.0f}x",
            ]
            for r in rows
        ],
    )
    dc = rows[0]
    checks = [(f"1,000,000 draws of {dc.name} on one core < 2 s", f"{dc.time_1m_1:.2f} s", dc.time_1m_1 < 2)]
    for r in rows:
        vs_gambit, vs_python = r.rate_1 / r.rate_gambit, r.rate_1 / r.rate_python
        checks += [
            (f"{r.name}: ≥ 1,000x faster per draw than pygambit", f"{vs_gambit:,.0f}x", vs_gambit >= 1000),
            (f"{r.name}: ≥ 100x faster per draw than the per-draw Python loop", f"{vs_python:,.0f}x", vs_python >= 100),
            (
                f"{r.name}: peak memory at {r.peak_draws:,} draws well under 1 GB",
                f"{r.peak_mb:,.0f} MB",
                r.peak_mb < 512,
            ),
        ]
    lines.append("")
    lines += md_table(["target", "measured", "met"], "lrc", [[t, v, "yes" if ok else "**no**"] for t, v, ok in checks])
    lines += [
        "",
        f"How it is measured: trapsim draws/s is `trapsim.simulate(..., draws={cfg.draws:,}, "
        f"workers=1)`, best of {cfg.repeats} (the 2-worker figure includes starting the process "
        f"pool). The per-draw Python loop ({dc.python_draws:,} draws) and the pygambit way "
        f"({dc.gambit_draws:,} draws) are timed on trapsim's own draws (same sampler, seed and "
        "chance uniforms) and extrapolated; the benchmark checks that both reach the same outcome "
        "as trapsim in every draw and the same trap counts. Both baselines include sampling, "
        "evaluating every expression on the draw's scalars, backward induction, playing out the "
        "path and the traps; the pygambit way also builds the game (`Game.new_tree`, "
        "`append_move`, exact chance probabilities, `add_outcome`) in every draw. Peak memory is "
        f"`ru_maxrss` of a fresh process running the whole {dc.peak_draws:,}-draw simulation on "
        "one core. The last column compares trapsim's whole run with only the backward induction "
        "and play-out of the per-draw loop (no sampling, expressions or traps): a lower bound for "
        "any per-draw Python loop, however its expressions are written.",
        "",
    ]
    return "\n".join(lines)


def environment() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gambit = gbt.__version__
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"numpy {np.__version__}, trapsim {trapsim.__version__} at commit {commit}, "
        f"pygambit {gambit}"
    )


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="small sizes (200k draws, 1 repeat, 1M-draw memory run); prints, writes nothing",
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="markdown file for the table [default: benchmarks/results.md; none with --quick]",
    )
    cfg = ap.parse_args(argv)
    if cfg.quick:
        cfg.draws, cfg.repeats, cfg.memory_draws, cfg.python_draws, cfg.gambit_draws = (
            200_000,
            1,
            1_000_000,
            500,
            50,
        )
    else:
        cfg.draws, cfg.repeats, cfg.memory_draws, cfg.python_draws, cfg.gambit_draws = (
            1_000_000,
            3,
            10_000_000,
            2_000,
            200,
        )
    out = cfg.out if cfg.out is not None else (None if cfg.quick else ROOT / "benchmarks" / "results.md")
    # The per-draw baselines solve one game per draw from payoffs per outcome: the bundled
    # defense_clause v2 (payoffs read the history, counterfactual worlds, conditional traps) is
    # beyond them, so this table uses its v1, frozen as a test fixture; the whole-process rows
    # of bench_scaling.py run the bundled v2.
    rows = [bench_scenario("defense_clause v1", ROOT / "tests" / "data" / "defense_clause_v1.toml", cfg)]
    with tempfile.TemporaryDirectory() as tmp:
        gen = Path(tmp) / "generated.toml"
        gen.write_text(generate_toml(2024), encoding="utf-8")
        rows.append(bench_scenario("generated (seed 2024)", gen, cfg))
    text = report(rows, cfg)
    from bench_scaling import configure
    from bench_scaling import run as run_scaling

    scaling = configure(argparse.Namespace(quick=cfg.quick))
    text += "\n" + run_scaling(scaling, None if cfg.quick else ROOT / "benchmarks" / "scaling.png")
    print(text)
    if out is not None:
        write_text_atomic(out, text)
        log(f"wrote {out}")
    if not cfg.quick and cfg.out is None:  # the full run into results.md also writes the README's tables
        update_readme(rows, scaling)
    return 0


README = ROOT / "README.md"
BEGIN, END = "<!-- performance tables: written by benchmarks/bench_run.py -->", "<!-- end of performance tables -->"


def readme_tables(rows: Sequence[Row], scaling: argparse.Namespace) -> str:
    """The README's performance tables, from this run's numbers."""
    from bench_scaling import waited_table

    lines = [f"Where a person waits (whole `trapsim` processes, best of {scaling.repeats}, {environment()}):", ""]
    lines += waited_table(scaling.e2e, scaling.repeats)
    lines += ["", "Against two per-draw references on the same draws (one core, whole run for trapsim):", ""]
    lines += reference_table(
        rows,
        "peak MB at 10M draws",
        lambda r: f"{r.name} ({r.leaves} leaves, {r.actors} actors, {r.uncertain} parameters)",
    )
    return "\n".join(lines)


def update_readme(rows: Sequence[Row], scaling: argparse.Namespace) -> None:
    """Replace the README's tables between the two markers (left alone when the markers are missing)."""
    text = README.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        log(f"README.md has no {BEGIN!r} marker: not updated")
        return
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    write_text_atomic(README, head + BEGIN + "\n\n" + readme_tables(rows, scaling) + "\n\n" + END + tail)
    log(f"wrote the performance tables of {README}")


if __name__ == "__main__":
    raise SystemExit(main())
