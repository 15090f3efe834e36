"""What :func:`~trapsim.explain.explain` finds, as data: choices, trap reports, the story's lines.

:class:`Explanation` also gives them as text (:meth:`Explanation.text`) and
JSON (:meth:`Explanation.to_dict`, the ``--json`` output).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

from trapsim.chains import Chain
from trapsim.equilibrium import Equilibrium
from trapsim.explain.terms import Alternative, Margin
from trapsim.output import json_text

__all__ = ["Choice", "Explanation", "Line", "PathTraps", "TrapReport"]


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
                    "payoff_unit": eq.scenario.payoff_unit_of(c.actor),
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
        return json_text(self.to_dict(), indent=indent)
