"""The web app and its JSON API: thin routes over :class:`ipcockpit.app.Cockpit`.

:func:`create_app` builds the app: the shared context (:mod:`ipcockpit.web.context`), the routes of every
area (:mod:`ipcockpit.web.routes`; each page one data function on the Cockpit, rendered as HTML, JSON, CSV
or Excel by :mod:`ipcockpit.web.pages`), the error handlers (:mod:`ipcockpit.web.errors`) and the access
middleware (:mod:`ipcockpit.web.auth`: sessions, CSRF, the route policy, the audit of writes). The home page
is the cockpit (驾驶舱).

Nothing a page loads comes from outside the server: the API documentation (``/docs``, Swagger UI) is served
from the vendored copy in ``static/vendor/swagger-ui`` (ReDoc, which only loads from a CDN, is not offered)
and the icon from ``static`` (``/favicon.ico`` for clients that ask for it without a link).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from ipcockpit import __version__, localtime
from ipcockpit.search import embedder
from ipcockpit.settings import Settings, index_folder, load_settings
from ipcockpit.web import auth, errors, filters, headers, links, openapi, routes
from ipcockpit.web.context import CockpitHolder, Web
from ipcockpit.web.jobs import JobRunner

HERE = Path(__file__).resolve().parent
log = logging.getLogger(__name__)
#: seconds a thread holds the GIL while others wait for it (Python's default 0.005). The app runs its searches
#: (``hybrid.COMPUTING``, ``search.embedder``) and every cheap request on threads of one process: a kept page,
#: the cockpit or a health check waits less for its turn between two searches' Python steps (20 clients on 2
#: cores, three interleaved pairs of bench/web_load.py --search: search p95 296 / 324 / 336 ms at 0.005,
#: 295 / 292 / 312 at 0.001; cockpit p95 46 / 47 / 46 against 36 / 32 / 33 ms)
GIL_SWITCH_INTERVAL = 0.001


def _warm(folder: Path) -> list[str]:
    """:func:`ipcockpit.search.hybrid.warm`, its failure logged (the searches then load what they need)."""
    from ipcockpit.search.hybrid import warm

    try:
        return warm(folder)
    except Exception:  # a damaged index or model: the search that needs it says so to its user
        log.warning("search models not loaded at start-up", exc_info=True)
        return []


def create_app(settings: Settings | None = None, *, read_only: bool = True, warm: bool = False) -> FastAPI:
    """The FastAPI app over the store named by ``settings.db``. ``read_only=False`` opens it for writing, at
    start-up, and publishes the sidecar through which ``ipcockpit ingest`` and ``index`` hand their jobs to
    the server (:mod:`ipcockpit.web.jobs`; its URL is ``settings.host`` and ``settings.port``). ``warm``: at
    start-up, open the search index and load its embedding models in the background
    (:func:`ipcockpit.search.hybrid.warm`; ``app.state.warming`` is its future), as ``ipcockpit serve`` does."""
    settings = settings or load_settings()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    tz = localtime.zone(settings.timezone)  # an unknown zone stops the server here, naming the setting
    holder = CockpitHolder(settings, read_only)
    jobs = JobRunner(holder, settings)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    filters.install(templates, tz)
    templates.env.globals["limits"] = {"max_rows": settings.max_rows, "max_results": settings.max_results,
                                       "max_download_rows": settings.max_download_rows}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(jobs.start)
        if warm:
            app.state.warming = embedder.pool().submit(_warm, index_folder(settings))
        try:
            yield
        finally:
            await run_in_threadpool(jobs.stop)
            holder.close()

    app = FastAPI(
        title="ipcockpit",
        version=__version__,
        description="IP big data for regional IP offices. 知识产权大数据驾驶舱。 Every page is also JSON, CSV and "
                    "Excel: `/x?format=`, `/x.json`, `/api/x`. Errors answer `{\"error\": ...}` with the status each "
                    "operation lists (schema `Error`).",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's own /docs loads Swagger UI from a CDN; ours below serves the vendored copy
        redoc_url=None,
    )
    app.state.cockpit = holder
    app.state.jobs = jobs
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    web = Web(holder, templates, settings, tz)
    errors.install(app, web)
    routes.register(app, web)
    auth.install(app, web)  # sessions, CSRF, the route policy, the audit of writes
    links.install(app, templates, settings)  # links from the setting base_url, never from the Host header
    headers.install(app)  # security headers on every response
    openapi.install(app)  # the document declares the errors, bodies, 201 and 303 the routes answer

    @app.get("/docs", include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        """Swagger UI's settings as a JSON data block, started by static/swagger-init.js: no inline script."""
        config = {"url": links.url(request, settings, app.openapi_url or "/openapi.json"), "dom_id": "#swagger-ui",
                  "layout": "BaseLayout", "deepLinking": True, "docExpansion": "none",  # folded areas (openapi.tag)
                  "showExtensions": True, "showCommonExtensions": True,
                  "validatorUrl": None}  # else it asks validator.swagger.io about the schema
        return templates.TemplateResponse(request, "api_docs.html", {"title": f"{app.title} API", "config": config})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(HERE / "static" / "favicon.ico", media_type="image/x-icon")

    @app.get("/healthz", summary="Liveness: the store answers")
    def healthz() -> dict[str, Any]:
        return holder.call(lambda c: c.health())

    return app
