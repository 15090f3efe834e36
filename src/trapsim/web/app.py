"""The routes of ``trapsim explore``: the explorer page, and in classroom mode the student and presenter pages.

Nothing else is served: the pages, their assets under ``/static/`` and the
JSON API. In classroom mode the server listens on every interface; students
need the join code, and everything else (the explorer, the presenter's page,
reset/close/export) the presenter token printed in the terminal.
"""

from __future__ import annotations

import hmac
import importlib.util
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trapsim import api
from trapsim.web.classroom import Poll
from trapsim.web.explorer import Explorer, parse_run
from trapsim.web.server import ASSETS, Handler, RateLimiter, Route, Server, WebError, only_keys
from trapsim.web.store import Store

__all__ = ["App", "build"]

_COOKIE = "trapsim_presenter"


@dataclass
class App:
    """A built (not yet serving) explorer: its server, and in classroom mode its poll and tokens."""

    server: Server
    explorer: Explorer
    poll: Poll | None = None
    token: str = ""
    export_dir: Path | None = None
    lan_host: str = "127.0.0.1"
    student_limit: RateLimiter = field(default_factory=lambda: RateLimiter(rate=2.0, burst=20))
    join_limit: RateLimiter = field(default_factory=lambda: RateLimiter(rate=0.2, burst=5))

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def presenter_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/presenter?token={self.token}"

    @property
    def join_url(self) -> str:
        code = self.poll.store.join_code if self.poll else ""
        return f"http://{self.lan_host}:{self.port}/join/{code}"

    def stop(self) -> None:
        if self.poll is not None:
            self.poll.stop()
        self.server.stop()
        if self.poll is not None:
            self.poll.store.close()

    # ------------------------------------------------------------ guards

    def is_presenter(self, h: Handler) -> bool:
        if self.poll is None:
            return True
        given = h.cookie(_COOKIE) or h.headers.get("X-Trapsim-Token", "")
        return bool(given) and hmac.compare_digest(given.encode()[:64], self.token.encode())

    def presenter(self, route: Route) -> Route:
        def guarded(h: Handler) -> tuple[int, Any]:
            if not self.is_presenter(h):
                raise WebError(403, "the presenter token is required")
            return route(h)

        return guarded

    def student(self, route: Callable[[dict[str, Any]], dict[str, Any]], limit: RateLimiter | None = None) -> Route:
        def limited(h: Handler) -> tuple[int, Any]:
            if not self.student_limit.allow(h.client) or (limit is not None and not limit.allow(h.client)):
                raise WebError(429, "too many requests; wait a moment")
            return 200, route(h.body())

        return limited

    def check_host(self, route: Route) -> Route:
        """Outside classroom mode, answer only requests addressed to this machine (DNS rebinding)."""

        def checked(h: Handler) -> tuple[int, Any]:
            host = h.headers.get("Host", "").rsplit(":", 1)[0]
            if self.poll is None and host not in ("127.0.0.1", "localhost", "[::1]"):
                raise WebError(403, "requests must address 127.0.0.1")
            return route(h)

        return checked


def _page(name: str) -> Route:
    def page(h: Handler) -> tuple[int, Any]:
        h.send_asset(name)
        return -1, None

    return page


def _asset(h: Handler) -> tuple[int, Any]:
    name = h.path.split("?", 1)[0].removeprefix("/static/")
    if name not in ASSETS:
        raise WebError(404, "not found")
    h.send_asset(name)
    return -1, None


def _lan_address() -> str:
    """This machine's address on the local network (no packet is sent), else 127.0.0.1."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            return str(s.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def build(
    path: str,
    *,
    port: int = 0,
    classroom: bool = False,
    db: str | Path | None = None,
    export_dir: str | Path | None = None,
    draws: int | None = None,
) -> App:
    """Load the scenario and bind the server (not yet serving: call ``app.server.serve_forever()``).

    Outside classroom mode the server binds to 127.0.0.1 only.
    """
    scenario = api.load(path)
    explorer = Explorer(scenario, path)
    poll = None
    if classroom:
        store = Store(db or Path("trapsim-out") / f"{scenario.name}_classroom.sqlite", scenario_sha256=scenario.sha256)
        poll = Poll(scenario, path, store, **({"draws": draws} if draws else {}))
    host = "0.0.0.0" if classroom else "127.0.0.1"
    server = Server((host, port), {}, max_body=16_384)
    app = App(
        server,
        explorer,
        poll,
        token=secrets.token_urlsafe(24) if classroom else "",
        export_dir=Path(export_dir) if export_dir else (Path(poll.store.path).with_suffix("") if poll else None),
        lan_host=_lan_address() if classroom else "127.0.0.1",
    )
    server.routes.update(_routes(app))
    server.prefixes.update({("GET", "/static/"): _asset})
    if poll is not None:
        server.prefixes[("GET", "/join/")] = _join_page(app)
    return app


def _routes(app: App) -> dict[tuple[str, str], Route]:
    ex = app.explorer
    p, c = app.presenter, app.check_host
    routes: dict[tuple[str, str], Route] = {
        ("GET", "/"): c(p(_page("explore.html"))),
        ("GET", "/api/scenario"): c(p(lambda h: (200, ex.describe()))),
        ("POST", "/api/run"): c(p(lambda h: (200, ex.run(parse_run(ex.scenario, h.body()))))),
        ("POST", "/api/explore"): c(p(lambda h: (200, ex.explore(parse_run(ex.scenario, h.body()))))),
    }
    poll = app.poll
    if poll is None:
        return routes
    routes.update(
        {
            ("GET", "/presenter"): _presenter_page(app),
            ("POST", "/api/classroom/questions"): app.student(poll.questions),
            ("POST", "/api/classroom/join"): app.student(poll.join, app.join_limit),
            ("POST", "/api/classroom/submit"): app.student(poll.submit),
            ("POST", "/api/classroom/mine"): app.student(poll.mine),
            ("GET", "/api/classroom/info"): p(
                lambda h: (
                    200,
                    {
                        "code": poll.store.join_code,
                        "join_url": app.join_url,
                        "closed": poll.store.closed,
                        "qr": _HAS_QR,
                    },
                )
            ),
            ("GET", "/api/classroom/events"): p(_events(app)),
            ("GET", "/api/classroom/qr.svg"): p(_qr(app)),
            ("POST", "/api/classroom/close"): p(lambda h: (200, poll.set_closed(_flag(h.body(), "closed")))),
            ("POST", "/api/classroom/reset"): p(_action(poll.reset)),
            ("POST", "/api/classroom/export"): p(_action(lambda: {"written": poll.export(app.export_dir or ".")})),
        }
    )
    return routes


def _action(fn: Callable[[], dict[str, Any]]) -> Route:
    """A presenter's action that takes an empty JSON object ``{}``."""

    def act(h: Handler) -> tuple[int, Any]:
        only_keys(h.body(), ())
        return 200, fn()

    return act


def _flag(doc: dict[str, Any], key: str) -> bool:
    only_keys(doc, (key,))
    if not isinstance(doc.get(key), bool):
        raise WebError(400, f"{key}: expected true or false")
    return bool(doc[key])


def _join_page(app: App) -> Route:
    def page(h: Handler) -> tuple[int, Any]:
        code = h.path.split("?", 1)[0].removeprefix("/join/")
        assert app.poll is not None
        try:
            app.poll.check_code(code)
        except WebError:
            raise WebError(404, "no poll with this join code") from None
        h.send_asset("student.html")
        return -1, None

    return page


def _presenter_page(app: App) -> Route:
    def page(h: Handler) -> tuple[int, Any]:
        token = h.query().get("token", "")
        if token:  # trade the token in the address for a cookie, and drop it from the address bar
            if not hmac.compare_digest(token.encode()[:64], app.token.encode()):
                raise WebError(403, "wrong presenter token")
            h.redirect("/presenter", {"Set-Cookie": f"{_COOKIE}={app.token}; HttpOnly; SameSite=Strict; Path=/"})
            return -1, None
        if not app.is_presenter(h):
            raise WebError(403, "the presenter token is required (open the address printed in the terminal)")
        h.send_asset("presenter.html")
        return -1, None

    return page


#: Whether segno (a dependency, but possibly missing from an old environment) can draw the QR code.
_HAS_QR = importlib.util.find_spec("segno") is not None


def _qr(app: App) -> Route:
    """The join address as a QR code (SVG, by segno: pure Python, no dependencies of its own)."""

    def qr(h: Handler) -> tuple[int, Any]:
        if not _HAS_QR:
            raise WebError(404, "no QR code: segno is not installed (pip install segno)")
        import io

        import segno

        buf = io.BytesIO()
        segno.make(app.join_url, error="m").save(buf, kind="svg", scale=6, border=2, xmldecl=False)
        h.send_bytes(200, buf.getvalue(), "image/svg+xml")
        return -1, None

    return qr


def _events(app: App) -> Route:
    """Server-sent events: the poll's summary each time it changes, a comment every 15 s otherwise."""
    import json

    def events(h: Handler) -> tuple[int, Any]:
        assert app.poll is not None
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream; charset=utf-8")
        h.send_header("Cache-Control", "no-store")
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        seen = 0
        while not h.server.stopping.is_set():
            version, summary = app.poll.wait(seen, 15)
            if version > seen:
                data = json.dumps(summary, allow_nan=False)
                h.wfile.write(f"event: summary\nid: {version}\ndata: {data}\n\n".encode())
                seen = version
            else:
                h.wfile.write(b": still here\n\n")
            h.wfile.flush()
        return -1, None

    return events
