"""Numbers and lists in the story's prose."""

from __future__ import annotations


def _numbers(values: list[float]) -> list[str]:
    """Format payoffs with as few decimals (3 to 6) as keep distinct values distinct."""
    distinct = len({round(v, 12) for v in values})
    for digits in range(3, 7):
        shown = [f"{v:.{digits}f}" for v in values]
        shown = [t.lstrip("-") if float(t) == 0 else t for t in shown]
        if len(set(shown)) == distinct:
            break
    return shown


def _pct(p: float) -> str:
    if p == 0 or p >= 0.001:
        return f"{p:.1%}"
    return f"{p:.2g}"


def _or(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
