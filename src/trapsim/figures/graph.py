"""The actor graph (figure 4): actors and their relations, styled by kind."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, PathPatch, Polygon

from trapsim.attribution import Attribution
from trapsim.chains import commitment_chains
from trapsim.figures.arcs import ACTOR_RADIUS, Curve, place_labels
from trapsim.figures.style import actor_colors, footnote, new_axes, styled, text_width, wrap, wrap_measured
from trapsim.model import Scenario

__all__ = ["RELATION_STYLES", "RelationStyle", "plot_actor_graph", "plot_attribution_graph"]


@dataclass(frozen=True, slots=True)
class RelationStyle:
    """How one kind of relation is drawn."""

    color: str
    linestyle: Any  # a matplotlib line style: "-" or (offset, (on, off, ...))
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


_WIDE = 1.45  # the circle of actors is stretched sideways to use a 16:9 slide (room for the edge labels)


def _layout(scenario: Scenario) -> dict[str, np.ndarray]:
    """Actors on a (wide) circle in file order, starting at the top, clockwise: the same every time."""
    import networkx as nx  # slow to import: only when the actor graph is drawn

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
        out[a] = np.array([_WIDE * r * math.cos(ang), r * math.sin(ang)])
    return out


@styled
def plot_actor_graph(
    scenario: Scenario,
    *,
    ax: Axes | None = None,
    edges: Mapping[int, tuple[RelationStyle, str]] | None = None,
    title: str | None = None,
    note: str = "",
) -> Figure:
    """Actors as coloured nodes, relations as edges styled by kind, with a legend.

    The layout is fixed (a circle in the file's actor order, first actor at
    the top), so the picture is the same every time. Several relations
    between the same two actors are drawn as separate arcs; arrowheads show
    directed relations.

    ``edges`` overrides the style and label of relation ``k`` (file order),
    e.g. to show attribution (:func:`plot_attribution_graph`); ``title`` and
    ``note`` replace the title and extend the footnote.

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
    kinds, labels = _relations(ax, scenario, pos, edges)
    ax.set_xlim(-0.3 - _WIDE, 0.3 + _WIDE)
    ax.set_ylim(-1.25, 1.25)
    heading = title if title is not None else f"Actors: {scenario.title}"
    fig.suptitle(wrap(heading, 90), x=0.01, ha="left", fontsize=21, fontweight="bold")
    handles = [
        Line2D([], [], color=s.color, linestyle=s.linestyle, linewidth=s.width, label=kind) for kind, s in kinds.items()
    ]
    if handles:
        ax.legend(
            handles=handles,
            loc="center left",
            bbox_to_anchor=(1.02, 0.5),
            title="relation",
            handlelength=3.2,
            fontsize=15,
            title_fontsize=15,
        )
    if not scenario.relations:
        ax.text(0, -1.1, "(the scenario lists no relations)", ha="center", color="#555555")
    footnote(
        fig,
        "arrowheads: directed relations (from → to); lines without arrowheads are mutual"
        + note
        + _chains_note(scenario),
    )
    scale = _inches_per_unit(fig, ax)  # after title, legend and footnote took their room
    _actors(ax, scenario, pos, scale)
    place_labels(ax, labels, pos, scale)
    return fig


def _relations(
    ax: Axes,
    scenario: Scenario,
    pos: Mapping[str, np.ndarray],
    edges: Mapping[int, tuple[RelationStyle, str]] | None,
) -> tuple[dict[str, RelationStyle], list[tuple[Curve, str, str]]]:
    """Draw every relation as an arc (several between one pair spread apart).

    Returns the styles used, by kind, and each arc with its label and colour
    (placed later by :func:`_place_labels`, once the scale is known).
    """
    pairs: dict[frozenset[str], list[int]] = defaultdict(list)
    for k, rel in enumerate(scenario.relations):
        if rel.source != rel.target:
            pairs[frozenset((rel.source, rel.target))].append(k)
    kinds: dict[str, RelationStyle] = {}
    labels: list[tuple[Curve, str, str]] = []
    for members in pairs.values():
        m = len(members)
        for j, k in enumerate(members):
            rel = scenario.relations[k]
            style = RELATION_STYLES.get(rel.kind, _OTHER)
            label = rel.label or rel.kind
            if edges is not None:
                style, label = edges.get(k, (_FADED, label))
            else:
                kinds.setdefault(rel.kind, style)
            a, b = pos[rel.source], pos[rel.target]
            # arcs of one pair spread symmetrically, bent the same way whichever end is "from"
            sign = 1 if rel.source < rel.target else -1
            rad = (j - (m - 1) / 2) * 0.5 * sign
            curve = Curve(a, b, rad)
            _edge(ax, curve, style, rel.directed, f"relation:{k}")
            labels.append((curve, label, style.color))
    return kinds, labels


def _actors(ax: Axes, scenario: Scenario, pos: Mapping[str, np.ndarray], scale: float) -> None:
    """Each actor as a circle in its colour, its name fitted inside (``scale``: inches per layout unit)."""
    colors = actor_colors(scenario)
    for actor in scenario.actors:
        x, y = pos[actor.id]
        ax.add_patch(
            Circle(
                (x, y),
                _R,
                facecolor=colors[actor.id],
                edgecolor="white",
                linewidth=3,
                zorder=4,
                gid=f"actor:{actor.id}",
            )
        )
        name, size = _fit_name(actor.name, 2 * _R * scale)
        ax.text(
            x,
            y,
            name,
            ha="center",
            va="center",
            fontsize=size,
            fontweight="bold",
            color=_ink(colors[actor.id]),
            zorder=5,
            linespacing=1.0,
        )


def _chains_note(scenario: Scenario) -> str:
    """``\nchains of commitment to the war: China → North Korea → Russia; ...`` ('' without any)."""
    names = {a.id: a.name for a in scenario.actors}
    chains = [c for c in commitment_chains(scenario).values() if c is not None and c.steps > 0]
    if not chains:
        return ""
    text = "; ".join(" → ".join(names.get(a, a) for a in c.actors) for c in chains)
    return "\n" + wrap(f"chains of commitment to the war: {text}", 150)


_FADED = RelationStyle("#BBBBBB", "-", 1.5)
_DEPENDS = "#B00000"
_PREVENTS = "#0072B2"


def plot_attribution_graph(attribution: Attribution, trap: str, *, ax: Axes | None = None) -> Figure:
    """The actor graph with each tie drawn by how much of ``trap`` depends on it.

    An attributable tie (a relation with ``absent``) is drawn in red with a
    width growing with its *depends* share (the share of the trap's firings
    that need the tie), labelled with that share; a tie that prevents the trap
    more often than it springs it is drawn in blue with its *prevents* share
    (of all draws). Ties without ``absent`` are thin and grey.
    """
    sc = attribution.scenario
    edges: dict[int, tuple[RelationStyle, str]] = {}
    for ra in attribution.relations:
        rel = ra.relation
        name = rel.label or rel.kind
        if not ra.attributable:
            edges[ra.index] = (_FADED, "")  # unlabelled: named in the footnote
            continue
        dep = ra.traps[trap]["depends"]["rate"]
        prv = ra.traps[trap]["prevents"]["rate"] or 0.0
        if dep is not None and dep >= prv:
            edges[ra.index] = (RelationStyle(_DEPENDS, "-", 2.0 + 14.0 * dep), f"{name}\ndepends {_pct(dep)}")
        elif prv > 0:
            edges[ra.index] = (RelationStyle(_PREVENTS, "-", 2.0 + 14.0 * prv), f"{name}\nprevents {_pct(prv)}")
        else:
            edges[ra.index] = (RelationStyle(_DEPENDS, (0, (2, 2)), 2.0), f"{name}\ndepends n/a")
    res = attribution.result
    title = f"{sc.trap(trap).title}: which tie springs it?"
    faded = sum(1 for ra in attribution.relations if not ra.attributable)
    note = (
        (f"\nthin grey: {faded} ties without an `absent` table (not attributable)" if faded else "")
        + "\nred: share of the trap's firings that need the tie (fires with it, not without); blue: share of all "
        f"draws where the tie prevents it\n{res.draws:,} draws · seed {res.seed}"
    )
    return plot_actor_graph(sc, ax=ax, edges=edges, title=title, note=note)


def _pct(x: float) -> str:
    """A share in % (whole from 10%); never rounded up to 100% (``99.7%``) nor down to 0% unless it is."""
    digits = 0 if x >= 0.1 else 1
    text = f"{100 * x:.{digits}f}"
    while digits < 6 and ((x < 1 and float(text) >= 100) or (x > 0 and float(text) == 0)):
        digits += 1
        text = f"{100 * x:.{digits}f}"
    return f"{text}%"


_R = ACTOR_RADIUS


def _inches_per_unit(fig: Figure, ax: Axes) -> float:
    """Inches per layout unit as the figure is laid out now (equal aspect)."""
    fig.draw_without_rendering()
    (x0, _), (x1, _) = ax.transData.transform([(0.0, 0.0), (1.0, 0.0)])
    return float(x1 - x0) / fig.dpi


def _fit_name(name: str, diameter: float) -> tuple[str, float]:
    """The wrapping (at spaces only) and font size (at most 17 pt) that best fill a circle of ``diameter`` inches.

    The text's box, corners included, lies inside the circle.
    """
    room = 0.94 * diameter / 2
    size = 17.0
    while size > 8:
        for frac in (1.0, 0.85, 0.7, 0.55, 0.4):
            text = wrap_measured(name, size, frac * diameter, bold=True)
            w, h = text_width(text, size, bold=True), (text.count("\n") + 1) * size * 1.25 / 72
            if math.hypot(w / 2, h / 2) <= room:
                return text, size
        size -= 0.5
    return name, 8.0


def _edge(ax: Axes, curve: Curve, style: RelationStyle, directed: bool, gid: str) -> None:
    head = 0.085 if directed else 0.0
    gap = _R + 0.03
    t0, t_tip = curve.clip(gap, gap)
    _, t1 = curve.clip(gap, gap + head * 0.8)
    ax.add_patch(
        PathPatch(
            curve.segment(t0, t1),
            facecolor="none",
            edgecolor=style.color,
            linewidth=style.width,
            linestyle=style.linestyle,
            capstyle="butt",
            zorder=2,
            gid=gid,
        )
    )
    if directed:  # a solid head whatever the line style
        tip = curve.at(t_tip)
        back = curve.at(t1)
        u = (tip - back) / max(float(np.hypot(*(tip - back))), 1e-9)
        base = tip - head * u
        n = np.array([-u[1], u[0]]) * head * 0.45
        ax.add_patch(
            Polygon(
                [tip, base + n, base - n],
                closed=True,
                facecolor=style.color,
                edgecolor=style.color,
                linewidth=1,
                zorder=2,
            )
        )


def _ink(color: str) -> str:
    """Black or white text, whichever reads better on ``color``."""
    try:
        r, g, b = to_rgb(color)
    except ValueError:
        return "black"
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.6 else "white"
