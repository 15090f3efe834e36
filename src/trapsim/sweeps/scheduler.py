"""A bounded check that an address answers as a Dask scheduler, before ``distributed.Client``.

``distributed.Client(address, timeout=...)`` waits for ever on a server that
accepts the connection and never answers (its own timeout does not apply
there), and reads an HTTP server's answer as a frame length of exabytes (a
MemoryError). :func:`probe` makes one connection with distributed's own comm
layer, handshake included, under a deadline of ours (``asyncio.wait_for``), in
a thread of its own so it also works under a running event loop (Jupyter).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

__all__ = ["probe"]


async def _connect(address: str, timeout: float) -> None:
    from distributed.comm import connect

    comm = await asyncio.wait_for(connect(address, timeout=timeout), timeout)
    await comm.close()


def probe(address: str, timeout: float) -> None:
    """Return if ``address`` completes a Dask handshake within ``timeout`` seconds; raise otherwise.

    Raises ``TimeoutError`` for a silent server, and whatever distributed raises
    for one that answers something else (OSError, MemoryError, ValueError, ...).
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="trapsim-dask-probe") as pool:
        pool.submit(asyncio.run, _connect(address, timeout)).result(timeout=timeout + 5)
