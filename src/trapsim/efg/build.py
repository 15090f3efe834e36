"""Turn a parsed ``.efg`` game into a trapsim scenario (and a TOML file).

The game is first written as the plain data a TOML scenario file would hold
(:func:`scenario_data`); that data then goes through the same validator as
every TOML file, so an ``.efg`` file yields exactly the scenario its TOML
conversion (:func:`to_toml`) would.

Naming (deterministic, so the same file always gives the same ids):

* players become actors; ids are made from their names (lower-case, accents
  dropped, any other character ``_``, ``player_`` in front of a leading
  digit, ``_`` after a reserved word, ``_2``, ``_3``... for repeats);
* inner nodes take their label, else ``n<k>`` with ``k`` the node's place in
  the file's prefix order (1 = root);
* every terminal node becomes its own outcome row, named after its label,
  else its outcome's label, else ``t<k>``; its payoffs are the sum of the
  outcomes met on the path (Gambit's rule for outcomes at inner nodes);
* node and outcome ids share one namespace and never collide.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

from trapsim.efg.reader import EfgGame, EfgNode, parse_efg
from trapsim.errors import Problem, ScenarioError
from trapsim.expressions import FUNCTIONS, KEYWORDS, PATH_FUNCTIONS
from trapsim.model import Scenario
from trapsim.output import protect_input
from trapsim.scenario import validate
from trapsim.scenario.loading import MAX_FILE_BYTES

__all__ = [
    "efg_text_to_toml",
    "efg_to_toml",
    "exact_value",
    "load_efg",
    "loads_efg",
    "make_ident",
    "scenario_data",
    "to_toml",
]

_RESERVED = frozenset(FUNCTIONS) | frozenset(PATH_FUNCTIONS) | frozenset(KEYWORDS)
_MAX_LITERAL = 10**15  # the expression language's largest literal


def make_ident(text: str, *, prefix: str) -> str:
    """An identifier ``[a-z][a-z0-9_]*`` made from free text ('' if nothing is left).

    >>> make_ident("Player 1", prefix="player_"), make_ident("1", prefix="player_")
    ('player_1', 'player_1')
    >>> make_ident("Côte d'Ivoire", prefix="p_"), make_ident("max", prefix="p_")
    ('cote_d_ivoire', 'max_')
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    ident = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if not ident:
        return ""
    if ident[0].isdigit():
        ident = prefix + ident
    if ident in _RESERVED:
        ident += "_"
    return ident


class _Names:
    """Hands out unique ids: the wanted one, else ``wanted_2``, ``wanted_3``, ..."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.used = set(taken)

    def take(self, wanted: str) -> str:
        name, k = wanted, 2
        while name in self.used:
            name, k = f"{wanted}_{k}", k + 1
        self.used.add(name)
        return name


def exact_value(x: Fraction) -> int | float | str:
    """A TOML value for an exact number: an int, a float when that is exact
    enough (a terminating decimal), or an expression such as ``"1/3"``."""
    if x.denominator == 1 and abs(x) <= _MAX_LITERAL:
        return int(x)
    den = x.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den == 1 or max(abs(x.numerator), x.denominator) > _MAX_LITERAL:
        return float(x)  # a terminating decimal: the nearest float, as TOML would read it
    return f"{x.numerator}/{x.denominator}"


def _action_names(actions: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for k, action in enumerate(actions, start=1):
        name = action.strip() or str(k)
        if name in out:
            name = f"{name} ({k})"
        out.append(name)
    return out


def _not_perfect_information(game: EfgGame, file: str) -> list[Problem]:
    members: dict[tuple[int, int], list[EfgNode]] = {}
    for node in game.root.preorder():
        if node.kind == "p":
            members.setdefault((node.player, node.infoset), []).append(node)
    out = []
    for (player, infoset), nodes in members.items():
        if len(nodes) < 2:
            continue
        label = f' ("{nodes[0].infoset_label}")' if nodes[0].infoset_label else ""
        lines = ", ".join(str(n.line) for n in nodes)
        who = f'player {player} ("{game.players[player - 1]}")'
        out.append(
            Problem(
                file,
                f"{who}, information set {infoset}{label}",
                f"holds {len(nodes)} nodes (lines {lines}): the game has imperfect information, and "
                "trapsim solves only perfect-information games (every decision node its own "
                "information set)",
            )
        )
    return out


def scenario_data(game: EfgGame, *, file: str = "<string>", name: str = "game") -> dict[str, Any]:
    """The TOML-equivalent data of a perfect-information game.

    Raises
    ------
    ScenarioError
        When the game is not of perfect information (naming each player and
        information set at fault), has no players, or no move at all.
    """
    if not game.players:
        raise ScenarioError.single(file, "players", "the game lists no players")
    if game.root.kind == "t":
        raise ScenarioError.single(file, "", "the game has no move: its root is a terminal node")
    problems = _not_perfect_information(game, file)
    if problems:
        raise ScenarioError(problems)

    actor_names = _Names()
    actors: dict[str, dict[str, str]] = {}
    actor_of: list[str] = []
    for k, player in enumerate(game.players, start=1):
        aid = actor_names.take(make_ident(player, prefix="player_") or f"player_{k}")
        actors[aid] = {"name": player or f"Player {k}"}
        actor_of.append(aid)

    ids = _Names()
    node_id: dict[int, str] = {}
    nodes: dict[str, dict[str, Any]] = {}
    payoffs: dict[str, dict[str, int | float | str]] = {}
    order = list(game.root.preorder())
    for k, node in enumerate(order, start=1):
        if node.kind == "t":
            outcome = game.outcomes.get(node.outcome)
            base = make_ident(node.label, prefix="o_") or (make_ident(outcome.label, prefix="o_") if outcome else "")
            node_id[id(node)] = ids.take(base or f"t{k}")
        else:
            node_id[id(node)] = ids.take(make_ident(node.label, prefix="n_") or f"n{k}")

    # payoffs summed along each path (outcomes at inner nodes count too)
    zero = (Fraction(0),) * len(game.players)
    stack: list[tuple[EfgNode, tuple[Fraction, ...]]] = [(game.root, zero)]
    while stack:
        node, acc = stack.pop()
        if node.outcome:
            add = game.outcomes[node.outcome].payoffs
            acc = tuple(a + b for a, b in zip(acc, add, strict=True))
        nid = node_id[id(node)]
        if node.kind == "t":
            payoffs[nid] = {a: exact_value(v) for a, v in zip(actor_of, acc, strict=True)}
            continue
        actions = _action_names(node.actions)
        spec: dict[str, Any] = {}
        if node.kind == "p":
            spec["actor"] = actor_of[node.player - 1]
        else:
            spec["chance"] = {a: exact_value(p) for a, p in zip(actions, node.probs, strict=True)}
        spec["next"] = {a: node_id[id(c)] for a, c in zip(actions, node.children, strict=True)}
        if node.label.strip() and node.label.strip() != nid:
            spec["label"] = node.label
        nodes[nid] = spec
        stack.extend((c, acc) for c in reversed(node.children))
    # keep the file's prefix order for nodes and outcomes
    nodes = {node_id[id(n)]: nodes[node_id[id(n)]] for n in order if n.kind != "t"}
    payoffs = {node_id[id(n)]: payoffs[node_id[id(n)]] for n in order if n.kind == "t"}

    meta: dict[str, Any] = {"name": name, "title": game.title.strip() or name, "root": node_id[id(game.root)]}
    if game.comment.strip():
        meta["description"] = game.comment.strip()
    return {"scenario": meta, "actors": actors, "nodes": nodes, "payoffs": payoffs}


def _scenario_name(path: str) -> str:
    return make_ident(Path(path).stem, prefix="game_") or "game"


def loads_efg(text: str, *, path: str = "<string>") -> Scenario:
    """Read the text of an ``.efg`` file as a scenario (no parameters, no traps)."""
    game = parse_efg(text, path=path)
    data = scenario_data(game, file=path, name=_scenario_name(path))
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return validate(path, data, sha=sha)


def _read(path: str | Path) -> str:
    name = str(path)
    try:
        with Path(path).open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError.single(name, "", f"cannot read file: {exc.strerror or exc}") from None
    protect_input(path)
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError.single(
            name, "", f"file larger than {MAX_FILE_BYTES // 2**20} MiB (the limit of a scenario)"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # older Gambit files are not always UTF-8


def load_efg(path: str | Path) -> Scenario:
    """Read a Gambit ``.efg`` file as a scenario.

    Raises
    ------
    ScenarioError
        On a syntax error (with line and column), or a game trapsim cannot
        solve (imperfect information).
    """
    return loads_efg(_read(path), path=str(path))


# ------------------------------------------------------------------ TOML


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _string(key)


def _string(text: str) -> str:
    if "\n" not in text.strip("\n"):
        return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")
    body = "".join(
        c
        if c in "\n\t" or (c >= " " and c != "\x7f" and c not in '"\\')
        else "\\" + c
        if c in '"\\'
        else f"\\u{ord(c):04x}"
        for c in text
    )
    return '"""\n' + body + '"""'  # multi-line text stays readable


def _value(value: Any) -> str:
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value} to TOML")
        return repr(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def to_toml(data: dict[str, Any], *, header: str = "") -> str:
    """Write scenario data (as built by :func:`scenario_data`) as TOML text."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    if lines:
        lines.append("")
    for section in ("scenario", "actors", "nodes", "payoffs"):
        table = data.get(section)
        if not table:
            continue
        if section == "scenario":
            lines.append("[scenario]")
            lines.extend(f"{_key(k)} = {_value(v)}" for k, v in table.items())
        elif section == "payoffs":
            lines.append("[payoffs]")
            lines.extend(f"{_key(k)} = {_value(v)}" for k, v in table.items())
        else:
            for k, spec in table.items():
                lines.append(f"[{section}.{_key(k)}]")
                lines.extend(f"{_key(f)} = {_value(v)}" for f, v in spec.items())
                lines.append("")
            continue
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def efg_text_to_toml(text: str, *, path: str = "<string>") -> str:
    """The starting scenario TOML for the text of an ``.efg`` file."""
    game = parse_efg(text, path=path)
    data = scenario_data(game, file=path, name=_scenario_name(path))
    header = (
        f"Converted by trapsim from {Path(path).name} (Gambit .efg).\n"
        "Next steps: add uncertain inputs under [parameters], e.g.\n"
        '  cost = { dist = "uniform", low = 0, high = 2 }\n'
        'then use their names in [payoffs] or chance probabilities ("1 - p"),\n'
        "and name the events to count under [traps]."
    )
    return to_toml(data, header=header)


def efg_to_toml(path: str | Path) -> str:
    """The starting scenario TOML for an ``.efg`` file."""
    return efg_text_to_toml(_read(path), path=str(path))
