"""Gambit interchange: ``trapsim export``, and the ``solve --all-spe`` listing."""

from __future__ import annotations

from collections.abc import Sequence

import click

from trapsim import api
from trapsim.cli import main, parse_sets, scenario_argument, set_option
from trapsim.cli._options import OutputPath
from trapsim.output import json_text, write_text_atomic


@main.command()
@scenario_argument
@click.option(
    "--efg",
    "efg_out",
    type=OutputPath(dir_okay=False),
    default=None,
    help="Write the game as a Gambit .efg file (parameters at central values or --set).",
)
@click.option(
    "--toml",
    "toml_out",
    type=OutputPath(dir_okay=False),
    default=None,
    help="Write a starting scenario TOML (FILE must be an .efg file).",
)
@set_option
def export(file: str, efg_out: str | None, toml_out: str | None, sets: Sequence[str]) -> None:
    """Convert between trapsim scenarios and Gambit's .efg format.

    \b
        trapsim export scenarios/defense_clause.toml --efg defense.efg
        trapsim export game.efg --toml game.toml

    --efg writes the game with every parameter at its central value (or as
    given with --set): exact chance probabilities summing to 1, unique node
    labels, one information set per decision node, so Gambit's GUI and tools
    open it. --toml turns an .efg file into a scenario you can then give
    uncertain parameters and traps.
    """
    if not efg_out and not toml_out:
        raise click.UsageError("nothing to do: give --efg OUT.efg and/or --toml OUT.toml")
    if toml_out and not file.lower().endswith(".efg"):
        raise click.UsageError(f"--toml converts a Gambit .efg file; {file} is not one (it already is a scenario)")
    values = parse_sets(sets)
    if toml_out and values:  # checked first: a usage error writes nothing
        raise click.UsageError("--set has no effect with --toml (an .efg file has no parameters)")
    written = []
    if efg_out:
        sc = api.load(file)
        if sc.beliefs:
            click.echo(
                "warning: a Gambit game has no [beliefs]; the exported game is the true one "
                f"(beliefs of {', '.join(sc.beliefs)} left out)",
                err=True,
            )
        written.append(write_text_atomic(efg_out, api.to_efg(sc, values=values)))
    if toml_out:
        written.append(write_text_atomic(toml_out, api.efg_to_toml(file)))
    for path in written:
        click.echo(f"wrote {path}")


def print_all_spe(result: api.AllSPE, *, as_json: bool) -> None:
    """Show every subgame-perfect equilibrium (``trapsim solve --all-spe``)."""
    import textwrap

    if as_json:
        click.echo(json_text(result.to_dict()))
        return
    sc = result.scenario
    n = len(result.profiles)
    central = api.central_values(sc)
    fixed = [f"{k}={v:g}" for k, v in result.values.items() if central.get(k) != v]
    where = ", ".join(fixed) + ", other values central" if fixed else "central values"
    click.echo(click.style(sc.title, bold=True) + f"  ({sc.name}, {where})")
    if n == 1 and result.complete:
        click.echo("\nThe subgame-perfect equilibrium is unique: no owner of a decision is ever indifferent.")
    else:
        click.echo(
            f"\n{n} subgame-perfect equilibria."
            if result.complete
            else f"\nMore than {result.limit} subgame-perfect equilibria; the first {n} are listed."
        )
        click.echo(
            textwrap.fill(
                f"Ties (an owner indifferent between best actions) at {', '.join(result.tie_nodes)}. "
                "Equilibrium 1 takes the first listed action at every tie: it is the one `solve` and "
                "`run` report; the others break ties differently, and a choice above a tie can "
                "change with it.",
                96,
            )
        )
    first = result.profiles[0]
    for k, prof in enumerate(result.profiles, start=1):
        click.echo(f"\nEquilibrium {k}")
        if k > 1:
            diff = [
                f"{node}: {a} (not {first.strategy[node]})"
                for node, a in prof.strategy.items()
                if a != first.strategy[node]
            ]
            click.echo(textwrap.fill("; ".join(diff), 96, initial_indent="  differs at   ", subsequent_indent=" " * 15))
        else:
            text = ", ".join(f"{node}={a}" for node, a in prof.strategy.items())
            click.echo(textwrap.fill(text, 96, initial_indent="  strategy     ", subsequent_indent=" " * 15))
        click.echo("  payoffs      " + ", ".join(f"{a} {v:+.4g}" for a, v in prof.payoffs.items()))
        shown = sorted(((o, p) for o, p in prof.outcome_probabilities.items() if p > 0), key=lambda kv: -kv[1])
        click.echo(
            "  outcomes     " + ", ".join(f"{o} {p:.0%}" for o, p in shown[:6]) + (", ..." if len(shown) > 6 else "")
        )
    if not result.complete:
        click.echo(f"\n(listing stopped at {result.limit} equilibria; there are more)")
