"""The web app and its JSON API: thin routes over :class:`ipcockpit.app.Cockpit`.

:func:`create_app` builds the app: the shared context (:mod:`ipcockpit.web.context`), the routes of every
area (:mod:`ipcockpit.web.routes`; each page one data function on the Cockpit, rendered as HTML, JSON, CSV
or Excel by :mod:`ipcockpit.web.pages`), the error handlers (:mod:`ipcockpit.web.errors`) and the access
middleware (:mod:`ipcockpit.web.auth`: sessions, CSRF, the route policy, the audit of writes). The home page
is the cockpit (驾驶舱).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ipcockpit import __version__, localtime
from ipcockpit.settings import Settings, load_settings
from ipcockpit.web import auth, errors, filters, routes
from ipcockpit.web.context import CockpitHolder, Web

HERE = Path(__file__).resolve().parent


def create_app(settings: Settings | None = None, *, read_only: bool = True) -> FastAPI:
    """The FastAPI app over the store named by ``settings.db``. ``read_only=False`` opens it for writing."""
    settings = settings or load_settings()
    tz = localtime.zone(settings.timezone)  # an unknown zone stops the server here, naming the setting
    holder = CockpitHolder(settings, read_only)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    filters.install(templates, tz)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        holder.close()

    app = FastAPI(
        title="ipcockpit",
        version=__version__,
        description="IP big data for regional IP offices. 知识产权大数据驾驶舱。 Every page is also JSON, CSV and "
                    "Excel: `/x?format=`, `/x.json`, `/api/x`. Errors answer `{\"error\": ...}` (400, 403, 404, 503).",
        lifespan=lifespan,
    )
    app.state.cockpit = holder
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    web = Web(holder, templates, settings, tz)
    errors.install(app, web)
    routes.register(app, web)
    auth.install(app, holder, templates, settings)  # sessions, CSRF, the route policy, the audit of writes

    @app.get("/healthz", summary="Liveness: the store answers")
    def healthz() -> dict[str, Any]:
        return holder.call(lambda c: c.health())

    return app
