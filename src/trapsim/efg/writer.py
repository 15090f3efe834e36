"""Write a scenario's game as a Gambit ``.efg`` file (version 2, rational).

The game is evaluated once, with every parameter at its central value (or as
given), and written as Gambit writes files: full descriptions everywhere,
payoffs separated by ``, ``, the comment on line 2. Every decision node is its
own information set (the games are of perfect information); node labels are
unique (node and outcome ids, with `` (2)``, `` (3)``... for an outcome row
reached from several places); labels of players, actions, nodes and outcomes
are printable ASCII with single spaces, as Gambit 16.7 demands (accents and
typographic dashes and quotes are folded: "Côte" becomes "Cote"; the title and
comment are folded too, since pygambit cannot return non-ASCII text); chance
probabilities are exact fractions that sum to exactly 1, as pygambit 16.7
demands.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from fractions import Fraction

from trapsim.efg.reader import MAX_MAGNITUDE
from trapsim.equilibrium import game_at
from trapsim.errors import RunError
from trapsim.model import Scenario

__all__ = ["ROUNDING", "chance_fractions", "simple_fraction", "write_efg"]

#: Numbers within this (relative) distance of a simple fraction are written as
#: that fraction: float noise such as 0.1 + 0.2 = 0.30000000000000004 is dropped,
#: so values that tie in trapsim (within solver.TIE_TOLERANCE) tie in Gambit too.
ROUNDING = 1e-12
_DENOMINATORS = (10, 100, 1000, 10_000)  # larger ones approximate anything to 1e-12


def simple_fraction(x: float, *, tol: float = ROUNDING) -> Fraction:
    """The simplest fraction within ``tol * max(1, |x|)`` of ``x``, else ``x`` exactly.

    >>> simple_fraction(0.1 + 0.2), simple_fraction(1 / 3), simple_fraction(0.2318396577369)
    (Fraction(3, 10), Fraction(1, 3), Fraction(2318396577369, 10000000000000))
    """
    exact = Fraction(x)
    if exact.denominator == 1:
        return exact
    scale = max(1.0, abs(x))
    for den in _DENOMINATORS:
        f = exact.limit_denominator(den)
        if abs(f - exact) <= tol * scale:
            return f
    return Fraction(repr(x))  # the shortest decimal that reads back as x


def chance_fractions(probs: Sequence[float]) -> list[Fraction]:
    """Exact fractions for chance probabilities, summing to exactly 1.

    Each probability becomes the simplest fraction within 1e-12 of it (see
    :func:`simple_fraction`); what is left of the sum (at most the rounding,
    as trapsim checks sums to 1e-9) goes to the largest branch.

    >>> [str(f) for f in chance_fractions([1/3, 1/3, 1/3])]
    ['1/3', '1/3', '1/3']
    >>> [str(f) for f in chance_fractions([0.35 - 2**-54, 0.65 + 2**-54])]
    ['7/20', '13/20']
    >>> [str(f) for f in chance_fractions([0.1, 0.2, 0.7000000001])]
    ['1/10', '1/5', '7/10']
    """
    fracs = [simple_fraction(float(p)) for p in probs]
    rest = 1 - sum(fracs)
    if rest:
        big = max(range(len(fracs)), key=lambda k: fracs[k])
        fracs[big] += rest
    return fracs


_PUNCTUATION = str.maketrans(
    {"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2026": "..."}
)


def _text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ascii(text: str) -> str:
    """Text folded to printable ASCII and newlines ("Côte d\u2019Ivoire" -> "Cote d'Ivoire")."""
    text = unicodedata.normalize("NFKD", text.translate(_PUNCTUATION))
    return "".join(c for c in text if " " <= c <= "~" or c == "\n")


def _label(text: str) -> str:
    """A label as Gambit 16.7 accepts it: printable ASCII, single spaces, no space at the ends."""
    return " ".join(_ascii(text).split())


def _labels(texts: Sequence[str], fallback: Sequence[str]) -> list[str]:
    """Gambit labels for names that must stay distinct (players, a node's actions)."""
    out: list[str] = []
    for k, (text, other) in enumerate(zip(texts, fallback, strict=True), start=1):
        label = _label(text) or other
        if label in out:
            label = f"{label} ({k})"
        out.append(label)
    return out


def _number(x: float) -> str:
    """A payoff: an integer, a terminating decimal, or a fraction such as 1/3."""
    f = simple_fraction(float(x))
    if f.denominator == 1:
        return str(f.numerator)
    decimal = repr(float(f))
    if "e" not in decimal and Fraction(decimal) == f:
        return decimal
    return f"{f.numerator}/{f.denominator}"


def _payoff(scenario: Scenario, outcome: str, actor: int, x: float) -> str:
    """A payoff as written, or a RunError if trapsim's reader (like a scenario file) could not hold it."""
    if not abs(x) <= MAX_MAGNITUDE:
        raise RunError(
            f"the payoff of {scenario.actor_ids[actor]} is {x:.6g} at the values exported; .efg files "
            "hold payoffs up to 1e15 in size (trapsim reads them back as it reads numbers in scenario files); "
            "rescale the payoffs (e.g. in thousands)",
            file=scenario.path or "",
            key=f"payoffs.{outcome}.{scenario.actor_ids[actor]}",
        )
    return _number(x)


def write_efg(scenario: Scenario, *, values: Mapping[str, float] | None = None) -> str:
    """The scenario's game at one parameter vector, as ``.efg`` text.

    Parameters
    ----------
    values
        Parameter values to use instead of the central values.

    Returns
    -------
    str
        The file's content (``EFG 2 R``), readable by Gambit and pygambit 16.7,
        and by trapsim's own reader (:func:`trapsim.efg.loads_efg`).

    Raises
    ------
    RunError
        If a payoff at these values is beyond 1e15 in size (trapsim's reader refuses such numbers).
    """
    game = game_at(scenario, values)
    tree = game.model.tree
    players = _labels([a.name for a in scenario.actors], [a.id for a in scenario.actors])
    title = _label(scenario.title) or scenario.name
    lines = [f"EFG 2 R {_text(title)} {{ {' '.join(_text(p) for p in players)} }}"]
    fixed = ", ".join(f"{k} = {v:g}" for k, v in game.values.items())
    note = f"Exported by trapsim from {scenario.path or scenario.name}" + (f" with {fixed}" if fixed else "") + "."
    comment = "\n".join(part for part in (scenario.description.strip(), note) if part)
    lines.append(_text(_ascii(comment)))
    lines.append("")
    infoset = dict.fromkeys(range(-1, len(scenario.actors)), 0)
    seen: dict[str, int] = {}
    for i, pos in enumerate(tree.positions):  # the unfolded tree: one copy of a shared node per history
        name = _label(pos.name) or pos.id  # a copy name holds action names: fold them to ASCII
        if pos.kind == "leaf":
            seen[name] = seen.get(name, 0) + 1
            label = name if seen[name] == 1 else f"{name} ({seen[name]})"
            pay = ", ".join(_payoff(scenario, pos.id, a, float(v)) for a, v in enumerate(game.payoffs[pos.row, :, 0]))
            lines.append(f"t {_text(label)} {pos.row + 1} {_text(pos.id)} {{ {pay} }}")
            continue
        infoset[pos.owner] += 1
        actions = _labels(pos.actions, [str(k) for k in range(1, len(pos.actions) + 1)])
        if pos.kind == "chance":
            probs = chance_fractions([float(p) for p in game.chance[i][:, 0]])
            moves = " ".join(f"{_text(a)} {p}" for a, p in zip(actions, probs, strict=True))
            lines.append(f"c {_text(name)} {infoset[-1]} {_text(name)} {{ {moves} }} 0")
        else:
            moves = " ".join(_text(a) for a in actions)
            lines.append(f"p {_text(name)} {pos.owner + 1} {infoset[pos.owner]} {_text(name)} {{ {moves} }} 0")
    return "\n".join(lines) + "\n"
