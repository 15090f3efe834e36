"""Hostile input: sizes, control characters, hand-edited checkpoints, output paths, the last-resort handler.

Each test is a regression test of issue 15: the input once gave a silent wrong
answer, a traceback (exit 1), a lost file or a message naming the wrong thing.
"""

from __future__ import annotations

import json
import math
import pickle
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import trapsim
from trapsim import api
from trapsim.errors import RunError, ScenarioError
from trapsim.scenario import loads

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
SIMPLE = DATA / "simple.toml"
THRESHOLD = DATA / "threshold.toml"


# ------------------------------------------------------------- the error model


def test_last_resort_handler_exits_1_with_one_message(invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: str) -> None:
        raise ZeroDivisionError("a bug\x1b[2J")

    monkeypatch.setattr(api, "load", broken)
    result = invoke("validate", SIMPLE)
    assert result.exit_code == 1
    assert "internal error: ZeroDivisionError: a bug\\x1b[2J" in result.output  # escaped, not executed
    assert "This is a bug in trapsim; set TRAPSIM_DEBUG=1" in result.output
    assert "\x1b" not in result.output


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the dropped interrupt, on purpose
def test_a_failure_after_a_swallowed_interrupt_is_reported_as_the_interrupt(
    invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Python drops a KeyboardInterrupt raised inside a finaliser ("Exception ignored"); a figure
    # interrupted that way mid-layout later failed with "Invalid bounding box", reported as a bug.
    import signal

    class Finalised:
        def __del__(self) -> None:
            signal.getsignal(signal.SIGINT)(signal.SIGINT, None)  # Ctrl-C, landing in a finaliser

    def interrupted_then_broken(path: str) -> None:
        Finalised()  # collected at once: the interrupt is raised in __del__ and dropped there
        raise ValueError("Invalid bounding box")

    monkeypatch.setattr(api, "load", interrupted_then_broken)
    result = invoke("validate", SIMPLE)
    assert result.exit_code == 130
    assert "interrupted" in result.output and "internal error" not in result.output


def test_run_error_is_built_from_fields_and_survives_pickling() -> None:
    err = RunError("x is nan", file="a.toml", key="payoffs.o.a")
    assert str(err) == "a.toml: payoffs.o.a: x is nan" and err.lines() == [str(err)]
    again = pickle.loads(pickle.dumps(err.within(before="under the beliefs of 'b': ", after=" (sweep point t=1)")))
    assert isinstance(again, RunError)
    assert str(again) == "a.toml: payoffs.o.a: under the beliefs of 'b': x is nan (sweep point t=1)"
    assert again.problem.key == "payoffs.o.a"


# ------------------------------------------------------------- hand-edited checkpoints


@pytest.fixture
def checkpoint(tmp_path: Path) -> tuple[trapsim.Scenario, Path]:
    sc = api.load(str(THRESHOLD))
    res = api.sweep(sc, {"t": (0.2, 0.6)}, draws=300, seed=1, workers=1, checkpoint_dir=tmp_path, keep_checkpoint=True)
    assert res.checkpoint is not None
    return sc, res.checkpoint


def _edit(path: Path, change) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (lambda d: d["points"]["0"]["traps"].update(high="12"), "traps.high is '12', not a whole number"),
        (lambda d: d["points"]["0"]["traps"].update(high=1.5), "traps.high is 1.5, not a whole number"),
        (lambda d: d["points"]["0"]["payoff_mean"].update(a=None), "payoff_mean.a is None, not a finite number"),
        (lambda d: d["points"]["0"].pop("outcomes"), "point 0 has no 'outcomes'"),
        (lambda d: d.update(points=[]), "'points' is not a JSON object"),
        (lambda d: d["points"].update({"x": {}}), "point index 'x' is not a whole number"),
        (lambda d: d["points"]["0"]["traps"].update(high=10**6), "counts must lie in [0, 300]"),
        (lambda d: d["points"]["0"]["outcomes"].update(went=0), "the outcomes sum to 300"),
        (lambda d: d["points"]["0"]["traps"].pop("both"), "traps names ['go', 'high'], expected"),
        (lambda d: d["points"]["0"]["values"].update(t=0.3), "values {'t': 0.3} are not the grid's {'t': 0.2}"),
        (lambda d: d["points"].update({"7": d["points"]["0"]}), "point 7: the grid has only 2 points"),
        (lambda d: d["points"]["0"]["payoff_sd"].update(a=-1.0), "a negative standard deviation"),
    ],
)
def test_hand_edited_checkpoint_is_refused_with_what_is_wrong(checkpoint, change, text: str) -> None:
    sc, path = checkpoint
    _edit(path, change)
    with pytest.raises(RunError) as info:
        api.sweep(sc, {"t": (0.2, 0.6)}, draws=300, seed=1, workers=1, checkpoint_dir=path.parent, resume=True)
    msg = str(info.value)
    assert msg.startswith(f"{path}: ") and text in msg and msg.endswith("delete it to start the sweep afresh")


# ------------------------------------------------------------- sizes


def test_file_size_is_capped(invoke) -> None:
    result = invoke("validate", "/dev/zero")
    assert result.exit_code == 2
    assert result.output.strip() == "error: /dev/zero: file larger than 8 MiB (the limit of a scenario)"


# ------------------------------------------------------------- control characters


def test_control_characters_in_the_file_are_refused() -> None:
    text = SIMPLE.read_text().replace(
        'title = "Entry game with an uncertain cost"', 'title = "Entry\\u001b]0;pwned\\u0007 game"'
    )
    text = text.replace(
        'next = { fight = "fought", share = "shared" }', 'next = { "fi\\u001b[2Jght" = "fought", share = "shared" }', 1
    )
    with pytest.raises(ScenarioError) as info:
        loads(text, path="c.toml")
    lines = info.value.lines()
    assert (
        "c.toml: scenario.title: the text contains a control character (U+001B); escape sequences are not allowed"
        in lines
    )
    assert any(
        line.startswith("c.toml: nodes.inc_strong.next.fi\\x1b[2Jght: the key contains a control") for line in lines
    )
    assert all("\x1b" not in line for line in lines)


def test_a_newline_in_a_file_name_does_not_split_the_error_line(invoke, tmp_path: Path) -> None:
    path = tmp_path / "two\nlines.toml"
    path.write_text("[scenario\n")
    result = invoke("validate", path)
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith("error: ") and "two\\nlines.toml" in line


def test_newlines_and_tabs_stay_allowed_in_descriptions() -> None:
    text = SIMPLE.read_text().replace(
        'title = "Entry game with an uncertain cost"', 'title = "Entry"\ndescription = """One\n\tTwo"""'
    )
    assert loads(text).description == "One\n\tTwo"


# ------------------------------------------------------------- output paths


def test_output_path_that_is_a_directory_names_it(invoke, tmp_path: Path) -> None:
    (tmp_path / "simple.json").mkdir()
    result = invoke("run", SIMPLE, "--draws", "200", "--no-figures", "--out", tmp_path)
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {tmp_path / 'simple.json'}: is a directory, not a file"
    assert not [p for p in tmp_path.iterdir() if ".part" in p.name]


def test_a_very_long_output_name_is_named_not_the_temporary_file(invoke, tmp_path: Path) -> None:
    name = "n" * 250
    text = SIMPLE.read_text().replace('name = "simple"', f'name = "{name}"')
    path = tmp_path / "long.toml"
    path.write_text(text)
    result = invoke("run", path, "--draws", "200", "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'out' / name}_" in result.output and "File name too long" in result.output
    assert ".part" not in result.output and ".trapsim-" not in result.output


# ------------------------------------------------------------- messages


def test_a_sum_near_one_shows_enough_digits() -> None:
    text = SIMPLE.read_text().replace(
        'chance = { strong = "p_strong", weak = "1 - p_strong" }', "chance = { strong = 0.3, weak = 0.7000001 }"
    )
    with pytest.raises(ScenarioError, match=r"probabilities sum to 1\.0000001, expected 1"):
        loads(text)


def test_colour_names_are_matplotlibs() -> None:
    import matplotlib.colors as mcolors

    from trapsim.scenario.colours import COLOR_NAMES, is_color

    assert set(mcolors.CSS4_COLORS) | set(mcolors.BASE_COLORS) | set(mcolors.TABLEAU_COLORS) == COLOR_NAMES
    for text in ("steelblue", "tab:red", "#0072B2", "#0072B2cc", "C3", "k"):
        assert is_color(text) and mcolors.is_color_like(text)
    for text in ("bleu", "tab:reed", "#0072B", "C10", "Red"):
        assert not is_color(text)


@pytest.mark.parametrize("spec", ["t=nan:1:5", "t=0:inf:5", "t=0:1:100000000000"])
def test_cli_vary_refuses_non_finite_or_huge_grids(invoke, spec: str) -> None:
    result = invoke("sweep", THRESHOLD, "--vary", spec, "--draws", "10", "--json")
    assert result.exit_code == 2
    assert "--vary" in result.output and "Traceback" not in result.output


# ------------------------------------------------------------- NaN and strict JSON


def test_nan_inside_a_trap_condition_stops_the_run() -> None:
    """Regression: `not (sqrt(cost - 1) < 0.5)` fired where the comparison was on NaN."""
    text = SIMPLE.read_text().replace(
        "[traps.fight]", "[traps.odd]\ntitle = 'odd'\nwhen = 'not (sqrt(cost - 1) < 0.5)'\n\n[traps.fight]"
    )
    sc = loads(text, path="nan.toml")  # cost ~ U(0, 2): NaN in about half the draws
    with pytest.raises(RunError) as info:
        trapsim.simulate(sc, draws=1000, seed=1)
    msg = str(info.value)
    assert msg.startswith('nan.toml: traps.odd.when: "not (sqrt(cost - 1) < 0.5)" is nan in draw ')
    assert ", where cost = 0." in msg  # a draw with cost < 1


@pytest.mark.parametrize(
    "expr", ["if(sqrt(cost - 1) > 0, 1, 0)", "(cost - 1) ** 0.5 >= 0 or cost > 5", "min(log(cost - 1), 1) != 2"]
)
def test_nan_inside_a_derived_condition_is_refused_by_validation(expr: str) -> None:
    text = SIMPLE.read_text().replace('fight_value = "1 - cost"', f'fight_value = "1 - cost"\nodd = "{expr}"')
    text = text.replace("shared = { ent = 1, inc = 0.5 }", 'shared = { ent = "odd", inc = 0.5 }')
    with pytest.raises(ScenarioError, match=r"derived\.odd: .* is nan (at the central values|in validation draw)"):
        loads(text)


def test_nan_in_an_unselected_branch_is_not_an_error() -> None:
    text = SIMPLE.read_text().replace(
        'fight_value = "1 - cost"', 'fight_value = "if(cost > 1, sqrt(cost - 1) > 0.5, cost < 0.5)"'
    )
    res = trapsim.simulate(loads(text), draws=2000, seed=1)
    # Analytic: with cost ~ U(0, 2), fight_value is 1 when cost < 0.5 or cost > 1.25 (P = 0.625), else 0.
    # The strong incumbent fights exactly then (1 > 0.5 for sharing), the weak one never (0 or -1 < 0.5),
    # and the entrant always enters (0.3 * -1 + 0.7 * 1 > 0): P(fight) = 0.3 * 0.625 = 0.1875.
    assert res.rate("entry_regret") == res.rate("fight")
    assert abs(res.rate("fight") - 0.1875) < 4 * math.sqrt(0.1875 * 0.8125 / 2000)


def test_json_output_is_strict_even_when_a_mean_overflows(invoke, tmp_path: Path) -> None:
    text = (
        SIMPLE.read_text()
        .replace("p_strong = 0.3", "p_strong = 0.3\nbig = 1e308")
        .replace("out = { ent = 0, inc = 2 }", 'out = { ent = "big", inc = 2 }')
    )
    text = text.replace("shared = { ent = 1, inc = 0.5 }", 'shared = { ent = "big", inc = 0.5 }')
    path = tmp_path / "big.toml"
    path.write_text(text)
    result = invoke("run", path, "--draws", "2000", "--seed", "1", "--json")
    assert result.exit_code == 0, result.output

    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in JSON output")

    doc = json.loads(result.output, parse_constant=refuse)
    assert doc["payoffs"]["ent"]["mean"] is None or math.isfinite(doc["payoffs"]["ent"]["mean"])


# ------------------------------------------------------------- depth of expressions


def test_a_flat_chain_of_a_thousand_terms_is_refused_not_a_crash(invoke, tmp_path: Path) -> None:
    text = SIMPLE.read_text().replace('fight_value = "1 - cost"', 'fight_value = "cost' + "+1" * 1000 + '"')
    path = tmp_path / "flat.toml"
    path.write_text(text)
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert "derived.fight_value: expression more than 256 operators deep" in result.output


def test_a_long_chain_runs_alike_on_one_and_two_workers() -> None:
    """Regression: a ~400-term expression ran on one worker and failed to pickle on two."""
    chain = " + ".join(f"cost * {k % 7}" for k in range(120))  # 240 operators: within the limit
    sc = loads(SIMPLE.read_text().replace('fight_value = "1 - cost"', f'fight_value = "1 - ({chain}) / 500"'))
    assert pickle.loads(pickle.dumps(sc)) == sc
    one = trapsim.simulate(sc, draws=20_000, seed=3, workers=1)
    two = trapsim.simulate(sc, draws=20_000, seed=3, workers=2)
    assert one.trap_counts == two.trap_counts and one.payoff_mean == two.payoff_mean


# ------------------------------------------------------------- data loss


def test_an_output_equal_to_the_input_is_refused(invoke, tmp_path: Path) -> None:
    """Regression: `trapsim export s.toml --efg s.toml` overwrote the scenario."""
    path = tmp_path / "s.toml"
    path.write_text(SIMPLE.read_text())
    before = path.read_bytes()
    result = invoke("export", path, "--efg", path)
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {path}: is an input file of this command; refusing to overwrite it"
    assert path.read_bytes() == before
    (tmp_path / "link.efg").symlink_to(path)  # the same file under another name
    result = invoke("export", path, "--efg", tmp_path / "link.efg")
    assert result.exit_code == 2 and path.read_bytes() == before


def test_two_sweeps_in_one_directory_the_second_is_refused_naming_the_first(tmp_path: Path) -> None:
    import os

    from trapsim.sweeps.checkpoint import LOCK_NAME, directory_lock

    sc = api.load(str(THRESHOLD))
    with directory_lock(tmp_path), pytest.raises(RunError) as info:
        api.sweep(sc, {"t": (0.2,)}, draws=100, workers=1, checkpoint_dir=tmp_path)
    assert str(info.value) == (
        f"{tmp_path}: another sweep is writing this directory (process {os.getpid()} on "
        f"{__import__('socket').gethostname()}); wait for it to finish, or write elsewhere"
    )
    assert api.sweep(sc, {"t": (0.2,)}, draws=100, workers=1, checkpoint_dir=tmp_path).points
    assert not (tmp_path / LOCK_NAME).exists()


# ------------------------------------------------------------- hangs


# b"": a server that accepts and never answers (distributed's Client alone waits for ever on it).
@pytest.mark.parametrize("answer", [b"HTTP/1.0 200 OK\r\n\r\nhello", b""])
def test_a_scheduler_address_that_is_not_dask_fails_fast(monkeypatch: pytest.MonkeyPatch, answer) -> None:
    """Regression: --scheduler pointing at something that is not a Dask scheduler hung for minutes."""
    import contextlib
    import socket
    import threading
    import time

    pytest.importorskip("distributed")
    from trapsim.sweeps import engine

    monkeypatch.setattr(engine, "CONNECT_TIMEOUT", 2.0)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held = []

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            held.append(conn)
            if answer:
                conn.sendall(answer)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    sc = api.load(str(THRESHOLD))
    start = time.monotonic()
    try:
        with pytest.raises(RunError, match=r"cannot connect to a Dask scheduler at tcp://127\.0\.0\.1:") as err:
            api.sweep(sc, {"t": (0.1,)}, draws=100, scheduler=f"tcp://127.0.0.1:{srv.getsockname()[1]}")
    finally:
        with contextlib.suppress(OSError):
            srv.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the thread (close alone does not)
        srv.close()
        server.join(5)
        for conn in held:
            conn.close()
    assert time.monotonic() - start < 30
    if not answer:
        assert "no answer within 2 s" in str(err.value)


def _chain(n: int) -> str:
    lines = [
        "[scenario]",
        'name = "deep"',
        'root = "n0"',
        "[actors.a]",
        'name = "A"',
        "[parameters]",
        'x = { dist = "uniform", low = 0, high = 1 }',
    ]
    for i in range(n):
        nxt = f"n{i + 1}" if i < n - 1 else "end"
        lines += [f"[nodes.n{i}]", 'actor = "a"', f'next = {{ go = "{nxt}", stop = "s{i}" }}']
    lines += ["[payoffs]", "end = { a = 1 }"] + [f's{i} = {{ a = "x" }}' for i in range(n)]
    return "\n".join(lines) + "\n"


def test_explain_tells_a_long_chain_without_recursion_per_level() -> None:
    """Regression: `explain` on a 1,000-level tree that `run` accepts hit Python's recursion limit.

    The story of a chain is told in a loop; with the recursion limit lowered to 300, a 400-level
    chain (a frame a level before) is told in full.
    """
    import sys

    sc = loads(_chain(400))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(300)
    try:
        text = str(api.explain(sc))
    finally:
        sys.setrecursionlimit(limit)
    assert "n399: go" in text


def test_explain_tells_a_deep_tree_of_chance_nodes_without_recursion_per_level() -> None:
    """Regression: a 1,000-level tree of chance nodes, each with two live branches (one ending at
    once), still hit the recursion limit in `explain`; it is told with an explicit stack now."""
    text = _chain(400)
    text = text.replace('actor = "a"', "chance = { go = 0.75, stop = 0.25 }")
    sc = loads(text)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(300)
    try:
        story = api.explain(sc).text(width=None)
    finally:
        sys.setrecursionlimit(limit)
    # each level: the chance line, its leaf branch, and "If go" opening the next level, nested deeper
    assert story.count("Chance at ") == 400
    assert story.count("If go (75.0%):") == 399
    last = [line for line in story.splitlines() if "Chance at " in line][-1]
    assert last == "  " * (1 + 2 * 399) + "Chance at n399: go 75.0% and stop 25.0%."


def test_the_ties_warning_stays_one_short_line_on_a_large_tied_tree(tmp_path: Path) -> None:
    """Regression: ties at every node of a large tree made the run's warning one line of about 40 KB."""
    from click.testing import CliRunner

    from trapsim.cli import main

    path = tmp_path / "flat.toml"
    # every payoff 1: each of the 300 decisions is a tie, and going on (listed first) is taken at each
    path.write_text(_chain(300).replace('{ a = "x" }', "{ a = 1 }"))
    result = CliRunner().invoke(
        main, ["run", str(path), "--draws", "50", "--seed", "1", "--no-figures", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and len(warnings[0]) < 300, warnings
    assert warnings[0].startswith(
        "warning: ties on the realised path in 100.0% of draws, at 300 nodes, most often n0 (100.0%), "
    )
    assert "and 295 more (all in `ties` of the JSON result, or --json)" in warnings[0]
    doc = json.loads((tmp_path / "deep.json").read_text())  # named after the scenario
    assert sum(1 for t in doc["ties"].values() if t["share_on_path"] == 1.0) == 300


def test_bidi_overrides_are_escaped_like_control_characters() -> None:
    """Regression: U+202E and its kin reordered what a terminal showed of a name; marks stay allowed."""
    from trapsim.output import printable

    assert printable("Russia\u202eevil\u2066x\u2069") == "Russia\\u202eevil\\u2066x\\u2069"
    assert printable("\u05d9\u05e9\u05e8\u05d0\u05dc\u200f") == "\u05d9\u05e9\u05e8\u05d0\u05dc\u200f"  # an RLM is fine


@pytest.mark.parametrize("bad", ["\x1b]0;pwned\x07", "\u202e"])
def test_efg_text_with_control_characters_is_refused(bad: str) -> None:
    """Regression: a .efg title or label reached the terminal raw (escape sequences, bidi overrides)."""
    from trapsim.efg import loads_efg

    text = (
        f'EFG 2 R "Nim {bad}" {{ "P1" "P2" }}\n""\n\n'
        'p "" 1 1 "" { "a" "b" } 0\nt "" 1 "x" { 1, 2 }\nt "" 2 "y" { 0, 0 }\n'
    )
    with pytest.raises(ScenarioError, match=r"line 1, column 9: the text contains a control character \(U\+"):
        loads_efg(text)
    assert loads_efg(text.replace(bad, "plain")).title.startswith("Nim")


def _cost(work: Callable[[], object]) -> tuple[int, int]:
    """Python function calls (builtins included) and peak traced memory of ``work()``: counts, not time."""
    import tracemalloc

    calls = [0]

    def count(frame: object, event: str, arg: object) -> None:
        calls[0] += 1

    sys.setprofile(count)
    try:
        work()
    finally:
        sys.setprofile(None)
    tracemalloc.start()
    try:
        work()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return calls[0], peak


def _load(text: str) -> object:
    return loads(text)


def _load_and_run(text: str) -> object:
    return api.simulate(loads(text), draws=20, seed=1)


@pytest.mark.parametrize("work", [_load, _load_and_run])
def test_a_long_chain_loads_and_runs_in_linear_work(work: Callable[[str], object]) -> None:
    """Regression: loading a chain cost O(depth^2) (path names recomputed per payoff, every node's
    ancestors kept as a set) and so did running it (each place's history built, tuple.index per leaf):
    a 2,000-node chain took seconds, a 20,000-node one over a minute for 100 draws.

    Four times the nodes must cost about four times the work (quadratic would be sixteen).
    """
    small, large = _chain(300), _chain(1200)
    calls_small, peak_small = _cost(lambda: work(small))
    calls_large, peak_large = _cost(lambda: work(large))
    assert calls_large < 6 * calls_small, (calls_small, calls_large)
    assert peak_large < 6 * peak_small, (peak_small, peak_large)


# ------------------------------------------------------------- analyses sized beyond memory


@pytest.mark.parametrize(
    ("args", "value", "fits"),
    [
        (["sensitivity", "--draws", str(2**20)], "1,048,576", 2**16),
        (["sensitivity", "--method", "morris", "--draws", str(10**7)], "10,000,000", None),
        (["discover", "--trap", "putin_trap", "--draws", str(10**9)], "1,000,000,000", None),
    ],
)
def test_an_analysis_beyond_memory_is_refused_before_any_work(
    monkeypatch: pytest.MonkeyPatch, args: list[str], value: str, fits: int | None
) -> None:
    """Regression: `sensitivity --samples` / `discover --draws` sized beyond memory ran until killed.

    With 2 GB available, the estimate (8 bytes per float of the arrays that grow with the
    option) is refused in one line that names the option, the estimate and what fits; the
    suggested maximum passes the same check and the next larger value does not.
    """
    import re

    from click.testing import CliRunner

    from trapsim.analysis import memory
    from trapsim.cli import main

    monkeypatch.setattr(memory, "available_bytes", lambda: 2 * 10**9)
    command, *rest = args
    result = CliRunner().invoke(main, [command, str(ROOT / "scenarios" / "defense_clause.toml"), *rest])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    m = re.fullmatch(
        rf"error: --draws: {value} needs about ([\d.]+) (GB|TB) of memory \(.+\), more than this machine has "
        r"available \(2\.0 GB\); at most ([\d,]+) fits",
        lines[0],
    )
    assert m, lines[0]
    assert float(m.group(1)) * (1e12 if m.group(2) == "TB" else 1e9) > 0.8 * 2e9
    suggested = int(m.group(3).replace(",", ""))
    if fits is not None:
        assert suggested == fits  # Sobol': a power of 2, the next one (2**17) too large: 33 rows of 8*(62+14+2) B
        assert 2**16 * 33 * 8 * 78 + 4 * 8 * 2**16 * 100 <= 0.8 * 2e9 < 2**17 * 33 * 8 * 78 + 4 * 8 * 2**17 * 100
    assert 1 <= suggested < int(value.replace(",", ""))


def test_available_memory_is_read_from_the_system() -> None:
    from trapsim.analysis.memory import available_bytes

    free = available_bytes()
    assert free is not None and 10**7 < free < 10**15


def test_analysis_chunks_leave_no_reference_cycles_holding_payoff_tables() -> None:
    """Regression: a recursive closure in joint_paths kept each chunk's solved games (every world's
    payoff tables) in a reference cycle until the cyclic collector ran: a Sobol' N=1024 on
    defense_clause peaked at 820 MB instead of 340 MB. With the collector off, nothing is left."""
    import gc

    from trapsim.analysis.paths import Solved
    from trapsim.analysis.probability import sample_probabilities

    sc = api.load(str(ROOT / "scenarios" / "defense_clause.toml"))
    gc.collect()
    gc.disable()
    try:
        sample_probabilities(sc, draws=3000, entropy=1, solver="spe", rationality=10.0)
        left = [o for o in gc.get_objects() if isinstance(o, Solved)]
    finally:
        gc.enable()
    assert left == []
