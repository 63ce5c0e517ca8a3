"""The web app and its JSON API: thin routes over :class:`ipcockpit.app.Cockpit`.

Each page has one data function on the Cockpit returning a plain dict; the same route renders that
dict as HTML, JSON, CSV or Excel (``?format=``). The home page is the cockpit (驾驶舱); it and its API live
in :mod:`ipcockpit.web.routes_cockpit`, the screening and patent pages and /api/screen in
:mod:`ipcockpit.web.routes_screen`; the data overview is at /overview. The app holds one DuckDB
connection, opened on first use (read-only by default, so that several servers can share a file) and guarded by a lock: DuckDB 2
blocks a connection while another thread has an undrained result on it.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ipcockpit import __version__, i18n
from ipcockpit.app import Cockpit
from ipcockpit.errors import StoreError
from ipcockpit.settings import Settings, load_settings
from ipcockpit.web import (
    auth,
    charts,
    render,
    routes_auth,
    routes_cockpit,
    routes_data,
    routes_screen,
    routes_search,
)
from ipcockpit.web.routes_screen import Web

HERE = Path(__file__).resolve().parent
T = TypeVar("T")
LangQuery = Query(None, description="Language of the page: zh-CN (default) or en; remembered in a cookie.")
FormatQuery = Query(None, description="html, json, csv or xlsx.")
SectionQuery = Query(None, description="With format=csv: which table of the page to download.")


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


def create_app(settings: Settings | None = None, *, read_only: bool = True) -> FastAPI:
    """The FastAPI app over the store named by ``settings.db``. ``read_only=False`` opens it for writing."""
    settings = settings or load_settings()
    holder = CockpitHolder(settings, read_only)
    templates = Jinja2Templates(directory=str(HERE / "templates"))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        holder.close()

    app = FastAPI(
        title="ipcockpit",
        version=__version__,
        description="IP big data for regional IP offices. 知识产权大数据驾驶舱。",
        lifespan=lifespan,
    )
    app.state.cockpit = holder
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(StoreError)
    async def store_unavailable(request: Request, exc: StoreError) -> Response:
        t = i18n.Translator(_language(request, settings))
        return JSONResponse({"error": t("error.store_unavailable", detail=str(exc))}, status_code=503)

    def page(request: Request, name: str, data: dict[str, Any], fmt: str, section: str | None,
             template: str, extra: Callable[[i18n.Translator], dict[str, Any]], status_code: int = 200) -> Response:
        """Render a page's dict in the asked format; ``extra`` adds HTML-only context (chart options)."""
        lang = _language(request, settings)
        if fmt == "json":
            response: Response = render.json_response(data, status_code)
        elif fmt == "csv":
            response = render.csv_response(data, section, name)
        elif fmt == "xlsx":
            response = render.xlsx_response(data, name)
        else:
            t = i18n.Translator(lang)
            context = {"data": data, "t": t, "lang": lang, "languages": i18n.LANGUAGES, "page": name,
                       "version": __version__, **extra(t)}
            response = templates.TemplateResponse(request, template, context, status_code=status_code)
        _remember_language(request, response)
        return response

    def overview_page(request: Request, fmt: str, section: str | None) -> Response:
        data = holder.call(lambda c: c.overview())
        def extra(t: i18n.Translator) -> dict[str, Any]:
            return {"chart": charts.office_year_bars(data["by_office_year"], t),
                    "undated": charts.undated_summary(data["by_office_year"])}

        return page(request, "overview", data, fmt, section, "overview.html", extra)

    @app.get("/overview", response_class=HTMLResponse, summary="Data overview page 数据总览")
    def overview_html(request: Request, lang: str | None = LangQuery, format: str | None = FormatQuery,
                      section: str | None = SectionQuery) -> Response:
        return overview_page(request, render.check_format(format, "html"), section)

    @app.get("/api/overview", summary="Data overview (same data as the page)")
    def overview_api(request: Request, format: str | None = FormatQuery,
                     section: str | None = SectionQuery) -> Response:
        return overview_page(request, render.check_format(format, "json"), section)

    @app.get("/api/stats", summary="Counts per table, documents by office and year, data-quality checks")
    def stats_api(request: Request, format: str | None = FormatQuery,
                  section: str | None = SectionQuery) -> Response:
        fmt = render.check_format(format, "json")
        data = holder.call(lambda c: c.stats())
        return render.data_response(data, fmt, section, "stats")

    web = Web(holder, templates, settings, page, lambda r: _language(r, settings))
    routes_cockpit.register(app, web)  # "/" is the cockpit
    routes_screen.register(app, web)
    routes_auth.register(app, web)
    routes_data.register(app, web)  # /data, /data/quarantine, /applicant/{name}
    routes_search.register(app, web)  # /search, /api/search, /fto, /api/fto
    auth.install(app, holder, templates, settings)  # sessions, CSRF, the route policy, the audit of writes

    @app.get("/healthz", summary="Liveness: the store answers")
    def healthz() -> dict[str, Any]:
        return holder.call(lambda c: c.health())

    return app


def _language(request: Request, settings: Settings) -> str:
    return i18n.choose(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE), settings.language)


def _remember_language(request: Request, response: Response) -> None:
    lang = i18n.normalise(request.query_params.get("lang"))
    if lang:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
