"""Time and convergence of `trapsim sensitivity` and `trapsim discover` on the bundled scenario.

    python benchmarks/bench_sensitivity.py            # N = 2048, 4096, 8192 (default), 16384
    python benchmarks/bench_sensitivity.py --quick    # N = 1024, 2048

For each Sobol' base sample size N it prints the wall time, the number of
solved games, and for every trap the top three parameters by total index, and
how far the indices moved from N/2 to N (the convergence check each run
reports), then the same for Morris and for PRIM discovery of every trap.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import trapsim

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "defense_clause.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--seed", type=int, default=20240619)
    args = parser.parse_args()
    sc = trapsim.load(str(SCENARIO))
    sizes = [1024, 2048] if args.quick else [2048, 4096, 8192, 16384]
    print(
        f"# {sc.name}: {sum(p.dist.kind != 'constant' for p in sc.parameters)} uncertain "
        f"parameters, {len(sc.traps)} traps, seed {args.seed}\n"
    )
    print("| method | N | solved games | seconds | trap | top parameters (ST or mu*) | max change N/2 to N |")
    print("|---|---|---|---|---|---|---|")
    for n in sizes:
        start = time.perf_counter()
        res = trapsim.sensitivity(sc, samples=n, seed=args.seed)
        sec = time.perf_counter() - start
        for tid in res.indices:
            top = ", ".join(f"{p} {res.indices[tid][p]['ST']:.2f}" for p in res.ranking(tid)[:3])
            conv = res.convergence.get(tid, {})
            change = f"ST {conv['max_abs_change_ST']:.3f}, S1 {conv['max_abs_change_S1']:.3f}" if conv else "-"
            print(f"| sobol | {n} | {res.evaluations:,} | {sec:.1f} | {tid} | {top} | {change} |")
    start = time.perf_counter()
    res = trapsim.sensitivity(sc, method="morris", seed=args.seed)
    sec = time.perf_counter() - start
    for tid in res.indices:
        top = ", ".join(f"{p} {res.indices[tid][p]['mu_star']:.3f}" for p in res.ranking(tid)[:3])
        conv = res.convergence.get(tid, {})
        change = f"mu* {conv['max_abs_change_mu_star']:.0%} of the largest" if conv else "-"
        print(f"| morris | {res.samples} | {res.evaluations:,} | {sec:.1f} | {tid} | {top} | {change} |")
    print("\n| trap | seconds | box (PRIM, 20,000 draws) | density on fresh draws |")
    print("|---|---|---|---|")
    for t in sc.traps:
        start = time.perf_counter()
        d = trapsim.discover(sc, t.id, seed=args.seed)
        sec = time.perf_counter() - start
        text = d.boxes[0].text if d.boxes else d.note
        test = f"{d.boxes[0].test['density']:.1%}" if d.boxes else "-"
        print(f"| {t.id} | {sec:.1f} | {text} | {test} |")


if __name__ == "__main__":
    main()
