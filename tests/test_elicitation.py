"""Students' judgements: SHELF-style fits, the [classroom] table, the linear pool, run --priors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from trapsim import api, elicitation
from trapsim.cli import main
from trapsim.elicitation import Judgement, Support
from trapsim.errors import ScenarioError
from trapsim.figures.results import run_note
from trapsim.model import Distribution
from trapsim.scenario import loads

DATA = Path(__file__).parent / "data"
POLL = DATA / "poll.toml"

# (family support, scipy reference distribution, expected fitted arguments)
REFERENCES = [
    (Support("beta", 0.0, 1.0), stats.beta(2, 5), {"a": 2, "b": 5}),
    (Support("beta", 10.0, 30.0), stats.beta(3, 1.5, loc=10, scale=20), {"a": 3, "b": 1.5}),
    (Support("lognormal", 0.0), stats.lognorm(0.4, scale=math.exp(-1)), {"mu": -1, "sigma": 0.4}),
    (Support("normal"), stats.norm(3, 2), {"mean": 3, "sd": 2}),
    (Support("normal", 0.0), stats.truncnorm(-1, np.inf, loc=1, scale=1), {"mean": 1, "sd": 1}),
]


@pytest.mark.parametrize("kind", ["plausible", "quartiles"])
@pytest.mark.parametrize(("where", "ref", "expected"), REFERENCES)
def test_fit_recovers_a_distribution_from_its_own_quantiles(where, ref, expected, kind):
    probs = elicitation.KINDS[kind]
    values = tuple(float(v) for v in ref.ppf(probs))
    dist = elicitation.fit(Judgement("s", "x", kind, values), where)
    for k, v in expected.items():
        assert dist.args[k] == pytest.approx(v, rel=1e-5), k
    # the stated quantiles are reproduced: the fitted CDF at the stated values is the stated probability
    np.testing.assert_allclose(elicitation.cdf(dist, np.array(values)), probs, atol=1e-7)


def test_fit_is_least_squares_on_the_probability_scale():
    """For a judgement no member of the family matches, no nearby fit has a smaller squared error."""
    where = Support("beta", 0.0, 1.0)
    j = Judgement("s", "x", "plausible", (0.1, 0.5, 0.6))  # skewed: no beta has exactly these quantiles
    dist = elicitation.fit(j, where)

    def sse(a: float, b: float) -> float:
        return float(np.sum((stats.beta.cdf(j.values, a, b) - np.array(j.probabilities)) ** 2))

    best = sse(dist.args["a"], dist.args["b"])
    assert best < 0.01  # the stated probabilities are reproduced to within 0.1 on average
    for da, db in [(1.01, 1), (0.99, 1), (1, 1.01), (1, 0.99), (1.01, 1.01), (0.99, 0.99)]:
        assert sse(dist.args["a"] * da, dist.args["b"] * db) >= best


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ((0.5, 0.4, 0.9), "lowest value (0.5) must be below the best guess (0.4)"),
        ((0.1, 0.9, 0.9), "best guess (0.9) must be below the highest value (0.9)"),
        ((0.0, 0.4, 0.9), "lowest value (0) must be above 0"),
        ((0.1, 0.4, 1.2), "highest value (1.2) must be below 1"),
        ((0.1, math.nan, 0.9), "best guess value must be a finite number"),
        ((0.1, 0.2, 1e300), "highest value must be a finite number"),
    ],
)
def test_check_says_what_is_wrong(values, message):
    assert message in elicitation.check(Judgement("s", "x", "plausible", values), Support("beta", 0, 1))
    with pytest.raises(ValueError, match="must be"):
        elicitation.fit(Judgement("s", "x", "plausible", values), Support("beta", 0, 1))


def test_support_and_family_per_parameter():
    sc = api.load(str(DATA / "core_distributions.toml"))
    kinds = {p.dist.kind: p for p in sc.parameters}
    assert elicitation.support(kinds["uniform"]).family == "beta"
    assert elicitation.support(kinds["lognormal"]) == Support("lognormal", 0.0)
    assert elicitation.support(kinds["uniform"], {kinds["uniform"].name: (-5, 5)}) == Support("beta", -5, 5)
    with pytest.raises(ValueError):
        elicitation.support(kinds["bernoulli"])


def _scenario(classroom: str) -> str:
    return POLL.read_text().split("[classroom]")[0] + classroom


def test_classroom_table_is_read():
    sc = loads(_scenario('[classroom]\nask = ["gain", "p"]\nrange = { p = [0, 0.5] }\n'))
    assert sc.classroom.ask == ("gain", "p")
    assert sc.classroom.ranges == {"p": (0.0, 0.5)}
    assert api.judgement_support(sc, "p") == Support("beta", 0.0, 0.5)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('ask = ["gian"]', "classroom.ask: unknown parameter 'gian' (did you mean 'gain'?)"),
        ("ask = []", "classroom.ask: expected a list of 1 to 8 parameter names"),
        ('ask = ["p", "p"]', "classroom.ask: 'p' is listed twice"),
        ('ask = ["p"]\nrange = { gain = [0, 1] }', "classroom.range.gain: a range is given only for an asked"),
        ('ask = ["p"]\nrange = { p = [1, 0] }', "classroom.range.p: expected [low, high] with finite low < high"),
        ('ask = ["p"]\nhow = 1', "classroom.how: unknown key"),
    ],
)
def test_classroom_table_problems(table, message):
    with pytest.raises(ScenarioError) as exc:
        loads(_scenario("[classroom]\n" + table + "\n"))
    assert message in str(exc.value)


def _judgements() -> list[Judgement]:
    return [
        Judgement("s1", "p", "plausible", (0.05, 0.2, 0.5)),
        Judgement("s1", "gain", "plausible", (0.5, 1.0, 2.0)),
        Judgement("s2", "p", "plausible", (0.3, 0.5, 0.8)),
        Judgement("s2", "gain", "quartiles", (0.8, 1.5, 2.5)),
        Judgement("s3", "p", "quartiles", (0.1, 0.15, 0.25)),
        Judgement("s3", "gain", "plausible", (0.2, 0.4, 0.9)),
    ]


def _scipy(dist: Distribution) -> stats.rv_continuous:
    a = dist.args
    if dist.kind == "beta":
        return stats.beta(a["a"], a["b"], loc=a["low"], scale=a["high"] - a["low"])
    return stats.lognorm(a["sigma"], scale=math.exp(a["mu"]))


def test_pooled_rate_equals_a_monte_carlo_over_the_mixture():
    """The pooled run's rate agrees with an independent Monte Carlo over the equal-weight mixture.

    The reference samples each parameter's mixture with scipy (pick a student, draw from their fit)
    and averages the trap's exact probability p * [(1 - p) * gain > p] (see tests/data/poll.toml).
    """
    sc = api.load(str(POLL))
    pooled = api.with_pooled_priors(sc, _judgements())
    assert {p.name: p.dist.kind for p in pooled.parameters} == {"p": "mixture", "gain": "mixture"}
    res = api.simulate(pooled, draws=200_000, seed=11)
    rng = np.random.default_rng(2024)
    n = 400_000
    draws = {}
    for name in ("p", "gain"):
        fits = [_scipy(api.fit_judgement(sc, j)) for j in _judgements() if j.parameter == name]
        pick = rng.integers(len(fits), size=n)
        draws[name] = np.choose(pick, [f.rvs(size=n, random_state=rng) for f in fits])
    p, gain = draws["p"], draws["gain"]
    reference = np.mean(p * ((1 - p) * gain > p))
    lo, hi = res.ci95("fight")
    assert lo <= reference <= hi
    # and the pool differs from the scenario's own prior by more than noise (the test would notice)
    own = api.simulate(sc, draws=200_000, seed=11).ci95("fight")
    assert own[1] < lo or own[0] > hi


def test_run_priors_from_the_command_line(tmp_path):
    sc = api.load(str(POLL))
    rows = [(j, api.fit_judgement(sc, j)) for j in _judgements()]
    csv = tmp_path / "judgements.csv"
    csv.write_text(api.judgements_csv(rows))
    out = CliRunner().invoke(
        main, ["run", str(POLL), "--priors", str(csv), "--draws", "20000", "--seed", "3", "--json"]
    )
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    expected = api.simulate(api.with_pooled_priors(sc, _judgements()), draws=20_000, seed=3)
    assert doc["traps"]["fight"]["count"] == expected.trap_counts["fight"]
    # the run says it ran under the class's priors, and of how many students: in the JSON, the
    # header and the figures' footers (a run under the file's own priors says nothing of the kind)
    students = {name: len({j.student for j in _judgements() if j.parameter == name}) for name in ("p", "gain")}
    assert doc["pooled_priors"] == students
    assert "pooled_priors" not in json.loads(
        CliRunner().invoke(main, ["run", str(POLL), "--draws", "200", "--seed", "3", "--json"]).output
    )
    args = ["run", str(POLL), "--priors", str(csv), "--draws", "2000", "--seed", "3", "--no-figures"]
    out = CliRunner().invoke(main, [*args, "--out", str(tmp_path)])
    assert out.exit_code == 0, out.output
    listed = ", ".join(f"{q.name} ({students[q.name]} students)" for q in sc.parameters if q.name in students)
    assert f"pooled priors: {listed}" in out.output.splitlines()[1]
    assert f"pooled priors: {listed}" in run_note(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "student,parameter,kind,low,mid,high\ns1,gian,plausible,0.1,0.2,0.3\n",
            "line 2: unknown parameter 'gian' (did you mean 'gain'?)",
        ),
        (
            "student,parameter,kind,low,mid,high\ns1,p,plausible,0.3,0.2,0.4\n",
            "line 2: p: the lowest value (0.3) must be",
        ),
        (
            "student,parameter,kind,low,mid,high\ns1,p,plausible,x,0.2,0.4\n",
            "line 2: low, mid and high must be numbers",
        ),
        ("student,parameter,kind,low,mid,high\ns1,p,median,0.1,0.2,0.4\n", "line 2: unknown kind 'median'"),
        ("student,parameter\n", "header: missing column(s) kind, low, mid, high"),
        ("student,parameter,kind,low,mid,high\n", "no judgements"),
        (
            "student,parameter,kind,low,mid,high\ns1,p,plausible,0.1,0.2,0.4\ns1,p,plausible,0.1,0.2,0.4\n",
            "line 3: student 's1' judged p twice",
        ),
    ],
)
def test_bad_priors_file_exits_2_with_one_line(tmp_path, text, message):
    csv = tmp_path / "j.csv"
    csv.write_text(text)
    out = CliRunner().invoke(main, ["run", str(POLL), "--priors", str(csv), "--draws", "100", "--json"])
    assert out.exit_code == 2
    assert message in out.output
