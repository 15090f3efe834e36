"""``trapsim report --handout``: the run on two A4 pages, as a PDF.

Page 1: the headline answers (each trap's rate with its 95% interval and
meaning) and the game tree; page 2: the three figures a seminar needs most
(trap rates, where the game ends, who the actors are) and the scenario's
discussion questions. Drawn with matplotlib's PDF backend
(:class:`~matplotlib.backends.backend_pdf.PdfPages`); the figures are the
same as everywhere else, placed on the page as images at print resolution.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from trapsim import figures
from trapsim.figures.style import GREY, percent, style_context, styled, wrap_measured
from trapsim.output import write_atomic
from trapsim.report.teaching import reality_check_words
from trapsim.runner import Result, trapsim_version

__all__ = ["A4", "write_handout"]

#: A4 portrait, in inches.
A4 = (8.27, 11.69)
_MARGIN = 0.45
_DPI = 220  # figures placed on the page: sharp in print


def _image(fig: Figure) -> np.ndarray:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI)
    buf.seek(0)
    return np.asarray(mpimg.imread(buf, format="png"))


class _Page:
    """A top-down cursor on one A4 page (inches from the top)."""

    def __init__(self) -> None:
        self.fig = Figure(figsize=A4)
        self.y = _MARGIN
        self.width = A4[0] - 2 * _MARGIN

    def text(self, text: str, size: float, *, bold: bool = False, color: str = "#111111", gap: float = 0.06) -> None:
        """``text`` wrapped to the page's width (measured in the font drawn), then the cursor moves below it."""
        lines = wrap_measured(text, size, self.width, bold=bold)
        n = lines.count("\n") + 1
        self.fig.text(
            _MARGIN / A4[0],
            1 - self.y / A4[1],
            lines,
            fontsize=size,
            va="top",
            ha="left",
            fontweight="bold" if bold else "normal",
            color=color,
            linespacing=1.25,
        )
        self.y += n * size * 1.25 / 72 + gap

    def picture(self, fig: Figure, max_height: float) -> None:
        img = _image(fig)
        h_px, w_px = img.shape[:2]
        w = self.width
        h = w * h_px / w_px
        if h > max_height:
            h, w = max_height, max_height * w_px / h_px
        left = (A4[0] - w) / 2
        ax = self.fig.add_axes((left / A4[0], 1 - (self.y + h) / A4[1], w / A4[0], h / A4[1]))
        ax.imshow(img, interpolation="lanczos")
        ax.set_axis_off()
        self.y += h + 0.12

    @property
    def left(self) -> float:
        return A4[1] - _MARGIN - self.y


@styled
def _page_one(result: Result, command: str) -> Figure:
    sc = result.scenario
    page = _Page()
    page.text(sc.title, 17, bold=True)
    page.text(
        f"{result.draws:,} draws · seed {result.seed} · solver {result.solver} · trapsim "
        f"{trapsim_version()} · reproduce: {command}",
        8.5,
        color=GREY,
        gap=0.14,
    )
    page.text("Headline answers", 12.5, bold=True)
    for t in sc.traps:
        rate, ci = result.rate(t.id), result.ci95(t.id)
        among = (
            "of draws"
            if t.given is None
            else (f"of the {percent(result.given_count(t.id) / result.draws)} of {t.denominator()}")
        )
        headline = (
            f"{t.title}: n/a ({t.denominator()}: none in this run)"
            if rate is None or ci is None
            else f"{t.title}: {percent(rate)} {among} (95% interval {percent(ci[0])} to {percent(ci[1])})"
        )
        page.text(
            headline,
            10.5,
            bold=True,
            gap=0.02,
        )
        if t.description:
            page.text(t.description, 9, color="#333333", gap=0.07)
    if not sc.traps:
        page.text("The scenario defines no traps.", 10)
    page.y += 0.08
    page.text("The game", 12.5, bold=True)
    page.picture(figures.plot_tree(result), page.left)
    return page.fig


@styled
def _page_two(result: Result) -> Figure:
    sc = result.scenario
    page = _Page()
    questions = list(sc.discussion)
    room = 1.0 + 0.32 * len(questions) if questions else 0.9
    each = (page.left - room) / 3
    for fig in (figures.plot_trap_rates(result), figures.plot_outcomes(result), figures.plot_actor_graph(sc)):
        page.picture(fig, each)
    page.text("For discussion", 12.5, bold=True)
    for k, q in enumerate(questions, 1):
        page.text(f"{k}. {q}", 10, gap=0.05)
    if not questions:
        page.text("The scenario file gives no discussion questions ([scenario] discussion).", 10, color=GREY)
    if sc.reality_check:  # on paper a relative link means nothing: the place to find it, in words
        page.text(f"Reality check: {reality_check_words(sc)}", 9, color=GREY)
    return page.fig


def write_handout(result: Result, path: str | Path, *, command: str) -> Path:
    """Write the two-page A4 handout of ``result`` to ``path`` (atomically); return the path.

    ``command`` is the reproduce command printed under the title.
    """
    pages = [_page_one(result, command), _page_two(result)]

    def write(tmp: Path) -> None:
        with (
            style_context(),
            PdfPages(tmp, metadata={"CreationDate": None, "Creator": f"trapsim {trapsim_version()}"}) as pdf,
        ):
            for fig in pages:
                pdf.savefig(fig)

    return write_atomic(Path(path), write)
