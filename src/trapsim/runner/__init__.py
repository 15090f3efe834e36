"""Monte Carlo runs: sample in fixed-size chunks, solve, play, count traps.

A run is split into chunks of :data:`CHUNK` draws. Chunk ``c`` draws from
streams addressed by ``c`` (see :mod:`trapsim.sampling`), so the result does
not depend on how chunks are spread over processes: per-chunk statistics are
always merged in chunk order.
"""

from trapsim.runner.chunk import ChunkRecords, ChunkStats, run_chunk
from trapsim.runner.compiling import CHUNK, CompiledScenario
from trapsim.runner.parallel import compiled, default_workers, run, run_point
from trapsim.runner.perdraw import collect_per_draw, write_per_draw
from trapsim.runner.pool import forks, pool_results
from trapsim.runner.result import Result, trapsim_version, wilson

__all__ = [
    "CHUNK",
    "ChunkRecords",
    "ChunkStats",
    "CompiledScenario",
    "Result",
    "collect_per_draw",
    "compiled",
    "default_workers",
    "forks",
    "pool_results",
    "run",
    "run_chunk",
    "run_point",
    "trapsim_version",
    "wilson",
    "write_per_draw",
]
