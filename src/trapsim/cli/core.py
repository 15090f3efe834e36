"""Core commands: validate, solve, run."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from trapsim import api
from trapsim._signals import signals_held
from trapsim.cli import complete_scenario, echo_error, main, parse_sets, scenario_argument, set_option
from trapsim.cli._options import (
    OutputPath,
    check_rationality,
    draws_option,
    figure_format_option,
    json_option,
    no_figures_option,
    out_dir,
    out_option,
    rationality_option,
    seed_option,
    simulate,
    solver_option,
    workers_option,
    world_option,
)
from trapsim.errors import ScenarioError
from trapsim.output import printable, write_text_atomic


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False), shell_complete=complete_scenario)
def validate(files: Sequence[str]) -> None:
    """Check scenario files and report every problem, one line each.

    Prints "FILE: ok" for a good file. Exits with status 2 if any file has a problem.

    \b
        trapsim validate scenarios/*.toml
    """
    bad = False
    for path in files:
        try:
            sc = api.load(path)
        except ScenarioError as exc:
            bad = True
            echo_error(exc)
            continue
        click.echo(f"{printable(path)}: ok ({sc.summary()})")
    if bad:
        sys.exit(2)


@main.command()
@scenario_argument
@set_option
@solver_option
@rationality_option
@json_option("Print the solution as JSON.")
@click.option("--all-spe", is_flag=True, help="List every subgame-perfect equilibrium when ties make it non-unique.")
@world_option
def solve(
    file: str,
    sets: Sequence[str],
    solver: str | None,
    rationality: float | None,
    as_json: bool,
    all_spe: bool,
    world: str | None,
) -> None:
    """Solve the game once, with every parameter at its central value.

    Shows the full strategy (the choice at every decision node, on and off the
    equilibrium path), each actor's expected payoff at the root, and the
    probability of each outcome. Use --set to solve at other values, and
    --all-spe to see every equilibrium that other tie-breaks would give.

    \b
        trapsim solve scenarios/defense_clause.toml
        trapsim solve scenarios/defense_clause.toml --set p_gain_annexed=0.3 --json
        trapsim solve scenarios/defense_clause.toml --world munitions_only
    """
    sc = api.load(file)
    check_rationality(sc, solver, rationality)
    if all_spe and world is not None:
        raise click.UsageError("--all-spe lists the equilibria of the real game; it cannot be combined with --world")
    if all_spe:
        from trapsim.cli.efg import print_all_spe

        if solver == "qre":
            raise click.UsageError(
                "--all-spe lists subgame-perfect equilibria; it cannot be combined with --solver qre"
            )
        print_all_spe(api.all_spe(sc, values=parse_sets(sets)), as_json=as_json)
        return
    eq = api.solve(sc, values=parse_sets(sets), solver=solver, rationality=rationality, world=world)
    if as_json:
        click.echo(eq.to_json())
        return
    _print_equilibrium(sc, eq, parse_sets(sets), world)


def _print_equilibrium(sc: api.Scenario, eq: api.Equilibrium, values: dict[str, float], world: str | None) -> None:
    """The strategy at every node, the payoffs at the root (and as perceived) and the outcomes' probabilities."""
    where = "central values" + "".join(f", {k}={v:g}" for k, v in values.items())
    click.echo(click.style(sc.title, bold=True) + f"  ({sc.name}, solver {eq.solver}, {where})")
    if world is not None:
        click.echo(f"In the world '{world}': {sc.world(world).describe()}")
    forced = dict(sc.world(world).force) if world is not None else {}
    click.echo("\nStrategy (choice at every decision node; * = on the equilibrium path)")
    width = max(len(n) for n in eq.strategy) if eq.strategy else 4
    for node, action in eq.strategy.items():
        mark = "*" if eq.reach.get(node, 0) > 0 else " "
        owner = sc.node(node).actor  # type: ignore[union-attr]
        extra = "" if eq.solver == "spe" else f"  (p = {eq.action_probabilities[node][action]:.2f})"
        tie = "  [tie: first listed action taken]" if node in eq.ties else ""
        lens = "  (as it sees the game)" if owner in eq.perceived else ""
        lens += "  [forced]" if sc.node(node).id in forced else ""
        click.echo(f"  {mark} {node:<{width}}  {owner:<10} {action}{extra}{tie}{lens}")
    click.echo("\nExpected payoffs at the root" + (" (as played, true values)" if eq.perceived else ""))
    for actor, v in eq.payoffs.items():
        click.echo(f"  {actor:<12} {v:+.4f}")
    for actor, seen in eq.perceived.items():
        diff = ", ".join(
            f"{k} = {v:.3g} (true {eq.values[k]:.3g})" for k, v in seen.values.items() if v != eq.values[k]
        )
        click.echo(
            f"\n{actor} sees {diff or 'the central values as they are'}; it expected "
            f"{eq.expected[actor]:+.4f} at the root (docs/misperception.md)"
        )
    click.echo("\nOutcome probabilities")
    for o, p in sorted(eq.outcome_probabilities.items(), key=lambda kv: -kv[1]):
        if p > 0:
            click.echo(f"  {o:<40} {p:7.2%}")


@main.command()
@scenario_argument
@draws_option()
@seed_option()
@solver_option
@rationality_option
@set_option
@workers_option
@json_option()
@out_option("the results JSON and figures")
@no_figures_option
@figure_format_option
@click.option(
    "--priors",
    type=click.Path(dir_okay=False),
    default=None,
    help="Judgements CSV of a classroom poll: run under the class's pooled priors.",
)
@click.option(
    "--per-draw",
    "per_draw",
    type=OutputPath(),  # checked by api.per_draw: one line, exit 2
    default=None,
    help="Also write one row per draw to this file: CSV, or Parquet if it ends in .parquet "
    "(pip install 'trapsim[parquet]'). Written chunk by chunk and atomically; see docs/scenario-format.md.",
)
def run(
    file: str,
    draws: int | None,
    seed: int | None,
    solver: str | None,
    rationality: float | None,
    sets: Sequence[str],
    workers: int | None,
    as_json: bool,
    out: str | None,
    no_figures: bool,
    fmt: str | None,
    priors: str | None,
    per_draw: str | None,
) -> None:
    """Sample the uncertainty, solve every draw, and report how often each trap fires.

    Writes OUT/<scenario>.json and four figures, OUT/<scenario>_traps.png,
    _outcomes.png, _tree.png and _convergence.png (--format svg or pdf for
    other formats), and prints a table of trap rates with 95% Wilson intervals, the most
    frequent outcomes and mean payoffs.

    \b
        trapsim run scenarios/defense_clause.toml
        trapsim run scenarios/defense_clause.toml --draws 1000000 --seed 1 --set need_peace=0.3
        trapsim run scenarios/defense_clause.toml --json > results.json
        trapsim run scenarios/defense_clause.toml --priors poll/judgements.csv
        trapsim run defense_clause --draws 1000000 --seed 1 --per-draw draws.parquet
    """
    sc = api.load(file)
    check_rationality(sc, solver, rationality)
    if priors:
        sc = api.with_pooled_priors(sc, priors)
    figures_wanted = not no_figures and not (out is None and as_json)
    res = simulate(
        sc, draws, seed, parse_sets(sets), solver, rationality, workers, as_json=as_json, per_draw=per_draw,
        meanwhile="trapsim.figures" if figures_wanted else None,
    )  # fmt: skip
    written: list[Path] = [Path(per_draw)] if per_draw else []
    if out is None and as_json:
        click.echo(res.to_json())
        return
    where = out_dir(out)
    written.append(write_text_atomic(where / f"{sc.name}.json", res.to_json()))
    if not no_figures:
        with signals_held():  # matplotlib: only when needed, and never half-imported (trapsim._signals)
            from trapsim import figures

        written.extend(figures.write_run_figures(res, where, fmt=fmt or "png"))
    if as_json:
        click.echo(res.to_json())
        return
    _print_run(res, written)


def _trap_cell(res: Any, trap: Any) -> str:
    """``rate  [lo, hi]`` and, for a conditional trap, the denominator in words."""
    rate, ci = res.rate(trap.id), res.ci95(trap.id)
    cell = f"{'n/a':>7}  {'':<18}" if rate is None else f"{rate:7.2%}  [{ci[0]:.2%}, {ci[1]:.2%}]"
    if trap.given is None:
        return cell
    share = res.given_count(trap.id) / res.draws
    return f"{cell}  of the {share:.2%} of {trap.denominator()}"


def _print_run(res: Any, written: Sequence[Path]) -> None:
    sc = res.scenario
    click.echo(click.style(sc.title, bold=True) + f"  ({sc.name})")
    seed_note = "" if res.seed_given else f" (random: --seed {res.seed} repeats this run)"
    fixed = res.settings_text(equals="=")
    click.echo(
        f"{res.draws:,} draws · seed {res.seed}{seed_note} · solver {res.solver}{fixed} · {res.elapsed_s:.2f} s\n"
    )
    if sc.traps:
        tw = max(len(t.id) for t in sc.traps)
        ti = max(len(t.title) for t in sc.traps)
        click.echo(f"  {'trap':<{tw}}  {'title':<{ti}}  {'rate':>7}  95% CI")
        for t in sc.traps:
            click.echo(f"  {t.id:<{tw}}  {t.title:<{ti}}  {_trap_cell(res, t)}")
    else:
        click.echo("  (the scenario defines no traps)")
    for t in sc.traps:
        ci = res.ci95(t.id)  # None: a conditional trap whose given never held (warned about below)
        if res.trap_counts[t.id] == 0 and ci is not None:
            among = f"{res.draws:,} draws" if t.given is None else f"the {res.given_count(t.id):,} {t.denominator()}"
            click.echo(
                f"note: {t.id} never fired in {among} (rate below {ci[1]:.2%} at 95%); "
                "if it should, check its condition with trapsim explain",
                err=True,
            )
    click.echo("\nMost frequent outcomes")
    ranked = sorted(res.outcome_counts.items(), key=lambda kv: -kv[1])
    for o, c in ranked[:8]:
        if c:
            click.echo(f"  {o:<44} {c / res.draws:7.2%}")
    rest = sum(c for _, c in ranked[8:])
    if rest:
        click.echo(f"  {'(other outcomes)':<44} {rest / res.draws:7.2%}")
    click.echo("\nMean payoff per actor (± sd)")
    for a in sc.actor_ids:
        click.echo(f"  {a:<12} {res.payoff_mean[a]:+.3f} ± {res.payoff_sd[a]:.3f}")
    if res.misperception:
        names = {x.id: x.name for x in sc.actors}
        click.echo("\nMisperception changed the outcome (share of draws; docs/misperception.md)")
        for a, count in res.misperception.items():
            click.echo(f"  {names[a] + ' (' + a + ')':<30} {count / res.draws:7.2%}")
    for tid in res.undefined_traps():
        click.echo(
            f"\nwarning: trap '{tid}': its given never held in this run "
            f"({res.scenario.trap(tid).denominator()}: none), so its rate is n/a",
            err=True,
        )
    warning = ties_warning(res)
    if warning:
        click.echo(f"\n{warning}", err=True)
    click.echo("")
    for path in written:
        click.echo(f"wrote {path}")


#: Nodes named in the ties warning; the rest are counted (all are in the JSON result's ``ties``).
TIES_NAMED = 5


def ties_warning(res: api.Result) -> str | None:
    """One short line when ties decided the realised path in more than 1% of draws, else None.

    The nodes are named most frequent first, at most :data:`TIES_NAMED` of them
    (a large tree once made this one line of 40 KB); the rest are counted.
    """
    share = res.tie_anywhere_count / res.draws
    if share <= 0.01:
        return None
    tied = sorted(((c, k) for k, c in res.tie_path_counts.items() if c), key=lambda ck: -ck[0])
    nodes = ", ".join(f"{k} ({c / res.draws:.1%})" for c, k in tied[:TIES_NAMED])
    if len(tied) > TIES_NAMED:
        nodes = (
            f"{len(tied)} nodes, most often {nodes} and {len(tied) - TIES_NAMED} more "
            "(all in `ties` of the JSON result, or --json)"
        )
    return f"warning: ties on the realised path in {share:.1%} of draws, at {nodes}; the first listed action was taken"
