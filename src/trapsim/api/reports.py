"""The HTML report and its sections, the PDF handout."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from trapsim.api.analyses import drivers
from trapsim.api.explaining import attribute
from trapsim.runner import Result

if TYPE_CHECKING:
    from trapsim.report import Section


def drivers_section(
    result: Result, *, method: str = "sobol", samples: int | None = None, draws: int | None = None
) -> Section:
    """The "What drives each trap" section of the HTML report for a finished run.

    Runs :func:`drivers` with the run's scenario, seed, solver and rationality
    and returns a :class:`trapsim.report.Section` placed after the trap rates
    (pass it to :func:`trapsim.report.build_report` as ``extra_sections``).
    """
    from trapsim import report
    from trapsim.figures.analysis import drivers_figures

    sec = drivers(
        result.scenario,
        method=method,
        samples=samples,
        draws=draws,
        seed=result.seed,
        solver=result.solver,
        rationality=result.rationality,
    )
    figs = {slug: report.figure_html(fig, caption) for slug, caption, fig in drivers_figures(sec)}
    parts = [f"<p>{report.esc(sec.intro)}</p>", figs.get("drivers", "")]
    for t in sec.traps:
        parts.append(f"<h3>{report.esc(t.title)}</h3><p>{report.esc(t.paragraph)}</p>")
        parts.extend(figs.get(f"{t.trap}_{kind}", "") for kind in ("sensitivity", "box"))
    return report.Section("drivers", sec.heading, "".join(parts), after="traps")


def attribution_section(result: Result) -> Section | None:
    """The report's "Which tie springs each trap" section, or ``None`` when no relation declares ``absent``.

    Runs :func:`attribute` with the run's scenario, draws, seed, solver,
    rationality and fixed values, so its trap rates are the run's.
    """
    from trapsim import attribution as _attribution
    from trapsim import report
    from trapsim.report.ties import attribution_html

    sc = result.scenario
    if not _attribution.attributable(sc):
        return None
    att = attribute(
        sc,
        draws=result.draws,
        seed=result.seed,
        solver=result.solver,
        rationality=result.rationality,
        values=result.values or None,
        workers=result.workers,
    )
    return report.Section("ties", "Which tie springs each trap", attribution_html(att), after="traps")


def report(
    result: Result,
    *,
    command: str | None = None,
    extra_sections: Sequence[Section] = (),
    out_dir: str | Path | None = None,
) -> str:
    """The one-file HTML report of a finished run (``trapsim report``).

    See :func:`trapsim.report.build_report`; ``extra_sections`` adds
    :class:`trapsim.report.Section` objects (e.g. :func:`drivers_section`).
    Write it with :func:`trapsim.report.write_report`; ``out_dir`` is the
    directory it will be written to (a relative ``reality_check`` is linked
    from there; default: the current directory).
    """
    from trapsim import report as _report  # matplotlib is slow to import: only when needed

    return _report.build_report(result, command=command, extra_sections=extra_sections, out_dir=out_dir)


def handout(result: Result, path: str | Path, *, command: str | None = None) -> Path:
    """Write the two-page A4 PDF handout of a finished run (``trapsim report --handout``).

    Page 1: the headline answers and the game tree; page 2: trap rates,
    outcomes, the actors and the scenario's discussion questions.
    """
    from trapsim import report as _report
    from trapsim.report.handout import write_handout

    return write_handout(result, path, command=command or _report.reproduce_command(result))


def reproduce_command(result: Result) -> str:
    """The ``trapsim run`` command that reproduces ``result`` (shown in the report)."""
    from trapsim import report as _report

    return _report.reproduce_command(result)


def write_report(path: str | Path, page: str) -> Path:
    """Write a report page (from :func:`report`) atomically; returns the path."""
    from trapsim import report as _report

    return _report.write_report(path, page)
