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
