"""How pages travel: versioned static URLs cached for a year, and gzip for text (issue 16).

- `url_for('static', …)` and every blueprint's `url_for('<bp>.static', …)` get `?v=<hash>`, the
  first 10 hex digits of the file's SHA-256; a file asked for with its current hash is sent with
  `Cache-Control: public, max-age=31536000, immutable`, so a phone loads it once. The fonts
  (`/fonts/…`, named in the CSS with their hash by tools/build_web_fonts.py) likewise.
- HTML, CSS, JavaScript, JSON and SVG answers of 500 bytes or more are gzipped (level 6) for a
  client that accepts it, with `Vary: Accept-Encoding`; a static file is compressed once and
  kept in memory (keyed by its path, size and modification time). Not compressed: Socket.IO
  (it never reaches Flask's hooks, and its path is refused here too), streamed answers (the
  exports), ranges, answers already encoded, and whatever is not text.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
from pathlib import Path

from flask import Flask, current_app, request
from flask.wrappers import Response
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"
GZIP_LEVEL = 6
MIN_SIZE = 500  # below this the gzip header and the CPU cost more than they save
COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "image/svg+xml",
        "text/plain",
    }
)
NEVER = ("/socket.io",)  # the live channel: engine.io frames its own packets
FONT_ENDPOINT = "web.fonts"

_lock = threading.Lock()
_versions: dict[str, tuple[int, int, str]] = {}  # path → (mtime_ns, size, hash)
_gzipped: dict[str, tuple[int, int, bytes]] = {}  # path → (mtime_ns, size, gzip bytes)


def init_app(app: Flask) -> None:
    """Register before the other after-request hooks: Flask runs them in reverse order, so the
    compression sees the final body and headers."""
    app.url_defaults(_versioned_static_url)
    app.after_request(_finish)


def file_version(path: str | os.PathLike[str]) -> str | None:
    """The `?v=` of a file (cached until its size or modification time changes); None if absent."""
    key = os.fspath(path)
    try:
        st = os.stat(key)
    except OSError:
        return None
    known = _versions.get(key)
    if known and known[:2] == (st.st_mtime_ns, st.st_size):
        return known[2]
    with open(key, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:10]
    with _lock:
        _versions[key] = (st.st_mtime_ns, st.st_size, digest)
    return digest


def static_file(app: Flask, endpoint: str | None, filename: str | None) -> str | None:
    """The file on disk behind a static endpoint (the app's, a blueprint's, or the fonts)."""
    if not endpoint or not filename:
        return None
    folder: str | None
    if endpoint == "static":
        folder = app.static_folder
    elif endpoint.endswith(".static"):
        bp = app.blueprints.get(endpoint.removesuffix(".static"))
        folder = bp.static_folder if bp else None
    elif endpoint == FONT_ENDPOINT:
        from printers.fonts import WEB_FONT_DIR

        folder = str(WEB_FONT_DIR)
    else:
        return None
    path = safe_join(folder, filename) if folder else None
    return path if path and os.path.isfile(path) else None


def _versioned_static_url(endpoint: str, values: dict[str, object]) -> None:
    static = endpoint == "static" or endpoint.endswith(".static")
    if (not static and endpoint != FONT_ENDPOINT) or "v" in values:
        return
    name = values.get("filename") if static else values.get("name")
    path = static_file(current_app, endpoint, str(name or ""))
    version = file_version(path) if path else None
    if version:
        values["v"] = version


def _static_request_file() -> str | None:
    args = request.view_args or {}
    name = args.get("filename") or args.get("name")
    return static_file(current_app, request.endpoint, str(name) if name else None)


def _finish(resp: Response) -> Response:
    if request.path.startswith(NEVER):
        return resp
    path = _static_request_file()
    if path and resp.status_code in (200, 304):
        wanted = request.args.get("v")
        if wanted and wanted == file_version(path):
            resp.headers["Cache-Control"] = IMMUTABLE
            resp.expires = None
    return _compress(resp, path)


def _compress(resp: Response, static_path: str | None) -> Response:
    if resp.status_code != 200 or resp.mimetype not in COMPRESSIBLE:
        return resp
    if "Content-Encoding" in resp.headers or "Content-Range" in resp.headers:
        return resp
    resp.vary.add("Accept-Encoding")
    if "gzip" not in request.accept_encodings:
        return resp
    if static_path:
        body = _gzipped_file(static_path)
        if body is None:
            return resp
        close = getattr(resp.response, "close", None)
        if close is not None:
            close()  # the open file send_file was about to stream
        resp.direct_passthrough = False
    elif resp.is_streamed or resp.direct_passthrough:
        return resp  # exports and other streams go out as they come
    else:
        data = resp.get_data()
        if len(data) < MIN_SIZE:
            return resp
        body = gzip.compress(data, GZIP_LEVEL, mtime=0)
        if len(body) >= len(data):
            return resp
    resp.set_data(body)
    resp.headers["Content-Encoding"] = "gzip"
    etag, weak = resp.get_etag()
    if etag:
        resp.set_etag(f"{etag}-gzip", weak)
    return resp


def _gzipped_file(path: str) -> bytes | None:
    """A static file's gzip, made once per version of the file; None when not worth it."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    known = _gzipped.get(path)
    if known and known[:2] == (st.st_mtime_ns, st.st_size):
        return known[2] or None
    data = Path(path).read_bytes()
    body = gzip.compress(data, GZIP_LEVEL, mtime=0) if len(data) >= MIN_SIZE else b""
    if len(body) >= len(data):
        body = b""
    with _lock:
        _gzipped[path] = (st.st_mtime_ns, st.st_size, body)
    return body or None
