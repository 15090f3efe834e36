"""Shared fixtures of the core test suite: data paths and a click runner."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

from trapsim.cli import main

# Property tests: derandomised for everyday runs (the same examples every time, fast); under CI=true
# random examples from a fixed seed (PYTEST_ADDOPTS=--hypothesis-seed=... in .ci/run), four times
# as many, so CI explores inputs a developer's run never sees and a failure still reproduces.
# HYPOTHESIS_PROFILE=dev|ci picks one explicitly.
settings.register_profile(
    "dev", max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=1200, derandomize=False, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
_CI = os.environ.get("CI", "").lower() in ("true", "1")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _CI else "dev"))

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
