"""Geometry of figures as shown: legends clear of the data, texts inside the figure."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

import trapsim
from trapsim import api
from trapsim.figures.comparison import plot_comparison
from trapsim.figures.graph import _pct, plot_actor_graph, plot_attribution_graph
from trapsim.figures.sweeps import plot_sweep_heatmap, plot_sweep_lines
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


def _name_boxes(fig: Figure) -> list[tuple[str, Bbox, tuple[float, float], float]]:
    """Each actor's name box, its circle's centre and radius, in display pixels."""
    _, renderer = _drawn(fig)
    (ax,) = fig.axes
    out = []
    for patch in ax.patches:
        gid = patch.get_gid() or ""
        if not (isinstance(patch, Circle) and gid.startswith("actor:")):
            continue
        cx, cy = ax.transData.transform(patch.center)
        radius = ax.transData.transform((patch.center[0] + patch.radius, patch.center[1]))[0] - cx
        (text,) = [t for t in ax.texts if np.allclose(t.get_position(), patch.center)]
        out.append((text.get_text(), text.get_window_extent(renderer), (cx, cy), radius))
    return out


@pytest.fixture(scope="module")
def graphs(defense: trapsim.Scenario) -> dict[str, Figure]:
    attribution = api.attribute(defense, draws=500, seed=1)
    return {"actors": plot_actor_graph(defense), "putin_trap": plot_attribution_graph(attribution, "putin_trap")}


@pytest.mark.parametrize("which", ["actors", "putin_trap"])
def test_actor_names_lie_inside_their_circles(defense: trapsim.Scenario, graphs: dict[str, Figure], which: str) -> None:
    boxes = _name_boxes(graphs[which])
    assert len(boxes) == len(defense.actors)
    for name, box, (cx, cy), radius in boxes:
        corners = [(box.x0, box.y0), (box.x0, box.y1), (box.x1, box.y0), (box.x1, box.y1)]
        assert all(np.hypot(x - cx, y - cy) <= radius for x, y in corners), name
        assert "_" not in name and name.replace("\n", " ") in {a.name for a in defense.actors}  # broken at spaces


@pytest.mark.parametrize("which", ["actors", "putin_trap"])
def test_edge_labels_cover_no_actor_and_no_other_label(
    defense: trapsim.Scenario, graphs: dict[str, Figure], which: str
) -> None:
    fig = graphs[which]
    _, renderer = _drawn(fig)
    names = _name_boxes(fig)
    (ax,) = fig.axes
    labels = [t.get_bbox_patch().get_window_extent(renderer) for t in ax.texts if t.get_bbox_patch() is not None]
    assert len(labels) == (len(defense.relations) if which == "actors" else 4)  # 4 ties with `absent`
    assert not texts_outside(fig)
    for i, box in enumerate(labels):
        assert not any(box.overlaps(other) for other in labels[i + 1 :])
        for _, _, (cx, cy), radius in names:
            nearest = (min(max(cx, box.x0), box.x1), min(max(cy, box.y0), box.y1))
            assert np.hypot(nearest[0] - cx, nearest[1] - cy) > radius


@pytest.mark.parametrize(
    ("share", "shown"),
    [(0.997, "99.7%"), (0.9996, "99.96%"), (1.0, "100%"), (0.32, "32%"), (0.035, "3.5%"), (0.0004, "0.04%")],
)
def test_attribution_shares_are_never_rounded_to_100_or_0(share: float, shown: str) -> None:
    assert _pct(share) == shown


def test_a_four_way_comparison_keeps_every_title_inside_the_figure() -> None:
    root = DEFENSE.parent
    names = ["defense_clause", "no_defense_clause", "china_pressure", "ceasefire"]
    comparison = trapsim.compare([trapsim.load(root / f"{n}.toml") for n in names], draws=300, seed=1)
    assert not texts_outside(plot_comparison(comparison))


def test_the_heatmap_axis_labels_stay_inside_the_figure(defense: trapsim.Scenario) -> None:
    grid = {"china_stake": grid_values(0, 0.6, 3), "need_peace": grid_values(0, 0.4, 3)}
    fig = plot_sweep_heatmap(trapsim.sweep(defense, grid, draws=100, seed=1), "kim_trap")
    assert not texts_outside(fig)


@pytest.mark.parametrize("traps", [3, 6, 8])
def test_poll_traps_labels_do_not_overprint_and_no_text_is_cut(traps: int) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from test_figure_text import _poll_summary
    from trapsim.figures import plot_poll_traps

    summary = _poll_summary()
    summary["traps"] = [
        {**summary["traps"][k % len(summary["traps"])], "id": f"t{k}", "given": "Ukraine pushed and gained ground"}
        for k in range(traps)
    ]
    fig = plot_poll_traps(summary)
    assert texts_outside(fig) == []
    drawn, renderer = _drawn(fig)
    labels = [t.get_window_extent(renderer) for t in fig.axes[0].get_yticklabels() if t in drawn]
    assert len(labels) == traps
    for a, b in itertools.pairwise(labels):
        assert not a.overlaps(b), "two trap labels overprint each other"


@pytest.mark.parametrize(("nx", "ny"), [(4, 11), (13, 3), (15, 2)])
def test_heatmap_ticks_sit_on_the_cells_values(nx: int, ny: int) -> None:
    """A tick between two rows would be read as a row's value: every tick is one of the grid's values."""
    sc = trapsim.load(Path(__file__).parent / "data" / "threshold.toml")
    grid = {"t": grid_values(0, 0.9, nx), "s": grid_values(0, 0.4, ny)}
    res = trapsim.sweep(sc, grid, draws=50, seed=1, workers=1)
    fig = plot_sweep_heatmap(res, "both")
    ax = fig.axes[0]
    for ticks, values in ((ax.get_xticks(), grid["t"]), (ax.get_yticks(), grid["s"])):
        assert 2 <= len(ticks) <= 9
        assert set(ticks.tolist()) <= set(values) and ticks[0] == values[0]
