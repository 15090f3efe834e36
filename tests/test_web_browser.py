"""The explorer and the classroom poll in a real headless Chromium.

Set TRAPSIM_SCREENSHOTS=DIR to keep a screenshot of each page (the README's come from here).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from browser import Browser
from chromium import chromium_or_fail
from trapsim.cli import main
from webtools import serving

ROOT = Path(__file__).parent.parent
DEFENSE = str(ROOT / "tests" / "data" / "defense_clause_v1.toml")
POLL = str(Path(__file__).parent / "data" / "poll.toml")


@pytest.fixture
def browser():
    b = Browser(chromium_or_fail())
    try:
        yield b
    finally:
        b.close()


def _shot(tab, name: str) -> None:
    where = os.environ.get("TRAPSIM_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        (Path(where) / name).write_bytes(tab.screenshot())


def _only_loopback(browser: Browser, port: int) -> None:
    requests = browser.requests()
    assert requests, "the pages made no request at all?"
    outside = [u for u in requests if not u.startswith(f"http://127.0.0.1:{port}/")]
    assert outside == []


@pytest.mark.slow
def test_slider_moves_the_rates_to_those_of_run_set(browser):
    with serving(DEFENSE) as app:
        tab = browser.open(app.url, height=1000)
        tab.wait("window.__trapsim.last !== null")
        seed, draws = tab.eval("[Number(seed.value), Number(document.getElementById('draws').value)]")
        assert draws == 20_000
        tab.drag("input[data-param=deliver_prob]", 0.5, 0.9)
        value = tab.wait(
            "(() => { const l = window.__trapsim.last; const v = Number("
            "document.querySelector('input[data-param=deliver_prob]').value);"
            " return l.run.values && l.run.values.deliver_prob === v && v > 0.8 ? v : null; })()"
        )
        shown = tab.eval(
            "Object.fromEntries([...document.querySelectorAll('#traps tr[data-trap]')]"
            ".map(r => [r.dataset.trap, r.querySelector('.rate').textContent]))"
        )
        out = CliRunner().invoke(
            main,
            ["run", DEFENSE, "--json", "--draws", str(draws), "--seed", str(seed), "--set", f"deliver_prob={value!r}"],
        )
        cli = json.loads(out.output)
        rates = {t: v["rate"] for t, v in cli["traps"].items()}
        expected = tab.eval(f"Object.fromEntries(Object.entries({json.dumps(rates)}).map(([t, r]) => [t, pct(r)]))")
        assert shown == expected
        assert any("given" in entry for entry in cli["traps"].values())  # defense_clause's Kim trap is conditional
        assert abs(float(shown["putin_trap"].rstrip("%")) - 100 * rates["putin_trap"]) <= 0.05
        assert tab.eval("window.__trapsim.last.run.traps") == cli["traps"]
        for t, entry in cli["traps"].items():
            if "given" in entry:  # a conditional trap: its row names the denominator of its rate
                sub = tab.eval(f"document.querySelector('tr[data-trap={t}] td .status').textContent")
                digits = sub.replace(",", "").replace("\u202f", "").replace("\xa0", "")
                assert f"{entry['count']} of {entry['given']['count']} draws where" in digits, sub
        assert tab.eval("document.getElementById('command').textContent") == (
            f"trapsim run {DEFENSE} --draws {draws} --seed {seed} --set deliver_prob={value!r}"
        )
        # "free" returns the parameter to its distribution: the numbers as loaded again
        tab.click("input[data-free=deliver_prob]")
        tab.wait(
            "window.__trapsim.last.run.values === undefined && !document.querySelector('#status')"
            ".textContent.startsWith('running')"
        )
        base = tab.eval("window.__trapsim.last")
        assert base["run"]["traps"] == base["baseline"]["traps"]
        # redraw time for 20,000 draws: input event to the page redrawn (reported, not asserted: see benchmarks/)
        times = []
        for k, v in enumerate([0.3, 0.5, 0.7, 0.9, 0.4]):
            tab.eval(
                f"(() => {{ const s = document.querySelector('input[data-param=p_gain]'); s.value = "
                f"s.min * 1 + (s.max - s.min) * {v}; s.dispatchEvent(new Event('input')); }})()"
            )
            tab.wait(f"window.__trapsim.redraws.length >= {k + 3}")
            times.append(tab.eval("window.__trapsim.redraws.at(-1)"))
        print(f"\nredraw after a slider move, 20,000 draws: median {sorted(times)[2]:.0f} ms, all {times}")
        _shot(tab, "explore.png")
        assert browser.errors() == []
        _only_loopback(browser, app.port)


@pytest.mark.slow
def test_a_student_submits_and_the_presenter_page_updates_without_reload(browser, tmp_path):
    with serving(POLL, classroom=True, db=tmp_path / "poll.sqlite", draws=5000) as app:
        presenter = browser.open(app.presenter_url, height=1100)
        presenter.wait("window.__trapsim.summaries >= 1")
        presenter.eval("window.__still_the_same_page = 42")
        assert presenter.eval("document.querySelectorAll('.student-dot').length") == 0
        code = app.poll.store.join_code
        assert presenter.eval("document.getElementById('code').textContent") == code
        student = browser.open(f"http://127.0.0.1:{app.port}/join/{code}", width=420, height=900)
        # a mistake is shown at once, before anything is sent
        student.type("#p-0", "0.5")
        student.type("#p-1", "0.3")
        student.eval("document.querySelector('[data-question=p]').dispatchEvent(new Event('input'))")
        assert student.eval("document.getElementById('p-problem').textContent") == (
            "the lowest value must be below the best guess"
        )
        for name, values in (("p", ("0.1", "0.3", "0.6")), ("gain", ("0.4", "1", "2.5"))):
            for i, v in enumerate(values):
                student.type(f"#{name}-{i}", v)
        student.click("#send")
        student.wait("document.getElementById('status').textContent.startsWith('Received (revision 1)')")
        # a revision, as quartiles this time
        student.click("input[name=kind][value=quartiles]")
        for i, v in enumerate(("0.6", "1", "1.8")):
            student.type(f"#gain-{i}", v)
        student.click("#send")
        student.wait("document.getElementById('status').textContent.startsWith('Received (revision 2)')")
        _shot(student, "poll_student.png")
        presenter.wait(
            "window.__trapsim.last.students === 1 && document.querySelectorAll('.student-dot').length === 1", timeout=60
        )
        assert presenter.eval("window.__still_the_same_page") == 42  # updated in place, not reloaded
        last = presenter.eval("window.__trapsim.last")
        stored = app.poll.store.judgements()
        assert [(p, k, v, r) for _, p, k, v, r in stored] == [
            ("gain", "quartiles", (0.6, 1.0, 1.8), 2),
            ("p", "quartiles", (0.1, 0.3, 0.6), 2),
        ]
        # one student: the pool is that student's priors, and at equal draws and seed the same rate
        assert last["draws"] == last["student_draws"] == 5000
        assert last["traps"][0]["pooled"]["rate"] == last["traps"][0]["students"][0]
        _shot(presenter, "poll_presenter.png")
        assert browser.errors() == []
        _only_loopback(browser, app.port)


@pytest.mark.slow
def test_on_a_phone_every_column_of_the_trap_table_is_on_screen(browser):
    # At 390 px the four-column table pushed "as loaded" past the right edge (a sideways scroll);
    # on a phone each trap is a card: its name, then rate, interval and as loaded on one line.
    with serving(str(ROOT / "scenarios" / "defense_clause.toml")) as app:
        tab = browser.open(app.url, width=390, height=900)
        tab.wait("window.__trapsim.last !== null")
        right = tab.eval(
            "Math.max(...[...document.querySelectorAll('#traps td')].map(c => c.getBoundingClientRect().right))"
        )
        assert 0 < right <= 390
        assert tab.eval("document.documentElement.scrollWidth") <= 390
        _shot(tab, "explore_phone.png")
