"""A one-file HTML report of a run, for a seminar handout (``trapsim report``).

The page is self-contained: figures are embedded as base64 PNG, the CSS is
inline, and nothing is fetched from the network, so it works offline from a
USB stick and prints on A4. The sections are in :mod:`trapsim.report.sections`,
their building blocks (escaping, figures, tables, numbers) in
:mod:`trapsim.report.html`.

Other features add sections without editing this module: pass
:class:`Section` objects as ``extra_sections`` (each placed after the section
whose id it names), e.g. ``Section("drivers", "What drives each trap", html,
after="traps")``. :func:`figure_html` and :func:`table_html` build their
bodies in the report's style.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from trapsim.output import write_text_atomic
from trapsim.report import sections
from trapsim.report.html import esc, figure_html, reproduce_command, table_html
from trapsim.report.teaching import discussion_html, glossary_html, story_html
from trapsim.runner import Result, trapsim_version

__all__ = [
    "SECTION_IDS",
    "Section",
    "build_report",
    "esc",
    "figure_html",
    "reproduce_command",
    "table_html",
    "write_report",
]

#: Ids of the built-in sections, in page order; ``Section.after`` may name any of them.
SECTION_IDS = (
    "scenario",
    "actors",
    "parameters",
    "tree",
    "solution",
    "traps",
    "outcomes",
    "payoffs",
    "convergence",
    "discussion",
    "glossary",
    "reproduce",
)


@dataclass(frozen=True, slots=True)
class Section:
    """One section of the report.

    Attributes
    ----------
    id
        Anchor id (letters, digits, ``-``, ``_``).
    title
        Heading, plain text (escaped here).
    html
        The body: trusted HTML, already escaped by the caller.
    after
        Id of the section this one follows (default: after the convergence
        section, before "Reproduce").
    landscape
        Print the section on a landscape A4 page (for wide figures).
    """

    id: str
    title: str
    html: str
    after: str = "convergence"
    landscape: bool = False


# --------------------------------------------------------------------- build


def _css() -> str:
    return resources.files("trapsim").joinpath("report.css").read_text(encoding="utf-8")


def build_report(
    result: Result,
    *,
    command: str | None = None,
    extra_sections: Sequence[Section] = (),
    out_dir: str | Path | None = None,
) -> str:
    """The report of ``result`` as one self-contained HTML page.

    Parameters
    ----------
    result
        A finished run (:func:`trapsim.simulate`).
    command
        The command shown under "Reproduce" (default:
        :func:`reproduce_command`, which always names the seed).
    extra_sections
        More sections, each placed after the section whose id is its
        ``after`` (see :data:`SECTION_IDS`); several after the same id keep
        their order.
    out_dir
        The directory the page will be written to (default: the current
        directory): a relative ``reality_check`` is linked from there.
    """
    return _page(result, _place(_builtin(result, command, out_dir), extra_sections))


def _builtin(result: Result, command: str | None, out_dir: str | Path | None) -> list[Section]:
    """The built-in sections, in the order of :data:`SECTION_IDS`."""
    sc = result.scenario
    no_questions = (
        "<p>The scenario file gives no discussion questions (<code>discussion</code> in <code>[scenario]</code>).</p>"
    )
    return [
        Section("scenario", "The scenario", sections.scenario_section(sc, result)),
        Section("actors", "Actors", sections.actors_section(sc)),
        Section("parameters", "What we do not know: the parameters", sections.parameters_section(sc, result)),
        Section("tree", "The game", sections.tree_section(result)),
        Section("solution", "How the game is solved", story_html(result)),
        Section("traps", "How often each trap fires", sections.traps_section(sc, result)),
        Section("outcomes", "Outcomes", sections.outcomes_section(sc, result)),
        Section("payoffs", "Payoffs", sections.payoffs_section(sc, result)),
        Section("convergence", "Were there enough draws?", sections.convergence_section(result)),
        Section("discussion", "For discussion", discussion_html(sc, out_dir) or no_questions),
        Section("glossary", "Glossary", glossary_html()),
        Section("reproduce", "Reproduce", sections.reproduce_section(result, command)),
    ]


def _page(result: Result, parts: list[Section]) -> str:
    """The HTML page: header with navigation, the sections, the footer."""
    sc = result.scenario
    nav = "".join(f'<a href="#{esc(s.id)}">{esc(s.title)}</a>' for s in parts[1:])
    body = []
    for s in parts:
        cls = ' class="landscape"' if s.landscape else ""
        heading = "" if s.id == "scenario" else f"<h2>{esc(s.title)}</h2>"
        body.append(f'<section id="{esc(s.id)}"{cls}>{heading}{s.html}</section>')
    version = esc(trapsim_version())
    run = f"{result.draws:,} draws · seed {result.seed} · solver {esc(result.solver)}"
    meta = f"{esc(sc.name)} · {run} · trapsim {version}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="trapsim {version}">
<title>{esc(sc.title)} · trapsim report</title>
<style>
{_css()}
</style>
</head>
<body>
<header>
<h1>{esc(sc.title)}</h1>
<div class="meta">{meta}</div>
<nav>{nav}</nav>
</header>
{"".join(body)}
<footer>Made with trapsim {version}: every number above comes from the scenario file and
the command under "Reproduce"; the parameters are informed guesses, not measurements.</footer>
</body>
</html>
"""


def _place(builtin: list[Section], extra: Sequence[Section]) -> list[Section]:
    ids = {s.id for s in builtin}
    for s in extra:
        if not re.fullmatch(r"[A-Za-z][\w-]*", s.id):
            raise ValueError(f"section id {s.id!r}: use letters, digits, '-' and '_'")
        if s.id in ids:
            raise ValueError(f"section id {s.id!r} is already used")
        ids.add(s.id)
    out: list[Section] = []
    pending = list(extra)
    placed: set[str] = set()

    def add(section: Section) -> None:
        out.append(section)
        placed.add(section.id)
        for s in [s for s in pending if s.after == section.id]:
            pending.remove(s)
            add(s)

    for s in builtin:
        add(s)
    for s in pending:  # "after" names no section: put it before "Reproduce"
        out.insert(len(out) - 1, s)
    return out


def write_report(path: str | Path, page: str) -> Path:
    """Write the HTML page atomically."""
    return write_text_atomic(path, page)
