"""The explorer's requests: a run with sliders' values, the baseline beside it, the command to reproduce it."""

from __future__ import annotations

import shlex
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from trapsim import api
from trapsim.api import ArgumentError, Scenario, TrapsimError
from trapsim.web.server import WebError, number, only_keys, whole

__all__ = ["MAX_DRAWS", "Explorer", "RunOptions", "parse_run"]

RUN_KEYS = ("set", "draws", "seed", "solver", "rationality")
MAX_DRAWS = 1_000_000  # one request may not hold the server longer than about a second
EXPLORE_DRAWS = 20_000
MAX_TREE_POSITIONS = 2_000  # a larger unfolded tree is not drawn on the page
_MAX_SEED = 2**63 - 1
#: The request field behind each API argument, for :class:`ArgumentError` messages.
_FIELDS = {"values": "set.{item}", "draws": "draws", "seed": "seed", "solver": "solver", "rationality": "rationality"}


@dataclass(frozen=True)
class RunOptions:
    """The options of ``trapsim run`` that a request may give (``None``: as the CLI's default)."""

    values: dict[str, float] = field(default_factory=dict)
    draws: int | None = None
    seed: int | None = None
    solver: str | None = None
    rationality: float | None = None


def parse_run(scenario: Scenario, doc: dict[str, Any]) -> RunOptions:
    """Check a ``/api/run`` body: ``{"set": {...}, "draws", "seed", "solver", "rationality"}``."""
    only_keys(doc, RUN_KEYS)
    sets = doc.get("set", {})
    if not isinstance(sets, dict):
        raise WebError(400, 'set: expected an object {"parameter": number}')
    if len(sets) > len(scenario.parameters):
        raise WebError(400, f"set: more values ({len(sets)}) than the scenario has parameters")
    values = {str(k)[:80]: number(v, f"set.{str(k)[:80]}", low=-1e15, high=1e15) for k, v in sets.items()}
    draws = None if doc.get("draws") is None else whole(doc["draws"], "draws", low=1, high=MAX_DRAWS)
    seed = None if doc.get("seed") is None else whole(doc["seed"], "seed", low=0, high=_MAX_SEED)
    solver = doc.get("solver")
    if solver is not None and solver not in ("spe", "qre"):
        raise WebError(400, f'solver: expected "spe" or "qre", got {str(solver)[:40]!r}')
    rationality = doc.get("rationality")
    if rationality is not None:
        rationality = number(rationality, "rationality", low=1e-9, high=1e6)
    if draws is None and scenario.simulation.draws > MAX_DRAWS:
        draws = MAX_DRAWS
    return RunOptions(values, draws, seed, solver, rationality)


def command(path: str, result: Any) -> str:
    """The ``trapsim run`` command that reproduces ``result``."""
    parts = ["trapsim", "run", shlex.quote(path), "--draws", str(result.draws), "--seed", str(result.seed)]
    if result.solver == "qre":
        parts += ["--solver", "qre", "--rationality", repr(result.rationality)]
    for k, v in result.values.items():
        parts += ["--set", f"{k}={v!r}"]
    return " ".join(parts)


class Explorer:
    """One scenario served to the explorer page; at most two simulations at a time (two cores)."""

    def __init__(self, scenario: Scenario, path: str) -> None:
        self.scenario = scenario
        self.path = path
        self._slots = threading.BoundedSemaphore(2)
        self._baselines: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def simulate(self, opts: RunOptions) -> Any:
        """``api.simulate`` with the request's options; a scenario's complaint becomes a 400."""
        with self._slots:
            try:
                return api.simulate(
                    self.scenario,
                    draws=opts.draws,
                    seed=opts.seed,
                    solver=opts.solver,
                    rationality=opts.rationality,
                    values=opts.values,
                )
            except ArgumentError as exc:  # named by the request's field, not the API argument
                raise WebError(400, "\n".join(exc.lines(_FIELDS))) from None
            except TrapsimError as exc:
                raise WebError(400, "\n".join(exc.lines())) from None

    def run(self, opts: RunOptions) -> dict[str, Any]:
        """Exactly the document ``trapsim run FILE --json`` prints with these options."""
        return dict(self.simulate(opts).to_dict())

    def explore(self, opts: RunOptions) -> dict[str, Any]:
        """The run document, branch shares, the baseline (no ``set``) and the command line."""
        res = self.simulate(opts)
        key = (res.draws, res.seed, res.solver, res.rationality)
        with self._lock:
            base = self._baselines.get(key)
        if base is None:
            base_res = self.simulate(RunOptions({}, res.draws, res.seed, res.solver, res.rationality))
            base = {"doc": base_res.to_dict(), "edges": _edges(base_res)}
            with self._lock:
                self._baselines[key] = base
                while len(self._baselines) > 16:
                    self._baselines.popitem(last=False)
        return {
            "run": res.to_dict(),
            "edges": _edges(res),
            "baseline": base["doc"],
            "baseline_edges": base["edges"],
            "command": command(self.path, res),
        }

    def describe(self) -> dict[str, Any]:
        """What the page needs to draw its controls and the tree."""
        sc = self.scenario
        ranges = api.parameter_ranges(sc)
        params = []
        for p in sc.parameters:
            if p.name not in ranges:
                continue
            low, central, high = ranges[p.name]
            params.append(
                {
                    "name": p.name,
                    "label": sc.label_of("parameter", p.name),
                    "unit": sc.unit_of(p.name),
                    "prior": p.dist.describe(),
                    "comment": p.comment,
                    "low": low,
                    "central": central,
                    "high": high,
                    "discrete": p.dist.kind in ("bernoulli", "choice"),
                }
            )
        places = [
            [pid, name, sc.label_of("node", name) if pid in sc.nodes else "", parent, k]
            for pid, name, parent, k in api.game_tree(sc)
        ]
        nodes = {}
        for nid, node in sc.nodes.items():
            nodes[nid] = {
                "actor": getattr(node, "actor", None),
                "actions": list(node.actions),
                "targets": list(node.targets),
                "label": sc.label_of("node", nid),
                "action_labels": [sc.action_label(nid, a) for a in node.actions],
            }
        return {
            "name": sc.name,
            "title": sc.title,
            "path": self.path,
            "defaults": {
                "draws": min(EXPLORE_DRAWS, MAX_DRAWS),
                "seed": sc.simulation.seed or 1,
                "solver": sc.simulation.solver,
                "rationality": sc.simulation.rationality,
            },
            "parameters": params,
            "traps": [
                {"id": t.id, "title": sc.label_of("trap", t.id), "description": t.description, "given": _given(t)}
                for t in sc.traps
            ],
            "actors": {a.id: a.name for a in sc.actors},
            "tree": {
                "root": sc.root,
                "nodes": nodes,
                "outcomes": {o: sc.label_of("outcome", o) for o in sc.outcomes},
                "places": places if len(places) <= MAX_TREE_POSITIONS else None,
            },
            "max_draws": MAX_DRAWS,
        }


def _given(trap: Any) -> str | None:
    """Where a conditional trap's ``given`` holds, in words (``None`` for a trap counted over all draws)."""
    given = getattr(trap, "given", None)
    return None if given is None else (getattr(trap, "given_label", "") or given.source)


def _edges(res: Any) -> dict[str, list[float]]:
    """Share of all draws taking each branch: ``{node: [share per action]}``."""
    return {node: [c / res.draws for c in counts] for node, counts in res.edge_counts.items()}
