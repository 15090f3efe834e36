"""A one-file HTML report of a run, for a seminar handout (``trapsim report``).

The page is self-contained: figures are embedded as base64 PNG, the CSS is
inline, and nothing is fetched from the network, so it works offline from a
USB stick and prints on A4 (the game tree gets a landscape page).

Other features add sections without editing this module: pass
:class:`Section` objects as ``extra_sections`` (each placed after the section
whose id it names), e.g. ``Section("drivers", "What drives each trap", html,
after="traps")``. :func:`figure_html` and :func:`table_html` build their
bodies in the report's style.
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from matplotlib.figure import Figure

from trapsim import figures
from trapsim.expressions import split_path_ref
from trapsim.figures import actor_colors
from trapsim.figures.style import percent
from trapsim.model import Scenario
from trapsim.output import write_text_atomic
from trapsim.report.teaching import discussion_html, glossary_html, story_html
from trapsim.runner import Result, trapsim_version, wilson
from trapsim.sampling import central_value

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


def esc(text: object) -> str:
    """HTML-escape any value."""
    return html.escape(str(text), quote=True)


_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def _linkify(text: str) -> str:
    """Escape ``text``, turning bare URLs into links (followed only when clicked)."""
    out, last = [], 0
    for m in _URL.finditer(text):
        out.append(esc(text[last : m.start()]))
        url = m.group(0).rstrip(".,;")
        out.append(f'<a href="{esc(url)}" rel="noreferrer">{esc(url)}</a>')
        last = m.start() + len(url)
    out.append(esc(text[last:]))
    return "".join(out)


def figure_html(fig: Figure, caption: str = "", *, alt: str = "", dpi: int = 150, wide: bool = False) -> str:
    """A ``<figure>`` with ``fig`` embedded as a base64 PNG and an escaped caption.

    ``wide`` figures (the game tree) scroll sideways on screen at a readable
    size and fit the page width in print.
    """
    width = fig.get_figwidth()
    dpi = min(dpi, max(72, int(3600 / width)))  # keep very wide figures under ~3600 px
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    cls = ' class="wide"' if wide else ""
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><div{cls}><img alt="{esc(alt or caption)}" src="data:image/png;base64,{data}"></div>{cap}</figure>'


def table_html(
    header: Sequence[str] | None,
    rows: Iterable[Sequence[object]],
    *,
    numeric: Sequence[int] = (),
    notes: Sequence[int] = (),
    row_classes: Sequence[str] | None = None,
    raw: Sequence[int] = (),
) -> str:
    """An HTML table; cells are escaped except in the ``raw`` columns.

    ``numeric`` columns are right-aligned with tabular figures, ``notes``
    columns set smaller. ``header=None`` makes a table without a header row.
    """

    def cls(j: int) -> str:
        c = "num" if j in numeric else "note" if j in notes else ""
        return f' class="{c}"' if c else ""

    head = "".join(f"<th{cls(j)}>{esc(h)}</th>" for j, h in enumerate(header or ()))
    thead = f"<thead><tr>{head}</tr></thead>" if header else ""
    body = []
    for i, row in enumerate(rows):
        rc = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = "".join(f"<td{cls(j)}>{v if j in raw else esc(v)}</td>" for j, v in enumerate(row))
        body.append(f"<tr{rc}>{cells}</tr>")
    return f"<table>{thead}<tbody>{''.join(body)}</tbody></table>"


def reproduce_command(result: Result) -> str:
    """The ``trapsim report`` command that rebuilds this report exactly."""
    sc = result.scenario
    parts = [
        "trapsim",
        "report",
        _relative(sc.path) if sc.path else f"{sc.name}.toml",
        "--draws",
        str(result.draws),
        "--seed",
        str(result.seed),
    ]
    if result.solver != sc.simulation.solver:
        parts += ["--solver", result.solver]
    if result.solver == "qre" and result.rationality != sc.simulation.rationality:
        parts += ["--rationality", _exact(result.rationality)]
    for k, v in result.values.items():
        parts += ["--set", f"{k}={_exact(v)}"]
    return shlex.join(parts)


def _relative(path: str) -> str:
    """``path`` relative to the working directory when it lies below it, else its file name.

    A report must not show an absolute (often temporary) path of the machine
    it was made on.
    """
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return Path(path).name
    return Path(path).name if rel.startswith("..") else rel


def _id(name: str) -> str:
    """An identifier for HTML that breaks only after its underscores (never mid-word)."""
    return "_<wbr>".join(esc(part) for part in name.split("_"))


def _number(x: float) -> str:
    """Three significant digits, without a trailing exponent for everyday sizes."""
    if x == 0:
        return "0"
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e5 else f"{x:.2e}"


def _exact(x: float) -> str:
    """``x`` as short as it reads back exactly: ``0.5``, ``1e-07``, ``0.123456789``."""
    short = f"{x:g}"
    return short if float(short) == x else repr(float(x))


def _comment(name: str, comment: str) -> str:
    """A parameter's comment without the ``name:`` it often starts with."""
    text = " ".join(comment.split())
    prefix = f"{name}:"
    return text[len(prefix) :].strip() if text.startswith(prefix) else text


# ------------------------------------------------------------------ sections


def _pct(p: float | None) -> str:
    return "n/a" if p is None else percent(p)


def _interval(lo: float | None, hi: float | None) -> str:
    return "95% interval n/a" if lo is None or hi is None else f"95% interval {_pct(lo)} to {_pct(hi)}"


def _among(result: Result, trap: str) -> str:
    """`` of the 18.8% of draws where ...`` for a conditional trap; empty otherwise."""
    t = result.scenario.trap(trap)
    if t.given is None:
        return ""
    return f" of the {_pct(result.given_count(trap) / result.draws)} of {esc(t.denominator())}"


def _denominator_note(result: Result, trap: str) -> str:
    """``Among the 18.8% of draws where ... . `` for a conditional trap (plain text); empty otherwise."""
    t = result.scenario.trap(trap)
    if t.given is None:
        return ""
    return f"Among the {_pct(result.given_count(trap) / result.draws)} of {t.denominator()}. "


def _scenario_section(sc: Scenario, result: Result) -> str:
    parts = []
    if sc.description:
        parts += [f'<p class="lede">{esc(p.strip())}</p>' for p in sc.description.split("\n\n") if p.strip()]
    if sc.traps:
        keys = []
        for k, t in enumerate(sc.traps):
            lo, hi = result.ci95(t.id) or (None, None)
            color = figures.PALETTE[k % len(figures.PALETTE)]
            what = f'<span class="what">{esc(t.description)}</span>' if t.description else ""
            keys.append(
                f'<div class="key" style="border-left-color:{color}">{esc(t.title)}'
                f'<span class="rate">{_pct(result.rate(t.id))}</span>'
                f'<span class="ci">{_interval(lo, hi)}{_among(result, t.id)}</span>{what}</div>'
            )
        parts.append(f'<div class="keys">{"".join(keys)}</div>')
    if sc.sources:
        items = "".join(f"<li>{_linkify(s)}</li>" for s in sc.sources)
        parts.append(f'<h3>Sources</h3><ol class="sources">{items}</ol>')
    return "".join(parts)


def _actors_section(sc: Scenario) -> str:
    colors = actor_colors(sc)
    fig = figures.plot_actor_graph(sc)
    rows = [
        (f'<span class="pill" style="background:{esc(colors[a.id])}"></span>{esc(a.name)}', a.id, a.description)
        for a in sc.actors
    ]
    body = figure_html(fig, "Actors and their relations (arrowheads: directed relations).", alt="actor graph")
    body += table_html(["Actor", "id", "Role in the scenario"], rows, raw=[0], notes=[2])
    if sc.relations:
        name = {a.id: a.name for a in sc.actors}
        rel = [(name.get(r.source, r.source), r.kind, name.get(r.target, r.target), r.label) for r in sc.relations]
        body += table_html(["From", "Relation", "To", "Label"], rel, notes=[3])
        body += _chains_html(sc)
    return body


def _chains_html(sc: Scenario) -> str:
    from trapsim.report.ties import chains_html

    return chains_html(sc)


def _parameters_section(sc: Scenario, result: Result) -> str:
    rows = []
    for p in sc.parameters:
        fixed = p.name in result.values
        dist = f"fixed at {result.values[p.name]:g} (--set)" if fixed else p.dist.describe()
        why = _comment(p.name, p.comment)
        if p.hindsight:
            why = f"{why} [Hindsight: {p.hindsight}]".strip()
        unit = f" {p.unit}" if p.unit else ""
        label = f"<br><small>{esc(p.label)}</small>" if p.label else ""
        rows.append((f"<code>{_id(p.name)}</code>{label}", dist, _number(central_value(p.dist)) + unit, why))
    intro = (
        "<p>Every draw samples each uncertain parameter from its distribution; "
        "<code>trapsim solve</code> uses the central values (the means). "
        "The last column is the scenario file's justification for each choice.</p>"
    )
    table = table_html(["Parameter", "Distribution", "Central value", "Why"], rows, numeric=[2], notes=[3], raw=[0])
    derived = ""
    if sc.derived:
        drows = [(f"<code>{_id(d.name)}</code>", f"<code>{esc(d.expr.source)}</code>") for d in sc.derived]
        derived = "<h3>Derived values</h3>" + table_html(["Name", "Expression"], drows, raw=[0, 1])
    return intro + table + derived


def _tree_section(result: Result) -> str:
    panels = figures.plot_tree_panels(result)
    split = (
        f" A tree too big for one slide is split into {len(panels)} linked panels: each collapsed stub "
        "says which panel continues it."
        if len(panels) > 1
        else ""
    )
    return (
        "<p>The game as the scenario defines it, read left to right. Each branch shows the share of "
        "the draws <em>arriving</em> at its node that took it, and in brackets the share of all draws "
        "(line width proportional); bold branches are the choices actors made most often; rings mark "
        "the endings where a trap fires. Branches taken in under 1% of the draws are collapsed into "
        f"one stub that says so.{split} Each panel fits the page width; zoom in on screen for detail.</p>"
        + "".join(
            figure_html(
                fig,
                f"The game tree, panel {chr(ord('A') + k)}, with the share of draws taking each branch.",
                alt=f"game tree, panel {chr(ord('A') + k)}",
                wide=True,
                dpi=200,
            )
            for k, fig in enumerate(panels)
        )
    )


def _traps_section(sc: Scenario, result: Result) -> str:
    if not sc.traps:
        return "<p>The scenario defines no traps.</p>"
    rows = []
    classes = []
    for t in sc.traps:
        lo, hi = result.ci95(t.id) or (None, None)
        definition = f"<code>{esc(t.when.source)}</code>"
        if t.given is not None:
            definition += f" among draws where <code>{esc(t.given.source)}</code>"
        for w in sorted({w for e in t.conditions for r in e.path_refs if (w := split_path_ref(r)[2])}):
            definition += f"; world <code>{esc(w)}</code>: {esc(sc.world(w).describe())}"
        rows.append(
            (
                t.title,
                _pct(result.rate(t.id)),
                _interval(lo, hi)[13:],
                _denominator_note(result, t.id) + (t.description or ""),
                definition,
            )
        )
        classes.append("zero" if result.trap_counts[t.id] == 0 else "")
    return figure_html(
        figures.plot_trap_rates(result), "Trap rates with 95% Wilson intervals.", alt="trap rates"
    ) + table_html(
        ["Trap", "Rate", "95% interval", "What it means", "Definition"],
        rows,
        numeric=[1, 2],
        notes=[3],
        raw=[4],
        row_classes=classes,
    )


def _outcomes_section(sc: Scenario, result: Result) -> str:
    order = list(sc.outcomes)
    ranked = sorted(result.outcome_counts.items(), key=lambda kv: (-kv[1], order.index(kv[0])))
    rows = []
    for o, c in ranked:
        if not c:
            continue
        lo, hi = wilson(c, result.draws)
        rows.append((sc.label_of("outcome", o), f"{c:,}", _pct(c / result.draws), f"{_pct(lo)} to {_pct(hi)}"))
    hidden = len(ranked) - len(rows)
    note = (
        f" {hidden} outcome{'s' * (hidden != 1)} never reached in any draw {'are' if hidden != 1 else 'is'} not listed."
        if hidden
        else ""
    )
    return f"<p>Where the game ends, over all draws.{note}</p>" + table_html(
        ["Outcome", "Draws", "Share", "95% interval"], rows, numeric=[1, 2, 3]
    )


def _payoffs_section(sc: Scenario, result: Result) -> str:
    rows = [(a.name, f"{result.payoff_mean[a.id]:+.3f}", f"{result.payoff_sd[a.id]:.3f}") for a in sc.actors]
    return table_html(["Actor", "Mean payoff", "Standard deviation"], rows, numeric=[1, 2]) + figure_html(
        figures.plot_payoffs(result),
        "Realised payoffs per actor; the black line is the mean.",
        alt="payoff distributions",
    )


def _convergence_section(result: Result) -> str:
    return (
        "<p>The running estimate of each trap rate as draws accumulate, with its 95% band. "
        "A flat line inside a narrow band means that more draws would not change the "
        "picture.</p>"
        + figure_html(figures.plot_convergence(result), "Convergence of the trap rates.", alt="convergence")
    )


def _reproduce_section(result: Result, command: str | None) -> str:
    sc = result.scenario
    cmd = command or reproduce_command(result)
    fixed = ", ".join(f"{k} = {v:g}" for k, v in result.values.items()) or "none"
    rows = [
        ("trapsim version", trapsim_version()),
        ("scenario file", _relative(sc.path) if sc.path else "(not from a file)"),
        ("scenario SHA-256", sc.sha256 or "(none)"),
        ("draws", f"{result.draws:,}"),
        ("seed", f"{result.seed}" + ("" if result.seed_given else " (drawn from entropy)")),
        ("solver", result.solver + (f", rationality {result.rationality:g}" if result.solver == "qre" else "")),
        ("parameters fixed", fixed),
        ("run time", f"{result.elapsed_s:.2f} s on {result.workers} process(es)"),
    ]
    return f"<p>Same file, same command, same numbers:</p><pre>{esc(cmd)}</pre>" + table_html(None, rows)


# --------------------------------------------------------------------- build


def _css() -> str:
    return resources.files("trapsim").joinpath("report.css").read_text(encoding="utf-8")


def build_report(result: Result, *, command: str | None = None, extra_sections: Sequence[Section] = ()) -> str:
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
    """
    sc = result.scenario
    builtin: list[Section] = [
        Section("scenario", "The scenario", _scenario_section(sc, result)),
        Section("actors", "Actors", _actors_section(sc)),
        Section("parameters", "What we do not know: the parameters", _parameters_section(sc, result)),
        Section("tree", "The game", _tree_section(result)),
        Section("solution", "How the game is solved", story_html(result)),
        Section("traps", "How often each trap fires", _traps_section(sc, result)),
        Section("outcomes", "Outcomes", _outcomes_section(sc, result)),
        Section("payoffs", "Payoffs", _payoffs_section(sc, result)),
        Section("convergence", "Were there enough draws?", _convergence_section(result)),
        Section(
            "discussion",
            "For discussion",
            discussion_html(sc)
            or "<p>The scenario file gives no "
            "discussion questions (<code>discussion</code> in <code>[scenario]</code>).</p>",
        ),
        Section("glossary", "Glossary", glossary_html()),
        Section("reproduce", "Reproduce", _reproduce_section(result, command)),
    ]
    sections = _place(builtin, extra_sections)
    nav = "".join(f'<a href="#{esc(s.id)}">{esc(s.title)}</a>' for s in sections[1:])
    body = []
    for s in sections:
        cls = ' class="landscape"' if s.landscape else ""
        heading = "" if s.id == "scenario" else f"<h2>{esc(s.title)}</h2>"
        body.append(f'<section id="{esc(s.id)}"{cls}>{heading}{s.html}</section>')
    meta = (
        f"{esc(sc.name)} · {result.draws:,} draws · seed {result.seed} · solver "
        f"{esc(result.solver)} · trapsim {esc(trapsim_version())}"
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="trapsim {esc(trapsim_version())}">
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
<footer>Made with trapsim {esc(trapsim_version())}: every number above comes from the scenario file and
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
