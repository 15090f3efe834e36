"""Solving a scenario at given parameter values: once (``trapsim solve``), at many points at once,
and every subgame-perfect equilibrium (``trapsim solve --all-spe``)."""

from __future__ import annotations

from trapsim.equilibrium.every import AllSPE, SPEProfile, all_spe
from trapsim.equilibrium.point import Equilibrium, GameAtPoint, central_values, game_at, solve, strategies

__all__ = [
    "AllSPE",
    "Equilibrium",
    "GameAtPoint",
    "SPEProfile",
    "all_spe",
    "central_values",
    "game_at",
    "solve",
    "strategies",
]
