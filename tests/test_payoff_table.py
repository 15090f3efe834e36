"""Payoffs stored once per distinct value solve exactly like the full (rows, actors, n) array (issue 16)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import trapsim
from trapsim.runner import CompiledScenario
from trapsim.solver import PayoffTable, backward, play, realised_payoffs

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("solver", ["spe", "qre"])
def test_a_table_solves_and_plays_bit_for_bit_like_the_array(solver: str) -> None:
    model = CompiledScenario(trapsim.load(ROOT / "scenarios" / "defense_clause.toml"))
    n = 3000
    env = model.sample(7, 0, n)
    table, chance = model.evaluate(env, n, 0, table=True)
    full, chance_full = model.evaluate(env, n, 0)
    assert isinstance(table, PayoffTable)  # history rows repeat payoffs: the table pays here
    assert table.values.shape[0] * 2 <= full.shape[0] * full.shape[1]
    assert table.full().tobytes() == full.tobytes()
    a = backward(model.tree, table, chance, solver=solver, rationality=3.0)
    b = backward(model.tree, full, chance_full, solver=solver, rationality=3.0)
    assert np.array(a.values[0]).tobytes() == b.values[0].tobytes()
    assert a.choice.keys() == b.choice.keys() and a.probs.keys() == b.probs.keys()
    for i in b.choice:
        assert np.array_equal(a.choice[i], b.choice[i]) and np.array_equal(a.ties[i], b.ties[i])
    for i in b.probs:
        assert a.probs[i].tobytes() == b.probs[i].tobytes()
    uniforms = model.uniforms(7, 0, n, solver)
    leaf_a, actions_a = play(model.tree, a, uniforms)
    leaf_b, actions_b = play(model.tree, b, uniforms)
    assert np.array_equal(leaf_a, leaf_b) and np.array_equal(actions_a, actions_b)
    rows = model.row_of_position[leaf_a]
    assert realised_payoffs(table, rows).tobytes() == realised_payoffs(full, rows).tobytes()
    assert realised_payoffs(table, rows, 2).tobytes() == full[rows, 2, np.arange(n)].tobytes()


def test_a_game_without_history_rows_keeps_the_plain_array() -> None:
    model = CompiledScenario(trapsim.load(ROOT / "tests" / "data" / "core_entry.toml"))
    payoffs, _ = model.evaluate(model.sample(1, 0, 10), 10, 0, table=True)
    assert isinstance(payoffs, np.ndarray)
