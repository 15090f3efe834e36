"""Parameter sweeps: rerun the Monte Carlo with one or two parameters fixed on a grid.

* :func:`run_sweep` runs a grid (in this process, in local processes, or on Dask);
* :class:`SweepResult` holds the counts and writes the tidy CSV and the JSON document;
* :mod:`trapsim.figures.sweeps` draws them.
"""

from trapsim.sweeps.checkpoint import Checkpoint
from trapsim.sweeps.engine import grid_values, run_sweep
from trapsim.sweeps.result import Point, SweepResult, grid_points

__all__ = ["Checkpoint", "Point", "SweepResult", "grid_points", "grid_values", "run_sweep"]
