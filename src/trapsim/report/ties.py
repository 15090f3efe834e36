"""The report's sections about the actor graph: chains of commitment and which tie springs each trap.

Each function returns trusted HTML (user text escaped here).
"""

from __future__ import annotations

from trapsim.attribution import Attribution
from trapsim.chains import commitment_chains
from trapsim.model import Scenario

__all__ = ["HEADLINE_PANELS", "attribution_html", "chains_html"]

#: Traps (the first ones in the file: scenarios list their headline traps first) drawn as a graph panel.
HEADLINE_PANELS = 2


def chains_html(sc: Scenario) -> str:
    """Each actor's shortest chain of commitments to a party at war, as a list ('' if none)."""
    from trapsim.report import esc

    if not sc.relations:
        return ""
    names = {a.id: a.name for a in sc.actors}
    lines = [c.describe(names) for c in commitment_chains(sc).values() if c is not None and c.steps > 0]
    if not lines:
        return ""
    items = "".join(f"<li>{esc(t)}</li>" for t in lines)
    kinds = ", ".join(sc.commitment_kinds) if sc.commitment_kinds else "alliance, patronage, support"
    return (
        "<h3>Chains of commitment</h3>"
        f"<p>From the actor graph alone: the shortest chain of commitments ({esc(kinds)}) from each actor "
        "to a party at war (a relation of kind war).</p>"
        f"<ul>{items}</ul>"
    )


def attribution_html(att: Attribution) -> str:
    """The body of "Which tie springs each trap": a table of shares and a graph per headline trap."""
    from trapsim.figures import plot_attribution_graph
    from trapsim.report import esc, figure_html, table_html

    sc = att.scenario
    names = {a.id: a.name for a in sc.actors}

    def share(entry: dict) -> str:  # type: ignore[type-arg]
        if entry["rate"] is None:
            return "n/a"
        lo, hi = entry["ci95"]
        return f"{100 * entry['rate']:.1f}% [{100 * lo:.1f}, {100 * hi:.1f}]"

    rows = []
    for ra in att.relations:
        if not ra.attributable:
            continue
        rel = ra.relation
        tie = f"{names.get(rel.source, rel.source)} - {names.get(rel.target, rel.target)}: {rel.label or rel.kind}"
        for t in sc.traps:
            e = ra.traps[t.id]
            rows.append((tie, t.title, share(e["depends"]), share(e["prevents"])))
    missing = [ra.relation for ra in att.relations if not ra.attributable]
    intro = (
        f"<p>Each tie below declares what the game looks like without it (<code>absent</code>). On the same "
        f"{att.result.draws:,} draws, <b>depends</b> is the share of the trap's firings that need the tie "
        "(the trap fires with it, not without it); <b>prevents</b> is the share of all draws where the trap "
        "fires only without the tie. 95% Wilson intervals in brackets.</p>"
    )
    body = intro + table_html(["Tie", "Trap", "Depends (of firings)", "Prevents (of draws)"], rows, numeric=[2, 3])
    if missing:
        listed = ", ".join(f"{names.get(r.source, r.source)} - {names.get(r.target, r.target)}" for r in missing)
        body += f'<p class="note">Not attributable (no <code>absent</code> table): {esc(listed)}.</p>'
    for t in sc.traps[:HEADLINE_PANELS]:
        fig = plot_attribution_graph(att, t.id)
        body += figure_html(fig, f"{t.title}: each tie drawn by the share of firings that depend on it.")
    return body
