"""The HTTP plumbing of the explorer: a threading server, JSON bodies with caps, rate limits, assets.

Request handlers stay thin: :class:`Handler` parses and checks the request and
calls one function of :mod:`trapsim.web.explorer` or :mod:`trapsim.web.classroom`,
which call :mod:`trapsim.api`. Every problem a client causes is a
:class:`WebError` (a 4xx with ``{"error": "..."}``); the server keeps serving.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

__all__ = ["ASSETS", "Handler", "RateLimiter", "Route", "Server", "WebError"]

#: Files served under /static/ (package data of trapsim.web), with their content types.
ASSETS = {
    "style.css": "text/css; charset=utf-8",
    "common.js": "text/javascript; charset=utf-8",
    "explore.js": "text/javascript; charset=utf-8",
    "student.js": "text/javascript; charset=utf-8",
    "presenter.js": "text/javascript; charset=utf-8",
}
PAGES = ("explore.html", "student.html", "presenter.html")
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class WebError(Exception):
    """A problem with a request: HTTP ``status`` and a one-line message."""

    def __init__(self, status: int, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra or {}


class RateLimiter:
    """A token bucket per client address: ``burst`` requests at once, ``rate`` per second after."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._buckets) > 10_000:  # forget idle clients rather than grow without bound
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60}
            tokens, last = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                return False
            self._buckets[client] = (tokens - 1, now)
            return True


#: A route: ``(method, path) -> handler(request) -> (status, JSON document)``.
Route = Callable[["Handler"], tuple[int, Any]]


MAX_CONNECTIONS = 512  # open connections (threads) at once; more are closed unanswered


class Server(ThreadingHTTPServer):
    """A threading HTTP server that knows its routes and when it is stopping."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a class connecting at once (the default, 5, resets connections)

    def __init__(
        self,
        address: tuple[str, int],
        routes: dict[tuple[str, str], Route],
        *,
        prefixes: dict[tuple[str, str], Route] | None = None,
        max_body: int = 16_384,
    ) -> None:
        self.routes = routes
        self.prefixes = prefixes or {}
        self.max_body = max_body
        self.stopping = threading.Event()
        self._connections = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve in a new thread, unless MAX_CONNECTIONS are open already: then close at once."""
        if not self._connections.acquire(blocking=False):
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._connections.release()

    def stop(self) -> None:
        """Stop serving (from another thread) and release the socket."""
        self.stopping.set()
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    """Dispatches to the server's routes; turns :class:`WebError` into a 4xx JSON answer."""

    server: Server
    timeout = 30  # seconds a client may take to send a request (and to take an answer)
    protocol_version = "HTTP/1.1"
    server_version = "trapsim"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the terminal shows the addresses and errors only

    @property
    def client(self) -> str:
        return str(self.client_address[0])

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _refuse(self) -> None:
        self.close_connection = True
        self.send_json(405, {"error": f"method {self.command} not allowed"})

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _refuse

    def _route(self, method: str) -> Route | None:
        path = self.path.split("?", 1)[0]
        route = self.server.routes.get((method, path))
        if route is None:
            for (m, prefix), r in self.server.prefixes.items():
                if m == method and path.startswith(prefix):
                    return r
        return route

    def _dispatch(self, method: str) -> None:
        try:
            route = self._route(method)
            if route is None:
                known = {p for _, p in self.server.routes}
                raise WebError(405 if self.path.split("?")[0] in known else 404, "not found")
            status, doc = route(self)
            if status >= 0:  # a negative status: the route wrote its own answer
                self.send_json(status, doc)
        except WebError as exc:
            self.close_connection = True
            self.send_json(exc.status, {"error": exc.message, **exc.extra})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # ------------------------------------------------------------ reading

    def query(self) -> dict[str, str]:
        from urllib.parse import parse_qsl

        q = self.path.split("?", 1)[1] if "?" in self.path else ""
        return dict(parse_qsl(q[:2048]))

    def body(self) -> dict[str, Any]:
        """The request's JSON object (at most ``server.max_body`` bytes); 4xx otherwise."""
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise WebError(411, "a Content-Length header is required")
        n = int(length)
        if n > self.server.max_body:
            raise WebError(413, f"request body larger than {self.server.max_body:,} bytes")
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
        if ctype != "application/json":
            raise WebError(415, "expected Content-Type: application/json")
        raw = self.rfile.read(n)
        try:
            doc = json.loads(raw.decode("utf-8") or "null", parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise WebError(400, f"malformed JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise WebError(400, "expected a JSON object")
        return doc

    def cookie(self, name: str) -> str:
        for part in self.headers.get("Cookie", "").split(";"):
            k, _, v = part.strip().partition("=")
            if k == name:
                return v
        return ""

    # ------------------------------------------------------------ writing

    def send_bytes(self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in {**_SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_json(self, status: int, doc: Any) -> None:
        self.send_bytes(status, json.dumps(doc, allow_nan=False).encode("utf-8"), "application/json; charset=utf-8")

    def send_asset(self, name: str, headers: dict[str, str] | None = None) -> None:
        ctype = "text/html; charset=utf-8" if name.endswith(".html") else ASSETS[name]
        data = resources.files("trapsim.web").joinpath("static", name).read_bytes()
        self.send_bytes(200, data, ctype, headers)

    def redirect(self, where: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def number(value: Any, key: str, *, low: float = -math.inf, high: float = math.inf) -> float:
    """A finite JSON number in ``[low, high]``, else a 400 naming ``key``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise WebError(400, f"{key}: expected a number, got {json.dumps(value)[:40]}")
    if not low <= value <= high:
        raise WebError(400, f"{key}: expected a number from {low:g} to {high:g}, got {value:g}")
    return float(value)


def whole(value: Any, key: str, *, low: int, high: int) -> int:
    """A JSON whole number in ``[low, high]``, else a 400 naming ``key``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise WebError(400, f"{key}: expected a whole number, got {json.dumps(value)[:40]}")
    if not low <= value <= high:
        raise WebError(400, f"{key}: expected a whole number from {low:,} to {high:,}, got {value:,}")
    return value


def only_keys(doc: dict[str, Any], allowed: tuple[str, ...], where: str = "request") -> None:
    """A 400 naming the first key of ``doc`` not in ``allowed``."""
    for k in doc:
        if k not in allowed:
            raise WebError(400, f"{where}: unknown key {json.dumps(k)[:40]} (expected one of: {', '.join(allowed)})")
