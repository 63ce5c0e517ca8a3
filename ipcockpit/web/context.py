"""What every route of the web app shares: the app's Cockpit (:class:`CockpitHolder`), the templates, the
settings and the caller's language (:class:`Web`). Route modules import this module, never each other
or the server.

The app holds one Cockpit, opened on first use (read-only by default, so that several servers can share a
file), and gives each request a Cockpit of its own over another connection to the same database
(:class:`CockpitHolder`): DuckDB blocks a connection while another thread has an undrained result on it,
so sharing one would make every request wait for the slowest.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, TypeVar

import duckdb
from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from ipcockpit import __version__, i18n
from ipcockpit.app import Cockpit
from ipcockpit.errors import StoreError, UnavailableError
from ipcockpit.settings import Settings
from ipcockpit.web.deadlines import Deadlines

T = TypeVar("T")
#: the time limits of every request of the process (one watchdog thread)
DEADLINES = Deadlines()


class RequestTimeout(UnavailableError):
    """A request's queries ran past the setting ``request_timeout`` and were stopped (HTTP 503)."""

    key = "error.request_timeout"

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message)
        self.values = {"seconds": f"{seconds:g}"}


class Busy(UnavailableError):
    """Every connection of the pool stayed in use for ``request_timeout`` seconds (HTTP 503)."""

    key = "error.busy"


class CockpitHolder:
    """The app's store: one root Cockpit, opened on first use, and a pool of per-request Cockpits over
    connections to the same database (:meth:`ipcockpit.app.Cockpit.cursor`).

    A request takes a connection from the pool and gives it back when done, so requests run side by side
    (DuckDB runs the queries of different connections in parallel; a slow one no longer holds the others),
    at most ``web_connections`` at once; a request waits for a free one at most ``request_timeout`` seconds
    (then :class:`Busy`). Each request's queries are interrupted after ``request_timeout`` seconds
    (:class:`RequestTimeout`); the work a request does in Python (embedding a query) is bounded by the
    limits on what it may ask instead. A connection whose request failed is closed, not reused: it may hold
    a broken transaction."""

    def __init__(self, settings: Settings, read_only: bool) -> None:
        self.settings = settings
        self.read_only = read_only and settings.db != ":memory:"
        self.size = max(1, int(settings.web_connections))
        self.timeout = float(settings.request_timeout)
        self._cockpit: Cockpit | None = None
        self._lock = threading.Lock()
        self._idle: queue.LifoQueue[Cockpit] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(self.size)
        self._open_cursors: set[Cockpit] = set()

    def _open(self) -> Cockpit:
        if not self.read_only:
            return Cockpit(self.settings)
        try:
            with Cockpit(self.settings) as cockpit:  # create the file and apply pending migrations
                cockpit.session_secret()  # generated on first use, so that read-only opens find it
        except StoreError:
            pass  # held by another process; a read-only open below says what is wrong if it fails too
        return Cockpit(self.settings, read_only=True)

    @property
    def root(self) -> Cockpit:
        """The root Cockpit (opened on first use): where per-request Cockpits come from. A caller that uses
        it directly (not through :meth:`call`) must take its own :meth:`~ipcockpit.app.Cockpit.cursor`."""
        with self._lock:
            if self._cockpit is None:
                self._cockpit = self._open()
            return self._cockpit

    def _take(self) -> Cockpit:
        if not self._slots.acquire(timeout=self.timeout if self.timeout > 0 else None):
            raise Busy(f"the server is busy: all {self.size} connections stayed in use; try again shortly")
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        try:
            root = self.root
            with self._lock:
                cockpit = root.cursor()
                self._open_cursors.add(cockpit)
            return cockpit
        except BaseException:
            self._slots.release()
            raise

    def _give(self, cockpit: Cockpit, healthy: bool) -> None:
        if healthy:
            self._idle.put(cockpit)
        else:
            with self._lock:
                self._open_cursors.discard(cockpit)
            with contextlib.suppress(Exception):
                cockpit.close()
        self._slots.release()

    def call(self, fn: Callable[[Cockpit], T]) -> T:
        """``fn(cockpit)`` on a connection of the pool, its queries interrupted after ``request_timeout``."""
        cockpit = self._take()
        token = DEADLINES.arm(self.timeout, cockpit.store.con.interrupt) if self.timeout > 0 else None
        healthy = False
        try:
            result = fn(cockpit)
            healthy = True
            return result
        except duckdb.InterruptException as exc:
            raise RequestTimeout(f"the request took longer than {self.timeout:g} s and was stopped; "
                                 "narrow it (fewer numbers, a filter) and try again", self.timeout) from exc
        finally:
            if token is not None:
                DEADLINES.disarm(token)
            self._give(cockpit, healthy)

    def close(self) -> None:
        with self._lock:
            for cockpit in self._open_cursors:
                with contextlib.suppress(Exception):
                    cockpit.close()
            self._open_cursors.clear()
            self._idle = queue.LifoQueue()
            if self._cockpit is not None:
                self._cockpit.close()
                self._cockpit = None


@dataclass(frozen=True)
class Web:
    """The app's shared context, handed to every route module's ``register``."""

    holder: CockpitHolder
    templates: Jinja2Templates
    settings: Settings
    tz: tzinfo  # the zone times are shown in (the setting ``timezone``)

    @property
    def read_only(self) -> bool:
        return self.holder.read_only

    def call(self, fn: Callable[[Cockpit], T]) -> T:
        """``fn(cockpit)`` with a Cockpit of this request's own (a connection from the pool)."""
        return self.holder.call(fn)

    def language(self, request: Request) -> str:
        """The request's language: ``?lang=``, then the cookie, then the setting ``language``."""
        return i18n.choose(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE), self.settings.language)

    def translator(self, request: Request) -> i18n.Translator:
        return i18n.Translator(self.language(request))

    def html(self, request: Request, template: str, context: Mapping[str, Any], page: str,
             status_code: int = 200) -> Response:
        """``template`` rendered in the request's language; ``page`` names the page (the navigation marks it)."""
        lang = self.language(request)
        values = {"t": i18n.Translator(lang), "lang": lang, "languages": i18n.LANGUAGES, "page": page,
                  "version": __version__, **context}
        response = self.templates.TemplateResponse(request, template, values, status_code=status_code)
        return remember_language(request, response)


def remember_language(request: Request, response: Response) -> Response:
    """A ``?lang=`` the request chose stays chosen: a cookie for a year."""
    lang = i18n.normalise(request.query_params.get("lang"))
    if lang:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response
