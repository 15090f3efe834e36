"""The terminal tables of `trapsim sensitivity` and `trapsim discover` (the commands are in cli/analysis.py)."""

from __future__ import annotations

from typing import Any

import click

from trapsim import api

__all__ = ["print_discovery", "print_sensitivity"]


def _fmt(x: float | None, spec: str = ".3f") -> str:
    return "-" if x is None else format(x, spec)


def print_sensitivity(res: Any, top: int) -> None:
    sc = res.scenario
    click.echo(click.style(sc.title, bold=True) + f"  ({sc.name})")
    if res.method == "sobol":
        design = f"Sobol' indices · N = {res.samples:,} base samples"
    else:
        design = f"Morris screening · {res.samples:,} trajectories"
    click.echo(
        f"{design} ({res.evaluations:,} solved games) · seed {res.seed} · solver {res.solver} · {res.elapsed_s:.1f} s"
    )
    left_out = ", ".join(res.excluded) if res.excluded else "none"
    click.echo(f"{len(res.parameters)} uncertain parameters; constants left out: {left_out}\n")
    width = max(len(p) for p in res.parameters)
    for tid in res.indices:
        title = sc.trap(tid).title
        click.echo(
            click.style(f"{title}", bold=True)
            + f" ({tid}) · mean probability {res.mean[tid]:.2%}"
            + ("" if res.method == "sobol" else " on the Morris grid")
        )
        idx = res.indices[tid]
        if res.method == "sobol":
            click.echo(f"  {'rank':>4}  {'parameter':<{width}}  {'ST':>6} {'±':>6}  {'S1':>6} {'±':>6}")
            rows = [(p, idx[p]["ST"], idx[p]["ST_conf"], idx[p]["S1"], idx[p]["S1_conf"]) for p in res.ranking(tid)]
        else:
            click.echo(f"  {'rank':>4}  {'parameter':<{width}}  {'mu*':>6} {'±':>6}  {'sigma':>6}")
            rows = [(p, idx[p]["mu_star"], idx[p]["mu_star_conf"], idx[p]["sigma"], None) for p in res.ranking(tid)]
        for rank, (p, a, a_conf, b, b_conf) in enumerate(rows[:top], start=1):
            tail = f" {_fmt(b_conf):>6}" if res.method == "sobol" else ""
            click.echo(f"  {rank:>4}  {p:<{width}}  {_fmt(a):>6} {_fmt(a_conf):>6}  {_fmt(b):>6}{tail}")
        if len(rows) > top:
            click.echo(f"  ({len(rows) - top} more parameters below; see the JSON)")
        conv = res.convergence.get(tid)
        if conv:
            if res.method == "sobol":
                click.echo(
                    f"  convergence: from N = {conv['half_samples']:,} to {res.samples:,} the "
                    f"indices moved by at most {conv['max_abs_change_ST']:.3f} (ST), "
                    f"{conv['max_abs_change_S1']:.3f} (S1)"
                )
            else:
                click.echo(
                    f"  convergence: from {conv['half_samples']:,} to {res.samples:,} "
                    f"trajectories mu* moved by at most {conv['max_abs_change_mu_star']:.0%} "
                    "of the largest mu*"
                )
        if tid in res.notes:
            click.echo(f"  note: {res.notes[tid]}")
        unstable = res.instability(tid)
        if unstable:
            click.echo(f"  {unstable}")
        click.echo("  " + api.describe_sensitivity(res, tid) + "\n")


def print_discovery(res: Any) -> None:
    sc = res.scenario
    title = sc.trap(res.trap).title
    click.echo(click.style(f"{title}", bold=True) + f" ({res.trap}) in {sc.title}  ({sc.name})")
    click.echo(
        f"{res.draws:,} draws (and {res.draws:,} fresh ones to test) · seed {res.seed} · "
        f"solver {res.solver} · outcome: {res.outcome} · {res.elapsed_s:.1f} s"
    )
    # a conditional trap: the rate is among the draws where its `given` holds; say so, as `run` does
    among = res.condition or "draws"
    if res.threshold is None:
        click.echo(f"Overall the trap fires in {res.rate:.2%} of {among}.\n")
    else:
        click.echo(f"Overall P(fires) >= {res.threshold:g} in {res.rate:.2%} of {among}.\n")
    if not res.boxes:
        click.echo(f"  {res.note}.\n")
        return
    width = max(len(p) for b in res.boxes for p in b.limits)
    for k, box in enumerate(res.boxes, start=1):
        click.echo(click.style(f"Box {k}", bold=True) + f": {box.text}")
        for name, (lo, hi) in box.limits.items():
            r_lo, r_hi = res.ranges[name]
            span = r_hi - r_lo
            click.echo(
                f"  {name:<{width}}  {api.format_limit(lo, span):>8} to {api.format_limit(hi, span):<8}  "
                f"(range {api.format_limit(r_lo, span)} to {api.format_limit(r_hi, span)})"
            )
        t = box.test
        click.echo(f"  on fresh draws: density {t['density']:.1%}, coverage {t['coverage']:.1%}, mass {t['mass']:.1%}")
        if t["density"] < 0.7 * box.density:
            click.echo(
                "  caution: much weaker on fresh draws, so some of these limits fit noise; "
                "try more --draws, or --method cart for shorter rules"
            )
        click.echo("")
