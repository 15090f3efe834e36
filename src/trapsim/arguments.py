"""Checks of public API arguments: each mistake is an :class:`~trapsim.errors.ArgumentError`.

Python callers pass anything (``draws=2.9``, ``seed=-1``, ``"many"``); these
checks turn every such mistake into one clear error naming the argument,
before any work starts, instead of a silent conversion or numpy's message.
Messages name the API argument (``draws``, ``values['x']``); the command line
renames them to its options (``--draws``, ``--set x``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from trapsim.errors import ArgumentError, suggest

__all__ = ["choice", "finite", "mapping_of_numbers", "optional_callable", "positive", "seed", "whole"]

#: Seeds are SeedSequence entropy: non-negative whole numbers below 2**128.
MAX_SEED = 2**128


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def whole(argument: str, value: Any, *, minimum: int = 1, maximum: int | None = None, file: str = "") -> int:
    """A whole number in ``[minimum, maximum]`` (``2000.0`` is accepted; ``2.9``, ``True`` and ``"many"`` are not)."""
    bound = f"a whole number >= {minimum}" + (f" and <= {maximum:,}" if maximum is not None else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentError(argument, f"expected {bound}, got {_shown(value)}", file=file)
    if not isinstance(value, numbers.Integral) and not (math.isfinite(value) and float(value).is_integer()):
        raise ArgumentError(argument, f"expected {bound}, got {_shown(value)}", file=file)
    number = int(float(value)) if not isinstance(value, numbers.Integral) else int(value)
    if number < minimum or (maximum is not None and number > maximum):
        raise ArgumentError(argument, f"expected {bound}, got {number}", file=file)
    return number


def seed(value: Any, *, file: str = "") -> int | None:
    """``None`` or a whole number in ``[0, 2**128)``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentError("seed", f"expected a whole number >= 0 (or None), got {_shown(value)}", file=file)
    if not 0 <= int(value) < MAX_SEED:
        raise ArgumentError("seed", f"expected a whole number >= 0 and < 2**128, got {int(value)}", file=file)
    return int(value)


def finite(argument: str, value: Any, *, file: str = "", item: str | None = None) -> float:
    """A finite real number (not a bool, not NaN or infinity)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentError(argument, f"expected a number, got {_shown(value)}", item=item, file=file)
    number = float(value)
    if not math.isfinite(number):
        raise ArgumentError(argument, f"expected a finite number, got {number}", item=item, file=file)
    return number


def positive(argument: str, value: Any, *, file: str = "") -> float:
    """A finite number > 0."""
    number = finite(argument, value, file=file)
    if not number > 0:
        raise ArgumentError(argument, f"expected a number > 0, got {number:g}", file=file)
    return number


def choice(argument: str, value: Any, options: Iterable[str], *, file: str = "") -> str:
    """One of ``options``."""
    options = list(options)
    if not isinstance(value, str) or value not in options:
        hint = suggest(value, options) if isinstance(value, str) else None
        raise ArgumentError(
            argument, f"expected {' or '.join(options)}, got {_shown(value)}", suggestion=hint, file=file
        )
    return value


def mapping_of_numbers(argument: str, value: Any, *, file: str = "") -> dict[str, float]:
    """``{name: finite number}`` (``None`` is empty)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ArgumentError(argument, f"expected a mapping of names to numbers, got {_shown(value)}", file=file)
    out = {}
    for name, number in value.items():
        if not isinstance(name, str):
            raise ArgumentError(argument, f"expected parameter names as keys, got {_shown(name)}", file=file)
        out[name] = finite(argument, number, file=file, item=name)
    return out


def optional_callable(argument: str, value: Any) -> Callable[..., Any] | None:
    """``None`` or something callable."""
    if value is not None and not callable(value):
        raise ArgumentError(argument, f"expected a function (or None), got {_shown(value)}")
    return value
