"""Rules for the game: outcomes (payoff rows), nodes, the graph of nodes (cycles, reachability,
the size of its unfolding, history functions), and traps.

One function per table (and per part of one), each taking the validation's
:class:`~trapsim.scenario.rules.Collector` first and adding its problems there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trapsim.errors import ExpressionError, suggest
from trapsim.expressions import Expr, Type, parse
from trapsim.model import (
    ChanceNode,
    DecisionNode,
    Outcome,
    Trap,
)
from trapsim.scenario.rules import (
    _NODE_KEYS,
    _OUTCOME_KEYS,
    _TRAP_KEYS,
    IDENT,
    Collector,
    _as_table,
    _descendants,
    _is_number,
    _type_name,
)
from trapsim.unfolding import MAX_POSITIONS, ancestors, count_positions, find_cycle


def outcomes(
    c: Collector, table: dict[str, Any], actor_ids: list[str], known: Mapping[str, Type]
) -> dict[str, Outcome]:
    out = {}
    for oid, row in table.items():
        key = f"payoffs.{oid}"
        if not c.ident(key, oid, "outcome"):
            continue
        if not isinstance(row, dict):
            c.err(key, f"expected {{ <actor> = <number or expression>, ... }}, got {_type_name(row)}")
            continue
        for actor in row:
            if actor not in actor_ids:
                meant = suggest(actor, actor_ids)
                c.err(f"{key}.{actor}", "unknown actor", meant)
                if meant is not None and meant not in row:
                    c.meant(f"{key}.{meant}")
        missing = [a for a in actor_ids if a not in row]
        if missing:
            c.err(key, f"missing payoff for {', '.join(missing)} (every outcome names every actor)")
        exprs = []
        for actor in actor_ids:
            if actor in row:
                checked = history_expression(c, f"{key}.{actor}", oid, row[actor], known)
                exprs.append(checked[0] if checked else None)
        if len(exprs) == len(actor_ids) and all(e is not None for e in exprs):
            out[oid] = Outcome(oid, tuple(e for e in exprs if e is not None))
    return out


def nodes(
    c, table: dict[str, Any], actor_ids: list[str], outcome_ids: set[str], known: Mapping[str, Type]
) -> dict[str, DecisionNode | ChanceNode]:
    """``[nodes.<id>]``: each a decision (``actor``) or a chance move (``chance``), with ``next``."""
    out: dict[str, DecisionNode | ChanceNode] = {}
    targets_known = set(table) | outcome_ids
    for nid, spec in table.items():
        key = f"nodes.{nid}"
        if not c.ident(key, nid, "node"):
            continue
        if not isinstance(spec, dict):
            c.err(key, f"expected a table with actor/chance and next, got {_type_name(spec)}")
            continue
        c.unknown_keys(key, spec, _NODE_KEYS)
        nxt = spec.get("next")
        if not isinstance(nxt, dict) or not nxt:
            c.err(f"{key}.next", 'expected { <action> = "<node or outcome>", ... } with at least one action')
            continue
        ok = _next_targets(c, key, nxt, targets_known)
        if ("actor" in spec) == ("chance" in spec):
            c.err(
                key,
                'a node needs exactly one of actor = "<actor>" (a decision) or chance = { ... } (a chance move)',
            )
            continue
        texts = node_texts(c, key, spec, nxt)
        actions, targets = tuple(nxt), tuple(str(t) for t in nxt.values())
        if "actor" in spec:
            actor = spec["actor"]
            if not isinstance(actor, str) or actor not in actor_ids:
                c.err(f"{key}.actor", f"unknown actor {actor!r}", suggest(str(actor), actor_ids))
            elif ok:
                out[nid] = DecisionNode(nid, actor, actions, targets, *texts)
            continue
        probs = _chance_branches(c, key, nid, spec["chance"], nxt, known)
        if ok and probs is not None:
            constant_probabilities(c, key, spec["chance"], actions)
            out[nid] = ChanceNode(nid, actions, targets, probs, *texts)
    return out


def _next_targets(c: Collector, key: str, nxt: dict[str, Any], targets_known: set[str]) -> bool:
    """Each action of ``next`` leads to a node or an outcome of the file."""
    ok = True
    for action, target in nxt.items():
        akey = f"{key}.next.{action}"
        if not isinstance(target, str):
            c.err(akey, f"expected a node or outcome id in quotes, got {_type_name(target)}")
            ok = False
        elif target not in targets_known:
            meant = suggest(target, targets_known)
            c.err(akey, f"unknown node or outcome '{target}'", meant)
            if meant is not None:  # the node or outcome meant is not "unreachable" on top of that
                c.meant(f"nodes.{meant}", f"payoffs.{meant}")
            ok = False
    return ok


def _chance_branches(
    c: Collector, key: str, nid: str, chance: Any, nxt: dict[str, Any], known: Mapping[str, Type]
) -> tuple[Expr, ...] | None:
    """A chance node's probabilities, one per action of ``next`` in its order (None after a problem)."""
    if not isinstance(chance, dict):
        c.err(f"{key}.chance", "expected { <branch> = <probability>, ... }")
        return None
    ok = True
    for action in chance:
        if action not in nxt:
            c.err(f"{key}.chance.{action}", "branch not listed in next", suggest(action, nxt))
            ok = False
    for action in nxt:
        if action not in chance:
            c.err(f"{key}.chance", f"missing probability for branch '{action}'")
            ok = False
    probs = []
    for action in nxt:
        if action in chance:
            checked = history_expression(c, f"{key}.chance.{action}", nid, chance[action], known)
            if checked is None:
                ok = False
            else:
                probs.append(checked[0])
    return tuple(probs) if ok else None


def node_texts(c: Collector, key: str, spec: dict[str, Any], nxt: dict[str, Any]) -> tuple[str, dict[str, str], str]:
    """A node's ``label``, its ``actions = { <action> = "label" }`` and its ``description``."""
    label = c.string(f"{key}.label", spec.get("label"))
    description = c.string(f"{key}.description", spec.get("description"))
    raw = spec.get("actions")
    labels: dict[str, str] = {}
    if raw is not None and not isinstance(raw, dict):
        c.err(f"{key}.actions", f'expected {{ <action> = "label", ... }} with actions of next, got {_type_name(raw)}')
    elif raw is not None:
        for action, text in raw.items():
            if action not in nxt:
                c.err(f"{key}.actions.{action}", "action not listed in next", suggest(action, nxt))
            elif isinstance(text := c.string(f"{key}.actions.{action}", text), str) and text:
                labels[action] = text
    return label, labels, description


def outcome_texts(c: Collector, value: Any, outcomes: dict[str, Outcome]) -> None:
    """``[outcomes.<id>]``: a label and a description for rows of ``[payoffs]`` (in place)."""
    table = c.table("outcomes", value, required=False)
    raw_payoffs = _as_table(c.data.get("payoffs"))
    for oid, spec in table.items():
        key = f"outcomes.{oid}"
        if oid not in raw_payoffs:
            c.err(key, f"unknown outcome '{oid}' (outcomes are the rows of [payoffs])", suggest(oid, raw_payoffs))
            continue
        if not isinstance(spec, dict):
            c.err(key, f'expected a table with label = "...", got {_type_name(spec)}')
            continue
        c.unknown_keys(key, spec, _OUTCOME_KEYS)
        label = c.string(f"{key}.label", spec.get("label"))
        description = c.string(f"{key}.description", spec.get("description"))
        if oid in outcomes:
            outcomes[oid] = Outcome(oid, outcomes[oid].payoffs, label, description)


def constant_probabilities(c: Collector, key: str, chance: dict[str, Any], actions: tuple[str, ...]) -> None:
    values = [chance[a] for a in actions]
    if not all(_is_number(v) for v in values):
        return
    for a, v in zip(actions, values, strict=True):
        if not 0 <= v <= 1:
            c.err(f"{key}.chance.{a}", f"expected a probability between 0 and 1, got {v}")
    if abs(sum(values) - 1) > 1e-9:
        c.err(f"{key}.chance", f"probabilities sum to {sum(values):.12g}, expected 1")


def history_expression(
    c: Collector, key: str, where: str, value: Any, known: Mapping[str, Type]
) -> tuple[Expr, Type] | None:
    """A payoff or chance probability: it may use ``played``/``reached`` about its history.

    Whether the nodes named can precede ``where`` is checked with the tree
    (:meth:`histories`).
    """
    checked = c.expression(
        key,
        value,
        known,
        path_targets(c),
    )
    if checked is None:
        return None
    nodes = _as_table(c.data.get("nodes"))
    for ref in sorted(checked[0].path_refs):
        if ref[0] not in ("played", "reached"):
            c.err(
                key,
                f"{ref[0]}() can only be used in traps.*.when (payoffs and chance "
                "probabilities may use played() and reached() about the history)",
            )
            return None
        if ref[0] == "reached" and ref[1] not in nodes:
            c.err(
                key,
                f'reached("{ref[1]}") names an outcome; in payoffs and chance '
                "probabilities reached() asks about a node of the history (traps may ask "
                "about outcomes)",
            )
            return None
    if checked[0].path_refs:
        c.history_uses.append((key, where, checked[0]))
    return checked


def path_targets(c: Collector) -> dict[str, frozenset[str]]:
    """What the path functions may name.

    Nodes and outcomes with problems of their own still count as declared,
    so one typo is reported once, not again in every expression that uses it.
    Computed once per validation (``c.path_names``).
    """
    if c.path_names is None:
        c.path_names = _path_targets(c)
    return c.path_names


def _path_targets(c: Collector) -> dict[str, frozenset[str]]:
    raw_nodes = _as_table(c.data.get("nodes"))
    raw_payoffs = _as_table(c.data.get("payoffs"))
    raw_actors = _as_table(c.data.get("actors"))
    paths: dict[str, frozenset[str]] = {
        "node": frozenset(raw_nodes),
        "reached": frozenset(raw_nodes) | frozenset(raw_payoffs),
        "actor": frozenset(raw_actors),
    }
    for nid, spec in raw_nodes.items():
        nxt = spec.get("next") if isinstance(spec, dict) else None
        paths["action:" + nid] = frozenset(nxt) if isinstance(nxt, dict) else frozenset()
    return paths


def node_graph(c: Collector) -> dict[str, list[str]]:
    """``{node: [targets]}`` of the file's nodes, skipping targets that are not ids of the file."""
    raw_nodes = _as_table(c.data.get("nodes"))
    known = set(raw_nodes) | set(_as_table(c.data.get("payoffs")))
    out: dict[str, list[str]] = {}
    for nid, spec in raw_nodes.items():
        nxt = spec.get("next") if isinstance(spec, dict) else None
        out[nid] = [t for t in nxt.values() if isinstance(t, str) and t in known] if isinstance(nxt, dict) else []
    return out


def tree(
    c: Collector, root: str, nodes: Mapping[str, DecisionNode | ChanceNode], outcomes: Mapping[str, Outcome]
) -> None:
    """The graph of nodes: acyclic, all reachable, small enough to unfold; history uses."""
    raw_nodes = _as_table(c.data.get("nodes"))
    graph = node_graph(c)
    cycle = find_cycle(root, graph)
    if cycle is not None:
        cycle_error(c, cycle)
    seen = _descendants(root, {n: set(t) for n, t in graph.items()})
    raw_payoffs = c.data.get("payoffs")
    outcome_ids = [o for o in (raw_payoffs if isinstance(raw_payoffs, dict) else {}) if IDENT.match(o)]
    lost = [(f"nodes.{n}", n) for n in raw_nodes if n not in seen]
    lost += [(f"payoffs.{o}", o) for o in outcome_ids if o not in seen]
    lost_ids = {i for _, i in lost}
    # Report only the top of each unreachable branch, not every node and outcome below it.
    below = {n: {t for t in graph[n] if t in lost_ids} for n in graph if n in lost_ids}
    has_lost_parent = set().union(*below.values()) if below else set()
    covered: set[str] = set()
    for key, i in lost:
        if i in has_lost_parent:
            continue
        under = _descendants(i, below)
        covered |= under
        more = f" (nor are the {len(under) - 1} nodes and outcomes below it)" if len(under) > 1 else ""
        what = "node" if key.startswith("nodes.") else "outcome"
        c.err(key, f"{what} is not reachable from the root '{root}': no node's next points to it{more}")
    for key, i in lost:
        if i not in covered:
            lost_cycle = find_cycle(i, {n: graph[n] for n in lost_ids if n in graph})
            named = f": {' -> '.join(lost_cycle)}" if lost_cycle else ""
            c.err(key, f"not reachable from the root '{root}': it is part of a cycle{named}")
    if cycle is None:
        histories(c, root, graph)


def cycle_error(c: Collector, cycle: list[str]) -> None:
    """One problem naming the cycle, at the ``next`` entry that closes it."""
    last, first = cycle[-2], cycle[-1]
    spec = _as_table(c.data.get("nodes")).get(last)
    nxt = spec.get("next") if isinstance(spec, dict) else None
    action = next((a for a, t in nxt.items() if t == first), "") if isinstance(nxt, dict) else ""
    c.err(
        f"nodes.{last}.next.{action}",
        f"points back to '{first}', which makes a cycle: "
        f"{' -> '.join(cycle)} (the graph of nodes must have no "
        "cycles; shared nodes are fine)",
    )


def histories(c: Collector, root: str, graph: dict[str, list[str]]) -> None:
    """The unfolding is small enough, and history functions name nodes that can come before."""
    size = count_positions(root, graph)
    if size > MAX_POSITIONS:
        c.err(
            "nodes",
            f"the game unfolds into more than {MAX_POSITIONS:,} positions (each shared "
            "node is copied once per history leading to it); share fewer nodes or "
            "end some branches earlier",
        )
        return
    before = ancestors(root, graph, {where for _, where, _ in c.history_uses})
    for key, where, expr in c.history_uses:
        if where not in before:  # unreachable: reported already
            continue
        for fn, node, *action in sorted(expr.path_refs):
            if node not in before.get(where, set()):
                call = f"{fn}(" + ", ".join(f'"{x}"' for x in (node, *action)) + ")"
                c.err(
                    key,
                    f"{call} is about the history before '{where}', but '{node}' can never come before '{where}'",
                )
                continue
            if action:
                spec = _as_table(c.data.get("nodes")).get(node)
                target = spec["next"].get(action[0]) if isinstance(spec, dict) else None
                if target != where and target not in before.get(where, set()):
                    c.err(
                        key,
                        f'played("{node}", "{action[0]}") is always false here: '
                        f"action '{action[0]}' of '{node}' never leads to '{where}'",
                    )


def trap_condition(
    c: Collector, key: str, value: Any, scope: Mapping[str, Type], paths: Mapping[str, frozenset[str]], later: set[str]
) -> Expr | None:
    """A trap's ``when`` or ``given``: a condition over values, path functions, worlds and earlier traps."""
    if isinstance(value, str):
        try:
            refs = parse(value).names & later
            if refs:
                c.err(key, f"uses trap '{sorted(refs)[0]}', which is defined later; define it first")
                return None
        except ExpressionError:
            pass
    checked = c.expression(key, value, scope, paths)
    if checked is None:
        return None
    expr, typ = checked
    if typ != "bool":
        c.err(key, "expected a condition (true or false), got a number; compare it, e.g. 'x > 0'")
        return None
    return expr


def traps(
    c: Collector,
    value: Any,
    known: dict[str, Type],
    nodes: Mapping[str, DecisionNode | ChanceNode],
    outcomes: Mapping[str, Outcome],
    actor_ids: list[str],
) -> list[Trap]:
    table = c.table("traps", value, required=False)
    # Nodes and outcomes with problems of their own still count as declared here,
    # so one typo is reported once, not again in every trap that uses it.
    paths = path_targets(c) | {"actor": frozenset(actor_ids), "world": frozenset(_as_table(c.data.get("worlds")))}
    scope = dict(known)
    later = set(table)
    out = []
    for tid, spec in table.items():
        key = f"traps.{tid}"
        later.discard(tid)
        if not c.ident(key, tid, "trap"):
            continue
        if not isinstance(spec, dict):
            c.err(key, f"expected a table with title and when, got {_type_name(spec)}")
            continue
        c.unknown_keys(key, spec, _TRAP_KEYS)
        title = c.string(f"{key}.title", spec.get("title"), default=tid)
        desc = c.string(f"{key}.description", spec.get("description"))
        if spec.get("when") is None:
            c.err(f"{key}.when", 'missing (expected a condition in quotes, e.g. when = \'played("node", "action")\')')
            continue
        when = trap_condition(c, f"{key}.when", spec["when"], scope, paths, later)
        given = None
        if "given" in spec:
            given = trap_condition(c, f"{key}.given", spec["given"], scope, paths, later)
        label = c.string(f"{key}.given_label", spec.get("given_label"))
        if label and "given" not in spec:
            c.err(f"{key}.given_label", "says in words where `given` holds, but the trap has no given")
        scope[tid] = "bool"  # declared even when broken: later traps may use it
        if when is None or ("given" in spec and given is None):
            continue
        out.append(Trap(tid, title, when, desc, given, label))
    return out
