"""Figures: every plot_* on small, odd and default scenarios; saving; the CLI commands."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

import trapsim
from trapsim import figures
from trapsim.equilibrium import solve as solve_equilibrium
from trapsim.figures import style
from trapsim.figures.style import actor_colors, percent, text_width, wrap, wrap_measured
from trapsim.runner import CHUNK
from trapsim.solver import build_tree

ROOT = Path(__file__).parent.parent
DEFAULT = ROOT / "tests" / "data" / "defense_clause_v1.toml"
SIMPLE = Path(__file__).parent / "data" / "simple.toml"

SOLO = """
[scenario]
name = "solo"
title = "One actor <and> a trap that never fires"
root = "choose"

[actors.me]
name = "Me"

[parameters]
x = { dist = "uniform", low = 0, high = 1 }

[nodes.choose]
actor = "me"
next = { take = "took", leave = "left" }

[payoffs]
took = { me = "x" }
left = { me = -1 }

[traps.never]
title = "Never fires"
when = 'played("choose", "leave")'
"""


def _chain(depth: int) -> str:
    """A tree of ``depth`` decisions in a row, two actors alternating, each able to stop."""
    lines = [
        '[scenario]\nname = "chain"\ntitle = "A long chain"\nroot = "n0"\n',
        '[actors.a]\nname = "Alpha"\n[actors.b]\nname = "Beta"\n',
        '[parameters]\nc = { dist = "uniform", low = 0, high = 1 }\n',
    ]
    for k in range(depth):
        nxt = f"n{k + 1}" if k + 1 < depth else "end"
        lines.append(
            f'[nodes.n{k}]\nactor = "{"ab"[k % 2]}"\n'
            f'next = {{ go_on_with_the_long_action_name = "{nxt}", stop = "stop_{k}" }}\n'
        )
    lines.append("[payoffs]")
    lines.append("end = { a = 1, b = 1 }")
    for k in range(depth):
        lines.append(f'stop_{k} = {{ a = "c - {k}", b = 0 }}')
    lines.append('\n[traps.deep]\ntitle = "Reached the end"\nwhen = \'reached("end")\'')
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def default_result() -> trapsim.Result:
    return trapsim.simulate(trapsim.load(str(DEFAULT)), draws=20_000, seed=1)


@pytest.fixture(scope="module")
def simple_result() -> trapsim.Result:
    return trapsim.simulate(trapsim.load(str(SIMPLE)), draws=5_000, seed=3)


@pytest.fixture(scope="module")
def solo_result(tmp_path_factory: pytest.TempPathFactory) -> trapsim.Result:
    path = tmp_path_factory.mktemp("solo") / "solo.toml"
    path.write_text(SOLO)
    return trapsim.simulate(trapsim.load(str(path)), draws=3_000, seed=2)


@pytest.fixture(scope="module")
def chain_result(tmp_path_factory: pytest.TempPathFactory) -> trapsim.Result:
    path = tmp_path_factory.mktemp("chain") / "chain.toml"
    path.write_text(_chain(10))
    return trapsim.simulate(trapsim.load(str(path)), draws=2_000, seed=5)


# --------------------------------------------------------------------- helpers


def _by_gid(fig: Figure, prefix: str) -> dict[str, object]:
    return {a.get_gid(): a for a in fig.findobj(lambda a: str(a.get_gid() or "").startswith(prefix))}


def _drawn_texts(fig: Figure) -> tuple[object, list[Text]]:
    """Render, and return the texts actually drawn (tick labels only inside the view)."""
    FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    fig.draw(renderer)
    out: list[Text] = []
    tick_labels = set()
    for ax in fig.axes:
        for axis, lim in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            lo, hi = min(lim), max(lim)
            for tick in axis.get_major_ticks():
                tick_labels.update({id(tick.label1), id(tick.label2)})
                if lo - 1e-9 <= tick.get_loc() <= hi + 1e-9 and tick.label1.get_visible():
                    out.append(tick.label1)
    for t in fig.findobj(Text):
        if id(t) not in tick_labels and t.get_visible() and t.get_text().strip():
            out.append(t)
    return renderer, out


def _overlaps(fig: Figure, tolerance: float = 4.0) -> list[tuple[str, str]]:
    """Pairs of drawn texts whose boxes overlap by more than ``tolerance`` square pixels."""
    renderer, texts = _drawn_texts(fig)
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    bad = []
    for (a, b1), (b, b2) in itertools.combinations(boxes, 2):
        w = min(b1.x1, b2.x1) - max(b1.x0, b2.x0)
        h = min(b1.y1, b2.y1) - max(b1.y0, b2.y0)
        if w > 0 and h > 0 and w * h > tolerance:
            bad.append((a, b))
    return bad


def _all_text(fig: Figure) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(Text))


# ------------------------------------------------------------------ style bits


def test_wrap_breaks_identifiers_at_underscores() -> None:
    assert wrap("aq_cal_retaken_reneged", 12) == "aq_cal_\nretaken_\nreneged"
    assert wrap("short", 12) == "short"
    assert wrap("two words here", 9) == "two words\nhere"


def _wrapped_line_by_line(text: str, size: float, inches: float, bold: bool) -> str:
    """The reference: each word added to the line and the line measured, in turn, until one is too wide."""
    lines = []
    for para in text.split("\n"):
        line = ""
        for word in para.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and text_width(candidate, size, bold=bold) > inches:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return "\n".join(lines)


# Kerning pairs (AV, LT), a wide word, empty words (two spaces in a row), punctuation
_WORDS = ["a", "of", "draws", "100,000", "\u00b7", "\u2014", "Ukraine", "WWWWWWWWWWWWW", "", "AV", "LT", "(p=0.25)"]


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(st.sampled_from([*_WORDS, "\n"]), max_size=40),
    inches=st.sampled_from([0.3, 1.5, 3.0, 7.0]),
    size=st.sampled_from([11.0, 16.0]),
    bold=st.booleans(),
)
def test_wrap_measured_breaks_where_measuring_every_line_breaks(
    words: list[str], inches: float, size: float, bold: bool
) -> None:
    text = " ".join(words)
    assert wrap_measured(text, size, inches, bold=bold) == _wrapped_line_by_line(text, size, inches, bold)


def test_wrap_measured_measures_a_few_lines_per_line(monkeypatch: pytest.MonkeyPatch) -> None:
    measured: set[str] = set()

    def width(text: str, size: float, *, bold: bool = False) -> float:
        measured.add(text)
        return text_width(text, size, bold=bold)

    monkeypatch.setattr(style, "text_width", width)
    sentence = "each branch: share of the draws arriving at its node, then (in brackets) of all draws"
    words = sentence.split(" ")
    text = " ".join(words[k % len(words)] for k in range(150))  # ~850 characters
    lines = wrap_measured(text, 12, 6.0).split("\n")
    assert "\n".join(lines) == _wrapped_line_by_line(text, 12, 6.0, False)
    assert 10 <= len(lines) <= 14
    # measuring each line in turn took one per word (150) of ~35 characters on average
    assert len(measured) <= 3 * len(lines) + 1
    assert sum(map(len, measured)) <= 3 * len(text)
    measured.clear()
    short = " ".join(words[:8])  # 45 characters, well inside 6 inches: measured once
    assert wrap_measured(short, 12, 6.0) == short
    assert measured == {short}


def test_percent_precision() -> None:
    assert [percent(x) for x in (0, 0.00001, 0.0024, 0.1161, 1)] == ["0%", "<0.01%", "0.24%", "11.6%", "100.0%"]


def test_actor_colours_come_from_the_file_else_unused_palette_colours(default_result) -> None:
    sc = default_result.scenario
    assert actor_colors(sc) == {a.id: a.color for a in sc.actors}
    solo = trapsim.load(str(SIMPLE))  # no colours in the file: first palette colours, distinct
    colors = actor_colors(solo)
    assert list(colors.values()) == figures.PALETTE[:2]


# ---------------------------------------------------------------- trap rates


@pytest.mark.parametrize("fixture", ["simple_result", "default_result", "solo_result"])
def test_trap_rates_one_bar_per_trap_with_its_rate(fixture: str, request) -> None:
    res = request.getfixturevalue(fixture)
    fig = figures.plot_trap_rates(res)
    bars = _by_gid(fig, "trap:")
    assert sorted(bars) == sorted(f"trap:{t.id}" for t in res.scenario.traps)
    for t in res.scenario.traps:
        assert bars[f"trap:{t.id}"].get_height() == pytest.approx(100 * res.rate(t.id))
    ax = fig.axes[0]
    titles = [t.title if t.given is None else f"{t.title} (among {t.denominator()})" for t in res.scenario.traps]
    assert [x.get_text().replace("\n", " ") for x in ax.get_xticklabels()] == titles
    assert ax.get_title(loc="left") == wrap(res.scenario.title, 80)
    text = _all_text(fig)
    assert f"{res.draws:,} draws" in text and f"seed {res.seed}" in text
    assert not _overlaps(fig)


def test_plots_draw_on_a_given_axes_even_inside_a_subfigure(simple_result) -> None:
    fig = Figure()
    left, right = fig.subfigures(1, 2)
    ax = right.add_subplot()
    assert figures.plot_trap_rates(simple_result, ax=ax) is fig
    assert sorted(_by_gid(fig, "trap:")) == sorted(f"trap:{t.id}" for t in simple_result.scenario.traps)
    assert not left.axes


def test_a_trap_that_never_fires_gets_a_zero_bar_and_a_label(solo_result) -> None:
    fig = figures.plot_trap_rates(solo_result)
    assert solo_result.trap_counts["never"] == 0
    assert _by_gid(fig, "trap:")["trap:never"].get_height() == 0
    assert "0%" in _all_text(fig)


# ------------------------------------------------------------------ outcomes


def test_outcomes_sorted_largest_first_and_pooled_beyond_max_bars(default_result) -> None:
    res = default_result
    reached = sorted((c for c in res.outcome_counts.values() if c), reverse=True)
    fig = figures.plot_outcomes(res, max_bars=6)
    bars = list(_by_gid(fig, "outcome:").values())
    assert len(bars) == 6
    widths = [b.get_width() for b in bars]
    assert widths[:5] == pytest.approx([100 * c / res.draws for c in reached[:5]])
    assert widths[5] == pytest.approx(100 * sum(reached[5:]) / res.draws)  # the pool
    assert sum(widths) == pytest.approx(100.0)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[-1] == f"({len(reached) - 5} other outcomes)"
    never = len(res.outcome_counts) - len(reached)
    assert f"{never} of {len(res.outcome_counts)} outcomes never reached" in _all_text(fig)
    assert not _overlaps(figures.plot_outcomes(res))


def test_outcomes_of_a_tiny_scenario(solo_result) -> None:
    fig = figures.plot_outcomes(solo_result)
    assert list(_by_gid(fig, "outcome:")) == ["outcome:took"]  # 'left' is never reached


# ---------------------------------------------------------------------- tree


def _hidden(tree, fig: Figure) -> set[int]:
    """Positions below a collapsed stub (a drawn inner node without drawn children)."""
    drawn = {int(k.split(":")[1]) for k in _by_gid(fig, "node:")}
    out: set[int] = set()
    for i, p in enumerate(tree.positions):
        if p.parent >= 0 and (p.parent in out or (p.parent in drawn and i not in drawn)):
            out.add(i)
    return out


def _panels(source, **kw) -> list[Figure]:
    """Every panel of the tree (no cap on their number)."""
    return figures.plot_tree_panels(source, most=26, **kw)


def _drawn(panels: list[Figure]) -> set[int]:
    return {int(k.split(":")[1]) for fig in panels for k in _by_gid(fig, "node:")}


def _edges(panels: list[Figure]) -> dict[str, object]:
    return {k: v for fig in panels for k, v in _by_gid(fig, "edge:").items()}


def _panels_text(panels: list[Figure]) -> str:
    return "\n".join(_all_text(fig) for fig in panels)


@pytest.mark.parametrize("fixture", ["simple_result", "default_result", "chain_result", "solo_result"])
def test_tree_draws_every_position_and_edge(fixture: str, request) -> None:
    res = request.getfixturevalue(fixture)
    tree = build_tree(res.scenario)
    panels = _panels(res, collapse=0)
    for fig in panels:
        w, h = fig.get_size_inches()
        assert w == 12.8 and h <= 14.4
        assert not _overlaps(fig), "labels of the tree overlap"
    drawn = _drawn(panels)
    leaves = {i: sum(1 for j in tree.leaves if i in [p for p, _ in tree.path_to(j)] or i == j) for i in drawn}
    for i, p in enumerate(tree.positions):  # not drawn: only under a stub of fewer than three endings
        if i not in drawn:
            up = p.parent
            while up not in drawn:
                up = tree.positions[up].parent
            assert leaves[up] < 3 or fixture == "chain_result"
    expected = {f"edge:{p.parent}-{i}" for i, p in enumerate(tree.positions) if p.parent >= 0 and i in drawn}
    edges = set(_edges(panels))
    assert expected <= edges and all(int(e.split("-")[1]) in drawn for e in edges)
    text = _panels_text(panels).replace("\n", "")
    for leaf in tree.leaves:
        assert leaf not in drawn or tree.positions[leaf].id in text
    if fixture in ("simple_result", "solo_result"):  # they fit on a slide: one panel, nothing collapsed
        assert len(panels) == 1 and len(drawn) == len(tree.positions)
    if fixture == "default_result":
        assert len(panels) > 1 and len(drawn) == len(tree.positions)


def test_tree_collapses_rare_branches_into_a_stub_that_says_so(default_result) -> None:
    res = default_result
    tree = build_tree(res.scenario)
    panels = _panels(res)  # default: under 1% of draws collapsed
    drawn = _drawn(panels)
    reach = {
        tree.positions[c].id: n / res.draws
        for pos in tree.inner
        for c, n in zip(tree.positions[pos].children, res.edge_counts[tree.positions[pos].id], strict=True)
    }
    stubs = {tree.positions[i].parent for i in range(len(tree.positions)) if i not in drawn} & drawn
    rare = [s for s in stubs if reach[tree.positions[s].id] < 0.01]
    assert rare, "the China-restrains subtree should be collapsed"
    text = _panels_text(panels).replace("\n", " ")
    for s in rare:
        node = tree.positions[s].id
        assert f"{node}: " in text and f"collapsed: {percent(reach[node])} of draws" in text
    for fig in panels:
        assert not _overlaps(fig)


def test_tree_edges_show_shares_of_arrivals_and_widths_follow_all_draws(default_result) -> None:
    res = default_result
    tree = build_tree(res.scenario)
    panels = _panels(res, collapse=0)
    edges = _edges(panels)
    text = _panels_text(panels).replace("\n", " ")
    for i in tree.inner:
        pos = tree.positions[i]
        counts = res.edge_counts[pos.id]
        widths = [edges[f"edge:{i}-{c}"].get_linewidth() for c in pos.children]
        for a, c, child in zip(pos.actions, counts, pos.children, strict=True):
            if sum(counts):
                assert f"{a} {percent(c / sum(counts))}" in text  # share of arrivals
            if tree.positions[child].kind != "leaf" and c and sum(counts) < res.draws:
                assert f"{percent(c / res.draws)}" in text  # share of all draws (in brackets, or on a stub)
        order = np.argsort(counts, kind="stable")
        assert np.all(np.diff(np.array(widths)[order]) >= -1e-9)  # wider = more draws
        if pos.kind == "decision" and sum(counts):
            best = pos.children[int(np.argmax(counts))]
            assert edges[f"edge:{i}-{best}"].get_alpha() == 1.0  # most-taken choice highlighted
    ua = res.edge_counts["ua_move"]
    assert f"status_quo  {percent(ua[0] / res.draws)}" in text


def test_tree_rings_the_endings_where_a_trap_fires(default_result) -> None:
    from trapsim.explain import traps_at_leaves
    from trapsim.figures.tree import TRAP_COLORS

    sc = default_result.scenario
    tree = build_tree(sc)
    fired = traps_at_leaves(solve_equilibrium(sc))
    panels = _panels(sc)
    legend = [t.get_text() for fig in panels for t in fig.axes[0].get_legend().get_texts()]
    leaf_at = {}
    for fig in panels:
        for gid, marker in _by_gid(fig, "node:").items():
            leaf_at[(id(fig), marker.get_xdata()[0], marker.get_ydata()[0])] = int(gid.split(":")[1])
    for k, trap in enumerate(sc.traps):
        if fired[trap.id].any():
            assert trap.title in legend
        ringed = set()
        for fig in panels:
            for ln in fig.axes[0].lines:
                if ln.get_markerfacecolor() == "none" and ln.get_markeredgecolor() == TRAP_COLORS[k]:
                    ringed.add(leaf_at[(id(fig), ln.get_xdata()[0], ln.get_ydata()[0])])
        shown_leaves = {j for j, leaf in enumerate(tree.leaves) if leaf in _drawn(panels)}
        assert {tree.leaves[j] for j in shown_leaves if fired[trap.id][j]} == {i for i in ringed if i in tree.leaves}
    reneged = [j for j, leaf in enumerate(tree.leaves) if tree.positions[leaf].id == "aq_cal_retaken_reneged"]
    assert fired["kim_trap"][reneged].all()  # Russia reneges: regret at central values


def test_equilibrium_tree_shows_each_endings_payoffs(default_result) -> None:
    sc = default_result.scenario
    eq = solve_equilibrium(sc)
    text = _panels_text(_panels(sc, equilibrium=eq))
    pay = eq.node_values["ua_move"]["hold"]  # status_quo: zero for everyone
    assert all(v == 0 for v in pay.values())
    assert re.search(r"status_quo\s+0  0  0  0  0", text)  # on the label's line, or the next
    alone = eq.node_values["alone_fight"]["held"]
    shown = "  ".join(
        "0" if abs(v) < 5e-3 else f"{v:+.2f}".replace("-", "\u2212") for v in (alone[a] for a in tree_actors(sc))
    )
    assert re.search(rf"alone_held\s+{re.escape(shown)}", text)
    assert "payoffs at each ending: Russia, North Korea (DPRK)" in text.replace("\n", " ")


def tree_actors(sc: trapsim.Scenario) -> list[str]:
    return list(build_tree(sc).actors)


def test_tree_without_a_run_highlights_the_equilibrium(default_result) -> None:
    sc = default_result.scenario
    eq = solve_equilibrium(sc)
    tree = build_tree(sc)
    panels = _panels(sc)
    edges = _edges(panels)
    for i in tree.inner:
        pos = tree.positions[i]
        if pos.kind != "decision":
            continue
        chosen = pos.children[pos.actions.index(eq.strategy[pos.id])]
        others = [c for c in pos.children if c != chosen]
        assert all(edges[f"edge:{i}-{chosen}"].get_linewidth() > edges[f"edge:{i}-{c}"].get_linewidth() for c in others)
    text = _panels_text(panels)
    assert "%" not in text.replace("% ", "")  # no shares without a run
    assert "gains (p=0.35)" in text.replace("\n", " ")  # chance branches: central probabilities
    structure = figures.plot_tree(sc, solve=False)
    assert "structure only: no run, no equilibrium" in _all_text(structure)


def test_tree_layout_is_left_to_right_with_one_row_per_leaf(chain_result) -> None:
    tree = build_tree(chain_result.scenario)
    lay = figures.layout_tree(tree)
    assert lay.depth == 10 and lay.rows == len(tree.leaves) == 11
    for i, p in enumerate(tree.positions):
        if p.parent >= 0:
            assert lay.x[i] == lay.x[p.parent] + 1
        if p.children:
            assert lay.y[p.children[0]] <= lay.y[i] <= lay.y[p.children[-1]]
    # any two positions at the same depth are at least a row apart
    for d in range(lay.depth + 1):
        ys = np.sort(lay.y[lay.x == d])
        assert np.all(np.diff(ys) >= 1 - 1e-9)
    fig = figures.plot_tree(chain_result)
    w, h = fig.get_size_inches()
    assert w == 12.8 and 7.2 <= h <= 14.4  # one slide wide, at most two tall, whatever the tree
    assert "go_on_with_the_long_action_name" not in _all_text(fig).replace("\n", "|")


# --------------------------------------------------------------------- graph


def test_actor_graph_nodes_edges_legend(default_result) -> None:
    sc = default_result.scenario
    fig = figures.plot_actor_graph(sc)
    assert len(_by_gid(fig, "actor:")) == len(sc.actors)
    assert len(_by_gid(fig, "relation:")) == len(sc.relations)
    legend = fig.axes[0].get_legend()
    kinds = list(dict.fromkeys(r.kind for r in sc.relations))
    assert sorted(t.get_text() for t in legend.get_texts()) == sorted(kinds)
    for actor in _by_gid(fig, "actor:").values():
        gid = actor.get_gid().split(":")[1]
        assert actor.get_facecolor()[:3] == pytest.approx(
            tuple(int(sc.actors[sc.actor_ids.index(gid)].color[k : k + 2], 16) / 255 for k in (1, 3, 5))
        )
    assert not _overlaps(fig)


def test_actor_graph_is_the_same_every_time(default_result, tmp_path: Path) -> None:
    sc = default_result.scenario
    a = figures.save(figures.plot_actor_graph(sc), tmp_path / "a.svg")
    b = figures.save(figures.plot_actor_graph(sc), tmp_path / "b.svg")
    assert a.read_bytes() == b.read_bytes()


def test_actor_graph_with_one_actor_and_no_relations(solo_result) -> None:
    fig = figures.plot_actor_graph(solo_result.scenario)
    assert len(_by_gid(fig, "actor:")) == 1 and not _by_gid(fig, "relation:")
    assert "no relations" in _all_text(fig)


# ------------------------------------------------------------------- payoffs


def test_payoff_sample_is_the_first_chunk(simple_result) -> None:
    res = simple_result
    assert res.payoff_sample is not None
    assert res.payoff_sample.shape == (len(res.scenario.actors), min(res.draws, CHUNK))
    # with a single chunk the sample is every draw: its moments are the run's
    for k, a in enumerate(res.scenario.actor_ids):
        assert res.payoff_sample[k].mean() == pytest.approx(res.payoff_mean[a], abs=1e-12)
        assert res.payoff_sample[k].std(ddof=1) == pytest.approx(res.payoff_sd[a], abs=1e-12)
    again = trapsim.simulate(res.scenario, draws=res.draws, seed=res.seed)
    assert np.array_equal(again.payoff_sample, res.payoff_sample)


@pytest.mark.parametrize("fixture", ["simple_result", "default_result", "solo_result"])
def test_payoffs_one_panel_per_actor_with_the_mean(fixture: str, request) -> None:
    res = request.getfixturevalue(fixture)
    fig = figures.plot_payoffs(res)
    assert len(fig.axes) == len(res.scenario.actors)
    means = _by_gid(fig, "mean:")
    for a in res.scenario.actor_ids:
        assert means[f"mean:{a}"].get_xdata()[0] == pytest.approx(res.payoff_mean[a])
    for ax, a in zip(fig.axes, res.scenario.actors, strict=True):
        assert ax.get_ylabel().startswith(wrap(a.name, 14))
        assert f"mean {res.payoff_mean[a.id]:+.3f}" in ax.get_ylabel()
    assert not _overlaps(fig)


def test_payoff_point_masses_are_labelled_exactly(simple_result) -> None:
    res = simple_result
    ent, inc = res.payoff_sample  # the entrant gets exactly -1 or +1 once it enters
    text = _all_text(figures.plot_payoffs(res))
    assert f"{percent(np.mean(ent == 1))} exactly +1" in text
    assert f"{percent(np.mean(ent == -1))} exactly -1" in text
    assert f"{percent(np.mean(inc == 0.5))} exactly +0.5" in text


def test_payoffs_without_a_sample_fall_back_to_mean_and_sd(simple_result) -> None:
    import dataclasses

    bare = dataclasses.replace(simple_result, payoff_sample=None)
    fig = figures.plot_payoffs(bare)
    assert "mean ± one standard deviation" in _all_text(fig)


# --------------------------------------------------------------- convergence


def _long_enough(res: trapsim.Result) -> trapsim.Result:
    """``res``, or the same run with three checkpoints if it has fewer (a short run's figure only says so)."""
    if len(res.chunk_sizes) >= 3:
        return res
    return trapsim.simulate(res.scenario, draws=2 * CHUNK + 500, seed=res.seed)


@pytest.mark.parametrize("fixture", ["default_result", "solo_result", "chain_result"])
def test_convergence_ends_at_the_final_rate(fixture: str, request) -> None:
    res = _long_enough(request.getfixturevalue(fixture))
    fig = figures.plot_convergence(res)
    lines = _by_gid(fig, "convergence:")
    assert len(lines) == len(res.scenario.traps)
    for t in res.scenario.traps:
        line = lines[f"convergence:{t.id}"]
        x, y = line.get_xdata(), line.get_ydata()
        assert x[-1] == res.draws and len(x) == len(res.chunk_sizes)
        assert y[-1] == pytest.approx(100 * res.rate(t.id))
    assert not _overlaps(fig)


@pytest.mark.parametrize("fixture", ["default_result", "solo_result", "chain_result"])
def test_convergence_legend_is_clear_of_every_panel(fixture: str, request) -> None:
    """The legend sits in an empty slot of the grid or outside the panels, never over a band."""
    res = _long_enough(request.getfixturevalue(fixture))
    fig = figures.plot_convergence(res)
    FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    fig.draw(renderer)
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + list(fig.legends)
    assert len(legends) == 1
    box = legends[0].get_window_extent(renderer)
    for ax in fig.axes:
        if _by_gid(ax, "convergence:"):  # a panel with data
            assert not box.overlaps(ax.get_window_extent(renderer)), ax.get_title()


@pytest.mark.parametrize("draws", [2000, CHUNK + 100])
def test_convergence_of_a_run_too_short_says_so_instead_of_a_dot(chain_result, draws: int) -> None:
    res = trapsim.simulate(chain_result.scenario, draws=draws, seed=1)
    fig = figures.plot_convergence(res)
    assert not _by_gid(fig, "convergence:" + res.scenario.traps[0].id)  # no panel of one or two dots
    text = _all_text(fig)
    assert f"This run of {draws:,} draws is too short" in text and f"at least {2 * CHUNK + 1:,} draws" in text


def test_convergence_running_rate_by_hand(default_result) -> None:
    res = default_result
    line = _by_gid(figures.plot_convergence(res), "convergence:")["convergence:putin_trap"]
    k = [t.id for t in res.scenario.traps].index("putin_trap")
    first = res.chunk_trap_counts[0, k] / res.chunk_sizes[0]
    assert line.get_ydata()[0] == pytest.approx(100 * first)
    assert line.get_xdata()[0] == CHUNK


# ------------------------------------------------------------ saving and run


@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_save_formats(simple_result, tmp_path: Path, fmt: str, magic: bytes) -> None:
    path = figures.save(figures.plot_trap_rates(simple_result), tmp_path / f"t.{fmt}")
    assert path.read_bytes().startswith(magic)
    assert not list(tmp_path.glob(".*part*"))  # no temporary file left behind


def test_png_is_full_hd_16_by_9(simple_result, tmp_path: Path) -> None:
    path = figures.save(figures.plot_trap_rates(simple_result), tmp_path / "t.png")
    head = path.read_bytes()[16:24]
    w, h = int.from_bytes(head[:4], "big"), int.from_bytes(head[4:], "big")
    assert (w, h) == (1920, 1080)


def test_save_rejects_unknown_formats(simple_result, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="png, svg, pdf"):
        figures.save(figures.plot_trap_rates(simple_result), tmp_path / "t.jpg")


def test_run_writes_four_figures_in_the_chosen_format(invoke, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = invoke("run", SIMPLE, "--draws", 2000, "--seed", 1, "--out", out, "--format", "svg")
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "simple.json",
        "simple_convergence.svg",
        "simple_outcomes.svg",
        "simple_traps.svg",
        "simple_tree.svg",
    ]
    assert all(f"wrote {out / n}" in r.output for n in names)


def test_tree_and_graph_commands(invoke, tmp_path: Path) -> None:
    r = invoke("tree", SIMPLE, "--out", tmp_path / "t.pdf")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "t.pdf").read_bytes().startswith(b"%PDF")
    r = invoke("tree", SIMPLE, "--draws", 1000, "--seed", 2, "--out", tmp_path / "run", "--format", "svg")
    assert r.exit_code == 0, r.output
    svg = (tmp_path / "run" / "simple_tree.svg").read_text()  # --out without an extension: a directory
    assert re.search(r"enter \d+(\.\d)?%", svg)  # shares from the run
    r = invoke("graph", DEFAULT, "--out", tmp_path / "g.png")
    assert r.exit_code == 0 and (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    # into a directory: the equilibrium view and a run's shares never share file names
    r = invoke("tree", SIMPLE, "--out", tmp_path / "run", "--format", "svg")
    assert r.exit_code == 0 and (tmp_path / "run" / "simple_tree_equilibrium.svg").exists()
    assert re.search(r"enter \d+(\.\d)?%", (tmp_path / "run" / "simple_tree.svg").read_text())  # the run's, kept


def test_saving_fewer_panels_removes_the_stale_ones(tmp_path: Path) -> None:
    """A tree of two panels written where one of six was: no panel C..F left to mislead."""
    import matplotlib.pyplot as plt

    from trapsim.figures import save_panels

    for letter in "BCDEF":
        (tmp_path / f"t_tree_{letter}.png").write_bytes(b"old")
    (tmp_path / "t_tree_notes.png").write_bytes(b"mine")  # not a panel name: kept
    panels = [plt.figure(), plt.figure()]
    written = save_panels(panels, tmp_path / "t_tree.png", dpi=20)
    for fig in panels:
        plt.close(fig)
    assert written == [tmp_path / "t_tree.png", tmp_path / "t_tree_B.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t_tree.png", "t_tree_B.png", "t_tree_notes.png"]
    assert (tmp_path / "t_tree_B.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "x.jpg"], "must end in .pdf, .png or .svg"),
        (["--out", "x.png", "--format", "svg"], "does not end in .svg"),
    ],
)
def test_tree_rejects_bad_output_names(invoke, tmp_path: Path, args: list[str], message: str) -> None:
    r = invoke("tree", SIMPLE, *[str(tmp_path / a) if a.startswith("x.") else a for a in args])
    assert r.exit_code == 2 and message in r.output


def test_tree_command_reports_scenario_errors(invoke, tmp_path: Path) -> None:
    r = invoke("tree", tmp_path / "missing.toml")
    assert r.exit_code == 2 and "error:" in r.output


def test_a_scenario_without_traps_and_a_qre_run(simple_result, tmp_path: Path) -> None:
    import dataclasses

    from trapsim import report

    bare = dataclasses.replace(simple_result.scenario, traps=())
    res = trapsim.simulate(bare, draws=1000, seed=1, solver="qre", rationality=2.0)
    assert "no traps" in _all_text(figures.plot_trap_rates(res))
    assert "no traps" in _all_text(figures.plot_convergence(res))
    tree = figures.plot_tree(res)  # qre: every action is taken in some draws
    assert all(e.get_linestyle() == "-" for e in _by_gid(tree, "edge:").values())
    paths = figures.write_run_figures(res, tmp_path, fmt="png")
    assert [p.name for p in paths] == [
        "simple_traps.png",
        "simple_outcomes.png",
        "simple_tree.png",
        "simple_convergence.png",
    ]
    assert "The scenario defines no traps." in report.build_report(res)


def _deep_chain(depth: int) -> str:
    lines = ["[scenario]", 'name = "deep"', 'title = "A deep chain"', 'root = "n0"', "[actors.a]", 'name = "Alpha"']
    pay = []
    for k in range(depth):
        nxt = f"n{k + 1}" if k + 1 < depth else "end"
        lines += [f"[nodes.n{k}]", 'actor = "a"', f'next = {{ go = "{nxt}", stop = "s{k}" }}']
        pay.append(f"s{k} = {{ a = {k % 3} }}")
    return "\n".join([*lines, "[payoffs]", *pay, "end = { a = 1 }"]) + "\n"


@pytest.mark.parametrize("depth", [160, 1000])
def test_a_deep_tree_costs_a_slide_not_a_quadratic_canvas(depth: int, tmp_path: Path) -> None:
    """Issue 15: a 160-deep chain needed about 4.7 GB; now the canvas is bounded and the rest collapsed."""
    import tracemalloc

    from trapsim.scenario import loads

    sc = loads(_deep_chain(depth), path="deep.toml")
    tracemalloc.start()
    fig = figures.plot_tree(sc, solve=depth < 500)
    figures.save(fig, tmp_path / "t.png")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    w, h = fig.get_size_inches()
    assert w == 12.8 and h <= 14.4
    assert "collapsed" in _all_text(fig)
    assert peak < 300e6, f"{peak / 1e6:.0f} MB"


def test_a_collapsed_part_is_drawn_as_its_own_linked_panel(default_result, invoke, tmp_path: Path) -> None:
    res = default_result
    full = build_tree(res.scenario)
    fig = figures.plot_tree(res)
    stubs = {full.positions[i].parent for i in _hidden(full, fig)} - _hidden(full, fig)
    node = full.positions[min(stubs)].id  # the China-restrains answer, collapsed in the run figure
    assert f"{node}: " in _all_text(fig)
    part = figures.plot_tree(res, at=node)
    text = _all_text(part).replace("\n", " ")
    assert f"Game tree from {node} on" in text
    below = [i for i in range(len(full.positions)) if node in [full.positions[p].id for p, _ in full.path_to(i)]]
    for i in below:  # every ending under the stub is now drawn, with its share of all draws
        if full.positions[i].kind == "leaf":
            assert full.positions[i].id in text
    assert len(_by_gid(part, "node:")) == len(below) + 1
    eq_part = figures.plot_tree(res.scenario, at=node)  # the equilibrium view of the same part
    assert "given that" in _all_text(eq_part).replace("\n", " ")
    out = tmp_path / "part.png"
    r = invoke("tree", DEFAULT, "--at", node, "--out", out)
    assert r.exit_code == 0, r.output
    r = invoke("tree", DEFAULT, "--at", "nowhere", "--out", out)
    assert r.exit_code == 2 and "unknown node 'nowhere'" in r.output


def test_tree_at_a_copy_of_a_shared_node(invoke, tmp_path: Path) -> None:
    """``--at`` names a copy of a shared node by its copy name; a bare shared id lists its copies."""
    v2 = Path(__file__).parent.parent / "scenarios" / "defense_clause.toml"
    sc = trapsim.load(v2)
    full = build_tree(sc)
    copy = "russia_pays[push_russia,acquiesce,calibrated,planned,goes_on]"
    start = full.node_index[copy]
    below = {i for i in range(len(full.positions)) if start in [p for p, _ in full.path_to(i)]} | {start}
    fig = figures.plot_tree(sc, at=copy)
    assert {int(k.split(":")[1]) for k in _by_gid(fig, "node:")} == below  # positions of the whole tree
    text = _all_text(fig).replace("\n", " ")
    assert "Moscow pays or reneges \u2014 after Push into Russia proper" in text
    assert "[" not in text
    legend = {t.get_text() for t in fig.axes[0].get_legend().get_texts()}
    assert {"Russia", "chance"} <= legend and not legend & {"China", "Ukraine", "United States"}  # who moves here
    res = trapsim.simulate(sc, draws=2000, seed=3)
    part = figures.plot_tree(res, at=copy)
    counts = res.edge_counts[copy]
    assert f"Pay {percent(counts[0] / sum(counts))}" in _all_text(part).replace("\n", " ")
    out = tmp_path / "part.png"
    r = invoke("tree", v2, "--at", copy, "--out", out)
    assert r.exit_code == 0 and out.exists(), r.output
    r = invoke("tree", v2, "--at", "russia_pays", "--out", out)
    # one copy per push target, China's answer, US answer, losses and war state: 2**5
    assert r.exit_code == 2 and "'russia_pays' is shared and unfolds into 32 copies; name one" in r.output


def test_each_trap_of_the_bundled_scenario_rings_in_its_own_colour() -> None:
    from trapsim.figures.treetext import trap_colors

    sc = trapsim.load(Path(__file__).parent.parent / "scenarios" / "defense_clause.toml")
    colours = trap_colors(sc)
    assert len(set(colours.values())) == len(sc.traps) == 7
    assert not {c.upper() for c in colours.values()} & {c.upper() for c in figures.actor_colors(sc).values()}


def test_outcome_bars_are_named_by_the_files_labels() -> None:
    sc = trapsim.load(Path(__file__).parent.parent / "scenarios" / "defense_clause.toml")
    res = trapsim.simulate(sc, draws=2000, seed=1)
    fig = figures.plot_outcomes(res)
    ticks = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_yticklabels()]
    assert "Status quo: Ukraine holds the line" in ticks and "status_quo" not in ticks
    assert "outcome:status_quo" in _by_gid(fig, "outcome:")


@pytest.fixture(scope="module")
def run_100k() -> trapsim.Result:
    """The default scenario as `trapsim run` has it (100,000 draws: the longest footnotes)."""
    return trapsim.simulate(trapsim.load(str(DEFAULT)), seed=20240619)


@pytest.mark.parametrize(
    "plot", ["plot_trap_rates", "plot_outcomes", "plot_convergence", "plot_payoffs", "plot_tree_panels"]
)
def test_footnotes_stay_inside_the_figure(run_100k: trapsim.Result, plot: str) -> None:
    # The payoffs' footnote once ran past the right edge ("share of draws per b"): its line break was
    # placed by hand for hinted glyphs. Footnotes are now wrapped to the figure's measured width.
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from trapsim.figures.style import style_context

    made = getattr(figures, plot)(run_100k)
    for fig in made if isinstance(made, list) else [made]:
        with style_context():
            renderer = FigureCanvasAgg(fig).get_renderer()
            for text in fig.texts:
                box = text.get_window_extent(renderer)
                assert box.x0 >= 0 and box.x1 <= fig.bbox.width, (plot, text.get_text())
