"""The report's HTML building blocks: escaping, figures, tables and number formats.

Every section of :mod:`trapsim.report` (and every extra section another
feature adds) builds its body from these, so the page reads the same
throughout: three significant digits, percentages from
:func:`trapsim.figures.style.percent`, identifiers that break only at
underscores, and no absolute path of the machine the report was made on.
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
import shlex
from collections.abc import Iterable, Sequence
from pathlib import Path

from matplotlib.figure import Figure

from trapsim.figures.style import percent
from trapsim.runner import Result

__all__ = [
    "comment",
    "esc",
    "exact",
    "figure_html",
    "html_id",
    "interval",
    "linkify",
    "number",
    "pct",
    "relative",
    "reproduce_command",
    "table_html",
]


def esc(text: object) -> str:
    """HTML-escape any value."""
    return html.escape(str(text), quote=True)


_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def linkify(text: str) -> str:
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
        relative(sc.path) if sc.path else f"{sc.name}.toml",
        "--draws",
        str(result.draws),
        "--seed",
        str(result.seed),
    ]
    if result.solver != sc.simulation.solver:
        parts += ["--solver", result.solver]
    if result.solver == "qre" and result.rationality != sc.simulation.rationality:
        parts += ["--rationality", exact(result.rationality)]
    for k, v in result.values.items():
        parts += ["--set", f"{k}={exact(v)}"]
    return shlex.join(parts)


def relative(path: str) -> str:
    """``path`` relative to the working directory when it lies below it, else its file name.

    A report must not show an absolute (often temporary) path of the machine
    it was made on.
    """
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return Path(path).name
    return Path(path).name if rel.startswith("..") else rel


def html_id(name: str) -> str:
    """An identifier for HTML that breaks only after its underscores (never mid-word)."""
    return "_<wbr>".join(esc(part) for part in name.split("_"))


def number(x: float) -> str:
    """Three significant digits, without a trailing exponent for everyday sizes."""
    if x == 0:
        return "0"
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e5 else f"{x:.2e}"


def exact(x: float) -> str:
    """``x`` as short as it reads back exactly: ``0.5``, ``1e-07``, ``0.123456789``."""
    short = f"{x:g}"
    return short if float(short) == x else repr(float(x))


def comment(name: str, comment: str) -> str:
    """A parameter's comment without the ``name:`` it often starts with."""
    text = " ".join(comment.split())
    prefix = f"{name}:"
    return text[len(prefix) :].strip() if text.startswith(prefix) else text


def pct(p: float | None) -> str:
    return "n/a" if p is None else percent(p)


def interval(lo: float | None, hi: float | None) -> str:
    return "95% interval n/a" if lo is None or hi is None else f"95% interval {pct(lo)} to {pct(hi)}"
