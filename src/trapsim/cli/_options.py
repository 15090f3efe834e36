"""Options and helpers shared by the command modules, declared once.

Each option is a click decorator; a factory where the help must say what the
command does with it (``--out``, ``--seed``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from trapsim.api import Result, Scenario

FIGURE_FORMATS = ("png", "svg", "pdf")

_Decorator = Callable[[Callable[..., None]], Callable[..., None]]

solver_option = click.option(
    "--solver",
    type=click.Choice(["spe", "qre"]),
    default=None,
    help="spe: subgame-perfect (default); qre: agent logit quantal response.",
)
rationality_option = click.option(
    "--rationality",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Logit precision of --solver qre [default: the scenario's, else 10]; refused with spe.",
)
world_option = click.option(
    "--world",
    metavar="ID",
    default=None,
    help="Solve the game of this counterfactual world ([worlds.ID]) instead of the real one.",
)
no_figures_option = click.option("--no-figures", is_flag=True, help="Write no figures.")
figure_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FIGURE_FORMATS),
    default=None,
    help="Figure format [default: png, or the extension of --out when it names the file].",
)


def draws_option(
    help: str = "Monte Carlo draws [default: the scenario's, else 10000].", minimum: int = 1
) -> _Decorator:
    """``--draws`` (a whole number, default ``None``: the command's own default) with this help text."""
    return click.option("--draws", type=click.IntRange(min=minimum), default=None, help=help)


workers_option = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help=(
        "Processes [default: every core from 100,000 draws in all on Linux, where workers are forked "
        "copies of this process; from a million elsewhere; else 1]. Results do not depend on it."
    ),
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


# One rule for --out in every command that writes files: output goes into a directory,
# trapsim-out/ unless --out names another; a command that writes a single file also takes
# that file's own path (recognised by its extension). With --json, stdout gets the JSON and
# nothing is written unless --out is given.
DEFAULT_OUT = "trapsim-out"


class OutputPath(click.Path):
    """A path the command writes. A value that starts with ``-`` is an option taken as the path
    because the path itself was forgotten (``--per-draw --no-figures``): refused, nothing written."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value.startswith("-"):
            flag = param.opts[0] if param is not None and param.opts else "this option"
            self.fail(f"'{value}' is an option, not a file name: give the file name right after {flag}", param, ctx)
        return super().convert(value, param, ctx)


def out_option(what: str, *, file: str | None = None, json: bool = True) -> _Decorator:
    """``--out`` (stored as ``out``): the directory for ``what``; ``file`` describes a file path it may be."""
    text = f"Directory for {what} [default: {DEFAULT_OUT}]"
    if file:
        text += f", or the file itself ({file})"
    if json:
        text += "; with --json nothing is written unless --out is given"
    return click.option("--out", "out", type=OutputPath(), default=None, metavar="PATH", help=text + ".")


def out_dir(out: str | None) -> Path:
    """The output directory: ``--out``, else ``trapsim-out``."""
    return Path(out or DEFAULT_OUT)


def out_file(out: str | None, stem: str, suffixes: Sequence[str]) -> Path:
    """The output file of a one-file command: ``--out`` when it ends in one of ``suffixes``
    (e.g. ``.png``), else ``<out dir>/<stem><first suffix>``.

    ``--out`` with another extension is refused: a directory has none.
    """
    if out is not None:
        suffix = Path(out).suffix.lower()
        if suffix in suffixes:
            return Path(out)
        if suffix:
            raise click.BadParameter(
                f"'{out}': a file name must end in {_one_of(sorted(suffixes))}; a directory has no extension",
                param_hint="--out",
            )
    return out_dir(out) / f"{stem}{suffixes[0]}"


def _one_of(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def figure_file(out: str | None, fmt: str | None, stem: str) -> tuple[Path, str]:
    """Where to write a one-figure command's figure and in which format (``--out`` and ``--format`` agree)."""
    suffixes = [f".{f}" for f in FIGURE_FORMATS]
    if fmt:  # the asked format first, so that a directory gets <stem>.<fmt>
        suffixes.sort(key=lambda s: s != f".{fmt}")
    path = out_file(out, stem, suffixes)
    if fmt and path.suffix.lower() != f".{fmt}":
        raise click.BadParameter(f"'{out}' does not end in .{fmt}", param_hint="--out")
    return path, path.suffix.lower().lstrip(".")


def check_rationality(scenario: Scenario, solver: str | None, rationality: float | None) -> None:
    """Refuse ``--rationality`` when the solver used is not ``qre`` (it would be silently ignored)."""
    used = solver or scenario.simulation.solver
    if rationality is not None and used != "qre":
        raise click.UsageError(
            f"--rationality is the precision of --solver qre, but this run uses {used}; "
            "add --solver qre or drop --rationality"
        )


class Progress:
    """The command line's one progress bar: on stderr, only when ``enabled``; ETA and rate.

    ``update(k)`` is what an API function's ``progress`` callback gets (``k``
    more done); ``update_of(k, todo)`` the sweep's, whose total is known at the
    first call. ``close()`` is safe to call whether or not a bar was shown.
    """

    def __init__(self, label: str, total: int | None = None, *, enabled: bool, unit: str = "draws") -> None:
        self.label, self.total, self.enabled, self.unit = label, total, enabled, unit
        self._bar: Any = None
        self._start = 0.0
        self._done = 0

    @property
    def callback(self) -> Callable[[int], None] | None:
        """:meth:`update` when enabled, else ``None`` (so the API skips progress work entirely)."""
        return self.update if self.enabled else None

    def update(self, k: int) -> None:
        if not self.enabled or not self.total:
            return
        if self._bar is None:
            self._bar = click.progressbar(
                length=self.total,
                label=self.label,
                file=sys.stderr,
                show_eta=True,
                show_percent=True,
                item_show_func=lambda s: s,
            )
            self._bar.__enter__()
            self._start = time.perf_counter()
        self._done += k
        rate = self._done / max(time.perf_counter() - self._start, 1e-9)
        self._bar.update(k, f"{rate:,.1f} {self.unit}/s")

    def update_of(self, k: int, todo: int) -> None:
        if self.total is None:
            self.total = todo
        self.update(k)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def progress_bar(label: str, total: int, enabled: bool) -> tuple[Callable[[int], None] | None, Callable[[], None]]:
    """A :class:`Progress` as ``(update, close)``: ``update`` is ``None`` when disabled, so it can be
    passed straight on as an API function's ``progress`` argument."""
    bar = Progress(label, total, enabled=enabled)
    return bar.callback, bar.close


def simulate(
    sc: Scenario,
    draws: int | None,
    seed: int | None,
    values: Mapping[str, float],
    solver: str | None = None,
    rationality: float | None = None,
    workers: int | None = None,
    *,
    as_json: bool = False,
    per_draw: str | None = None,
    meanwhile: str | None = None,
) -> Result:
    """:func:`trapsim.api.simulate` (:func:`trapsim.api.per_draw` when ``per_draw`` names a file),
    with a progress bar on a terminal for runs of 50,000 draws or more.

    ``meanwhile``: a module to import while worker processes draw (when the run has some), for
    what comes after the run (``trapsim.figures``: 0.2 s of importing matplotlib).
    """
    from trapsim import api
    from trapsim._signals import ImportMeanwhile
    from trapsim.api._checks import default_workers

    n = draws or sc.simulation.draws
    bar = Progress("draws", n, enabled=show_progress(n, 50_000, as_json=as_json))
    progress = bar.callback
    importer = None
    if meanwhile is not None and default_workers(workers, n) > 1:
        importer = ImportMeanwhile(meanwhile)
        shown = progress

        def progress(k: int) -> None:  # the workers run (k = 0 then), none is forked any more
            importer.start()  # type: ignore[union-attr]
            if shown is not None:
                shown(k)

    options: dict[str, Any] = dict(
        draws=draws, seed=seed, solver=solver, rationality=rationality, values=values, workers=workers
    )
    try:
        if per_draw is not None:
            return api.per_draw(sc, per_draw, progress=progress, **options)
        return api.simulate(sc, progress=progress, **options)
    finally:
        bar.close()
        if importer is not None:
            importer.join()


def show_progress(total: int, threshold: int, *, as_json: bool = False) -> bool:
    """Whether to show a progress bar: stderr is a terminal, not --json, ``total >= threshold``."""
    return not as_json and sys.stderr.isatty() and total >= threshold
