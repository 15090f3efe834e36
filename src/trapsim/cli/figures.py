"""Figure and report commands: ``tree``, ``graph``, ``report``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from trapsim import api
from trapsim._signals import signals_held
from trapsim.cli import main, parse_sets, scenario_argument, set_option
from trapsim.cli._options import (
    check_rationality,
    draws_option,
    figure_file,
    figure_format_option,
    out_file,
    out_option,
    rationality_option,
    seed_option,
    simulate,
    solver_option,
    workers_option,
)


@main.command("tree")
@scenario_argument
@out_option(
    "<scenario>_tree_equilibrium.png (or _tree.png with --draws/--seed, as run)",
    file="ending in .png, .svg or .pdf",
    json=False,
)
@draws_option()
@seed_option()
@set_option
@solver_option
@rationality_option
@workers_option
@figure_format_option
@click.option(
    "--at",
    "at",
    metavar="NODE",
    default=None,
    help="Draw the game from this node on (a part the full tree shows collapsed).",
)
@click.option(
    "--compact/--unfolded",
    default=None,
    help="Draw each node of the file once, shares summed over the copies of shared nodes, on linked 16:9 panels "
    "of consecutive columns (--compact), "
    "or the unfolded game tree (--unfolded, the default), as linked panels when it is too big for one slide.",
)
def tree_command(
    file: str,
    out: str | None,
    draws: int | None,
    seed: int | None,
    sets: Sequence[str],
    solver: str | None,
    rationality: float | None,
    workers: int | None,
    fmt: str | None,
    at: str | None,
    compact: bool | None,
) -> None:
    """Draw the game tree, left to right.

    Without --draws or --seed: the structure, with each decision's choice in
    equilibrium at central values in bold (as `trapsim solve`; --set solves at
    other values) and chance branches labelled with their probability. With
    --draws and/or --seed: a run first, and every branch labelled with the
    share of draws that took it. Each figure is one 16:9 slide; a tree too big
    for one is split into linked panels (<scenario>_tree_equilibrium.png, then
    _tree_equilibrium_B.png, ...; after a run <scenario>_tree.png, _tree_B.png, ...
    as `trapsim run` names them: each collapsed stub says which panel continues it); parts too rare
    are collapsed into stubs naming their node, and --at NODE draws a part on
    its own (a copy of a shared node by its copy name, as `trapsim explain
    --json` lists them).

    \b
        trapsim tree scenarios/defense_clause.toml
        trapsim tree scenarios/defense_clause.toml --draws 20000 --seed 1 --out tree.svg
        trapsim tree vietnam_analogy --at us_call
        trapsim tree my_dag.toml --compact     # shared nodes drawn once
    """
    with signals_held():  # matplotlib: only when needed, and never half-imported (trapsim._signals)
        from trapsim import figures

    sc = api.load(file)
    check_rationality(sc, solver, rationality)
    shares = draws is not None or seed is not None  # a run's shares: named as run names its tree
    stem = f"{sc.name}_tree" + ("" if shares else "_equilibrium") + (f"_{at}" if at else "")
    path, fmt = figure_file(out, fmt, stem)
    use_compact = at is None and bool(compact)
    if shares:
        result = simulate(sc, draws, seed, parse_sets(sets), solver, rationality, workers)
        panels = figures.plot_compact_panels(result) if use_compact else figures.plot_tree_panels(result, at=at)
    else:
        eq = api.solve(sc, values=parse_sets(sets), solver=solver, rationality=rationality)
        panels = (
            figures.plot_compact_panels(sc, equilibrium=eq)
            if use_compact
            else figures.plot_tree_panels(sc, equilibrium=eq, at=at)
        )
    for written in figures.save_panels(panels, path, fmt=fmt):
        click.echo(f"wrote {written}")


@main.command("graph")
@scenario_argument
@out_option("<scenario>_actors.png", file="ending in .png, .svg or .pdf", json=False)
@figure_format_option
@click.option(
    "--trap",
    default=None,
    metavar="ID",
    help="Draw each tie by how much of this trap depends on it (runs trapsim attribute; see its help).",
)
@draws_option()
@seed_option()
def graph_command(
    file: str, out: str | None, fmt: str | None, trap: str | None, draws: int | None, seed: int | None
) -> None:
    """Draw the actor graph: actors in their colours, relations styled by kind.

    With --trap, each relation that declares `absent` is drawn by the share of the
    trap's firings that depend on it (a Monte Carlo run; --draws and --seed as for run).

    \b
        trapsim graph scenarios/defense_clause.toml --out actors.pdf
        trapsim graph scenarios/defense_clause.toml --trap putin_trap --seed 1
    """
    with signals_held():
        from trapsim import figures

    sc = api.load(file)
    if trap is None:
        path, fmt = figure_file(out, fmt, f"{sc.name}_actors")
        click.echo(f"wrote {figures.save(figures.plot_actor_graph(sc), path, fmt=fmt)}")
        return
    if trap not in {t.id for t in sc.traps}:
        raise click.BadParameter(f"unknown trap {trap!r}; the scenario's traps: " + ", ".join(t.id for t in sc.traps))
    att = api.attribute(sc, draws=draws, seed=seed)
    path, fmt = figure_file(out, fmt, f"{sc.name}_attribution_{trap}")
    click.echo(f"wrote {figures.save(figures.plot_attribution_graph(att, trap), path, fmt=fmt)}")


@main.command("report")
@scenario_argument
@draws_option()
@seed_option()
@set_option
@solver_option
@rationality_option
@workers_option
@out_option(
    "<scenario>_report.html, or <scenario>_handout.pdf with --handout", file="ending in .html or .pdf", json=False
)
@click.option(
    "--handout",
    is_flag=True,
    help="Write a two-page A4 PDF instead: the headline answers and the game tree, then trap rates, "
    "outcomes, the actors and the scenario's discussion questions.",
)
@click.option(
    "--sensitivity",
    is_flag=True,
    help="Add a 'What drives each trap' section: Sobol' indices and PRIM boxes per trap "
    "(see trapsim sensitivity and trapsim discover; adds some seconds).",
)
def report_command(
    file: str,
    draws: int | None,
    seed: int | None,
    sets: Sequence[str],
    solver: str | None,
    rationality: float | None,
    workers: int | None,
    out: str | None,
    handout: bool,
    sensitivity: bool,
) -> None:
    """Run the scenario and write a one-file HTML report for a seminar handout.

    The page embeds every figure and needs no network: title, description and
    sources; the actor graph; the parameters with their justifications; the
    game tree; trap rates with their meaning; outcomes; payoffs; convergence;
    and the exact command to reproduce it. It prints well on A4.

    \b
        trapsim report scenarios/defense_clause.toml --draws 20000 --seed 1
        trapsim report scenarios/defense_clause.toml --sensitivity --out handout.html
        trapsim report scenarios/defense_clause.toml --handout
    """
    if handout and sensitivity:
        raise click.UsageError("--handout has no room for --sensitivity: use one or the other")
    sc = api.load(file)
    check_rationality(sc, solver, rationality)
    path = out_file(out, f"{sc.name}_handout", [".pdf"]) if handout else out_file(out, f"{sc.name}_report", [".html"])
    if sensitivity:  # refuse an unsupported scenario before the run, not after it
        api.check_supported(sc)
    res = simulate(sc, draws, seed, parse_sets(sets), solver, rationality, workers)
    if handout:
        pdf = api.handout(res, path, command=api.reproduce_command(res))
        click.echo(f"wrote {pdf} (2 A4 pages; {res.draws:,} draws, seed {res.seed})")
        return
    extra = [api.drivers_section(res)] if sensitivity else []
    ties = api.attribution_section(res)  # only when relations declare `absent`
    extra += [ties] if ties is not None else []
    command = api.reproduce_command(res) + (" --sensitivity" if sensitivity else "")
    page = api.report(res, command=command, extra_sections=extra, out_dir=Path(path).parent)
    click.echo(
        f"wrote {api.write_report(path, page)} ({len(page.encode()) / 1e6:.1f} MB; "
        f"{res.draws:,} draws, seed {res.seed})"
    )
