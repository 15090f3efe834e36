"""The validator: one parsed TOML document in, a frozen Scenario (or every problem found) out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from trapsim.errors import Problem, ScenarioError, suggest
from trapsim.expressions import Type
from trapsim.model import (
    ChanceNode,
    DecisionNode,
    Outcome,
    Scenario,
)
from trapsim.scenario import game, tables
from trapsim.scenario import worlds as world_rules
from trapsim.scenario.classroom import classroom_table
from trapsim.scenario.rules import (
    _RESERVED,
    _SCENARIO_KEYS,
    _TOP,
    IDENT,
    Collector,
)


def validate(file: str, data: dict[str, Any], comments: Mapping[str, str] | None = None, *, sha: str = "") -> Scenario:
    """Check one parsed TOML document: a frozen :class:`Scenario`, or every problem found.

    One :class:`Collector` gathers the problems; each table is checked by its own function
    (:mod:`trapsim.scenario.tables` for the tables around the game, :mod:`trapsim.scenario.game`
    for payoffs, nodes, the graph and traps), in an order where later tables can use earlier ones.

    Raises
    ------
    ScenarioError
        With one :class:`~trapsim.errors.Problem` per problem found.
    """
    c = Collector(file, data, comments)
    d = c.data
    _unknown_tables(c, d)
    meta = c.table("scenario", d.get("scenario"))
    head = _scenario_table(c, meta)
    simulation = tables.simulation(c, d.get("simulation"))
    actors = tables.actors(c, d.get("actors"))
    actor_ids = [a.id for a in actors]
    relations = tables.relations(c, d.get("relations"), actor_ids)
    parameters = tables.parameters(c, d.get("parameters"))
    # A parameter with a problem of its own is still declared: expressions and sweeps that
    # use it must not get a second, misleading "unknown name" problem.
    declared = [k for k in _parameter_names(d.get("parameters")) if IDENT.match(k) and k not in _RESERVED]
    known: dict[str, Type] = {k: "num" for k in declared}
    derived = tables.derived(c, d.get("derived"), known)
    raw_nodes = c.table("nodes", d.get("nodes"))
    raw_payoffs = c.table("payoffs", d.get("payoffs"))
    outcomes = game.outcomes(c, raw_payoffs, actor_ids, known)
    nodes = game.nodes(c, raw_nodes, actor_ids, set(raw_payoffs), known)
    game.outcome_texts(c, d.get("outcomes"), outcomes)
    root = _root(c, meta, raw_nodes, raw_payoffs, nodes, outcomes)
    worlds = world_rules.worlds(c, d.get("worlds"), declared, known)
    relations = world_rules.relation_absents(c, d.get("relations"), relations, declared, known)
    traps = game.traps(c, d.get("traps"), known, nodes, outcomes, actor_ids)
    tables.namespace(c, parameters, derived, raw_nodes, raw_payoffs, d.get("traps"), d.get("worlds"))
    sweeps = tables.sweeps(c, d.get("sweeps"), declared)
    beliefs = tables.beliefs(c, d.get("beliefs"), actor_ids, declared, known)
    classroom = classroom_table(c, d.get("classroom"), parameters)
    if c.problems:
        where = {p.name: f"parameters.{p.name}" for p in parameters} | {v.name: f"derived.{v.name}" for v in derived}
        raise ScenarioError(_renames(c.problems, where))
    return Scenario(
        root=root,
        actors=tuple(actors),
        parameters=tuple(parameters),
        nodes=nodes,
        outcomes=outcomes,
        traps=tuple(traps),
        derived=tuple(derived),
        relations=tuple(relations),
        sweeps=tuple(sweeps),
        beliefs=beliefs,
        worlds=tuple(worlds),
        simulation=simulation,
        classroom=classroom,
        **head,
        path=c.file,
        sha256=sha,
    )


def _unknown_tables(c: Collector, d: dict[str, Any]) -> None:
    """One problem per unknown top-level table; a misspelt one's names count as declared (no cascade)."""
    for k in d:
        if k not in _TOP:
            meant = suggest(k, _TOP)
            c.err(k, "unknown top-level table (expected one of: " + ", ".join(_TOP) + ")", meant)
            if meant and meant not in d:
                c.meant(meant)  # [payoff]: not also "missing table [payoffs]"
            if meant and meant not in d and isinstance(d[k], dict):  # a misspelt [derived]: its names exist
                c.shadow(*d[k])


def _scenario_table(c: Collector, meta: dict[str, Any]) -> dict[str, Any]:
    """The ``[scenario]`` table's own fields (not ``root``, checked once the nodes are known)."""
    c.unknown_keys("scenario", meta, _SCENARIO_KEYS)
    name = c.string("scenario.name", meta.get("name"), required=True)
    if isinstance(meta.get("name"), str) and not IDENT.match(name):
        c.err("scenario.name", f"invalid name {name!r} (use lower-case letters, digits and _)")
    return {
        "name": name,
        "title": c.string("scenario.title", meta.get("title"), default=name),
        "description": c.string("scenario.description", meta.get("description")),
        "sources": tuple(tables.sources(c, meta.get("sources"))),
        "discussion": tuple(
            tables.texts(c, "scenario.discussion", meta.get("discussion"), '["Who is trapped, and by whom?"]', most=20)
        ),
        "reality_check": tables.reality_check(c, meta.get("reality_check")),
        "payoff_unit": tables.payoff_unit(c, "scenario.payoff_unit", meta.get("payoff_unit")),
        "commitment_kinds": tuple(
            tables.texts(
                c, "scenario.commitment_kinds", meta.get("commitment_kinds"), '["alliance", "patronage"]', most=50
            )
        ),
    }


def _root(
    c: Collector,
    meta: dict[str, Any],
    raw_nodes: dict[str, Any],
    raw_payoffs: dict[str, Any],
    nodes: Mapping[str, DecisionNode | ChanceNode],
    outcomes: Mapping[str, Outcome],
) -> str:
    """``scenario.root``: a node of ``[nodes]`` (not an outcome), from which the tree is checked."""
    root = c.string("scenario.root", meta.get("root"), required=True)
    if isinstance(meta.get("root"), str) and root in raw_payoffs and root not in raw_nodes:
        c.err(
            "scenario.root",
            f"'{root}' is an outcome; the root must be a node (a decision or chance move) under [nodes]",
        )
    elif isinstance(meta.get("root"), str) and root not in raw_nodes:
        c.err("scenario.root", f"unknown node '{root}'", suggest(root, raw_nodes))
    elif root:
        game.tree(c, root, nodes, outcomes)
    return root


def _parameter_names(raw: Any) -> list[str]:
    """The names declared in ``[parameters]``, looking inside ``[parameters.<group>]`` tables."""
    if not isinstance(raw, dict):
        return []
    out: list[str] = []
    for k, v in raw.items():
        if isinstance(v, dict) and "group" in v:
            out.extend(name for name in v if name != "group")
        else:
            out.append(k)
    return out


def _renames(problems: list[Problem], where: Mapping[str, str]) -> list[Problem]:
    """One line for a misspelt declaration: when two or more uses of the same unknown name all suggest
    the same declared value (``p_wn`` declared, ``p_win`` used), say so once, at the declaration."""
    uses: dict[tuple[str, str], list[int]] = {}
    for i, p in enumerate(problems):
        if (
            p.suggestion is not None
            and p.suggestion in where
            and p.message.startswith(("unknown name '", "unknown parameter"))
        ):
            quoted = re.match(r"unknown name '([^']*)'", p.message)
            used = str(quoted[1]) if quoted else p.key.rpartition(".")[2]
            uses.setdefault((used, p.suggestion), []).append(i)
    merged = {i: pair for pair, idx in uses.items() if len(idx) > 1 for i in idx}
    out: list[Problem] = []
    for i, p in enumerate(problems):
        if i not in merged:
            out.append(p)
        elif i == min(uses[merged[i]]):
            used, name = merged[i]
            keys = [problems[j].key for j in uses[merged[i]]]
            shown = ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
            out.append(
                Problem(
                    p.file,
                    where[name],
                    f"declared as '{name}' but used as '{used}' in {len(keys)} places ({shown})",
                    used,
                )
            )
    return out
