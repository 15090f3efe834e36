"""The HTML report: content, self-containment, hooks, reproducibility, headless Chromium."""

from __future__ import annotations

import base64
import dataclasses
import html
import os
import re
import shlex
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest

import trapsim
from chromium import chromium_or_fail, render  # tests/chromium.py (rootdir on sys.path)
from trapsim import report
from trapsim.figures.style import percent
from trapsim.report import SECTION_IDS, Section, build_report, reproduce_command

ROOT = Path(__file__).parent.parent
DEFAULT = ROOT / "tests" / "data" / "defense_clause_v1.toml"
SIMPLE = Path(__file__).parent / "data" / "simple.toml"

HOSTILE = """
[scenario]
name = "hostile"
title = "Tags <script>alert(1)</script> & quotes \\""
description = "A <b>bold</b> claim & more."
root = "n"
sources = ["See <i>this</i>: https://example.org/a?b=1&c=2."]

[actors.a]
name = "A <img src=x>"
description = "<script>no</script>"

[parameters]
# x: a comment with <tags> & ampersands.
x = { dist = "uniform", low = 0, high = 1 }

[nodes.n]
actor = "a"
next = { go = "o1", stop = "o2" }

[payoffs]
o1 = { a = "x" }
o2 = { a = 0 }

[traps.t]
title = "T <u>"
description = "Fires when <go> is played"
when = 'played("n", "go")'
"""


class _Page(HTMLParser):
    """Collects tags with their attributes, section ids and visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.sections: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        self.tags.append((tag, d))
        if tag == "section":
            self.sections.append(str(d["id"]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    return p


@pytest.fixture(scope="module")
def default_result() -> trapsim.Result:
    return trapsim.simulate(trapsim.load(str(DEFAULT)), draws=20_000, seed=11)


@pytest.fixture(scope="module")
def default_page(default_result) -> str:
    return build_report(default_result)


@pytest.fixture(scope="module")
def simple_result() -> trapsim.Result:
    return trapsim.simulate(trapsim.load(str(SIMPLE)), draws=3_000, seed=4)


def test_sections_in_order_with_the_issue_content(default_result, default_page: str) -> None:
    res, sc = default_result, default_result.scenario
    parsed = _parse(default_page)
    assert parsed.sections == list(SECTION_IDS)
    text = " ".join(parsed.text)
    assert sc.title in text and "Putin trap" in text
    for src in sc.sources[:3]:
        assert src.split(":")[0] in text
    joined = "".join(parsed.text)  # ids break only at their underscores (<wbr>)
    for p in sc.parameters:  # parameter table: name, distribution, central value, comment
        assert p.name in joined and p.dist.describe() in text
    assert "<code>deliver_<wbr>prob</code>" in default_page
    assert "fortified annexed land" in text  # a comment, without its 'p_gain:' prefix
    assert "p_gain: chance" not in text
    for t in sc.traps:  # what each trap means, with its rate
        assert t.description in text
        assert percent(res.rate(t.id)) in text
    outcomes = default_page[default_page.index('id="outcomes"') : default_page.index('id="payoffs"')]
    for o, c in res.outcome_counts.items():  # outcome table: reached outcomes only, the rest counted
        assert (f"<td>{sc.label_of('outcome', o)}</td>" in outcomes) == (c > 0)
    hidden = sum(1 for c in res.outcome_counts.values() if c == 0)
    assert hidden > 0 and f"{hidden} outcomes never reached in any draw are not listed." in outcomes
    for a in sc.actors:
        assert f"{res.payoff_mean[a.id]:+.3f}" in text
    assert f"--seed {res.seed}" in text and f"--draws {res.draws}" in text
    assert trapsim.__version__ in text and sc.sha256 in text


def test_page_is_self_contained(default_page: str) -> None:
    parsed = _parse(default_page)
    imgs = [d for tag, d in parsed.tags if tag == "img"]
    tree = [d for d in imgs if str(d["alt"]).startswith("game tree, panel")]
    assert len(imgs) == 4 + len(tree) and len(tree) >= 1  # actors, tree panels, trap rates, payoffs, convergence
    for d in imgs:
        src = str(d["src"])
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        w, h = struct.unpack(">II", png[16:24])
        assert w > 800 and h > 400
        assert d["alt"]
    assert not [t for t, _ in parsed.tags if t in ("script", "link", "iframe", "object", "embed")]
    for tag, d in parsed.tags:  # the only URLs are links a reader may follow, never loaded
        for key, value in d.items():
            if value and key in ("src", "srcset", "poster", "data") and not value.startswith("data:"):
                pytest.fail(f"<{tag} {key}={value!r}> would load something")
    assert "@import" not in default_page and "url(" not in default_page
    assert "@page" in default_page and "@media print" in default_page


def test_user_text_is_escaped(tmp_path: Path) -> None:
    path = tmp_path / "hostile.toml"
    path.write_text(HOSTILE)
    res = trapsim.simulate(trapsim.load(str(path)), draws=500, seed=1)
    page = build_report(res)
    assert "<script>" not in page and "<img src=x>" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a comment with &lt;tags&gt; &amp; ampersands." in page
    # a URL inside a source becomes a link, with the trailing full stop left out
    assert '<a href="https://example.org/a?b=1&amp;c=2" rel="noreferrer">' in page


def test_extra_sections_are_placed_after_the_named_section() -> None:
    builtin = [Section(i, i.title(), "") for i in SECTION_IDS]
    extra = [
        Section("drivers", "What drives each trap", "<p>drivers</p>", after="traps"),
        Section("story", "The story", "<p>story</p>", after="scenario"),
        Section("more", "More", "<p>more</p>", after="drivers"),
        Section("tail", "Tail", "<p>tail</p>", after="no-such-section"),
    ]
    ids = [s.id for s in report._place(builtin, extra)]
    assert ids == [
        "scenario",
        "story",
        "actors",
        "parameters",
        "tree",
        "solution",
        "traps",
        "drivers",
        "more",
        "outcomes",
        "payoffs",
        "convergence",
        "discussion",
        "glossary",
        "tail",
        "reproduce",
    ]
    with pytest.raises(ValueError, match="already used"):
        report._place(builtin, [Section("traps", "x", "")])
    with pytest.raises(ValueError, match="letters"):
        report._place(builtin, [Section("bad id", "x", "")])


def test_api_report_with_an_extra_section(simple_result) -> None:
    page = trapsim.api.report(
        simple_result, extra_sections=[Section("wide", "Wide <things>", "<p>w</p>", after="traps", landscape=True)]
    )
    after = SECTION_IDS.index("traps") + 1
    assert _parse(page).sections == [*SECTION_IDS[:after], "wide", *SECTION_IDS[after:]]
    assert '<section id="wide" class="landscape"><h2>Wide &lt;things&gt;</h2><p>w</p>' in page
    assert '<a href="#wide">Wide &lt;things&gt;</a>' in page  # in the navigation
    assert '<section id="tree">' in page  # the tree fits the page width: no landscape page


def test_table_html_escapes_and_aligns() -> None:
    html = report.table_html(["a", "b"], [("<x>", 1.5)], numeric=[1])
    assert "<td>&lt;x&gt;</td>" in html and '<td class="num">1.5</td>' in html
    assert "<thead>" not in report.table_html(None, [("k", "v")])


def test_reproduce_command_rebuilds_the_same_report(simple_result, invoke, tmp_path: Path) -> None:
    res = simple_result
    cmd = reproduce_command(res)
    rel = os.path.relpath(SIMPLE)  # relative to where the report is made, never absolute
    assert cmd == f"trapsim report {rel} --draws {res.draws} --seed {res.seed}"
    fixed = trapsim.simulate(res.scenario, draws=1000, seed=5, values={"cost": 0.5}, solver="qre")
    assert reproduce_command(fixed).endswith("--solver qre --set cost=0.5")
    fine = trapsim.simulate(res.scenario, draws=100, seed=5, values={"cost": 0.123456789})
    assert reproduce_command(fine).endswith("--set cost=0.123456789")  # every digit, not :g's six
    out = tmp_path / "again.html"
    r = invoke(*shlex.split(cmd)[1:], "--out", out)
    assert r.exit_code == 0, r.output
    assert f"wrote {out}" in r.output
    strip = re.compile(r"<tr><td>run time</td>.*?</tr>")
    assert strip.sub("", out.read_text()) == strip.sub("", build_report(res))


def test_reproduce_command_never_shows_an_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "elsewhere" / "simple.toml"
    path.parent.mkdir()
    path.write_text(SIMPLE.read_text())
    res = trapsim.simulate(trapsim.load(str(path)), draws=200, seed=1)
    cwd = tmp_path / "work"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # the file is not below the working directory: its name only
    assert reproduce_command(res) == "trapsim report simple.toml --draws 200 --seed 1"
    monkeypatch.chdir(tmp_path)  # below it: the relative path
    assert reproduce_command(res) == "trapsim report elsewhere/simple.toml --draws 200 --seed 1"


def test_report_command_defaults_and_errors(invoke, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = invoke("report", SIMPLE, "--draws", 500, "--seed", 1)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "trapsim-out" / "simple_report.html").stat().st_mode & 0o044  # readable by others
    r = invoke("report", SIMPLE, "--set", "nope=1")
    assert r.exit_code == 2 and "unknown parameter 'nope'" in r.output


# ----------------------------------------------------------- headless Chromium


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_browser_fails_under_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]
) -> None:
    import chromium

    monkeypatch.setattr(chromium.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="chromium is not installed"):
        chromium_or_fail()


@pytest.mark.slow
def test_report_renders_in_headless_chromium(default_page: str, tmp_path: Path) -> None:
    binary = chromium_or_fail()
    path = tmp_path / "report.html"
    path.write_text(default_page, encoding="utf-8")
    page = render(path, pdf=True, binary=binary)
    assert page.errors == [], page.errors
    assert not [level for level, _ in page.console if level in ("error", "warning")], page.console
    external = [u for u in page.requests if not u.startswith(("data:", "file:"))]
    assert external == [], external
    assert page.requests[0] == path.resolve().as_uri()
    checks = page.checks
    assert checks["sections"] == list(SECTION_IDS)
    assert checks["images"] == checks["images_ok"] == 4 + default_page.count('alt="game tree, panel')  # all decode
    assert checks["scripts"] == 0 and checks["tables"] >= 6
    assert checks["width"] <= 1280  # nothing overflows the page sideways
    shot = page.screenshot
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 50_000
    assert struct.unpack(">II", shot[16:24]) == (1280, 1800)
    (tmp_path / "report.png").write_bytes(shot)
    # printing: A4 pages, the tree on a landscape one
    assert page.pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b", page.pdf))
    assert 5 <= pages <= 30


def test_report_sensitivity_refuses_a_believers_scenario_before_running(
    invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import trapsim.cli.figures as cli_figures

    def no_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the run should not start")

    monkeypatch.setattr(cli_figures, "simulate", no_run)
    out = tmp_path / "r.html"
    scenario = ROOT / "tests" / "data" / "kim_misperception_v1.toml"
    r = invoke("report", scenario, "--draws", 300, "--sensitivity", "--out", out)
    assert r.exit_code == 2, r.output
    assert "report --sensitivity) do not support [beliefs]" in r.output
    assert not out.exists()


# ------------------------------------------------------------- a handout that teaches

TEACHING = SIMPLE.read_text().replace(
    'root = "entrant"',
    'root = "entrant"\ndiscussion = ["Why would the <incumbent> ever fight?", "What does cost stand for?"]\n'
    'reality_check = "https://example.org/what-happened"',
)


def test_report_tells_the_story_asks_the_questions_and_explains_the_terms(tmp_path: Path) -> None:
    from trapsim.report.teaching import GLOSSARY

    path = tmp_path / "teaching.toml"
    path.write_text(TEACHING)
    sc = trapsim.load(str(path))
    assert sc.discussion == ("Why would the <incumbent> ever fight?", "What does cost stand for?")
    page = build_report(trapsim.simulate(sc, draws=2000, seed=3))
    story = page[page.index('id="solution"') : page.index('id="traps"')]
    assert "Entrant chooses" in story and "\u2248" in story  # the decision, with its terms
    assert "Why: what the actors expect" not in story  # the off-path part stays in `explain`
    questions = page[page.index('id="discussion"') : page.index('id="glossary"')]
    assert "<li>Why would the &lt;incumbent&gt; ever fight?</li>" in questions  # escaped
    assert '<a href="https://example.org/what-happened" rel="noreferrer">' in questions
    glossary = page[page.index('id="glossary"') : page.index('id="reproduce"')]
    for term, _ in GLOSSARY:
        assert f"<dt>{html.escape(term)}</dt>" in glossary
    for term in (
        "Subgame-perfect",
        "Backward induction",
        "Quantal response",
        "Entrapment",
        "Abandonment",
        "Commitment problem",
        "Hypergame",
        "Sobol",
        "PRIM",
    ):
        assert term in glossary
    plain = build_report(trapsim.simulate(trapsim.load(str(SIMPLE)), draws=500, seed=1))
    assert "gives no discussion questions" in plain


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('reality_check = "javascript:alert(1)"', "scenario.reality_check: expected an http(s) address"),
        ('reality_check = "/etc/passwd"', "scenario.reality_check: expected an http(s) address or a relative path"),
        ('discussion = "one question"', "scenario.discussion: expected a list of text values"),
    ],
)
def test_teaching_keys_are_checked(extra: str, message: str) -> None:
    from trapsim.scenario import loads

    with pytest.raises(trapsim.ScenarioError, match=re.escape(message)):
        loads(SIMPLE.read_text().replace('root = "entrant"', f'root = "entrant"\n{extra}'), path="s.toml")


def _reality_section(page: str) -> str:
    return page[page.index('id="discussion"') : page.index('id="glossary"')]


def test_a_relative_reality_check_is_linked_from_where_the_report_is_written(tmp_path: Path, invoke) -> None:
    """Resolved against the scenario's directory, linked relative to the output: it works from anywhere."""
    (tmp_path / "docs").mkdir()
    doc = tmp_path / "docs" / "what-happened.md"
    doc.write_text("# What happened\n")
    (tmp_path / "scenarios").mkdir()
    path = tmp_path / "scenarios" / "s.toml"
    path.write_text(TEACHING.replace("https://example.org/what-happened", "../docs/what-happened.md"))
    out = tmp_path / "elsewhere" / "deeper" / "r.html"
    res = invoke("report", path, "--draws", 300, "--seed", 1, "--out", out)
    assert res.exit_code == 0, res.output
    hrefs = re.findall(r'<a href="([^"]+)" rel="noreferrer">', _reality_section(out.read_text()))
    assert hrefs == ["../../docs/what-happened.md"]
    assert (out.parent / hrefs[0]).resolve() == doc.resolve()  # not a dead link from the report's folder


def test_a_missing_reality_check_is_said_in_words_never_a_dead_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trapsim.report import teaching

    path = tmp_path / "s.toml"
    path.write_text(TEACHING.replace("https://example.org/what-happened", "../docs/reality-check.md"))
    result = trapsim.simulate(trapsim.load(str(path)), draws=300, seed=1)
    section = _reality_section(build_report(result, out_dir=tmp_path / "out"))
    assert "<a href" not in section
    assert "../docs/reality-check.md (relative to s.toml; not found)" in section
    monkeypatch.setattr(teaching, "library_dir", lambda: tmp_path)  # as if bundled with an installed trapsim
    section = _reality_section(build_report(result, out_dir=tmp_path / "out"))
    assert "<a href" not in section
    assert "docs/reality-check.md in the trapsim repository" in section


def test_the_handout_says_where_to_find_the_reality_check_in_words() -> None:
    from trapsim.report.teaching import reality_check_words

    bundled = trapsim.load("defense_clause")
    assert reality_check_words(bundled) == "docs/reality-check.md in the trapsim repository"
    assert reality_check_words(dataclasses.replace(bundled, reality_check="https://x.org/a")) == "https://x.org/a"


def test_the_report_body_is_set_in_one_font_family() -> None:
    css = (ROOT / "src" / "trapsim" / "report.css").read_text()
    families = set(re.findall(r"font-family:\s*([^;]+);", css))
    assert len(families) == 1, families  # no serif body text next to sans cards and tables
    assert not re.search(r"(?<!sans-)serif", css, re.IGNORECASE)


def _need(tool: str) -> None:
    import shutil

    if shutil.which(tool) is None:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"{tool} is missing (CI must have it)")
        pytest.skip(f"{tool} is not installed")


def test_handout_is_two_a4_pages_rendered_and_looked_at(invoke, tmp_path: Path) -> None:
    import subprocess

    path = tmp_path / "teaching.toml"
    path.write_text(TEACHING)
    out = tmp_path / "handout.pdf"
    r = invoke("report", path, "--draws", 3000, "--seed", 2, "--handout", "--out", out)
    assert r.exit_code == 0, r.output
    assert f"wrote {out} (2 A4 pages" in r.output
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 2
    boxes = {
        tuple(round(float(v)) for v in m) for m in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    }
    assert boxes == {(595, 842)}  # A4 in points
    _need("pdftoppm")
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(out), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2
    from PIL import Image

    for p in pages:
        im = Image.open(p).convert("L")
        assert abs(im.size[0] - 496) <= 1 and abs(im.size[1] - 702) <= 1  # A4 at 60 dpi
        import numpy as np

        inked = float((np.asarray(im) < 200).mean())
        assert 0.02 < inked < 0.6, f"{p.name}: {inked:.1%} inked"  # text and figures, not blank
        assert not (np.asarray(im)[:, -18:] < 200).any(), f"{p.name}: something runs into the right margin"
    r = invoke("report", path, "--handout", "--sensitivity", "--out", tmp_path / "x.pdf")
    assert r.exit_code == 2 and "--handout has no room for --sensitivity" in r.output


@pytest.mark.slow
def test_report_tree_fits_1280_px_and_a4_print_in_chromium(default_page: str, tmp_path: Path) -> None:
    binary = chromium_or_fail()
    path = tmp_path / "report.html"
    path.write_text(default_page, encoding="utf-8")
    screen = render(path, width=1280, height=900, binary=binary)
    assert screen.checks["width"] <= 1280  # no horizontal scroll
    tree = next(f for f in screen.checks["figures"] if f["section"] == "tree")
    assert tree["left"] >= 0 and tree["right"] <= screen.checks["viewport"]
    assert tree["width"] >= 1100  # wider than the text column: as legible as the page allows
    # print: laid out at the width of A4's text (182 mm = 688 CSS px), every figure inside it
    printed = render(path, width=688, height=1000, media="print", binary=binary)
    assert printed.checks["width"] <= 688
    for f in printed.checks["figures"]:
        assert f["left"] >= 0 and f["right"] <= 688 + 0.5, f


def test_handout_headlines_of_the_bundled_scenario_stay_inside_the_page(invoke, tmp_path: Path) -> None:
    """Seven long conditional headlines wrap at the page's width (measured), never past its right margin."""
    import subprocess

    import numpy as np
    from PIL import Image

    out = tmp_path / "handout.pdf"
    bundled = Path(__file__).parent.parent / "scenarios" / "defense_clause.toml"
    r = invoke("report", bundled, "--draws", 2000, "--seed", 1, "--handout", "--out", out)
    assert r.exit_code == 0, r.output
    _need("pdftoppm")
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(out), str(tmp_path / "page")], check=True)
    for p in sorted(tmp_path.glob("page-*.png")):
        ink = np.asarray(Image.open(p).convert("L")) < 200
        assert not ink[:, -18:].any(), f"{p.name}: something runs into the right margin (0.3 inch)"


@pytest.mark.slow
def test_a_long_navigation_bar_wraps_inside_the_viewport(simple_result, tmp_path: Path) -> None:
    """Many sections (e.g. drivers and ties added): the links wrap, the page never scrolls sideways."""
    extra = [Section(f"extra{k}", f"A long title for an extra section number {k}", "<p>x</p>") for k in range(8)]
    path = tmp_path / "report.html"
    path.write_text(build_report(simple_result, extra_sections=extra), encoding="utf-8")
    page = render(path, binary=chromium_or_fail())
    assert page.checks["width"] <= 1280, page.checks["width"]
