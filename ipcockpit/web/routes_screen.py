"""High-value patent screening in the web app: the screening page (/screen, filters and portfolio upload),
the patent page (/patent/{number}) and their APIs (/api/screen, /api/patent/{number}).

Every route calls one Cockpit data function (:meth:`~ipcockpit.app.Cockpit.screen_page`,
:meth:`~ipcockpit.app.Cockpit.patent`, :meth:`~ipcockpit.app.Cockpit.screen`) and renders the dict it
returns as HTML, JSON, CSV or (screening) Excel. Access and CSRF checks are the middleware's
(:mod:`ipcockpit.web.auth`, one policy table for every route).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import UploadFile

from ipcockpit import __version__, i18n
from ipcockpit.errors import IPCockpitError, StoreError
from ipcockpit.portfolio import PortfolioError, portfolio, read_numbers, split_numbers
from ipcockpit.settings import Settings
from ipcockpit.web import charts, render

if TYPE_CHECKING:
    from ipcockpit.app import Cockpit
    from ipcockpit.web.server import CockpitHolder

SCREEN_FORMATS = ("html", "json", "csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_YES, _NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off")

Page = Callable[..., Response]


@dataclass(frozen=True)
class Web:
    """What the routes share with :func:`ipcockpit.web.server.create_app`."""

    holder: CockpitHolder
    templates: Jinja2Templates
    settings: Settings
    page: Page  # server.create_app's page(request, name, data, fmt, section, template, extra, status_code)
    language: Callable[[Request], str]

    def error(self, request: Request, fmt: str, status: int, message: str) -> Response:
        """``message`` as JSON ``{"error": ...}``, or as the error page when ``fmt`` is html."""
        if fmt != "html":
            return JSONResponse({"error": message}, status_code=status)
        lang = self.language(request)
        context = {"t": i18n.Translator(lang), "lang": lang, "languages": i18n.LANGUAGES, "page": "error",
                   "version": __version__, "status": status, "message": message}
        return self.templates.TemplateResponse(request, "error.html", context, status_code=status)

    def error_page(self, request: Request, fmt: str, status: int, key: str, **values: Any) -> Response:
        """The catalogue text ``key`` (with ``values``) in the request's language, as :meth:`error`."""
        return self.error(request, fmt, status, i18n.Translator(self.language(request))(key, **values))


class BadRequest(ValueError):
    """A parameter or an upload the user must fix; the message says which and how. ``key`` names the
    catalogue text shown to people (with ``values``), the English message goes to logs and JSON clients."""

    def __init__(self, message: str, key: str | None = None, **values: Any) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


def check_format(fmt: str | None, default: str, allowed: tuple[str, ...] = SCREEN_FORMATS) -> str:
    fmt = (fmt or default).lower()
    if fmt not in allowed:
        raise HTTPException(400, f"format={fmt!r} is not offered; use one of {', '.join(allowed)}")
    return fmt


def _text(q: Mapping[str, Any], name: str) -> str | None:
    value = q.get(name)
    if value is None or isinstance(value, UploadFile):
        return None
    return str(value).strip() or None


def screen_params(q: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Filters and screening-setting overrides from query or form fields; empty fields mean 'not set'.
    The overrides go to :meth:`~ipcockpit.app.Cockpit.screen_settings`, which puts them on top of the
    settings file's ``screen:`` section."""
    threshold = _text(q, "pledge_threshold")
    strict = (_text(q, "strict_sei") or "").lower()
    try:
        overrides = {"strict_sei": True if strict in _YES else False if strict in _NO else None,
                     "maintenance_start": _text(q, "maintenance_start"), "sei_scheme": _text(q, "sei_scheme"),
                     "pledge_threshold": float(threshold) if threshold else None, "as_of": _text(q, "as_of")}
    except ValueError as exc:
        raise BadRequest(f"pledge_threshold={threshold!r} is not a number; write e.g. 10000000") from exc
    filters: dict[str, Any] = {k: _text(q, k) for k in ("profile", "region", "industry", "applicant")}
    for name, default in (("year_from", None), ("limit", 50)):
        raw = _text(q, name)
        try:
            filters[name] = int(raw) if raw else default
        except ValueError as exc:
            raise BadRequest(f"{name}={raw!r} is not a whole number; write e.g. 2015") from exc
    return filters, overrides


async def portfolio_numbers(form: Mapping[str, Any]) -> list[str]:
    """The numbers of the portfolio form: the text area plus the uploaded file, in order, once each
    (:mod:`ipcockpit.portfolio`)."""
    parts = [split_numbers(_text(form, "numbers") or "")]
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        parts.append(read_numbers(upload.filename, await upload.read()))
    return portfolio(parts)


def screen_downloads(data: dict[str, Any], fmt: str, section: str | None) -> Response:
    """The screening result as CSV (``patents``: one flat row per patent, or a summary table) or Excel."""
    from ipcockpit.value.screen import flat_rows

    tables = {"patents": flat_rows(data["patents"]), "conditions": data["summary"]["conditions"],
              "value_index_bins": data["summary"]["value_index_bins"],
              "not_found": [{"number": n} for n in data["not_found"]]}
    if fmt == "xlsx":
        return render.xlsx_response(tables, "screen")
    return render.csv_response(tables, section or "patents", "screen")


def register(app: FastAPI, web: Web) -> None:
    """Add the screening and patent routes to ``app``."""
    holder = web.holder

    error_page = web.error_page

    def screen_result(request: Request, fmt: str, section: str | None, fields: Mapping[str, Any],
                      numbers: list[str] | None) -> Response:
        try:
            filters, overrides = screen_params(fields)
            if numbers is None and _text(fields, "numbers"):
                numbers = split_numbers(_text(fields, "numbers") or "")
            data = holder.call(lambda c: c.screen_page(
                profile=filters["profile"], region=filters["region"], industry=filters["industry"],
                applicant=filters["applicant"], year_from=filters["year_from"], limit=filters["limit"],
                doc_ids=numbers, settings=c.screen_settings(**overrides)))
        except StoreError:
            raise
        except (BadRequest, IPCockpitError) as exc:
            return error_page(request, fmt, 400, "error.bad_request", detail=str(exc))
        if fmt in ("csv", "xlsx"):
            return screen_downloads(data, fmt, section)

        def extra(t: i18n.Translator) -> dict[str, Any]:
            return {"histogram": charts.value_index_histogram(data["summary"]["value_index_bins"], t),
                    "condition_chart": charts.condition_bars(data["summary"]["conditions"], t),
                    "portfolio": numbers is not None}

        return web.page(request, "screen", data, fmt, section, "screen.html", extra)

    @app.get("/screen", response_class=HTMLResponse, summary="High-value patent screening page 高价值专利筛选")
    def screen_html(request: Request, lang: str | None = Query(None, description="zh-CN (default) or en."),
                    format: str | None = Query(None, description="html, json, csv or xlsx."),
                    section: str | None = Query(None, description="With format=csv: patents (default), "
                                                "conditions, value_index_bins or not_found."),
                    profile: str | None = None, region: str | None = None, industry: str | None = None,
                    applicant: str | None = None, year_from: str | None = None, limit: str | None = None,
                    numbers: str | None = Query(None, description="A portfolio: numbers separated by commas "
                                                "or new lines."),
                    as_of: str | None = None, strict_sei: str | None = None,
                    maintenance_start: str | None = None, pledge_threshold: str | None = None) -> Response:
        """The filters as the CLI's options (``limit`` 0 = all); the same rows as /api/screen."""
        return screen_result(request, check_format(format, "html"), section, request.query_params, None)

    @app.post("/screen", response_class=HTMLResponse, summary="Portfolio screening form 专利组合筛选 (multipart)")
    async def screen_form(request: Request) -> Response:
        """Form fields ``numbers`` (pasted text) and ``file`` (.txt or .csv), plus the filters' settings
        fields and ``format`` (html, json, csv, xlsx)."""
        form = await request.form()
        fmt = check_format(_text(form, "format"), "html")
        try:
            numbers = await portfolio_numbers(form)
        except PortfolioError as exc:
            return error_page(request, fmt, 400, exc.key, **exc.values)
        return screen_result(request, fmt, _text(form, "section"), form, numbers)

    def api_screen(request: Request, fmt: str, numbers: list[str] | None) -> Response:
        """Screening as JSON (``patents``: the rows) or CSV (one flat row per patent)."""
        from ipcockpit.value.screen import flat_rows

        def run(c: Cockpit) -> tuple[list[dict[str, Any]], Any]:
            settings = c.screen_settings(**overrides)
            return c.screen(profile=filters["profile"], region=filters["region"], industry=filters["industry"],
                            applicant=filters["applicant"], year_from=filters["year_from"], limit=filters["limit"],
                            doc_ids=numbers, settings=settings), settings

        try:
            filters, overrides = screen_params(request.query_params)
            rows, settings = holder.call(run)
        except StoreError:
            raise
        except (BadRequest, IPCockpitError) as exc:
            return JSONResponse({"error": f"screen: {exc}"}, status_code=400)
        if fmt == "csv":
            return render.csv_response({"patents": flat_rows(rows)}, "patents", "screen")
        return render.json_response({"count": len(rows), "settings": settings.as_dict(), "patents": rows})

    @app.get("/api/screen", summary="High-value invention patent screening 高价值发明专利筛选")
    def screen_api(request: Request, format: str | None = Query(None, description="json or csv."),
                   profile: str | None = None, region: str | None = None, industry: str | None = None,
                   applicant: str | None = None, year_from: int | None = None, limit: int = 50,
                   numbers: str | None = None, strict_sei: bool = False, maintenance_start: str | None = None,
                   pledge_threshold: float | None = None, sei_scheme: str | None = None,
                   as_of: str | None = None) -> Response:
        """Query parameters as the CLI's options; ``numbers``: a comma-separated portfolio."""
        portfolio = [n for n in numbers.split(",") if n.strip()] if numbers else None
        return api_screen(request, check_format(format, "json", ("json", "csv")), portfolio)

    @app.post("/api/screen", summary="Portfolio screening: a JSON list of numbers 专利组合筛选")
    async def screen_portfolio(request: Request, format: str | None = Query(None, description="json or csv.")
                               ) -> Response:
        fmt = check_format(format, "json", ("json", "csv"))
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
        return api_screen(request, fmt, body)

    def patent_result(request: Request, number: str, fmt: str, section: str | None) -> Response:
        try:
            filters, overrides = screen_params(request.query_params)
            data = holder.call(lambda c: c.patent(number, profile=filters["profile"],
                                                  settings=c.screen_settings(**overrides)))
        except StoreError:
            raise
        except (BadRequest, IPCockpitError) as exc:
            return error_page(request, fmt, 400, "error.bad_request", detail=str(exc))
        if data is None:
            return error_page(request, fmt, 404, "patent.not_found", number=number)
        return web.page(request, "patent", data, fmt, section, "patent.html", lambda t: {})

    @app.get("/patent/{number:path}", response_class=HTMLResponse, summary="Patent page 专利详情")
    def patent_html(request: Request, number: str, lang: str | None = Query(None, description="zh-CN or en."),
                    format: str | None = Query(None, description="html, json or csv."),
                    section: str | None = Query(None, description="With format=csv: which table."),
                    profile: str | None = None, as_of: str | None = None) -> Response:
        """``number`` in any written form: CN115883397B, CN 115883397 B, ZL202211359874.7, US 7,315,680."""
        return patent_result(request, number, check_format(format, "html", render.FORMATS), section)

    @app.get("/api/patent/{number:path}", summary="One patent with its screening explanation (JSON)")
    def patent_api(request: Request, number: str, format: str | None = Query(None, description="json or csv."),
                   section: str | None = Query(None, description="With format=csv: which table."),
                   profile: str | None = None, as_of: str | None = None) -> Response:
        return patent_result(request, number, check_format(format, "json", ("json", "csv")), section)
