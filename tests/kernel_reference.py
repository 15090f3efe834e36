"""The bit-identity reference of the Monte Carlo kernel (issue 16).

``python tests/kernel_reference.py`` (run once, from the commit whose results
are the reference) copies the scenarios below into ``tests/data/kernel/`` and
writes ``tests/data/kernel/reference.json``: for every scenario and solver, the
counts, the payoff moments (as exact ``float.hex`` strings) and a digest of the
payoff sample of a run. ``tests/test_kernel_identity.py`` re-runs them with the
code of today and asserts every value is bit-identical, so a faster kernel
cannot change a result.

The reference was generated at main commit dcdf480 (before the kernel rewrite).

A second reference, ``tests/data/kernel/current/reference.json`` (``python
tests/kernel_reference.py current``), was recorded at main commit e250964
(session 2, before the payoff programs and the shared world work): the
bundled library of then (defense_clause v2 with three worlds and conditional
traps) and the worlds and conditional test scenarios, with the random streams
of today (not pinned) and the ``given`` counts of conditional traps too.

Two things are pinned so the reference tests the kernel and not its inputs:

* the scenario files are copies (the bundled library will change; these must
  not), and the random games are written out as TOML;
* the random streams are the ones of dcdf480 (``SeedSequence(seed,
  spawn_key=(chunk, crc32(name)))``): :func:`pinned_streams` patches them in,
  so a deliberate change of stream keys (issue 15) does not move the reference.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
KERNEL = Path(__file__).parent / "data" / "kernel"
REFERENCE = KERNEL / "reference.json"
#: The session-2 reference: worlds, conditional traps, today's streams (see the module docstring).
CURRENT = KERNEL / "current"
CURRENT_REFERENCE = CURRENT / "reference.json"
#: Its scenario copies: the bundled library of e250964 and the worlds and conditional test scenarios.
CURRENT_SOURCES = sorted((ROOT / "scenarios").glob("*.toml")) + [
    ROOT / "tests" / "data" / f"{name}.toml" for name in ("conditional", "worlds", "worlds_entry")
]

#: Scenario copies: the bundled library and the core test scenarios.
SOURCES = sorted((ROOT / "scenarios").glob("*.toml")) + sorted((ROOT / "tests" / "data").glob("*.toml"))
#: Random games from benchmarks/generated_game.py: (seed, min leaves, max leaves).
GAMES = [(1, 6, 10), (2, 12, 20), (3, 30, 40), (2024, 60, 80), (7, 100, 140)]
#: Random games whose payoffs take a few discrete values, so that ties are common.
TIED_GAMES = [(5, 15, 25), (6, 40, 50)]
_TIED_PAYOFFS = ("bonus", "0.5", "if(stake > 1, 0.25, 0)", "0", "0.25")
DRAWS = 10_000  # a full chunk and a partial one
SEED = 16
SOLVERS = ("spe", "qre")


def _old_stream(entropy: int, chunk: int, key: str) -> np.random.Generator:
    ss = np.random.SeedSequence(entropy, spawn_key=(chunk, zlib.crc32(key.encode("utf-8"))))
    return np.random.Generator(np.random.PCG64(ss))


@contextmanager
def pinned_streams() -> Iterator[None]:
    """Use the random streams of the reference commit in every trapsim module."""
    import trapsim.sampling

    current = trapsim.sampling.stream
    patched = [
        m
        for name, m in list(sys.modules.items())
        if name.startswith("trapsim") and getattr(m, "stream", None) is current
    ]
    for m in patched:
        m.stream = _old_stream  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for m in patched:
            m.stream = current  # type: ignore[attr-defined]


def _hex(values: dict[str, float]) -> dict[str, str]:
    return {k: float(v).hex() for k, v in values.items()}


def collect(path: Path, solver: str, *, pinned: bool = True, workers: int | None = None) -> dict[str, Any]:
    """Everything a run reports that the kernel computes, exactly (``pinned``: with dcdf480's streams;
    ``workers``: on that many processes, default one at these draws)."""
    import trapsim
    from trapsim import runner  # noqa: F401  (imported so pinned_streams finds it)

    scenario = trapsim.load(path)
    if pinned:
        with pinned_streams():
            result = trapsim.simulate(scenario, draws=DRAWS, seed=SEED, solver=solver, workers=workers)
    else:
        result = trapsim.simulate(scenario, draws=DRAWS, seed=SEED, solver=solver, workers=workers)
    sample = result.payoff_sample
    out = {
        "trap_counts": result.trap_counts,
        "outcome_counts": result.outcome_counts,
        "payoff_mean": _hex(result.payoff_mean),
        "payoff_sd": _hex(result.payoff_sd),
        "tie_counts": result.tie_counts,
        "tie_path_counts": result.tie_path_counts,
        "tie_anywhere_count": result.tie_anywhere_count,
        "edge_counts": result.edge_counts,
        "misperception": result.misperception,
        "payoff_sample_sha256": hashlib.sha256(np.ascontiguousarray(sample).tobytes()).hexdigest()
        if sample is not None
        else None,
    }
    if not pinned:  # the session-2 reference also has the conditional traps' denominators
        out["given_counts"] = result.given_counts
    return out


def _tied(text: str, seed: int) -> str:
    """``text`` with every payoff replaced by one of a few discrete values."""
    import random

    rng = random.Random(seed)
    head, _, rest = text.partition("[payoffs]")
    table, sep, tail = rest.partition("\n\n")
    rows = re.sub(r'(\w+) = "[^"]*"', lambda m: f'{m.group(1)} = "{rng.choice(_TIED_PAYOFFS)}"', table)
    return head + "[payoffs]" + rows + sep + tail


def cases() -> list[Path]:
    """The scenario copies, in a fixed order."""
    return sorted(KERNEL.glob("*.toml"))


def current_cases() -> list[Path]:
    """The session-2 scenario copies, in a fixed order."""
    return sorted(CURRENT.glob("*.toml"))


def main_current() -> None:
    CURRENT.mkdir(parents=True, exist_ok=True)
    for src in CURRENT_SOURCES:
        shutil.copyfile(src, CURRENT / f"{src.parent.name}_{src.name}")
    reference = {f"{p.name}:{s}": collect(p, s, pinned=False) for p in current_cases() for s in SOLVERS}
    CURRENT_REFERENCE.write_text(json.dumps(reference, indent=1, sort_keys=True) + "\n")
    print(f"wrote {CURRENT_REFERENCE} ({len(reference)} runs)")


def main() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generated_game import generate_toml

    KERNEL.mkdir(parents=True, exist_ok=True)
    for src in SOURCES:
        shutil.copyfile(src, KERNEL / f"{src.parent.name}_{src.name}")
    for seed, lo, hi in GAMES:
        (KERNEL / f"random_{seed}.toml").write_text(generate_toml(seed, min_leaves=lo, max_leaves=hi))
    for seed, lo, hi in TIED_GAMES:
        text = _tied(generate_toml(seed, min_leaves=lo, max_leaves=hi), seed)
        (KERNEL / f"tied_{seed}.toml").write_text(text)
    reference = {f"{p.name}:{s}": collect(p, s) for p in cases() for s in SOLVERS}
    REFERENCE.write_text(json.dumps(reference, indent=1, sort_keys=True) + "\n")
    print(f"wrote {REFERENCE} ({len(reference)} runs)")


if __name__ == "__main__":
    main_current() if sys.argv[1:] == ["current"] else main()
