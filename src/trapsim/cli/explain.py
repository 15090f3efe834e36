"""``trapsim explain``: the solved game told in plain English."""

from __future__ import annotations

from collections.abc import Sequence

import click

from trapsim import api
from trapsim.cli import main, parse_sets, scenario_argument, set_option
from trapsim.cli._options import check_rationality, json_option, rationality_option, solver_option, world_option


@main.command("explain")
@scenario_argument
@set_option
@solver_option
@rationality_option
@click.option("--width", type=click.IntRange(min=40), default=100, show_default=True, help="Wrap lines at this width.")
@click.option(
    "--at",
    "at",
    metavar="NODE",
    default=None,
    help="Explain the game from this node on, as if it were reached (e.g. after a Ukrainian gain).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Tell everything off the path: every action not taken, and every branch below it "
    "(by default, deeper parts get one line each). --json always tells everything.",
)
@json_option("Print the explanation (text and data) as JSON.")
@world_option
def explain_command(
    file: str,
    sets: Sequence[str],
    solver: str | None,
    rationality: float | None,
    width: int,
    at: str | None,
    full: bool,
    as_json: bool,
    world: str | None,
) -> None:
    """Tell the solved game (central values, as `solve`) as a short story.

    Node by node along the equilibrium path with the numbers behind each
    choice (each alternative's value split into terms that add up to it, and
    a flag where a choice is narrow), then the choices off the path that
    support it ("had Ukraine chosen push, ..."), then which traps fire on the
    most likely path and every path on which each trap fires. Use --set to
    explain the game at other values, --at to start from a node, --world ID to explain
    a counterfactual world's game.

    Off the path, each action not taken is told down to its first decisions;
    deeper parts get one line each: the decisions in them and the ending they
    most likely lead to.
    --full tells the whole unfolded tree (long: ~860 lines for
    defense_clause); --json always holds everything.

    \b
        trapsim explain scenarios/defense_clause.toml
        trapsim explain scenarios/defense_clause.toml --full
        trapsim explain scenarios/defense_clause.toml --at russia_call --json
        trapsim explain scenarios/defense_clause.toml --world munitions_only
    """
    sc = api.load(file)
    check_rationality(sc, solver, rationality)
    ex = api.explain(
        sc, values=parse_sets(sets), solver=solver, rationality=rationality, at=at, world=world, full=full or as_json
    )
    if as_json:
        click.echo(ex.to_json())
        return
    click.echo(ex.text(width=width), nl=False)
