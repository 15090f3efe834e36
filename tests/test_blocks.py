"""Chunks solved side by side in blocks, and worlds solved only where a trap reads them (issue 16).

Both change how much work one numpy call does, never a result: every step
works draw by draw, so a block of chunks gives each chunk's statistics
exactly, and a world solved on some draws gives those draws' paths exactly.
The references here are the one-chunk-at-a-time and every-draw solves.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import trapsim
from trapsim.errors import RunError
from trapsim.runner import CHUNK, compiled, worlds
from trapsim.runner.chunk import BLOCK, ChunkStats, blocks, run_chunk, run_chunks
from trapsim.runner.traps import world_readers
from trapsim.scenario import loads

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
WORLDS = (DATA / "worlds.toml").read_text()

# The worlds scenario with traps read only on some draws, a world read in a `given`, and a
# trap that reads a world's expected payoff (its root values, solved on the same draws).
SURPRISE = (
    WORLDS
    + """
[traps.luckier_surprise]
title = "A expected more in the luckier world"
given = 'played("choose", "act") and x > 0.8'
when = 'surprise("a", "luckier") < 0 and expected("a", "stricter") > 0'
"""
)


def _same(a: Any, b: Any) -> bool:
    """Equal to the bit (floats by their hex), recursively through statistics and records."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, float):
        return isinstance(b, float) and a.hex() == b.hex()
    return bool(a == b)


def _one_by_one(model: Any, chunks: list[tuple[int, int]], solver: str, records: bool) -> list[ChunkStats]:
    return [run_chunk(model, 7, c, n, solver, 3.0, records) for c, n in chunks]


@pytest.mark.parametrize(
    ("source", "solver"),
    [
        (ROOT / "scenarios" / "defense_clause.toml", "spe"),
        (ROOT / "scenarios" / "defense_clause.toml", "qre"),
        (DATA / "core_qre.toml", "qre"),
        (SURPRISE, "spe"),
        (SURPRISE, "qre"),
    ],
    ids=["defense_clause-spe", "defense_clause-qre", "core_qre", "surprise-spe", "surprise-qre"],
)
def test_a_block_gives_every_chunk_exactly_what_it_gives_alone(source: Any, solver: str) -> None:
    sc = trapsim.load(source) if isinstance(source, Path) else loads(source, path="surprise.toml")
    model = compiled(sc)
    chunks = [(4, CHUNK), (5, CHUNK), (6, 1000)]  # the last one partial, as at the end of a run
    together = run_chunks(model, 7, chunks, solver, 3.0, records=True)
    alone = _one_by_one(model, chunks, solver, records=True)
    assert len(together) == 3
    assert [s.n for s in together] == [CHUNK, CHUNK, 1000]
    for t, a in zip(together, alone, strict=True):
        assert _same(t, a)
    assert together[0].traps.sum() > 0  # the traps fire: the comparison is not of zeros


def test_chunk_zero_keeps_its_payoff_sample_in_a_block() -> None:
    model = compiled(trapsim.load(DATA / "worlds.toml"))
    first, second = run_chunks(model, 1, [(0, CHUNK), (1, 10)], "spe", 10.0)
    assert first.sample is not None and first.sample.shape == (1, CHUNK)
    assert second.sample is None
    assert _same(first.sample, run_chunk(model, 1, 0, CHUNK, "spe", 10.0).sample)


def test_blocks_are_consecutive_chunks_of_at_most_block_size() -> None:
    chunks = [(c, CHUNK) for c in range(9)] + [(9, 5)]
    made = blocks(chunks)
    assert [len(b) for b in made] == [BLOCK, BLOCK, 10 - 2 * BLOCK]
    assert [c for b in made for c in b] == chunks
    assert blocks(chunks, beliefs=True) == [[c] for c in chunks]


def test_run_chunks_refuses_what_it_cannot_number() -> None:
    model = compiled(trapsim.load(DATA / "worlds.toml"))
    with pytest.raises(ValueError, match="consecutive full chunks"):
        run_chunks(model, 1, [(0, CHUNK), (2, CHUNK)], "spe", 10.0)
    with pytest.raises(ValueError, match="consecutive full chunks"):
        run_chunks(model, 1, [(0, 10), (1, CHUNK)], "spe", 10.0)
    believers = compiled(trapsim.load(ROOT / "scenarios" / "kim_misperception.toml"))
    with pytest.raises(ValueError, match="beliefs"):
        run_chunks(believers, 1, [(0, CHUNK), (1, CHUNK)], "spe", 10.0)


ERR = """
[scenario]
name = "err"
root = "ups"
[actors.a]
name = "A"
[parameters]
x = { dist = "uniform", low = 0.5, high = 1 }
[nodes.ups]
actor = "a"
next = { up = "hi", down = "lo" }
[payoffs]
hi = { a = "log(x)" }
lo = { a = 0 }
[traps.t]
when = 'played("ups", "up")'
"""


def test_a_value_that_fails_in_a_block_is_named_by_its_draw_in_the_run() -> None:
    model = compiled(loads(ERR, path="err.toml").with_values({"x": -0.5}))
    messages = []
    for chunks in ([(3, CHUNK), (4, CHUNK)], [(3, CHUNK)]):
        with pytest.raises(RunError) as info:
            run_chunks(model, 1, chunks, "spe", 10.0)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert f"nan in draw {3 * CHUNK + 1}," in messages[0]


def _with_trap(extra: str) -> dict[str, tuple[int, ...] | None]:
    return world_readers(loads(WORLDS + extra, path="w.toml"))


def test_a_world_is_read_only_where_the_givens_of_the_traps_reading_it_hold() -> None:
    readers = world_readers(loads(WORLDS, path="w.toml"))
    # every trap of worlds.toml reads its world in `when` under a `given` on the real path, except
    # same_dice, whose given reads `stricter` itself: that world is needed in every draw.
    assert readers == {"stricter": None, "safe": (1,), "luckier": (2,)}
    assert _with_trap('[traps.bare]\nwhen = \'played("choose", "act", "safe")\'\n')["safe"] is None
    by_trap = '[traps.again]\ngiven = "regret"\nwhen = \'payoff("a", "safe") > 0\'\n'
    assert _with_trap(by_trap)["safe"] is None  # a given naming a trap is known only after the worlds
    second = '[traps.second]\ngiven = "x > 0.9"\nwhen = \'payoff("a", "luckier") > 0\'\n'
    assert _with_trap(second)["luckier"] == (2, 4)
    # a trap naming another trap that reads a world needs nothing more: that trap fired only where its given held
    naming = '[traps.naming]\nwhen = "regret and x > 0.5"\n'
    assert _with_trap(naming)["safe"] == (1,)


@pytest.mark.parametrize("solver", ["spe", "qre"])
@pytest.mark.parametrize("source", [ROOT / "scenarios" / "defense_clause.toml", SURPRISE], ids=["defense", "surprise"])
def test_worlds_solved_on_their_draws_give_what_solving_every_draw_gives(
    source: Any, solver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc = trapsim.load(source) if isinstance(source, Path) else loads(source, path="surprise.toml")
    model = compiled(sc)
    chunks = [(0, CHUNK), (1, 3000)]
    sizes: list[int] = []
    real_backward = worlds.backward

    def counting(*a: Any, **k: Any) -> Any:
        solution = real_backward(*a, **k)
        some = next(iter(solution.choice.values())) if solution.choice else next(iter(solution.probs.values()))
        sizes.append(int(some.shape[-1]))
        return solution

    monkeypatch.setattr(worlds, "backward", counting)
    monkeypatch.setattr(worlds, "SUBSET_AT_MOST", 1.0)  # every world on its draws only
    some = run_chunks(model, 3, chunks, solver, 3.0, records=True)
    assert sizes and min(sizes) < CHUNK + 3000  # some world solved on fewer draws than the block's
    sizes.clear()
    monkeypatch.setattr(worlds, "SUBSET_AT_MOST", 0.0)  # every world on every draw
    every = run_chunks(model, 3, chunks, solver, 3.0, records=True)
    assert set(sizes) == {CHUNK + 3000}
    for s, e in zip(some, every, strict=True):
        assert _same(s, e)
    fired = {t.id: int(sum(s.traps[i] for s in some)) for i, t in enumerate(sc.traps)}
    assert any(fired[w] > 0 for w in fired if w in ("entrapment", "kim_trap", "luckier_surprise", "regret"))
