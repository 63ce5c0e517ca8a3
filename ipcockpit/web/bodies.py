"""Request-body limits: how many bytes a write request (POST, PUT, PATCH, DELETE) may send, per route.

:data:`ROUTES` names the routes with a limit of their own, first match wins; every other write route has
the limit ``default``. The sizes are the setting ``body_limits`` (a mapping of these names to bytes) over
:data:`DEFAULTS`. The access middleware (:mod:`ipcockpit.web.auth`) enforces them before any route runs:

* a request the route policy refuses (an anonymous POST to a route that needs a login) is answered
  without its body being read at all;
* a ``Content-Length`` over the limit is answered 413 at once, unread;
* a body without a length (chunked) is counted while it arrives and refused with 413 as soon as it
  passes the limit: no more than the limit and one chunk is ever held.

The numbers in a body (screening, portfolios) and the size of a result are limited elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from ipcockpit.errors import SettingsError

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]

#: the write routes with a limit of their own (pattern over the whole path, limit name); first match wins
ROUTES: tuple[tuple[str, str], ...] = (
    (r"/(api/)?cockpit/reported/csv", "reported_csv"),  # the CSV upload of reported values (page and API)
    (r"/screen", "portfolio_file"),  # the screening form: pasted numbers and a portfolio file
)
#: bytes per limit name: small JSON and form bodies; the reported-values CSV (the size the page's form has
#: always allowed for the file); the screening form, above the 5 MB a portfolio file may have
#: (:data:`ipcockpit.portfolio.MAX_BYTES`), so that such a file gets that check's own message
DEFAULTS: dict[str, int] = {"default": 1_000_000, "reported_csv": 2_000_000, "portfolio_file": 6_000_000}


class TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class BodyLimits:
    sizes: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULTS))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> BodyLimits:
        """:data:`DEFAULTS` with the setting ``body_limits`` on top."""
        sizes = dict(DEFAULTS)
        for name, value in (values or {}).items():
            if name not in DEFAULTS:
                raise SettingsError(f"setting body_limits: unknown name {name!r}; known: {', '.join(DEFAULTS)}")
            try:
                size = int(value)
            except (TypeError, ValueError) as exc:
                raise SettingsError(f"setting body_limits.{name}={value!r}: give a number of bytes") from exc
            if size < 1:
                raise SettingsError(f"setting body_limits.{name}={value!r}: give at least 1 byte")
            sizes[name] = size
        return cls(sizes)

    def for_path(self, path: str) -> int:
        name = next((n for pattern, n in ROUTES if re.fullmatch(pattern, path)), "default")
        return self.sizes[name]


def declared_length(headers: Mapping[str, str]) -> int | None:
    """The request's ``Content-Length``, or None when it gives none (or none that is a number)."""
    value = headers.get("content-length")
    return int(value) if value is not None and value.strip().isdigit() else None


async def read(receive: Receive, limit: int) -> bytes:
    """The whole body, refused (:class:`TooLarge`) as soon as it passes ``limit`` bytes."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge(limit)
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def size_text(n: int, bytes_word: str = "bytes") -> str:
    """``1 MB``, ``500 KB``, ``1,234 bytes`` (decimal units, as the limits are written)."""
    for unit, name in ((1_000_000, "MB"), (1_000, "KB")):
        if n >= unit and n % unit == 0:
            return f"{n // unit:,} {name}"
    return f"{n:,} {bytes_word}"


async def json_object(request: Any, example: str = "") -> dict[str, Any]:
    """The request's JSON body, which must be an object; a 400 saying so (with ``example``, a body the route
    takes) when it is not JSON or not an object."""
    from ipcockpit.web.errors import BadRequest

    want = "the body must be a JSON object" + (f": {example}" if example else "")
    try:
        body = await request.json()
    except (ValueError, RecursionError) as exc:  # not JSON, or nested deeper than the parser goes
        raise BadRequest(want) from exc
    if not isinstance(body, dict):
        raise BadRequest(want)
    return body
