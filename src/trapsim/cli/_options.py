"""Options and helpers shared by the command modules, declared once.

Each option is a click decorator; a factory where the help must say what the
command does with it (``--out``, ``--seed``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

FIGURE_FORMATS = ("png", "svg", "pdf")

_Decorator = Callable[[Callable[..., None]], Callable[..., None]]

solver_option = click.option(
    "--solver",
    type=click.Choice(["spe", "qre"]),
    default=None,
    help="spe: subgame-perfect (default); qre: agent logit quantal response.",
)
rationality_option = click.option("--rationality", type=float, default=None, help="Logit precision for --solver qre.")
no_figures_option = click.option("--no-figures", is_flag=True, help="Write no figures.")
figure_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FIGURE_FORMATS),
    default="png",
    show_default=True,
    help="Figure file format.",
)
draws_option = click.option(
    "--draws",
    type=click.IntRange(min=1),
    default=None,
    help="Monte Carlo draws [default: the scenario's, else 10000].",
)
workers_option = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes to use; results do not depend on it.",
)


def seed_option(
    help: str = "Root seed; same seed, same results [default: the scenario's, else random].",
) -> _Decorator:
    """``--seed`` (a whole number >= 0, default ``None``) with this help text."""
    return click.option("--seed", type=click.IntRange(min=0), default=None, help=help)


def json_option(
    help: str = "Print the results as one JSON object.",
) -> _Decorator:
    """``--json`` (stored as ``as_json``) with this help text."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def out_dir_option(what: str, with_json: str = "nothing is written unless --out is given") -> _Decorator:
    """``--out`` (stored as ``out_dir``): the directory for ``what``, default ``trapsim-out``."""
    return click.option(
        "--out",
        "out_dir",
        type=click.Path(file_okay=False),
        default=None,
        help=f"Directory for {what} [default: trapsim-out; with --json, {with_json}].",
    )


def progress_bar(label: str, total: int, enabled: bool) -> tuple[Callable[[int], None] | None, Callable[[], None]]:
    """A progress bar on stderr, only when ``enabled``: ``(update, close)``.

    ``update`` is ``None`` when disabled, so it can be passed straight on as an
    API function's ``progress`` argument; ``close`` is always callable.
    """
    if not enabled:
        return None, lambda: None
    bar = click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True, show_percent=True)
    bar.__enter__()
    return bar.update, lambda: bar.__exit__(None, None, None)


def show_progress(total: int, threshold: int, *, as_json: bool = False) -> bool:
    """Whether to show a progress bar: stderr is a terminal, not --json, ``total >= threshold``."""
    return not as_json and sys.stderr.isatty() and total >= threshold
