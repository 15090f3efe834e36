"""Tell a solved game as a short story in plain English (``trapsim explain``).

The game is solved once, as ``trapsim solve`` does (central values, or the
values given). The story has three parts:

1. **What happens**: node by node along the equilibrium path, each decision
   with the numbers that decide it (what every action is worth to the actor
   who chooses), each chance move with its probabilities, each ending with
   the payoffs.
2. **Why**: the choices off the path that support it ("had Ukraine chosen
   push, ..."), every remaining decision node told once, with its numbers.
3. **Traps**: which traps hold on the most likely realised path (the single
   complete path with the highest probability), and on the most likely path
   after each deviation from the equilibrium.

Everything here is computed from :class:`~trapsim.equilibrium.Equilibrium`;
trap conditions are evaluated with the runner's own
:meth:`~trapsim.runner.CompiledScenario.traps_on_path`, one path per column.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trapsim.chains import Chain, commitment_chains
from trapsim.equilibrium import Equilibrium, game_at, solve
from trapsim.errors import TrapsimError, suggest
from trapsim.explain.terms import Alternative, Decomposer, Margin
from trapsim.expressions import split_path_ref
from trapsim.model import DecisionNode, Scenario
from trapsim.runner import CompiledScenario
from trapsim.runner.traps import PlayedPaths, evaluate_traps
from trapsim.solver import Tree

__all__ = ["Choice", "Explanation", "Line", "PathTraps", "TrapReport", "explain", "traps_at_leaves"]


@dataclass(frozen=True, slots=True)
class Choice:
    """One decision and the numbers behind it.

    Attributes
    ----------
    node, actor, actor_name
        The decision node, its owner's id and display name.
    chosen
        The action taken (for ``qre``: the most likely one).
    worth
        ``{action: expected payoff to the owner}``, in listing order.
    probability
        The probability of ``chosen`` (1 under ``spe``).
    on_path
        Whether the node lies on the equilibrium path.
    tie
        Two or more actions tie at the top (the first listed wins).
    alternatives
        Every action's value split into terms that add up to it (chosen first).
    margin
        The chosen action's lead over the best other one.
    """

    node: str
    actor: str
    actor_name: str
    chosen: str
    worth: dict[str, float]
    probability: float
    on_path: bool
    tie: bool = False
    alternatives: tuple[Alternative, ...] = ()
    margin: Margin | None = None


@dataclass(frozen=True, slots=True)
class PathTraps:
    """One complete path, its probability and the traps that hold on it."""

    steps: tuple[tuple[str, str], ...]  # (node, action) from the root
    outcome: str
    probability: float  # conditional on the start of the report
    traps: dict[str, bool]


@dataclass(frozen=True, slots=True)
class TrapReport:
    """Traps below one start: the whole game (``after is None``) or one deviation.

    ``likely`` is the most likely complete path (first in pre-order on a tie);
    ``elsewhere`` gives, for each trap that does not hold on it, the most
    likely path on which it does hold (traps that hold on no path with
    positive probability are absent).
    """

    after: tuple[str, str] | None
    likely: PathTraps
    elsewhere: dict[str, PathTraps]


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the story: indentation depth and text."""

    depth: int
    text: str


@dataclass
class Explanation:
    """A solved game told in words; see :func:`explain`.

    ``lines`` is the story; ``choices``, ``traps`` (the whole game) and
    ``deviations`` (one report per action not taken at an equilibrium-path
    decision) hold the same facts as data, for the JSON output and the report.
    """

    equilibrium: Equilibrium
    lines: list[Line]
    choices: list[Choice]
    traps: TrapReport | None  # None when a counterfactual world's game is told
    deviations: list[TrapReport] = field(default_factory=list)
    firing: dict[str, list[PathTraps]] = field(default_factory=dict)
    at: str | None = None
    chains: dict[str, Chain | None] = field(default_factory=dict)

    def text(self, width: int | None = 100, indent: str = "  ") -> str:
        """The story as plain text, wrapped at ``width`` (``None``: one line per :class:`Line`)."""
        out = []
        for ln in self.lines:
            lead = indent * ln.depth
            if width is None or not ln.text:
                out.append(lead + ln.text)
            else:
                out.append(
                    textwrap.fill(
                        ln.text,
                        width,
                        initial_indent=lead,
                        subsequent_indent=lead + indent + "  ",
                        break_on_hyphens=False,
                    )
                )
        return "\n".join(out) + "\n"

    def to_dict(self) -> dict[str, Any]:
        def path(pt: PathTraps) -> dict[str, Any]:
            return {
                "path": [list(s) for s in pt.steps],
                "outcome": pt.outcome,
                "probability": pt.probability,
                "traps": pt.traps,
            }

        def report(rep: TrapReport) -> dict[str, Any]:
            return {
                "after": list(rep.after) if rep.after else None,
                "most_likely": path(rep.likely),
                "elsewhere": {t: path(pt) for t, pt in rep.elsewhere.items()},
            }

        eq = self.equilibrium
        names = {a.id: a.name for a in eq.scenario.actors}
        return {
            "scenario": eq.scenario.name,
            "solver": eq.solver,
            "values": eq.values,
            "payoffs": eq.payoffs,
            "at": self.at,
            "choices": [
                {
                    "node": c.node,
                    "actor": c.actor,
                    "actor_name": c.actor_name,
                    "chosen": c.chosen,
                    "worth": c.worth,
                    "probability": c.probability,
                    "on_path": c.on_path,
                    "tie": c.tie,
                    "alternatives": [a.to_dict() for a in c.alternatives],
                    "margin": c.margin.to_dict() if c.margin else None,
                }
                for c in self.choices
            ],
            "world": eq.world,
            "traps": report(self.traps) if self.traps is not None else None,
            "firing": {
                t: {"probability": sum(pt.probability for pt in paths), "paths": [path(pt) for pt in paths]}
                for t, paths in self.firing.items()
            },
            "deviations": [report(d) for d in self.deviations],
            "chains": {
                a: None if c is None else {"actors": list(c.actors), "steps": c.steps, "text": c.describe(names)}
                for a, c in self.chains.items()
            },
            "text": self.text(width=None),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


# ----------------------------------------------------------------- numbers


def _numbers(values: list[float]) -> list[str]:
    """Format payoffs with as few decimals (3 to 6) as keep distinct values distinct."""
    distinct = len({round(v, 12) for v in values})
    for digits in range(3, 7):
        shown = [f"{v:.{digits}f}" for v in values]
        shown = [t.lstrip("-") if float(t) == 0 else t for t in shown]
        if len(set(shown)) == distinct:
            break
    return shown


def _pct(p: float) -> str:
    if p == 0 or p >= 0.001:
        return f"{p:.1%}"
    return f"{p:.2g}"


def _or(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ------------------------------------------------------------------- story


class _Teller:
    """Builds the lines of an :class:`Explanation`."""

    def __init__(
        self,
        eq: Equilibrium,
        model: CompiledScenario,
        values: Mapping[str, float] | None = None,
        tree: Tree | None = None,
    ) -> None:
        self.eq = eq
        self.sc: Scenario = eq.scenario
        self.model = model
        self.tree: Tree = tree or model.tree  # a counterfactual world's tree with --world
        self.values = values
        self.terms = Decomposer(eq, model)
        self.names = {a.id: a.name for a in self.sc.actors}
        self.lines: list[Line] = []
        self.choices: dict[str, Choice] = {}
        self.deviations: list[tuple[int, int]] = []  # (decision position, action index)
        self.told: set[int] = set()

    # -- probabilities inside the solved tree --------------------------

    def prob(self, pos: int, k: int) -> float:
        p = self.tree.positions[pos]
        return self.eq.action_probabilities[p.name][p.actions[k]]

    def reach_below(self, start: int) -> dict[int, float]:
        """Probability of every position below ``start``, given ``start`` is reached."""
        reach = {start: 1.0}
        stack = [start]
        while stack:
            i = stack.pop()
            for k, c in enumerate(self.tree.positions[i].children):
                reach[c] = reach[i] * self.prob(i, k)
                stack.append(c)
        return reach

    def likely_leaf(self, start: int) -> tuple[int, float]:
        """The most probable leaf below ``start`` (first in pre-order on a tie)."""
        reach = self.reach_below(start)
        leaves = sorted(i for i in reach if self.tree.positions[i].kind == "leaf")
        best = max(leaves, key=lambda i: (reach[i], -i))
        return best, reach[best]

    def chosen(self, pos: int) -> int:
        p = self.tree.positions[pos]
        return p.actions.index(self.eq.strategy[p.name])

    # -- telling -------------------------------------------------------

    def say(self, depth: int, text: str) -> None:
        self.lines.append(Line(depth, text))

    def outcome_text(self, leaf: int) -> str:
        oid = self.tree.positions[leaf].id
        values = self.eq.node_values
        # a leaf's payoffs: the value of the action leading to it in its parent
        parent = self.tree.positions[leaf].parent
        pid = self.tree.positions[parent].name
        action = self.tree.positions[parent].actions[self.tree.positions[leaf].action_in_parent]
        pay = values[pid][action]
        shown = _numbers([pay[a] for a in self.tree.actors])
        parts = [f"{self.names[a]} {s}" for a, s in zip(self.tree.actors, shown, strict=True)]
        return f"the game ends at {self.sc.label_of('outcome', oid)} ({', '.join(parts)})"

    def node(self, pos: int) -> str:
        """A node's label (its id where the file gives none)."""
        return self.sc.label_of("node", self.tree.positions[pos].name)

    def action(self, pos: int, k: int) -> str:
        p = self.tree.positions[pos]
        return self.sc.action_label(p.id, p.actions[k])

    def ending(self, leaf: int) -> str:
        return self.sc.label_of("outcome", self.tree.positions[leaf].id)

    def decision(self, pos: int, depth: int, on_path: bool) -> None:
        p = self.tree.positions[pos]
        node = self.sc.nodes[p.id]
        assert isinstance(node, DecisionNode)
        actor = node.actor
        seen = self.eq.perceived.get(actor)
        view = seen or self.eq
        worth = {a: view.node_values[p.name][a][actor] for a in p.actions}
        k = self.chosen(pos)
        act = p.actions[k]
        shown = dict(zip(p.actions, _numbers(list(worth.values())), strict=True))
        others = []
        for j, a in enumerate(p.actions):
            if j == k:
                continue
            leaf, pr = self.likely_leaf(p.children[j])
            ending = self.ending(leaf)
            where = f"which ends at {ending}" if pr >= 1 - 1e-12 else f"which most likely ends at {ending}, {_pct(pr)}"
            others.append(f"{shown[a]} for {self.action(pos, j)} ({where})")
        name = self.names[actor]
        prob = self.prob(pos, k)
        chance = "" if self.eq.solver == "spe" else f" (with probability {prob:.2f})"
        tie = p.name in self.eq.ties
        lens = " as it sees the game" if seen else ""
        text = (
            f"{name} chooses {self.action(pos, k)} at {self.node(pos)}{lens}{chance}: {shown[act]} "
            f"against {_and(others)}."
        )
        if not others:  # a node a world forces: one action left
            text = f"{name} is forced to {self.action(pos, k)} at {self.node(pos)} in this world ({shown[act]})."
        if seen:
            true = [self.eq.node_values[p.name][a][actor] for a in p.actions]
            shown_true = dict(zip(p.actions, _numbers(true), strict=True))
            rest = [f"{shown_true[a]} for {self.action(pos, j)}" for j, a in enumerate(p.actions) if a != act]
            text += f" In truth: {shown_true[act]} against {_and(rest)}."
        if tie:
            text += " A tie: the first listed action is taken."
        self.say(depth, text)
        order = [k, *(j for j in range(len(p.actions)) if j != k)]
        alts = tuple(self.terms.alternative(pos, j, actor, view) for j in order)
        if any(len(a.terms) > 1 or any(t.probability < 1 - 1e-12 for t in a.terms) for a in alts):
            for alt in alts:
                self.say(depth + 1, alt.show())
        margin = self.terms.margin(pos, actor, view, k, self.values, self.eq.solver, self.eq.rationality)
        if margin is not None and margin.narrow and not tie:
            self.say(depth + 1, self._narrow(margin, name, pos))
        self.choices[p.name] = Choice(p.name, actor, name, act, worth, prob, on_path, tie, alts, margin)
        for j in range(len(p.actions)):
            if j != k:
                self.deviations.append((pos, j))

    def _narrow(self, m: Margin, name: str, pos: int) -> str:
        p = self.tree.positions[pos]
        chosen = self.action(pos, p.actions.index(m.chosen))
        other = self.action(pos, p.actions.index(m.runner_up))
        text = (
            f"Narrow: {name} prefers {chosen} to {other} by {m.margin:.3g}, {m.share:.1%} of the "
            f"range of {name}'s payoffs ({m.payoff_range:.3g})"
        )
        if m.flips:
            flips = [f"`{par}` at {v:.3g}" for par, v in m.flips[:3]]
            more = f" (and {len(m.flips) - 3} more)" if len(m.flips) > 3 else ""
            text += f"; {_or(flips)}{more} flips it (others at their central values)"
        return text + "."

    def walk(self, pos: int, depth: int, on_path: bool) -> None:
        """Tell the subtree below ``pos`` along the solved strategy."""
        p = self.tree.positions[pos]
        if p.kind == "leaf":
            text = self.outcome_text(pos)
            self.say(depth, text[0].upper() + text[1:] + ".")
            return
        self.told.add(pos)
        if p.kind == "decision":
            self.decision(pos, depth, on_path)
            self.walk(p.children[self.chosen(pos)], depth, on_path)
            return
        branches = [(k, self.prob(pos, k)) for k in range(len(p.actions))]
        shown = _and([f"{self.action(pos, k)} {_pct(pr)}" for k, pr in branches])
        self.say(depth, f"Chance at {self.node(pos)}: {shown}.")
        live = [(k, pr) for k, pr in branches if pr > 0]
        for k, pr in sorted(live, key=lambda kp: -kp[1]):
            c = p.children[k]
            if len(live) == 1:
                self.walk(c, depth, on_path)
                continue
            if self.tree.positions[c].kind == "leaf":
                self.say(depth + 1, f"{self.action(pos, k)} ({_pct(pr)}): {self.outcome_text(c)}.")
            else:
                self.say(depth + 1, f"If {self.action(pos, k)} ({_pct(pr)}):")
                self.walk(c, depth + 2, on_path)


def traps_at_leaves(
    eq: Equilibrium, leaves: Sequence[int] | None = None, *, model: CompiledScenario | None = None
) -> dict[str, np.ndarray]:
    """Whether each trap holds on the path to each leaf at the equilibrium's values.

    ``leaves`` are tree positions (default: every leaf, in pre-order); returns
    ``{trap: bool array (len(leaves),)}``. The cost grows with inner nodes
    times leaves asked about: ask about the leaves you need.
    """
    model = model or CompiledScenario(eq.scenario)
    tree = model.tree
    leaf = np.asarray(tree.leaves if leaves is None else leaves, dtype=np.int64)
    n = len(leaf)
    row_of = {pos: r for r, pos in enumerate(tree.inner)}
    actions = np.full((len(tree.inner), n), -1, dtype=np.int64)
    for j, i in enumerate(leaf):
        for pos, k in tree.path_to(int(i)):
            actions[row_of[pos], j] = k
    env: dict[str, Any] = {k: np.array([v]) for k, v in eq.values.items()}
    model.derive(env)
    payoffs, _ = model.evaluate(env, 1)
    expected = None
    if any(ref[0] in ("expected", "surprise") for ref in model.path_refs):
        expected = {a: np.array([eq.expected[a]]) for a in tree.actors}
    played: dict[str | None, PlayedPaths] = {
        None: PlayedPaths(tree, leaf, actions, np.repeat(payoffs, n, axis=2), expected)
    }
    played.update(_world_paths(eq, model, actions, n))
    return evaluate_traps(model, env, played).fired


def _trap_reports(
    teller: _Teller, starts: list[tuple[int, int] | None], root: int = 0
) -> tuple[list[TrapReport], dict[str, list[PathTraps]]]:
    """Trap conditions on every path below each start (``root``, or a deviation).

    Also returns, for each trap, every path below ``root`` on which it fires,
    most likely first.

    Every path with positive probability below every start is evaluated at
    once: column ``j`` of the arrays handed to
    :meth:`CompiledScenario.traps_on_path` is one complete path.
    """
    tree, model, eq = teller.tree, teller.model, teller.eq
    columns: list[tuple[int, int, float]] = []  # (start index, leaf, conditional probability)
    for s, start in enumerate(starts):
        pos = root if start is None else tree.positions[start[0]].children[start[1]]
        reach = teller.reach_below(pos)
        for i in sorted(reach):
            if tree.positions[i].kind == "leaf" and reach[i] > 0:
                columns.append((s, i, reach[i]))
    fired = traps_at_leaves(eq, [leaf for _, leaf, _ in columns], model=model)
    paths = [
        tuple((tree.positions[pos].name, tree.positions[pos].actions[k]) for pos, k in tree.path_to(leaf))
        for _, leaf, _ in columns
    ]

    def record(j: int) -> PathTraps:
        return PathTraps(
            paths[j], tree.positions[columns[j][1]].id, columns[j][2], {t: bool(v[j]) for t, v in fired.items()}
        )

    reports = []
    for s, start in enumerate(starts):
        cols = [j for j, c in enumerate(columns) if c[0] == s]
        # most likely first; equal probabilities keep pre-order
        cols.sort(key=lambda j: -columns[j][2])

        likely = record(cols[0])
        elsewhere = {}
        for t in teller.sc.traps:
            if likely.traps[t.id]:
                continue
            hit = next((j for j in cols if fired[t.id][j]), None)
            if hit is not None:
                elsewhere[t.id] = record(hit)
        after = None
        if start is not None:
            p = tree.positions[start[0]]
            after = (p.name, p.actions[start[1]])
        reports.append(TrapReport(after, likely, elsewhere))
    main = sorted((j for j, c in enumerate(columns) if c[0] == 0), key=lambda j: -columns[j][2])
    firing = {t.id: [record(j) for j in main if fired[t.id][j]] for t in teller.sc.traps}
    return reports, {t: paths for t, paths in firing.items() if paths}


def _route(sc: Scenario, pt: PathTraps) -> str:
    steps = [f"{sc.label_of('node', n)}: {sc.action_label(n, a)}" for n, a in pt.steps]
    return " \u2192 ".join([*steps, sc.label_of("outcome", pt.outcome)])


def _world_paths(
    eq: Equilibrium, model: CompiledScenario, actions: np.ndarray, n: int
) -> dict[str | None, PlayedPaths]:
    """Each used world's path beside every real path (column) of :func:`traps_at_leaves`.

    The world's path follows the world's own solution (its most likely action
    under ``qre``); at a chance node it takes the branch the real path took
    at the same node, when the real path passes there (the same dice), and
    the most likely branch otherwise.
    """
    rows = model.lookups(model.tree)[0]
    out: dict[str | None, PlayedPaths] = {}
    for wid, game in model.worlds.items():
        weq = solve(eq.scenario, values=eq.values, solver=eq.solver, rationality=eq.rationality, world=wid)
        tree = game.tree
        wrows = model.lookups(tree)[0]
        taken = np.full((len(tree.inner), n), -1, dtype=np.int64)
        leaves = np.zeros(n, dtype=np.int64)
        for j in range(n):
            w = 0
            while tree.positions[w].kind != "leaf":
                pos = tree.positions[w]
                probs = weq.action_probabilities[pos.name]
                k = max(range(len(pos.actions)), key=lambda a: probs[pos.actions[a]])
                if pos.kind == "chance":  # the same dice: the branch the real path took at this node, if any
                    for c in model.tree.copies[pos.id]:
                        if actions[rows[c], j] >= 0:
                            k = pos.actions.index(model.tree.positions[c].actions[actions[rows[c], j]])
                taken[wrows[w], j] = k
                w = pos.children[k]
            leaves[j] = w
        payoffs = game_at(eq.scenario, eq.values, world=wid).payoffs
        expected = {a: np.array([weq.expected[a]]) for a in tree.actors}
        out[wid] = PlayedPaths(tree, leaves, taken, np.repeat(payoffs, n, axis=2), expected)
    return out


def _tell_worlds(teller: _Teller) -> None:
    """For each trap that names a world, what its comparison means, in words."""
    sc = teller.sc
    uses = [
        (t, sorted({w for e in t.conditions for r in e.path_refs if (w := split_path_ref(r)[2])})) for t in sc.traps
    ]
    uses = [(t, ws) for t, ws in uses if ws]
    if not uses:
        return
    teller.say(0, "")
    teller.say(0, "Traps that compare with a counterfactual world (the same draw, the same dice)")
    teller.say(
        1,
        "Above, a world's path follows the world's own solution, and at a chance node the "
        "real path also passes it takes the real path's branch.",
    )
    for t, ws in uses:
        worlds = "; ".join(
            f"'{w}' ({sc.world(w).title + ': ' if sc.world(w).title != w else ''}{sc.world(w).describe()})" for w in ws
        )
        desc = f" {t.description}" if t.description else ""
        teller.say(
            1,
            f"{t.id} ({t.title}) compares each draw with the world {worlds}. Among "
            f"{t.denominator()}, it counts the draws where {t.when.source}.{desc}",
        )


def _tell_traps(teller: _Teller, rep: TrapReport, depth: int) -> None:
    sc = teller.sc
    fired = [t for t in sc.traps if rep.likely.traps[t.id]]
    if fired:
        for t in fired:
            desc = f": {t.description}" if t.description else "."
            teller.say(depth, f"{t.title} fires{desc}")
    else:
        teller.say(depth, "No trap fires on it.")
    for tid, pt in rep.elsewhere.items():
        teller.say(
            depth, f"{sc.label_of('trap', tid)} fires on a less likely path ({_pct(pt.probability)}): {_route(sc, pt)}."
        )


#: At most this many paths are listed per trap (the rest are counted).
PATHS_SHOWN = 8


def _tell_firing(teller: _Teller, firing: Mapping[str, list[PathTraps]]) -> None:
    sc = teller.sc
    teller.say(0, "")
    teller.say(0, "Every path on which each trap fires (probability at these values)")
    for t in sc.traps:
        paths = firing.get(t.id, [])
        if not paths:
            teller.say(1, f"{t.title}: on no path with a positive probability.")
            continue
        total = sum(pt.probability for pt in paths)
        n = len(paths)
        teller.say(1, f"{t.title}: {_pct(total)} in all, on {n} path{'s' * (n != 1)}:")
        for pt in paths[:PATHS_SHOWN]:
            teller.say(2, f"{_pct(pt.probability)}: {_route(sc, pt)}")
        if n > PATHS_SHOWN:
            rest = sum(pt.probability for pt in paths[PATHS_SHOWN:])
            teller.say(2, f"and {n - PATHS_SHOWN} more paths ({_pct(rest)} together).")


def explain(
    scenario: Scenario,
    *,
    values: Mapping[str, float] | None = None,
    solver: str = "spe",
    rationality: float = 10.0,
    at: str | None = None,
    world: str | None = None,
) -> Explanation:
    """Solve the game once and tell it as a story.

    Parameters
    ----------
    values
        Parameters fixed at these values; the others at their central values.
    solver, rationality
        As for :func:`trapsim.equilibrium.solve`. Under ``qre`` the story
        follows the most likely action at each decision.
    at
        Tell the game from this node on, as if it were reached (e.g. after a
        Ukrainian gain); probabilities are then conditional on reaching it.
    world
        Tell the game of this counterfactual world instead (its traps are not
        told: traps are counted in the real game).
    """
    eq = solve(scenario, values=values, solver=solver, rationality=rationality, world=world)
    model = CompiledScenario(scenario)
    game = model.game if world is None else model.world_game(world)
    teller = _Teller(eq, model, values, game.tree)
    root = 0
    if at is not None:
        if at not in teller.tree.node_index:
            hint = suggest(at, teller.tree.node_index)
            raise TrapsimError(f"explain --at: unknown node {at!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
        root = teller.tree.node_index[at]
    fixed = "".join(f", {k} = {v:g}" for k, v in (values or {}).items())
    teller.say(0, scenario.title)
    where = "the central values" + (f" (except{fixed[1:]})" if fixed else "")
    teller.say(
        1,
        f"Solved once at {where}; solver {solver}"
        + (f", rationality {rationality:g}" if solver == "qre" else "")
        + ".",
    )
    if world is not None:
        w = scenario.world(world)
        teller.say(
            1,
            f"This is the counterfactual world '{world}'"
            + (f" ({w.title})" if w.title != world else "")
            + f": {w.describe()}."
            + (
                " Forced choices are the only action left at their node, and earlier movers anticipate them."
                if w.force
                else ""
            ),
        )
    if scenario.description:
        teller.say(1, " ".join(scenario.description.split()))
    for actor, seen in eq.perceived.items():
        diff = [f"{k} = {v:.3g} (true {eq.values[k]:.3g})" for k, v in seen.values.items() if v != eq.values[k]]
        teller.say(
            1,
            f"{teller.names[actor]} sees the game through its beliefs: "
            f"{', '.join(diff) or 'no difference at these values'}. It plays the game as it "
            f"sees it at its own nodes and expects {_numbers([eq.expected[actor]])[0]} "
            "at the start; everyone else plays the game with the true values.",
        )
    teller.say(0, "")
    if at is None:
        teller.say(0, "What happens (the equilibrium path)")
    else:
        teller.say(0, f"What happens from {teller.node(root)} on, as if it were reached")
    teller.walk(root, 1, on_path=True)
    expected = _subgame_payoffs(teller, root)
    shown = _numbers(list(expected.values()))
    teller.say(
        1,
        "Expected payoffs"
        + ("" if at is None else f" from {teller.node(root)} on")
        + ": "
        + ", ".join(f"{teller.names[a]} {s}" for a, s in zip(expected, shown, strict=True))
        + ".",
    )

    supporting = list(teller.deviations)  # actions not taken on the equilibrium path
    if any(teller.tree.positions[teller.tree.positions[p].children[k]].kind != "leaf" for p, k in teller.deviations):
        teller.say(0, "")
        teller.say(0, "Why: what the actors expect off the path")
    while teller.deviations:
        pos, k = teller.deviations.pop(0)
        p = teller.tree.positions[pos]
        child = p.children[k]
        if child in teller.told or teller.tree.positions[child].kind == "leaf":
            continue  # a single ending is already named in the decision's line
        actor = teller.sc.nodes[p.id].actor  # type: ignore[union-attr]
        teller.say(1, f"Had {teller.names[actor]} chosen {teller.action(pos, k)} at {teller.node(pos)}:")
        teller.walk(child, 2, on_path=False)

    if world is not None:
        order = {pos.name: i for i, pos in enumerate(teller.tree.positions)}
        choices = sorted(teller.choices.values(), key=lambda c: order[c.node])
        teller.say(0, "")
        teller.say(
            0,
            f"Traps are counted in the real game (trapsim explain without --world); this world is "
            f"what the traps naming '{world}' compare each draw with.",
        )
        return Explanation(eq, teller.lines, choices, None, [], {}, at)
    reports, firing = _trap_reports(teller, [None, *supporting], root)
    main = reports[0]
    teller.say(0, "")
    teller.say(0, f"Traps on the most likely path ({_pct(main.likely.probability)}): {_route(teller.sc, main.likely)}")
    _tell_traps(teller, main, 1)
    for rep in reports[1:]:
        if not any(rep.likely.traps.values()) and not rep.elsewhere:
            continue
        assert rep.after is not None
        node, action = rep.after
        teller.say(
            1,
            f"Had {scenario.action_label(node, action)} been chosen at {scenario.label_of('node', node)}, "
            f"the most likely path ({_pct(rep.likely.probability)}) would be {_route(scenario, rep.likely)}:",
        )
        _tell_traps(teller, rep, 2)
    _tell_firing(teller, firing)
    chains = commitment_chains(scenario) if scenario.relations else {}
    if any(c is not None and c.steps > 0 for c in chains.values()):
        teller.say(0, "")
        teller.say(0, "Chains of commitment (from the actor graph)")
        for c in chains.values():
            if c is not None and c.steps > 0:
                teller.say(1, c.describe({a.id: a.name for a in scenario.actors}))
    _tell_worlds(teller)
    order = {pos.name: i for i, pos in enumerate(teller.tree.positions)}
    choices = sorted(teller.choices.values(), key=lambda c: order[c.node])
    return Explanation(eq, teller.lines, choices, main, reports[1:], firing, at, chains)


def _subgame_payoffs(teller: _Teller, root: int) -> dict[str, float]:
    """Each actor's expected payoff from ``root`` on, under the solved strategy."""
    if root == 0:
        return dict(teller.eq.payoffs)
    p = teller.tree.positions[root]
    vals = teller.eq.node_values[p.name]
    return {a: sum(teller.prob(root, k) * vals[act][a] for k, act in enumerate(p.actions)) for a in teller.tree.actors}
