"""Distributions: draws, central values and inverse CDFs.

Reproducibility rule: every random stream is a child of one root
``SeedSequence(seed)``, addressed by ``(chunk index, digest of a name)``:
the parameter's name, ``"node:<id>"`` for the chance draws at a node, or
``"belief:<actor>:<parameter>"``. The digest is the first 128 bits of the
name's SHA-256, as four 32-bit words of the spawn key, so two different names
never share a stream in practice (a 32-bit CRC did: ``s6l6mwll`` and
``ovbiasnc`` collided and drew identical values). A stream never depends on
the worker that computes it, on the number of workers, or on which other
parameters exist, so

* a run gives bit-identical results whatever the number of processes;
* fixing a parameter with ``--set`` leaves every other draw unchanged, and so
  do sweep points (common random numbers);
* two scenarios that share a parameter name draw the same values for it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np

from trapsim._normal import ndtr, ndtri
from trapsim._signals import import_held
from trapsim.model import Distribution

__all__ = [
    "central_value",
    "draw",
    "fresh_seed",
    "ppf",
    "stream",
    "stream_key",
    "truncation_mass",
]


#: 32-bit words of the name's SHA-256 in a stream's spawn key (128 bits: collisions are out of reach).
_KEY_WORDS = 4


def stream_key(chunk: int, key: str) -> tuple[int, ...]:
    """The spawn key of one named stream of one chunk: ``(chunk, w0, w1, w2, w3)``."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    words = tuple(int.from_bytes(digest[4 * i : 4 * i + 4], "little") for i in range(_KEY_WORDS))
    return (chunk, *words)


def stream(entropy: int, chunk: int, key: str) -> np.random.Generator:
    """The random generator for one named stream of one chunk."""
    ss = np.random.SeedSequence(entropy, spawn_key=stream_key(chunk, key))
    return np.random.Generator(np.random.PCG64(ss))


def _special() -> ModuleType:
    """``scipy.special``, imported on first use: only the lognormal's and the beta's inverse CDFs need it
    (sensitivity analysis), and it is slow to import (0.1 s; the normal's functions are in ``_normal``)."""
    return import_held("scipy.special")  # an interrupt inside it can break the interpreter's exit


def _std_bounds(a: Mapping[str, Any]) -> tuple[float, float]:
    lo = (a["low"] - a["mean"]) / a["sd"] if "low" in a else -np.inf
    hi = (a["high"] - a["mean"]) / a["sd"] if "high" in a else np.inf
    return float(lo), float(hi)


def truncation_mass(a: Mapping[str, Any]) -> float:
    """Probability mass of a normal distribution inside its truncation bounds."""
    lo, hi = _std_bounds(a)
    if lo > 0:  # upper tail: 1 - ndtr(lo) loses every digit; use the mirror image
        return float(ndtr(-lo) - ndtr(-hi))
    return float(ndtr(hi) - ndtr(lo))


def central_value(dist: Distribution) -> float:
    """The value ``solve`` uses: the mean (``p`` for bernoulli)."""
    a = dist.args
    kind = dist.kind
    if kind == "constant":
        return float(a["value"])
    if kind == "uniform":
        return (a["low"] + a["high"]) / 2
    if kind == "normal":
        if "low" not in a and "high" not in a:
            return float(a["mean"])
        lo, hi = _std_bounds(a)
        pdf = lambda z: 0.0 if np.isinf(z) else float(np.exp(-z * z / 2) / np.sqrt(2 * np.pi))  # noqa: E731
        return float(a["mean"] + a["sd"] * (pdf(lo) - pdf(hi)) / truncation_mass(a))
    if kind == "lognormal":
        return float(np.exp(a["mu"] + a["sigma"] ** 2 / 2))
    if kind == "beta":
        low, high = a.get("low", 0.0), a.get("high", 1.0)
        return low + (high - low) * a["a"] / (a["a"] + a["b"])
    if kind == "triangular":
        return (a["low"] + a["mode"] + a["high"]) / 3
    if kind == "bernoulli":
        return float(a["p"])
    if kind == "choice":
        values = np.asarray(a["values"])
        weights = np.asarray(a.get("weights", np.ones(len(values))))
        return float(np.sum(values * weights) / np.sum(weights))
    if kind == "mixture":  # an equal-weight pool (trapsim.elicitation), never written in a file
        return float(np.mean([central_value(c) for c in a["components"]]))
    raise ValueError(f"unknown distribution {kind!r}")


def draw(dist: Distribution, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` independent draws of ``dist`` (a float64 array of shape ``(n,)``)."""
    a = dist.args
    kind = dist.kind
    if kind == "constant":
        return np.full(n, a["value"])
    if kind == "uniform":
        return rng.uniform(a["low"], a["high"], n)
    if kind == "normal":
        if "low" not in a and "high" not in a:
            return rng.normal(a["mean"], a["sd"], n)
        return ppf(dist, rng.random(n))
    if kind == "lognormal":
        return rng.lognormal(a["mu"], a["sigma"], n)
    if kind == "beta":
        low, high = a.get("low", 0.0), a.get("high", 1.0)
        return low + (high - low) * rng.beta(a["a"], a["b"], n)
    if kind == "triangular":
        return rng.triangular(a["low"], a["mode"], a["high"], n)
    if kind == "bernoulli":
        return (rng.random(n) < a["p"]).astype(np.float64)
    if kind == "choice":
        return ppf(dist, rng.random(n))
    if kind == "mixture":  # pick a component per draw, then draw from it
        parts = a["components"]
        pick = rng.integers(len(parts), size=n)
        out = np.empty(n)
        for i, part in enumerate(parts):
            mask = pick == i
            out[mask] = draw(part, rng, int(mask.sum()))
        return out
    raise ValueError(f"unknown distribution {kind!r}")


def ppf(dist: Distribution, u: np.ndarray) -> np.ndarray:
    """Inverse CDF: map uniforms ``u`` in (0, 1) to values of ``dist``.

    The normal's ``ndtr`` and ``ndtri`` are :mod:`trapsim._normal`'s, the
    same doubles as scipy's without importing scipy.

    Used for truncated normals and choices, and by sensitivity analysis to
    push uniform designs through each parameter's own distribution.
    """
    a = dist.args
    kind = dist.kind
    u = np.asarray(u, dtype=np.float64)
    if kind == "constant":
        return np.full(u.shape, a["value"])
    if kind == "uniform":
        return a["low"] + (a["high"] - a["low"]) * u
    if kind == "normal":
        lo, hi = _std_bounds(a)
        if lo > 0:  # upper tail: invert in the mirrored lower tail, where ndtr keeps its digits
            p_lo, p_hi = ndtr(-hi), ndtr(-lo)
            z = -ndtri(p_hi - u * (p_hi - p_lo))
        else:
            p_lo, p_hi = ndtr(lo), ndtr(hi)
            z = ndtri(p_lo + u * (p_hi - p_lo))
        x = a["mean"] + a["sd"] * z
        if "low" in a or "high" in a:
            x = np.clip(x, a.get("low", -np.inf), a.get("high", np.inf))
        return x
    if kind == "lognormal":
        return np.exp(a["mu"] + a["sigma"] * _special().ndtri(u))
    if kind == "beta":
        low, high = a.get("low", 0.0), a.get("high", 1.0)
        return low + (high - low) * _special().betaincinv(a["a"], a["b"], u)
    if kind == "triangular":
        low, mode, high = a["low"], a["mode"], a["high"]
        cut = (mode - low) / (high - low)
        left = low + np.sqrt(u * (high - low) * (mode - low))
        right = high - np.sqrt((1 - u) * (high - low) * (high - mode))
        return np.where(u < cut, left, right)
    if kind == "bernoulli":
        return (u < a["p"]).astype(np.float64)
    if kind == "choice":
        values = np.asarray(a["values"], dtype=np.float64)
        weights = np.asarray(a.get("weights", np.ones(len(values))), dtype=np.float64)
        cum = np.cumsum(weights) / np.sum(weights)
        idx = np.minimum(np.searchsorted(cum, u, side="right"), len(values) - 1)
        return values[idx]
    if kind == "mixture":  # u picks the component, the rest of u the value in it (a transport map)
        parts = a["components"]
        k = np.minimum((u * len(parts)).astype(np.int64), len(parts) - 1)
        inner = np.clip(u * len(parts) - k, 1e-12, 1 - 1e-12)
        out = np.empty(u.shape)
        for i, part in enumerate(parts):
            out[k == i] = ppf(part, inner[k == i])
        return out
    raise ValueError(f"unknown distribution {kind!r}")


def fresh_seed() -> int:
    """A new root seed from the operating system's entropy, for a run given no seed.

    Nine digits at most, so that the seed printed after an unseeded run can be
    copied into ``--seed`` to repeat it (a billion seeds are plenty to keep
    unseeded runs apart; the streams themselves come from ``SeedSequence``).
    """
    return secrets.randbelow(1_000_000_000)
