"""Interrupt `trapsim run` at random moments and report every run that did not end cleanly.

Clean: exit status 0 (the signal came after the work) or 130 ("interrupted"), no traceback on
stderr, no process of the run left behind, no ``.trapsim-*.part.*`` file in the output directory.
Not a benchmark and not part of the test suite (a run takes ~1.5 s; a useful batch is 40 or more).

    python benchmarks/stress_signals.py --runs 40 --signal int          # Ctrl-C to the group
    python benchmarks/stress_signals.py --runs 40 --signal term         # SIGTERM to the command
    python benchmarks/stress_signals.py --window 0.1 0.5 --no-figures   # the Monte Carlo only
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(args: argparse.Namespace, out: Path, delay: float) -> str | None:
    """One interrupted run: ``None`` if it ended cleanly, else what was wrong."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "trapsim", "run", str(args.scenario), "--out", str(out)]
    command += ["--draws", str(args.draws)] if args.draws else []
    command += ["--no-figures"] if args.no_figures else []
    proc = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    time.sleep(delay)
    if args.signal == "int":
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole foreground group
    else:
        proc.send_signal(signal.SIGTERM)  # as `kill` or a job scheduler: the command only
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return "hung for 60 s"
    time.sleep(0.3)  # children stopping after their parent
    left = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
    partial = sorted(p.name for p in out.glob(".trapsim-*")) if out.is_dir() else []
    problems = []
    if proc.returncode not in (0, 130):
        problems.append(f"exit status {proc.returncode}")
    if "Traceback" in err or "Exception ignored" in err:
        problems.append("stderr: " + err.strip().splitlines()[-1][:200])
    if left:
        problems.append(f"processes left: {' '.join(left)}")
    if partial:
        problems.append(f"partial files: {' '.join(partial)}")
    if problems and err.strip():
        problems.append("stderr: " + " | ".join(err.strip().splitlines()[-3:])[:300])
    if partial:
        problems.append("written: " + " ".join(sorted(p.name for p in out.iterdir() if not p.name.startswith("."))))
    return "; ".join(problems) or None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--signal", choices=["int", "term"], default="int")
    parser.add_argument("--window", type=float, nargs=2, default=(0.3, 1.6), metavar=("FROM", "TO"))
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "defense_clause.toml")
    parser.add_argument("--draws", type=int, default=None)
    parser.add_argument("--no-figures", action="store_true")
    args = parser.parse_args()
    bad = 0
    with tempfile.TemporaryDirectory(prefix="trapsim-stress-") as tmp:
        for i in range(args.runs):
            delay = random.uniform(*args.window)
            problem = one_run(args, Path(tmp) / "out", delay)
            if problem:
                bad += 1
                print(f"run {i}: signal at {delay:.2f} s: {problem}", flush=True)
    print(f"{bad} of {args.runs} runs did not end cleanly ({args.signal}, window {args.window[0]}-{args.window[1]} s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
