"""The ``trapsim`` command line: parse, call one API function, print or write.

This is the only module that turns errors into messages and exit codes:
bad input exits with status 2, an unexpected internal failure with 1.
"""

from __future__ import annotations

import atexit
import importlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from typing import Any

import click
from click.shell_completion import CompletionItem

from trapsim import __version__
from trapsim._blas import one_blas_thread
from trapsim.errors import ArgumentError, TrapsimError
from trapsim.output import inputs_protected, printable

__all__ = [
    "COMMAND_MODULES",
    "complete_scenario",
    "echo_error",
    "load_commands",
    "main",
    "parse_sets",
    "scenario_argument",
    "set_option",
]

#: The module of trapsim.cli that defines each command (it registers itself on `main`). A command's
#: module is imported when the command runs, and all of them for --help, shell completion or a
#: misspelt name, so `trapsim run` does not load the code of sweeps, analyses or the explorer.
COMMAND_MODULES = {
    "validate": "core",
    "solve": "core",
    "run": "core",
    "sensitivity": "analysis",
    "discover": "analysis",
    "attribute": "attribution",
    "export": "efg",
    "explain": "explain",
    "explore": "explore",
    "tree": "figures",
    "graph": "figures",
    "report": "figures",
    "list": "library",
    "init": "library",
    "sweep": "sweep",
    "compare": "sweep",
}


#: The command-line option behind each API argument, for :class:`ArgumentError` messages.
FLAGS = {
    "values": "--set",
    "grid": "--vary",
    "sweep": "--sweep",
    "draws": "--draws",
    "seed": "--seed",
    "solver": "--solver",
    "rationality": "--rationality",
    "workers": "--workers",
    "samples": "--draws",  # sensitivity's base samples (--samples is its hidden old name)
    "scheduler": "--scheduler",
    "path": "--per-draw",
}


def echo_error(exc: TrapsimError) -> None:
    """The one printer of trapsim errors: ``error: <line>`` per problem, control characters escaped."""
    lines = exc.lines(FLAGS) if isinstance(exc, ArgumentError) else exc.lines()
    for line in lines:
        click.echo(f"error: {printable(line)}", err=True)


class _Interrupts:
    """Whether Ctrl-C or SIGTERM reached the command (see :func:`terminate_as_interrupt`)."""

    received = False


@contextmanager
def terminate_as_interrupt(seen: _Interrupts) -> Iterator[None]:
    """Treat SIGTERM (a job scheduler, `kill`) like Ctrl-C: checkpoints are saved, partial files
    removed, worker processes ended, and the command exits with status 130.

    Both signals are also recorded in ``seen``: Python drops a KeyboardInterrupt raised inside a
    finaliser (a weakref callback of matplotlib's, say: "Exception ignored"), and the half-done
    work may then fail in a way that looks like a bug (seen: "Invalid bounding box" from a figure
    interrupted mid-layout, 1 run in 300); such a failure is reported as the interruption it is.
    """

    def interrupt(signum: int, frame: Any) -> None:
        seen.received = True
        raise KeyboardInterrupt

    try:
        previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _exit_at_once(exc: SystemExit) -> None:
    """End the process now with ``exc``'s status, without the interpreter's teardown; or return.

    Freeing every module and object at the end takes ~0.1 s once matplotlib is
    loaded (a tenth of `trapsim run`), and nothing of it is needed: every file a
    command writes is closed (written atomically) by then. The registered exit
    functions still run (logging, finalizers, a Dask client) and the standard
    streams are flushed first. Returns (the usual exit follows) when the status
    is not a number, when another non-daemon thread runs (the usual exit waits
    for it), or when the flush fails or is interrupted (an exit function's own
    error is printed and passed over, as at the usual exit).
    """
    code = 0 if exc.code is None else exc.code
    if not isinstance(code, int):
        return
    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon and t.is_alive() for t in threading.enumerate()):
        return
    try:
        atexit._run_exitfuncs()  # each runs once: the list is cleared after
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # e.g. a reader that left (BrokenPipeError), or Ctrl-C: the usual exit
        return
    os._exit(code)


class _Group(click.Group):
    """Turns trapsim errors into one-line messages and exit codes; loads a command's module when it is used."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """:meth:`main`; as the program (``trapsim``, ``python -m trapsim``: no arguments given, the
        command line's are read), then :func:`_exit_at_once`.

        Called with arguments (``main(["run", ...])``) or through click's ``CliRunner``, it ends as usual.
        """
        if args or kwargs.get("args") is not None:
            return self.main(*args, **kwargs)
        try:
            return self.main(*args, **kwargs)
        except SystemExit as exc:
            _exit_at_once(exc)
            raise

    def list_commands(self, ctx: click.Context) -> list[str]:
        load_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if module is None:
            load_commands()  # an unknown name: click's "Did you mean ...?" looks through every command
        else:
            importlib.import_module(f"{__name__}.{module}")
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        interrupts = _Interrupts()
        try:
            with terminate_as_interrupt(interrupts), inputs_protected():
                return super().invoke(ctx)
        except TrapsimError as exc:
            echo_error(exc)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:  # e.g. `trapsim solve FILE | head`: the reader left, not an error
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)
        except OSError as exc:  # an output path that cannot be written: bad input, not a bug
            echo_error(TrapsimError(f"{exc.filename}: {exc.strerror or exc}" if exc.filename else str(exc)))
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:  # the safety net itself (tests/test_hostile.py drives it)
            if interrupts.received:  # an interrupt Python swallowed left half-done work behind
                click.echo("interrupted", err=True)
                ctx.exit(130)
            if os.environ.get("TRAPSIM_DEBUG"):
                traceback.print_exc()
            click.echo(printable(f"internal error: {type(exc).__name__}: {exc}"), err=True)
            click.echo("This is a bug in trapsim; set TRAPSIM_DEBUG=1 to see the traceback.", err=True)
            ctx.exit(1)


def parse_sets(values: Sequence[str]) -> dict[str, float]:
    out = {}
    for text in values:
        try:
            from trapsim import api

            name, number = api.parse_assignment(text)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--set") from None
        out[name] = number
    return out


set_option = click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="NAME=VALUE",
    help="Fix a parameter at a constant (repeatable), e.g. --set need_peace=0.3.",
)


def complete_scenario(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Shell completion of a scenario argument: bundled scenario names, then files."""
    from trapsim import api

    names = [e.name for e in api.library() if e.name.startswith(incomplete)]
    return [CompletionItem(n) for n in names] + [CompletionItem(incomplete, type="file")]


scenario_argument = click.argument("file", type=click.Path(dir_okay=False), shell_complete=complete_scenario)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="trapsim")
def main() -> None:
    """trapsim: sample a scenario's uncertainty, solve every draw as a game, count the traps.

    A scenario is a TOML file: actors, uncertain parameters, a game tree with a
    payoff table, and named "traps" (events to count). Start with

    \b
        trapsim validate scenarios/defense_clause.toml
        trapsim solve    scenarios/defense_clause.toml
        trapsim run      scenarios/defense_clause.toml --draws 100000 --seed 1

    The format is documented in docs/scenario-format.md.
    """
    one_blas_thread(os.environ)  # before a command loads numpy; its worker processes inherit it


def load_commands() -> MutableMapping[str, click.Command]:
    """Every command of `main` (all their modules imported), by name."""
    for module in sorted(set(COMMAND_MODULES.values())):
        importlib.import_module(f"{__name__}.{module}")
    return main.commands
