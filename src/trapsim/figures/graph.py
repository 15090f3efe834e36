"""The actor graph (figure 4): actors and their relations, styled by kind."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import networkx as nx
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from trapsim.figures._style import actor_colors, footnote, new_axes, styled, wrap
from trapsim.model import Scenario

__all__ = ["RELATION_STYLES", "RelationStyle", "plot_actor_graph"]


@dataclass(frozen=True, slots=True)
class RelationStyle:
    """How one kind of relation is drawn."""

    color: str
    linestyle: str | tuple[float, tuple[float, ...]]
    width: float


#: Styles of the known relation kinds; other kinds are drawn grey, solid and thin.
RELATION_STYLES: dict[str, RelationStyle] = {
    "alliance": RelationStyle("#009E73", "-", 4.5),
    "partnership": RelationStyle("#56B4E9", "-", 3.0),
    "support": RelationStyle("#0072B2", "-", 3.0),
    "patronage": RelationStyle("#CC79A7", "-", 3.0),
    "supply": RelationStyle("#E69F00", (0, (6, 2)), 2.5),
    "payment": RelationStyle("#B8860B", (0, (1, 2)), 2.5),
    "trade": RelationStyle("#E69F00", "-", 2.0),
    "rivalry": RelationStyle("#D55E00", (0, (5, 3)), 3.0),
    "war": RelationStyle("#B00000", "-", 5.0),
    "sanctions": RelationStyle("#000000", (0, (2, 2)), 2.5),
    "deterrence": RelationStyle("#555555", (0, (6, 2, 1, 2)), 2.5),
}
_OTHER = RelationStyle("#888888", "-", 2.0)
_NODE_SIZE = 0.16  # node radius in axes units (the layout spans [-1, 1])


def _layout(scenario: Scenario) -> dict[str, np.ndarray]:
    """Actors on a circle in file order, starting at the top, clockwise: the same every time."""
    g = nx.Graph()
    g.add_nodes_from(scenario.actor_ids)
    if len(scenario.actors) == 1:
        return {scenario.actor_ids[0]: np.zeros(2)}
    pos = nx.circular_layout(g)  # counter-clockwise from (1, 0)
    n = len(scenario.actors)
    turn = math.pi / 2 - (math.pi / n if n == 2 else 0.0)
    out = {}
    for k, a in enumerate(scenario.actor_ids):  # rotate: first actor at the top, clockwise
        ang = turn - 2 * math.pi * k / n
        r = float(np.hypot(*pos[a]))
        out[a] = np.array([r * math.cos(ang), r * math.sin(ang)])
    return out


@styled
def plot_actor_graph(scenario: Scenario, *, ax: Axes | None = None) -> Figure:
    """Actors as coloured nodes, relations as edges styled by kind, with a legend.

    The layout is fixed (a circle in the file's actor order), so the picture
    is the same every time. Several relations between the same two actors
    are drawn as separate arcs; arrows show directed relations.

    Returns
    -------
    Figure
        Actor nodes carry ``gid="actor:<id>"``, relation ``k`` (file order)
        ``gid="relation:<k>"``.
    """
    fig, ax = new_axes(ax)
    ax.set_axis_off()
    ax.set_aspect("equal")
    pos = _layout(scenario)
    colors = actor_colors(scenario)
    pairs: dict[frozenset[str], list[int]] = defaultdict(list)
    for k, rel in enumerate(scenario.relations):
        pairs[frozenset((rel.source, rel.target))].append(k)
    kinds: dict[str, RelationStyle] = {}
    for members in pairs.values():
        m = len(members)
        for j, k in enumerate(members):
            rel = scenario.relations[k]
            style = RELATION_STYLES.get(rel.kind, _OTHER)
            kinds.setdefault(rel.kind, style)
            a, b = pos[rel.source], pos[rel.target]
            # arcs of one pair spread symmetrically; orient by a fixed actor order
            canonical = rel.source < rel.target
            rad = (j - (m - 1) / 2) * 0.32 * (1 if canonical else -1)
            _edge(ax, a, b, rad, style, rel.directed, f"relation:{k}")
            if rel.label or rel.kind:
                _edge_label(ax, a, b, rad, rel.label or rel.kind, style.color)
    for actor in scenario.actors:
        x, y = pos[actor.id]
        circle = ax.scatter([x], [y], s=5200, color=colors[actor.id], edgecolors="white",
                            linewidths=3, zorder=4)
        circle.set_gid(f"actor:{actor.id}")
        ax.text(x, y, wrap(actor.name, 12), ha="center", va="center", fontsize=15,
                fontweight="bold", color=_ink(colors[actor.id]), zorder=5, linespacing=1.0)
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-1.3, 1.3)
    ax.set_title(wrap(f"Actors: {scenario.title}", 80), loc="left")
    handles = [Line2D([], [], color=s.color, linestyle=s.linestyle, linewidth=s.width, label=kind)
               for kind, s in kinds.items()]
    if handles:
        ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), title="relation",
                  handlelength=3.2, fontsize=15, title_fontsize=15)
    footnote(fig, "arrows: directed relations; lines without arrows are mutual")
    return fig


def _edge(ax: Axes, a: np.ndarray, b: np.ndarray, rad: float, style: RelationStyle,
          directed: bool, gid: str) -> None:
    patch = FancyArrowPatch(
        tuple(a), tuple(b), connectionstyle=f"arc3,rad={rad}",
        arrowstyle="-|>,head_length=0.9,head_width=0.5" if directed else "-",
        mutation_scale=18, color=style.color, linewidth=style.width, linestyle=style.linestyle,
        shrinkA=38, shrinkB=40, zorder=2, gid=gid,
    )
    ax.add_patch(patch)


def _edge_label(ax: Axes, a: np.ndarray, b: np.ndarray, rad: float, text: str, color: str) -> None:
    # midpoint of matplotlib's arc3 quadratic Bezier: chord midpoint + rad/2 * (dy, -dx)
    mid = (a + b) / 2
    d = b - a
    x, y = mid + 0.5 * rad * np.array([d[1], -d[0]])
    ax.text(x, y, wrap(text, 20), ha="center", va="center", fontsize=12, color="#111111",
            zorder=3, linespacing=1.0,
            bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": color,
                  "linewidth": 1.2, "alpha": 0.92})


def _ink(hex_color: str) -> str:
    """Black or white text, whichever reads better on ``hex_color``."""
    try:
        r, g, b = to_rgb(hex_color)
    except ValueError:
        return "black"
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.6 else "white"

