"""The one style of every trapsim figure: palette, fonts, sizes, text that fits.

Figures are built on :class:`matplotlib.figure.Figure` (never pyplot), so
library code has no global state and no display. They are written by
:mod:`trapsim.figures.saving`.
"""

from __future__ import annotations

import contextlib
import functools
import re
import warnings
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

import matplotlib
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.textpath import TextToPath

from trapsim.model import Scenario

__all__ = [
    "CHANCE_COLOR",
    "DPI",
    "FORMATS",
    "GREY",
    "PALETTE",
    "SIZE",
    "actor_colors",
    "axes_title",
    "empty_axes",
    "fit",
    "footnote",
    "new_axes",
    "percent",
    "style_context",
    "styled",
    "text_width",
    "wrap",
]

#: Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008), black last.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
#: Colour of chance nodes and neutral elements.
CHANCE_COLOR = "#7F7F7F"
GREY = "#555555"
#: 16:9 at 12.8 x 7.2 inches: 1,920 x 1,080 pixels at :data:`DPI`.
SIZE = (12.8, 7.2)
#: Default PNG resolution: 1,920 x 1,080 px, full HD, what a projector or a slide shows pixel for
#: pixel. Text sizes are set in points for a 1,280-px-wide display (>= 14 px there), so they do not
#: depend on it; 200 dpi (2,560 x 1,440) cost a third more to draw and compress for the same slide.
#: For print or a 4K screen: ``dpi=`` in the API, or ``--format svg``/``pdf``.
DPI = 150
#: Output formats understood by :func:`~trapsim.figures.saving.save` and ``--format``.
FORMATS = ("png", "svg", "pdf")

_TEXT_TO_PATH = TextToPath()

_RC: Any = {
    "font.size": 16,
    "axes.titlesize": 21,
    "axes.titleweight": "bold",
    "axes.labelsize": 16,
    "xtick.labelsize": 15,
    "ytick.labelsize": 15,
    "legend.fontsize": 14,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=PALETTE),
    "svg.fonttype": "none",
    "svg.hashsalt": "trapsim",  # stable ids: the same figure gives the same file
    "pdf.fonttype": 42,
    "text.parse_math": False,  # a title such as "$5 and $10" is plain text, never mathtext
    # Glyphs as designed, not snapped to the pixel grid: at >= 14 px (150 dpi) the two look alike
    # side by side at 1:1, and FreeType's hinter cost a quarter of drawing a figure (0.82 -> 0.63 s
    # CPU for the seven figures of a defense_clause run).
    "text.hinting": "no_hinting",
}

#: Fonts tried, in order, for characters the default font lacks (Korean, Chinese,
#: Japanese names...); only the installed ones are used.
FALLBACK_FONTS = (
    "Noto Sans CJK KR",
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "NanumGothic",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "Noto Sans",
    "Noto Sans Arabic",
    "Noto Sans Hebrew",
    "Noto Sans Devanagari",
)


@functools.cache
def _font_family() -> list[str]:
    installed = {f.name for f in fontManager.ttflist}
    return ["DejaVu Sans", *(f for f in FALLBACK_FONTS if f in installed)]


@contextlib.contextmanager
def _style() -> Iterator[None]:
    """The trapsim rc settings, and one warning for all glyphs missing from the fonts.

    Matplotlib warns once per missing character (twenty warnings for a
    Korean name) and draws boxes; this collects them into one line naming
    the characters.
    """
    missing: list[str] = []
    with warnings.catch_warnings(record=True) as caught, matplotlib.rc_context({**_RC, "font.family": _font_family()}):
        warnings.simplefilter("always")
        yield
    for w in caught:
        m = _GLYPH.search(str(w.message))
        if m:
            if chr(int(m.group(1))) not in missing:
                missing.append(chr(int(m.group(1))))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if missing:
        shown = "".join(missing[:12]) + ("..." if len(missing) > 12 else "")
        warnings.warn(
            f"{len(missing)} characters are missing from the installed fonts and show as "
            f"boxes in the figure ({shown}); install a font that has them "
            "(e.g. Noto Sans CJK) to draw them",
            UserWarning,
            stacklevel=3,
        )


#: The trapsim rc settings as a context manager, for pages composed outside a ``plot_*`` function.
style_context = _style

_GLYPH = re.compile(r"Glyph (\d+) .*missing from")

P = ParamSpec("P")
R = TypeVar("R")


def styled(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a ``plot_*`` function under the trapsim style (fonts, palette, spines)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _style():
            return fn(*args, **kwargs)

    return wrapper


def new_axes(ax: Axes | None, size: tuple[float, float] = SIZE) -> tuple[Figure, Axes]:
    """The given axes and its (top-level) figure, or a new constrained-layout figure with one axes."""
    if ax is not None:
        fig = ax.get_figure()
        while fig is not None and not isinstance(fig, Figure):  # a SubFigure: its parent's
            fig = fig.get_figure()
        if fig is None:
            raise ValueError("ax must belong to a matplotlib Figure")
        return fig, ax
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def axes_title(ax: Axes, text: str) -> None:
    """The axes' title, left-aligned and wrapped at 80 characters."""
    ax.set_title(wrap(text, 80), loc="left", pad=14)


def empty_axes(ax: Axes, text: str) -> None:
    """Hide the axes and say why in their middle (no traps, no box found, ...)."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, wrap(text, 70), ha="center", va="center", transform=ax.transAxes, color=GREY)


def actor_colors(scenario: Scenario) -> dict[str, str]:
    """Each actor's colour: its ``color`` from the file, else the palette in actor order.

    Palette colours already taken by actors are skipped, so two actors never
    share a colour unless the file says so.
    """
    taken = {a.color.upper() for a in scenario.actors if a.color}
    free = [c for c in PALETTE if c.upper() not in taken] or PALETTE
    out: dict[str, str] = {}
    k = 0
    for a in scenario.actors:
        if a.color:
            out[a.id] = a.color
        else:
            out[a.id] = free[k % len(free)]
            k += 1
    return out


def wrap(text: str, width: int) -> str:
    """Wrap ``text`` at ``width`` characters, also breaking after ``_`` and ``-``.

    Identifiers such as ``aq_cal_retaken_reneged`` wrap at their underscores.
    """
    if len(text) <= width:
        return text
    tokens = [t for t in re.split(r"(?<=[_\-\s])", text) if t]
    lines: list[str] = []
    line = ""
    for tok in tokens:
        if line and len(line) + len(tok.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += tok
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)


def footnote(fig: Figure, text: str, *, size: float = 12) -> None:
    """A small grey line at the bottom left (draws, seed, what the bars mean), wrapped to the figure's width."""
    text = wrap_measured(text, size, fig.get_figwidth() - 0.1)  # 0.005 of the width at the left, a margin
    lines = text.count("\n") + 1
    frac = (0.12 + 0.24 * lines * size / 12) / fig.get_figheight()
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):  # constrained layout ignores fig.text: make room
        engine.set(rect=(0, frac, 1, 1 - frac))
    fig.text(0.005, 0.06 / fig.get_figheight(), text, fontsize=size, color=GREY, ha="left", va="bottom")


def percent(x: float) -> str:
    """A share as a percentage with sensible precision (``12.3%``, ``0.24%``, ``0%``)."""
    p = 100 * x
    if p == 0:
        return "0%"
    if p < 0.01:
        return "<0.01%"
    if p < 1:
        return f"{p:.2f}%"
    return f"{p:.1f}%"


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width in inches of ``text`` (its longest line) at font ``size`` in the default font."""
    family = tuple(matplotlib.rcParams["font.family"])
    return max((_line_width(line, size, bold, family) for line in text.split("\n")), default=0.0)


@functools.lru_cache(maxsize=4096)
def _line_width(line: str, size: float, bold: bool, family: tuple[str, ...]) -> float:
    # Laying a line out costs ~0.3 ms and a tree's panels measure the same labels many times.
    prop = FontProperties(family=list(family), size=size, weight="bold" if bold else "normal")
    return float(_TEXT_TO_PATH.get_text_width_height_descent(line, prop, ismath=False)[0]) / 72


def wrap_measured(text: str, size: float, inches: float, *, bold: bool = False) -> str:
    """``text`` wrapped word by word so that no line is wider than ``inches`` (measured, not estimated).

    A single word wider than ``inches`` keeps a line of its own. Each line
    takes words while they fit, as if every longer line were measured in
    turn, but only a few are: see :func:`_last_fitting`.
    """
    lines: list[str] = []
    per_char = 0.55 * size / 72  # inches per character, to guess where a line ends: then as measured

    def fits(line: str) -> bool:
        return text_width(line, size, bold=bold) <= inches

    for para in text.split("\n"):
        words = para.split(" ")
        start = 0
        while True:  # each line takes at least one word
            candidates, ends = _line_candidates(words, start)
            k = _last_fitting(candidates, fits, sum(len(c) * per_char <= inches for c in candidates) - 1)
            if k:
                per_char = text_width(candidates[k], size, bold=bold) / len(candidates[k])
            lines.append(candidates[k])
            start = ends[k]
            if start == len(words):
                break
    return "\n".join(lines)


def _line_candidates(words: list[str], start: int) -> tuple[list[str], list[int]]:
    """The lines that ``words[start:]`` can begin, shortest first, and the index of the word after each.

    The first takes the first word whatever its width (and the empty words
    before it); each next one adds a space and a word.
    """
    line, end = "", start
    while end < len(words) and not line:
        line, end = words[end], end + 1
    candidates, ends = [line], [end]
    for word in words[end:]:
        candidates.append(f"{candidates[-1]} {word}")
        ends.append(ends[-1] + 1)
    return candidates, ends


def _last_fitting(candidates: list[str], fits: Callable[[str], bool], guess: int) -> int:
    """The index of the last of ``candidates`` that ``fits`` (0 if none: the first is always taken).

    Each candidate is the one before plus a space and a word: its glyphs are
    those of the one before and more, placed alike, so it is never narrower
    and ``fits`` holds for a first run of them only. The end of that run is
    found by measuring a few: ``guess`` (an estimate from characters per
    inch), then steps doubling away from it until the end is passed, then
    bisection. Measuring each in turn, as a paragraph was wrapped before,
    cost the square of its length (a tree panel's footnote: 17 ms).
    """
    good, bad = 0, len(candidates)  # candidates[good] is taken; candidates[bad] (if any) is too wide
    probe, step, direction = guess, 1, 0
    while good + 1 < bad:
        probe = min(max(probe, good + 1), bad - 1)
        if fits(candidates[probe]):
            good, toward = probe, 1
        else:
            bad, toward = probe, -1
        if direction in (0, toward):  # still stepping one way from the guess
            direction, probe, step = toward, probe + toward * step, 2 * step
        else:  # passed the end: bisect
            direction, probe = 2, (good + bad) // 2
    return good


def fit(text: str, size: float, inches: float, *, bold: bool = False) -> str:
    """``text`` wrapped so that each line is at most ``inches`` wide (roughly)."""
    w = text_width(text, size, bold=bold)
    if w <= inches or len(text) < 2:
        return text
    return wrap(text, max(4, int(len(text) * inches / w)))
