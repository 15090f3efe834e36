"""Shared fixtures of the core test suite: data paths and a click runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from trapsim.cli import main

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
