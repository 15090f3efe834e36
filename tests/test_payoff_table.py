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


def test_a_world_that_sets_values_reuses_exactly_the_real_arrays_it_cannot_change() -> None:
    """defense_clause's no_substitution world: its evaluation equals a full one; untouched cells are the real arrays."""
    model = CompiledScenario(trapsim.load(ROOT / "scenarios" / "defense_clause.toml"))
    n = 2000
    env = model.sample(3, 0, n)
    real = model.evaluate(env, n, 0, table=True)
    game = model.worlds["no_substitution"]
    values = model.world_values(game, env, 0)
    table, chance = model.evaluate_world(game, values, n, 0, real)
    full, chance_full = model.evaluate(values, n, 0)
    assert table.full().tobytes() == full.tobytes()
    assert chance.keys() == chance_full.keys()
    assert all(chance[k].tobytes() == chance_full[k].tobytes() for k in chance)
    shared = [j for j, a in enumerate(table.cells) if a is real[0].cells[j]]
    changed = [j for j, a in enumerate(table.cells) if a is not real[0].cells[j]]
    assert shared and changed  # Russia's manpower term changes; most payoffs do not
    # the chunk's solves, sharing one memo, give what separate solves give
    memo: dict = {}
    a = backward(model.tree, real[0], real[1], memo=memo)
    w = backward(game.tree, table, game.on_tree(chance), memo=memo)
    w_alone = backward(game.tree, full, game.on_tree(chance_full))
    assert np.array(w.values[0]).tobytes() == w_alone.values[0].tobytes()
    assert all(np.array_equal(w.choice[i], w_alone.choice[i]) for i in w_alone.choice)
    assert a.values[0] is not None


@pytest.mark.parametrize("name", ["random_2024", "random_3", "tied_5"])
@pytest.mark.parametrize("solver", ["spe", "qre"])
def test_a_solve_without_root_values_chooses_and_plays_exactly_alike(name: str, solver: str) -> None:
    """``root_values=False`` computes only the values some decision above compares; nothing else changes."""
    model = CompiledScenario(trapsim.load(ROOT / "tests" / "data" / "kernel" / f"{name}.toml"))
    n = 2500
    env = model.sample(5, 0, n)
    payoffs, chance = model.evaluate(env, n, 0)
    assert isinstance(payoffs, np.ndarray)
    full = backward(model.tree, payoffs, chance, solver=solver, rationality=2.0)
    lean = backward(model.tree, payoffs, chance, solver=solver, rationality=2.0, root_values=False)
    assert lean.values[0].shape == (0, n)  # nothing above the root compares its values
    assert lean.choice.keys() == full.choice.keys() and lean.probs.keys() == full.probs.keys()
    for i in full.choice:
        assert np.array_equal(lean.choice[i], full.choice[i]) and np.array_equal(lean.ties[i], full.ties[i])
    for i in full.probs:
        assert lean.probs[i].tobytes() == full.probs[i].tobytes()
    uniforms = model.uniforms(5, 0, n, solver)
    memo: dict = {}  # picks shared by two plays of the same draws, as in a chunk
    for _ in range(2):
        leaf, actions = play(model.tree, lean, uniforms, memo)
        leaf_full, actions_full = play(model.tree, full, uniforms)
        assert np.array_equal(leaf, leaf_full) and np.array_equal(actions, actions_full)


def test_a_table_of_cells_stacks_its_values_only_when_read() -> None:
    cells = [np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 4.0])]
    index = np.array([[0, 1], [1, 1]])
    table = PayoffTable.of(None, index, cells=cells)
    assert table.n == 3 and table.views[0][0] is cells[0] and table.views[1][0] is cells[1]
    assert not table._stacked  # a world solved on its own draws never needs (distinct, n)
    np.testing.assert_array_equal(table.values, np.array(cells))
    assert table.values is table.values  # stacked once
    np.testing.assert_array_equal(table.full()[1, 0], cells[1])
    rows = np.array([1, 0, 1])
    np.testing.assert_array_equal(realised_payoffs(table, rows, 0), [-1.0, 2.0, 4.0])
    with pytest.raises(ValueError, match="values or its cells"):
        PayoffTable.of(None, index)
