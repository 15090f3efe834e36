"""The parts of the report that teach: the solved game's story, discussion questions, a glossary.

Each function returns the trusted HTML body of one section (user text is
escaped here).
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

from trapsim.errors import TrapsimError
from trapsim.explain import explain
from trapsim.model import Scenario
from trapsim.runner import Result
from trapsim.scenario.library import library_dir

__all__ = ["GLOSSARY", "discussion_html", "glossary_html", "reality_check_link", "reality_check_words", "story_html"]

#: The game-theory terms the report, the figures and ``explain`` use, in plain words.
GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "Backward induction",
        "Solving a game from its end: at the last decisions each actor picks what is best for it, and "
        "earlier actors choose knowing how the later ones will answer.",
    ),
    (
        "Subgame-perfect equilibrium (SPE)",
        "A plan for every actor, at every node, that is best for it from that node on, given everyone "
        "else's plan; backward induction finds it. No actor is expected to carry out an empty threat.",
    ),
    (
        "Quantal response (QRE)",
        "A solution in which actors choose better actions more often but not always; the rationality "
        "parameter sets how sharply (high: close to the SPE, zero: at random).",
    ),
    (
        "Entrapment",
        "An ally dragged into a conflict it would rather have stayed out of, because of its commitment "
        "to a partner (Snyder's alliance security dilemma).",
    ),
    ("Abandonment", "The other fear of an alliance: a partner that does not come to help when called."),
    (
        "Commitment problem",
        "A promise that cannot be enforced later: once the moment comes, the promising side is better "
        "off breaking it, so the other side should not fully count on it.",
    ),
    (
        "Hypergame",
        "A game in which actors see different games: each plays the game as it believes it to be; "
        "trapsim's [beliefs] give an actor its own view of some parameters.",
    ),
    (
        "Sobol' index",
        "The share of the variance of a result (here: a trap's probability) that comes from one "
        "uncertain parameter, alone (first order) or with others (total).",
    ),
    (
        "PRIM box",
        "From scenario discovery: a range for a few parameters (a box) inside which the trap is much "
        "more likely than overall, found by peeling away the draws where it is rare.",
    ),
)


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def story_html(result: Result) -> str:
    """The game solved once at the run's fixed values (central values otherwise), told as ``explain`` does."""
    sc = result.scenario
    try:
        ex = explain(sc, values=result.values or None, solver=result.solver, rationality=result.rationality)
    except TrapsimError as err:  # the story is an extra: never lose the report for it
        return f"<p>The story could not be told for this scenario: {_esc(err)}</p>"
    lines = ex.lines
    first = next((k for k, ln in enumerate(lines) if ln.depth == 0 and k > 0 and ln.text), 1)
    out = ['<div class="story">']
    skip = False
    for ln in lines[first:]:
        if not ln.text:
            continue
        if ln.depth == 0:
            skip = ln.text.startswith("Why:")  # the off-path reasoning: in `trapsim explain`
            if not skip:
                out.append(f"<h3>{_esc(ln.text)}</h3>")
        elif skip:
            continue
        else:
            cls = ' class="narrow"' if ln.text.startswith("Narrow:") else ""
            out.append(f'<p{cls} style="margin-left:{1.2 * (ln.depth - 1):.1f}rem">{_esc(ln.text)}</p>')
    out.append("</div>")
    intro = (
        "<p>The game solved once, at the central values of the parameters (as "
        "<code>trapsim explain</code> tells it): who chooses what, and the numbers behind each "
        "choice. The terms of each alternative add up to its value.</p>"
    )
    return intro + "".join(out)


_SAFE_LINK = re.compile(r"^(https?://[^\s\"'<>]+|[A-Za-z0-9_./#-]+)$")


def reality_check_link(sc: Scenario, out_dir: str | Path | None) -> tuple[str, str | None]:
    """What to show for the scenario's ``reality_check``, and where to link (``None``: show it as text).

    An address is linked as it is. A relative path is read relative to the
    scenario file's directory; when that file exists, the link is relative to
    ``out_dir`` (where the report is written; default the current directory).
    When it does not exist (e.g. a bundled scenario of an installed trapsim,
    whose docs are not installed), the path is shown as text with a note,
    never as a dead link.
    """
    ref = sc.reality_check
    if ref.startswith(("http://", "https://")):
        return ref, ref
    name, _, anchor = ref.partition("#")
    where = Path(sc.path).parent if sc.path else Path.cwd()
    target = where / name
    if target.is_file():
        rel = os.path.relpath(target.resolve(), Path(out_dir or ".").resolve())
        return ref, Path(rel).as_posix() + (f"#{anchor}" if anchor else "")
    if _bundled(sc):
        return f"{reality_check_words(sc)} (not installed with the package)", None
    return f"{ref} (relative to {_file_name(sc)}; not found)", None


def reality_check_words(sc: Scenario) -> str:
    """The reality check as a reader finds it on paper (the handout): an address, or a path said in words."""
    ref = sc.reality_check
    if ref.startswith(("http://", "https://")):
        return ref
    if _bundled(sc):
        return os.path.normpath(os.path.join("scenarios", ref)).replace(os.sep, "/") + " in the trapsim repository"
    return f"{ref} (relative to {_file_name(sc)})"


def _file_name(sc: Scenario) -> str:
    return Path(sc.path).name or "the scenario file"


def _bundled(sc: Scenario) -> bool:
    return bool(sc.path) and Path(sc.path).parent.resolve() == library_dir().resolve()


def discussion_html(sc: Scenario, out_dir: str | Path | None = None) -> str:
    """The scenario's discussion questions and its reality check (empty when it has neither).

    ``out_dir`` is where the report is written (see :func:`reality_check_link`).
    """
    parts = []
    if sc.discussion:
        items = "".join(f"<li>{_esc(q)}</li>" for q in sc.discussion)
        parts.append(f'<ol class="questions">{items}</ol>')
    if sc.reality_check and _SAFE_LINK.match(sc.reality_check):
        text, href = reality_check_link(sc, out_dir)
        shown = _esc(text) if href is None else f'<a href="{_esc(href)}" rel="noreferrer">{_esc(text)}</a>'
        parts.append(f"<p>Reality check: how the model compares with what happened — {shown}.</p>")
    return "".join(parts)


def glossary_html() -> str:
    """The glossary as a definition list."""
    items = "".join(f"<dt>{_esc(term)}</dt><dd>{_esc(text)}</dd>" for term, text in GLOSSARY)
    return f'<dl class="glossary">{items}</dl>'
