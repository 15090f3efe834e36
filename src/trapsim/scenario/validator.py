"""The validator: one parsed TOML document in, a frozen Scenario (or every problem found) out."""

from __future__ import annotations

from typing import Any

from trapsim.errors import Problem, ScenarioError, suggest
from trapsim.expressions import Expr, Type
from trapsim.model import (
    Scenario,
)
from trapsim.scenario.classroom import classroom_table
from trapsim.scenario.game import _GameRules
from trapsim.scenario.rules import (
    _RESERVED,
    _SCENARIO_KEYS,
    _TOP,
    IDENT,
)
from trapsim.scenario.tables import _TableRules


class _Validator(_TableRules, _GameRules):
    """Checks one parsed TOML document, collecting every problem."""

    def __init__(self, file: str, data: dict[str, Any], comments: dict[str, str]) -> None:
        self.file = file
        self.data = data
        self.comments = comments
        self.problems: list[Problem] = []
        self.history_uses: list[tuple[str, str, Expr]] = []

    # ------------------------------------------------------------ helpers

    def build(self, sha: str) -> Scenario:
        d = self.data
        for k in d:
            if k not in _TOP:
                meant = suggest(k, _TOP)
                self.err(k, "unknown top-level table (expected one of: " + ", ".join(_TOP) + ")", meant)
                if meant and meant not in d and isinstance(d[k], dict):  # a misspelt [derived]: its names exist
                    self.shadow(*d[k])
        meta = self.table("scenario", d.get("scenario"))
        self.unknown_keys("scenario", meta, _SCENARIO_KEYS)
        name = self.string("scenario.name", meta.get("name"), required=True)
        if isinstance(meta.get("name"), str) and not IDENT.match(name):
            self.err("scenario.name", f"invalid name {name!r} (use lower-case letters, digits and _)")
        title = self.string("scenario.title", meta.get("title"), default=name)
        description = self.string("scenario.description", meta.get("description"))
        sources = self.sources(meta.get("sources"))
        discussion = self.texts(
            "scenario.discussion", meta.get("discussion"), '["Who is trapped, and by whom?"]', most=20
        )
        reality_check = self.reality_check(meta.get("reality_check"))
        commitment_kinds = self.texts(
            "scenario.commitment_kinds", meta.get("commitment_kinds"), '["alliance", "patronage"]', most=50
        )
        simulation = self.simulation(d.get("simulation"))
        actors = self.actors(d.get("actors"))
        actor_ids = [a.id for a in actors]
        relations = self.relations(d.get("relations"), actor_ids)
        parameters = self.parameters(d.get("parameters"))
        # A parameter with a problem of its own is still declared: expressions and sweeps that
        # use it must not get a second, misleading "unknown name" problem.
        declared = [k for k in _parameter_names(d.get("parameters")) if IDENT.match(k) and k not in _RESERVED]
        known: dict[str, Type] = {k: "num" for k in declared}
        derived = self.derived(d.get("derived"), known)
        raw_nodes = self.table("nodes", d.get("nodes"))
        raw_payoffs = self.table("payoffs", d.get("payoffs"))
        outcomes = self.outcomes(raw_payoffs, actor_ids, known)
        nodes = self.nodes(raw_nodes, actor_ids, set(raw_payoffs), known)
        self.outcome_texts(d.get("outcomes"), outcomes)
        root = self.string("scenario.root", meta.get("root"), required=True)
        if isinstance(meta.get("root"), str) and root in raw_payoffs and root not in raw_nodes:
            self.err(
                "scenario.root",
                f"'{root}' is an outcome; the root must be a node (a decision or chance move) under [nodes]",
            )
        elif isinstance(meta.get("root"), str) and root not in raw_nodes:
            self.err("scenario.root", f"unknown node '{root}'", suggest(root, raw_nodes))
        elif root:
            self.tree(root, nodes, outcomes)
        traps = self.traps(d.get("traps"), known, nodes, outcomes, actor_ids)
        self.namespace(parameters, derived, raw_nodes, raw_payoffs, d.get("traps"))
        sweeps = self.sweeps(d.get("sweeps"), declared)
        beliefs = self.beliefs(d.get("beliefs"), actor_ids, declared, known)
        classroom = classroom_table(self, d.get("classroom"), parameters)
        if self.problems:
            raise ScenarioError(self.problems)
        return Scenario(
            name=name,
            title=title,
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
            simulation=simulation,
            classroom=classroom,
            description=description,
            sources=tuple(sources),
            discussion=tuple(discussion),
            reality_check=reality_check,
            commitment_kinds=tuple(commitment_kinds),
            path=self.file,
            sha256=sha,
        )


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
