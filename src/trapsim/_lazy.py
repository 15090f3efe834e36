"""Public names imported on first use (PEP 562), for ``trapsim`` and ``trapsim.api``.

A command then pays only for the modules it uses: ``import trapsim`` loads no
scipy or matplotlib, and ``trapsim validate`` no sweeps, analyses or reports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    module: str, namespace: dict[str, Any], where: Mapping[str, str], public: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``module``: each name of ``where`` is imported from its module on
    first use and kept in ``namespace`` (the module's globals); ``dir()`` lists ``public`` only."""

    def getattr_(name: str) -> Any:
        source = where.get(name)
        if source is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted(public)

    return getattr_, dir_
