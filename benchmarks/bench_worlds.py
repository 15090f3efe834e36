"""What one counterfactual world costs: a run with a world against the same run without.

Run from the project root::

    python benchmarks/bench_worlds.py            # 400,000 draws, best of 3: benchmarks/worlds_results.md
    python benchmarks/bench_worlds.py --quick    # 50,000 draws, prints only

Three versions of ``scenarios/defense_clause.toml`` are timed with
``trapsim.simulate`` (``workers=1``, the same seed):

* **none**: the file as it is, without the traps that name a world (so no
  world is solved);
* **force**: plus one world that forces both DPRK answers to munitions, and
  one trap that names it (the world's game is solved and played in every draw,
  re-using the real draw's payoffs and chance probabilities);
* **set**: plus one world that sets two parameters instead (payoffs and
  chance probabilities are evaluated again for the world, then solved).

The issue's budget is a ratio of at most 2.2 for one world.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import sys
import time
from pathlib import Path

import trapsim
from trapsim.expressions import split_path_ref
from trapsim.model import Scenario, Trap
from trapsim.output import write_text_atomic
from trapsim.scenario import loads

ROOT = Path(__file__).resolve().parent.parent
SEED = 20240619

VARIANTS = {
    "force": """
[worlds.bench_munitions]
force = { aq_dprk = "munitions", rs_dprk = "munitions" }

[traps.bench_regret]
given = 'played("aq_dprk", "troops") or played("rs_dprk", "troops")'
when = 'payoff("dprk") < payoff("dprk", "bench_munitions")'
""",
    "set": """
[worlds.bench_no_treaty]
set = { refuse_cost = 0, escape = 0 }

[traps.bench_entrapment]
given = 'played("aq_dprk", "troops") or played("rs_dprk", "troops")'
when = 'not (played("aq_dprk", "troops", "bench_no_treaty") or played("rs_dprk", "troops", "bench_no_treaty"))'
""",
}


def _scenario(extra: str) -> Scenario:
    """defense_clause plus ``extra``, keeping of the traps that name a world only the benchmark's own."""
    sc = loads((ROOT / "scenarios" / "defense_clause.toml").read_text() + extra, path="defense_clause.toml")

    def names_a_world(t: Trap) -> bool:
        return any(split_path_ref(r)[2] for e in t.conditions for r in e.path_refs)

    traps = tuple(t for t in sc.traps if t.id.startswith("bench_") or not names_a_world(t))
    return dataclasses.replace(sc, traps=traps)


def _best(sc: Scenario, draws: int, repeat: int) -> float:
    trapsim.simulate(sc, draws=8192, seed=SEED)  # warm up: imports, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        trapsim.simulate(sc, draws=draws, seed=SEED)
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="50,000 draws, print only")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "worlds_results.md"))
    args = ap.parse_args(argv)
    draws, repeat = (50_000, 2) if args.quick else (400_000, 3)
    times = {"none": _best(_scenario(""), draws, repeat)}
    for name, extra in VARIANTS.items():
        print(f"timing {name} ...", file=sys.stderr)
        sc = _scenario(extra)
        assert sc.used_worlds() == (f"bench_{'munitions' if name == 'force' else 'no_treaty'}",)
        times[name] = _best(sc, draws, repeat)
    lines = [
        f"# One counterfactual world: cost ({draws:,} draws of defense_clause, best of {repeat}, workers=1)",
        "",
        f"Python {platform.python_version()} on {platform.machine()}; `python benchmarks/bench_worlds.py`.",
        "",
        "| variant | seconds | draws/s | ratio to none |",
        "|---|---:|---:|---:|",
    ]
    for name, t in times.items():
        lines.append(f"| {name} | {t:.3f} | {draws / t:,.0f} | {t / times['none']:.2f} |")
    lines += ["", "Budget (issue 10): ratio at most 2.2 for one world."]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        write_text_atomic(Path(args.out), text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
