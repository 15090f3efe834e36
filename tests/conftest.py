"""Shared fixtures of the core test suite: data paths and a click runner."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

from trapsim.cli import main

# Property tests: derandomised for everyday runs (the same examples every time, fast); the "ci"
# profile (HYPOTHESIS_PROFILE=ci, set by .ci/run) draws random examples from a fixed seed
# (--hypothesis-seed, also set there), four times as many, so CI explores inputs an everyday run
# never sees and a failure still reproduces.
settings.register_profile(
    "dev", max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=1200, derandomize=False, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"


@pytest.fixture
def data_dir() -> Path:
    """The directory of the test scenarios."""
    return DATA


@pytest.fixture
def invoke() -> Callable[..., Result]:
    """Run the ``trapsim`` command line in-process: ``invoke("validate", path)``."""
    runner = CliRunner()

    def _invoke(*args: object) -> Result:
        return runner.invoke(main, [str(a) for a in args])

    return _invoke
