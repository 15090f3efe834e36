"""Figures for a seminar projector. Each ``plot_*`` returns a matplotlib ``Figure``.

Library code never uses pyplot: figures are built on
``matplotlib.figure.Figure`` and written by the caller with :func:`save`.
One style for all (:mod:`trapsim.figures.style`): the Okabe-Ito palette,
large fonts, 16:9 sizes, PNG at 200 dpi by default.

=========================  ==========================================
:func:`plot_trap_rates`    1. trap rates with 95% intervals
:func:`plot_outcomes`      2. share of each outcome
:func:`plot_tree`          3. the game tree (structure, equilibrium or shares)
:func:`plot_actor_graph`   4. actors and relations
:func:`plot_payoffs`       5. realised payoffs per actor
:func:`plot_convergence`   6. running trap rates against draws
=========================  ==========================================

All plotting lives in this package; the layers below it compute only:
:mod:`trapsim.figures.sweeps` draws sweeps (lines, heatmaps),
:mod:`trapsim.figures.comparison` the comparison of scenarios and
:mod:`trapsim.figures.analysis` sensitivity and scenario discovery.
:mod:`trapsim.figures.style` is the public style (palette, sizes, helpers).
"""

from __future__ import annotations

from pathlib import Path

from trapsim.figures.classroom import plot_poll_priors, plot_poll_traps
from trapsim.figures.compact import compact_by_default, plot_compact_tree
from trapsim.figures.graph import RELATION_STYLES, plot_actor_graph, plot_attribution_graph
from trapsim.figures.results import plot_convergence, plot_outcomes, plot_payoffs, plot_trap_rates
from trapsim.figures.style import FORMATS, PALETTE, actor_colors, save
from trapsim.figures.tree import layout_tree, plot_tree
from trapsim.runner import Result

__all__ = [
    "FORMATS",
    "PALETTE",
    "RELATION_STYLES",
    "actor_colors",
    "compact_by_default",
    "layout_tree",
    "plot_actor_graph",
    "plot_attribution_graph",
    "plot_compact_tree",
    "plot_convergence",
    "plot_outcomes",
    "plot_payoffs",
    "plot_poll_priors",
    "plot_poll_traps",
    "plot_trap_rates",
    "plot_tree",
    "save",
    "write_run_figures",
]

#: Figures written by ``trapsim run``: file suffix and function.
RUN_FIGURES = (
    ("traps", plot_trap_rates),
    ("outcomes", plot_outcomes),
    ("tree", plot_tree),
    ("convergence", plot_convergence),
)


def write_run_figures(result: Result, out_dir: str | Path, *, fmt: str = "png", dpi: int = 200) -> list[Path]:
    """Write figures 1, 2, 3 and 6 of a run into ``out_dir``; return their paths.

    Files are named ``<scenario>_<figure>.<fmt>``: ``_traps``, ``_outcomes``,
    ``_tree`` and ``_convergence``.
    """
    out = Path(out_dir)
    name = result.scenario.name
    return [save(plot(result), out / f"{name}_{suffix}.{fmt}", dpi=dpi, fmt=fmt) for suffix, plot in RUN_FIGURES]
