"""Which tie of the actor graph springs each trap? Command: attribute."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import click

from trapsim import api
from trapsim.cli import main, parse_sets, scenario_argument, set_option
from trapsim.cli._options import (
    check_rationality,
    draws_option,
    figure_format_option,
    json_option,
    no_figures_option,
    rationality_option,
    seed_option,
    solver_option,
    workers_option,
)
from trapsim.cli.analysis import emit, out_json_figures

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@main.command()
@scenario_argument
@draws_option()
@seed_option()
@solver_option
@rationality_option
@set_option
@workers_option
@json_option()
@out_json_figures
@no_figures_option
@figure_format_option
def attribute(
    file: str,
    draws: int | None,
    seed: int | None,
    solver: str | None,
    rationality: float | None,
    sets: Sequence[str],
    workers: int | None,
    as_json: bool,
    out: str | None,
    no_figures: bool,
    fmt: str | None,
) -> None:
    """Which tie of the actor graph springs each trap? Relations as interventions.

    Every relation with an `absent` table (what the game looks like without the
    tie, in the forms of a world: set and force) is removed in turn, on the
    same draws. Per relation and trap:

    \b
    depends:  share of the trap's firings that need the tie (fires with it, not without);
              among the draws where the trap's `given` holds, for a conditional trap.
    prevents: share of all draws where the trap fires only without the tie.

    Writes OUT/<scenario>_attribution.json and, per trap, the actor graph with each
    tie drawn by its share (OUT/<scenario>_attribution_<trap>.png).

    \b
        trapsim attribute scenarios/defense_clause.toml --draws 50000 --seed 1
        trapsim attribute scenarios/defense_clause.toml --json
    """
    sc = api.load(file)
    check_rationality(sc, solver, rationality)
    att = api.attribute(
        sc, draws=draws, seed=seed, solver=solver, rationality=rationality, values=parse_sets(sets), workers=workers
    )

    def figures() -> Iterator[tuple[str, Figure]]:
        from trapsim.figures import plot_attribution_graph

        if any(r.attributable for r in att.relations):
            for t in sc.traps:
                yield f"{sc.name}_attribution_{t.id}", plot_attribution_graph(att, t.id)

    emit(
        att.to_dict(),
        f"{sc.name}_attribution",
        as_json=as_json,
        out=out,
        fmt=fmt,
        figures=None if no_figures else figures,
        show=lambda: _print_attribution(att),
    )


def _print_attribution(att: Any) -> None:
    sc = att.scenario
    res = att.result
    click.echo(click.style(sc.title, bold=True) + f"  ({sc.name})")
    click.echo(f"{res.draws:,} draws · seed {res.seed} · solver {res.solver}")
    names = {a.id: a.name for a in sc.actors}

    def share(entry: dict[str, Any]) -> str:
        """``  32.5% [ 30.8,  34.1]``: rate and interval in fixed columns, so the table lines up."""
        if entry["rate"] is None:
            return f"{'n/a':>6}{'':<16}"
        lo, hi = entry["ci95"]
        return f"{100 * entry['rate']:>5.1f}% [{100 * lo:>5.1f}, {100 * hi:>5.1f}]"

    if not any(ra.attributable for ra in att.relations):
        click.echo(
            "\nNo relation has an `absent` table, so no tie can be attributed. Give a [[relations]] entry"
            "\n`absent = { set = {...} }` or `absent = { force = {...} }` (the game without that tie;"
            "\nsee docs/scenario-format.md) and run again."
        )
    for ra in att.relations:
        rel = ra.relation
        arrow = "—" if not rel.directed else "→"
        head = (
            f"{names.get(rel.source, rel.source)} {arrow} {names.get(rel.target, rel.target)}: {rel.label or rel.kind}"
        )
        click.echo("")
        if not ra.attributable:
            click.echo(f"{head}  (not attributable: no `absent` table)")
            continue
        click.echo(
            click.style(head, bold=True)
            + f"  (without it: {ra.relation.absent.describe()[len('the same draw with ') :]})"
        )
        click.echo(f"  {'trap':<28}{'depends (of firings)':<26}prevents (of draws)")
        for t in sc.traps:
            e = ra.traps[t.id]
            click.echo(f"  {t.title[:27]:<28}{share(e['depends']):<26}{share(e['prevents']):<22}".rstrip())
