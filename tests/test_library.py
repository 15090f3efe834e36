"""The bundled scenario library: every file validates, runs and is documented."""

from __future__ import annotations

import itertools
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

import trapsim
from trapsim.explain import explain
from trapsim.scenario import loads

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
FILES = sorted(SCENARIOS.glob("*.toml"))
DRAWS = 40_000
BASE = "defense_clause"

# Each counterfactual of the library changes one thing (its header says which); the
# tables and keys it may differ in from defense_clause.toml, and nothing else.
ONE_CHANGE: dict[str, set[str]] = {
    "no_defense_clause": {"parameters.refuse_cost"},
    "ceasefire": {"parameters.war_on_prob"},
    # the move order: China answers the gain, Russia calls after China
    "china_pressure": {"nodes.ua_gains", "nodes.russia_call", "nodes.china_reply"},
    # the move order: the DPRK offers first; "troops went" becomes "Moscow accepted"
    "client_offers": {
        "nodes.ua_gains",
        "nodes.china_reply",
        "nodes.dprk_answer",
        "nodes.fight",
        "payoffs.retaken",
        "payoffs.held",
        "traps.entrapment",
        "traps.strong_putin_trap",
        "traps.kim_trap",
    },
    # Pyongyang's beliefs, the one parameter they use, and the trap that reads them
    "kim_misperception": {"beliefs.dprk", "parameters.vietnam_optimism", "traps.kim_surprise"},
}


def _rates(path: Path) -> tuple[trapsim.Scenario, dict[str, float | None]]:
    sc = trapsim.load(str(path))
    res = trapsim.simulate(sc, draws=DRAWS)
    traps = res.to_dict()["traps"]
    return sc, {t.id: traps[t.id]["rate"] for t in sc.traps}


def _comment_above(text: str, key: str) -> str:
    """The comment lines written directly above ``[key]`` in a TOML file."""
    lines = text[: text.index(f"[{key}]")].rstrip("\n").splitlines()
    out = []
    for line in reversed(lines):
        if not line.startswith("#"):
            break
        out.append(line.lstrip("# "))
    return " ".join(reversed(out))


def _tables(path: Path) -> dict[str, Any]:
    """``table.key`` -> value for the game-defining tables of a scenario file."""
    doc = tomllib.loads(path.read_text())
    flat: dict[str, Any] = {}
    for table in ("parameters", "derived", "nodes", "payoffs", "worlds", "traps", "beliefs"):
        for key, value in doc.get(table, {}).items():
            flat[f"{table}.{key}"] = value
    return flat


def test_library_is_complete() -> None:
    names = {p.stem for p in FILES}
    assert {BASE, "defense_clause_ex_ante", "vietnam_analogy", *ONE_CHANGE} <= names
    readme = (SCENARIOS / "README.md").read_text()
    for name in names:
        assert f"[`{name}`]({name}.toml)" in readme, f"{name} missing from scenarios/README.md"


@pytest.mark.parametrize("name", sorted(ONE_CHANGE))
def test_each_counterfactual_changes_one_thing(name: str) -> None:
    base, variant = _tables(SCENARIOS / f"{BASE}.toml"), _tables(SCENARIOS / f"{name}.toml")
    changed = {k for k in base.keys() | variant.keys() if base.get(k) != variant.get(k)}
    assert changed == ONE_CHANGE[name]
    header = (SCENARIOS / f"{name}.toml").read_text().split("[scenario]")[0]
    assert "ONE change" in header, "the header says what the one change is"


def test_ex_ante_file_replaces_exactly_the_hindsight_priors() -> None:
    """The default marks its hindsight priors; the ex-ante file replaces those and only those."""
    base = trapsim.load(str(SCENARIOS / f"{BASE}.toml"))
    hindsight = {p.name for p in base.parameters if p.hindsight}
    assert hindsight, "the default leans on some later sources, and says so"
    ex_ante = trapsim.load(str(SCENARIOS / "defense_clause_ex_ante.toml"))
    assert not [p.name for p in ex_ante.parameters if p.hindsight]
    a, b = _tables(SCENARIOS / f"{BASE}.toml"), _tables(SCENARIOS / "defense_clause_ex_ante.toml")
    changed = {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
    assert changed == {f"parameters.{p}" for p in hindsight}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_validates_runs_and_is_documented(path: Path) -> None:
    text = path.read_text()
    header = text[: text.index("[scenario]")]
    assert "question" in header.lower(), "the header comment states the question it answers"
    assert re.search(r"sources?", header, re.I), "the header comment names its sources"
    sc, rates = _rates(path)
    assert sc.sources, "scenario.sources lists where the numbers come from"
    assert len(sc.traps) >= 2
    # the Putin-trap and Kim-trap patterns (the first trap, and the regret trap) are
    # never certain or impossible
    main = [sc.traps[0].id, next(t.id for t in sc.traps if t.id in ("kim_trap", "client_trap"))]
    for trap in main:
        assert rates[trap] is not None and 0 < rates[trap] < 1, f"{trap}: rate {rates[trap]}"
    # any other trap that never (or always) fires says why in its comment
    for trap in sc.traps:
        if trap.id not in main and rates[trap.id] in (0.0, 1.0, None):
            comment = _comment_above(text, f"traps.{trap.id}")
            assert re.search(r"\b(zero|never|always|by construction)\b", comment, re.I), (
                f"{trap.id} has rate {rates[trap.id]} and no comment explaining why"
            )
    # and the game can be told in words
    assert sc.title in explain(sc).text()


def test_variants_move_the_putin_trap_as_expected() -> None:
    """Less Putin trap without the clause; the same deployments when Beijing moves first.

    china_pressure only moves China's decision before Russia's. Under spe Beijing's
    later restraint is credible exactly when an early commitment would be worth making
    (it stops the troops and china_stake > china_chill), and Moscow looks ahead either
    way, so every draw ends with the same deployment decision (same seed, same streams).
    """
    runs = {
        name: trapsim.simulate(trapsim.load(str(SCENARIOS / f"{name}.toml")), draws=DRAWS)
        for name in (BASE, "no_defense_clause", "china_pressure")
    }
    rate = {name: r.rate("putin_trap") for name, r in runs.items()}
    assert rate["no_defense_clause"] < 0.9 * rate[BASE], rate
    assert runs["china_pressure"].trap_counts == runs[BASE].trap_counts | {
        "abandonment": runs["china_pressure"].trap_counts["abandonment"]
    }
    assert runs["china_pressure"].outcome_counts == runs[BASE].outcome_counts


def test_vietnam_client_trap_is_rarer_than_kim_trap() -> None:
    """The pattern Kim bets on: Seoul regretted its deployment far less often than Pyongyang."""
    _, vn = _rates(SCENARIOS / "vietnam_analogy.toml")
    _, dc = _rates(SCENARIOS / f"{BASE}.toml")
    assert vn["client_trap"] < 0.25 * dc["kim_trap"]


def _joint(trap: dict[str, Any]) -> str:
    when = f"({trap['when']})"
    return f"({trap['given']}) and {when}" if "given" in trap else when


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_no_two_traps_count_the_same_draws(path: Path) -> None:
    """Over 100,000 draws, every pair of traps differs in at least one draw.

    The check adds one trap per pair that fires when exactly one of the two does
    (their conditions joined with `given`), and counts it.
    """
    text = path.read_text()
    traps = tomllib.loads(text)["traps"]
    extra = []
    for (a, ta), (b, tb) in itertools.combinations(traps.items(), 2):
        ja, jb = _joint(ta), _joint(tb)
        extra.append(f"[traps.differ_{a}__{b}]\nwhen = '({ja} and not ({jb})) or ({jb} and not ({ja}))'\n")
    sc = loads(text + "\n" + "\n".join(extra), path=str(path))
    res = trapsim.simulate(sc, draws=100_000)
    same = [t.id for t in sc.traps if t.id.startswith("differ_") and res.rate(t.id) == 0.0]
    assert not same, f"traps that count the same draws: {same}"
