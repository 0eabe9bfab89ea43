"""HTTP security headers on every answer, in one place, and a reverse proxy's headers believed
only when one is configured (LOBBY_PROXY_COUNT).

No library: flask-talisman would bring HTTPS redirects and cookie rewriting this app does
itself (lobby.config), for six headers.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_wtf.csrf import validate_csrf
from werkzeug.middleware.proxy_fix import ProxyFix

# Every script, style, font, voice clip and image is served by the app itself (README: no
# internet). Pages carry no inline script (only <script type="application/json"> data blocks,
# which are never run), no style= attribute and no on…= handler: keep it so.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "media-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"


def init_app(app: Flask) -> None:
    """Call after Flask-SocketIO has wrapped the WSGI app, so the proxy fix covers it too."""
    proxies = int(app.config.get("LOBBY_PROXY_COUNT") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    app.after_request(_security_headers)


def _security_headers(resp: Response) -> Response:
    for name, value in HEADERS.items():
        resp.headers.setdefault(name, value)
    if request.is_secure or current_app.config.get("LOBBY_HTTPS"):
        resp.headers.setdefault("Strict-Transport-Security", HSTS)
    return resp


def csrf_valid(token: str | None) -> bool:
    """The page's CSRF token (flask-wtf's, of this session) came with the form or the request."""
    try:
        validate_csrf(token)
    except Exception:  # wtforms' ValidationError, whatever is wrong with it
        return False
    return True
