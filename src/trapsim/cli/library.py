"""The bundled scenarios: ``trapsim list`` and ``trapsim init``."""

from __future__ import annotations

from pathlib import Path

import click

from trapsim import api
from trapsim.cli import main
from trapsim.cli._options import OutputPath
from trapsim.output import write_text_atomic


@main.command("list")
@click.option("--paths", is_flag=True, help="Show where each file is instead of its title.")
def list_command(paths: bool) -> None:
    """List the bundled scenarios, one line each.

    Any command that takes a scenario file also takes a bundled scenario's
    name, from any directory (a file of that name in the current directory
    comes first).

    \b
        trapsim list
        trapsim run defense_clause --seed 1
        trapsim validate $(trapsim list --paths | cut -f2)
    """
    entries = api.library()
    width = max((len(e.name) for e in entries), default=0)
    for e in entries:
        click.echo(f"{e.name}\t{e.path}" if paths else f"  {e.name:<{width}}  {e.title}")


@main.command("init")
@click.argument("name")
@click.option(
    "--out",
    type=OutputPath(dir_okay=False),
    default=None,
    help="Write the scenario here [default: NAME.toml in the current directory].",
)
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
def init_command(name: str, out: str | None, force: bool) -> None:
    """Write a commented starting scenario NAME.toml to edit into your own.

    A small two-actor crisis (a decision, an answer, a chance node, two traps
    and a sweep), every line commented; it validates and runs as it is.

    \b
        trapsim init my_crisis
        trapsim run my_crisis.toml
    """
    name = name.removesuffix(".toml")
    text = api.starter_scenario(name)  # refuses a name that is not an id
    path = Path(out or f"{name}.toml")
    if path.exists() and not force:
        raise click.UsageError(f"{path} exists; pass --force to overwrite it")
    click.echo(f"wrote {write_text_atomic(path, text)}")
    click.echo(f"next: trapsim validate {path} && trapsim run {path}")
