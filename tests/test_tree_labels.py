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
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    ax = fig.axes[0]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts if t.get_text().strip()]
    names = [text for text, _ in boxes]
    assert any("[acquiesce]" in t for t in names) and any("[restrain]" in t for t in names)
    clash = [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1 :] if ba.overlaps(bb)]
    assert clash == []
    width = fig.bbox.width
    legend = ax.get_legend().get_window_extent(renderer)
    assert legend.x0 >= 0 and legend.x1 <= width, (legend, width)  # three trap titles used to run off the right
    for _, box in boxes:
        assert box.x0 >= 0 and box.x1 <= width
