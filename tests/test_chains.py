"""Chains of commitment on small hand-made actor graphs (answers worked out by hand)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import trapsim
from trapsim.chains import commitment_chains
from trapsim.model import Actor, Relation, Scenario

DATA = Path(__file__).parent / "data"


def _with_graph(actors: str, relations: list[Relation], **kw: object) -> Scenario:
    """The simple test scenario with its actor graph replaced (the game is irrelevant here)."""
    base = trapsim.load(DATA / "simple.toml")
    acts = tuple(Actor(a, a.upper()) for a in actors.split())
    return dataclasses.replace(base, actors=acts, relations=tuple(relations), **kw)


def rel(a: str, b: str, kind: str = "alliance", *, directed: bool = True, label: str = "") -> Relation:
    return Relation(a, b, kind, label, 1.0, directed)


def test_no_war_means_no_chains() -> None:
    sc = _with_graph("a b", [rel("a", "b")])
    assert commitment_chains(sc) == {"a": None, "b": None}


def test_parties_at_war_are_zero_steps_and_unconnected_actors_have_none() -> None:
    sc = _with_graph("r u x", [rel("r", "u", "war", directed=False)])
    ch = commitment_chains(sc)
    assert ch["r"] is not None and ch["r"].steps == 0
    assert ch["u"] is not None and ch["u"].steps == 0
    assert ch["x"] is None


def test_one_and_two_steps_follow_directed_commitments() -> None:
    sc = _with_graph(
        "russia ukraine dprk china",
        [
            rel("russia", "ukraine", "war", directed=False),
            rel("russia", "dprk", "alliance", directed=False, label="2024 treaty"),
            rel("china", "dprk", "patronage", label="1961 treaty"),
        ],
    )
    ch = commitment_chains(sc)
    assert ch["dprk"] is not None and ch["dprk"].actors == ("dprk", "russia")
    china = ch["china"]
    assert china is not None and china.actors == ("china", "dprk", "russia")
    assert [r.label for r in china.relations] == ["1961 treaty", "2024 treaty"]
    text = china.describe({"china": "China", "dprk": "North Korea", "russia": "Russia"})
    assert text == (
        "China is two commitment steps from the war: China → North Korea (1961 treaty) → "
        "Russia (2024 treaty); Russia is at war."
    )


def test_direction_matters_for_directed_edges() -> None:
    # b is committed to a, c to b, and a is at war (with w_, an actor outside the list).
    sc = _with_graph("a b c", [rel("a", "w_", "war"), rel("b", "a"), rel("c", "b")])
    ch = commitment_chains(sc)
    assert ch["b"] is not None and ch["b"].actors == ("b", "a")
    assert ch["c"] is not None and ch["c"].actors == ("c", "b", "a")
    # Reverse the edges: a is committed to b and b to c; nobody but a is at war, so b and c have no chain.
    sc2 = _with_graph("a b c", [rel("a", "w_", "war"), rel("a", "b"), rel("b", "c")])
    ch2 = commitment_chains(sc2)
    assert ch2["a"] is not None and ch2["a"].steps == 0
    assert ch2["b"] is None and ch2["c"] is None


def test_cycles_terminate_and_pick_the_shortest_chain() -> None:
    sc = _with_graph(
        "a b c w",
        [
            rel("w", "c", "war"),
            rel("a", "b"),
            rel("b", "a"),  # a cycle between a and b
            rel("b", "c"),
            rel("a", "c", "support"),  # the shortcut
        ],
    )
    ch = commitment_chains(sc)
    assert ch["a"] is not None and ch["a"].actors == ("a", "c")
    assert ch["b"] is not None and ch["b"].actors == ("b", "c")


def test_only_commitment_kinds_count_and_kinds_are_configurable() -> None:
    rels = [rel("w", "c", "war"), rel("a", "c", "supply")]
    assert commitment_chains(_with_graph("a c w", rels))["a"] is None
    assert commitment_chains(_with_graph("a c w", rels), kinds=["supply"])["a"] is not None
    sc = _with_graph("a c w", rels, commitment_kinds=("supply",))
    chain = commitment_chains(sc)["a"]
    assert chain is not None and chain.steps == 1


@pytest.mark.parametrize("directed", [True, False])
def test_mutual_edges_are_followed_both_ways(directed: bool) -> None:
    sc = _with_graph("a b w", [rel("w", "a", "war"), rel("a", "b", directed=directed)])
    got = commitment_chains(sc)["b"]
    assert (got is not None) == (not directed)


def test_commitment_kinds_are_read_from_the_scenario_table(tmp_path: Path) -> None:
    text = (DATA / "simple.toml").read_text(encoding="utf-8")
    text = text.replace('root = "entrant"', 'root = "entrant"\ncommitment_kinds = ["supply"]', 1)
    text += '\n[[relations]]\nfrom = "ent"\nto = "inc"\nkind = "war"\n'
    path = tmp_path / "kinds.toml"
    path.write_text(text, encoding="utf-8")
    sc = trapsim.load(path)
    assert sc.commitment_kinds == ("supply",)
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('["supply"]', '"supply"'), encoding="utf-8")
    with pytest.raises(trapsim.ScenarioError, match=r"scenario\.commitment_kinds: expected a list of text values"):
        trapsim.load(bad)


def test_explain_tells_the_chains_of_the_default_scenario() -> None:
    from trapsim.explain import explain

    sc = trapsim.load(Path(__file__).parents[1] / "scenarios" / "defense_clause.toml")
    ex = explain(sc)
    chains = ex.to_dict()["chains"]
    # In the bundled graph Russia and Ukraine are at war; North Korea is allied to Russia (one step).
    assert chains["russia"]["steps"] == 0
    assert chains["dprk"]["actors"] == ["dprk", "russia"]
    assert "Chains of commitment" in ex.text()


def test_actor_graph_figure_names_the_chains() -> None:
    from trapsim.figures import plot_actor_graph

    sc = trapsim.load(Path(__file__).parents[1] / "scenarios" / "defense_clause.toml")
    fig = plot_actor_graph(sc)
    texts = " ".join(" ".join(t.get_text().split()) for t in fig.texts)
    assert "chains of commitment to the war:" in texts and "China → North Korea" in texts
