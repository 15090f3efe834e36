""" "What drives each trap": the sensitivity and discovery results as text.

:func:`drivers` runs both analyses for a scenario and returns what a report
section says: a heading, an introduction, one paragraph per trap, and the
machine-readable results. Its figures are drawn by
:func:`trapsim.figures.analysis.drivers_figures`. The HTML report renders it;
notebooks can use it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trapsim.analysis.discovery import DEFAULT_DRAWS, Discovery, discover
from trapsim.analysis.sensitivity import SensitivityResult, sensitivity
from trapsim.model import Scenario

__all__ = ["Drivers", "TrapDrivers", "describe_sensitivity", "drivers"]


def _names(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def describe_sensitivity(result: SensitivityResult, trap: str, *, top: int = 3) -> str:
    """A few plain sentences on which parameters drive ``trap``'s probability."""
    title = next((t.title for t in result.scenario.traps if t.id == trap), trap)
    idx = result.indices[trap]
    mean = result.mean[trap]
    ranked = result.ranking(trap)
    if all(idx[p][result.key] is None for p in ranked):
        return f"{title} has the same probability ({mean:.1%}) in every draw: no parameter moves it."
    if result.method == "sobol":
        lead = [p for p in ranked[:top] if (idx[p]["ST"] or 0) >= 0.05] or ranked[:1]
        parts = [f"{p} ({idx[p]['ST']:.2f})" for p in lead]
        alone = sum(max(idx[p]["S1"] or 0.0, 0.0) for p in ranked)
        text = (
            f"{title} fires with probability {mean:.1%} on average. Its ups and downs "
            f"come mostly from {_names(parts)} (total Sobol' index: the share of the variance "
            f"each is involved in)."
        )
        if alone < 0.7:
            text += (
                f" The parameters acting alone explain only {min(alone, 1):.0%} of the "
                "variance: the rest comes from combinations of them."
            )
        else:
            text += f" The parameters acting alone explain {min(alone, 1):.0%} of the variance."
        return text
    top_mu = max((idx[p]["mu_star"] or 0.0) for p in ranked) or 1.0
    lead = [p for p in ranked[:top] if (idx[p]["mu_star"] or 0) >= 0.2 * top_mu] or ranked[:1]
    parts = [f"{p} (mu* {idx[p]['mu_star']:.3f})" for p in lead]
    return (
        f"In Morris screening of {title} (mean probability {mean:.1%} on its grid), "
        f"the parameters that move it most are {_names(parts)}."
    )


@dataclass
class TrapDrivers:
    """One trap's part of the section: its title and paragraph."""

    trap: str
    title: str
    paragraph: str


@dataclass
class Drivers:
    """The "What drives each trap" section."""

    scenario: Scenario
    sensitivity: SensitivityResult
    discoveries: dict[str, Discovery]
    traps: list[TrapDrivers]
    heading: str = "What drives each trap"

    @property
    def intro(self) -> str:
        """The section's opening paragraph: what was computed, on how many draws."""
        s = self.sensitivity
        d = next(iter(self.discoveries.values()), None)
        method = "Sobol' indices" if s.method == "sobol" else "Morris screening"
        text = (
            "For every draw, trapsim computes the exact probability that each trap fires "
            "(the chance moves are averaged out, not sampled). Sensitivity analysis "
            f"({method}, {s.evaluations:,} solved games) asks which uncertain assumptions "
            "move that probability; scenario discovery (PRIM"
        )
        if d is not None:
            text += f", {d.draws:,} draws"
        return text + (") finds the region of parameter space where the trap is most likely, in words.")

    def to_dict(self) -> dict[str, Any]:
        """The sensitivity and discovery results as plain JSON types."""
        return {
            "sensitivity": self.sensitivity.to_dict(),
            "discovery": {k: d.to_dict() for k, d in self.discoveries.items()},
            "text": {t.trap: t.paragraph for t in self.traps},
        }


def drivers(
    scenario: Scenario,
    *,
    seed: int,
    traps: list[str] | None = None,
    method: str = "sobol",
    samples: int | None = None,
    draws: int = DEFAULT_DRAWS,
    solver: str = "spe",
    rationality: float = 10.0,
) -> Drivers:
    """Run sensitivity analysis and scenario discovery for ``traps`` (default: all).

    Parameters
    ----------
    seed
        Root seed of both analyses.
    samples, method
        See :func:`trapsim.analysis.sensitivity.sensitivity`.
    draws
        See :func:`trapsim.analysis.discovery.discover`.
    """
    sens = sensitivity(
        scenario,
        traps=traps,
        method=method,
        samples=samples,
        seed=seed,
        solver=solver,
        rationality=rationality,
    )
    found = {
        t: discover(scenario, t, seed=seed, draws=draws, solver=solver, rationality=rationality) for t in sens.indices
    }
    parts = []
    for tid, d in found.items():
        paragraph = describe_sensitivity(sens, tid)
        if d.boxes:
            paragraph += " Where it springs: " + " ".join(b.text + "." for b in d.boxes)
        elif d.note:
            paragraph += f" Where it springs: {d.note}."
        parts.append(TrapDrivers(tid, scenario.trap(tid).title, paragraph))
    return Drivers(scenario, sens, found, parts)
