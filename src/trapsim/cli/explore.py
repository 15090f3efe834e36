"""``trapsim explore``: the live explorer (and classroom poll) in the browser."""

from __future__ import annotations

import importlib
import webbrowser
from pathlib import Path

import click

from trapsim.cli import main, scenario_argument
from trapsim.cli._options import OutputPath


@main.command()
@scenario_argument
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port to listen on [default: a free one].")
@click.option("--no-browser", is_flag=True, help="Only print the address; do not open a browser.")
@click.option(
    "--classroom",
    is_flag=True,
    help="Also run a poll of the students' priors (listens on every interface; see [classroom]).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    default=None,
    help="The poll's SQLite file; an existing one resumes its poll [default: trapsim-out/<scenario>_classroom.sqlite].",
)
@click.option(
    "--export",
    "export_dir",
    type=OutputPath(file_okay=False),
    default=None,
    metavar="DIR",
    help="With --classroom: write the poll's judgements.csv and figures into DIR and exit.",
)
def explore(file: str, port: int, no_browser: bool, classroom: bool, db: str | None, export_dir: str | None) -> None:
    """Explore a scenario live in the browser: sliders, solver, trap rates, tree.

    Serves on 127.0.0.1 (Ctrl-C stops it). With --classroom, students join from
    their phones with a code and give their judgements of the parameters the
    scenario's [classroom] table names; the presenter's page (its address carries
    a token printed here) shows the trap rates under every student's priors and
    under the class's pooled priors, live.

    \b
        trapsim explore scenarios/defense_clause.toml
        trapsim explore scenarios/defense_clause.toml --classroom --db seminar.sqlite
        trapsim explore scenarios/defense_clause.toml --classroom --db seminar.sqlite --export poll/
    """
    # The web layer is a leaf beside the CLI: nothing imports it (pyproject's import-linter
    # contracts); this command loads it by name, as a plugin, only when it runs.
    web = importlib.import_module("trapsim.web")
    if export_dir and not classroom:
        raise click.UsageError("--export writes a classroom poll; add --classroom")
    if export_dir and not (db and Path(db).is_file()):
        raise click.UsageError("--export writes the poll stored in --db FILE: name an existing poll database")
    app = web.build(file, port=port, classroom=classroom, db=db, export_dir=export_dir)
    if export_dir:
        try:
            for path in app.poll.export(export_dir):  # type: ignore[union-attr]
                click.echo(f"wrote {path}")
        finally:
            app.stop()
        return
    click.echo(f"trapsim explore: {app.url}  (Ctrl-C stops it)")
    if app.poll is not None:
        click.echo(f"students join at {app.join_url}  (join code {app.poll.store.join_code})")
        click.echo(f"presenter: {app.presenter_url}")
        click.echo(f"poll stored in {app.poll.store.path}")
    if not no_browser:
        webbrowser.open(app.presenter_url if app.poll is not None else app.url)
    try:
        app.server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        app.stop()
