"""Traps in the story: where each trap fires, on the likely path and after each deviation; the chains of commitment.

Trap conditions are evaluated with the runner's own trap evaluation, one
complete path per column (:func:`traps_at_leaves`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from trapsim.chains import Chain, commitment_chains
from trapsim.equilibrium import Equilibrium, game_at, solve
from trapsim.explain.facts import PathTraps, TrapReport
from trapsim.explain.words import _pct
from trapsim.expressions import split_path_ref
from trapsim.model import Scenario
from trapsim.runner import CompiledScenario, compiled
from trapsim.runner.traps import PlayedPaths, evaluate_traps

if TYPE_CHECKING:
    from trapsim.explain.story import _Teller

__all__ = ["PATHS_SHOWN", "traps_at_leaves"]


def traps_at_leaves(
    eq: Equilibrium, leaves: Sequence[int] | None = None, *, model: CompiledScenario | None = None
) -> dict[str, np.ndarray]:
    """Whether each trap holds on the path to each leaf at the equilibrium's values.

    ``leaves`` are tree positions (default: every leaf, in pre-order); returns
    ``{trap: bool array (len(leaves),)}``. The cost grows with inner nodes
    times leaves asked about: ask about the leaves you need.
    """
    model = model or compiled(eq.scenario)
    tree = model.tree
    leaf = np.asarray(tree.leaves if leaves is None else leaves, dtype=np.int64)
    n = len(leaf)
    row_of = {pos: r for r, pos in enumerate(tree.inner)}
    actions = np.full((len(tree.inner), n), -1, dtype=np.int64)
    for j, i in enumerate(leaf):
        for pos, k in tree.path_to(int(i)):
            actions[row_of[pos], j] = k
    env: dict[str, Any] = {k: np.array([v]) for k, v in eq.values.items()}
    model.derive(env)
    payoffs, _ = model.evaluate(env, 1)
    expected = None
    if any(ref[0] in ("expected", "surprise") for ref in model.path_refs):
        expected = {a: np.array([eq.expected[a]]) for a in tree.actors}
    played: dict[str | None, PlayedPaths] = {
        None: PlayedPaths(tree, leaf, actions, np.repeat(payoffs, n, axis=2), expected)
    }
    played.update(_world_paths(eq, model, actions, n))
    return evaluate_traps(model, env, played).fired


def _trap_reports(
    teller: _Teller, starts: list[tuple[int, int] | None], root: int = 0
) -> tuple[list[TrapReport], dict[str, list[PathTraps]]]:
    """Trap conditions on every path below each start (``root``, or a deviation).

    Also returns, for each trap, every path below ``root`` on which it fires,
    most likely first.

    Every path with positive probability below every start is evaluated at
    once: column ``j`` of the arrays handed to
    :meth:`CompiledScenario.traps_on_path` is one complete path.
    """
    tree, model, eq = teller.tree, teller.model, teller.eq
    columns: list[tuple[int, int, float]] = []  # (start index, leaf, conditional probability)
    for s, start in enumerate(starts):
        pos = root if start is None else tree.positions[start[0]].children[start[1]]
        reach = teller.reach_below(pos)
        for i in sorted(reach):
            if tree.positions[i].kind == "leaf" and reach[i] > 0:
                columns.append((s, i, reach[i]))
    fired = traps_at_leaves(eq, [leaf for _, leaf, _ in columns], model=model)
    paths = [
        tuple((tree.positions[pos].name, tree.positions[pos].actions[k]) for pos, k in tree.path_to(leaf))
        for _, leaf, _ in columns
    ]

    def record(j: int) -> PathTraps:
        return PathTraps(
            paths[j], tree.positions[columns[j][1]].id, columns[j][2], {t: bool(v[j]) for t, v in fired.items()}
        )

    reports = []
    for s, start in enumerate(starts):
        cols = [j for j, c in enumerate(columns) if c[0] == s]
        # most likely first; equal probabilities keep pre-order
        cols.sort(key=lambda j: -columns[j][2])

        likely = record(cols[0])
        elsewhere = {}
        for t in teller.sc.traps:
            if likely.traps[t.id]:
                continue
            hit = next((j for j in cols if fired[t.id][j]), None)
            if hit is not None:
                elsewhere[t.id] = record(hit)
        after = None
        if start is not None:
            p = tree.positions[start[0]]
            after = (p.name, p.actions[start[1]])
        reports.append(TrapReport(after, likely, elsewhere))
    main = sorted((j for j, c in enumerate(columns) if c[0] == 0), key=lambda j: -columns[j][2])
    firing = {t.id: [record(j) for j in main if fired[t.id][j]] for t in teller.sc.traps}
    return reports, {t: paths for t, paths in firing.items() if paths}


def _route(sc: Scenario, pt: PathTraps) -> str:
    # a route is its own history: a shared node's copy is named by its label alone (no "[push_russia,...]")
    steps = [f"{sc.label_of('node', n.partition('[')[0])}: {sc.action_label(n, a)}" for n, a in pt.steps]
    return " \u2192 ".join([*steps, sc.label_of("outcome", pt.outcome)])


def _world_paths(
    eq: Equilibrium, model: CompiledScenario, actions: np.ndarray, n: int
) -> dict[str | None, PlayedPaths]:
    """Each used world's path beside every real path (column) of :func:`traps_at_leaves`.

    The world's path follows the world's own solution (its most likely action
    under ``qre``); at a chance node it takes the branch the real path took
    at the same node, when the real path passes there (the same dice), and
    the most likely branch otherwise.
    """
    rows = model.lookups(model.tree)[0]
    out: dict[str | None, PlayedPaths] = {}
    for wid, game in model.worlds.items():
        weq = solve(eq.scenario, values=eq.values, solver=eq.solver, rationality=eq.rationality, world=wid, model=model)
        tree = game.tree
        wrows = model.lookups(tree)[0]
        taken = np.full((len(tree.inner), n), -1, dtype=np.int64)
        leaves = np.zeros(n, dtype=np.int64)
        for j in range(n):
            w = 0
            while tree.positions[w].kind != "leaf":
                pos = tree.positions[w]
                probs = weq.action_probabilities[pos.name]
                k = max(range(len(pos.actions)), key=lambda a: probs[pos.actions[a]])
                if pos.kind == "chance":  # the same dice: the branch the real path took at this node, if any
                    for c in model.tree.copies[pos.id]:
                        if actions[rows[c], j] >= 0:
                            k = pos.actions.index(model.tree.positions[c].actions[actions[rows[c], j]])
                taken[wrows[w], j] = k
                w = pos.children[k]
            leaves[j] = w
        payoffs = game_at(eq.scenario, eq.values, world=wid, model=model).payoffs
        expected = {a: np.array([weq.expected[a]]) for a in tree.actors}
        out[wid] = PlayedPaths(tree, leaves, taken, np.repeat(payoffs, n, axis=2), expected)
    return out


def _tell_worlds(teller: _Teller) -> None:
    """For each trap that names a world, what its comparison means, in words."""
    sc = teller.sc
    uses = [
        (t, sorted({w for e in t.conditions for r in e.path_refs if (w := split_path_ref(r)[2])})) for t in sc.traps
    ]
    uses = [(t, ws) for t, ws in uses if ws]
    if not uses:
        return
    teller.say(0, "")
    teller.say(0, "Traps that compare with a counterfactual world (the same draw, the same dice)")
    teller.say(
        1,
        "Above, a world's path follows the world's own solution, and at a chance node the "
        "real path also passes it takes the real path's branch.",
    )
    for t, ws in uses:
        worlds = "; ".join(
            f"'{w}' ({sc.world(w).title + ': ' if sc.world(w).title != w else ''}{sc.world(w).describe()})" for w in ws
        )
        desc = f" {t.description}" if t.description else ""
        teller.say(
            1,
            f"{t.id} ({t.title}) compares each draw with the world {worlds}. Among "
            f"{t.denominator()}, it counts the draws where {t.when.source}.{desc}",
        )


def _tell_traps(teller: _Teller, rep: TrapReport, depth: int) -> None:
    sc = teller.sc
    fired = [t for t in sc.traps if rep.likely.traps[t.id]]
    if fired:
        for t in fired:
            desc = f": {t.description}" if t.description else "."
            teller.say(depth, f"{t.title} fires{desc}")
    else:
        teller.say(depth, "No trap fires on it.")
    for tid, pt in rep.elsewhere.items():
        teller.say(
            depth, f"{sc.label_of('trap', tid)} fires on a less likely path ({_pct(pt.probability)}): {_route(sc, pt)}."
        )


#: At most this many paths are listed per trap (the rest are counted).
PATHS_SHOWN = 8


def _tell_firing(teller: _Teller, firing: Mapping[str, list[PathTraps]]) -> None:
    sc = teller.sc
    teller.say(0, "")
    teller.say(0, "Every path on which each trap fires (probability at these values)")
    for t in sc.traps:
        paths = firing.get(t.id, [])
        if not paths:
            teller.say(1, f"{t.title}: on no path with a positive probability.")
            continue
        total = sum(pt.probability for pt in paths)
        n = len(paths)
        teller.say(1, f"{t.title}: {_pct(total)} in all, on {n} path{'s' * (n != 1)}:")
        for pt in paths[:PATHS_SHOWN]:
            teller.say(2, f"{_pct(pt.probability)}: {_route(sc, pt)}")
        if n > PATHS_SHOWN:
            rest = sum(pt.probability for pt in paths[PATHS_SHOWN:])
            teller.say(2, f"and {n - PATHS_SHOWN} more paths ({_pct(rest)} together).")


def _tell_trap_reports(teller: _Teller, reports: list[TrapReport]) -> None:
    """Traps on the most likely path, then on the most likely path after each action not taken."""
    scenario, main = teller.sc, reports[0]
    teller.say(0, "")
    teller.say(0, f"Traps on the most likely path ({_pct(main.likely.probability)}): {_route(scenario, main.likely)}")
    _tell_traps(teller, main, 1)
    for rep in reports[1:]:
        if not any(rep.likely.traps.values()) and not rep.elsewhere:
            continue
        assert rep.after is not None
        node, action = rep.after
        teller.say(
            1,
            f"Had {scenario.action_label(node, action)} been chosen at {scenario.label_of('node', node)}, "
            f"the most likely path ({_pct(rep.likely.probability)}) would be {_route(scenario, rep.likely)}:",
        )
        _tell_traps(teller, rep, 2)


def _tell_chains(teller: _Teller) -> dict[str, Chain | None]:
    """The chains of commitment of the actor graph, when any is longer than one tie."""
    scenario = teller.sc
    chains = commitment_chains(scenario) if scenario.relations else {}
    if any(c is not None and c.steps > 0 for c in chains.values()):
        teller.say(0, "")
        teller.say(0, "Chains of commitment (from the actor graph)")
        for c in chains.values():
            if c is not None and c.steps > 0:
                teller.say(1, c.describe({a.id: a.name for a in scenario.actors}))
    return chains
