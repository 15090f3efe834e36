"""Every ``trapsim ...`` command quoted in README.md, docs/*.md and the commands' ``--help`` still works.

So the docs cannot go stale silently (issue 18): when a parameter is renamed,
an option dropped or a bundled scenario rewritten, a quoted command that no
longer runs fails here, named by file and line.

* A concrete command on bundled scenarios (``scenarios/*.toml`` or a bare
  library name) runs for real through the CLI, in a temporary directory, made
  cheap: ``--draws`` small, ``--no-figures``, ``--workers 1``, sweep grids cut
  to at most 3 steps per axis. It must exit 0.
* Everything else is checked at parse level: a synopsis (``FILE``, ``[--draws
  N]``), a command on a file the reader makes first (``alliance.toml``,
  ``game.efg``), ``explore`` (it serves until Ctrl-C), ``explain`` and
  ``report`` (seconds of analysis each): the subcommand exists and
  every ``--option`` is one of its options; a concrete one must also parse
  (click converts every value, so ``--method morrs`` or ``--draws ten`` fail).
"""

from __future__ import annotations

import importlib.util
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from trapsim.cli import load_commands, main

COMMANDS = load_commands()  # every command (the CLI imports a command's module when it runs)

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BUNDLED = {p.stem for p in (ROOT / "scenarios").glob("*.toml")}
FENCE = re.compile(r"^\s*(```|~~~)")
INLINE = re.compile(r"`(trapsim [^`]+)`")
#: Small enough to keep the whole file in seconds, big enough for every command's minimum.
SMALL_DRAWS = {"sensitivity": "16", "discover": "100"}
#: Commands run for real when their files are bundled scenarios. Not ``explain`` and ``report``
#: (which tells the same story): on the 31-parameter default that takes ~14 s of CPU (figs' issue
#: 13), so they are checked at parse level.
RUNNABLE = {
    "attribute", "compare", "discover", "export", "graph", "init", "list",
    "run", "sensitivity", "solve", "sweep", "tree", "validate",
}  # fmt: skip


def _doc_commands() -> Iterator[tuple[str, str, bool]]:
    """``(where, command, in a code block)`` for every quoted command starting with ``trapsim``."""
    for path in DOCS:
        in_code, pending = False, ""
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if FENCE.match(line):
                in_code, pending = not in_code, ""
                continue
            where = f"{path.relative_to(ROOT)}:{no}"
            if not in_code:
                for m in INLINE.finditer(line):
                    yield where, m.group(1).replace("\\|", "|"), False
                continue
            text = (pending + " " + line.strip()).strip()
            if text.endswith("\\"):  # a command continued on the next line
                pending = text[:-1]
                continue
            pending = ""
            text = text.removeprefix("$ ")
            words = text.split()
            if len(words) > 1 and words[0] == "trapsim" and not words[1].endswith(":"):  # not output
                yield where, text, True


def _help_examples() -> Iterator[tuple[str, str, bool]]:
    """The example lines of every command's ``--help`` (indented lines starting with ``trapsim``)."""
    for name, cmd in sorted(COMMANDS.items()):
        for line in (cmd.help or "").splitlines():
            if line.strip().startswith("trapsim "):
                yield f"trapsim {name} --help", line.strip(), True


CASES = [*_doc_commands(), *_help_examples()]


def _words(command: str) -> list[str]:
    """The arguments after ``trapsim``; a redirection or pipe ends the command, and a substitution
    ``$(trapsim list --paths | cut -f2)`` stands for what it prints: every bundled scenario's path."""
    command, sub, _ = command.partition("$(")
    command = command.partition(" > ")[0].partition(" | ")[0]
    words = shlex.split(command, comments=True)[1:]
    return words + (sorted(f"scenarios/{name}.toml" for name in BUNDLED) if sub else [])


def _is_synopsis(words: list[str]) -> bool:
    """A line with placeholders (``FILE``, ``[--draws N]``, ``spe|qre``, ``...``), not a command to type."""
    return any(re.fullmatch(r"[A-Z][A-Z0-9_.]*", w) or any(c in w for c in "[]|") or "..." in w for w in words)


def _options(cmd: click.Command) -> set[str]:
    return {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts)}


def _bundled(arg: str) -> bool:
    return arg in BUNDLED or (arg.startswith("scenarios/") and Path(arg).stem in BUNDLED and (ROOT / arg).is_file())


def _runnable(name: str, cmd: click.Command, words: list[str]) -> bool:
    if name not in RUNNABLE:
        return False
    if "--priors" in words:  # a file the classroom poll exports first
        return False
    if any(w.endswith(".parquet") for w in words) and importlib.util.find_spec("pyarrow") is None:
        return False
    takes_value = {o for p in cmd.params if isinstance(p, click.Option) and not p.is_flag for o in p.opts}
    positional, skip = [], False
    for w in words[1:]:
        if skip:
            skip = False
        elif w in takes_value:
            skip = True
        elif not w.startswith("-"):
            positional.append(w)
    return name in ("init", "list") or (bool(positional) and all(_bundled(a) for a in positional))


def _cheap(name: str, cmd: click.Command, words: list[str]) -> list[str]:
    """The same command made cheap: few draws, no figures, one process, at most 3 steps per swept axis."""
    options = _options(cmd)
    out, args = [], iter(words[1:])
    for w in args:
        if w in ("--draws", "--workers"):
            next(args)
        elif w == "--vary":
            spec = next(args)
            head, _, steps = spec.rpartition(":")
            out += [w, f"{head}:{min(int(steps), 3)}"]
        else:
            out.append(w)
    if "--draws" in options:
        out += ["--draws", SMALL_DRAWS.get(name, "200")]
    if "--workers" in options:
        out += ["--workers", "1"]
    if "--no-figures" in options:
        out.append("--no-figures")
    return [name, *out]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty directory where ``scenarios/`` is the repository's (the docs' commands run from the root)."""
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios", target_is_directory=True)
    return tmp_path


def test_the_docs_quote_commands() -> None:
    """The extraction itself: the README's first commands and the help examples are found."""
    commands = {c for _, c, _ in CASES}
    assert "trapsim validate scenarios/defense_clause.toml" in commands
    assert "trapsim run defense_clause --seed 1" in commands
    assert sum(where.endswith("--help") for where, _, _ in CASES) >= len(COMMANDS)


@pytest.mark.parametrize(("where", "command", "block"), CASES, ids=[f"{w} {c}" for w, c, _ in CASES])
def test_quoted_command_works(
    where: str, command: str, block: bool, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = _words(command)
    if not words or words[0].startswith("-"):  # `trapsim --help`, `trapsim --version`
        assert all(w in ("--help", "--version") for w in words), f"{where}: {command}"
        return
    name = words[0]
    assert name in COMMANDS, f"{where}: no command {name!r} in {command!r}"
    cmd = COMMANDS[name]
    unknown = [w.split("=")[0] for w in words[1:] if w.startswith("--") and w.split("=")[0] not in _options(cmd)]
    assert not unknown, f"{where}: {command!r}: trapsim {name} has no option {', '.join(unknown)}"
    if not block or _is_synopsis(words):
        return
    monkeypatch.chdir(workdir)
    if not _runnable(name, cmd, words):
        # parses: every value converted and checked (under main's context, whose settings the commands
        # share: made without it, click would cache a help option without -h on the command)
        with click.Context(main, info_name="trapsim", **main.context_settings) as parent:
            cmd.make_context(name, words[1:], parent=parent)
        return
    result = CliRunner().invoke(main, _cheap(name, cmd, words))
    assert result.exit_code == 0, f"{where}: {command!r} failed:\n{result.output}"


#: ``trapsim.api.to_efg``, ``trapsim.figures.analysis.drivers_figures``, ...: names the docs tell a user to call.
PYTHON_NAME = re.compile(r"\btrapsim((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
NOT_PYTHON = {"toml", "md", "py", "efg", "csv", "png", "svg", "pdf", "json", "html", "fish", "parquet"}


def _python_names() -> Iterator[tuple[str, str]]:
    for path in DOCS:
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in PYTHON_NAME.finditer(line):
                parts = m.group(1).strip(".").split(".")
                if parts[-1] not in NOT_PYTHON and not parts[-1].isupper():  # files; placeholders (NAME)
                    yield f"{path.relative_to(ROOT)}:{no}", "trapsim." + ".".join(parts)


@pytest.mark.parametrize(("where", "name"), sorted(set(_python_names())))
def test_python_names_in_the_docs_exist(where: str, name: str) -> None:
    """Every ``trapsim.x.y`` the docs mention is a module or an attribute of one (the api split kept them)."""
    import importlib

    parts = name.split(".")
    obj: Any = importlib.import_module("trapsim")
    for i, part in enumerate(parts[1:], 2):
        # an attribute, else a submodule not imported yet (ModuleNotFoundError: the docs are stale)
        obj = getattr(obj, part) if hasattr(obj, part) else importlib.import_module(".".join(parts[:i]))
