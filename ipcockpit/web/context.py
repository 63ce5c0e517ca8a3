"""What every route of the web app shares: the app's Cockpit (:class:`CockpitHolder`), the templates, the
settings and the caller's language (:class:`Web`). Route modules import this module, never each other
or the server.

The app holds one Cockpit, opened on first use (read-only by default, so that several servers can share a
file) and used by one request at a time: DuckDB blocks a connection while another thread has an undrained
result on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from ipcockpit import __version__, i18n
from ipcockpit.app import Cockpit
from ipcockpit.errors import StoreError
from ipcockpit.settings import Settings

T = TypeVar("T")


class CockpitHolder:
    """One Cockpit per app, opened lazily, used by one request at a time."""

    def __init__(self, settings: Settings, read_only: bool) -> None:
        self.settings = settings
        self.read_only = read_only and settings.db != ":memory:"
        self._cockpit: Cockpit | None = None
        self._lock = threading.Lock()

    def _open(self) -> Cockpit:
        if not self.read_only:
            return Cockpit(self.settings)
        try:
            with Cockpit(self.settings) as cockpit:  # create the file and apply pending migrations
                cockpit.session_secret()  # generated on first use, so that read-only opens find it
        except StoreError:
            pass  # held by another process; a read-only open below says what is wrong if it fails too
        return Cockpit(self.settings, read_only=True)

    def call(self, fn: Callable[[Cockpit], T]) -> T:
        with self._lock:
            if self._cockpit is None:
                self._cockpit = self._open()
            return fn(self._cockpit)

    def close(self) -> None:
        with self._lock:
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
        """``fn(cockpit)`` with the app's Cockpit, one request at a time."""
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
