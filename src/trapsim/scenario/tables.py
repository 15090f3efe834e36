"""Rules for the tables around the game: scenario, simulation, actors, relations, derived values,
beliefs and sweeps (``[parameters]`` in :mod:`trapsim.scenario.distributions`).

One function per table (and per part of one), each taking the validation's
:class:`~trapsim.scenario.rules.Collector` first and adding its problems there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from trapsim.errors import ExpressionError, suggest
from trapsim.expressions import Type, parse
from trapsim.model import (
    MAX_DRAWS,
    MAX_STEPS,
    Actor,
    Belief,
    Derived,
    Parameter,
    Relation,
    Simulation,
    Sweep,
)
from trapsim.scenario.colours import COLOR_NAMES, is_color
from trapsim.scenario.distributions import distribution
from trapsim.scenario.distributions import parameters as parameters  # the validator calls tables.parameters
from trapsim.scenario.rules import (
    _ACTOR_KEYS,
    _RELATION_KEYS,
    _SIMULATION_KEYS,
    _SWEEP_KEYS,
    SOLVERS,
    Collector,
    _finite,
    _is_number,
    _type_name,
)


def sources(c: Collector, value: Any) -> list[str]:
    return texts(c, "scenario.sources", value, '["op-ed, 2024"]')


def texts(c: Collector, key: str, value: Any, example: str, *, most: int = 200) -> list[str]:
    """A list of text values (``sources``, ``discussion``), at most ``most`` of them."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        c.err(key, f"expected a list of text values, e.g. {example}")
        return []
    if len(value) > most:
        c.err(key, f"at most {most} entries, got {len(value)}")
        return []
    return value


def reality_check(c: Collector, value: Any) -> str:
    """An http(s) address, or a path relative to the scenario file (no other scheme)."""
    text = c.string("scenario.reality_check", value)
    if text and re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text) and not re.match(r"^https?://", text):
        c.err(
            "scenario.reality_check",
            f"expected an http(s) address or a path relative to the scenario file, got '{text}'",
        )
        return ""
    if text and (text.startswith("/") or any(c.isspace() for c in text)):
        c.err("scenario.reality_check", f"expected an http(s) address or a relative path without spaces, got '{text}'")
        return ""
    return text


#: Longest ``payoff_unit``: a unit printed after numbers, not a description.
MAX_UNIT = 40


def payoff_unit(c: Collector, key: str, value: Any) -> str:
    """A short unit printed after payoffs (``"ground's worth"``): one line, at most :data:`MAX_UNIT` characters."""
    text = c.string(key, value)
    if len(text) > MAX_UNIT or any(not ch.isprintable() for ch in text):
        c.err(key, f"expected a short unit on one line (at most {MAX_UNIT} characters), got {text[:60]!r}")
        return ""
    return text.strip()


def simulation(c: Collector, value: Any) -> Simulation:
    sim = c.table("simulation", value, required=False)
    c.unknown_keys("simulation", sim, _SIMULATION_KEYS)
    out = Simulation()
    draws, seed, solver, rationality = out.draws, out.seed, out.solver, out.rationality
    if "draws" in sim:
        v = sim["draws"]
        if isinstance(v, bool) or not isinstance(v, int) or not 0 < v <= MAX_DRAWS:
            c.err("simulation.draws", f"expected a whole number > 0 and <= {MAX_DRAWS:,}, got {_type_name(v)}")
        else:
            draws = v
    if "seed" in sim:
        v = sim["seed"]
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            c.err("simulation.seed", f"expected a whole number >= 0, got {_type_name(v)}")
        else:
            seed = v
    if "solver" in sim:
        v = sim["solver"]
        if v not in SOLVERS:
            c.err("simulation.solver", f'expected "spe" or "qre", got {_type_name(v)}', suggest(str(v), SOLVERS))
        else:
            solver = v
    if "rationality" in sim:
        v = sim["rationality"]
        if not _is_number(v) or not 0 < v < math.inf:
            c.err("simulation.rationality", f"expected a number > 0, got {_type_name(v)}")
        else:
            rationality = float(v)
    return Simulation(draws=draws, seed=seed, solver=solver, rationality=rationality)


def actors(c: Collector, value: Any) -> list[Actor]:
    table = c.table("actors", value)
    out = []
    for aid, spec in table.items():
        key = f"actors.{aid}"
        if not c.ident(key, aid, "actor"):
            continue
        if not isinstance(spec, dict):
            c.err(key, f'expected a table with name = "...", got {_type_name(spec)}')
            continue
        c.unknown_keys(key, spec, _ACTOR_KEYS)
        name = c.string(f"{key}.name", spec.get("name"), required=True, default=aid)
        color = spec.get("color")
        if color is not None:
            color = c.string(f"{key}.color", color) or None
            if color and not is_color(color):
                c.err(
                    f"{key}.color",
                    f'expected a colour like "#0072B2" or a matplotlib colour name, got {color!r}',
                    suggest(color, COLOR_NAMES),
                )
                color = None
        desc = c.string(f"{key}.description", spec.get("description"))
        out.append(Actor(aid, name, color, desc, payoff_unit(c, f"{key}.payoff_unit", spec.get("payoff_unit"))))
    if value is not None and isinstance(value, dict) and not table:
        c.err("actors", "at least one actor is needed")
    return out


def relations(c: Collector, value: Any, actor_ids: list[str]) -> list[Relation]:
    if value is None:
        return []
    if not isinstance(value, list):
        c.err("relations", "expected [[relations]] entries (a list of tables)")
        return []
    out = []
    for i, spec in enumerate(value):
        key = f"relations[{i}]"
        if not isinstance(spec, dict):
            c.err(key, f"expected a table, got {_type_name(spec)}")
            continue
        c.unknown_keys(key, spec, _RELATION_KEYS)
        ends = []
        for end in ("from", "to"):
            v = c.string(f"{key}.{end}", spec.get(end), required=True)
            if v and v not in actor_ids:
                c.err(f"{key}.{end}", f"unknown actor '{v}'", suggest(v, actor_ids))
            ends.append(v)
        kind = c.string(f"{key}.kind", spec.get("kind"), required=True)
        label = c.string(f"{key}.label", spec.get("label"))
        weight = 1.0
        if "weight" in spec:
            weight = c.number(f"{key}.weight", spec["weight"]) or 0.0
        directed = spec.get("directed", True)
        if not isinstance(directed, bool):
            c.err(f"{key}.directed", f"expected true or false, got {_type_name(directed)}")
            directed = True
        out.append(Relation(ends[0], ends[1], kind, label, weight, directed))
    return out


def derived(c: Collector, value: Any, known: dict[str, Type]) -> list[Derived]:
    table = c.table("derived", value, required=False)
    later = set(table)
    out = []
    for name, spec in table.items():
        key = f"derived.{name}"
        later.discard(name)
        if not c.ident(key, name, "derived value"):
            continue
        label = unit = ""
        if isinstance(spec, dict):
            c.unknown_keys(key, spec, ("expr", "label", "unit"))
            label = c.string(f"{key}.label", spec.get("label"))
            unit = c.string(f"{key}.unit", spec.get("unit"))
            if "expr" not in spec:
                c.err(f"{key}.expr", 'missing (expected expr = "<expression>")')
                known[name] = "num"
                continue
            spec = spec["expr"]
            key = f"{key}.expr"
        if isinstance(spec, str):
            try:
                expr = parse(spec)
                used_later = sorted(expr.names & later)
                if used_later:
                    c.err(key, f"uses '{used_later[0]}', which is defined later in [derived]; move this line below it")
                    known[name] = "num"  # declared, though broken: no cascade downstream
                    continue
                if name in expr.names:
                    c.err(key, f"'{name}' refers to itself")
                    known[name] = "num"
                    continue
            except ExpressionError:
                pass  # reported by expression() below
        checked = c.expression(key, spec, known)
        if checked is not None:
            expr, typ = checked
            out.append(Derived(name, expr, typ, label, unit))
            known[name] = typ
        else:
            known[name] = "num"
    return out


def namespace(
    c: Collector,
    parameters: list[Parameter],
    derived: list[Derived],
    nodes: Mapping[str, Any],
    outcomes: Mapping[str, Any],
    traps: Any,
    worlds: Any = None,
) -> None:
    owner: dict[str, str] = {}
    groups = [
        ("parameters", [p.name for p in parameters]),
        ("derived", [d.name for d in derived]),
        ("nodes", list(nodes)),
        ("payoffs", list(outcomes)),
        ("traps", list(traps) if isinstance(traps, dict) else []),
        ("worlds", list(worlds) if isinstance(worlds, dict) else []),
    ]
    for table, ids in groups:
        for i in ids:
            if i in owner:
                c.err(
                    f"{table}.{i}",
                    f"id '{i}' is already used in [{owner[i]}]; parameter, "
                    "derived, node, outcome, trap and world ids share one namespace",
                )
            else:
                owner[i] = table


def beliefs(
    c, value: Any, actor_ids: list[str], names: list[str], known: Mapping[str, Type]
) -> dict[str, tuple[Belief, ...]]:
    """``[beliefs.<actor>]``: per parameter a constant, a distribution or an expression.

    Expressions are over the true values of the same draw (parameters and
    derived values); derived values are recomputed from the perceived
    parameters.
    """
    table = c.table("beliefs", value, required=False)
    true_names = {k: t for k, t in known.items() if t == "num"}
    out: dict[str, tuple[Belief, ...]] = {}
    for actor, spec in table.items():
        key = f"beliefs.{actor}"
        if actor not in actor_ids:
            c.err(key, f"unknown actor '{actor}'", suggest(actor, actor_ids))
            continue
        if not isinstance(spec, dict):
            c.err(
                key,
                f'expected a table of <parameter> = <number, {{ dist = ... }} or "expression">, got {_type_name(spec)}',
            )
            continue
        items = []
        for pname, belief in spec.items():
            bkey = f"{key}.{pname}"
            if pname not in names:
                derived = " (a derived value: give beliefs about the parameters it uses)" if pname in known else ""
                c.err(bkey, f"unknown parameter '{pname}'{derived}", suggest(pname, names))
                continue
            if isinstance(belief, str):
                checked = c.expression(bkey, belief, true_names)
                if checked is not None:
                    if checked[1] != "num":
                        c.err(bkey, "expected a number, got a condition")
                    else:
                        items.append(Belief(actor, pname, expr=checked[0]))
                continue
            dist = distribution(c, bkey, belief)
            if dist is not None:
                items.append(Belief(actor, pname, dist=dist))
        if items:
            out[actor] = tuple(items)
    return out


def sweeps(c: Collector, value: Any, param_names: list[str]) -> list[Sweep]:
    table = c.table("sweeps", value, required=False)
    out = []
    for sid, spec in table.items():
        key = f"sweeps.{sid}"
        if not c.ident(key, sid, "sweep"):
            continue
        if not isinstance(spec, dict):
            c.err(key, f"expected a table with vary = {{ ... }}, got {_type_name(spec)}")
            continue
        c.unknown_keys(key, spec, _SWEEP_KEYS)
        vary = spec.get("vary")
        if not isinstance(vary, dict) or not 1 <= len(vary) <= 2:
            c.err(f"{key}.vary", "expected { <parameter> = [from, to, steps] } with one or two parameters")
            continue
        axes = []
        for pname, rng in vary.items():
            vkey = f"{key}.vary.{pname}"
            if pname not in param_names:
                c.err(vkey, "unknown parameter", suggest(pname, param_names))
                continue
            if (
                not isinstance(rng, list)
                or len(rng) != 3
                or not all(_is_number(x) for x in rng)
                or isinstance(rng[2], float)
                or not 2 <= rng[2] <= MAX_STEPS
            ):
                c.err(vkey, f"expected [from, to, steps] with steps a whole number from 2 to {MAX_STEPS:,}")
                continue
            if not (_finite(rng[0]) and _finite(rng[1])):
                c.err(vkey, "from and to must be finite numbers")
                continue
            if rng[0] == rng[1]:
                c.err(vkey, "from and to must differ")
                continue
            axes.append((pname, float(rng[0]), float(rng[1]), int(rng[2])))
        draws = spec.get("draws")
        if draws is not None and (isinstance(draws, bool) or not isinstance(draws, int) or not 0 < draws <= MAX_DRAWS):
            c.err(f"{key}.draws", f"expected a whole number > 0 and <= {MAX_DRAWS:,}, got {_type_name(draws)}")
            draws = None
        if len(axes) == len(vary):
            out.append(Sweep(sid, tuple(axes), draws))
    return out
