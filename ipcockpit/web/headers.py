"""Security headers on every response of the web app: a pure ASGI middleware (it adds headers to the
response's start message; it never reads or buffers a body).

* ``Content-Security-Policy`` (:data:`POLICY`): everything from the app's own origin; no inline script, no
  ``eval``, no ``<style>`` element (the pages' scripts and styles are files under ``static/``, the charts'
  options JSON data blocks, the API documentation's settings too); style attributes are allowed
  (``style-src-attr``): the pages set bar widths and status colours with them and ECharts writes its
  tooltips with them, and a style cannot run code or, with ``img-src``/``font-src``/``connect-src`` held to
  the origin, send anything elsewhere. ``data:`` images are Swagger UI's icons. ``frame-ancestors 'none'``:
  no other site may frame a page; ``form-action 'self'``, ``base-uri 'none'``, ``object-src 'none'``.
* ``X-Frame-Options: DENY`` (``frame-ancestors`` for browsers that predate it), ``X-Content-Type-Options:
  nosniff`` (a download or a JSON answer is never run as a script or shown as a page),
  ``Referrer-Policy: same-origin`` (the app's addresses, which hold search queries and applicant names,
  are not sent to other sites; the error page's way back reads the same-origin Referer).

:func:`install` puts the middleware outside all the others, Starlette's error middleware included, so that
a 500 carries the headers too. A header a route sets itself is kept.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = (
    ("Content-Security-Policy", POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


class SecurityHeaders:
    """ASGI middleware: :data:`HEADERS` on every HTTP response."""

    def __init__(self, app: ASGIApp, headers: tuple[tuple[str, str], ...] = HEADERS) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """Wrap ``app``'s whole middleware stack (built on its first request) in :class:`SecurityHeaders`."""
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeaders(build())  # type: ignore[method-assign]
