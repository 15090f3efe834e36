"""The unfolded tree of a small DAG: copy labels, branch labels, endings and legend do not overlap."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg

from trapsim import figures
from trapsim.scenario import load

DATA = Path(__file__).parent / "data"


def test_copy_labels_do_not_overlap_and_the_legend_fits() -> None:
    sc = load(DATA / "dag_alliance.toml")
    fig = figures.plot_tree(sc)  # equilibrium view, unfolded: two copies of three nodes
    assert len(figures.plot_tree_panels(sc)) == 1  # it fits one slide
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    ax = fig.axes[0]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts if t.get_text().strip()]
    names = [text for text, _ in boxes]
    assert not any("[" in t for t in names)  # copies are told apart by their place, not by "[history]" names
    assert sum("North Korea" in t for t in names) >= 2  # both copies of the DPRK's answer, by its label
    clash = [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1 :] if ba.overlaps(bb)]
    assert clash == []
    width = fig.bbox.width
    legend = ax.get_legend().get_window_extent(renderer)
    assert legend.x0 >= 0 and legend.x1 <= width, (legend, width)  # three trap titles used to run off the right
    for _, box in boxes:
        assert box.x0 >= 0 and box.x1 <= width
