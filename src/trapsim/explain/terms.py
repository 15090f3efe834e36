"""What each alternative of a decision is worth, term by term, and how narrow each choice is.

The value of an action to the actor who chooses is the probability-weighted
sum of the payoffs at the endings it leads to (under the solved strategy
below it). Each payoff expression is split into its additive parts
(``"dprk_troops_aq + dprk_promise - dprk_glory"`` gives three), and parts
with the same text are added up over the endings: the *terms*. They add up
to the value (to rounding). Where a payoff cannot be split (a part that is
not a plain sum), the term is the ending's whole payoff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from trapsim.equilibrium import Equilibrium, strategies
from trapsim.expressions import Expr, compile_expr
from trapsim.expressions.language import Binary, Call, Name, Node, Num, Str, Unary
from trapsim.model import DecisionNode, Scenario
from trapsim.runner import CompiledScenario
from trapsim.sampling import ppf
from trapsim.solver import Tree

__all__ = ["Alternative", "Margin", "Term", "additive_terms", "unparse"]

#: A choice is flagged as narrow when its margin is under this share of the actor's payoff range.
NARROW = 0.05


@dataclass(frozen=True, slots=True)
class Term:
    """One part of an alternative's value.

    ``value`` is its contribution (probability-weighted); ``probability`` the
    chance, given the action, of the endings where it appears; ``each`` its
    value there when it is the same at all of them (else ``None``).
    """

    text: str
    value: float
    probability: float
    each: float | None

    def show(self) -> str:
        """``+ 0.30 paid now`` or ``+ 0.62 x 0.37 promised technology`` (with a multiplication sign)."""
        if self.each is not None and self.probability < 1 - 1e-12:
            sign = "+" if self.each >= 0 else "\u2212"
            return f"{sign} {self.probability:.2f} \u00d7 {abs(self.each):.2f} {self.text}"
        sign = "+" if self.value >= 0 else "\u2212"
        return f"{sign} {abs(self.value):.2f} {self.text}"


@dataclass(frozen=True, slots=True)
class Alternative:
    """One action at a decision: its value to the chooser and the terms that add up to it."""

    action: str
    label: str
    value: float
    terms: tuple[Term, ...]
    unit: str = ""  # of the chooser's payoffs (``payoff_unit``), printed after the total

    def show(self) -> str:
        """``troops: 0.30 paid now - 0.32 casualties ~ +0.06 ground`` (minus and approximately-equal signs)."""
        parts = " ".join(t.show() for t in self.terms).lstrip("+ ").strip()
        if parts.startswith("\u2212 "):
            parts = "\u2212" + parts[2:]
        total = _signed(self.value) + (f" {self.unit}" if self.unit else "")
        if not self.terms:
            return f"{self.label}: {total}"
        if len(self.terms) == 1 and self.terms[0].probability >= 1 - 1e-12:
            return f"{self.label}: {total} ({self.terms[0].text})"
        return f"{self.label}: {parts} \u2248 {total}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "label": self.label,
            "value": self.value,
            "unit": self.unit,
            "terms": [
                {"text": t.text, "value": t.value, "probability": t.probability, "each": t.each} for t in self.terms
            ],
        }


@dataclass(frozen=True, slots=True)
class Margin:
    """How far the chosen action is ahead of the best other one, against the chooser's payoff range."""

    node: str
    chosen: str
    runner_up: str
    margin: float
    payoff_range: float
    flips: tuple[tuple[str, float], ...]  # (parameter, value that flips the choice)

    @property
    def share(self) -> float:
        return self.margin / self.payoff_range if self.payoff_range > 0 else 0.0

    @property
    def narrow(self) -> bool:
        return self.share < NARROW

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "chosen": self.chosen,
            "runner_up": self.runner_up,
            "margin": self.margin,
            "payoff_range": self.payoff_range,
            "share_of_range": self.share,
            "narrow": self.narrow,
            "flipped_by": [{"parameter": p, "value": v} for p, v in self.flips],
        }


def _signed(v: float) -> str:
    return f"{v:+.2f}".replace("-", "\u2212") if abs(v) >= 5e-3 else f"{v:+.3f}".replace("-", "\u2212")


def additive_terms(node: Node, sign: float = 1.0) -> list[tuple[float, Node]]:
    """The parts of a sum, with their signs: ``a - (b - c)`` gives ``+a, -b, +c``."""
    if isinstance(node, Binary) and node.op in "+-":
        right = -sign if node.op == "-" else sign
        return additive_terms(node.left, sign) + additive_terms(node.right, right)
    if isinstance(node, Unary) and node.op in "+-":
        return additive_terms(node.operand, -sign if node.op == "-" else sign)
    return [(sign, node)]


_PREC = {"or": 1, "and": 2, "<": 4, "<=": 4, ">": 4, ">=": 4, "==": 4, "!=": 4, "+": 5, "-": 5, "*": 6, "/": 6, "**": 8}


def unparse(node: Node, outer: int = 0) -> str:
    """The expression text of a syntax tree (brackets only where needed)."""
    if isinstance(node, Num):
        return f"{node.value:g}"
    if isinstance(node, Name):
        return node.id
    if isinstance(node, Str):
        return repr(node.value)
    if isinstance(node, Call):
        return f"{node.func}({', '.join(unparse(a) for a in node.args)})"
    if isinstance(node, Unary):
        text = f"not {unparse(node.operand, 3)}" if node.op == "not" else f"{node.op}{unparse(node.operand, 7)}"
        return f"({text})" if outer > 7 else text
    p = _PREC.get(node.op, 5)
    text = f"{unparse(node.left, p)} {node.op} {unparse(node.right, p + 1)}"
    return f"({text})" if p < outer else text


class Decomposer:
    """Splits the values of a solved game's alternatives into terms."""

    def __init__(self, eq: Equilibrium, model: CompiledScenario) -> None:
        self.sc: Scenario = eq.scenario
        self.model = model
        self.tree: Tree = model.tree if eq.world is None else model.world_game(eq.world).tree
        self.types = self.sc.types()
        self._env: dict[int, dict[str, Any]] = {}
        self._fn: dict[str, Any] = {}
        self._flips: dict[tuple[Any, ...], list[tuple[str, float, dict[str, str]]]] = {}

    def env(self, view: Equilibrium) -> dict[str, Any]:
        key = id(view)
        if key not in self._env:
            env: dict[str, Any] = {k: np.array([v]) for k, v in view.values.items()}
            self.model.derive(env)
            self._env[key] = env
        return self._env[key]

    def _eval(self, node: Node, env: Mapping[str, Any]) -> float:
        text = unparse(node)
        if text not in self._fn:
            self._fn[text] = compile_expr(Expr(text, node), self.types)
        return float(np.asarray(self._fn[text](env), dtype=float).reshape(-1)[0])

    def below(self, start: int, view: Equilibrium) -> dict[int, float]:
        """Probability of each ending below ``start``, given ``start`` is reached, under ``view``."""
        reach = {start: 1.0}
        stack = [start]
        out: dict[int, float] = {}
        while stack:
            i = stack.pop()
            p = self.tree.positions[i]
            if p.kind == "leaf":
                out[i] = reach[i]
                continue
            probs = view.action_probabilities[p.name]
            for k, c in enumerate(p.children):
                pr = probs[p.actions[k]]
                if pr > 0:
                    reach[c] = reach[i] * pr
                    stack.append(c)
        return out

    def alternative(self, pos: int, k: int, actor: str, view: Equilibrium) -> Alternative:
        """Action ``k`` at decision position ``pos``: its value to ``actor`` under ``view``, in terms."""
        p = self.tree.positions[pos]
        action = p.actions[k]
        value = view.node_values[p.name][action][actor]
        label = self.sc.action_label(p.id, action)
        a = self.tree.actors.index(actor)
        env = self.env(view)
        sums: dict[str, list[float]] = {}  # text -> [contribution, probability, value or nan]
        try:
            for leaf, pr in sorted(self.below(p.children[k], view).items()):
                oid = self.tree.outcomes[self.tree.positions[leaf].outcome]
                expr = self.sc.outcomes[oid].payoffs[a]
                for sign, part in additive_terms(expr.tree):
                    v = sign * self._eval(part, env)
                    text = self._name(part, oid)
                    s = sums.setdefault(text, [0.0, 0.0, v])
                    s[0] += pr * v
                    s[1] += pr
                    if s[2] != v:
                        s[2] = float("nan")
        except (KeyError, TypeError, ValueError):  # a payoff that cannot be split: whole payoffs
            sums = {}
        terms = tuple(Term(t, c, pr, None if np.isnan(v) else v) for t, (c, pr, v) in sums.items() if abs(c) > 1e-12)
        if sums and abs(sum(t.value for t in terms) - value) > 1e-9 * max(1.0, abs(value)):
            terms = ()  # the parts do not add up (payoffs evaluated elsewhere): show the total only
        return Alternative(action, label, value, terms, self.sc.payoff_unit_of(actor))

    def _name(self, part: Node, outcome: str) -> str:
        if isinstance(part, Num):
            return f"({self.sc.label_of('outcome', outcome)})"
        if isinstance(part, Name):
            return self.sc.label_of("parameter", part.id)
        return unparse(part)

    def margin(
        self,
        pos: int,
        actor: str,
        view: Equilibrium,
        chosen: int,
        values: Mapping[str, float] | None,
        solver: str,
        rationality: float,
    ) -> Margin | None:
        """The chosen action's lead over the best other one; which parameters flip a narrow choice."""
        p = self.tree.positions[pos]
        if len(p.actions) < 2:
            return None
        worth = {a: view.node_values[p.name][a][actor] for a in p.actions}
        best = p.actions[chosen]
        runner = max((a for a in p.actions if a != best), key=lambda a: worth[a])
        a = self.tree.actors.index(actor)
        payoffs, _ = self.model.evaluate(self.env(view), 1)
        column = payoffs[:, a, 0]
        m = Margin(p.name, best, runner, worth[best] - worth[runner], float(column.max() - column.min()), ())
        if not m.narrow:
            return m
        flips: list[tuple[str, float]] = []
        for par, v, strategy in self._ends(values, solver, rationality, view.world):
            if strategy.get(p.name) != best and (not flips or flips[-1][0] != par):
                flips.append((par, v))
        return Margin(m.node, m.chosen, m.runner_up, m.margin, m.payoff_range, tuple(flips))

    def _ends(
        self, values: Mapping[str, float] | None, solver: str, rationality: float, world: str | None
    ) -> list[tuple[str, float, dict[str, str]]]:
        """Each uncertain parameter at its 5% and 95% quantile (the others central or as given), solved.

        All of them in one vectorised solve, kept for every decision of the story.
        """
        fixed = dict(values or {})
        key = (tuple(sorted(fixed.items())), solver, rationality, world)
        if key not in self._flips:
            ends = []
            for par in self.sc.parameters:
                if par.dist.kind == "constant" or par.name in fixed:
                    continue
                try:
                    ends += [(par.name, float(v)) for v in ppf(par.dist, np.array([0.05, 0.95]))]
                except (ValueError, KeyError):
                    continue
            points = [{**fixed, par: v} for par, v in ends]
            found = strategies(self.sc, points, solver=solver, rationality=rationality, world=world, model=self.model)
            self._flips[key] = [(par, v, s) for (par, v), s in zip(ends, found, strict=True)]
        return self._flips[key]


def decision_actor(sc: Scenario, node: str) -> str:
    item = sc.nodes[node]
    assert isinstance(item, DecisionNode)
    return item.actor
