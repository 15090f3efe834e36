"""Geometry of figures as shown: legends clear of the data, texts inside the figure."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

import trapsim
from trapsim.figures.comparison import plot_comparison
from trapsim.figures.sweeps import plot_sweep_lines
from trapsim.sweeps import grid_values

DEFENSE = Path(__file__).resolve().parents[1] / "scenarios" / "defense_clause.toml"


@pytest.fixture(scope="module")
def defense() -> trapsim.Scenario:
    return trapsim.load(DEFENSE)


def _drawn(fig: Figure) -> tuple[list[Text], RendererAgg]:
    """The texts the renderer draws (ticks outside the view are not), and the renderer."""
    drawn: list[Text] = []
    original = Text.draw

    def spy(self: Text, renderer: RendererAgg) -> None:
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
        original(self, renderer)

    canvas = FigureCanvasAgg(fig)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(Text, "draw", spy)
        canvas.draw()
    return drawn, canvas.get_renderer()


def texts_outside(fig: Figure) -> list[str]:
    """The drawn texts whose box extends beyond the figure (by more than a pixel)."""
    drawn, renderer = _drawn(fig)
    box = fig.bbox
    out = []
    for t in drawn:
        e = t.get_window_extent(renderer)
        if e.x0 < box.x0 - 1 or e.x1 > box.x1 + 1 or e.y0 < box.y0 - 1 or e.y1 > box.y1 + 1:
            out.append(t.get_text()[:50])
    return out


def test_sweep_legend_is_outside_the_data_and_no_text_is_cut(defense: trapsim.Scenario) -> None:
    one = trapsim.sweep(defense, {"need_peace": grid_values(0.0, 0.4, 5)}, draws=300, seed=1)
    fig = plot_sweep_lines(one)
    _, renderer = _drawn(fig)
    (ax,) = fig.axes
    legend = ax.get_legend()
    assert legend is not None and len(legend.get_texts()) == len(defense.traps)
    lbox, abox = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
    assert lbox.x0 >= abox.x1, (lbox, abox)  # right of the data area, so over no line or band
    assert not texts_outside(fig)


def test_compare_footer_breaks_only_at_spaces(defense: trapsim.Scenario) -> None:
    other = defense.with_values({"need_peace": 0.3})
    fig = plot_comparison(trapsim.compare([defense, other], draws=500, seed=1))
    (footer,) = [t for t in fig.texts if "differs from" in t.get_text()]
    lines = footer.get_text().split("\n")
    assert "defense_clause" in " ".join(lines)  # the id is whole, on one line
    assert not texts_outside(fig)
