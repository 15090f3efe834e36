"""trapsim's solver against an independent reference built on pygambit's reading of the game.

pygambit 16.7 has no subgame-perfect solver, so the reference is a few-line
backward induction over pygambit's own tree, in exact arithmetic
(:func:`gambit_spe`), cross-checked on small games by filtering
``enumpure_agent_solve``'s profiles with a one-shot-deviation check. Two
separately written representations of the same game must agree: trapsim's
reader and model on one side, Gambit's parser and tree on the other.

The random games are written to ``.efg`` text by a small writer in this file
(not trapsim's), with the format's corners: repeated outcomes referenced by
number only, outcomes at inner nodes, rational and decimal numbers, optional
comments.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from trapsim import scenario as scenario_mod
from trapsim.efg import efg_text_to_toml, efg_to_toml, load_efg, loads_efg, write_efg
from trapsim.equilibrium import Equilibrium, all_spe, solve
from trapsim.model import DecisionNode, Scenario

gbt = pytest.importorskip("pygambit")

DATA = Path(__file__).parent / "data"
GAMBIT = DATA / "gambit"
SCENARIOS = Path(__file__).parent.parent / "scenarios"
PERFECT_INFO = sorted(GAMBIT.glob("*.efg")) + sorted((GAMBIT / "extra").glob("*.efg"))
DUPLICATE_LABELS = {"e10.efg", "e10a.efg", "nim.efg", "nim7.efg"}  # pygambit 16.7 refuses these


# ------------------------------------------------------------------ the reference


def read_with_gambit(text: str, *, blank_labels: bool = False) -> gbt.Game:
    """pygambit's reading of an .efg text (node labels blanked when asked, see PROVENANCE.txt)."""
    if blank_labels:
        lines = []
        for line in text.splitlines():
            head = line.lstrip()
            if head[:2] in ("p ", "c ", "t ") and '"' in head:
                first = line.index('"')
                close = first + 1
                while line[close] != '"' or line[close - 1] == "\\":
                    close += 1
                line = line[: first + 1] + line[close:]
            lines.append(line)
        text = "\n".join(lines)
    return gbt.read_efg(io.StringIO(text))


def _fr(x: object) -> Fraction:
    return Fraction(str(x))


def _node_payoff(node: gbt.Node, players: Sequence[gbt.Player]) -> list[Fraction]:
    outcome = node.outcome
    try:
        return [_fr(outcome[p]) for p in players]
    except KeyError:  # pygambit 16.7: no outcome attached
        return [Fraction(0)] * len(players)


def _close(a: Fraction, b: Fraction, tol: Fraction) -> bool:
    return abs(a - b) <= tol * max(1, abs(a), abs(b))


def gambit_spe(game: gbt.Game, *, tol: Fraction = Fraction(0)) -> tuple[list[Fraction], list[int]]:
    """Backward induction on pygambit's tree, exact: root payoffs and the choice
    (action index) at every decision node in prefix order; ties to the first listed action."""
    players = list(game.players)

    def walk(node: gbt.Node) -> tuple[list[Fraction], list[int]]:
        here = _node_payoff(node, players)
        if node.is_terminal:
            return here, []
        kids = [walk(c) for c in node.children]
        choices = [k for _, ch in kids for k in ch]
        if node.player.is_chance:
            probs = [_fr(a.prob) for a in node.infoset.actions]
            value = [sum(p * v[i] for p, (v, _) in zip(probs, kids, strict=True)) for i in range(len(players))]
        else:
            i = players.index(node.player)
            best = max(v[i] for v, _ in kids)
            pick = next(k for k, (v, _) in enumerate(kids) if _close(v[i], best, tol))
            value = kids[pick][0]
            choices = [pick, *choices]
        return [a + b for a, b in zip(value, here, strict=True)], choices

    return walk(game.root)


def decision_nodes(game: gbt.Game) -> list[gbt.Node]:
    """pygambit's decision nodes in prefix order."""
    out = []

    def walk(node: gbt.Node) -> None:
        if not node.is_terminal:
            if not node.player.is_chance:
                out.append(node)
            for c in node.children:
                walk(c)

    walk(game.root)
    return out


def _passes_one_shot_deviation(game: gbt.Game, choice: dict[gbt.Node, int]) -> bool:
    """No owner gains by changing only the action at one node (on or off the path)."""
    players = list(game.players)
    ok = True

    def value(node: gbt.Node) -> list[Fraction]:
        nonlocal ok
        here = _node_payoff(node, players)
        if node.is_terminal:
            return here
        kids = [value(c) for c in node.children]
        if node.player.is_chance:
            probs = [_fr(a.prob) for a in node.infoset.actions]
            v = [sum(p * k[i] for p, k in zip(probs, kids, strict=True)) for i in range(len(players))]
        else:
            i = players.index(node.player)
            v = kids[choice[node]]
            if v[i] < max(k[i] for k in kids):
                ok = False
        return [a + b for a, b in zip(v, here, strict=True)]

    value(game.root)
    return ok


def subgame_perfect_profiles(game: gbt.Game) -> set[tuple[int, ...]]:
    """Pure SPEs: ``enumpure_agent_solve``'s profiles that pass a one-shot-deviation check."""
    nodes = decision_nodes(game)
    found = set()
    for eq in gbt.nash.enumpure_agent_solve(game).equilibria:
        choice = {}
        for node in nodes:
            acts = list(node.infoset.actions)
            choice[node] = next(k for k, a in enumerate(acts) if eq[a] == 1)
        if _passes_one_shot_deviation(game, choice):
            found.add(tuple(choice[n] for n in nodes))
    return found


def gambit_qre(game: gbt.Game, lam: float) -> list[list[float]]:
    """Agent logit QRE of a perfect-information game, directly: at every decision node,
    P(a) proportional to exp(lam * u_owner(a)), u computed under logit play below."""
    players = list(game.players)
    out: list[list[float]] = []

    def walk(node: gbt.Node) -> np.ndarray:
        here = np.array([float(x) for x in _node_payoff(node, players)])
        if node.is_terminal:
            return here
        slot = len(out)
        if not node.player.is_chance:
            out.append([])
        kids = [walk(c) for c in node.children]
        if node.player.is_chance:
            probs = [float(_fr(a.prob)) for a in node.infoset.actions]
        else:
            i = players.index(node.player)
            u = np.array([k[i] for k in kids])
            w = np.exp(lam * (u - u.max()))
            probs = list(w / w.sum())
            out[slot] = probs
        return here + sum(p * k for p, k in zip(probs, kids, strict=True))

    walk(game.root)
    return out


def trapsim_choices(sc: Scenario, strategy: dict[str, str]) -> list[int]:
    """trapsim's strategy as action indices, decision nodes in prefix order."""
    out = []
    for node_id, action in strategy.items():
        node = sc.nodes[node_id.split("[", 1)[0]]  # a copy of a shared node: id[history]
        assert isinstance(node, DecisionNode)
        out.append(node.actions.index(action))
    return out


def assert_same_spe(sc: Scenario, game: gbt.Game, *, tol: float = 1e-9, tie: Fraction = Fraction(0)) -> Equilibrium:
    """trapsim's SPE equals the reference on pygambit's tree; returns trapsim's."""
    eq = solve(sc)
    ref_pay, ref_choice = gambit_spe(game, tol=tie)
    assert [eq.payoffs[a] for a in sc.actor_ids] == pytest.approx([float(v) for v in ref_pay], rel=tol, abs=tol)
    assert trapsim_choices(sc, eq.strategy) == ref_choice
    return eq


# ------------------------------------------------------------------ random games


@dataclass(eq=False)
class _Node:
    kind: str  # "p", "c", "t"
    player: int = 0
    actions: list[str] = field(default_factory=list)
    probs: list[Fraction] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)
    payoffs: tuple[Fraction, ...] | None = None
    label: str = ""


def _number(rng: random.Random, x: Fraction) -> str:
    """Write a number in one of the format's spellings."""
    if x.denominator == 1:
        return rng.choice([str(x.numerator), f"{x.numerator}/1", f"{x.numerator}.0"])
    den = x.denominator
    while den % 2 == 0:
        den //= 2
    while den % 5 == 0:
        den //= 5
    if den == 1 and rng.random() < 0.7:
        return str(float(x))
    return f"{x.numerator}/{x.denominator}"


def random_game(seed: int, *, min_leaves: int = 10, max_leaves: int = 80, root_only: bool = False) -> tuple[str, int]:
    """A random perfect-information game with chance nodes as .efg text."""
    rng = random.Random(seed)
    n_players = rng.randint(2, 5)
    target = rng.randint(min_leaves, max_leaves)
    integer = rng.random() < 0.5  # small integer payoffs make ties common

    def payoff() -> Fraction:
        if integer:
            return Fraction(rng.randint(-2, 2))
        return Fraction(rng.randint(-40, 40), rng.choice([1, 2, 3, 4, 7, 10]))

    root = _Node("t")
    leaves = [root]
    while len(leaves) < target:
        k = rng.choice([2, 2, 2, 3, 3, 4])
        if len(leaves) + k - 1 > max_leaves:
            k = max_leaves - len(leaves) + 1
            if k < 2:
                break
        node = rng.choice(leaves)
        leaves.remove(node)
        chance = (node is not root) if root_only else rng.random() < 0.3
        node.kind = "c" if chance else "p"
        node.actions = [f"{'abcdefgh'[i]}{rng.randint(0, 9)}" for i in range(k)]
        node.actions = [f"{a}_{i}" for i, a in enumerate(node.actions)]  # distinct
        if chance:
            weights = [rng.randint(0, 5) for _ in range(k)]
            if sum(weights) == 0:
                weights[0] = 1
            node.probs = [Fraction(w, sum(weights)) for w in weights]
        else:
            node.player = rng.randint(1, n_players)
        node.children = [_Node("t") for _ in range(k)]
        leaves.extend(node.children)
    for node in _preorder(root):
        if node.kind == "t" or rng.random() < 0.15:  # outcomes at inner nodes too
            node.payoffs = tuple(payoff() for _ in range(n_players))
        if rng.random() < 0.2:
            node.label = f"node {id(node) % 100003}-{rng.randint(0, 10**6)}"
    return _write(rng, root, n_players, seed), n_players


def _preorder(root: _Node) -> list[_Node]:
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out


def _write(rng: random.Random, root: _Node, n_players: int, seed: int) -> str:
    names = rng.sample(
        ["Russia", "DPRK", "China", "US", "Ukraine", "Player 1", "1", "max", 'The "Big" One', "Cote d'Ivoire"],
        n_players,
    )
    quoted = " ".join('"' + n.replace('"', '\\"') + '"' for n in names)
    lines = [f'EFG 2 {rng.choice("RD")} "random game {seed}" {{ {quoted} }}']
    if rng.random() < 0.7:
        lines.append('"a random perfect-information game"')
    outcomes: dict[tuple[Fraction, ...], int] = {}
    described: dict[int, str] = {}
    infosets = {p: 0 for p in range(n_players + 1)}
    for node in _preorder(root):
        if node.payoffs is None:
            out = "0"
        elif node.payoffs in outcomes and rng.random() < 0.6:
            out = str(outcomes[node.payoffs])  # repeated by number, no description
        else:
            number = outcomes.setdefault(node.payoffs, len(outcomes) + 1)
            if number not in described:  # Gambit wants a repeated description spelt the same
                sep = rng.choice([" ", ", "])
                described[number] = f'"" {{ {sep.join(_number(rng, x) for x in node.payoffs)} }}'
            out = f"{number} {described[number]}"
        label = f'"{node.label}"'
        if node.kind == "t":
            lines.append(f"t {label} {out}")
        elif node.kind == "c":
            infosets[0] += 1
            moves = " ".join(f'"{a}" {_number(rng, p)}' for a, p in zip(node.actions, node.probs, strict=True))
            lines.append(f'c {label} {infosets[0]} "" {{ {moves} }} {out}')
        else:
            infosets[node.player] += 1
            moves = " ".join(f'"{a}"' for a in node.actions)
            lines.append(f'p {label} {node.player} {infosets[node.player]} "" {{ {moves} }} {out}')
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ Gambit's own games


@pytest.mark.parametrize("path", PERFECT_INFO, ids=lambda p: p.name)
def test_gambit_sample_games_same_spe(path: Path) -> None:
    """Every perfect-information game of Gambit's collection: same SPE payoffs and strategy."""
    text = path.read_text()
    game = read_with_gambit(text, blank_labels=path.name in DUPLICATE_LABELS)
    assert_same_spe(load_efg(path), game)


def test_pygambit_refuses_the_duplicate_label_files() -> None:
    """The reason the reader is trapsim's own (if this fails, pygambit changed: update docs)."""
    for name in sorted(DUPLICATE_LABELS):
        with pytest.raises(ValueError, match="unique"):
            read_with_gambit((GAMBIT / name).read_text())
        assert load_efg(GAMBIT / name).nodes  # trapsim reads it


def _profiles_count(path: Path) -> int:
    game = read_with_gambit(path.read_text(), blank_labels=path.name in DUPLICATE_LABELS)
    return math.prod(len(n.children) for n in decision_nodes(game))


@pytest.mark.parametrize("path", [p for p in PERFECT_INFO if _profiles_count(p) <= 5000], ids=lambda p: p.name)
def test_all_spe_equals_filtered_agent_equilibria(path: Path) -> None:
    """`--all-spe` lists exactly the pure agent equilibria that pass one-shot deviation."""
    game = read_with_gambit(path.read_text(), blank_labels=path.name in DUPLICATE_LABELS)
    sc = load_efg(path)
    result = all_spe(sc, limit=10_000)
    assert result.complete
    mine = {tuple(trapsim_choices(sc, p.strategy)) for p in result.profiles}
    assert len(mine) == len(result.profiles)
    assert mine == subgame_perfect_profiles(game)
    assert trapsim_choices(sc, result.profiles[0].strategy) == gambit_spe(game)[1]


def test_all_spe_caps_the_count_on_tic_tac_toe() -> None:
    result = all_spe(load_efg(GAMBIT / "ttt.efg"), limit=50)
    assert not result.complete and len(result.profiles) == 50
    strategies = {tuple(p.strategy.values()) for p in result.profiles}
    assert len(strategies) == 50  # all distinct


# ------------------------------------------------------------------ random games

N_RANDOM = 300


def test_random_games_same_spe_as_gambit() -> None:
    """300 random games, 2-5 players, chance nodes, 10-80 leaves: trapsim == pygambit walk."""
    sizes, players, ties = [], set(), 0
    for seed in range(N_RANDOM):
        text, n_players = random_game(seed)
        sc = loads_efg(text, path=f"random{seed}.efg")
        game = read_with_gambit(text)
        assert len(game.players) == len(sc.actors) == n_players
        eq = assert_same_spe(sc, game)
        sizes.append(len(sc.outcomes))
        players.add(n_players)
        ties += bool(eq.ties)
    assert min(sizes) >= 10 and max(sizes) <= 80 and max(sizes) >= 60
    assert players == {2, 3, 4, 5}
    assert ties > 30  # the tie-break (first listed action) is exercised


def test_random_small_games_all_spe_equal_filtered_agent_equilibria() -> None:
    checked = 0
    for seed in range(1000, 1060):
        text, _ = random_game(seed, min_leaves=4, max_leaves=10)
        game = read_with_gambit(text)
        if math.prod(len(n.children) for n in decision_nodes(game)) > 3000:
            continue
        sc = loads_efg(text, path=f"small{seed}.efg")
        result = all_spe(sc, limit=10_000)
        mine = {tuple(trapsim_choices(sc, p.strategy)) for p in result.profiles}
        assert mine == subgame_perfect_profiles(game), seed
        checked += 1
    assert checked >= 40


# ------------------------------------------------------------------ round trips


def _toml_scenarios() -> list[Path]:
    return [DATA / "simple.toml", *sorted(SCENARIOS.glob("*.toml"))]


@pytest.mark.parametrize("path", _toml_scenarios(), ids=lambda p: p.name)
def test_toml_to_efg_pygambit_agrees_with_trapsim(path: Path) -> None:
    """TOML -> .efg (trapsim's writer) -> pygambit walk == trapsim on the TOML, at central values
    and at another parameter vector."""
    sc = scenario_mod.load(path)
    points: list[dict[str, float]] = [{}]
    movable = [p for p in sc.parameters if p.dist.kind == "uniform"]
    if movable:
        p = movable[0]
        points.append({p.name: 0.8 * p.dist.args["low"] + 0.2 * p.dist.args["high"]})
    for values in points:
        eq = solve(sc, values=values)
        game = read_with_gambit(write_efg(sc, values=values))
        ref_pay, ref_choice = gambit_spe(game, tol=Fraction(1, 10**9))
        assert [eq.payoffs[a] for a in sc.actor_ids] == pytest.approx([float(v) for v in ref_pay], rel=1e-9, abs=1e-9)
        assert trapsim_choices(sc, eq.strategy) == ref_choice


def test_random_efg_roundtrips() -> None:
    """.efg -> trapsim -> .efg (trapsim's writer) -> pygambit, and .efg -> TOML -> trapsim,
    both agree with pygambit on the original file."""
    for seed in range(2000, 2040):
        text, _ = random_game(seed)
        original = read_with_gambit(text)
        ref_pay, ref_choice = gambit_spe(original)
        sc = loads_efg(text, path=f"rt{seed}.efg")
        again = read_with_gambit(write_efg(sc))
        pay2, choice2 = gambit_spe(again, tol=Fraction(1, 10**9))
        assert [float(v) for v in pay2] == pytest.approx([float(v) for v in ref_pay], abs=1e-9)
        assert choice2 == ref_choice
        from_toml = scenario_mod.loads(efg_text_to_toml(text, path=f"rt{seed}.efg"), path="rt.toml")
        assert_same_spe(from_toml, original)


@pytest.mark.parametrize("path", PERFECT_INFO, ids=lambda p: p.name)
def test_gambit_games_via_toml_agree_with_gambit(path: Path) -> None:
    sc = scenario_mod.loads(efg_to_toml(path), path="x.toml")
    game = read_with_gambit(path.read_text(), blank_labels=path.name in DUPLICATE_LABELS)
    assert_same_spe(sc, game)


# ------------------------------------------------------------------ quantal response


@pytest.mark.parametrize("lam", [0.25, 1.0, 4.0])
def test_agent_qre_equals_direct_computation(lam: float) -> None:
    for seed in range(3000, 3040):
        text, _ = random_game(seed, min_leaves=5, max_leaves=25)
        sc = loads_efg(text, path="q.efg")
        eq = solve(sc, solver="qre", rationality=lam)
        mine = [list(eq.action_probabilities[n].values()) for n in eq.strategy]
        ref = gambit_qre(read_with_gambit(text), lam)
        assert len(mine) == len(ref)
        for a, b in zip(mine, ref, strict=True):
            assert a == pytest.approx(b, rel=1e-10, abs=1e-12)


def test_agent_qre_equals_gambit_logit_where_definitions_coincide() -> None:
    """With one decision, at the root, Gambit's (strategic) logit QRE is the agent QRE.

    Deeper decisions are reached with probability < 1, and Gambit's strategic
    logit weighs their payoffs by that probability; pygambit 16.7's agent
    (behaviour) QRE results cannot be read (see docs/gambit.md).
    """
    for seed in range(4000, 4006):
        text, _ = random_game(seed, min_leaves=4, max_leaves=12, root_only=True)
        game = read_with_gambit(text)
        sc = loads_efg(text, path="q.efg")
        mover = next(p for p in game.players if p == game.root.player)
        for res in gbt.qre.logit_solve_lambda(game, lam=[0.5, 2.0], use_strategic=True):
            eq = solve(sc, solver="qre", rationality=res.lam)
            mine = list(eq.action_probabilities[sc.root].values())
            ref = [float(res.profile[s]) for s in mover.strategies]
            assert mine == pytest.approx(ref, abs=1e-7), seed


# ------------------------------------------------------------------ counterfactual worlds


def test_random_games_forced_worlds_equal_gambit_games_with_actions_removed() -> None:
    """A world that forces decisions equals the game with the other actions deleted in pygambit.

    On random games, one to three decision nodes are forced to a random action;
    trapsim solves the world ([worlds.w], via the model), the reference deletes
    the other actions from pygambit's own tree (``Game.delete_action``) and
    solves that game with its backward induction.
    """
    import dataclasses

    from trapsim.model import World

    checked = changed = 0
    for seed in range(120):
        text, _ = random_game(seed, min_leaves=10, max_leaves=50)
        sc = loads_efg(text, path=f"random{seed}.efg")
        rng = random.Random(seed)
        ids = [nid for nid, _, _ in sc.preorder() if isinstance(sc.nodes.get(nid), DecisionNode)]
        game = read_with_gambit(text)
        nodes = decision_nodes(game)
        assert len(nodes) == len(ids)
        picks = rng.sample(range(len(ids)), min(len(ids), rng.randint(1, 3)))
        force = []
        for i in sorted(picks, reverse=True):  # deepest first: a removed subtree may hold a later pick
            node = sc.nodes[ids[i]]
            k = rng.randrange(len(node.actions))
            force.append((ids[i], node.actions[k]))
            for j, action in enumerate(list(nodes[i].infoset.actions)):
                if j != k:
                    game.delete_action(action)
        sc = dataclasses.replace(sc, worlds=(World("w", force=tuple(force)),))
        eq = solve(sc, world="w")
        ref_pay, ref_choice = gambit_spe(game)
        assert [eq.payoffs[a] for a in sc.actor_ids] == pytest.approx([float(v) for v in ref_pay], abs=1e-9)
        forced = sc.forced("w")
        assert trapsim_choices(forced, eq.strategy) == ref_choice
        checked += 1
        changed += eq.payoffs != solve(sc).payoffs
    assert checked == 120 and changed > 20  # forcing does change the solution in many games
