"""figures.save_all: the bytes of figures.save, in order, errors raised, other formats too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trapsim import api, figures
from trapsim.figures.style import style_context

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def result():
    return api.simulate(api.load(ROOT / "scenarios" / "defense_clause.toml"), draws=2000, seed=5)


def test_png_bytes_are_those_of_save(result, tmp_path: Path) -> None:
    plots = (figures.plot_trap_rates, figures.plot_outcomes, figures.plot_convergence)
    one_by_one = [figures.save(plot(result), tmp_path / f"save_{k}.png") for k, plot in enumerate(plots)]
    together = figures.save_all(((plot(result), tmp_path / f"all_{k}.png") for k, plot in enumerate(plots)))
    assert together == [tmp_path / f"all_{k}.png" for k in range(3)]
    for a, b in zip(one_by_one, together, strict=True):
        assert a.read_bytes() == b.read_bytes(), b.name
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".trapsim-")]


def test_dpi_sets_the_pixel_size(result, tmp_path: Path) -> None:
    from PIL import Image

    (path,) = figures.save_all([(figures.plot_trap_rates(result), tmp_path / "t.png")], dpi=100)
    with Image.open(path) as im:
        assert im.size == (1280, 720)  # 12.8 x 7.2 inches at 100 dpi


def test_svg_and_pdf_are_saved_too(result, tmp_path: Path) -> None:
    paths = figures.save_all(
        [(figures.plot_trap_rates(result), tmp_path / "t.svg"), (figures.plot_outcomes(result), tmp_path / "o.pdf")]
    )
    assert paths[0].read_text().lstrip().startswith("<?xml")
    assert paths[1].read_bytes().startswith(b"%PDF")


def test_an_error_is_raised_and_the_other_files_are_written(result, tmp_path: Path) -> None:
    (tmp_path / "bad.png").mkdir()
    items = [
        (figures.plot_trap_rates(result), tmp_path / "first.png"),
        (figures.plot_outcomes(result), tmp_path / "bad.png"),
    ]
    with pytest.raises(IsADirectoryError):
        figures.save_all(items)
    assert (tmp_path / "first.png").stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.png", "first.png"]  # no partial file


def test_the_background_thread_imports_nothing(tmp_path: Path) -> None:
    # A run hung forever on SIGTERM: the main thread kept the import lock (a KeyboardInterrupt right
    # after taking it) while it waited for the PNG thread, which imported Pillow's plugins. Here the
    # main thread holds the import lock while saving, with Pillow's plugins not yet loaded.
    script = f"""
import _imp, sys
import PIL.Image
from trapsim import figures
from matplotlib.figure import Figure
for name in [m for m in sys.modules if m.startswith("PIL.") and m.endswith("ImagePlugin") and "Png" not in m]:
    del sys.modules[name]
PIL.Image._initialized = 0
fig = Figure(figsize=(2, 1))
fig.add_subplot().plot([0, 1])
_imp.acquire_lock()
figures.save_all([(fig, {str(tmp_path / "f.png")!r})])
_imp.release_lock()
print("saved")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "saved", done.stderr


def test_an_opaque_png_is_rgb_with_exactly_the_drawn_pixels_and_a_transparent_one_keeps_alpha(
    result, tmp_path: Path
) -> None:
    import io

    import numpy as np
    from PIL import Image

    for transparent in (False, True):
        fig = figures.plot_trap_rates(result)
        if transparent:
            fig.patch.set_alpha(0.0)
        path = figures.save(fig, tmp_path / f"t{transparent}.png", dpi=50)
        raw = io.BytesIO()
        with style_context():
            fig.savefig(raw, format="rgba", dpi=50)  # matplotlib's own drawing, no trapsim encoder
        drawn = np.frombuffer(raw.getvalue(), np.uint8).reshape(360, 640, 4)
        with Image.open(path) as im:
            assert im.mode == ("RGBA" if transparent else "RGB")
            assert np.array_equal(np.asarray(im.convert("RGBA")), drawn)
            assert im.info["dpi"] == pytest.approx((50, 50), rel=1e-3)  # stored as pixels per metre


def _mixed_figure():
    """Constrained layout with what it moves: a colorbar, a fixed aspect, an inset, a subfigure, a suptitle."""
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4), layout="constrained")
    left, right = fig.subfigures(1, 2)
    ax = left.add_subplot()
    image = ax.imshow(np.arange(12.0).reshape(3, 4), cmap="Blues")
    left.colorbar(image, ax=ax, label="share")
    ax.inset_axes((0.6, 0.6, 0.3, 0.3)).plot([0, 1], [1, 0])
    square = right.add_subplot()
    square.set_aspect("equal")
    square.plot([0, 3], [0, 1])
    square.set_title("A title long enough to need room")
    fig.suptitle("Laid out")
    return fig


def test_a_figure_is_drawn_once_with_the_pixels_of_matplotlibs_savefig(result, tmp_path: Path) -> None:
    # matplotlib's savefig lays a figure out in a first draw with drawing switched off, then draws
    # it; figures.save only lays it out before the one draw. Same pixels, figure by figure (each
    # built twice: a layout depends on the positions it starts from, so even matplotlib's savefig
    # of a tree panel saved before gives other pixels). The figure keeps its layout engine.
    import io

    import numpy as np
    from matplotlib.figure import Figure
    from PIL import Image

    def plain() -> Figure:  # no layout engine: one draw either way
        fig = Figure(figsize=(4, 3))
        fig.add_subplot().plot([0, 1], [0, 2])
        return fig

    makers = {
        "traps": lambda: figures.plot_trap_rates(result),
        "convergence": lambda: figures.plot_convergence(result),
        "tree panel B": lambda: figures.plot_tree_panels(result)[1],
        "actor graph": lambda: figures.plot_actor_graph(result.scenario),
        "mixed": _mixed_figure,
        "plain": plain,
    }
    for name, make in makers.items():
        fig = make()
        engine = fig.get_layout_engine()
        path = figures.save(fig, tmp_path / "f.png", dpi=40)
        assert fig.get_layout_engine() is engine and "draw" not in vars(fig), name
        raw = io.BytesIO()
        reference = make()
        with style_context():
            reference.savefig(raw, format="rgba", dpi=40)
        drawn = np.frombuffer(raw.getvalue(), np.uint8).reshape(-1, int(reference.get_figwidth() * 40), 4)
        with Image.open(path) as im:
            assert np.array_equal(np.asarray(im.convert("RGBA")), drawn), name


def test_remembered_font_heights_lay_texts_out_as_matplotlib_does() -> None:
    # The Agg renderer answers matplotlib's question for a font's line heights while a PNG is drawn,
    # remembering the answers per font and dpi: every text laid out within one use of it, across
    # fonts, sizes, weights and dpis, is laid out exactly as matplotlib lays it out by itself.
    from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    from trapsim.figures.saving import _font_heights_remembered

    def layouts() -> list[str]:
        out = []
        for dpi in (72, 150, 220):
            fig = Figure(dpi=dpi)
            renderer = FigureCanvasAgg(fig).get_renderer()
            for family in ("DejaVu Sans", "STIXGeneral", "DejaVu Serif"):  # bundled with matplotlib
                for size, weight in ((9.0, "normal"), (14.5, "bold"), (21.0, "normal")):
                    prop = FontProperties(family=family, size=size, weight=weight)
                    for text, spacing in (("Ag", 1.2), ("Two lines\nof text, gÉ", 1.2), ("Spaced\nout", 1.6)):
                        t = fig.text(0.1, 0.2, text, fontproperties=prop, linespacing=spacing, rotation=30)
                        bbox, lines, (corner, box) = t._get_layout(renderer)
                        out.append(repr((family, size, weight, dpi, text, bbox.bounds, lines, corner, box)))
        return out

    with style_context():
        alone = layouts()
        with _font_heights_remembered():
            assert hasattr(RendererAgg, "_get_font_height_metrics")  # matplotlib 3.11 asks for them
            remembered = layouts()
    assert remembered == alone
    assert not hasattr(RendererAgg, "_get_font_height_metrics")  # other figures (a notebook's) untouched


def test_a_figure_with_a_draw_of_its_own_is_drawn_as_matplotlib_draws_it(result, tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    fig = figures.plot_outcomes(result)
    drawn: list[object] = []

    def draw(renderer: object) -> None:  # e.g. a notebook's hook around each draw
        drawn.append(renderer)
        Figure.draw(fig, renderer)

    fig.draw = draw  # type: ignore[method-assign]
    figures.save(fig, tmp_path / "o.png", dpi=40)
    assert len(drawn) == 2 and fig.draw is draw  # the layout draw and the real one, both its own
