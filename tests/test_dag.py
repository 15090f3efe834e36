"""Shared subtrees: a DAG scenario is the same game as its unfolding written out by hand.

The hand-unfolded files are made independently of :mod:`trapsim.unfolding`: the
fixture ``dag_alliance_unfolded.toml`` by hand, the random ones by a small
recursive copier in this file that also evaluates every history function of a
payoff or probability on the copy's own history, and rewrites each trap's
``played``/``reached`` as an ``or`` over the copies.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

import trapsim
from trapsim.api import trap_probability
from trapsim.runner import CompiledScenario
from trapsim.sampling import stream
from trapsim.scenario import loads
from trapsim.solver import build_tree
from trapsim.unfolding import MAX_POSITIONS, count_positions, find_cycle, unfold

DATA = Path(__file__).parent / "data"
DAG = DATA / "dag_alliance.toml"
HAND = DATA / "dag_alliance_unfolded.toml"


# ---------------------------------------------------------------- helpers


def _decisions(sc: trapsim.Scenario) -> list[str]:
    """Names of the decision positions in pre-order."""
    tree = build_tree(sc)
    return [tree.positions[i].name for i in tree.inner if tree.positions[i].kind == "decision"]


def _inner(sc: trapsim.Scenario) -> list[str]:
    tree = build_tree(sc)
    return [tree.positions[i].name for i in tree.inner]


def _base(outcome: str) -> str:
    return outcome.split("__")[0].removesuffix("_acq").removesuffix("_res")


def assert_same_solution(dag: trapsim.Scenario, hand: trapsim.Scenario, **kw: object) -> None:
    a, b = trapsim.solve(dag, **kw), trapsim.solve(hand, **kw)  # type: ignore[arg-type]
    assert a.payoffs == pytest.approx(b.payoffs, abs=1e-12)
    names_a, names_b = _inner(dag), _inner(hand)
    assert len(names_a) == len(names_b)
    for x, y in zip(names_a, names_b, strict=True):
        assert a.action_probabilities[x] == pytest.approx(b.action_probabilities[y], abs=1e-12), (x, y)
    for x, y in zip(_decisions(dag), _decisions(hand), strict=True):
        assert a.strategy[x] == b.strategy[y], (x, y)
    merged: dict[str, float] = {}
    for o, p in b.outcome_probabilities.items():
        merged[_base(o)] = merged.get(_base(o), 0.0) + p
    assert {o: p for o, p in a.outcome_probabilities.items()} == pytest.approx(
        {o: merged.get(o, 0.0) for o in a.outcome_probabilities}, abs=1e-12
    )


def assert_same_trap_probabilities(dag: trapsim.Scenario, hand: trapsim.Scenario, **kw: object) -> None:
    a = trap_probability(dag, draws=600, seed=17, **kw)  # type: ignore[arg-type]
    b = trap_probability(hand, draws=600, seed=17, **kw)  # type: ignore[arg-type]
    assert set(a) == set(b)
    for t in a:
        np.testing.assert_allclose(a[t], b[t], rtol=0, atol=1e-12, err_msg=t)


def assert_rates_agree(dag: trapsim.Scenario, hand: trapsim.Scenario, draws: int = 6000) -> None:
    """Equal seeds: the parameter draws are the same, the chance draws are not (other node ids)."""
    a = trapsim.simulate(dag, draws=draws, seed=5)
    b = trapsim.simulate(hand, draws=draws, seed=5)
    for t in a.trap_counts:
        pa, pb = a.rate(t), b.rate(t)
        pooled = (a.trap_counts[t] + b.trap_counts[t]) / (2 * draws)
        se = np.sqrt(max(pooled * (1 - pooled), 1e-12) * 2 / draws)
        assert abs(pa - pb) <= 4.5 * se + 1e-12, (t, pa, pb)


# ---------------------------------------------------------------- the fixture


@pytest.fixture(scope="module")
def pair() -> tuple[trapsim.Scenario, trapsim.Scenario]:
    return trapsim.load(DAG), trapsim.load(HAND)


def test_copies_get_history_qualified_names(pair) -> None:
    dag, _ = pair
    assert _inner(dag) == [
        "russia_call",
        "china_reply",
        "dprk_answer[acquiesce]",
        "us_answer[acquiesce]",
        "supply[acquiesce]",
        "dprk_answer[restrain]",
        "us_answer[restrain]",
        "supply[restrain]",
    ]
    tree = build_tree(dag)
    leaves = [tree.positions[i].name for i in tree.leaves]
    assert leaves.count("refused") == 2 and leaves[-1] == "status_quo"  # outcomes keep their ids
    assert tree.copies["dprk_answer"] == (
        tree.node_index["dprk_answer[acquiesce]"],
        tree.node_index["dprk_answer[restrain]"],
    )


@pytest.mark.parametrize("values", [{}, {"china_chill": 0.7, "war_cost": 0.3}, {"deliver": 0.9, "refuse_cost": 0.4}])
def test_spe_equals_the_hand_unfolded_tree(pair, values) -> None:
    assert_same_solution(*pair, values=values)


def test_history_changes_the_copies(pair) -> None:
    """At these values China's restraint flips North Korea's answer: the copies differ."""
    dag, _ = pair
    # acquiesce: troops -> the US holds -> stalemate 0.4 beats munitions (0.1625) and refusing (0);
    # restrain: troops -> 0.4 - 0.5 * 1.0 = -0.1 loses to refusing (0).
    eq = trapsim.solve(dag, values={"china_chill": 1.0, "war_cost": 1.2, "refuse_cost": 0.0})
    assert eq.strategy["dprk_answer[acquiesce]"] == "troops"
    assert eq.strategy["dprk_answer[restrain]"] == "refuse"


def test_qre_equals_the_hand_unfolded_tree(pair) -> None:
    assert_same_solution(*pair, solver="qre", rationality=3.0)


def test_exact_trap_probabilities_are_equal(pair) -> None:
    assert_same_trap_probabilities(*pair)
    assert_same_trap_probabilities(*pair, solver="qre", rationality=2.0)


def test_trap_rates_agree(pair) -> None:
    assert_rates_agree(*pair)


BELIEFS = """
[beliefs.dprk]
china_chill = { dist = "uniform", low = 0.0, high = 0.2 }
war_cost = "0.5 * war_cost"
"""


def test_beliefs_equal_the_hand_unfolded_tree() -> None:
    dag = loads(DAG.read_text() + BELIEFS, path="dag.toml")
    hand = loads(HAND.read_text() + BELIEFS, path="hand.toml")
    assert_same_solution(dag, hand, values={"china_chill": 0.8, "war_cost": 1.0})
    assert_rates_agree(dag, hand, draws=4000)
    a, b = trapsim.simulate(dag, draws=3000, seed=2), trapsim.simulate(hand, draws=3000, seed=2)
    assert abs(a.misperception["dprk"] - b.misperception["dprk"]) < 0.05 * 3000


def test_played_counts_any_copy(pair) -> None:
    dag, _ = pair
    eq = trapsim.solve(dag, values={"china_chill": 0.0, "war_cost": 0.2})
    assert eq.strategy["dprk_answer[acquiesce]"] == "troops"
    res = trapsim.simulate(
        dag, draws=500, seed=1, values={"china_chill": 0.0, "war_cost": 0.2, "refuse_cost": 0.5, "reputation": 0.6}
    )
    assert res.rate("troops_sent") == 1.0  # on whichever copy was reached


def test_shared_chance_node_uses_the_stream_of_its_id(pair) -> None:
    dag, _ = pair
    model = CompiledScenario(dag)
    u = model.uniforms(123, 2, 50, "spe")
    copies = model.tree.copies["supply"]
    assert len(copies) == 2
    want = stream(123, 2, "node:supply").random(50)
    for pos in copies:
        np.testing.assert_array_equal(u[pos], want)


def test_json_names_copies_and_keeps_ids(pair, invoke) -> None:
    result = invoke("solve", DAG, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert "dprk_answer[restrain]" in doc["strategy"]
    assert set(doc["outcome_probabilities"]) <= set(pair[0].outcomes)
    assert doc["labels"]["nodes"]["dprk_answer"] == "North Korea answers"
    result = invoke("run", DAG, "--json", "--draws", "300", "--seed", "1")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["ties"]["dprk_answer[restrain]"]["label"] == "North Korea answers[restrain]"
    assert set(doc["outcomes"]) == set(pair[0].outcomes)


def test_efg_export_writes_the_unfolded_tree(pair, tmp_path: Path) -> None:
    dag, hand = pair
    text = trapsim.api.to_efg(dag)
    lines = [ln for ln in text.splitlines()[2:] if ln.strip()]
    assert len(lines) == count_positions(dag.root, {n: v.targets for n, v in dag.nodes.items()})
    assert any('"dprk_answer[restrain]"' in ln for ln in lines)
    path = tmp_path / "dag.efg"
    path.write_text(text)
    back = trapsim.load(str(path))
    a, b = trapsim.solve(back), trapsim.solve(hand)
    assert list(a.payoffs.values()) == pytest.approx(list(b.payoffs.values()), abs=1e-9)


# ---------------------------------------------------------------- unfolding itself


def test_count_and_unfold_agree_on_a_diamond_chain() -> None:
    # k diamonds in a row: 2**k histories reach the end
    nxt = {f"n{i}": [f"n{i + 1}", f"n{i + 1}"] for i in range(6)}
    nxt["n6"] = ["end"]
    acts = {n: ["x", "y"] if len(t) == 2 else ["go"] for n, t in nxt.items()}
    places = unfold("n0", nxt, acts)
    assert len(places) == count_positions("n0", nxt) == sum(2**i for i in range(7)) + 2**6
    last = [p.name for p in places if p.id == "n6"]
    assert len(set(last)) == 64 and last[0] == "n6[x,x,x,x,x,x]" and last[-1] == "n6[y,y,y,y,y,y]"
    assert {p.name for p in places if p.id == "end"} == {"end"}


def test_count_is_capped_without_unfolding() -> None:
    nxt = {f"n{i}": [f"n{i + 1}", f"n{i + 1}"] for i in range(200)}
    nxt["n200"] = ["end"]
    assert count_positions("n0", nxt) == MAX_POSITIONS + 1


def test_find_cycle_names_it() -> None:
    assert find_cycle("a", {"a": ["b", "x"], "b": ["c"], "c": ["b"]}) == ["b", "c", "b"]
    assert find_cycle("a", {"a": ["b", "b"], "b": ["x"]}) is None


# ---------------------------------------------------------------- random DAGs


@dataclass
class _Game:
    """A random DAG game, rendered both as a DAG file and as a hand-unfolded tree file."""

    actors: list[str]
    nodes: dict[str, dict] = field(default_factory=dict)  # id -> {actor|chance, actions, targets, probs}
    payoffs: dict[str, list[tuple]] = field(default_factory=dict)  # outcome -> per actor: (c0, c1, param, term)
    traps: list[tuple] = field(default_factory=list)


PARAMS = ("u", "v")


def _paths_to(game: _Game, root: str) -> dict[str, list[tuple[tuple[str, str], ...]]]:
    """Every history leading to every node and outcome (by brute force)."""
    out: dict[str, list] = {}

    def walk(x: str, history: tuple) -> None:
        out.setdefault(x, []).append(history)
        if x in game.nodes:
            for a, t in zip(game.nodes[x]["actions"], game.nodes[x]["targets"], strict=True):
                walk(t, (*history, (x, a)))

    walk(root, ())
    return out


def _term(rng: random.Random, histories: list[tuple]) -> tuple | None:
    """A history function that can differ between the histories leading somewhere."""
    steps = sorted({s for h in histories for s in h})
    if not steps or rng.random() < 0.3:
        return None
    node, action = rng.choice(steps)
    return ("played", node, action) if rng.random() < 0.7 else ("reached", node)


def random_dag(seed: int) -> _Game:
    rng = random.Random(seed)
    game = _Game([f"p{i}" for i in range(rng.randint(2, 3))])
    n = rng.randint(3, 6)
    ids = [f"n{i}" for i in range(n)]
    outcomes = [f"o{i}" for i in range(rng.randint(2, 4))]
    for i, nid in enumerate(ids):
        chance = i > 0 and rng.random() < 0.3
        k = 2 if chance else rng.randint(2, 3)
        later = ids[i + 1 :]
        targets = [rng.choice(later) if later and rng.random() < 0.6 else rng.choice(outcomes) for _ in range(k)]
        game.nodes[nid] = {
            "actor": None if chance else rng.choice(game.actors),
            "actions": [f"a{j}" for j in range(k)],
            "targets": targets,
        }
    forced: set[tuple[str, int]] = set()
    for j in range(1, n):  # every node reachable: some earlier node points at it (never undone)
        free = [
            (ids[i], k)
            for i in range(j)
            for k in range(len(game.nodes[ids[i]]["targets"]))
            if (ids[i], k) not in forced
        ]
        src, k = rng.choice(free)
        game.nodes[src]["targets"][k] = ids[j]
        forced.add((src, k))
    paths = _paths_to(game, "n0")
    for nid, spec in game.nodes.items():
        if spec["actor"] is None:
            spec["probs"] = (rng.choice([0.1, 0.2, 0.3]), rng.choice([0.1, 0.3]), _term(rng, paths[nid]))
    for o in outcomes:
        if o in paths:
            game.payoffs[o] = [
                (
                    round(rng.uniform(-1, 1), 3),
                    round(rng.uniform(-1, 1), 3),
                    rng.choice(PARAMS),
                    _term(rng, paths[o]),
                    round(rng.uniform(-0.8, 0.8), 3),
                )
                for _ in game.actors
            ]
    for _t in range(3):
        kind = rng.choice(["played", "reached_node", "reached_outcome", "payoff"])
        if kind == "played":
            nid = rng.choice(list(paths.keys() & game.nodes.keys()))
            game.traps.append(("played", nid, rng.choice(game.nodes[nid]["actions"])))
        elif kind == "reached_node":
            game.traps.append(("reached", rng.choice(list(paths.keys() & game.nodes.keys()))))
        elif kind == "reached_outcome":
            game.traps.append(("reached", rng.choice(list(game.payoffs))))
        else:
            game.traps.append(("payoff", rng.choice(game.actors), round(rng.uniform(-0.5, 0.5), 2)))
    return game


def _head(game: _Game, name: str) -> list[str]:
    lines = ["[scenario]", f'name = "{name}"', 'root = "n0"', ""]
    for a in game.actors:
        lines += [f"[actors.{a}]", f'name = "{a.upper()}"']
    lines += [
        "",
        "[parameters]",
        'u = { dist = "uniform", low = 0, high = 1 }',
        'v = { dist = "triangular", low = -1, mode = 0, high = 2 }',
        "",
    ]
    return lines


def _render_term(term: tuple | None, history: tuple | None) -> str:
    """The term as a history function (DAG file), or its value on ``history`` (hand file)."""
    if term is None:
        return "0"
    if history is None:
        return f"played('{term[1]}', '{term[2]}')" if term[0] == "played" else f"reached('{term[1]}')"
    if term[0] == "played":
        return "1" if (term[1], term[2]) in history else "0"
    return "1" if any(n == term[1] for n, _ in history) else "0"


def _payoff_row(game: _Game, o: str, history: tuple | None) -> str:
    cells = [
        f'{a} = "{c0} + {c1} * {p} + {c2} * {_render_term(term, history)}"'
        for a, (c0, c1, p, term, c2) in zip(game.actors, game.payoffs[o], strict=True)
    ]
    return "{ " + ", ".join(cells) + " }"


def _chance(spec: dict, history: tuple | None) -> str:
    base, slope, term = spec["probs"]
    p = f"{base} + 0.4 * u + {slope} * {_render_term(term, history)}"
    return f'{{ a0 = "{p}", a1 = "1 - ({p})" }}'


def _trap_lines(game: _Game, copies: dict[str, list[str]] | None) -> list[str]:
    out = []
    for i, t in enumerate(game.traps):
        if t[0] == "payoff":
            cond = f'payoff("{t[1]}") > {t[2]}'
        else:
            names = [t[1]] if copies is None else copies.get(t[1], [t[1]])
            args = ", ".join(f'"{x}"' for x in t[2:])
            cond = " or ".join(f'{t[0]}("{x}"{", " + args if args else ""})' for x in names)
        out += [f"[traps.t{i}]", f"when = '{cond}'", ""]
    return out


def dag_text(game: _Game) -> str:
    lines = _head(game, "random_dag")
    for nid, spec in game.nodes.items():
        lines.append(f"[nodes.{nid}]")
        if spec["actor"] is None:
            lines.append(f"chance = {_chance(spec, None)}")
        else:
            lines.append(f'actor = "{spec["actor"]}"')
        pairs = ", ".join(f'{a} = "{t}"' for a, t in zip(spec["actions"], spec["targets"], strict=True))
        lines += [f"next = {{ {pairs} }}", ""]
    lines.append("[payoffs]")
    lines += [f"{o} = {_payoff_row(game, o, None)}" for o in game.payoffs]
    return "\n".join([*lines, "", *_trap_lines(game, None)])


def hand_unfolded_text(game: _Game) -> str:
    """The tree the DAG describes, copied out by recursion (ids ``<id>__<k>``)."""
    nodes: list[str] = []
    rows: dict[str, str] = {}
    copies: dict[str, list[str]] = {}

    def visit(x: str, history: tuple) -> str:
        name = f"{x}__{len(copies.get(x, [])) + 1}"
        copies.setdefault(x, []).append(name)
        if x not in game.nodes:
            rows[name] = _payoff_row(game, x, history)
            return name
        spec = game.nodes[x]
        block = [f"[nodes.{name}]"]
        block.append(f"chance = {_chance(spec, history)}" if spec["actor"] is None else f'actor = "{spec["actor"]}"')
        nodes.append("")  # reserve the place: pre-order like the DAG's unfolding
        at = len(nodes) - 1
        kids = [visit(t, (*history, (x, a))) for a, t in zip(spec["actions"], spec["targets"], strict=True)]
        pairs = ", ".join(f'{a} = "{k}"' for a, k in zip(spec["actions"], kids, strict=True))
        nodes[at] = "\n".join([*block, f"next = {{ {pairs} }}", ""])
        return name

    visit("n0", ())
    text = "\n".join(_head(game, "hand_unfolded")).replace('root = "n0"', 'root = "n0__1"')
    return "\n".join(
        [text, *nodes, "[payoffs]", *(f"{o} = {r}" for o, r in rows.items()), "", *_trap_lines(game, copies)]
    )


SEEDS = list(range(14))


@pytest.mark.parametrize("seed", SEEDS)
def test_random_dag_equals_its_hand_unfolding(seed: int) -> None:
    game = random_dag(seed)
    dag = loads(dag_text(game), path=f"dag{seed}.toml")
    hand = loads(hand_unfolded_text(game), path=f"hand{seed}.toml")
    assert len(build_tree(dag).positions) == len(build_tree(hand).positions)
    for values in ({}, {"u": 0.1, "v": 1.5}, {"u": 0.9, "v": -0.5}):
        assert_same_solution(dag, hand, values=values)
    assert_same_solution(dag, hand, solver="qre", rationality=4.0)
    assert_same_trap_probabilities(dag, hand)
    assert_same_trap_probabilities(dag, hand, solver="qre", rationality=1.5)
    beliefs = f'\n[beliefs.{game.actors[0]}]\nu = {{ dist = "uniform", low = 0.5, high = 1 }}\nv = "-v"\n'
    dag_b = loads(dag_text(game) + beliefs, path="dag_b.toml")
    hand_b = loads(hand_unfolded_text(game) + beliefs, path="hand_b.toml")
    assert_same_solution(dag_b, hand_b)  # exact trap probabilities do not support beliefs


@pytest.mark.parametrize("seed", SEEDS[:6])
def test_random_dag_trap_rates_agree(seed: int) -> None:
    game = random_dag(seed)
    assert_rates_agree(loads(dag_text(game)), loads(hand_unfolded_text(game)), draws=4000)


def test_random_dags_really_share_nodes() -> None:
    """The generator must exercise sharing and history functions, or the tests above prove little."""
    shared = with_history = 0
    for seed in SEEDS:
        game = random_dag(seed)
        sc = loads(dag_text(game))
        tree = build_tree(sc)
        shared += any(len(c) > 1 for c in tree.copies.values())
        with_history += len(tree.rows) > len(tree.outcomes) or bool(tree.history)
    assert shared >= 10 and with_history >= 8, (shared, with_history)


# ---------------------------------------------------------------- the compact graph


def test_compact_shares_sum_over_copies(pair) -> None:
    from trapsim.figures.compact import edge_shares

    dag, _ = pair
    res = trapsim.simulate(dag, draws=3000, seed=4)
    shares = edge_shares(res)
    assert shares[("dprk_answer", "troops")] == pytest.approx(res.rate("troops_sent"), abs=1e-12)
    into_dprk = shares[("china_reply", "acquiesce")] + shares[("china_reply", "restrain")]
    assert into_dprk == pytest.approx(shares[("russia_call", "invoke")], abs=1e-12)
    assert sum(shares[("dprk_answer", a)] for a in ("troops", "munitions", "refuse")) == pytest.approx(into_dprk)
    eq = trapsim.solve(dag)
    at_eq = edge_shares(eq)
    assert at_eq[("us_answer", "hold")] + at_eq[("us_answer", "escalate")] == pytest.approx(
        at_eq[("dprk_answer", "troops")], abs=1e-12
    )


def test_tree_command_draws_compact_or_unfolded(invoke, tmp_path: Path) -> None:
    for flag in ("--compact", "--unfolded"):
        out = tmp_path / f"t{flag}.png"
        result = invoke("tree", DAG, flag, "--out", out)
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 10_000
