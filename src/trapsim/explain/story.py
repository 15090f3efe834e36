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

from collections.abc import Mapping

from trapsim.equilibrium import Equilibrium, solve
from trapsim.errors import TrapsimError, suggest
from trapsim.explain.facts import Choice, Explanation, Line, PathTraps, TrapReport
from trapsim.explain.terms import Decomposer, Margin
from trapsim.explain.traps import (
    _tell_chains,
    _tell_firing,
    _tell_trap_reports,
    _tell_worlds,
    _trap_reports,
    traps_at_leaves,
)
from trapsim.explain.words import _and, _numbers, _or, _pct
from trapsim.model import DecisionNode, Scenario
from trapsim.runner import CompiledScenario
from trapsim.solver import Tree

__all__ = ["Choice", "Explanation", "Line", "PathTraps", "TrapReport", "explain", "traps_at_leaves"]

# ------------------------------------------------------------------- story


#: Without ``full``, an off-path part that would be told deeper than this is said in one line.
BRIEF_DEPTH = 4


class _Teller:
    """Builds the lines of an :class:`Explanation`."""

    def __init__(
        self,
        eq: Equilibrium,
        model: CompiledScenario,
        values: Mapping[str, float] | None = None,
        tree: Tree | None = None,
        full: bool = True,
    ) -> None:
        self.full = full  # False: off the path, deeper parts in one line each (see BRIEF_DEPTH)
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
        """A node's label (its id where the file gives none), without a copy's ``[history]``.

        The story tells which copy it is in by where it stands ("Had Ukraine
        chosen ...: If Gains ground ..."); ``--json`` keeps the copy names.
        """
        return self.sc.label_of("node", self.tree.positions[pos].id)

    def action(self, pos: int, k: int) -> str:
        p = self.tree.positions[pos]
        return self.sc.action_label(p.id, p.actions[k])

    def ending(self, leaf: int) -> str:
        return self.sc.label_of("outcome", self.tree.positions[leaf].id)

    def _summary(self, start: int) -> str:
        """A part of the tree in one line: the decisions taken in it and the ending it most likely leads to."""
        reach = self.reach_below(start)
        tree = self.tree.positions
        names = dict.fromkeys(self.node(i) for i in sorted(reach) if reach[i] > 0 and tree[i].kind == "decision")
        leaf, pr = self.likely_leaf(start)
        ends = "ends" if pr >= 1 - 1e-12 else f"most likely ({_pct(pr)}) ends"
        then = f"then {_and(list(names))}; " if names else ""
        return f"{then}the game {ends} at {self.ending(leaf)}."

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
        if unit := self.sc.payoff_unit_of(actor):
            text += f" (Payoffs in {unit}.)"
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
        unit = self.sc.payoff_unit_of(self.tree.actors[p.owner])
        text = (
            f"Narrow: {name} prefers {chosen} to {other} by {m.margin:.3g}{f' {unit}' if unit else ''}, "
            f"{m.share:.1%} of the range of {name}'s payoffs ({m.payoff_range:.3g})"
        )
        if m.flips:
            flips = [f"`{par}` at {v:.3g}" for par, v in m.flips[:3]]
            more = f" (and {len(m.flips) - 3} more)" if len(m.flips) > 3 else ""
            text += f"; {_or(flips)}{more} flips it (others at their central values)"
        return text + "."

    def walk(self, pos: int, depth: int, on_path: bool) -> None:
        """Tell the subtree below ``pos`` along the solved strategy.

        Told with an explicit stack, not by recursion: a 1,000-level chain, or a
        1,000-level tree of chance nodes with several live branches, is a valid scenario.
        """
        todo: list[tuple[int, int] | tuple[int, str]] = [(pos, depth)]  # subtrees to tell, lines to say
        while todo:
            item = todo.pop()
            if isinstance(item[1], str):
                self.say(item[0], item[1])
            else:
                todo.extend(reversed(self._walk_down(item[0], item[1], on_path)))

    def _walk_down(self, pos: int, depth: int, on_path: bool) -> list[tuple[int, str] | tuple[int, int]]:
        """Tell ``pos`` and the chain below it up to a chance node with several live branches; what
        is left to tell, in order: ``(depth, text)`` lines and ``(position, depth)`` subtrees."""
        while True:
            p = self.tree.positions[pos]
            if p.kind == "leaf":
                text = self.outcome_text(pos)
                self.say(depth, text[0].upper() + text[1:] + ".")
                return []
            self.told.add(pos)
            if p.kind == "decision":
                self.decision(pos, depth, on_path)
                pos = p.children[self.chosen(pos)]
                continue
            branches = [(k, self.prob(pos, k)) for k in range(len(p.actions))]
            shown = _and([f"{self.action(pos, k)} {_pct(pr)}" for k, pr in branches])
            self.say(depth, f"Chance at {self.node(pos)}: {shown}.")
            live = [(k, pr) for k, pr in branches if pr > 0]
            if len(live) != 1:
                break
            pos = p.children[live[0][0]]
        rest: list[tuple[int, str] | tuple[int, int]] = []
        for k, pr in sorted(live, key=lambda kp: -kp[1]):
            c = p.children[k]
            if self.tree.positions[c].kind == "leaf":
                rest.append((depth + 1, f"{self.action(pos, k)} ({_pct(pr)}): {self.outcome_text(c)}."))
            elif not self.full and not on_path and depth + 2 > BRIEF_DEPTH:
                rest.append((depth + 1, f"If {self.action(pos, k)} ({_pct(pr)}): {self._summary(c)}"))
            else:
                rest.append((depth + 1, f"If {self.action(pos, k)} ({_pct(pr)}):"))
                rest.append((c, depth + 2))
        return rest


def explain(
    scenario: Scenario,
    *,
    values: Mapping[str, float] | None = None,
    solver: str = "spe",
    rationality: float = 10.0,
    at: str | None = None,
    world: str | None = None,
    full: bool = True,
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
    full
        Tell every action not taken and everything below it (``False``: each
        action not taken on the path down to its first decisions, deeper parts
        in one line each with the ending they most likely lead to; the
        off-path choices below are then not in ``choices``).
    """
    eq = solve(scenario, values=values, solver=solver, rationality=rationality, world=world)
    model = CompiledScenario(scenario)
    game = model.game if world is None else model.world_game(world)
    teller = _Teller(eq, model, values, game.tree, full)
    root = 0
    if at is not None:
        if at not in teller.tree.node_index:
            hint = suggest(at, teller.tree.node_index)
            raise TrapsimError(f"explain --at: unknown node {at!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
        root = teller.tree.node_index[at]
    _tell_header(teller, values, world)
    supporting = _tell_path(teller, root, at)
    _tell_off_path(teller)
    order = {pos.name: i for i, pos in enumerate(teller.tree.positions)}
    if world is not None:
        choices = sorted(teller.choices.values(), key=lambda c: order[c.node])
        teller.say(0, "")
        teller.say(
            0,
            f"Traps are counted in the real game (trapsim explain without --world); this world is "
            f"what the traps naming '{world}' compare each draw with.",
        )
        return Explanation(eq, teller.lines, choices, None, [], {}, at)
    reports, firing = _trap_reports(teller, [None, *supporting], root)
    _tell_trap_reports(teller, reports)
    _tell_firing(teller, firing)
    chains = _tell_chains(teller)
    _tell_worlds(teller)
    choices = sorted(teller.choices.values(), key=lambda c: order[c.node])
    return Explanation(eq, teller.lines, choices, reports[0], reports[1:], firing, at, chains)


def _tell_header(teller: _Teller, values: Mapping[str, float] | None, world: str | None) -> None:
    """Title, how the game was solved, the world told, the description and each actor's beliefs."""
    scenario, eq = teller.sc, teller.eq
    fixed = "".join(f", {k} = {v:g}" for k, v in (values or {}).items())
    teller.say(0, scenario.title)
    where = "the central values" + (f" (except{fixed[1:]})" if fixed else "")
    qre = f", rationality {eq.rationality:g}" if eq.solver == "qre" else ""
    teller.say(1, f"Solved once at {where}; solver {eq.solver}{qre}.")
    if world is not None:
        w = scenario.world(world)
        forced = " Forced choices are the only action left at their node, and earlier movers anticipate them."
        teller.say(
            1,
            f"This is the counterfactual world '{world}'"
            + (f" ({w.title})" if w.title != world else "")
            + f": {w.describe()}."
            + (forced if w.force else ""),
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


def _tell_path(teller: _Teller, root: int, at: str | None) -> list[tuple[int, int]]:
    """The equilibrium path from ``root`` and the expected payoffs; the actions not taken on it."""
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
    return list(teller.deviations)


def _tell_off_path(teller: _Teller) -> None:
    """What each actor expects after every action not taken (the subgames that support the path)."""
    tree = teller.tree
    if any(tree.positions[tree.positions[p].children[k]].kind != "leaf" for p, k in teller.deviations):
        teller.say(0, "")
        teller.say(0, "Why: what the actors expect off the path")
        if not teller.full:
            teller.say(
                1, "(Deeper parts in one line each, with the ending they most likely lead to; --full tells all.)"
            )
    first = len(teller.deviations)  # the actions not taken on the path itself
    told = 0
    while teller.deviations:
        if not teller.full and told == first:  # the rest lie off the path already: --full tells them
            teller.deviations.clear()
            break
        told += 1
        pos, k = teller.deviations.pop(0)
        p = tree.positions[pos]
        child = p.children[k]
        if child in teller.told or tree.positions[child].kind == "leaf":
            continue  # a single ending is already named in the decision's line
        actor = teller.sc.nodes[p.id].actor  # type: ignore[union-attr]
        teller.say(1, f"Had {teller.names[actor]} chosen {teller.action(pos, k)} at {teller.node(pos)}:")
        teller.walk(child, 2, on_path=False)


def _subgame_payoffs(teller: _Teller, root: int) -> dict[str, float]:
    """Each actor's expected payoff from ``root`` on, under the solved strategy."""
    if root == 0:
        return dict(teller.eq.payoffs)
    p = teller.tree.positions[root]
    vals = teller.eq.node_values[p.name]
    return {a: sum(teller.prob(root, k) * vals[act][a] for k, act in enumerate(p.actions)) for a in teller.tree.actors}
