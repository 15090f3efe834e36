"""Rules for ``[worlds.<id>]``: counterfactual worlds, with ``set`` parameters and ``force``d decisions."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from trapsim.errors import ExpressionError, suggest
from trapsim.expressions import Expr, Type, parse
from trapsim.model import Relation, World
from trapsim.scenario.rules import _WORLD_KEYS, Collector, _as_table, _type_name


def worlds(c: Collector, value: Any, names: list[str], known: Mapping[str, Type]) -> list[World]:
    """``[worlds.<id>]``: ``set`` parameters to expressions over true values, ``force`` decisions."""
    table = c.table("worlds", value, required=False)
    true_names = {k: t for k, t in known.items() if t == "num"}
    out = []
    for wid, spec in table.items():
        key = f"worlds.{wid}"
        if not c.ident(key, wid, "world"):
            continue
        if not isinstance(spec, dict):
            c.err(key, f"expected a table with set and/or force, got {_type_name(spec)}")
            continue
        c.unknown_keys(key, spec, _WORLD_KEYS)
        if "set" not in spec and "force" not in spec:
            c.err(key, 'a world needs set = { <parameter> = <value> } or force = { <node> = "<action>"} (or both)')
            continue
        sets = world_sets(c, f"{key}.set", spec.get("set", {}), names, known, true_names)
        force = world_force(c, f"{key}.force", spec.get("force", {}))
        title = c.string(f"{key}.title", spec.get("title"), default=wid)
        desc = c.string(f"{key}.description", spec.get("description"))
        out.append(World(wid, tuple(sets), tuple(force), title, desc))
    return out


def relation_absents(
    c: Collector, value: Any, relations: list[Relation], names: list[str], known: Mapping[str, Type]
) -> list[Relation]:
    """``absent = { set = ..., force = ... }`` on ``[[relations]]``: the game without the tie, as a world."""
    if not isinstance(value, list) or len(value) != len(relations):
        return relations  # the relations themselves have problems, already reported
    true_names = {k: t for k, t in known.items() if t == "num"}
    out = []
    for i, (spec, rel) in enumerate(zip(value, relations, strict=True)):
        key = f"relations[{i}].absent"
        raw = spec.get("absent") if isinstance(spec, dict) else None
        if raw is None:
            out.append(rel)
            continue
        if not isinstance(raw, dict):
            c.err(key, f"expected a table with set and/or force, got {_type_name(raw)}")
            out.append(rel)
            continue
        c.unknown_keys(key, raw, {"set", "force"})
        if "set" not in raw and "force" not in raw:
            c.err(key, 'absent needs set = { <parameter> = <value> } or force = { <node> = "<action>"} (or both)')
            out.append(rel)
            continue
        sets = world_sets(c, f"{key}.set", raw.get("set", {}), names, known, true_names)
        force = world_force(c, f"{key}.force", raw.get("force", {}))
        title = f"without {rel.label or rel.kind} ({rel.source}-{rel.target})"
        out.append(dataclasses.replace(rel, absent=World(f"absent_{i}", tuple(sets), tuple(force), title)))
    return out


def world_sets(
    c: Collector, key: str, value: Any, names: list[str], known: Mapping[str, Type], true_names: Mapping[str, Type]
) -> list[tuple[str, Expr]]:
    if not isinstance(value, dict):
        c.err(key, f'expected a table {{ <parameter> = <number or "expression"> }}, got {_type_name(value)}')
        return []
    out = []
    for pname, v in value.items():
        pkey = f"{key}.{pname}"
        if pname not in names:
            if pname in known:
                c.err(
                    pkey,
                    f"'{pname}' is a derived value, recomputed in every world; set the "
                    f"parameters it is computed from instead{sources_of(c, pname)}",
                )
            else:
                c.err(pkey, f"unknown parameter '{pname}'", suggest(pname, names))
            continue
        checked = c.expression(pkey, v, true_names)
        if checked is None:
            continue
        if checked[1] != "num":
            c.err(pkey, "expected a number, got a condition")
            continue
        out.append((pname, checked[0]))
    return out


def sources_of(c: Collector, name: str) -> str:
    """`` (a, b)``: the parameters a derived value is computed from, for messages."""
    raw = _as_table(c.data.get("derived"))
    params = set(_as_table(c.data.get("parameters")))
    seen: set[str] = set()
    found: set[str] = set()
    todo = [name]
    while todo:
        n = todo.pop()
        if n in seen or not isinstance(raw.get(n), str):
            continue
        seen.add(n)
        try:
            used = parse(raw[n]).names
        except ExpressionError:
            continue
        found |= used & params
        todo.extend(used - params)
    return f" ({', '.join(sorted(found))})" if found else ""


def world_force(c: Collector, key: str, value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        c.err(key, f'expected a table {{ <decision node> = "<action>" }}, got {_type_name(value)}')
        return []
    raw_nodes = _as_table(c.data.get("nodes"))
    raw_payoffs = _as_table(c.data.get("payoffs"))
    out = []
    for nid, action in value.items():
        nkey = f"{key}.{nid}"
        spec = raw_nodes.get(nid)
        if spec is None:
            if nid in raw_payoffs:
                c.err(nkey, f"'{nid}' is an outcome; only decision nodes can be forced")
            else:
                c.err(nkey, f"unknown node '{nid}'", suggest(nid, raw_nodes))
            continue
        if not isinstance(spec, dict):
            continue  # reported under [nodes]
        if "chance" in spec:
            c.err(
                nkey,
                f"'{nid}' is a chance node; only decisions can be forced (set the parameters "
                "of its probabilities instead)",
            )
            continue
        actions = list(_as_table(spec.get("next")))
        if not isinstance(action, str):
            c.err(nkey, f"expected an action of '{nid}' in quotes, got {_type_name(action)}")
        elif action not in actions:
            c.err(nkey, f"unknown action '{action}' of '{nid}'", suggest(action, actions))
        else:
            out.append((nid, action))
    return out
