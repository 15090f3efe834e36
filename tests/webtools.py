"""Helpers of the web tests: an in-process explorer server and a tiny JSON client."""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any

from trapsim import web


@contextlib.contextmanager
def serving(path: str, **kwargs: Any) -> Iterator[web.App]:
    """``web.build(path, **kwargs)`` serving on a free port in a thread, stopped afterwards."""
    app = web.build(path, **kwargs)
    thread = threading.Thread(target=app.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app
    finally:
        app.stop()
        thread.join(timeout=10)


def request(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    source: str | None = None,
    timeout: float = 60,
) -> tuple[int, Any]:
    """``(status, JSON document)`` of one request to 127.0.0.1:port (from ``source`` if given)."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=(source, 0) if source else None
    )
    try:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        text = resp.read()
        try:
            return resp.status, json.loads(text)
        except ValueError:
            return resp.status, text
    finally:
        conn.close()
