"""The explorer's JSON API: /api/run equals `trapsim run --json`; every bad request gets its 4xx."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from trapsim.cli import main
from webtools import request, serving

ROOT = Path(__file__).parent.parent
DEFENSE = str(ROOT / "tests" / "data" / "defense_clause_v1.toml")
POLL = str(Path(__file__).parent / "data" / "poll.toml")


def _cli_json(path: str, args: list[str]) -> dict:
    out = CliRunner().invoke(main, ["run", path, "--json", *args])
    assert out.exit_code == 0, out.output
    return dict(json.loads(out.output))


def _same(web: dict, cli: dict) -> None:
    web["meta"].pop("elapsed_s")
    cli["meta"].pop("elapsed_s")
    assert web == cli
    assert list(web) == list(cli)  # same keys in the same order


@pytest.fixture(scope="module")
def explorer():
    with serving(DEFENSE) as app:
        yield app


@pytest.mark.parametrize(
    ("body", "args"),
    [
        ({"draws": 3000, "seed": 5}, ["--draws", "3000", "--seed", "5"]),
        (
            {"draws": 2000, "seed": 1, "set": {"deliver_prob": 1, "p_gain": 0.45}},
            ["--draws", "2000", "--seed", "1", "--set", "deliver_prob=1", "--set", "p_gain=0.45"],
        ),
        (
            {"draws": 2000, "seed": 9, "solver": "qre", "rationality": 4.5},
            ["--draws", "2000", "--seed", "9", "--solver", "qre", "--rationality", "4.5"],
        ),
        ({"draws": 1500}, ["--draws", "1500"]),  # no seed: the scenario's, as on the command line
    ],
)
def test_api_run_equals_run_json(explorer, body, args):
    status, doc = request(explorer.port, "POST", "/api/run", body)
    assert status == 200
    _same(doc, _cli_json(DEFENSE, args))


def test_explore_carries_the_reproducing_command_and_the_baseline(explorer):
    status, doc = request(explorer.port, "POST", "/api/explore", {"draws": 2000, "seed": 4, "set": {"escape": 0.3}})
    assert status == 200
    assert doc["command"] == f"trapsim run {DEFENSE} --draws 2000 --seed 4 --set escape=0.3"
    cli = _cli_json(DEFENSE, doc["command"].split()[3:])
    _same(doc["run"], cli)
    assert "values" not in doc["baseline"] and doc["baseline"]["seed"] == 4
    # branch shares: each node's shares add up to the share of draws reaching it
    assert sum(doc["edges"]["ua_move"]) == pytest.approx(1.0)


BAD = [
    ("POST", "/api/run", b"{not json", 400, "malformed JSON"),
    ("POST", "/api/run", b"[1, 2]", 400, "expected a JSON object"),
    ("POST", "/api/run", b'{"draws": NaN}', 400, "malformed JSON"),
    ("POST", "/api/run", b'{"drawz": 10}', 400, 'unknown key "drawz"'),
    (
        "POST",
        "/api/run",
        b'{"set": {"deliver_prb": 1}}',
        400,
        "set.deliver_prb: unknown parameter 'deliver_prb' (did you mean 'deliver_prob'?)",
    ),
    ("POST", "/api/run", b'{"set": {"deliver_prob": 5}, "draws": 100}', 400, "probabilities must lie in [0, 1]"),
    ("POST", "/api/run", b'{"set": {"deliver_prob": "1"}}', 400, "set.deliver_prob: expected a number"),
    ("POST", "/api/run", b'{"draws": 0}', 400, "draws: expected a whole number from 1"),
    ("POST", "/api/run", b'{"draws": 2.5}', 400, "draws: expected a whole number"),
    ("POST", "/api/run", b'{"draws": 100000000}', 400, "draws: expected a whole number from 1 to 1,000,000"),
    ("POST", "/api/run", b'{"seed": -1}', 400, "seed: expected a whole number from 0"),
    ("POST", "/api/run", b'{"solver": "nash"}', 400, 'solver: expected "spe" or "qre"'),
    ("POST", "/api/run", b'{"rationality": 0}', 400, "rationality: expected a number from"),
    ("POST", "/api/run", b"{" + b" " * 20_000 + b"}", 413, "request body larger than 16,384 bytes"),
    ("GET", "/api/nothing", None, 404, "not found"),
    ("GET", "/api/run", None, 405, "not found"),
    ("GET", "/static/../api.py", None, 404, "not found"),
]


@pytest.mark.parametrize(("method", "path", "raw", "status", "message"), BAD)
def test_bad_requests_get_a_4xx_and_the_server_keeps_serving(explorer, method, path, raw, status, message):
    got, doc = request(explorer.port, method, path, raw=raw)
    assert got == status
    assert message in doc["error"]
    assert request(explorer.port, "GET", "/api/scenario")[0] == 200


def test_wrong_content_type_method_and_host(explorer):
    assert request(explorer.port, "PUT", "/api/run", {}) == (405, {"error": "method PUT not allowed"})
    got, doc = request(explorer.port, "POST", "/api/run", raw=b"{}", headers={"Content-Type": "text/plain"})
    assert (got, doc["error"]) == (415, "expected Content-Type: application/json")
    got, doc = request(explorer.port, "GET", "/api/scenario", headers={"Host": "evil.example:80"})
    assert (got, doc["error"]) == (403, "requests must address 127.0.0.1")


# ------------------------------------------------------------------ classroom


@pytest.fixture
def poll(tmp_path):
    with serving(POLL, classroom=True, db=tmp_path / "poll.sqlite", draws=2000) as app:
        yield app


def _answers(p=(0.1, 0.3, 0.6), gain=(0.5, 1.0, 2.0)) -> dict:
    return {"p": {"kind": "plausible", "values": list(p)}, "gain": {"kind": "plausible", "values": list(gain)}}


def test_poll_flow_and_its_4xx(poll):
    port, code = poll.port, poll.poll.store.join_code
    token = {"X-Trapsim-Token": poll.token}
    assert request(port, "GET", f"/join/{code}")[0] == 200
    assert request(port, "GET", "/join/AAAAAA")[0] == 404
    assert request(port, "POST", "/api/classroom/join", {"code": "WRONG1"}) == (403, {"error": "wrong join code"})
    status, me = request(port, "POST", "/api/classroom/join", {"code": code.lower()})
    assert status == 200 and me["number"] == 1
    who = {"code": code, "student": me["student"], "secret": me["secret"]}
    status, doc = request(port, "POST", "/api/classroom/submit", {**who, "revision": 1, "judgements": _answers()})
    assert status == 200 and doc["received"] and doc["fitted"]["p"].startswith("beta(")
    # a retry of the same revision stores nothing new; an older one is refused
    assert request(port, "POST", "/api/classroom/submit", {**who, "revision": 1, "judgements": _answers()})[0] == 200
    status, doc = request(port, "POST", "/api/classroom/submit", {**who, "revision": 2, "judgements": _answers()})
    assert status == 200
    status, doc = request(port, "POST", "/api/classroom/submit", {**who, "revision": 1, "judgements": _answers()})
    assert (status, doc["revision"]) == (409, 2)
    # someone else's secret cannot revise this judgement
    _, other = request(port, "POST", "/api/classroom/join", {"code": code})
    status, doc = request(
        port,
        "POST",
        "/api/classroom/submit",
        {**who, "secret": other["secret"], "revision": 3, "judgements": _answers()},
    )
    assert (status, doc["error"]) == (403, "unknown student or wrong secret")
    # the judgement is checked and the student told what was wrong, per parameter
    status, doc = request(
        port,
        "POST",
        "/api/classroom/submit",
        {**who, "revision": 3, "judgements": _answers(p=(0.4, 0.3, 0.6), gain=(-1, 1, 2))},
    )
    assert status == 400
    assert doc["problems"] == {
        "p": "the lowest value (0.4) must be below the best guess (0.3)",
        "gain": "the lowest value (-1) must be above 0",
    }
    for bad, message in [
        ({"p": {"kind": "plausible", "values": [0.1, 0.2]}, "gain": _answers()["gain"]}, "expected three values"),
        ({**_answers(), "x": {}}, 'judgements: unknown key "x"'),
        ({"p": {"kind": "plausible", "values": ["<b>", 0.2, 0.3]}, "gain": _answers()["gain"]}, "expected a number"),
        ({"p": {"kind": "mode", "values": [0.1, 0.2, 0.3]}, "gain": _answers()["gain"]}, "kind: expected one of"),
    ]:
        status, doc = request(port, "POST", "/api/classroom/submit", {**who, "revision": 3, "judgements": bad})
        assert status == 400 and message in doc["error"], doc
    assert request(port, "POST", "/api/classroom/mine", who)[1]["revision"] == 2
    # presenter-only: the explorer, reset, close, export, the event stream
    for method, path, body in [
        ("POST", "/api/run", {}),
        ("POST", "/api/classroom/reset", {}),
        ("POST", "/api/classroom/close", {"closed": True}),
        ("POST", "/api/classroom/export", {}),
        ("GET", "/api/classroom/events", None),
        ("GET", "/presenter", None),
        ("GET", "/", None),
        ("GET", "/api/classroom/qr.svg", None),
    ]:
        assert request(port, method, path, body)[0] == 403, path
        assert request(port, method, path, body, headers={"X-Trapsim-Token": "x" * 32})[0] == 403, path
    assert request(port, "GET", "/presenter?token=nope")[0] == 403
    status, info = request(port, "GET", "/api/classroom/info", headers=token)
    assert info["qr"] or os.environ.get("CI") != "true"  # segno is a dependency: CI installs it
    if info["qr"]:
        status, qr = request(port, "GET", "/api/classroom/qr.svg", headers=token)
        assert status == 200 and qr.startswith(b"<svg") and b"<script" not in qr
    assert request(port, "POST", "/api/classroom/close", {"closed": True}, headers=token) == (200, {"closed": True})
    status, doc = request(port, "POST", "/api/classroom/submit", {**who, "revision": 3, "judgements": _answers()})
    assert (status, doc["error"]) == (403, "the poll is closed")


def test_student_rate_limit(poll):
    code = poll.poll.store.join_code
    statuses = [
        request(poll.port, "POST", "/api/classroom/join", {"code": code}, source="127.0.0.9")[0] for _ in range(8)
    ]
    assert statuses[:5] == [200] * 5 and statuses[-1] == 429  # five new students at once, then wait
    assert request(poll.port, "POST", "/api/classroom/join", {"code": code}, source="127.0.0.10")[0] == 200


def test_export_writes_csv_and_figures(poll, tmp_path):
    code = poll.poll.store.join_code
    for i in range(3):
        _, me = request(poll.port, "POST", "/api/classroom/join", {"code": code})
        request(
            poll.port,
            "POST",
            "/api/classroom/submit",
            {
                "code": code,
                "student": me["student"],
                "secret": me["secret"],
                "revision": 1,
                "judgements": _answers(p=(0.1 + i / 10, 0.4, 0.7)),
            },
        )
    written = poll.poll.export(tmp_path / "out")
    assert sorted(Path(p).name for p in written) == ["judgements.csv", "poll_priors.png", "poll_traps.png"]
    lines = (tmp_path / "out" / "judgements.csv").read_text().splitlines()
    assert len(lines) == 1 + 3 * 2 and lines[1].startswith("s1,gain,plausible,0.5,1.0,2.0,")
    out = CliRunner().invoke(
        main,
        [
            "run",
            POLL,
            "--priors",
            str(tmp_path / "out" / "judgements.csv"),
            "--json",
            "--draws",
            "2000",
            "--seed",
            str(poll.poll.seed),
        ],
    )
    summary = poll.poll.summarise()
    assert json.loads(out.output)["traps"]["fight"]["rate"] == summary["traps"][0]["pooled"]["rate"]


def test_explore_command_errors_and_export(tmp_path):
    run = CliRunner().invoke
    out = run(main, ["explore", POLL, "--export", str(tmp_path)])
    assert out.exit_code == 2 and "--export writes a classroom poll; add --classroom" in out.output
    out = run(main, ["explore", POLL, "--classroom", "--db", str(tmp_path / "none.sqlite"), "--export", "x"])
    assert out.exit_code == 2 and "name an existing poll database" in out.output
    bad = tmp_path / "bad.sqlite"
    bad.write_text("not a database, " * 100)
    out = run(main, ["explore", POLL, "--classroom", "--db", str(bad), "--export", str(tmp_path / "out")])
    assert out.exit_code == 2 and f"error: {bad}: not a trapsim poll database" in out.output
    out = run(main, ["explore", str(Path(POLL).with_name("core_entry.toml")), "--classroom", "--no-browser"])
    assert out.exit_code == 2 and "classroom: the scenario has no [classroom] table" in out.output


def test_the_tree_of_a_scenario_with_shared_subtrees_is_unfolded(tmp_path):
    """The page draws the unfolded tree: one place per branch count of the run, copies named as in it."""
    with serving(str(Path(POLL).with_name("dag_alliance.toml"))) as app:
        info = request(app.port, "GET", "/api/scenario")[1]
        doc = request(app.port, "POST", "/api/explore", {"draws": 500, "seed": 1})[1]
    places = info["tree"]["places"]
    inner = [name for pid, name, _, _, _ in places if pid in info["tree"]["nodes"]]
    assert sorted(inner) == sorted(doc["edges"]) and len(inner) > len(info["tree"]["nodes"])
    assert all(places[parent][0] in info["tree"]["nodes"] for _, _, _, parent, _ in places[1:])


def test_conditional_traps_with_their_denominators(tmp_path):
    """A trap with ``given``: /api/run equals run --json; the page and the poll carry the denominators."""
    path = tmp_path / "poll_given.toml"
    text = Path(POLL).read_text().replace("[classroom]", GIVEN_TRAP + "\n[classroom]")
    path.write_text(text)
    with serving(str(path), classroom=True, db=tmp_path / "poll.sqlite", draws=3000) as app:
        token = {"X-Trapsim-Token": app.token}
        status, doc = request(app.port, "POST", "/api/run", {"draws": 3000, "seed": 2}, headers=token)
        assert status == 200
        _same(doc, _cli_json(str(path), ["--draws", "3000", "--seed", "2"]))
        entry = doc["traps"]["fight_once_in"]
        assert entry["rate"] == entry["count"] / entry["given"]["count"]
        info = request(app.port, "GET", "/api/scenario", headers=token)[1]
        assert [t["given"] for t in info["traps"]] == [None, "the entrant entered"]
        summary = app.poll.summarise()
        assert summary["traps"][1]["given"] == "the entrant entered"
        assert summary["traps"][1]["prior"]["given"]["count"] > 0


GIVEN_TRAP = """
[traps.fight_once_in]
title = "A fight, once in"
when = 'reached("fought") or reached("fought_weak")'
given = 'played("entrant", "enter")'
given_label = "the entrant entered"
"""


def test_the_default_scenario_runs_a_classroom_poll(tmp_path):
    """README and docs/explore.md run the poll on defense_clause: its [classroom] asks three parameters
    (v2 once lost the table, and `trapsim explore defense_clause --classroom` stopped with an error)."""
    root = Path(__file__).resolve().parents[1]
    with serving(str(root / "scenarios" / "defense_clause.toml"), classroom=True, db=tmp_path / "p.sqlite") as app:
        status, doc = request(app.port, "POST", "/api/classroom/join", {"code": app.poll.store.join_code})
        assert status == 200 and doc["student"]
        assert list(app.poll.asked) == ["need_peace", "dprk_casualties", "china_stake"]
