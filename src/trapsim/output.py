"""Writing files atomically, so an interrupted run never leaves half a file; text safe for a terminal."""

from __future__ import annotations

import errno
import html
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = [
    "ANY_CONTROL",
    "CONTROL",
    "html_table",
    "inputs_protected",
    "json_text",
    "pandas",
    "printable",
    "protect_input",
    "short_repr",
    "write_atomic",
    "write_text_atomic",
]

#: Control characters (C0 but tab and newline, DEL, C1): they can move the cursor, retitle the
#: terminal or hide hyperlinks (escape sequences), so untrusted text never reaches a terminal with them.
#: Also the bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which
#: make text display in another order than it is read ("Trojan source"); the marks LRM, RLM and ALM
#: (U+200E, U+200F, U+061C), which right-to-left names may need, are allowed.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str, *, newlines: bool = False) -> str:
    """``text`` with every control character escaped (``\\x1b``); newlines too unless ``newlines``."""
    pattern = CONTROL if newlines else ANY_CONTROL
    return pattern.sub(lambda m: repr(m.group())[1:-1], text)


#: ``(device, inode)`` of every input file read during one command (see :func:`inputs_protected`).
_INPUTS: ContextVar[set[tuple[int, int]] | None] = ContextVar("trapsim_inputs", default=None)


@contextmanager
def inputs_protected() -> Iterator[None]:
    """While active (one command line invocation), no output replaces a file that was read as input."""
    token = _INPUTS.set(set())
    try:
        yield
    finally:
        _INPUTS.reset(token)


def protect_input(path: str | Path) -> None:
    """Remember ``path`` as an input of the current command (e.g. so `--efg s.toml` cannot replace it)."""
    inputs = _INPUTS.get()
    if inputs is None:
        return
    try:
        st = os.stat(path)
    except OSError:
        return
    inputs.add((st.st_dev, st.st_ino))


def _refuse_inputs(path: Path) -> None:
    inputs = _INPUTS.get()
    if not inputs:
        return
    try:
        st = os.stat(path)
    except OSError:
        return
    if (st.st_dev, st.st_ino) in inputs:
        raise FileExistsError(errno.EEXIST, "is an input file of this command; refusing to overwrite it", str(path))


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it into place.

    The rename is atomic on POSIX, so readers see either the old file or the
    complete new one. The temporary file is removed if ``write`` fails.
    """
    path = Path(path)
    _refuse_inputs(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file", str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A short temporary name: a name near the file system's limit must not fail on the prefix.
        fd, tmp = tempfile.mkstemp(prefix=".trapsim-", suffix=".part" + path.suffix[:16], dir=path.parent)
    except OSError as exc:  # name the file asked for, never the temporary one
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600 files; use the usual mode
        os.replace(tmp_path, path)
    except OSError as exc:
        tmp_path.unlink(missing_ok=True)
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    return write_atomic(path, write)


# ------------------------------------------------------------------ notebooks


def short_repr(kind: str, name: str, *parts: str) -> str:
    """The one-line ``repr`` of every trapsim result: ``<Kind name: part; part>``."""
    return f"<{kind} {name}" + (": " + "; ".join(p for p in parts if p) if parts else "") + ">"


def html_table(caption: str, header: Sequence[str], rows: Sequence[Sequence[Any]], *, note: str = "") -> str:
    """A small HTML table for a notebook's ``_repr_html_`` (every cell escaped)."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    foot = f"<p><small>{html.escape(note)}</small></p>" if note else ""
    return (
        f"<div><table><caption style='text-align:left'><b>{html.escape(caption)}</b></caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{foot}</div>"
    )


def pandas() -> ModuleType:
    """The pandas module, for ``to_frame()``; a clear error when the optional extra is missing."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is present in the test environment
        raise ImportError("to_frame() needs pandas: pip install 'trapsim[pandas]'") from None
    return pd


def _strict(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_strict(v) for v in value]
    return value


def json_text(doc: Any, *, indent: int | None = 2, separators: tuple[str, str] | None = None) -> str:
    """Strict JSON (RFC 8259): a value that is not finite is written ``null``, never ``NaN``/``Infinity``."""
    return json.dumps(_strict(doc), indent=indent, separators=separators, allow_nan=False)
