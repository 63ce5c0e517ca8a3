"""The web app and its JSON API: thin routes over :class:`ipcockpit.app.Cockpit`.

Each page has one data function on the Cockpit returning a plain dict; the same route renders that
dict as HTML, JSON or CSV (``?format=``). The app holds one DuckDB connection, opened on first use
(read-only by default, so that several servers can share a file) and guarded by a lock: DuckDB 2
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

from ipcockpit import __version__
from ipcockpit.app import Cockpit
from ipcockpit.errors import StoreError
from ipcockpit.settings import Settings, load_settings
from ipcockpit.web import charts, i18n, render

HERE = Path(__file__).resolve().parent
T = TypeVar("T")
LangQuery = Query(None, description="Language of the page: zh-CN (default) or en; remembered in a cookie.")
FormatQuery = Query(None, description="html, json or csv.")
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
            Cockpit(self.settings).close()  # create the file and apply pending migrations
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
             template: str, extra: Callable[[i18n.Translator], dict[str, Any]]) -> Response:
        """Render a page's dict in the asked format; ``extra`` adds HTML-only context (chart options)."""
        lang = _language(request, settings)
        if fmt == "json":
            response: Response = render.json_response(data)
        elif fmt == "csv":
            response = render.csv_response(data, section, name)
        else:
            t = i18n.Translator(lang)
            context = {"data": data, "t": t, "lang": lang, "languages": i18n.LANGUAGES, "page": name,
                       "version": __version__, **extra(t)}
            response = templates.TemplateResponse(request, template, context)
        _remember_language(request, response)
        return response

    def overview_page(request: Request, fmt: str, section: str | None) -> Response:
        data = holder.call(lambda c: c.overview())
        def extra(t: i18n.Translator) -> dict[str, Any]:
            return {"chart": charts.office_year_bars(data["by_office_year"], t),
                    "undated": charts.undated_summary(data["by_office_year"])}

        return page(request, "overview", data, fmt, section, "overview.html", extra)

    @app.get("/", response_class=HTMLResponse, summary="Data overview page 数据总览")
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
        return render.csv_response(data, section, "stats") if fmt == "csv" else render.json_response(data)

    def screen_response(request: Request, fmt: str, numbers: list[str] | None) -> Response:
        """Screening as JSON (``patents``: the rows) or CSV (one flat row per patent)."""
        from ipcockpit.errors import SettingsError
        from ipcockpit.value.screen import flat_rows
        from ipcockpit.value.settings import ScreenSettings

        q = request.query_params
        try:
            settings = ScreenSettings().with_overrides(
                strict_sei=q.get("strict_sei", "").lower() in ("1", "true", "yes") or None,
                maintenance_start=q.get("maintenance_start"), sei_scheme=q.get("sei_scheme"),
                pledge_threshold=float(q["pledge_threshold"]) if q.get("pledge_threshold") else None,
                as_of=q.get("as_of"))
            year_from = int(q["year_from"]) if q.get("year_from") else None
            limit = int(q.get("limit", 50))
        except (SettingsError, ValueError) as exc:
            return JSONResponse({"error": f"screen: {exc}"}, status_code=400)
        rows = holder.call(lambda c: c.screen(
            profile=q.get("profile"), region=q.get("region"), industry=q.get("industry"),
            applicant=q.get("applicant"), year_from=year_from, limit=limit, doc_ids=numbers, settings=settings))
        if fmt == "csv":
            return render.csv_response({"patents": flat_rows(rows)}, "patents", "screen")
        return render.json_response({"count": len(rows), "settings": settings.as_dict(), "patents": rows})

    @app.get("/api/screen", summary="High-value invention patent screening 高价值发明专利筛选")
    def screen_api(request: Request, format: str | None = FormatQuery, profile: str | None = None,
                   region: str | None = None, industry: str | None = None, applicant: str | None = None,
                   year_from: int | None = None, limit: int = 50, numbers: str | None = None,
                   strict_sei: bool = False, maintenance_start: str | None = None,
                   pledge_threshold: float | None = None, sei_scheme: str | None = None,
                   as_of: str | None = None) -> Response:
        """Query parameters as the CLI's options; ``numbers``: a comma-separated portfolio."""
        portfolio = [n for n in numbers.split(",") if n.strip()] if numbers else None
        return screen_response(request, render.check_format(format, "json"), portfolio)

    @app.post("/api/screen", summary="Portfolio screening: a JSON list of numbers 专利组合筛选")
    async def screen_portfolio(request: Request, format: str | None = FormatQuery) -> Response:
        fmt = render.check_format(format, "json")
        try:
            body = await request.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            body = body.get("numbers")
        if not isinstance(body, list) or not all(isinstance(n, str) for n in body):
            return JSONResponse({"error": "POST /api/screen: send a JSON list of numbers "
                                 '(["CN115883397B", "ZL202211359874.7"]) or {"numbers": [...]}'},
                                status_code=400)
        return screen_response(request, fmt, body)

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
