"""Load a scenario file and check every rule of the format.

:func:`load` reads a TOML scenario (or, through :mod:`trapsim.efg`, a Gambit
``.efg`` file), collects *every* problem it finds, and raises one
:class:`~trapsim.errors.ScenarioError` listing them all, or returns a frozen
:class:`~trapsim.model.Scenario` that the rest of trapsim trusts.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from trapsim.errors import ExpressionError, Problem, ScenarioError, suggest
from trapsim.expressions import FUNCTIONS, KEYWORDS, PATH_FUNCTIONS, Expr, Type, check, parse
from trapsim.model import (
    DISTRIBUTIONS,
    Actor,
    Belief,
    ChanceNode,
    DecisionNode,
    Derived,
    Distribution,
    Outcome,
    Parameter,
    Relation,
    Scenario,
    Simulation,
    Sweep,
    Trap,
)
from trapsim.sampling import truncation_mass

__all__ = ["IDENT", "load", "loads", "parse_assignment"]

IDENT = re.compile(r"[a-z][a-z0-9_]*\Z")
_RESERVED = set(FUNCTIONS) | set(PATH_FUNCTIONS) | KEYWORDS
_TOP = {
    "scenario": "identity: name, title, description, root, sources",
    "simulation": "run defaults: draws, seed, solver, rationality",
    "actors": "one table per actor",
    "relations": "edges of the actor graph",
    "parameters": "uncertain inputs",
    "derived": "named expressions",
    "nodes": "the game tree",
    "payoffs": "the payoff table",
    "traps": "named events to count",
    "sweeps": "declared parameter sweeps",
    "beliefs": "how actors see the parameters (misperception)",
}
_SCENARIO_KEYS = {"name", "title", "description", "root", "sources"}
_SIMULATION_KEYS = {"draws", "seed", "solver", "rationality"}
_ACTOR_KEYS = {"name", "color", "description"}
_RELATION_KEYS = {"from", "to", "kind", "label", "weight", "directed"}
_NODE_KEYS = {"actor", "chance", "next", "description", "label"}
_TRAP_KEYS = {"title", "description", "when"}
_SWEEP_KEYS = {"vary", "draws"}
SOLVERS = ("spe", "qre")
_TOML_POSITION = re.compile(r"^(?P<msg>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)\s*$")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?\Z|[a-z]+\Z|tab:[a-z]+\Z|C\d\Z")


def load(path: str | Path) -> Scenario:
    """Read and validate a TOML scenario file (``api.load`` also reads ``.efg``).

    Raises
    ------
    ScenarioError
        With one :class:`~trapsim.errors.Problem` per problem found.
    """
    path = Path(path)
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError.single(name, "", f"cannot read file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError.single(name, "", f"file is not UTF-8 text (byte {exc.start})") from None
    return loads(text, path=name)


def loads(text: str, *, path: str = "<string>") -> Scenario:
    """Validate a scenario given as TOML text (``path`` is used in messages)."""
    try:
        data = tomllib.loads(text)
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        raise ScenarioError.single(path, "", "TOML syntax error: arrays or tables nested too "
                                             "deeply") from None
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_POSITION.match(str(exc))
        if m:
            where = f"line {m['line']}, column {m['col']}"
            msg = f"TOML syntax error: {m['msg'][:1].lower()}{m['msg'][1:]}"
        else:
            where, msg = "", f"TOML syntax error: {exc}"
        raise ScenarioError.single(path, where, msg) from None
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return _Validator(path, data, _parameter_comments(text)).build(sha)


def parse_assignment(text: str) -> tuple[str, float]:
    """Parse a ``name=value`` command-line override into its two parts."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ValueError(f"expected name=value, got {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name}: expected a number after '=', got {value.strip()!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name}: the value must be a finite number")
    return name, number


def _parameter_comments(text: str) -> dict[str, str]:
    """Comments written just above (or after) each key of ``[parameters]``."""
    out: dict[str, str] = {}
    in_params = False
    pending: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            in_params = stripped.split("#")[0].strip() == "[parameters]"
            pending = []
            continue
        if not in_params:
            continue
        if stripped.startswith("#"):
            pending.append(stripped.lstrip("#").strip())
            continue
        m = re.match(r"([a-z][a-z0-9_]*)\s*=", stripped)
        if m:
            parts = [p for p in (" ".join(pending), _trailing_comment(stripped)) if p]
            if parts:
                out[m.group(1)] = " ".join(parts)
        pending = []
    return out


def _trailing_comment(line: str) -> str:
    """The text of a ``# comment`` at the end of a TOML line (ignoring ``#`` inside strings)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[i + 1 :].strip()
    return ""


def _as_table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _descendants(node: str, below: Mapping[str, set[str]]) -> set[str]:
    """``node`` and everything reachable from it through ``below``."""
    out = {node}
    stack = [node]
    while stack:
        for child in below.get(stack.pop(), ()):
            if child not in out:
                out.add(child)
                stack.append(child)
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


class _Validator:
    """Checks one parsed TOML document, collecting every problem."""

    def __init__(self, file: str, data: dict[str, Any], comments: dict[str, str]) -> None:
        self.file = file
        self.data = data
        self.comments = comments
        self.problems: list[Problem] = []

    # ------------------------------------------------------------ helpers

    def err(self, key: str, message: str, suggestion: str | None = None) -> None:
        self.problems.append(Problem(self.file, key, message, suggestion))

    def table(self, key: str, value: Any, *, required: bool = True) -> dict[str, Any]:
        if value is None:
            if required:
                self.err(key, f"missing table [{key}]")
            return {}
        if not isinstance(value, dict):
            self.err(key, f"expected a table, got {_type_name(value)}")
            return {}
        return value

    def unknown_keys(self, key: str, table: Mapping[str, Any], allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for k in table:
            if k not in allowed:
                self.err(f"{key}.{k}", f"unknown key (expected one of: {', '.join(sorted(allowed))})",
                         suggest(k, allowed))

    def string(self, key: str, value: Any, *, required: bool = False, default: str = "") -> str:
        if value is None:
            if required:
                self.err(key, "missing (expected a text value in quotes)")
            return default
        if not isinstance(value, str):
            self.err(key, f"expected a text value in quotes, got {_type_name(value)}")
            return default
        return value

    def number(self, key: str, value: Any) -> float | None:
        if not _is_number(value):
            self.err(key, f"expected a number, got {_type_name(value)}")
            return None
        if not math.isfinite(value):
            self.err(key, f"expected a finite number, got {value}")
            return None
        return float(value)

    def ident(self, key: str, value: str, what: str) -> bool:
        if not IDENT.match(value):
            self.err(key, f"invalid {what} id '{value}' (use lower-case letters, digits and _, "
                          "starting with a letter)")
            return False
        if value in _RESERVED:
            self.err(key, f"{what} id '{value}' is a reserved word of the expression language; "
                          "choose another name")
            return False
        return True

    def expression(self, key: str, value: Any, known: Mapping[str, Type],
                   paths: Mapping[str, frozenset[str]] | None = None) -> tuple[Expr, Type] | None:
        """Parse and check a number or expression string."""
        if _is_number(value):
            if not math.isfinite(value):
                self.err(key, f"expected a finite number, got {value}")
                return None
            try:
                return parse(repr(float(value))), "num"
            except ExpressionError as exc:  # e.g. a number beyond the 1e15 literal limit
                self.err(key, exc.message)
                return None
        if not isinstance(value, str):
            self.err(key, f"expected a number or an expression in quotes, got {_type_name(value)}")
            return None
        try:
            expr = parse(value)
            return expr, check(expr, known, path_targets=paths)
        except ExpressionError as exc:
            shown = value if len(value) <= 60 else value[:57] + "..."
            self.err(key, f"{exc.message} at position {exc.position + 1} in \"{shown}\"", exc.suggestion)
            return None

    # -------------------------------------------------------------- build

    def build(self, sha: str) -> Scenario:
        d = self.data
        for k in d:
            if k not in _TOP:
                self.err(k, "unknown top-level table (expected one of: " + ", ".join(_TOP) + ")",
                         suggest(k, _TOP))
        meta = self.table("scenario", d.get("scenario"))
        self.unknown_keys("scenario", meta, _SCENARIO_KEYS)
        name = self.string("scenario.name", meta.get("name"), required=True)
        if isinstance(meta.get("name"), str) and not IDENT.match(name):
            self.err("scenario.name", f"invalid name '{name}' (use lower-case letters, digits and _)")
        title = self.string("scenario.title", meta.get("title"), default=name)
        description = self.string("scenario.description", meta.get("description"))
        sources = self.sources(meta.get("sources"))
        simulation = self.simulation(d.get("simulation"))
        actors = self.actors(d.get("actors"))
        actor_ids = [a.id for a in actors]
        relations = self.relations(d.get("relations"), actor_ids)
        parameters = self.parameters(d.get("parameters"))
        # A parameter with a problem of its own is still declared: expressions and sweeps that
        # use it must not get a second, misleading "unknown name" problem.
        raw_params = d.get("parameters")
        declared = [k for k in raw_params if IDENT.match(k) and k not in _RESERVED] \
            if isinstance(raw_params, dict) else []
        known: dict[str, Type] = {k: "num" for k in declared}
        derived = self.derived(d.get("derived"), known)
        raw_nodes = self.table("nodes", d.get("nodes"))
        raw_payoffs = self.table("payoffs", d.get("payoffs"))
        outcomes = self.outcomes(raw_payoffs, actor_ids, known)
        nodes = self.nodes(raw_nodes, actor_ids, set(raw_payoffs), known)
        root = self.string("scenario.root", meta.get("root"), required=True)
        if isinstance(meta.get("root"), str) and root not in raw_nodes:
            self.err("scenario.root", f"unknown node '{root}'", suggest(root, raw_nodes))
        elif root:
            self.tree(root, nodes, outcomes)
        traps = self.traps(d.get("traps"), known, nodes, outcomes, actor_ids)
        self.namespace(parameters, derived, raw_nodes, raw_payoffs, d.get("traps"))
        sweeps = self.sweeps(d.get("sweeps"), declared)
        beliefs = self.beliefs(d.get("beliefs"), actor_ids, declared, known)
        if self.problems:
            raise ScenarioError(self.problems)
        return Scenario(
            name=name, title=title, root=root, actors=tuple(actors), parameters=tuple(parameters),
            nodes=nodes, outcomes=outcomes, traps=tuple(traps), derived=tuple(derived),
            relations=tuple(relations), sweeps=tuple(sweeps), beliefs=beliefs, simulation=simulation,
            description=description, sources=tuple(sources), path=self.file, sha256=sha,
        )

    def sources(self, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            self.err("scenario.sources", "expected a list of text values, e.g. [\"op-ed, 2024\"]")
            return []
        return value

    def simulation(self, value: Any) -> Simulation:
        sim = self.table("simulation", value, required=False)
        self.unknown_keys("simulation", sim, _SIMULATION_KEYS)
        out = Simulation()
        draws, seed, solver, rationality = out.draws, out.seed, out.solver, out.rationality
        if "draws" in sim:
            v = sim["draws"]
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                self.err("simulation.draws", f"expected a whole number > 0, got {_type_name(v)}")
            else:
                draws = v
        if "seed" in sim:
            v = sim["seed"]
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                self.err("simulation.seed", f"expected a whole number >= 0, got {_type_name(v)}")
            else:
                seed = v
        if "solver" in sim:
            v = sim["solver"]
            if v not in SOLVERS:
                self.err("simulation.solver", f"expected \"spe\" or \"qre\", got {_type_name(v)}",
                         suggest(str(v), SOLVERS))
            else:
                solver = v
        if "rationality" in sim:
            v = sim["rationality"]
            if not _is_number(v) or not 0 < v < math.inf:
                self.err("simulation.rationality", f"expected a number > 0, got {_type_name(v)}")
            else:
                rationality = float(v)
        return Simulation(draws=draws, seed=seed, solver=solver, rationality=rationality)

    def actors(self, value: Any) -> list[Actor]:
        table = self.table("actors", value)
        out = []
        for aid, spec in table.items():
            key = f"actors.{aid}"
            if not self.ident(key, aid, "actor"):
                continue
            if not isinstance(spec, dict):
                self.err(key, f"expected a table with name = \"...\", got {_type_name(spec)}")
                continue
            self.unknown_keys(key, spec, _ACTOR_KEYS)
            name = self.string(f"{key}.name", spec.get("name"), required=True, default=aid)
            color = spec.get("color")
            if color is not None:
                color = self.string(f"{key}.color", color) or None
                if color and not _COLOR.match(color):
                    self.err(f"{key}.color", f"expected a colour like \"#0072B2\", got {color!r}")
                    color = None
            desc = self.string(f"{key}.description", spec.get("description"))
            out.append(Actor(aid, name, color, desc))
        if value is not None and isinstance(value, dict) and not table:
            self.err("actors", "at least one actor is needed")
        return out

    def relations(self, value: Any, actor_ids: list[str]) -> list[Relation]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.err("relations", "expected [[relations]] entries (a list of tables)")
            return []
        out = []
        for i, spec in enumerate(value):
            key = f"relations[{i}]"
            if not isinstance(spec, dict):
                self.err(key, f"expected a table, got {_type_name(spec)}")
                continue
            self.unknown_keys(key, spec, _RELATION_KEYS)
            ends = []
            for end in ("from", "to"):
                v = self.string(f"{key}.{end}", spec.get(end), required=True)
                if v and v not in actor_ids:
                    self.err(f"{key}.{end}", f"unknown actor '{v}'", suggest(v, actor_ids))
                ends.append(v)
            kind = self.string(f"{key}.kind", spec.get("kind"), required=True)
            label = self.string(f"{key}.label", spec.get("label"))
            weight = 1.0
            if "weight" in spec:
                weight = self.number(f"{key}.weight", spec["weight"]) or 0.0
            directed = spec.get("directed", True)
            if not isinstance(directed, bool):
                self.err(f"{key}.directed", f"expected true or false, got {_type_name(directed)}")
                directed = True
            out.append(Relation(ends[0], ends[1], kind, label, weight, directed))
        return out

    def parameters(self, value: Any) -> list[Parameter]:
        table = self.table("parameters", value, required=False)
        out = []
        for name, spec in table.items():
            key = f"parameters.{name}"
            if not self.ident(key, name, "parameter"):
                continue
            dist = self.distribution(key, spec)
            if dist is not None:
                out.append(Parameter(name, dist, self.comments.get(name, "")))
        return out

    def distribution(self, key: str, spec: Any) -> Distribution | None:
        if _is_number(spec):
            value = self.number(key, spec)
            return None if value is None else Distribution.constant(value)
        if not isinstance(spec, dict):
            self.err(key, f"expected a number or {{ dist = \"...\", ... }}, got {_type_name(spec)}")
            return None
        kind = spec.get("dist")
        if not isinstance(kind, str) or kind not in DISTRIBUTIONS:
            got = "nothing" if kind is None else _type_name(kind)
            self.err(f"{key}.dist", f"expected one of {', '.join(DISTRIBUTIONS)}, got {got}",
                     suggest(str(kind), DISTRIBUTIONS) if isinstance(kind, str) else None)
            return None
        required, optional = DISTRIBUTIONS[kind]
        allowed = ("dist", *required, *optional)
        self.unknown_keys(key, spec, allowed)
        args: dict[str, Any] = {}
        ok = True
        for arg in required:
            if arg not in spec:
                self.err(f"{key}.{arg}", f"missing (a {kind} distribution needs {', '.join(required)})")
                ok = False
        for arg in (*required, *optional):
            if arg not in spec:
                continue
            v = spec[arg]
            if kind == "choice":
                if not isinstance(v, list) or not v or not all(_is_number(x) for x in v):
                    self.err(f"{key}.{arg}", f"expected a non-empty list of numbers, got {_type_name(v)}")
                    ok = False
                    continue
                args[arg] = tuple(float(x) for x in v)
            else:
                number = self.number(f"{key}.{arg}", v)
                if number is None:
                    ok = False
                    continue
                args[arg] = number
        if ok and not self.domain(key, kind, args):
            return None
        return Distribution(kind, args) if ok else None

    def domain(self, key: str, kind: str, a: dict[str, Any]) -> bool:
        """Check distribution arguments against their domain."""
        before = len(self.problems)
        if "low" in a and "high" in a and not a["low"] < a["high"]:
            self.err(f"{key}.high", f"expected high > low, got low = {a['low']:g} and high = {a['high']:g}")
        elif kind == "beta" and not a.get("low", 0.0) < a.get("high", 1.0):  # one bound given
            given = "low" if "low" in a else "high"
            self.err(f"{key}.{given}", f"expected low < high (the support defaults to 0..1), got "
                                       f"{given} = {a[given]:g}")
        if kind == "normal" and a["sd"] <= 0:
            self.err(f"{key}.sd", f"expected sd > 0, got {a['sd']:g} (use a constant for a fixed value)")
        if kind == "lognormal" and a["sigma"] <= 0:
            self.err(f"{key}.sigma", f"expected sigma > 0, got {a['sigma']:g}")
        if kind == "beta":
            for arg in ("a", "b"):
                if a[arg] <= 0:
                    self.err(f"{key}.{arg}", f"expected {arg} > 0, got {a[arg]:g}")
        if kind == "triangular" and len(self.problems) == before and not a["low"] <= a["mode"] <= a["high"]:
            self.err(f"{key}.mode", f"expected low <= mode <= high, got mode = {a['mode']:g}")
        if kind == "bernoulli" and not 0 <= a["p"] <= 1:
            self.err(f"{key}.p", f"expected a probability between 0 and 1, got {a['p']:g}")
        if kind == "choice" and "weights" in a:
            w = a["weights"]
            if len(w) != len(a["values"]):
                self.err(f"{key}.weights", f"expected {len(a['values'])} weights (one per value), got {len(w)}")
            elif any(x < 0 for x in w) or sum(w) <= 0:
                self.err(f"{key}.weights", "expected weights >= 0 that sum to a positive number")
        if kind == "normal" and len(self.problems) == before and truncation_mass(a) < 1e-12:
            self.err(key, "the truncation bounds leave no probability mass; widen low/high")
        return len(self.problems) == before

    def derived(self, value: Any, known: dict[str, Type]) -> list[Derived]:
        table = self.table("derived", value, required=False)
        later = set(table)
        out = []
        for name, spec in table.items():
            key = f"derived.{name}"
            later.discard(name)
            if not self.ident(key, name, "derived value"):
                continue
            if isinstance(spec, str):
                try:
                    expr = parse(spec)
                    used_later = sorted(expr.names & later)
                    if used_later:
                        self.err(key, f"uses '{used_later[0]}', which is defined later in [derived]; "
                                      "move this line below it")
                        known[name] = "num"  # declared, though broken: no cascade downstream
                        continue
                    if name in expr.names:
                        self.err(key, f"'{name}' refers to itself")
                        known[name] = "num"
                        continue
                except ExpressionError:
                    pass  # reported by expression() below
            checked = self.expression(key, spec, known)
            if checked is not None:
                expr, typ = checked
                out.append(Derived(name, expr, typ))
                known[name] = typ
            else:
                known[name] = "num"
        return out

    def outcomes(self, table: dict[str, Any], actor_ids: list[str],
                 known: Mapping[str, Type]) -> dict[str, Outcome]:
        out = {}
        for oid, row in table.items():
            key = f"payoffs.{oid}"
            if not self.ident(key, oid, "outcome"):
                continue
            if not isinstance(row, dict):
                self.err(key, "expected { <actor> = <number or expression>, ... }, got "
                              f"{_type_name(row)}")
                continue
            for actor in row:
                if actor not in actor_ids:
                    self.err(f"{key}.{actor}", "unknown actor", suggest(actor, actor_ids))
            missing = [a for a in actor_ids if a not in row]
            if missing:
                self.err(key, f"missing payoff for {', '.join(missing)} (every outcome names every actor)")
            exprs = []
            for actor in actor_ids:
                if actor in row:
                    checked = self.expression(f"{key}.{actor}", row[actor], known)
                    exprs.append(checked[0] if checked else None)
            if len(exprs) == len(actor_ids) and all(e is not None for e in exprs):
                out[oid] = Outcome(oid, tuple(e for e in exprs if e is not None))
        return out

    def nodes(self, table: dict[str, Any], actor_ids: list[str], outcome_ids: set[str],
              known: Mapping[str, Type]) -> dict[str, DecisionNode | ChanceNode]:
        out: dict[str, DecisionNode | ChanceNode] = {}
        targets_known = set(table) | outcome_ids
        for nid, spec in table.items():
            key = f"nodes.{nid}"
            if not self.ident(key, nid, "node"):
                continue
            if not isinstance(spec, dict):
                self.err(key, f"expected a table with actor/chance and next, got {_type_name(spec)}")
                continue
            self.unknown_keys(key, spec, _NODE_KEYS)
            nxt = spec.get("next")
            if not isinstance(nxt, dict) or not nxt:
                self.err(f"{key}.next", "expected { <action> = \"<node or outcome>\", ... } with at "
                                        "least one action")
                continue
            ok = True
            for action, target in nxt.items():
                akey = f"{key}.next.{action}"
                if not isinstance(target, str):
                    self.err(akey, f"expected a node or outcome id in quotes, got {_type_name(target)}")
                    ok = False
                elif target not in targets_known:
                    self.err(akey, f"unknown node or outcome '{target}'", suggest(target, targets_known))
                    ok = False
            actions = tuple(nxt)
            targets = tuple(str(t) for t in nxt.values())
            has_actor, has_chance = "actor" in spec, "chance" in spec
            if has_actor == has_chance:
                self.err(key, "a node needs exactly one of actor = \"<actor>\" (a decision) or "
                              "chance = { ... } (a chance move)")
                continue
            if has_actor:
                actor = spec["actor"]
                if not isinstance(actor, str) or actor not in actor_ids:
                    self.err(f"{key}.actor", f"unknown actor {actor!r}",
                             suggest(str(actor), actor_ids))
                    continue
                if ok:
                    out[nid] = DecisionNode(nid, actor, actions, targets)
                continue
            chance = spec["chance"]
            if not isinstance(chance, dict):
                self.err(f"{key}.chance", "expected { <branch> = <probability>, ... }")
                continue
            for action in chance:
                if action not in nxt:
                    self.err(f"{key}.chance.{action}", "branch not listed in next",
                             suggest(action, nxt))
                    ok = False
            for action in nxt:
                if action not in chance:
                    self.err(f"{key}.chance", f"missing probability for branch '{action}'")
                    ok = False
            probs = []
            for action in actions:
                if action in chance:
                    checked = self.expression(f"{key}.chance.{action}", chance[action], known)
                    if checked is None:
                        ok = False
                    else:
                        probs.append(checked[0])
            if ok:
                self.constant_probabilities(key, chance, actions)
                out[nid] = ChanceNode(nid, actions, targets, tuple(probs))
        return out

    def constant_probabilities(self, key: str, chance: dict[str, Any], actions: tuple[str, ...]) -> None:
        values = [chance[a] for a in actions]
        if not all(_is_number(v) for v in values):
            return
        for a, v in zip(actions, values, strict=True):
            if not 0 <= v <= 1:
                self.err(f"{key}.chance.{a}", f"expected a probability between 0 and 1, got {v}")
        if abs(sum(values) - 1) > 1e-9:
            self.err(f"{key}.chance", f"probabilities sum to {sum(values):g}, expected 1")

    def tree(self, root: str, nodes: Mapping[str, DecisionNode | ChanceNode],
             outcomes: Mapping[str, Outcome]) -> None:
        raw_nodes = self.data.get("nodes")
        raw_nodes = raw_nodes if isinstance(raw_nodes, dict) else {}
        parents: dict[str, str] = {}
        for nid, spec in raw_nodes.items():
            nxt = spec.get("next") if isinstance(spec, dict) else None
            if not isinstance(nxt, dict):
                continue
            for action, target in nxt.items():
                if not isinstance(target, str) or target not in raw_nodes:
                    continue
                if target == root:
                    self.err(f"nodes.{nid}.next.{action}", f"points back to the root '{root}' "
                                                           "(the tree must not have cycles)")
                elif target in parents:
                    self.err(f"nodes.{nid}.next.{action}",
                             f"node '{target}' already has a parent ('{parents[target]}'); "
                             "a node can have only one parent (outcomes can be shared)")
                else:
                    parents[target] = nid
        # reachability (cycles not through the root leave their nodes unreachable)
        seen: set[str] = set()
        stack = [root]
        while stack:
            nid = stack.pop()
            if nid in seen:
                continue
            seen.add(nid)
            spec = raw_nodes.get(nid)
            if isinstance(spec, dict) and isinstance(spec.get("next"), dict):
                stack.extend(t for t in spec["next"].values() if isinstance(t, str))
        raw_payoffs = self.data.get("payoffs")
        outcome_ids = [o for o in (raw_payoffs if isinstance(raw_payoffs, dict) else {}) if IDENT.match(o)]
        lost = [(f"nodes.{n}", n) for n in raw_nodes if n not in seen]
        lost += [(f"payoffs.{o}", o) for o in outcome_ids if o not in seen]
        lost_ids = {i for _, i in lost}
        # Report only the top of each unreachable branch, not every node and outcome below it.
        below: dict[str, set[str]] = {}
        for nid, spec in raw_nodes.items():
            nxt = spec.get("next") if isinstance(spec, dict) else None
            if nid in lost_ids and isinstance(nxt, dict):
                below[nid] = {t for t in nxt.values() if isinstance(t, str) and t in lost_ids}
        has_lost_parent = set().union(*below.values()) if below else set()
        covered: set[str] = set()
        for key, i in lost:
            if i in has_lost_parent:
                continue
            under = _descendants(i, below)
            covered |= under
            more = f" (nor are the {len(under) - 1} nodes and outcomes below it)" if len(under) > 1 else ""
            what = "node" if key.startswith("nodes.") else "outcome"
            self.err(key, f"{what} is not reachable from the root '{root}': no node's next points to it{more}")
        for key, i in lost:
            if i not in covered:
                self.err(key, f"not reachable from the root '{root}': it is part of a cycle")

    def traps(self, value: Any, known: dict[str, Type], nodes: Mapping[str, DecisionNode | ChanceNode],
              outcomes: Mapping[str, Outcome], actor_ids: list[str]) -> list[Trap]:
        table = self.table("traps", value, required=False)
        # Nodes and outcomes with problems of their own still count as declared here,
        # so one typo is reported once, not again in every trap that uses it.
        raw_nodes = _as_table(self.data.get("nodes"))
        raw_payoffs = _as_table(self.data.get("payoffs"))
        paths: dict[str, frozenset[str]] = {
            "node": frozenset(raw_nodes),
            "reached": frozenset(raw_nodes) | frozenset(raw_payoffs),
            "actor": frozenset(actor_ids),
        }
        for nid, spec in raw_nodes.items():
            nxt = spec.get("next") if isinstance(spec, dict) else None
            paths["action:" + nid] = frozenset(nxt) if isinstance(nxt, dict) else frozenset()
        scope = dict(known)
        later = set(table)
        out = []
        for tid, spec in table.items():
            key = f"traps.{tid}"
            later.discard(tid)
            if not self.ident(key, tid, "trap"):
                continue
            if not isinstance(spec, dict):
                self.err(key, f"expected a table with title and when, got {_type_name(spec)}")
                continue
            self.unknown_keys(key, spec, _TRAP_KEYS)
            title = self.string(f"{key}.title", spec.get("title"), default=tid)
            desc = self.string(f"{key}.description", spec.get("description"))
            when = spec.get("when")
            if when is None:
                self.err(f"{key}.when", "missing (expected a condition in quotes, e.g. "
                                        "when = 'played(\"node\", \"action\")')")
                continue
            if isinstance(when, str):
                try:
                    refs = parse(when).names & later
                    if refs:
                        self.err(f"{key}.when", f"uses trap '{sorted(refs)[0]}', which is defined "
                                                "later; define it first")
                        continue
                except ExpressionError:
                    pass
            checked = self.expression(f"{key}.when", when, scope, paths)
            scope[tid] = "bool"  # declared even when broken: later traps may use it
            if checked is None:
                continue
            expr, typ = checked
            if typ != "bool":
                self.err(f"{key}.when", "expected a condition (true or false), got a number; "
                                        "compare it, e.g. 'x > 0'")
                continue
            out.append(Trap(tid, title, expr, desc))
        return out

    def namespace(self, parameters: list[Parameter], derived: list[Derived], nodes: Mapping[str, Any],
                  outcomes: Mapping[str, Any], traps: Any) -> None:
        owner: dict[str, str] = {}
        groups = [
            ("parameters", [p.name for p in parameters]),
            ("derived", [d.name for d in derived]),
            ("nodes", list(nodes)),
            ("payoffs", list(outcomes)),
            ("traps", list(traps) if isinstance(traps, dict) else []),
        ]
        for table, ids in groups:
            for i in ids:
                if i in owner:
                    self.err(f"{table}.{i}", f"id '{i}' is already used in [{owner[i]}]; parameter, "
                                             "derived, node, outcome and trap ids share one namespace")
                else:
                    owner[i] = table

    def beliefs(self, value: Any, actor_ids: list[str], names: list[str],
                known: Mapping[str, Type]) -> dict[str, tuple[Belief, ...]]:
        """``[beliefs.<actor>]``: per parameter a constant, a distribution or an expression.

        Expressions are over the true values of the same draw (parameters and
        derived values); derived values are recomputed from the perceived
        parameters.
        """
        table = self.table("beliefs", value, required=False)
        true_names = {k: t for k, t in known.items() if t == "num"}
        out: dict[str, tuple[Belief, ...]] = {}
        for actor, spec in table.items():
            key = f"beliefs.{actor}"
            if actor not in actor_ids:
                self.err(key, f"unknown actor '{actor}'", suggest(actor, actor_ids))
                continue
            if not isinstance(spec, dict):
                self.err(key, "expected a table of <parameter> = <number, { dist = ... } or "
                              f"\"expression\">, got {_type_name(spec)}")
                continue
            items = []
            for pname, belief in spec.items():
                bkey = f"{key}.{pname}"
                if pname not in names:
                    derived = " (a derived value: give beliefs about the parameters it uses)" \
                        if pname in known else ""
                    self.err(bkey, f"unknown parameter '{pname}'{derived}", suggest(pname, names))
                    continue
                if isinstance(belief, str):
                    checked = self.expression(bkey, belief, true_names)
                    if checked is not None:
                        if checked[1] != "num":
                            self.err(bkey, "expected a number, got a condition")
                        else:
                            items.append(Belief(actor, pname, expr=checked[0]))
                    continue
                dist = self.distribution(bkey, belief)
                if dist is not None:
                    items.append(Belief(actor, pname, dist=dist))
            if items:
                out[actor] = tuple(items)
        return out

    def sweeps(self, value: Any, param_names: list[str]) -> list[Sweep]:
        table = self.table("sweeps", value, required=False)
        out = []
        for sid, spec in table.items():
            key = f"sweeps.{sid}"
            if not self.ident(key, sid, "sweep"):
                continue
            if not isinstance(spec, dict):
                self.err(key, f"expected a table with vary = {{ ... }}, got {_type_name(spec)}")
                continue
            self.unknown_keys(key, spec, _SWEEP_KEYS)
            vary = spec.get("vary")
            if not isinstance(vary, dict) or not 1 <= len(vary) <= 2:
                self.err(f"{key}.vary", "expected { <parameter> = [from, to, steps] } with one or two "
                                        "parameters")
                continue
            axes = []
            for pname, rng in vary.items():
                vkey = f"{key}.vary.{pname}"
                if pname not in param_names:
                    self.err(vkey, "unknown parameter", suggest(pname, param_names))
                    continue
                if (not isinstance(rng, list) or len(rng) != 3 or not all(_is_number(x) for x in rng)
                        or isinstance(rng[2], float) or rng[2] < 2):
                    self.err(vkey, "expected [from, to, steps] with steps a whole number >= 2")
                    continue
                if rng[0] == rng[1]:
                    self.err(vkey, "from and to must differ")
                    continue
                axes.append((pname, float(rng[0]), float(rng[1]), int(rng[2])))
            draws = spec.get("draws")
            if draws is not None and (isinstance(draws, bool) or not isinstance(draws, int) or draws <= 0):
                self.err(f"{key}.draws", f"expected a whole number > 0, got {_type_name(draws)}")
                draws = None
            if len(axes) == len(vary):
                out.append(Sweep(sid, tuple(axes), draws))
        return out
