"""Saving figures: atomically, reproducibly, PNGs compressed beside the drawing of the next figure.

:func:`save` writes one figure, :func:`save_all` several (the same bytes),
in the formats of :data:`~trapsim.figures.style.FORMATS`, under the trapsim
style (:func:`~trapsim.figures.style.style_context`).
"""

from __future__ import annotations

import contextlib
import functools
import io
import signal
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import PIL.Image
import PIL.PngImagePlugin
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.text import Text

from trapsim.figures.style import DPI, FORMATS, style_context
from trapsim.output import write_atomic

__all__ = ["PNG_COMPRESSION", "save", "save_all"]


def save(fig: Figure, path: str | Path, *, dpi: int = DPI, fmt: str | None = None) -> Path:
    """Save ``fig`` atomically; the format comes from ``fmt`` or the file extension.

    Output is reproducible: no creation dates are embedded in SVG or PDF. A
    PNG is written as :func:`save_all` writes it (:func:`_write_png`).
    """
    path, fmt = Path(path), _format(path, fmt)
    if fmt == "png":
        pixels = _draw_rgba(fig, dpi)
        if pixels is not None:
            return write_atomic(path, lambda tmp: _write_png(tmp, pixels, dpi))

    def write(tmp: Path) -> None:
        with style_context(), _drawn_once(fig):
            fig.savefig(tmp, dpi=dpi, format=fmt, metadata=_METADATA[fmt])

    return write_atomic(path, write)


#: zlib level of PNG files: 3 compressed a 2,560 x 1,440 figure in ~55 ms against ~75 ms at zlib's
#: (and matplotlib's) 6, for files ~2 % bigger (measured on defense_clause's run figures, RGB).
PNG_COMPRESSION = 3
#: What matplotlib's own PNG writer records (no date: the same figure gives the same file).
_PNG_INFO = PIL.PngImagePlugin.PngInfo()
_PNG_INFO.add_text("Software", f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/")


def _draw_rgba(fig: Figure, dpi: int) -> np.ndarray | None:
    """``fig`` drawn at ``dpi``: its pixels ``(height, width, 4)``, or None if the size is not the expected one."""
    width, height = int(fig.get_figwidth() * dpi), int(fig.get_figheight() * dpi)  # as FigureCanvasAgg sizes it
    raw = io.BytesIO()
    with style_context(), _drawn_once(fig), _font_heights_remembered():
        fig.savefig(raw, dpi=dpi, format="rgba")
    pixels = raw.getbuffer()
    if pixels.nbytes != width * height * 4:
        return None
    return np.frombuffer(pixels, dtype=np.uint8).reshape(height, width, 4)


@contextlib.contextmanager
def _drawn_once(fig: Figure) -> Iterator[None]:
    """Within it, ``fig.savefig`` lays ``fig`` out and draws it once, not twice.

    Saving a figure with a layout engine, matplotlib draws it twice: first
    with every drawing call switched off, to lay it out, then for real. The
    first draw lays the figure out and then draws every artist to nothing
    (~0.14 s of the ~1.4 s of CPU that a run's figures take): here it only
    lays out, as :meth:`Figure.draw` does before drawing artists (each axes'
    aspect, then the engine). The real draw, and so the file, is the same
    (tests/test_save_all.py compares the pixels with matplotlib's own
    ``savefig``). Not with ``savefig.bbox: tight``, which measures the
    figure after that first draw, nor for a figure given a ``draw`` of its own.
    """
    engine = fig.get_layout_engine()
    if engine is None or matplotlib.rcParams["savefig.bbox"] == "tight" or "draw" in vars(fig):
        yield
        return

    def lay_out(renderer: RendererBase) -> None:
        del fig.draw  # the first draw only: the next one is Figure.draw
        if not fig.get_visible():  # as Figure.draw
            return
        fig._get_draw_artists(renderer)  # type: ignore[attr-defined]  # applies each axes' aspect
        if fig.axes:
            with contextlib.suppress(ValueError):  # as Figure.draw: a figure too small for its layout
                engine.execute(fig)

    fig.draw = lay_out  # type: ignore[method-assign]
    try:
        yield
    finally:
        if vars(fig).get("draw") is lay_out:  # savefig failed before drawing
            del fig.draw


@contextlib.contextmanager
def _font_heights_remembered() -> Iterator[None]:
    """Within it, an Agg renderer finds the line heights of each font once, not once per text.

    To lay out a text, matplotlib (3.11) finds its font and reads the heights
    from two of the font's tables, every time (~60 us; a run's figures lay out
    ~1,500 texts: ~70 ms), unless the renderer answers
    ``_get_font_height_metrics`` as the PDF renderer does. Here the Agg
    renderer answers it: with the numbers matplotlib computes (the same
    expressions), remembered for the figure being saved (its rc settings and
    dpi cannot change meanwhile). Only where matplotlib asks for them, and
    never over a renderer's own answer.
    """
    layout = getattr(Text, "_get_layout", None)
    asked = layout is not None and "_get_font_height_metrics" in layout.__code__.co_names
    if not asked or hasattr(RendererAgg, "_get_font_height_metrics"):
        yield
        return
    heights = functools.lru_cache(maxsize=256)(_font_heights)

    def answer(renderer: RendererAgg, prop: FontProperties) -> tuple[float | None, float | None, float | None]:
        return heights(prop.copy(), renderer.dpi)  # a copy: a FontProperties can change, and its hash with it

    try:
        RendererAgg._get_font_height_metrics = answer  # type: ignore[attr-defined]
        yield
    finally:
        if vars(RendererAgg).get("_get_font_height_metrics") is answer:
            del RendererAgg._get_font_height_metrics  # type: ignore[attr-defined]


def _font_heights(prop: FontProperties, dpi: float) -> tuple[float | None, float | None, float | None]:
    """Ascent, descent and line gap of ``prop``'s font at ``dpi``, in pixels, as ``Text._get_layout`` computes them.

    From the font's OS/2 table, else its hhea table; ``None`` (measure a
    text instead, as matplotlib does) if it has neither.
    """
    font: Any = get_font(fontManager._find_fonts_by_props(prop))  # typed per table name; these are variables
    for table_name, gap_key, ascent_key, descent_key in _HEIGHT_TABLES:
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * prop.get_size_in_points() * dpi / 72
        return table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale
    return None, None, None


#: Where matplotlib reads a font's line heights: table, line gap, ascent, descent (text.Text._get_layout).
_HEIGHT_TABLES = (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"), ("hhea", "lineGap", "ascent", "descent"))


def _write_png(path: Path, rgba: np.ndarray, dpi: int) -> None:
    """Pixels as a PNG file: RGB when every pixel is opaque (the same image, a quarter less to compress)."""
    image = PIL.Image.fromarray(rgba, "RGBA")
    if int(rgba[..., 3].min()) == 255:
        image = image.convert("RGB")
    image.save(path, format="png", compress_level=PNG_COMPRESSION, dpi=(dpi, dpi), pnginfo=_PNG_INFO)


def save_all(items: Iterable[tuple[Figure, str | Path]], *, dpi: int = DPI, fmt: str | None = None) -> list[Path]:
    """Save each ``(figure, path)`` as :func:`save` does (the same bytes), overlapping the work.

    A PNG is drawn on this thread (matplotlib is not thread-safe) and
    compressed and written on a background thread, where Pillow releases the
    GIL: compressing one figure (a third of its cost) runs
    beside drawing the next, and beside building it when ``items`` is a
    generator that builds figures as they are asked for. Other formats are
    saved in turn. Returns the paths in order; the first error is raised
    after the writes already under way have finished.
    """
    # Nothing may be imported on the background thread: an import waits for the import lock, which
    # the main thread keeps for good if Ctrl-C lands right after it took it (seen: a run that hung
    # forever on SIGTERM). So Pillow's plugins are loaded here, and the thread takes no signals.
    PIL.Image.preinit()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="trapsim-png", initializer=_no_signals) as pool:
        futures: list[Future[Path]] = []
        try:
            for fig, path in items:
                futures.append(_save_async(pool, fig, Path(path), dpi, _format(path, fmt)))
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def _no_signals() -> None:
    """Signals go to the main thread, which handles them; never to a thread it may be waiting for."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def _save_async(pool: ThreadPoolExecutor, fig: Figure, path: Path, dpi: int, fmt: str) -> Future[Path]:
    pixels = _draw_rgba(fig, dpi) if fmt == "png" else None
    if pixels is None:  # another format (or an unexpected size)
        done: Future[Path] = Future()
        done.set_result(save(fig, path, dpi=dpi, fmt=fmt))
        return done
    return pool.submit(write_atomic, path, lambda tmp: _write_png(tmp, pixels, dpi))


def _format(path: str | Path, fmt: str | None) -> str:
    fmt = (fmt or Path(path).suffix.lstrip(".") or "png").lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return fmt


#: Metadata saved with each format: no creation dates, so the same figure gives the same file.
_METADATA: dict[str, dict[str, Any]] = {"svg": {"Date": None}, "pdf": {"CreationDate": None}, "png": {}}
