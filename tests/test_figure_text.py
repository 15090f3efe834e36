"""Every figure family is legible on a projector: no text under 14 px tall when shown 1,280 px wide.

A text of ``s`` points in a figure ``W`` inches wide saved at ``dpi`` is
``s / 72 * dpi`` pixels tall in a file ``W * dpi`` pixels wide; shown 1,280 px
wide it is ``s / 72 * dpi * 1280 / (W * dpi)`` pixels tall. Every text the
renderer actually draws is measured, at the size the CLI writes the figure, on
``defense_clause`` and on a random scenario of 60 nodes.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

import trapsim
from trapsim import api, figures
from trapsim.figures import analysis as analysis_figures
from trapsim.figures.comparison import plot_comparison
from trapsim.figures.sweeps import plot_sweep_heatmap, plot_sweep_lines
from trapsim.scenario import loads
from trapsim.sweeps import grid_values

ROOT = Path(__file__).parent.parent
DEFENSE = ROOT / "tests" / "data" / "defense_clause_v1.toml"
SHOWN = 1280  # px: the width of a projected slide
MIN_PX = 14.0
DPI = 200  # what the CLI writes


def random_scenario(nodes: int = 60, seed: int = 7) -> str:
    """A random game of exactly ``nodes`` inner nodes, three actors, uncertain payoffs, three traps."""
    rng = np.random.default_rng(seed)
    lines = ["[scenario]", 'name = "random60"', 'title = "A random game of 60 nodes"', 'root = "n0"', ""]
    for a in ("p0", "p1", "p2"):
        lines += [f"[actors.{a}]", f'name = "Player {a[1]}"']
    lines += [
        "[parameters]",
        'u = { dist = "uniform", low = -1, high = 1 }',
        'v = { dist = "uniform", low = -1, high = 1 }',
        "",
    ]
    children: dict[int, list[int]] = {0: []}
    frontier = [0]
    made = 1
    while made < nodes:  # grow breadth-first, two or three children each
        parent = frontier.pop(0)
        for _ in range(int(rng.integers(2, 4))):
            if made >= nodes:
                break
            children[made] = []
            children[parent].append(made)
            frontier.append(made)
            made += 1
    body: list[str] = []
    payoffs: list[str] = []
    leaf = 0
    for n in range(nodes):
        kids = [f"n{c}" for c in children[n]]
        while len(kids) < 2:
            kids.append(f"o{leaf}")
            w = [f"{rng.uniform(-1, 1):.2f} + {rng.uniform(-1, 1):.2f} * {'uv'[k % 2]}" for k in range(3)]
            payoffs.append(f'o{leaf} = {{ p0 = "{w[0]}", p1 = "{w[1]}", p2 = "{w[2]}" }}')
            leaf += 1
        nxt = ", ".join(f'a{j} = "{k}"' for j, k in enumerate(kids))
        body.append(f"[nodes.n{n}]")
        if rng.random() < 0.3:
            body.append(
                "chance = { "
                + ", ".join(f'a{j} = "{1 / len(kids):.6f}"' for j in range(len(kids) - 1))
                + f', a{len(kids) - 1} = "{1 - (len(kids) - 1) * round(1 / len(kids), 6):.6f}" }}'
            )
        else:
            body.append(f'actor = "p{rng.integers(3)}"')
        body.append(f"next = {{ {nxt} }}")
    traps = [
        "[traps.first]",
        'title = "First ending"',
        "when = 'reached(\"o0\")'",
        "[traps.deep]",
        'title = "A deep node"',
        f"when = 'reached(\"n{nodes - 1}\")'",
        "[traps.loss]",
        'title = "Player 0 loses"',
        "when = 'payoff(\"p0\") < 0'",
    ]
    return "\n".join(lines + body + ["[payoffs]", *payoffs, *traps]) + "\n"


def _drawn_texts(fig: Figure, monkeypatch: pytest.MonkeyPatch) -> list[Text]:
    """The texts the renderer draws (not hidden ones), by spying on ``Text.draw``."""
    drawn: list[Text] = []
    original = Text.draw

    def spy(self: Text, renderer: object) -> None:
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
        original(self, renderer)

    with monkeypatch.context() as m:
        m.setattr(Text, "draw", spy)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI)
    width_px = Image.open(io.BytesIO(buf.getvalue())).size[0]
    assert abs(width_px - fig.get_figwidth() * DPI) <= 1
    return drawn


def shown_height(text: Text, fig: Figure) -> float:
    """Pixel height of ``text``'s font when the figure is shown :data:`SHOWN` px wide."""
    in_file = text.get_fontsize() / 72 * DPI
    return in_file * SHOWN / (fig.get_figwidth() * DPI)


def _families(sc: trapsim.Scenario, sweep_axes: tuple[str, str]) -> Iterator[tuple[str, Callable[[], Figure]]]:
    res = trapsim.simulate(sc, draws=3000, seed=1)
    for suffix, plot in figures.RUN_FIGURES:
        yield suffix, lambda plot=plot: plot(res)
    yield "tree_equilibrium", lambda: figures.plot_tree(sc, equilibrium=api.solve(sc))
    yield "actors", lambda: figures.plot_actor_graph(sc)
    yield "payoffs", lambda: figures.plot_payoffs(res)
    other = sc.with_values({sweep_axes[0]: 0.0})
    yield "compare", lambda: plot_comparison(api.compare([sc, other], draws=2000, seed=1))
    x, y = sweep_axes
    one = trapsim.sweep(sc, {x: grid_values(0.1, 0.7, 5)}, draws=300, seed=1)
    two = trapsim.sweep(sc, {x: grid_values(0.1, 0.7, 11), y: grid_values(0.2, 0.8, 11)}, draws=100, seed=1)
    yield "sweep_lines", lambda: plot_sweep_lines(one)
    yield "sweep_heatmap", lambda: plot_sweep_heatmap(two, sc.traps[0].id)


@pytest.fixture(scope="module")
def defense() -> trapsim.Scenario:
    return trapsim.load(DEFENSE)


@pytest.fixture(scope="module")
def random60() -> trapsim.Scenario:
    return loads(random_scenario(), path="random60.toml")


def test_the_random_scenario_has_60_nodes(random60: trapsim.Scenario) -> None:
    assert len(random60.nodes) == 60


@pytest.mark.parametrize("which", ["defense", "random60"])
def test_no_text_under_14_px_at_1280_px(
    which: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc = request.getfixturevalue(which)
    axes = ("p_gain", "rho_alone") if which == "defense" else ("u", "v")
    small: list[str] = []
    for family, make in _families(sc, axes):
        fig = make()
        texts = _drawn_texts(fig, monkeypatch)
        assert texts, family
        small += [
            f"{family}: {t.get_text()[:40]!r} {shown_height(t, fig):.1f} px"
            for t in texts
            if shown_height(t, fig) < MIN_PX
        ]
    assert not small, "\n".join(small)


def test_analysis_figures_are_legible(defense: trapsim.Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    d = api.drivers(defense, traps=["putin_trap", "kim_trap"], samples=32, draws=2000, seed=1)
    small = []
    for slug, _, fig in analysis_figures.drivers_figures(d):
        small += [
            f"{slug}: {t.get_text()[:40]!r} {shown_height(t, fig):.1f} px"
            for t in _drawn_texts(fig, monkeypatch)
            if shown_height(t, fig) < MIN_PX
        ]
    assert not small, "\n".join(small)


def test_the_height_formula_is_the_rendered_height() -> None:
    """A 14 pt text in a 12.8-inch figure: 14/72*200 = 38.9 px in the file, 19.4 px at 1,280 px."""
    fig = Figure(figsize=(12.8, 7.2))
    t = fig.text(0.5, 0.5, "M", fontsize=14)
    assert shown_height(t, fig) == pytest.approx(14 / 72 * 100)
    fig.canvas.draw()  # type: ignore[no-untyped-call]
    box = t.get_window_extent(dpi=DPI)
    assert box.height * SHOWN / (12.8 * DPI) == pytest.approx(shown_height(t, fig), rel=0.35)


SIMPLE = Path(__file__).parent / "data" / "simple.toml"


def _simple(title: str, entrant: str) -> trapsim.Scenario:
    text = SIMPLE.read_text().replace('title = "Entry game with an uncertain cost"', f'title = "{title}"')
    return loads(text.replace('name = "Entrant"', f'name = "{entrant}"'), path="simple.toml")


def test_dollar_signs_stay_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    sc = _simple("Aid of $5 billion or $10 billion", "Entrant")
    fig = figures.plot_tree(sc)
    texts = _drawn_texts(fig, monkeypatch)
    title = next(t for t in texts if "billion" in t.get_text())
    assert "$5 billion or $10" in title.get_text()
    assert not title._preprocess_math(title.get_text())[1]  # not handed to mathtext


def test_missing_glyphs_warn_once_naming_the_characters(tmp_path: Path) -> None:
    from trapsim.figures.style import _font_family

    sc = _simple("Entry game", "대한민국 정부")
    if len(_font_family()) > 1:  # a fallback font with Hangul is installed: drawn, no warning
        pytest.skip("a font with Hangul is installed")
    with pytest.warns(UserWarning) as record:
        figures.save(figures.plot_tree(sc), tmp_path / "tree.png")
    glyphs = [str(w.message) for w in record if "missing from the installed fonts" in str(w.message)]
    others = [str(w.message) for w in record if "missing from the installed fonts" not in str(w.message)]
    assert not others  # matplotlib's one warning per character is gone
    assert 1 <= len(glyphs) <= 2  # at most once while drawing and once while saving
    assert all("대" in g and "부" in g for g in glyphs)


V2 = ROOT / "scenarios" / "defense_clause.toml"


@pytest.fixture(scope="module")
def v2_panels() -> dict[str, list[Figure]]:
    """The tree panels of the bundled defense_clause (v2: shared subtrees unfolded into 151 endings)."""
    sc = trapsim.load(V2)
    res = trapsim.simulate(sc, draws=3000, seed=1)
    return {"run": figures.plot_tree_panels(res), "equilibrium": figures.plot_tree_panels(sc)}


@pytest.mark.parametrize("view", ["run", "equilibrium"])
def test_the_v2_tree_is_split_into_legible_one_slide_panels(
    view: str, v2_panels: dict[str, list[Figure]], monkeypatch: pytest.MonkeyPatch
) -> None:
    panels = v2_panels[view]
    assert 2 <= len(panels) <= 6
    small: list[str] = []
    texts: list[str] = []
    for k, fig in enumerate(panels):
        assert tuple(fig.get_size_inches()) == pytest.approx((12.8, 7.2))  # one 16:9 slide each
        drawn = _drawn_texts(fig, monkeypatch)
        texts += [t.get_text() for t in drawn]
        small += [f"panel {k}: {t.get_text()[:40]!r}" for t in drawn if shown_height(t, fig) < MIN_PX]
    assert not small, "\n".join(small)
    joined = "\n".join(texts)
    assert "[" not in joined  # no copy names such as russia_pays[push_russia,acquiesce,...]
    letters = [chr(ord("A") + k) for k in range(len(panels))]
    for letter in letters[1:]:  # every panel after the first is announced on a stub of another
        assert f"\u25b8 panel {letter}" in joined.replace("\n", " ")
        assert f"Panel {letter} of {len(panels)}" in joined.replace("\n", " ")


def _poll_summary(traps: int = 6, parameters: int = 4) -> dict[str, object]:
    """A classroom poll's summary as the presenter's page receives it (see trapsim.web.classroom)."""
    rng = np.random.default_rng(3)
    x = list(np.linspace(0, 1, 41))

    def rate() -> dict[str, object]:
        r = float(rng.uniform(0.05, 0.6))
        return {"rate": r, "ci95": [r - 0.02, r + 0.02]}

    return {
        "title": "The Russia-DPRK defense clause: Putin trap or Kim trap?",
        "students": 24,
        "draws": 20000,
        "student_draws": 2000,
        "seed": 7,
        "traps": [
            {
                "id": f"t{k}",
                "title": f"A trap with a longer title number {k}",
                "given": "Ukraine pushed and gained ground" if k % 2 else None,
                "prior": rate(),
                "pooled": rate(),
                "students": [float(v) for v in rng.uniform(0, 0.7, 24)],
            }
            for k in range(traps)
        ],
        "parameters": [
            {
                "name": f"p{k}",
                "label": f"Chance a push into annexed land gains ground ({k})",
                "unit": "probability",
                "x": x,
                "prior": [1.0] * len(x),
                "pooled": [float(v) for v in rng.uniform(0, 2, len(x))],
                "students": [[float(v) for v in rng.uniform(0, 2, len(x))] for _ in range(5)],
            }
            for k in range(parameters)
        ],
    }


def test_classroom_poll_figures_are_legible(monkeypatch: pytest.MonkeyPatch) -> None:
    summary = _poll_summary()
    small = []
    for name, fig in (
        ("poll_traps", figures.plot_poll_traps(summary)),
        ("poll_priors", figures.plot_poll_priors(summary)),
    ):
        small += [
            f"{name}: {t.get_text()[:40]!r} {shown_height(t, fig):.1f} px"
            for t in _drawn_texts(fig, monkeypatch)
            if shown_height(t, fig) < MIN_PX
        ]
    assert not small, "\n".join(small)


@pytest.mark.parametrize("view", ["run", "equilibrium"])
def test_the_compact_graph_of_v2_is_split_into_legible_slides(view: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``tree --compact``: consecutive columns per 16:9 panel (it was one 7,040 px strip), links between panels."""
    from trapsim.figures.compact import plot_compact_panels

    sc = trapsim.load(V2)
    panels = plot_compact_panels(trapsim.simulate(sc, draws=2000, seed=1) if view == "run" else sc)
    assert len(panels) >= 2
    small, texts = [], []
    for k, fig in enumerate(panels):
        assert tuple(fig.get_size_inches()) == pytest.approx((12.8, 7.2))
        drawn = _drawn_texts(fig, monkeypatch)
        texts += [t.get_text().replace("\n", " ") for t in drawn]
        small += [f"panel {k}: {t.get_text()[:40]!r}" for t in drawn if shown_height(t, fig) < MIN_PX]
    assert not small, "\n".join(small)
    joined = "\n".join(texts)
    assert "[" not in joined
    for node in sc.nodes:  # every node is drawn once, by its label
        assert sum(sc.label_of("node", node) in t for t in texts) >= 1
    assert "\u25b8 panel B" in joined and "from panel A" in joined
