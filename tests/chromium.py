"""Render a local HTML file in headless Chromium over the DevTools protocol (pipe transport).

A tiny client, no extra packages: Chromium started with
``--remote-debugging-pipe`` reads NUL-terminated JSON commands on fd 3 and
writes replies and events on fd 4. Used by ``tests/test_report.py`` and to
make the report screenshot under ``figures/``:

    python tests/chromium.py report.html figures/report.png
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Page", "chromium_or_fail", "find_chromium", "render"]


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium_or_fail() -> str:
    """The Chromium binary for a browser test: a missing browser FAILS under ``CI=true``, skips elsewhere.

    CI must prove the pages work in a real browser, so there a missing binary is
    an error in the CI image, never a silent skip.
    """
    import pytest  # only the tests need it; ``python tests/chromium.py`` does not

    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail("chromium is not installed, and CI=true: browser tests must run in CI")
        pytest.skip("chromium is not installed (apt-get install -y chromium; .ci/run does)")
    return binary


@dataclass
class Page:
    """What happened while loading a page."""

    requests: list[str] = field(default_factory=list)  # every URL the page requested
    console: list[tuple[str, str]] = field(default_factory=list)  # (level, text)
    exceptions: list[str] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)  # results of the JS probes
    screenshot: bytes = b""
    pdf: bytes = b""

    @property
    def errors(self) -> list[str]:
        return self.exceptions + [t for level, t in self.console if level in ("error", "assert")]


class _Pipe:
    def __init__(self, binary: str, profile: str) -> None:
        cmd_r, self._cmd_w = os.pipe()
        self._res_r, res_w = os.pipe()
        # move the child's ends above 9 so that "3<&N 4>&M" cannot clobber them (bash, since
        # dash accepts only one-digit descriptors in redirections)
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (cmd_r, res_w)]
        os.close(cmd_r)
        os.close(res_w)
        cmd_r, res_w = high
        args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--mute-audio",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self._log = open(os.environ.get("CHROMIUM_LOG", os.devnull), "wb")  # noqa: SIM115
        # the shell moves our pipe ends to fds 3 and 4, where Chromium expects them
        self.proc = subprocess.Popen(
            [shutil.which("bash") or "bash", "-c", f'exec "$0" "$@" 3<&{cmd_r} 4>&{res_w}', binary, *args],
            pass_fds=(cmd_r, res_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        os.close(cmd_r)
        os.close(res_w)
        self._next = 0
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._res_r, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                self.messages.put(json.loads(raw))

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        events: list[dict[str, Any]] | None = None,
        timeout: float = 60,
    ) -> dict[str, Any]:
        """Send a command and wait for its reply; events seen meanwhile go to ``events``."""
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self.messages.get(timeout=max(0.1, deadline - time.monotonic()))
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            if events is not None:
                events.append(reply)

    def drain(self, events: list[dict[str, Any]], until: str | None, timeout: float) -> None:
        """Collect events until one named ``until`` arrives (or for ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                ev = self.messages.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            events.append(ev)
            if until and ev.get("method") == until:
                return
        if until:
            raise TimeoutError(f"no {until} within {timeout} s")

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing anyway
            self.send("Browser.close", timeout=10)
        os.close(self._cmd_w)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=5)  # it ends at EOF, once Chromium has exited
        os.close(self._res_r)
        self._log.close()


_PROBES = """(() => {
  const imgs = Array.from(document.images);
  return JSON.stringify({
    title: document.title,
    sections: Array.from(document.querySelectorAll('section')).map(s => s.id),
    images: imgs.length,
    images_ok: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
    tables: document.querySelectorAll('table').length,
    scripts: document.scripts.length,
    height: document.documentElement.scrollHeight,
    width: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    figures: imgs.map(i => {
      const r = i.getBoundingClientRect();
      return {alt: i.alt, left: r.left + window.scrollX, right: r.right + window.scrollX,
              width: r.width, natural: i.naturalWidth, section: (i.closest('section') || {}).id || ''};
    }),
  });
})()"""


def render(
    html_path: str | Path,
    *,
    width: int = 1280,
    height: int = 1800,
    pdf: bool = False,
    media: str | None = None,
    binary: str | None = None,
    timeout: float = 90,
) -> Page:
    """Load ``html_path`` in headless Chromium; record requests, console, a screenshot.

    The screenshot is the top ``width`` x ``height`` CSS pixels. With ``pdf``
    the page is also printed to A4 (``Page.printToPDF``). ``media="print"``
    lays the page out with its print style sheet (e.g. at an A4 text width).
    """
    binary = binary or find_chromium()
    if binary is None:
        raise FileNotFoundError("chromium is not installed")
    url = Path(html_path).resolve().as_uri()
    page = Page()
    with tempfile.TemporaryDirectory(prefix="trapsim-chromium-") as profile:
        pipe = _Pipe(binary, profile)
        try:
            events: list[dict[str, Any]] = []
            target = pipe.send("Target.createTarget", {"url": "about:blank"}, events=events)
            session = pipe.send(
                "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, events=events
            )["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                pipe.send(f"{domain}.enable", session=session, events=events)
            pipe.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                session=session,
                events=events,
            )
            if media:
                pipe.send("Emulation.setEmulatedMedia", {"media": media}, session=session, events=events)
            pipe.send("Page.navigate", {"url": url}, session=session, events=events)
            pipe.drain(events, "Page.loadEventFired", timeout)
            pipe.drain(events, None, 0.5)  # late console messages
            probe = pipe.send(
                "Runtime.evaluate", {"expression": _PROBES, "returnByValue": True}, session=session, events=events
            )
            page.checks = json.loads(probe["result"]["value"])
            shot = pipe.send(
                "Page.captureScreenshot", {"format": "png"}, session=session, events=events, timeout=timeout
            )
            page.screenshot = base64.b64decode(shot["data"])
            if pdf:
                printed = pipe.send(
                    "Page.printToPDF",
                    {"preferCSSPageSize": True, "printBackground": True},
                    session=session,
                    events=events,
                    timeout=timeout,
                )
                page.pdf = base64.b64decode(printed["data"])
            pipe.drain(events, None, 0.2)
        finally:
            pipe.close()
    for ev in events:
        method, params = ev.get("method"), ev.get("params", {})
        if method == "Network.requestWillBeSent":
            page.requests.append(params["request"]["url"])
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            page.console.append((params["type"], text))
        elif method == "Log.entryAdded":
            entry = params["entry"]
            page.console.append((entry["level"], f"{entry.get('url', '')}: {entry['text']}"))
        elif method == "Runtime.exceptionThrown":
            page.exceptions.append(params["exceptionDetails"].get("text", "exception"))
    return page


if __name__ == "__main__":  # python tests/chromium.py PAGE.html SHOT.png [WIDTH HEIGHT]
    w, h = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (1280, 1800)
    result = render(sys.argv[1], width=w, height=h)
    Path(sys.argv[2]).write_bytes(result.screenshot)
    print(json.dumps({"requests": result.requests, "errors": result.errors, **result.checks}))
