"""Benchmark a large sweep: 41 x 41 points x 20,000 draws of defense_clause.

Run from the project root::

    python benchmarks/bench_sweep.py                 # 1 and 2 workers: benchmarks/sweep_results.md
    python benchmarks/bench_sweep.py --dask          # ... and a Dask LocalCluster with 2 workers
    python benchmarks/bench_sweep.py --quick         # 11 x 11 points x 5,000 draws, prints only

The sweep varies ``china_stake`` (0 to 0.6) and ``deliver_prob`` (0.2 to 1)
on 41 values each: 1,681 points, 33.6 million draws in all. For each backend
it reports the wall-clock time (everything included: starting worker
processes, compiling the scenario in each, gathering results), points and
draws per second, the CPU time of this process and its worker processes, and
the speed-up over one worker. Every backend must give exactly the points of
the one-worker run; the benchmark stops otherwise.

The machine's load average is printed too: other work on the machine slows
the multi-worker runs first, so compare numbers taken on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

import trapsim
from trapsim.output import write_text_atomic
from trapsim.sweeps import SweepResult, grid_values

ROOT = Path(__file__).resolve().parent.parent
SEED = 20240619


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (worker processes)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(
    label: str, scenario: trapsim.Scenario, grid: dict[str, tuple[float, ...]], draws: int, **kwargs: object
) -> tuple[SweepResult, float, float]:
    """Run the sweep once: ``(result, wall seconds, CPU seconds)``."""
    print(f"{label} ...", file=sys.stderr, flush=True)
    cpu, start = cpu_seconds(), time.perf_counter()
    res = trapsim.sweep(scenario, grid, draws=draws, seed=SEED, **kwargs)  # type: ignore[arg-type]
    wall = time.perf_counter() - start
    cpu = cpu_seconds() - cpu
    print(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU", file=sys.stderr, flush=True)
    return res, wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="11 x 11 points x 5,000 draws; print only")
    ap.add_argument("--dask", action="store_true", help="also run on a Dask LocalCluster (2 workers)")
    ap.add_argument("--out", default=None, help="markdown output [default: benchmarks/sweep_results.md]")
    args = ap.parse_args()
    steps, draws = (11, 5000) if args.quick else (41, 20_000)
    scenario = trapsim.load(str(ROOT / "scenarios" / "defense_clause.toml"))
    grid = {"china_stake": grid_values(0.0, 0.6, steps), "deliver_prob": grid_values(0.2, 1.0, steps)}
    points = steps * steps
    load_before = os.getloadavg()

    runs: list[tuple[str, dict[str, object]]] = [
        ("1 worker (in process)", {"workers": 1}),
        ("2 workers (local processes)", {"workers": 2}),
    ]
    if args.dask:
        runs.append(("Dask LocalCluster, 2 workers", {"scheduler": "local", "workers": 2}))
    rows = []
    base: SweepResult | None = None
    base_wall = 0.0
    for label, kw in runs:
        res, wall, cpu = timed(label, scenario, grid, draws, **kw)
        if base is None:
            base, base_wall = res, wall
        elif res.points != base.points:
            sys.exit(f"{label}: results differ from the one-worker run")
        rows.append(
            f"| {label} | {wall:.1f} | {points / wall:.0f} | {points * draws / wall / 1e6:.2f} | "
            f"{cpu:.1f} | {base_wall / wall:.2f}x |"
        )
    load_after = os.getloadavg()
    lines = [
        f"## Sweep benchmark: {steps} x {steps} points x {draws:,} draws of defense_clause",
        "",
        f"Grid: china_stake 0-0.6 x deliver_prob 0.2-1, {points:,} points, {points * draws / 1e6:.1f} million "
        f"draws, seed {SEED}. Machine: {platform.processor() or platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}; load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after.",
        "",
        "| backend | wall s | points/s | million draws/s | CPU s | speed-up |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "Every backend returned exactly the points of the one-worker run.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        out = Path(args.out) if args.out else ROOT / "benchmarks" / "sweep_results.md"
        write_text_atomic(out, text)
        print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
