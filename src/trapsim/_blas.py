"""One BLAS thread per trapsim process, unless the user chose otherwise.

numpy and scipy each load their own OpenBLAS, which starts a thread for each
further core; each spins for a while after loading before it sleeps. trapsim
does no linear algebra worth threading (its parallelism is processes:
``--workers``), so those threads only burn CPU: 0.1-0.2 s of CPU time per
command that loads scipy (a ``trapsim run`` did, for its truncated normals,
until session 4) on a 2-core machine, on cores that the worker processes, other programs or other
users want. The setting must be in
the environment before numpy loads, so the command line sets it first thing
and worker processes inherit it; a value the user set is kept.
"""

from __future__ import annotations

from collections.abc import MutableMapping

__all__ = ["one_blas_thread"]

#: the variables OpenBLAS (numpy's and scipy's wheels) reads at load time
_SETTINGS = {"OPENBLAS_NUM_THREADS": "1"}


def one_blas_thread(environ: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """``environ`` with one BLAS thread unless it already says how many (changed in place, and returned)."""
    for name, value in _SETTINGS.items():
        environ.setdefault(name, value)
    return environ
