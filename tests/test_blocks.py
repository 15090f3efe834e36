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
from trapsim.runner import chunk as chunk_module
from trapsim.runner.chunk import BLOCK, ChunkStats, block_size, blocks, run_chunk, run_chunks
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


def test_blocks_are_consecutive_chunks_of_at_most_block_size(monkeypatch: pytest.MonkeyPatch) -> None:
    chunks = [(c, CHUNK) for c in range(9)] + [(9, 5)]
    made = blocks(chunks, BLOCK)
    assert [len(b) for b in made] == [BLOCK, BLOCK, 10 - 2 * BLOCK]
    assert [c for b in made for c in b] == chunks
    assert blocks(chunks, 1) == [[c] for c in chunks]
    defense = compiled(trapsim.load(ROOT / "scenarios" / "defense_clause.toml"))
    assert defense.payoff_cells == 67 and block_size(defense) == BLOCK  # 4.4 MB of payoffs a chunk
    # a bigger game gets smaller blocks: memory stays within BLOCK_BYTES of payoffs per block
    monkeypatch.setattr(chunk_module, "BLOCK_BYTES", 67 * 8 * CHUNK * 2)
    assert block_size(defense) == 2
    monkeypatch.setattr(chunk_module, "BLOCK_BYTES", 1)
    assert block_size(defense) == 1
    assert block_size(compiled(trapsim.load(ROOT / "scenarios" / "kim_misperception.toml"))) == 1  # beliefs


def test_one_chunk_of_any_size_is_counted_as_one() -> None:
    model = compiled(trapsim.load(DATA / "worlds.toml"))
    stats = run_chunk(model, 1, 0, CHUNK + 100, "spe", 10.0)  # the public run_chunk takes any size
    assert stats.n == CHUNK + 100
    assert sum(int(a.sum()) for a in stats.actions[:1]) == CHUNK + 100  # the root is reached in every draw


def test_run_chunks_refuses_what_it_cannot_number() -> None:
    model = compiled(trapsim.load(DATA / "worlds.toml"))
    with pytest.raises(ValueError, match="consecutive full chunks"):
        run_chunks(model, 1, [(0, CHUNK), (2, CHUNK)], "spe", 10.0)
    with pytest.raises(ValueError, match="consecutive full chunks"):
        run_chunks(model, 1, [(0, 10), (1, CHUNK)], "spe", 10.0)
    believers = compiled(trapsim.load(ROOT / "scenarios" / "kim_misperception.toml"))
    with pytest.raises(ValueError, match="beliefs"):
        run_chunks(believers, 1, [(0, CHUNK), (1, CHUNK)], "spe", 10.0)


# Errors: a run that fails gives the error it gave one chunk at a time, on one worker or more.

TWO_FAILURES = """
[scenario]
name = "err"
root = "ups"
[actors.a]
name = "A"
[parameters]
x = { dist = "uniform", low = 0, high = 1 }
y = { dist = "uniform", low = 0, high = 1 }
[nodes.ups]
actor = "a"
next = { up = "hi", down = "lo" }
[payoffs]
hi = { a = "log(x - 0.00002)" }
lo = { a = "log(y - 0.00002)" }
[traps.t]
when = 'played("ups", "up")'
"""


def test_a_value_that_fails_in_a_block_is_named_by_its_draw_in_the_run() -> None:
    model = compiled(loads(TWO_FAILURES, path="err.toml").with_values({"x": -0.5}))  # nan in every draw
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


def test_a_block_that_fails_reports_what_its_first_failing_chunk_does() -> None:
    # With seed 43, `lo` is nan first in chunk 0 (draw 6413) and `hi` only in chunk 1 (draw 11285): a
    # block evaluates `hi` for both chunks before `lo`, so it must fall back to its chunks one by one.
    sc = loads(TWO_FAILURES, path="err.toml")
    model = compiled(sc)
    expected = "payoffs.lo.a" + ': "log(y - 0.00002)" is nan in draw 6413,'
    for run in (
        lambda: [run_chunk(model, 43, c, CHUNK, "spe", 1.0) for c in (0, 1)],
        lambda: run_chunks(model, 43, [(0, CHUNK), (1, CHUNK)], "spe", 1.0),
        lambda: trapsim.simulate(sc, draws=8 * CHUNK, seed=43, workers=1),
        lambda: trapsim.simulate(sc, draws=8 * CHUNK, seed=43, workers=2),
    ):
        with pytest.raises(RunError) as info:
            run()
        assert expected in str(info.value)


NAN_WHEN = """
[traps.logpay]
given = "x > 0.9"
when = 'log(payoff("a", "bonus") - {shift}) > -1'
[worlds.bonus]
set = {{ c = {c} }}
"""


@pytest.mark.parametrize("subset", [0.0, 1.0], ids=["worlds-everywhere", "worlds-on-their-draws"])
def test_a_when_is_checked_only_where_its_given_holds(subset: float, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worlds, "SUBSET_AT_MOST", subset)
    # bonus sets c = -5: A always acts and gets x + 5.35 (won) or x + 4.85 (lost), so log(payoff - 5.5)
    # is nan where x < 0.65 at most, never where x > 0.9: not an error (it was one before, but the `when`
    # does not matter where the given fails); it fires where A won (payoff > 5.5 + 1/e)
    fine = loads(WORLDS + NAN_WHEN.format(shift=5.5, c=-5), path="w.toml")
    res = trapsim.simulate(fine, draws=3 * CHUNK, seed=1, workers=1)
    assert 0 < res.trap_counts["logpay"] <= res.given_counts["logpay"]
    # where the given holds, the same nan is an error, named by its draw
    bad = loads(WORLDS + NAN_WHEN.format(shift=5.8, c=-5), path="w.toml")  # lost with x < 0.95: nan
    with pytest.raises(RunError, match=r"traps\.logpay\.when.*is nan in draw \d+"):
        trapsim.simulate(bad, draws=3 * CHUNK, seed=1, workers=1)


def test_a_trap_with_a_given_is_checked_in_file_order() -> None:
    extra = """
[traps.first]
when = "log(x - 0.5) > -1"
[traps.reads]
given = "log(x - 0.3) > -1"
when = 'payoff("a", "luckier") > 0'
"""
    with pytest.raises(RunError, match=r"traps\.first\.when.*is nan in draw 1,"):
        trapsim.simulate(loads(WORLDS + extra, path="w.toml"), draws=1000, seed=1, workers=1)
