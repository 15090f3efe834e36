"""Figures for a seminar projector. Each ``plot_*`` returns a matplotlib ``Figure``.

Library code never uses pyplot: figures are built on
``matplotlib.figure.Figure`` and written by the caller with :func:`save`.
One style for all (:mod:`trapsim.figures.style`): the Okabe-Ito palette,
large fonts, 16:9 sizes, PNG at 1,920 x 1,080 px (150 dpi) by default.

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
:mod:`trapsim.figures.style` is the public style (palette, sizes, helpers);
:mod:`trapsim.figures.saving` writes figures (:func:`save`, :func:`save_all`).
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from trapsim.figures.classroom import plot_poll_priors, plot_poll_traps
from trapsim.figures.compact import plot_compact_panels, plot_compact_tree
from trapsim.figures.convergence import plot_convergence
from trapsim.figures.forked import Forked
from trapsim.figures.graph import RELATION_STYLES, plot_actor_graph, plot_attribution_graph
from trapsim.figures.results import plot_outcomes, plot_payoffs, plot_trap_rates
from trapsim.figures.saving import save, save_all
from trapsim.figures.style import DPI, FORMATS, PALETTE, actor_colors
from trapsim.figures.tree import layout_tree, plot_tree, plot_tree_panels
from trapsim.runner import Result

__all__ = [
    "DPI",
    "FORMATS",
    "PALETTE",
    "RELATION_STYLES",
    "actor_colors",
    "layout_tree",
    "panel_paths",
    "plot_actor_graph",
    "plot_attribution_graph",
    "plot_compact_panels",
    "plot_compact_tree",
    "plot_convergence",
    "plot_outcomes",
    "plot_payoffs",
    "plot_poll_priors",
    "plot_poll_traps",
    "plot_trap_rates",
    "plot_tree",
    "plot_tree_panels",
    "save",
    "save_all",
    "save_panels",
    "write_run_figures",
]

#: Figures written by ``trapsim run``: file suffix and function.
RUN_FIGURES = (
    ("traps", plot_trap_rates),
    ("outcomes", plot_outcomes),
    ("tree", plot_tree),
    ("convergence", plot_convergence),
)


def write_run_figures(result: Result, out_dir: str | Path, *, fmt: str = "png", dpi: int = DPI) -> list[Path]:
    """Write figures 1, 2, 3 and 6 of a run into ``out_dir``; return their paths.

    Files are named ``<scenario>_<figure>.<fmt>``: ``_traps``, ``_outcomes``,
    ``_tree`` and ``_convergence``; a tree too big for one slide adds its
    linked panels ``_tree_B``, ``_tree_C``, ... (see :func:`plot_tree_panels`).
    The figures other than the tree are drawn in a forked process while this
    one lays out the tree's panels and saves them, the later half in a second
    forked process (:class:`~trapsim.figures.forked.Forked`; the same files as
    one after the other). Measured on defense_clause: the three other figures
    take ~0.55 s, the tree's layout 0.25 s and its five panels ~0.6 s.
    """
    out = Path(out_dir)
    path = {suffix: out / f"{result.scenario.name}_{suffix}.{fmt}" for suffix, _ in RUN_FIGURES}
    rest = [(plot, path[suffix]) for suffix, plot in RUN_FIGURES if plot is not plot_tree]
    with Forked(lambda: save_all(((plot(result), p) for plot, p in rest), dpi=dpi, fmt=fmt)) as others:
        panels = save_panels(plot_tree_panels(result), path["tree"], dpi=dpi, fmt=fmt)
        drawn = iter(others.result())
    return [p for suffix, plot in RUN_FIGURES for p in (panels if plot is plot_tree else [next(drawn)])]


def save_panels(panels: list[Figure], path: str | Path, *, dpi: int = DPI, fmt: str | None = None) -> list[Path]:
    """Save linked tree panels: the first at ``path``, panel B at ``<stem>_B<suffix>``, and so on.

    Panels a bigger tree left there before (``<stem>_F<suffix>`` beside a new
    tree of five panels) are removed, so every panel on disk belongs to this tree.
    The later half of the panels is saved by a forked process (:class:`~trapsim.figures.forked.Forked`).
    """
    paths = panel_paths(path)[: len(panels)]
    half = (len(panels) + 1) // 2  # the later half in a forked child (Forked: not from a child)
    if half == len(panels):
        written = save_all(zip(panels, paths, strict=False), dpi=dpi, fmt=fmt)
    else:
        with Forked(lambda: save_all(zip(panels[half:], paths[half:], strict=False), dpi=dpi, fmt=fmt)) as rest:
            written = save_all(zip(panels[:half], paths, strict=False), dpi=dpi, fmt=fmt) + rest.result()
    _remove_stale_panels(path, len(panels))
    return written


def panel_paths(path: str | Path) -> list[Path]:
    """Where the panels of a tree saved at ``path`` go: ``path``, then ``<stem>_B<suffix>`` ... ``_Z``."""
    path = Path(path)
    return [path, *(path.with_name(f"{path.stem}_{chr(ord('A') + k)}{path.suffix}") for k in range(1, 26))]


def _remove_stale_panels(path: str | Path, count: int) -> None:
    for stale in panel_paths(path)[max(count, 1) :]:
        stale.unlink(missing_ok=True)
