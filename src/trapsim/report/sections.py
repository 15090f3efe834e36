"""The built-in sections of the report, one function each (see :func:`trapsim.report.build_report`)."""

from __future__ import annotations

from trapsim import figures
from trapsim.expressions import split_path_ref
from trapsim.figures import actor_colors
from trapsim.model import Scenario
from trapsim.report.html import (
    comment,
    esc,
    figure_html,
    html_id,
    interval,
    linkify,
    number,
    pct,
    relative,
    reproduce_command,
    table_html,
)
from trapsim.runner import Result, trapsim_version, wilson
from trapsim.sampling import central_value

__all__ = [
    "actors_section",
    "convergence_section",
    "outcomes_section",
    "parameters_section",
    "payoffs_section",
    "reproduce_section",
    "scenario_section",
    "traps_section",
    "tree_section",
]


def _among(result: Result, trap: str) -> str:
    """`` of the 18.8% of draws where ...`` for a conditional trap; empty otherwise."""
    t = result.scenario.trap(trap)
    if t.given is None:
        return ""
    return f" of the {pct(result.given_count(trap) / result.draws)} of {esc(t.denominator())}"


def _denominator_note(result: Result, trap: str) -> str:
    """``Among the 18.8% of draws where ... . `` for a conditional trap (plain text); empty otherwise."""
    t = result.scenario.trap(trap)
    if t.given is None:
        return ""
    return f"Among the {pct(result.given_count(trap) / result.draws)} of {t.denominator()}. "


def scenario_section(sc: Scenario, result: Result) -> str:
    parts = []
    if sc.description:
        parts += [f'<p class="lede">{esc(p.strip())}</p>' for p in sc.description.split("\n\n") if p.strip()]
    if sc.traps:
        keys = []
        for k, t in enumerate(sc.traps):
            lo, hi = result.ci95(t.id) or (None, None)
            color = figures.PALETTE[k % len(figures.PALETTE)]
            what = f'<span class="what">{esc(t.description)}</span>' if t.description else ""
            keys.append(
                f'<div class="key" style="border-left-color:{color}">{esc(t.title)}'
                f'<span class="rate">{pct(result.rate(t.id))}</span>'
                f'<span class="ci">{interval(lo, hi)}{_among(result, t.id)}</span>{what}</div>'
            )
        parts.append(f'<div class="keys">{"".join(keys)}</div>')
    if sc.sources:
        items = "".join(f"<li>{linkify(s)}</li>" for s in sc.sources)
        parts.append(f'<h3>Sources</h3><ol class="sources">{items}</ol>')
    return "".join(parts)


def actors_section(sc: Scenario) -> str:
    colors = actor_colors(sc)
    fig = figures.plot_actor_graph(sc)
    rows = [
        (f'<span class="pill" style="background:{esc(colors[a.id])}"></span>{esc(a.name)}', a.id, a.description)
        for a in sc.actors
    ]
    body = figure_html(fig, "Actors and their relations (arrowheads: directed relations).", alt="actor graph")
    body += table_html(["Actor", "id", "Role in the scenario"], rows, raw=[0], notes=[2])
    if sc.relations:
        name = {a.id: a.name for a in sc.actors}
        rel = [(name.get(r.source, r.source), r.kind, name.get(r.target, r.target), r.label) for r in sc.relations]
        body += table_html(["From", "Relation", "To", "Label"], rel, notes=[3])
        body += _chains_html(sc)
    return body


def _chains_html(sc: Scenario) -> str:
    from trapsim.report.ties import chains_html

    return chains_html(sc)


def parameters_section(sc: Scenario, result: Result) -> str:
    rows = []
    for p in sc.parameters:
        fixed = p.name in result.values
        dist = f"fixed at {result.values[p.name]:g} (--set)" if fixed else p.dist.describe()
        why = comment(p.name, p.comment)
        if p.hindsight:
            why = f"{why} [Hindsight: {p.hindsight}]".strip()
        unit = f" {p.unit}" if p.unit else ""
        label = f"<br><small>{esc(p.label)}</small>" if p.label else ""
        rows.append((f"<code>{html_id(p.name)}</code>{label}", dist, number(central_value(p.dist)) + unit, why))
    intro = (
        "<p>Every draw samples each uncertain parameter from its distribution; "
        "<code>trapsim solve</code> uses the central values (the means). "
        "The last column is the scenario file's justification for each choice.</p>"
    )
    table = table_html(["Parameter", "Distribution", "Central value", "Why"], rows, numeric=[2], notes=[3], raw=[0])
    derived = ""
    if sc.derived:
        drows = [(f"<code>{html_id(d.name)}</code>", f"<code>{esc(d.expr.source)}</code>") for d in sc.derived]
        derived = "<h3>Derived values</h3>" + table_html(["Name", "Expression"], drows, raw=[0, 1])
    return intro + table + derived


def tree_section(result: Result) -> str:
    panels = figures.plot_tree_panels(result)
    split = (
        f" A tree too big for one slide is split into {len(panels)} linked panels: each collapsed stub "
        "says which panel continues it."
        if len(panels) > 1
        else ""
    )
    return (
        "<p>The game as the scenario defines it, read left to right. Each branch shows the share of "
        "the draws <em>arriving</em> at its node that took it, and in brackets the share of all draws "
        "(line width proportional); bold branches are the choices actors made most often; rings mark "
        "the endings where a trap fires. Branches taken in under 1% of the draws are collapsed into "
        f"one stub that says so.{split} Each panel fits the page width; zoom in on screen for detail.</p>"
        + "".join(
            figure_html(
                fig,
                f"The game tree, panel {chr(ord('A') + k)}, with the share of draws taking each branch.",
                alt=f"game tree, panel {chr(ord('A') + k)}",
                wide=True,
                dpi=200,
            )
            for k, fig in enumerate(panels)
        )
    )


def traps_section(sc: Scenario, result: Result) -> str:
    if not sc.traps:
        return "<p>The scenario defines no traps.</p>"
    rows = []
    classes = []
    for t in sc.traps:
        lo, hi = result.ci95(t.id) or (None, None)
        definition = f"<code>{esc(t.when.source)}</code>"
        if t.given is not None:
            definition += f" among draws where <code>{esc(t.given.source)}</code>"
        for w in sorted({w for e in t.conditions for r in e.path_refs if (w := split_path_ref(r)[2])}):
            definition += f"; world <code>{esc(w)}</code>: {esc(sc.world(w).describe())}"
        rows.append(
            (
                t.title,
                pct(result.rate(t.id)),
                interval(lo, hi)[13:],
                _denominator_note(result, t.id) + (t.description or ""),
                definition,
            )
        )
        classes.append("zero" if result.trap_counts[t.id] == 0 else "")
    return figure_html(
        figures.plot_trap_rates(result), "Trap rates with 95% Wilson intervals.", alt="trap rates"
    ) + table_html(
        ["Trap", "Rate", "95% interval", "What it means", "Definition"],
        rows,
        numeric=[1, 2],
        notes=[3],
        raw=[4],
        row_classes=classes,
    )


def outcomes_section(sc: Scenario, result: Result) -> str:
    order = list(sc.outcomes)
    ranked = sorted(result.outcome_counts.items(), key=lambda kv: (-kv[1], order.index(kv[0])))
    rows = []
    for o, c in ranked:
        if not c:
            continue
        lo, hi = wilson(c, result.draws)
        rows.append((sc.label_of("outcome", o), f"{c:,}", pct(c / result.draws), f"{pct(lo)} to {pct(hi)}"))
    hidden = len(ranked) - len(rows)
    note = (
        f" {hidden} outcome{'s' * (hidden != 1)} never reached in any draw {'are' if hidden != 1 else 'is'} not listed."
        if hidden
        else ""
    )
    return f"<p>Where the game ends, over all draws.{note}</p>" + table_html(
        ["Outcome", "Draws", "Share", "95% interval"], rows, numeric=[1, 2, 3]
    )


def payoffs_section(sc: Scenario, result: Result) -> str:
    rows = [(a.name, f"{result.payoff_mean[a.id]:+.3f}", f"{result.payoff_sd[a.id]:.3f}") for a in sc.actors]
    return table_html(["Actor", "Mean payoff", "Standard deviation"], rows, numeric=[1, 2]) + figure_html(
        figures.plot_payoffs(result),
        "Realised payoffs per actor; the black line is the mean.",
        alt="payoff distributions",
    )


def convergence_section(result: Result) -> str:
    return (
        "<p>The running estimate of each trap rate as draws accumulate, with its 95% band. "
        "A flat line inside a narrow band means that more draws would not change the "
        "picture.</p>"
        + figure_html(figures.plot_convergence(result), "Convergence of the trap rates.", alt="convergence")
    )


def reproduce_section(result: Result, command: str | None) -> str:
    sc = result.scenario
    cmd = command or reproduce_command(result)
    fixed = ", ".join(f"{k} = {v:g}" for k, v in result.values.items()) or "none"
    rows = [
        ("trapsim version", trapsim_version()),
        ("scenario file", relative(sc.path) if sc.path else "(not from a file)"),
        ("scenario SHA-256", sc.sha256 or "(none)"),
        ("draws", f"{result.draws:,}"),
        ("seed", f"{result.seed}" + ("" if result.seed_given else " (drawn from entropy)")),
        ("solver", result.solver + (f", rationality {result.rationality:g}" if result.solver == "qre" else "")),
        ("parameters fixed", fixed),
        ("run time", f"{result.elapsed_s:.2f} s on {result.workers} process(es)"),
    ]
    return f"<p>Same file, same command, same numbers:</p><pre>{esc(cmd)}</pre>" + table_html(None, rows)
