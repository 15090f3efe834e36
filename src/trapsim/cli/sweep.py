"""What-if commands: sweep (parameters on a grid) and compare (several scenario files)."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from trapsim import api
from trapsim.cli import complete_scenario, main, parse_sets, scenario_argument, set_option
from trapsim.cli._options import (
    Progress,
    check_rationality,
    draws_option,
    figure_format_option,
    json_option,
    no_figures_option,
    out_dir,
    out_option,
    rationality_option,
    seed_option,
    solver_option,
    workers_option,
)
from trapsim.output import json_text, write_text_atomic

if TYPE_CHECKING:  # the sweep machinery is imported when a sweep runs, not by every command
    from trapsim.api import SweepResult


def _parse_vary(texts: Sequence[str]) -> dict[str, tuple[float, ...]]:
    """``name=from:to:steps`` options into ``{name: grid values}``."""
    out: dict[str, tuple[float, ...]] = {}
    for text in texts:
        name, sep, spec = text.partition("=")
        name = name.strip()
        parts = spec.split(":")
        if not sep or not name or len(parts) != 3:
            raise click.BadParameter(f"expected name=from:to:steps, got {text!r}", param_hint="--vary")
        try:
            start, stop = float(parts[0]), float(parts[1])
            steps = int(parts[2])
        except ValueError:
            raise click.BadParameter(
                f"{name}: from and to must be numbers and steps a whole number, got {spec!r}", param_hint="--vary"
            ) from None
        if start == stop:
            raise click.BadParameter(f"{name}: need from != to, got {spec!r}", param_hint="--vary")
        if name in out:
            raise click.BadParameter(f"{name} is given twice", param_hint="--vary")
        try:
            out[name] = api.grid_values(start, stop, steps)
        except ValueError as exc:
            raise click.BadParameter(f"{name}: {exc}", param_hint="--vary") from None
    return out


@main.command()
@scenario_argument
@click.option(
    "--vary",
    "varies",
    multiple=True,
    metavar="NAME=FROM:TO:STEPS",
    help="Vary a parameter over STEPS evenly spaced values (once or twice for a 2-D grid), "
    "e.g. --vary china_stake=0:0.6:13.",
)
@click.option(
    "--sweep",
    "sweep_ids",
    multiple=True,
    metavar="ID",
    help="Run the scenario's [sweeps.ID] (repeatable) [default: every declared sweep].",
)
@draws_option("Draws per point [default: the sweep's, else the scenario's].")
@seed_option("Root seed, the same for every point [default: the scenario's, else random].")
@set_option
@solver_option
@rationality_option
@workers_option
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Run on a Dask cluster (tcp://host:8786), or 'local' to start one here; needs "
    "trapsim[dask]. Results do not depend on it.",
)
@json_option("Print the results as JSON.")
@out_option("CSV, JSON, figures and the checkpoint (with --json, the checkpoint only, removed at the end)")
@click.option("--resume", is_flag=True, help="Continue an interrupted sweep from its checkpoint.")
@no_figures_option
@figure_format_option
def sweep(
    file: str,
    varies: Sequence[str],
    sweep_ids: Sequence[str],
    draws: int | None,
    seed: int | None,
    sets: Sequence[str],
    solver: str | None,
    rationality: float | None,
    workers: int | None,
    scheduler: str | None,
    as_json: bool,
    out: str | None,
    resume: bool,
    no_figures: bool,
    fmt: str | None,
) -> None:
    """What if a parameter were fixed? Rerun the simulation over a grid of one or two parameters.

    Every point uses the same random draws (common random numbers), so curves
    are smooth, and a point equals `trapsim run FILE --set NAME=VALUE` with the
    same seed and draws. Writes, per sweep, OUT/<scenario>_<sweep>.csv (one row
    per point and trap), .json, and figures: lines with 95% bands for one
    parameter, one heatmap per trap for two.

    Finished points are kept in a checkpoint in OUT: after Ctrl-C or a crash,
    run the same command with --resume to continue.

    \b
        trapsim sweep scenarios/defense_clause.toml --vary china_stake=0:0.6:13 --seed 1
        trapsim sweep scenarios/defense_clause.toml --sweep clause_vs_china --draws 5000
        trapsim sweep scenarios/defense_clause.toml          # every declared [sweeps.*]
    """
    if varies and sweep_ids:
        raise click.UsageError("give --vary or --sweep, not both")
    sc = api.load(file)
    check_rationality(sc, solver, rationality)
    options: dict[str, Any] = dict(
        draws=draws,
        seed=seed,
        solver=solver,
        rationality=rationality,
        values=parse_sets(sets),
        workers=workers,
        scheduler=scheduler,
        resume=resume,
    )
    grids: list[Any] = [_parse_vary(varies)] if varies else list(sweep_ids) or [s.id for s in sc.sweeps]
    if not grids:
        grids = [None]  # the API explains that the scenario declares no sweeps
    where = out_dir(out)
    existed = where.exists()
    # SIGTERM arrives as KeyboardInterrupt (trapsim.cli treats it as Ctrl-C for every command)
    results = [_sweep_one(sc, grid, where, options) for grid in grids]
    written = [] if as_json and out is None else _write_sweeps(results, where, figures=not no_figures, fmt=fmt)
    for res in results:  # everything is written: the checkpoints are no longer needed
        if res.checkpoint is not None:
            res.checkpoint.unlink(missing_ok=True)
    if not existed and where.is_dir() and not any(where.iterdir()):
        where.rmdir()
    if as_json:
        docs = [res.to_dict() for res in results]
        click.echo(json_text(docs[0] if len(docs) == 1 else docs))
        return
    for res in results:
        _print_sweep(res)
    for path in written:
        click.echo(f"wrote {path}")


def _sweep_one(sc: api.Scenario, grid: Any, where: Path, options: dict[str, Any]) -> SweepResult:
    """One sweep with a progress bar, its checkpoint in ``where``; Ctrl-C says how to resume (exit 130)."""
    label = f"sweep {grid}" if isinstance(grid, str) else "sweep"
    bar = Progress(label, enabled=sys.stderr.isatty(), unit="points")
    try:
        return api.sweep(sc, grid, checkpoint_dir=where, keep_checkpoint=True, progress=bar.update_of, **options)
    except KeyboardInterrupt:
        bar.close()
        click.echo(
            f"interrupted: the finished points are kept in {where}/; run the same command with --resume to continue",
            err=True,
        )
        raise click.exceptions.Exit(130) from None
    finally:
        bar.close()


def _write_sweeps(results: Sequence[SweepResult], where: Path, *, figures: bool, fmt: str | None) -> list[Path]:
    """Per sweep: OUT/<scenario>_<sweep>.csv, .json and (unless ``figures`` is false) its figures."""
    written: list[Path] = []
    for res in results:
        stem = where / f"{res.scenario.name}_{res.id}"
        written.append(write_text_atomic(stem.with_suffix(".csv"), res.to_csv()))
        written.append(write_text_atomic(stem.with_suffix(".json"), res.to_json()))
        if figures:
            from trapsim.figures.sweeps import write_sweep_figures  # matplotlib: only when needed

            written.extend(write_sweep_figures(res, where, fmt=fmt or "png"))
    return written


def _sweep_cells(res: SweepResult, trap: str, conditional: bool) -> list[str]:
    """A one-parameter sweep's table cells for ``trap``: rate [95% interval], with n for a conditional trap."""
    rates, (lo, hi), given = res.rates(trap).ravel(), res.ci95(trap), res.given(trap).ravel()
    cells = []
    for r, a, b, g in zip(rates.tolist(), lo.ravel().tolist(), hi.ravel().tolist(), given.tolist(), strict=True):
        if math.isnan(r):
            cells.append("n/a (n = 0)" if conditional else "n/a")
            continue
        cells.append(f"{r:.1%} [{a:.1%}, {b:.1%}]" + (f" n = {g:,}" if conditional else ""))
    return cells


def _print_sweep(res: SweepResult) -> None:
    sc = res.scenario
    names = res.names
    grid = " by ".join(f"{n} ({len(v)} values, {v[0]:g} to {v[-1]:g})" for n, v in res.axes.items())
    fixed = "".join(f" · {k}={v:g}" for k, v in res.fixed.items())
    resumed = f" · {res.resumed} points resumed from a checkpoint" if res.resumed else ""
    seed_note = "" if res.seed_given else f" (random: --seed {res.seed} repeats this sweep)"
    click.echo(click.style(f"{sc.title}", bold=True) + f"  ({sc.name}, sweep {res.id})")
    click.echo(
        f"{grid}\n{res.draws:,} draws per point · seed {res.seed}{seed_note}{fixed} · "
        f"{len(res.points)} points in {res.elapsed_s:.1f} s ({res.backend}, {res.workers} "
        f"worker{'s' if res.workers != 1 else ''}){resumed}\n"
    )
    if not res.trap_ids:
        click.echo("  (the scenario defines no traps)\n")
        return
    conditional = {t.id for t in sc.traps if t.given is not None}
    if len(names) == 1:
        name = names[0]
        cells = {t: _sweep_cells(res, t, t in conditional) for t in res.trap_ids}
        widths = {t: max(len(t), *(len(c) for c in cells[t])) for t in res.trap_ids}
        click.echo(f"  {name:>14}  " + "  ".join(f"{t:>{widths[t]}}" for t in res.trap_ids))
        for i, v in enumerate(res.axes[name]):
            click.echo(f"  {v:>14g}  " + "  ".join(f"{cells[t][i]:>{widths[t]}}" for t in res.trap_ids))
        click.echo(
            "\n  each cell: the trap's rate [its 95% Wilson interval]"
            + ("; n: draws where a conditional trap's given held; n/a: it never held" if conditional else "")
        )
    else:
        (xn, xv), (yn, yv) = res.axes.items()
        width = max(len(t) for t in res.trap_ids)
        for t in res.trap_ids:
            r = res.rates(t).ravel().tolist()
            defined = [i for i, x in enumerate(r) if not math.isnan(x)]
            if not defined:
                click.echo(f"  {t:<{width}}  n/a at every point: its given never held")
                continue
            lo_at, hi_at = min(defined, key=r.__getitem__), max(defined, key=r.__getitem__)
            lo_i, hi_i = divmod(lo_at, len(yv)), divmod(hi_at, len(yv))
            lo, hi = r[lo_at], r[hi_at]
            cross = "crosses 50%" if lo < 0.5 < hi else "does not cross 50%"
            undefined = len(r) - len(defined)
            gap = f"; n/a at {undefined} of {len(r)} points (its given never held)" if undefined else ""
            click.echo(
                f"  {t:<{width}}  from {lo:7.2%} ({xn}={xv[lo_i[0]]:g}, {yn}={yv[lo_i[1]]:g}) "
                f"to {hi:7.2%} ({xn}={xv[hi_i[0]]:g}, {yn}={yv[hi_i[1]]:g}); {cross}{gap}"
            )
    click.echo("")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False), shell_complete=complete_scenario)
@draws_option("Draws per scenario [default: the first scenario's].")
@seed_option("Root seed, the same for every scenario [default: the first scenario's, else random].")
@set_option
@solver_option
@rationality_option
@workers_option
@json_option("Print the comparison as JSON.")
@out_option("the comparison JSON and figure")
@no_figures_option
@figure_format_option
def compare(
    files: Sequence[str],
    draws: int | None,
    seed: int | None,
    sets: Sequence[str],
    solver: str | None,
    rationality: float | None,
    workers: int | None,
    as_json: bool,
    out: str | None,
    no_figures: bool,
    fmt: str | None,
) -> None:
    """Compare the same traps across scenario files (the first is the baseline).

    Runs every scenario with the same seed and draws. Traps are matched by id;
    a trap a scenario lacks is shown as absent. For each scenario after the
    first: the difference in rate, its 95% interval, and a two-proportion test
    saying whether the difference is distinguishable from chance (p < 0.05).

    \b
        trapsim compare scenarios/defense_clause.toml scenarios/no_defense_clause.toml --seed 1
    """
    if len(files) < 2:
        raise click.UsageError("compare needs at least two scenario files")
    scenarios = [api.load(f) for f in files]
    for sc in scenarios:
        check_rationality(sc, solver, rationality)
    comp = api.compare(
        scenarios,
        draws=draws,
        seed=seed,
        solver=solver,
        rationality=rationality,
        values=parse_sets(sets),
        workers=workers,
    )
    if as_json and out is None:
        click.echo(comp.to_json())
        return
    from trapsim.figures.comparison import write_comparison  # matplotlib: only when needed

    written = write_comparison(comp, out_dir(out), fmt=fmt or "png", figure=not no_figures)
    if as_json:
        click.echo(comp.to_json())
        return
    _print_comparison(comp, written)


def _print_comparison(comp: Any, written: Sequence[Path]) -> None:
    first = comp.results[0]
    seed_note = "" if comp.seed_given else f" (random: --seed {first.seed} repeats this comparison)"
    click.echo(click.style("The same traps across scenarios", bold=True) + f"  (baseline: {comp.labels[0]})")
    click.echo(
        f"{first.draws:,} draws per scenario · seed {first.seed}{seed_note} · differences: "
        f"two-proportion z-test, distinguishable if p < {comp.alpha:g}\n"
    )
    width = max(len(lab) for lab in comp.labels)
    for t in comp.traps:
        click.echo(f"  {t} · {comp.titles[t]}")
        for k, (label, res) in enumerate(zip(comp.labels, comp.results, strict=True)):
            rate = comp.rate(t, k)
            if rate is None:
                missing = "n/a" if t in res.trap_counts else "absent"
                click.echo(f"    {label:<{width}}  {missing:>7}")
                continue
            lo, hi = res.ci95(t)
            ci = f"[{lo:.2%}, {hi:.2%}]"
            line = f"    {label:<{width}}  {rate:7.2%}  {ci:<18}"
            among = comp.given_count(t, k)
            if among is not None:
                line += f"  of {among:,} {res.scenario.trap(t).denominator()}"
            d = comp.difference(t, k)
            if k == 0:
                line += "  (baseline)"
            elif d is not None:
                p = "p < 0.001" if d.p_value < 0.001 else f"p = {d.p_value:.3f}"
                verdict = "distinguishable" if d.distinguishable else "not distinguishable"
                line += (
                    f"  {d.difference * 100:+.2f} pp [{d.ci95[0] * 100:+.2f}, {d.ci95[1] * 100:+.2f}]  {p}  {verdict}"
                )
            else:
                line += "  (absent from the baseline)"
            click.echo(line)
    click.echo("")
    for path in written:
        click.echo(f"wrote {path}")
