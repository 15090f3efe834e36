"""Rules for ``[parameters]``: constants, distribution tables with their domains, and groups.

Split from :mod:`trapsim.scenario.tables` (which re-exports :func:`parameters`); the distribution
rules are also those of a belief's distribution (``[beliefs.<actor>]``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from trapsim.errors import suggest
from trapsim.expressions import MAX_LITERAL
from trapsim.model import DISTRIBUTIONS, Distribution, Parameter
from trapsim.sampling import truncation_mass
from trapsim.scenario.rules import Collector, _finite, _is_number, _type_name

__all__ = ["distribution", "parameters"]

# Keys of a parameter table that describe the parameter rather than its distribution.
_DISPLAY_KEYS = ("label", "unit", "hindsight")


def parameters(c: Collector, value: Any) -> list[Parameter]:
    """``[parameters]``: numbers, distribution tables, and ``[parameters.<group>]`` groups."""
    table = c.table("parameters", value, required=False)
    out = []
    for name, spec in table.items():
        if isinstance(spec, dict) and "group" in spec:
            out.extend(parameter_group(c, name, spec))
        else:
            param = parameter(c, f"parameters.{name}", name, spec, name)
            if param is not None:
                out.append(param)
    return out


def parameter_group(c: Collector, gid: str, spec: dict[str, Any]) -> list[Parameter]:
    """A group: ``group = "note"`` said once for the parameters listed with it."""
    key = f"parameters.{gid}"
    if not c.ident(key, gid, "parameter group"):
        return []
    note = c.string(f"{key}.group", spec["group"]) or c.comments.get(gid, "")
    out = []
    for name, item in spec.items():
        if name == "group":
            continue
        if isinstance(item, dict) and "group" in item:
            c.err(f"{key}.{name}", "groups cannot be nested; list the parameters directly")
            continue
        param = parameter(c, f"{key}.{name}", name, item, f"{gid}.{name}")
        if param is not None:
            out.append(dataclasses.replace(param, comment=param.comment or note, group=gid))
    return out


def parameter(c: Collector, key: str, name: str, spec: Any, comment_key: str) -> Parameter | None:
    """One parameter: a number, ``{ dist = ... }`` or ``{ value = ... }``, with label and unit."""
    if not c.ident(key, name, "parameter"):
        return None
    label = unit = hindsight = ""
    if isinstance(spec, dict):
        label = c.string(f"{key}.label", spec.get("label"))
        unit = c.string(f"{key}.unit", spec.get("unit"))
        hindsight = c.string(f"{key}.hindsight", spec.get("hindsight"))
        spec = {k: v for k, v in spec.items() if k not in _DISPLAY_KEYS}
        if "value" in spec and "dist" not in spec:
            c.unknown_keys(key, spec, ("value",))
            spec = spec["value"]
            if not _is_number(spec):
                c.err(f"{key}.value", f"expected a number, got {_type_name(spec)}")
                return None
    dist = distribution(c, key, spec)
    if dist is None:
        return None
    return Parameter(name, dist, c.comments.get(comment_key, ""), label, unit, hindsight=hindsight)


def distribution(c: Collector, key: str, spec: Any) -> Distribution | None:
    if _is_number(spec):
        value = c.number(key, spec)
        return None if value is None else Distribution.constant(value)
    if not isinstance(spec, dict):
        c.err(key, f'expected a number or {{ dist = "...", ... }}, got {_type_name(spec)}')
        return None
    kind = spec.get("dist")
    typo = next((k for k in spec if k != "dist" and suggest(str(k), ["dist"])), None) if kind is None else None
    if typo is not None:  # `dsit = "uniform"`: one line naming the key written, not "dist: got nothing"
        c.err(f"{key}.{typo}", "unknown key (a distribution needs 'dist')", "dist")
        return None
    if not isinstance(kind, str) or kind not in DISTRIBUTIONS:
        got = "nothing" if kind is None else _type_name(kind)
        c.err(
            f"{key}.dist",
            f"expected one of {', '.join(DISTRIBUTIONS)}, got {got}",
            suggest(str(kind), DISTRIBUTIONS) if isinstance(kind, str) else None,
        )
        return None
    required, optional = DISTRIBUTIONS[kind]
    allowed = ("dist", *required, *optional, *(_DISPLAY_KEYS if key.startswith("parameters.") else ()))
    c.unknown_keys(key, spec, allowed)
    args: dict[str, Any] = {}
    ok = True
    for arg in required:
        if arg not in spec:
            c.err(f"{key}.{arg}", f"missing (a {kind} distribution needs {', '.join(required)})")
            ok = False
    for arg in (*required, *optional):
        if arg not in spec:
            continue
        v = spec[arg]
        if kind == "choice":
            if not isinstance(v, list) or not v or not all(_is_number(x) for x in v):
                c.err(f"{key}.{arg}", f"expected a non-empty list of numbers, got {_type_name(v)}")
                ok = False
                continue
            if not all(_finite(x) and abs(x) <= MAX_LITERAL for x in v):
                c.err(f"{key}.{arg}", f"expected finite numbers up to {MAX_LITERAL:g} in magnitude")
                ok = False
                continue
            args[arg] = tuple(float(x) for x in v)
        else:
            number = c.number(f"{key}.{arg}", v)
            if number is None:
                ok = False
                continue
            args[arg] = number
    if ok and not domain(c, key, kind, args):
        return None
    return Distribution(kind, args) if ok else None


def domain(c: Collector, key: str, kind: str, a: dict[str, Any]) -> bool:
    """Check distribution arguments against their domain."""
    before = len(c.problems)
    if "low" in a and "high" in a and not a["low"] < a["high"]:
        c.err(f"{key}.high", f"expected high > low, got low = {a['low']:g} and high = {a['high']:g}")
    elif kind == "beta" and not a.get("low", 0.0) < a.get("high", 1.0):  # one bound given
        given = "low" if "low" in a else "high"
        c.err(f"{key}.{given}", f"expected low < high (the support defaults to 0..1), got {given} = {a[given]:g}")
    if kind == "normal" and a["sd"] <= 0:
        c.err(f"{key}.sd", f"expected sd > 0, got {a['sd']:g} (use a constant for a fixed value)")
    if kind == "lognormal" and a["sigma"] <= 0:
        c.err(f"{key}.sigma", f"expected sigma > 0, got {a['sigma']:g}")
    if kind == "beta":
        for arg in ("a", "b"):
            if a[arg] <= 0:
                c.err(f"{key}.{arg}", f"expected {arg} > 0, got {a[arg]:g}")
    if kind == "triangular" and len(c.problems) == before and not a["low"] <= a["mode"] <= a["high"]:
        c.err(f"{key}.mode", f"expected low <= mode <= high, got mode = {a['mode']:g}")
    if kind == "bernoulli" and not 0 <= a["p"] <= 1:
        c.err(f"{key}.p", f"expected a probability between 0 and 1, got {a['p']:g}")
    if kind == "choice" and "weights" in a:
        w = a["weights"]
        if len(w) != len(a["values"]):
            c.err(f"{key}.weights", f"expected {len(a['values'])} weights (one per value), got {len(w)}")
        elif any(x < 0 for x in w) or sum(w) <= 0:
            c.err(f"{key}.weights", "expected weights >= 0 that sum to a positive number")
    if kind == "normal" and len(c.problems) == before and truncation_mass(a) < 1e-12:
        c.err(key, "the truncation bounds leave no probability mass; widen low/high")
    return len(c.problems) == before
