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
from trapsim.figures.style import CHANCE_COLOR, GREY, actor_colors, fit, footnote, new_axes, percent, styled, wrap
from trapsim.model import DecisionNode, Scenario
from trapsim.runner import Result
from trapsim.solver import build_tree

__all__ = ["edge_shares", "plot_compact_tree"]


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
    """Column of every node and outcome: the longest path from the root (outcomes in the last column)."""
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
            if t in sc.nodes:
                col[t] = max(col.get(t, 0), col[n] + 1)
    last = max(col.values()) + 1
    col.update({o: last for o in sc.outcomes})
    return col


@styled
def plot_compact_tree(
    source: Scenario | Result, *, equilibrium: Equilibrium | None = None, ax: Axes | None = None
) -> Figure:
    """Draw the scenario's graph of nodes as written, each node once (for games with shared nodes).

    Parameters
    ----------
    source
        A :class:`~trapsim.runner.Result`: each action is labelled with the
        share of all draws that took it (summed over the copies of its node).
        A :class:`~trapsim.model.Scenario`: the probability of each action in
        ``equilibrium`` (solved at central values when not given).
    """
    from trapsim.equilibrium import solve

    sc = source.scenario if isinstance(source, Result) else source
    shares = edge_shares(source if isinstance(source, Result) else equilibrium or solve(sc))
    col = _columns(sc)
    by_col: dict[int, list[str]] = defaultdict(list)
    for x in (*sc.nodes, *sc.outcomes):
        by_col[col[x]].append(x)
    rows = max(len(v) for v in by_col.values())
    fig, ax = new_axes(ax, (max(12.8, 3.2 * len(by_col)), max(7.2, 1.1 * rows + 2)))
    pos = {x: (c, (rows - 1) / 2 - (len(xs) - 1) / 2 + j) for c, xs in by_col.items() for j, x in enumerate(xs)}
    colors = actor_colors(sc)
    _edges(ax, sc, pos, shares)
    for x, (cx, cy) in pos.items():
        node = sc.nodes.get(x)
        if node is None:
            ax.plot([cx], [cy], marker="s", markersize=10, color="#111111", zorder=4)
            ax.text(cx + 0.08, cy, fit(sc.label_of("outcome", x), 13, 2.6), ha="left", va="center", fontsize=13)
            continue
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
            cy - 0.3,
            fit(sc.label_of("node", x), 13, 2.6),
            ha="center",
            va="bottom",
            fontsize=13,
            color=GREY,
            style="italic",
            zorder=5,
        )
    ax.set_xlim(-0.4, max(by_col) + 1.2)
    ax.set_ylim(rows - 0.4, -0.9)
    ax.set_axis_off()
    fig.suptitle(wrap(f"Game graph: {sc.title}", 100), x=0.01, ha="left", fontsize=20, fontweight="bold")
    what = (
        f"share of {source.draws:,} draws taking each action, summed over the copies of its node"
        if isinstance(source, Result)
        else "equilibrium probability of each action at central values, summed over the copies of its node"
    )
    footnote(fig, f"Each node drawn once (shared nodes are copied per history in the game tree); {what}.")
    return fig


def _edges(
    ax: Axes, sc: Scenario, pos: Mapping[str, tuple[float, float]], shares: Mapping[tuple[str, str], float]
) -> None:
    """One line per (node, target), labelled with every action along it and its share."""
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for n, node in sc.nodes.items():
        for a, t in zip(node.actions, node.targets, strict=True):
            grouped[(n, t)].append(a)
    for (n, t), actions in grouped.items():
        (x0, y0), (x1, y1) = pos[n], pos[t]
        total = sum(shares.get((n, a), 0.0) for a in actions)
        ax.plot(
            [x0, x1],
            [y0, y1],
            color="#111111" if total > 0 else "#BBBBBB",
            linewidth=1 + 6 * min(total, 1.0),
            zorder=2,
            solid_capstyle="round",
        )
        text = "\n".join(f"{sc.action_label(n, a)} {percent(shares.get((n, a), 0.0))}" for a in actions)
        ax.text(
            x0 + 0.45 * (x1 - x0),
            y0 + 0.45 * (y1 - y0),
            text,
            ha="center",
            va="center",
            fontsize=11,
            color="#111111",
            zorder=3,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
        )
