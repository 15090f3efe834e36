"""``trapsim explore``: a live explorer for the projector, and a classroom poll of the students' priors.

The top layer beside :mod:`trapsim.cli`: it calls :mod:`trapsim.api` and
:mod:`trapsim.figures` only, and nothing imports it. The server is the
standard library's :class:`http.server.ThreadingHTTPServer` (no new
dependency; server-sent events need nothing more); the pages are plain
HTML, CSS and JavaScript drawing SVG, shipped as package data.
"""

from trapsim.web.app import App, build

__all__ = ["App", "build"]
