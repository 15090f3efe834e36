"""Why does a trap trigger? Commands: sensitivity (Sobol'/Morris) and discover (PRIM).

:func:`emit` (write the JSON and figures, then print) is shared with :mod:`trapsim.cli.attribution`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from trapsim import api
from trapsim.cli import main, parse_sets, scenario_argument, set_option
from trapsim.cli._options import (
    check_rationality,
    draws_option,
    figure_format_option,
    json_option,
    no_figures_option,
    out_dir,
    out_option,
    progress_bar,
    rationality_option,
    seed_option,
    show_progress,
    solver_option,
)
from trapsim.cli.analysis_text import print_discovery, print_sensitivity
from trapsim.output import json_text, write_text_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

out_json_figures = out_option("the JSON and figures")


@main.command()
@scenario_argument
@click.option(
    "--trap",
    "traps",
    multiple=True,
    metavar="ID",
    help="Analyse this trap (repeatable) [default: every trap].",
)
@click.option(
    "--method",
    type=click.Choice(["sobol", "morris"]),
    default="sobol",
    show_default=True,
    help="sobol: variance shares S1/ST with 95% intervals; morris: cheap mu*/sigma screening.",
)
@draws_option(
    "Sobol': base draws N, a power of 2 (N x (parameters + 2) solved games) [default: 8192]; "
    "Morris: trajectories [default: 100]."
)
@click.option("--samples", type=click.IntRange(min=1), default=None, hidden=True)  # the old name of --draws
@seed_option()
@solver_option
@rationality_option
@set_option
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Parameters listed per trap in the table (the JSON has all).",
)
@json_option()
@out_json_figures
@no_figures_option
@figure_format_option
def sensitivity(
    file: str,
    traps: Sequence[str],
    method: str,
    draws: int | None,
    samples: int | None,
    seed: int | None,
    solver: str | None,
    rationality: float | None,
    sets: Sequence[str],
    top: int,
    as_json: bool,
    out: str | None,
    no_figures: bool,
    fmt: str | None,
) -> None:
    """Which uncertain assumptions drive each trap? Global sensitivity indices (SALib).

    The quantity analysed is each trap's exact probability of firing given the
    parameters (chance moves averaged out). Parameters are sampled from their
    own distributions (a Sobol' or Morris design pushed through each inverse
    CDF); constants and --set parameters are left out.

    \b
    S1: share of the variance of the trap's probability due to the parameter alone.
    ST: share the parameter is involved in, interactions included (ranks the table).
    mu* (Morris): mean absolute change of the probability when the parameter moves
    by half its range (e.g. from its 1/8 to its 5/8 quantile).

    Writes OUT/<scenario>_sensitivity.json, a tornado chart per trap
    (OUT/<scenario>_sensitivity_<trap>.png) and an overview heat map.

    \b
        trapsim sensitivity scenarios/defense_clause.toml --draws 1024 --seed 1
        trapsim sensitivity scenarios/defense_clause.toml --trap kim_trap --method morris
    """
    if samples is not None:
        if draws is not None:
            raise click.UsageError("--samples is the old name of --draws; give --draws only")
        click.echo("warning: --samples is now called --draws", err=True)
        draws = samples
    sc = api.load(file)
    check_rationality(sc, solver, rationality)
    fixed = parse_sets(sets)
    total = api.analysis_cost(sc, method=method, samples=draws, values=fixed)
    update, close = progress_bar("solved games", total, show_progress(total, 50_000, as_json=as_json))
    try:
        res = api.sensitivity(
            sc,
            traps=list(traps) or None,
            method=method,
            samples=draws,
            seed=seed,
            solver=solver,
            rationality=rationality,
            values=fixed,
            progress=update,
        )
    finally:
        close()
    emit(
        res.to_dict(),
        f"{sc.name}_sensitivity",
        as_json=as_json,
        out=out,
        fmt=fmt,
        figures=None if no_figures else lambda: _sensitivity_figures(res),
        show=lambda: print_sensitivity(res, top),
    )


def emit(
    doc: dict[str, Any],
    stem: str,
    *,
    as_json: bool,
    out: str | None,
    fmt: str | None,
    figures: Callable[[], Iterable[tuple[str, Figure]]] | None,
    show: Callable[[], None],
) -> None:
    """Write OUT/<stem>.json and the figures (unless --json without --out), then print.

    ``figures`` yields ``(file stem, figure)`` pairs, each saved (``fmt``, PNG by default) in OUT
    before the next is drawn. With --json the JSON goes to stdout, else ``show``
    prints the table and the written files are listed.
    """
    text = json_text(doc)
    written: list[Path] = []
    if not (as_json and out is None):
        where = out_dir(out)
        written.append(write_text_atomic(where / f"{stem}.json", text))
        if figures is not None:
            from trapsim.figures import save

            ext = fmt or "png"
            written.extend(save(fig, where / f"{name}.{ext}", fmt=ext) for name, fig in figures())
    if as_json:
        click.echo(text)
        return
    show()
    for path in written:
        click.echo(f"wrote {path}")


@main.command()
@scenario_argument
@click.option("--trap", default=None, metavar="ID", help="The trap to explain (required).")
@click.option(
    "--threshold",
    type=click.FloatRange(min=0, max=1, min_open=True),
    default=None,
    help="Look for draws where the trap's probability is at least P (a yes/no outcome) "
    "[default: use the probability itself].",
)
@draws_option("Draws to search [default: 20000]; as many fresh draws test the boxes.", minimum=100)
@seed_option()
@click.option(
    "--boxes",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Boxes to find at most (each next one outside the earlier ones).",
)
@click.option(
    "--min-coverage",
    type=click.FloatRange(min=0, max=1),
    default=0.5,
    show_default=True,
    help="The chosen box keeps at least this share of all firings.",
)
@click.option(
    "--method",
    "method",
    type=click.Choice(["prim", "cart"]),
    default="prim",
    show_default=True,
    help="prim: peel a box (coverage/density trade-off); cart: rules from a shallow regression tree (its best leaves).",
)
@click.option(
    "--depth",
    type=click.IntRange(min=1, max=6),
    default=3,
    show_default=True,
    help="CART: at most this many conditions per rule.",
)
@click.option(
    "--alpha",
    type=click.FloatRange(min=0, max=0.5, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="PRIM's peeling share per step.",
)
@solver_option
@rationality_option
@set_option
@json_option()
@out_json_figures
@no_figures_option
@figure_format_option
def discover(
    file: str,
    trap: str | None,
    threshold: float | None,
    draws: int | None,
    seed: int | None,
    boxes: int,
    min_coverage: float,
    method: str,
    depth: int,
    alpha: float,
    solver: str | None,
    rationality: float | None,
    sets: Sequence[str],
    as_json: bool,
    out: str | None,
    no_figures: bool,
    fmt: str | None,
) -> None:
    """Under which conditions does a trap spring? Scenario discovery (PRIM or CART).

    Draws the parameters, computes each draw's exact probability that the trap
    fires, and finds a few boxes of parameter space where that probability is
    high, said in words, e.g. "putin_trap fires in 72% of draws where
    dprk_casualties < 0.30 and dprk_gain_now > 0.218 (this box holds 51% of
    draws and 69% of all firings)". Density: the firing rate inside the box; coverage: the share of
    all firings inside it; mass: the share of draws inside it.

    PRIM peels 5% of the draws at a time from one side of one parameter,
    keeping the peel that raises the density most per draw removed; the box
    chosen is the one with the highest density that still holds
    --min-coverage of all firings. It is then pasted (limits re-extended while
    the density does not fall) and simplified (limits costing under a tenth of
    the density dropped). --method cart instead grows a regression tree of
    depth --depth and reports its best leaves as rules.

    Writes OUT/<scenario>_discover_<trap>.json and figures: the box limits over
    each parameter's range, and the peeling trajectory (coverage vs density;
    CART: the leaves).

    \b
        trapsim discover scenarios/defense_clause.toml --trap putin_trap --seed 1
        trapsim discover scenarios/defense_clause.toml --trap kim_trap --method cart
    """
    sc = api.load(file)
    check_rationality(sc, solver, rationality)
    if trap is None:
        ids = ", ".join(t.id for t in sc.traps) or "(none: the scenario defines no traps)"
        raise click.UsageError(f"Missing option '--trap'. Traps of {sc.name}: {ids}")
    fixed = parse_sets(sets)
    n = 2 * api.discovery_draws(draws)
    update, close = progress_bar("draws", n, show_progress(n, 200_000, as_json=as_json))
    try:
        res = api.discover(
            sc,
            trap,
            threshold=threshold,
            draws=draws,
            seed=seed,
            solver=solver,
            rationality=rationality,
            values=fixed,
            boxes=boxes,
            min_coverage=min_coverage,
            alpha=alpha,
            method=method,
            max_depth=depth,
            progress=update,
        )
    finally:
        close()
    emit(
        res.to_dict(),
        f"{sc.name}_discover_{trap}",
        as_json=as_json,
        out=out,
        fmt=fmt,
        figures=None if no_figures or not res.boxes else lambda: _discovery_figures(res),
        show=lambda: print_discovery(res),
    )


def _sensitivity_figures(res: Any) -> Iterator[tuple[str, Figure]]:
    """A tornado chart per trap, and an overview heat map when there are several."""
    from trapsim.figures import analysis as plots

    name = res.scenario.name
    for tid in res.indices:
        yield f"{name}_sensitivity_{tid}", plots.plot_sensitivity(res, tid)
    if len(res.indices) > 1:
        yield f"{name}_sensitivity_overview", plots.plot_sensitivity_overview(res)


def _discovery_figures(res: Any) -> Iterator[tuple[str, Figure]]:
    """Per box: its limits over each parameter's range, and the peeling trajectory (CART: the leaves)."""
    from trapsim.figures import analysis as plots

    stem = f"{res.scenario.name}_discover_{res.trap}"
    kind = "leaves" if res.method == "cart" else "peeling"
    for k in range(len(res.boxes)):
        suffix = "" if k == 0 else f"_{k + 1}"
        yield f"{stem}_box{suffix}", plots.plot_box_limits(res, box=k)
        yield f"{stem}_{kind}{suffix}", plots.plot_peeling(res, box=k)
