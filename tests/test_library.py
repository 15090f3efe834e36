"""The bundled scenario library: every file validates, runs and is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import trapsim
from trapsim.explain import explain

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
FILES = sorted(SCENARIOS.glob("*.toml"))
DRAWS = 40_000


def _rates(path: Path) -> tuple[trapsim.Scenario, dict[str, float]]:
    sc = trapsim.load(str(path))
    res = trapsim.simulate(sc, draws=DRAWS)
    return sc, {t.id: res.rate(t.id) for t in sc.traps}


def _comment_above(text: str, key: str) -> str:
    """The comment lines written directly above ``[key]`` in a TOML file."""
    lines = text[: text.index(f"[{key}]")].rstrip("\n").splitlines()
    out = []
    for line in reversed(lines):
        if not line.startswith("#"):
            break
        out.append(line.lstrip("# "))
    return " ".join(reversed(out))


def test_library_is_complete() -> None:
    names = {p.stem for p in FILES}
    assert {"defense_clause", "no_defense_clause", "china_pressure", "ceasefire", "vietnam_analogy"} <= names
    readme = (SCENARIOS / "README.md").read_text()
    for name in names:
        assert f"[`{name}`]({name}.toml)" in readme, f"{name} missing from scenarios/README.md"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_validates_runs_and_is_documented(path: Path) -> None:
    text = path.read_text()
    header = text[: text.index("[scenario]")]
    assert "question" in header.lower(), "the header comment states the question it answers"
    assert re.search(r"sources?", header, re.I), "the header comment names its sources"
    sc, rates = _rates(path)
    assert sc.sources, "scenario.sources lists where the numbers come from"
    assert len(sc.traps) >= 2
    # the two main traps (the Putin-trap and Kim-trap patterns) are never certain or impossible
    for trap in sc.traps[:2]:
        assert 0 < rates[trap.id] < 1, f"{trap.id}: rate {rates[trap.id]}"
    # any other trap that never (or always) fires says why in its comment
    for trap in sc.traps[2:]:
        if rates[trap.id] in (0.0, 1.0):
            comment = _comment_above(text, f"traps.{trap.id}")
            assert re.search(r"\b(zero|never|always|by construction)\b", comment, re.I), (
                f"{trap.id} has rate {rates[trap.id]} and no comment explaining why"
            )
    # and the game can be told in words
    assert sc.title in explain(sc).text()


def test_variants_move_the_putin_trap_as_expected() -> None:
    """Domain notes 3.6: less Putin trap without the clause, under Chinese pressure, with a freeze."""
    rate = {
        name: _rates(SCENARIOS / f"{name}.toml")[1]["putin_trap"]
        for name in ("defense_clause", "no_defense_clause", "china_pressure", "ceasefire")
    }
    for variant in ("no_defense_clause", "china_pressure", "ceasefire"):
        assert rate[variant] < 0.8 * rate["defense_clause"], (variant, rate)


def test_vietnam_client_trap_is_rarer_than_kim_trap() -> None:
    """The pattern Kim bets on: Seoul regretted its deployment far less often than Pyongyang does."""
    _, vn = _rates(SCENARIOS / "vietnam_analogy.toml")
    _, dc = _rates(SCENARIOS / "defense_clause.toml")
    assert vn["client_trap"] / vn["patron_trap"] < 0.25 * dc["kim_trap"] / dc["putin_trap"]
