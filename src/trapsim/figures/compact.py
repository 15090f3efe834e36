"""The compact game graph: each node of the file drawn once, shares summed over its copies.

A scenario with shared nodes unfolds into a tree with one copy of a shared node
per history (see :mod:`trapsim.unfolding`); :func:`plot_tree` draws that
unfolded tree. :func:`plot_compact_tree` draws the graph as written instead:
one box per node and outcome, columns by the longest path from the root, and
each action labelled with the share of all draws (or the equilibrium
probability) that took it, summed over the copies of its node.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from trapsim.equilibrium import Equilibrium
from trapsim.figures.style import CHANCE_COLOR, GREY, actor_colors, fit, footnote, new_axes, percent, styled
from trapsim.model import DecisionNode, Scenario
from trapsim.runner import Result
from trapsim.solver import build_tree

__all__ = ["edge_shares", "plot_compact_panels", "plot_compact_tree"]

_WIDTH = 12.8  # inches: one 16:9 slide
_COL = 2.0  # inches per column, at least
_STUB = 1.0  # columns right of the last one, for the texts of stubs leaving the panel
_STUB_ROW = 0.7  # rows between stubs, below the panel's nodes


def edge_shares(source: Result | Equilibrium) -> dict[tuple[str, str], float]:
    """``{(node id, action): share}`` summed over the copies of each node.

    From a run: the share of all draws that took the action. From an
    equilibrium: the probability of reaching a copy times the action's
    probability there, summed over copies.
    """
    sc = source.scenario
    tree = build_tree(sc)
    out: dict[tuple[str, str], float] = defaultdict(float)
    for i in tree.inner:
        pos = tree.positions[i]
        for k, action in enumerate(pos.actions):
            if isinstance(source, Result):
                counts = source.edge_counts.get(pos.name, [0] * len(pos.actions))
                out[(pos.id, action)] += counts[k] / source.draws
            else:
                reach = source.reach.get(pos.name, 0.0)
                out[(pos.id, action)] += reach * source.action_probabilities.get(pos.name, {}).get(action, 0.0)
    return dict(out)


def _columns(sc: Scenario) -> dict[str, int]:
    """Column of every node and outcome: the longest path from the root; an outcome one right of its parents."""
    col = {sc.root: 0}
    order: list[str] = []
    seen: set[str] = set()

    def visit(n: str) -> None:  # depth-first post-order; the graph is small and acyclic
        seen.add(n)
        for t in sc.nodes[n].targets:
            if t in sc.nodes and t not in seen:
                visit(t)
        order.append(n)

    visit(sc.root)
    for n in reversed(order):  # topological order: parents first
        for t in sc.nodes[n].targets:
            col[t] = max(col.get(t, 0), col[n] + 1)  # outcomes too: right of their deepest parent
    return col


def _groups(columns: int) -> list[range]:
    """Consecutive columns per panel: as few panels as keep every column at least :data:`_COL` wide."""
    most = max(2, int((_WIDTH - 0.6) / _COL - _STUB))
    panels = -(-columns // most)
    per = -(-columns // panels)
    return [range(k, min(k + per, columns)) for k in range(0, columns, per)]


@styled
def plot_compact_tree(
    source: Scenario | Result, *, equilibrium: Equilibrium | None = None, ax: Axes | None = None
) -> Figure:
    """Draw the scenario's graph of nodes as written, each node once: the first panel of :func:`plot_compact_panels`.

    Parameters
    ----------
    source
        A :class:`~trapsim.runner.Result`: each action is labelled with the
        share of all draws that took it (summed over the copies of its node).
        A :class:`~trapsim.model.Scenario`: the probability of each action in
        ``equilibrium`` (solved at central values when not given).
    """
    return _panels(source, equilibrium, ax, first_only=True)[0]


@styled
def plot_compact_panels(source: Scenario | Result, *, equilibrium: Equilibrium | None = None) -> list[Figure]:
    """The compact graph on 16:9 slides: consecutive columns per panel, each column at least 2 inches wide.

    An action leading to a node of a later panel ends in a stub naming the
    node and its panel ("▸ The US answers (panel B)"); a node reached from an
    earlier panel says so under it. Arguments as for :func:`plot_compact_tree`.
    """
    return _panels(source, equilibrium, None, first_only=False)


def _panels(
    source: Scenario | Result, equilibrium: Equilibrium | None, ax: Axes | None, *, first_only: bool
) -> list[Figure]:
    from trapsim.equilibrium import solve

    sc = source.scenario if isinstance(source, Result) else source
    shares = edge_shares(source if isinstance(source, Result) else equilibrium or solve(sc))
    col = _columns(sc)
    groups = _groups(max(col.values()) + 1)
    letter = {c: chr(ord("A") + k) for k, g in enumerate(groups) for c in g}
    out = []
    for k, g in enumerate(groups[:1] if first_only else groups):
        out.append(_panel(sc, source, shares, col, g, letter, len(groups), ax if k == 0 else None))
    return out


def _panel(
    sc: Scenario,
    source: Scenario | Result,
    shares: Mapping[tuple[str, str], float],
    col: Mapping[str, int],
    group: range,
    letter: Mapping[int, str],
    count: int,
    ax: Axes | None,
) -> Figure:
    """One panel: the nodes and outcomes of ``group``'s columns, stubs for actions leaving it."""
    by_col: dict[int, list[str]] = defaultdict(list)
    for x in (*sc.nodes, *sc.outcomes):
        if col.get(x, -1) in group:
            by_col[col[x]].append(x)
    rows = max(len(v) for v in by_col.values())
    later = sorted(
        {t for n in sc.nodes if col[n] in group for t in sc.nodes[n].targets if col[t] >= group.stop},
        key=lambda t: (col[t], t),
    )
    span = len(group) + (_STUB if later else 0.0)  # columns drawn, with room for the stubs' texts
    width = (_WIDTH - 0.6) / span
    depth = rows + _STUB_ROW * len(later)  # rows of nodes, then one row per stub below them
    fig, ax = new_axes(ax, (_WIDTH, max(7.2, 1.25 * depth + 2.4)))
    pos = {
        x: (c - group.start, (rows - 1) / 2 - (len(xs) - 1) / 2 + j)
        for c, xs in by_col.items()
        for j, x in enumerate(xs)
    }
    stubs = {t: (len(group) - 0.25, rows - 0.3 + _STUB_ROW * k) for k, t in enumerate(later)}
    _edges(ax, sc, pos, stubs, col, letter, shares, width)
    _nodes(ax, sc, pos, col, group, letter, width)
    ax.set_xlim(-0.35, span - 0.35)
    ax.set_ylim(depth - 0.3, -0.9)
    ax.set_axis_off()
    panel = f", panel {letter[group.start]} of {count}" if count > 1 else ""
    fig.suptitle(
        fit(f"Game graph{panel}: {sc.title}", 20, _WIDTH - 0.4, bold=True),
        x=0.01,
        ha="left",
        fontsize=20,
        fontweight="bold",
    )
    what = (
        f"share of {source.draws:,} draws taking each action, summed over the copies of its node"
        if isinstance(source, Result)
        else "equilibrium probability of each action at central values, summed over the copies of its node"
    )
    more = " ▸: continued in the panel named" if count > 1 else ""
    footnote(
        fig,
        fit(
            f"Each node drawn once (shared nodes are copied per history in the game tree); {what}.{more}",
            12,
            _WIDTH - 0.9,
        ),
    )
    return fig


def _nodes(
    ax: Axes,
    sc: Scenario,
    pos: Mapping[str, tuple[float, float]],
    col: Mapping[str, int],
    group: range,
    letter: Mapping[int, str],
    width: float,
) -> None:
    colors = actor_colors(sc)
    earlier = {t for n, node in sc.nodes.items() for t in node.targets if col[n] < group.start}
    for x, (cx, cy) in pos.items():
        node = sc.nodes.get(x)
        if node is None:
            ax.plot([cx], [cy], marker="s", markersize=10, color="#111111", zorder=4)
            ax.text(cx, cy + 0.22, fit(sc.label_of("outcome", x), 13, width - 0.2), ha="center", va="top", fontsize=13)
        else:
            chance = not isinstance(node, DecisionNode)
            color = CHANCE_COLOR if chance else colors[node.actor]  # type: ignore[union-attr]
            ax.plot(
                [cx],
                [cy],
                marker="D" if chance else "o",
                markersize=20,
                color=color,
                markeredgecolor="white",
                markeredgewidth=2,
                zorder=4,
            )
            ax.text(
                cx,
                cy - 0.42,
                fit(sc.label_of("node", x), 13, width - 0.2),
                ha="center",
                va="bottom",
                fontsize=13,
                color=GREY,
                style="italic",
                zorder=5,
            )
        if x in earlier:
            where = sorted({letter[col[n]] for n, nd in sc.nodes.items() if x in nd.targets and col[n] < group.start})
            ax.text(
                cx,
                cy + (0.55 if node is None else 0.3),
                f"from panel {', '.join(where)}",
                ha="center",
                va="top",
                fontsize=11,
                color=GREY,
                zorder=5,
            )


def _edges(
    ax: Axes,
    sc: Scenario,
    pos: Mapping[str, tuple[float, float]],
    stubs: Mapping[str, tuple[float, float]],
    col: Mapping[str, int],
    letter: Mapping[int, str],
    shares: Mapping[tuple[str, str], float],
    width: float,
) -> None:
    """One line per (node, target), labelled with every action along it and its share; a stub when it leaves."""
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for n, node in sc.nodes.items():
        if n in pos:
            for a, t in zip(node.actions, node.targets, strict=True):
                grouped[(n, t)].append(a)
    for (n, t), actions in grouped.items():
        (x0, y0) = pos[n]
        total = sum(shares.get((n, a), 0.0) for a in actions)
        leaving = t not in pos
        x1, y1 = stubs[t] if leaving else pos[t]
        ax.plot(
            [x0, x1],
            [y0, y1],
            color="#111111" if total > 0 else "#BBBBBB",
            linewidth=1 + 6 * min(total, 1.0),
            linestyle=(0, (4, 3)) if leaving else "-",
            zorder=2,
            solid_capstyle="round",
        )
        text = "\n".join(f"{sc.action_label(n, a)} {percent(shares.get((n, a), 0.0))}" for a in actions)
        mid = 0.4 if leaving else 0.45 if t in sc.outcomes else 0.55
        ax.text(
            x0 + mid * (x1 - x0),
            y0 + mid * (y1 - y0),
            fit(text, 11, width - 0.3),
            ha="center",
            va="center",
            fontsize=11,
            color="#111111",
            zorder=3,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
        )
    for t, (x1, y1) in stubs.items():
        label = sc.label_of("outcome" if t in sc.outcomes else "node", t)
        ax.plot([x1], [y1], marker=">", markersize=11, color=GREY, zorder=4)
        ax.text(
            x1 + 0.08,
            y1,
            fit(f"{label} \u25b8 panel {letter[col[t]]}", 12, (_STUB - 0.2) * width),
            ha="left",
            va="center",
            fontsize=12,
            fontweight="bold",
            zorder=4,
        )
