"""Public API arguments: every mistake is an ArgumentError naming the argument, never a silent conversion.

Regression tests: ``simulate(draws=2.9)`` ran 2 draws, ``draws="many"`` raised a
bare ValueError, ``seed=-1`` and ``seed=1.5`` raised numpy's errors, and
argument mistakes were reported as problems of the scenario file with CLI
option names in them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import trapsim
from trapsim import api
from trapsim.errors import ArgumentError, ScenarioError, TrapsimError

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def simple() -> trapsim.Scenario:
    return trapsim.load(str(DATA / "simple.toml"))


@pytest.fixture(scope="module")
def threshold() -> trapsim.Scenario:
    return trapsim.load(str(DATA / "threshold.toml"))


def _error(fn: Any, *args: Any, **kw: Any) -> ArgumentError:
    with pytest.raises(ArgumentError) as info:
        fn(*args, **kw)
    err = info.value
    assert isinstance(err, TrapsimError) and isinstance(err, ValueError)  # one tree; still a ValueError
    assert not isinstance(err, ScenarioError)  # a caller's mistake, not the file's
    assert "--" not in str(err)  # no command-line option names in engine messages
    return err


@pytest.mark.parametrize("draws", [2.9, "many", 0, -5, True, math.nan, math.inf, "1000"])
def test_bad_draws(simple: trapsim.Scenario, draws: Any) -> None:
    err = _error(api.simulate, simple, draws=draws, seed=1)
    assert err.argument == "draws"
    assert str(err).startswith(f"{simple.path}: argument draws: expected a whole number >= 1")


def test_whole_float_draws_are_accepted(simple: trapsim.Scenario) -> None:
    assert api.simulate(simple, draws=1000.0, seed=1).draws == 1000
    assert api.simulate(simple, draws=1e3, seed=1).trap_counts == api.simulate(simple, draws=1000, seed=1).trap_counts


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True, 2**128])
def test_bad_seed(simple: trapsim.Scenario, seed: Any) -> None:
    err = _error(api.simulate, simple, draws=100, seed=seed)
    assert err.argument == "seed" and "expected a whole number >= 0" in str(err)


@pytest.mark.parametrize(
    ("kw", "argument", "text"),
    [
        ({"rationality": math.inf}, "rationality", "expected a finite number, got inf"),
        ({"rationality": math.nan}, "rationality", "expected a finite number, got nan"),
        ({"rationality": 0}, "rationality", "expected a number > 0, got 0"),
        ({"rationality": "high"}, "rationality", "expected a number, got 'high'"),
        ({"solver": "spee"}, "solver", "expected spe or qre, got 'spee' (did you mean 'spe'?)"),
        ({"workers": 0}, "workers", "expected a whole number >= 1, got 0"),
        ({"workers": 1.5}, "workers", "expected a whole number >= 1, got 1.5"),
        ({"values": {"cost": math.nan}}, "values", "argument values['cost']: expected a finite number, got nan"),
        ({"values": {"cost": "1"}}, "values", "argument values['cost']: expected a number, got '1'"),
        ({"values": {"cots": 1}}, "values", "values['cots']: unknown parameter 'cots' (did you mean 'cost'?)"),
        ({"values": [("cost", 1)]}, "values", "expected a mapping of names to numbers"),
        ({"progress": 3}, "progress", "expected a function (or None), got 3"),
    ],
)
def test_bad_simulate_arguments(simple: trapsim.Scenario, kw: dict[str, Any], argument: str, text: str) -> None:
    err = _error(api.simulate, simple, draws=100, seed=1, **kw)
    assert err.argument == argument
    assert text in str(err)


def test_a_scenario_argument_that_is_not_a_scenario() -> None:
    err = _error(api.simulate, str(DATA / "simple.toml"), draws=10)
    assert str(err) == "argument scenario: expected a Scenario (from trapsim.load), got str"


@pytest.mark.parametrize(
    ("grid", "text"),
    [
        ({"t": [0.0, math.nan]}, "argument grid['t']: expected a finite number, got nan"),
        ({"t": [0.0, math.inf]}, "argument grid['t']: expected a finite number, got inf"),
        ({"t": []}, "argument grid['t']: expected one or more finite values"),
        ({"t": "0:1:5"}, "argument grid['t']: expected one or more finite values"),
        ({"tt": [0.0]}, "argument grid['tt']: unknown parameter 'tt' (did you mean 't'?)"),
        ({"t": [0.0], "s": [0.0], "u": [0.0]}, "argument grid: vary one or two parameters, not 3"),
        ("nosuch", "argument sweep['nosuch']: unknown sweep 'nosuch' (declared: one, two)"),
        (None, "argument sweep: the scenario declares 2 sweeps (one, two); name one"),
    ],
)
def test_bad_sweep_grids(threshold: trapsim.Scenario, grid: Any, text: str) -> None:
    assert text in str(_error(api.sweep, threshold, grid, draws=100))


def test_varied_and_fixed_at_once(threshold: trapsim.Scenario) -> None:
    err = _error(api.sweep, threshold, {"t": [0.1]}, draws=100, values={"t": 0.5})
    assert "argument values['t']: 't' is both varied and fixed" in str(err)


def test_compare_and_analysis_arguments(simple: trapsim.Scenario) -> None:
    assert _error(api.compare, [simple], draws=10).argument == "scenarios"
    assert _error(api.compare, [simple, "x"], draws=10).argument == "scenarios"
    assert _error(api.compare, [simple, simple], draws=10, alpha=2).argument == "alpha"
    assert _error(api.sensitivity, simple, samples=8.5).argument == "samples"
    assert _error(api.trap_probability, simple, draws=-1).argument == "draws"
    assert _error(api.discover, simple, "fight", draws=0.5).argument == "draws"
    assert _error(api.all_spe, simple, limit=0).argument == "limit"


def test_cli_names_its_options_not_the_api_arguments(invoke) -> None:
    result = invoke("run", DATA / "simple.toml", "--set", "cots=1", "--draws", "10")
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: {DATA / 'simple.toml'}: --set cots: unknown parameter 'cots' (did you mean 'cost'?)"
    )
    result = invoke("sweep", DATA / "threshold.toml", "--sweep", "nosuch", "--draws", "10", "--json")
    assert result.exit_code == 2
    assert "--sweep nosuch: unknown sweep 'nosuch'" in result.output
    assert "argument" not in result.output
