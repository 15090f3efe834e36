"""``solve``: hand-solved games, --set values, the JSON contract, and random games checked
against an independent backward induction over the same game loaded with pygambit."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import trapsim
from trapsim.scenario import loads

DATA = Path(__file__).parent / "data"


def _load(name: str) -> trapsim.Scenario:
    return trapsim.load(str(DATA / name))


# ------------------------------------------------------------------- hand-solved


def test_sequential_chicken_tc1() -> None:
    eq = trapsim.solve(_load("core_chicken.toml"))
    assert eq.values["crash"] == -10.0  # central value of uniform(-12, -8)
    assert eq.strategy == {"first": "straight", "after_straight": "swerve", "after_swerve": "straight"}
    assert eq.payoffs == {"row": 1.0, "col": -1.0}
    assert {k: v for k, v in eq.outcome_probabilities.items() if v} == {"row_wins": 1.0}
    assert eq.ties == []
    # the numbers behind the choices
    assert eq.node_values["after_straight"]["straight"]["col"] == -10.0
    assert eq.node_values["first"]["swerve"]["row"] == -1.0
    # off the path: the column player's node after a swerve is not reached
    assert eq.reach["after_swerve"] == 0.0 and eq.reach["after_straight"] == 1.0


def test_chicken_when_losing_is_worse_than_crashing() -> None:
    eq = trapsim.solve(_load("core_chicken.toml"), values={"lose": -20.0})
    assert eq.strategy["after_straight"] == "straight"
    assert eq.payoffs == {"row": -10.0, "col": -10.0}
    assert eq.outcome_probabilities["crashed"] == 1.0


def test_entry_game_with_chance_node() -> None:
    eq = trapsim.solve(_load("core_entry.toml"))
    assert eq.values["p"] == pytest.approx(0.3)  # mean of beta(3, 7)
    assert eq.strategy == {"entrant": "enter", "inc_strong": "fight", "inc_weak": "share"}
    assert eq.payoffs["ent"] == pytest.approx(0.4)
    assert eq.payoffs["inc"] == pytest.approx(0.65)
    probs = {k: v for k, v in eq.outcome_probabilities.items() if v > 0}
    assert probs == pytest.approx({"fought": 0.3, "shared_weak": 0.7})
    assert eq.action_probabilities["nature"] == pytest.approx({"strong": 0.3, "weak": 0.7})
    assert eq.node_values["entrant"]["enter"]["ent"] == pytest.approx(0.4)


def test_set_values_change_the_answer() -> None:
    sc = _load("core_entry.toml")
    eq = trapsim.solve(sc, values={"p": 0.6})
    assert eq.strategy["entrant"] == "stay"
    assert eq.payoffs == pytest.approx({"ent": 0.0, "inc": 2.0})
    assert eq.outcome_probabilities["out"] == 1.0
    # the full strategy still covers the nodes off the path
    assert eq.strategy["inc_strong"] == "fight" and eq.strategy["inc_weak"] == "share"
    assert eq.reach["nature"] == 0.0
    # and a weak incumbent that likes fighting changes the off-path choice
    eq = trapsim.solve(sc, values={"p": 0.6, "weak_fight": 0.9})
    assert eq.strategy["inc_weak"] == "fight"


def test_unknown_set_value_is_rejected_with_a_suggestion() -> None:
    with pytest.raises(trapsim.ArgumentError) as info:
        trapsim.solve(_load("core_entry.toml"), values={"pp": 0.5})
    problem = info.value.problem()
    assert problem.key == "argument values['pp']" and problem.suggestion == "p"
    assert info.value.problem({"values": "--set"}).key == "--set pp"


def test_tie_at_central_values_goes_to_first_action() -> None:
    eq = trapsim.solve(_load("core_decision.toml"))  # t has central value 0: B is indifferent
    assert eq.values["t"] == 0.0
    assert eq.strategy["split"] == "first"
    assert eq.ties == ["split"]


def test_qre_solve_gives_logit_probabilities() -> None:
    eq = trapsim.solve(_load("core_qre.toml"))  # solver qre, rationality 2 from the file
    assert eq.solver == "qre"
    p_left = 1 / (1 + math.exp(-2.0 * 0.5))  # v at its central value 0.5
    assert eq.action_probabilities["pick"]["left"] == pytest.approx(p_left)
    assert eq.payoffs["a"] == pytest.approx(p_left * 0.5)
    assert eq.strategy["pick"] == "left"


def test_solve_json_contract(invoke) -> None:
    result = invoke("solve", DATA / "core_entry.toml", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert set(doc) >= {"payoffs", "strategy", "outcome_probabilities"}
    assert doc["payoffs"] == pytest.approx({"ent": 0.4, "inc": 0.65})
    assert doc["strategy"] == {"entrant": "enter", "inc_strong": "fight", "inc_weak": "share"}
    assert doc["outcome_probabilities"] == pytest.approx({"fought": 0.3, "shared_weak": 0.7})


def test_solve_json_with_set(invoke) -> None:
    result = invoke("solve", DATA / "core_entry.toml", "--set", "p=0.6", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["strategy"]["entrant"] == "stay"
    assert doc["outcome_probabilities"] == {"out": 1.0}


# ------------------------------------------- random games against pygambit (oracle)

Tree = tuple  # ("leaf", payoffs) | ("decision", player, children) | ("chance", probs, children)


def random_tree(rng: np.random.Generator, players: int, depth: int = 0) -> Tree:
    if depth > 0 and (depth >= 4 or rng.random() < 0.15 + 0.2 * depth):
        return ("leaf", [int(v) for v in rng.integers(-10_000, 10_001, players)])
    k = int(rng.integers(2, 4))
    children = [random_tree(rng, players, depth + 1) for _ in range(k)]
    if rng.random() < 0.3:
        weights = [int(w) for w in rng.integers(1, 6, k)]
        return ("chance", [Fraction(w, sum(weights)) for w in weights], children)
    return ("decision", int(rng.integers(players)), children)


def to_toml(tree: Tree, players: int) -> str:
    lines = ["[scenario]", 'name = "random_game"', 'root = "n0"', ""]
    for i in range(players):
        lines += [f"[actors.p{i}]", f'name = "Player {i + 1}"']
    nodes: list[str] = []
    payoffs: list[str] = []
    counter = {"n": 0, "o": 0}

    def walk(t: Tree) -> str:
        if t[0] == "leaf":
            oid = f"o{counter['o']}"
            counter["o"] += 1
            payoffs.append(f"{oid} = {{ " + ", ".join(f"p{i} = {v}" for i, v in enumerate(t[1])) + " }")
            return oid
        nid = f"n{counter['n']}"
        counter["n"] += 1
        targets = [walk(c) for c in t[2]]
        nxt = ", ".join(f'a{j} = "{x}"' for j, x in enumerate(targets))
        nodes.append(f"[nodes.{nid}]")
        if t[0] == "decision":
            nodes.append(f'actor = "p{t[1]}"')
        else:
            nodes.append(
                "chance = { "
                + ", ".join(f'a{j} = "{p.numerator} / {p.denominator}"' for j, p in enumerate(t[1]))
                + " }"
            )
        nodes.append(f"next = {{ {nxt} }}")
        return nid

    walk(tree)
    return "\n".join(lines + nodes + ["[payoffs]", *payoffs]) + "\n"


def to_efg(tree: Tree, players: int) -> str:
    names = " ".join(f'"p{i}"' for i in range(players))
    out = [f'EFG 2 R "random game" {{ {names} }}', '""']
    counter = {"n": 0, "o": 0, "chance": 0, **{f"p{i}": 0 for i in range(players)}}

    def walk(t: Tree) -> None:
        if t[0] == "leaf":
            counter["o"] += 1
            out.append(f't "" {counter["o"]} "" {{ ' + ", ".join(str(v) for v in t[1]) + " }")
            return
        label = f"n{counter['n']}"  # the same ids as the TOML writer (same pre-order)
        counter["n"] += 1
        actions = [f'"a{j}"' for j in range(len(t[2]))]
        if t[0] == "decision":
            key = f"p{t[1]}"
            counter[key] += 1
            out.append(f'p "{label}" {t[1] + 1} {counter[key]} "" {{ {" ".join(actions)} }} 0')
        else:
            counter["chance"] += 1
            probs = " ".join(f"{a} {p.numerator}/{p.denominator}" for a, p in zip(actions, t[1], strict=True))
            out.append(f'c "{label}" {counter["chance"]} "" {{ {probs} }} 0')
        for child in t[2]:
            walk(child)

    walk(tree)
    return "\n".join(out) + "\n"


def gambit_backward_induction(game: Any) -> tuple[list[Fraction], dict[str, str]]:
    """Exact backward induction over pygambit's nodes: first listed action wins ties."""
    players = list(game.players)
    strategy: dict[str, str] = {}

    def value(node: Any) -> list[Fraction]:
        if node.is_terminal:
            return [Fraction(str(node.outcome[p])) for p in players]
        kids = [value(c) for c in node.children]
        actions = list(node.infoset.actions)
        if node.player.is_chance:
            probs = [Fraction(str(a.prob)) for a in actions]
            return [sum((p * k[i] for p, k in zip(probs, kids, strict=True)), Fraction(0)) for i in range(len(players))]
        me = players.index(node.player)
        best = 0
        for j in range(1, len(kids)):
            if kids[j][me] > kids[best][me]:
                best = j
        strategy[node.label] = actions[best].label
        return kids[best]

    return value(game.root), strategy


@pytest.mark.parametrize("seed", range(40))
def test_random_games_agree_with_pygambit(seed: int, tmp_path: Path) -> None:
    gbt = pytest.importorskip("pygambit")
    rng = np.random.default_rng(seed)
    players = 2 + seed % 4  # 2 to 5 players
    tree = random_tree(rng, players)
    efg = tmp_path / "game.efg"
    efg.write_text(to_efg(tree, players))
    want_payoffs, want_strategy = gambit_backward_induction(gbt.read_efg(str(efg)))

    eq = trapsim.solve(loads(to_toml(tree, players), path="random.toml"))
    assert eq.strategy == want_strategy
    got = [eq.payoffs[f"p{i}"] for i in range(players)]
    np.testing.assert_allclose(got, [float(v) for v in want_payoffs], rtol=1e-12, atol=1e-9)
    assert sum(eq.outcome_probabilities.values()) == pytest.approx(1.0)


# --------------------------------- the vectorised solver against a per-draw reference


def _reference_values(
    tree: Any, payoffs: np.ndarray, chance: dict[int, np.ndarray], d: int, solver: str, lam: float
) -> tuple[np.ndarray, dict[int, int]]:
    """Plain recursive backward induction of draw ``d``; returns root values and choices."""
    choices: dict[int, int] = {}

    def value(i: int) -> np.ndarray:
        pos = tree.positions[i]
        if pos.kind == "leaf":
            return payoffs[pos.outcome, :, d]
        kids = [value(c) for c in pos.children]
        if pos.kind == "chance":
            return sum(p * k for p, k in zip(chance[i][:, d], kids, strict=True))
        own = [k[pos.owner] for k in kids]
        if solver == "qre":
            w = [math.exp(lam * (v - max(own))) for v in own]
            return sum(x / sum(w) * k for x, k in zip(w, kids, strict=True))
        best = 0
        for j in range(1, len(own)):
            if own[j] > own[best] + 1e-12 * max(1.0, abs(own[best])):
                best = j
        choices[i] = best
        return kids[best]

    return value(0), choices


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("solver", ["spe", "qre"])
def test_vectorised_backward_induction_equals_per_draw(seed: int, solver: str) -> None:
    from trapsim.solver import backward, build_tree, play

    rng = np.random.default_rng(1000 + seed)
    players = 2 + seed % 4
    sc = loads(to_toml(random_tree(rng, players), players), path="random.toml")
    tree = build_tree(sc)
    n = 64
    payoffs = rng.normal(size=(len(tree.outcomes), players, n))
    payoffs[:, :, :8] = np.round(payoffs[:, :, :8])  # integer payoffs: plenty of exact ties
    chance = {
        i: rng.dirichlet(np.ones(len(tree.positions[i].children)), size=n).T
        for i in tree.inner
        if tree.positions[i].kind == "chance"
    }
    sol = backward(tree, payoffs, chance, solver=solver, rationality=1.5)
    for d in range(n):
        want, choices = _reference_values(tree, payoffs, chance, d, solver, 1.5)
        np.testing.assert_allclose(sol.root_values()[:, d], want, rtol=1e-12, atol=1e-12)
        for i, j in choices.items():
            assert sol.choice[i][d] == j
    # playing the realised path: chance (and qre) branches from the uniforms given
    uniforms = {i: rng.random(n) for i in tree.inner}
    leaf, _ = play(tree, sol, uniforms)
    for d in range(n):
        i = 0
        while tree.positions[i].kind != "leaf":
            if i in sol.choice:
                k = int(sol.choice[i][d])
            else:
                cum = np.cumsum(sol.probs[i][:, d])
                k = min(int(np.searchsorted(cum, uniforms[i][d], side="right")), len(cum) - 1)
            i = tree.positions[i].children[k]
        assert leaf[d] == i


@pytest.mark.parametrize(
    ("name", "world", "solver"),
    [
        ("defense_clause", None, "spe"),
        ("defense_clause", "no_treaty", "spe"),
        ("kim_misperception", None, "spe"),  # [beliefs]: the DPRK plays its perceived game
        ("defense_clause", None, "qre"),
    ],
)
def test_strategies_equal_one_solve_per_point(name: str, world: str | None, solver: str) -> None:
    """The vectorised solve (explain's "flips it") chooses what :func:`solve` chooses point by point."""
    from trapsim.equilibrium import solve, strategies
    from trapsim.sampling import ppf

    sc = trapsim.load(str(Path(__file__).parent.parent / "scenarios" / f"{name}.toml"))
    rng = np.random.default_rng(7)
    uncertain = [p for p in sc.parameters if p.dist.kind != "constant"]
    points = []
    for _ in range(6):
        chosen = rng.choice(len(uncertain), size=3, replace=False)
        points.append({uncertain[i].name: float(ppf(uncertain[i].dist, rng.uniform(0.01, 0.99, 1))[0]) for i in chosen})
    batch = strategies(sc, points, solver=solver, world=world)
    for point, got in zip(points, batch, strict=True):
        assert got == solve(sc, values=point, solver=solver, world=world).strategy
