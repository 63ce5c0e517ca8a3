"""The cockpit (驾驶舱) in the web app: its pages and its API.

Pages: the cockpit (``/`` and ``/cockpit``; ``?screen=big`` the dark full-screen mode), the drill-down
(``/cockpit/records``), the reported-value form and CSV upload (POST ``/cockpit/reported`` and
``/cockpit/reported/csv``, redirecting back) and the periodic evaluation report (``/cockpit/report.pdf``).
Each page's data is also JSON, CSV and Excel (``?format=``). API: the plan's indicators for a region,
their drill-down records, region profiles, and reported values with provenance.

Every route calls one Cockpit data function and renders the dict it returns. Writes are refused on
a read-only store (403); who may write is the access policy's business (issue 4 point 5).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from ipcockpit import i18n
from ipcockpit.auth.access import only_published
from ipcockpit.cockpit import tables
from ipcockpit.errors import IPCockpitError, StoreError
from ipcockpit.web import charts_cockpit, render
from ipcockpit.web.auth import current_user
from ipcockpit.web.routes_screen import BadRequest, check_format

if TYPE_CHECKING:
    from ipcockpit.web.routes_screen import Web

RegionQuery = Query(None, description="GB/T 2260 code of the region (default 500120, Bishan District).")
YearQuery = Query(None, description="Year (default: this year, at most the target year).")
FormatQuery = Query(None, description="json or csv.")
SectionQuery = Query(None, description="With format=csv: which table to download.")
READ_ONLY = ("the store is open read-only; start the server with a writable store to report values")


def _public(request: Request) -> bool:
    """True when the caller may see published figures only (public visitors and enterprise users)."""
    return not current_user(request).sees_unpublished


def _error(exc: IPCockpitError) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=400)


def register(app: FastAPI, web: Web) -> None:
    """Add the cockpit's pages and API to ``app``."""
    holder = web.holder
    register_pages(app, web)

    @app.get("/api/cockpit", summary="Cockpit: the plan's indicators against baseline and target 驾驶舱")
    def cockpit_api(request: Request, region: str | None = RegionQuery, year: int | None = YearQuery,
                    format: str | None = FormatQuery, section: str | None = SectionQuery) -> Response:
        fmt = render.check_format(format, "json")
        public = _public(request)
        try:
            data = holder.call(lambda c: c.cockpit(region, year, public))
        except IPCockpitError as exc:
            return _error(exc)
        return render.data_response(data, fmt, section or "indicators", "cockpit")

    @app.get("/api/cockpit/records", summary="The records a computed indicator rests on (drill-down)")
    def cockpit_records_api(indicator: str = Query(..., description="Indicator id."),
                            region: str | None = RegionQuery, year: int | None = Query(None, description="Year."),
                            format: str | None = FormatQuery, section: str | None = SectionQuery) -> Response:
        fmt = render.check_format(format, "json")
        try:
            data = holder.call(lambda c: c.cockpit_records(region, indicator, year))
        except IPCockpitError as exc:
            return _error(exc)
        return render.data_response(data, fmt, section or "rows", "cockpit-records")

    @app.get("/api/cockpit/regions", summary="Region profiles")
    def cockpit_regions_api() -> Response:
        try:
            return render.json_response(holder.call(lambda c: c.regions()))
        except IPCockpitError as exc:
            return _error(exc)

    @app.get("/api/cockpit/reported", summary="Reported values with provenance")
    def cockpit_reported_api(request: Request, region: str | None = RegionQuery, indicator: str | None = None,
                             year: int | None = None, format: str | None = FormatQuery) -> Response:
        fmt = render.check_format(format, "json")
        public = _public(request)

        def rows(c: Any) -> list[dict[str, Any]]:
            found = c.reported(region, indicator, year)
            return only_published(found, c.store) if public else found

        data = {"reported": holder.call(rows)}
        return render.data_response(data, fmt, "reported", "reported")

    @app.post("/api/cockpit/reported", summary="Report values with provenance (a JSON object or a list)")
    async def cockpit_report_api(request: Request) -> Response:
        if holder.read_only:
            return JSONResponse({"error": READ_ONLY}, status_code=403)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body must be JSON: {\"region\", \"indicator\", \"year\", \"value\", "
                                 "\"source\", \"reported_by\", \"note\"} or a list of them"}, status_code=400)
        items = body if isinstance(body, list) else [body]
        if not all(isinstance(i, dict) for i in items):
            return JSONResponse({"error": "each item must be a JSON object"}, status_code=400)
        try:
            rows = holder.call(lambda c: c.report_values(items))
        except IPCockpitError as exc:
            return _error(exc)
        return render.json_response({"reported": rows}, status_code=201)

    @app.post("/api/cockpit/reported/csv", summary="Upload a CSV of reported values (all or nothing)")
    async def cockpit_report_csv_api(request: Request) -> Response:
        if holder.read_only:
            return JSONResponse({"error": READ_ONLY}, status_code=403)
        async with request.form() as form:  # closes the spooled upload
            upload, region, by = form.get("file"), form.get("region"), form.get("reported_by")
            if upload is None or isinstance(upload, str):
                return JSONResponse({"error": "send the CSV as the form field 'file'"}, status_code=400)
            name = Path(upload.filename or "reported.csv").name
            content = await upload.read()
        code = region if isinstance(region, str) and region else None
        who = by if isinstance(by, str) and by else None
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(content)
            try:
                rows = holder.call(lambda c: c.import_reported(path, region=code, reported_by=who))
            except IPCockpitError as exc:  # name the uploaded file, not the temporary copy
                return JSONResponse({"error": str(exc).replace(str(path), name)}, status_code=400)
        return render.json_response({"reported": rows}, status_code=201)


# pages ---------------------------------------------------------------------------------------------
PAGE_FORMATS = ("html", "json", "csv", "xlsx")
#: seconds between reloads of the big screen: default, least, most
REFRESH = (60, 10, 3600)
MAX_UPLOAD_BYTES = 2_000_000


def _int(value: Any, name: str) -> int | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise BadRequest(f"{name}={text!r} is not a whole number; write a 4-digit year such as 2024",
                         "cockpit.error_year", field=name, value=text) from exc


def _refresh(value: str | None) -> int:
    default, least, most = REFRESH
    try:
        seconds = int(value) if value else default
    except ValueError:
        seconds = default
    return max(least, min(most, seconds))


def _reporter(request: Request, form: Any) -> str | None:
    """Who reports: the signed-in user when an authentication middleware put one on the request
    (``request.state.user`` with ``username`` or ``name``), else the form's ``reported_by``."""
    user = getattr(request.state, "user", None)
    for attr in ("username", "name"):
        name = user.get(attr) if isinstance(user, dict) else getattr(user, attr, None)
        if name:
            return str(name)
    by = form.get("reported_by")
    return by.strip() if isinstance(by, str) and by.strip() else None


def _back(request: Request, **params: Any) -> RedirectResponse:
    """303 to the cockpit page (a relative URL, so that it works behind a proxy) with ``params`` set."""
    url = request.url_for("cockpit_html").include_query_params(**{k: v for k, v in params.items() if v})
    return RedirectResponse(f"{url.path}?{url.query}", status_code=303)


def register_pages(app: FastAPI, web: Web) -> None:
    """The cockpit's HTML routes."""
    holder = web.holder

    error_page = web.error_page

    def cockpit_page(request: Request, region: str | None, year: Any, fmt: str, section: str | None,
                     screen: str | None = None, status_code: int = 200, notice: dict[str, Any] | None = None,
                     form: dict[str, Any] | None = None) -> Response:
        try:
            asked = _int(year, "year")
            public = _public(request)
            data = holder.call(lambda c: c.cockpit(region or None, asked, public))
            regions = holder.call(lambda c: c.regions()) if fmt == "html" else []
        except StoreError:
            raise
        except BadRequest as exc:
            return error_page(request, fmt, 400, exc.key or "error.bad_request", **exc.values)
        except IPCockpitError as exc:
            return error_page(request, fmt, 400, "error.bad_request", detail=str(exc))
        code = data["region"]["code"]
        if fmt == "xlsx":
            return render.xlsx_response(tables.cockpit_tables(data), f"cockpit-{code}-{data['year']}")
        if fmt == "csv":
            return render.csv_response(tables.cockpit_tables(data), section or "indicators", f"cockpit-{code}")
        big = (screen or "").lower() == "big"

        def extra(t: i18n.Translator) -> dict[str, Any]:
            lang = t.lang
            cards = data["indicators"]
            out: dict[str, Any] = {
                "cards": charts_cockpit.cards_view(cards, t, lang, dark=big),
                "counts": charts_cockpit.status_counts(cards),
                "status_colours": {str(k): v for k, v in charts_cockpit.STATUS_COLOURS.items()},
                "num": charts_cockpit.number, "regions": regions, "big": big,
                "writable": not holder.read_only, "notice": notice or {}, "form": form or {},
                "region_name": data["region"]["name_en"] if lang == "en" and data["region"].get("name_en")
                else data["region"]["name"],
                "plan_name": data["region"].get("plan_en") if lang == "en" and data["region"].get("plan_en")
                else data["region"].get("plan"),
                "progress_chart": charts_cockpit.progress_bars(cards, t, lang, dark=big),
                "series_ids": list(data["region"].get("series") or {}),
                "query": {"region": code, "year": data["year"]},
            }
            if big:
                refresh = _refresh(request.query_params.get("refresh"))
                featured = next((c for c in cards if c["id"] == "high_value_invention_patents_per_10k_pop"),
                                cards[0] if cards else None)
                out.update(refresh=refresh, featured=featured,
                           featured_chart=charts_cockpit.trend_chart(featured, t, lang, dark=True, big=True)
                           if featured else None)
            return out

        template = "cockpit_screen.html" if big and fmt == "html" else "cockpit.html"
        return web.page(request, "cockpit", data, fmt, section, template, extra, status_code)

    lang_q = Query(None, description="zh-CN (default) or en; remembered in a cookie.")
    fmt_q = Query(None, description="html, json, csv or xlsx.")
    section_q = Query(None, description="With format=csv: indicators (default), trend or series.")
    screen_q = Query(None, description="big: the dark full-screen mode 大屏模式.")
    refresh_q = Query(None, description="With screen=big: seconds between reloads (default 60, 10-3600).")

    @app.get("/", response_class=HTMLResponse, summary="Cockpit page 驾驶舱 (the home page)")
    def cockpit_home(request: Request, region: str | None = RegionQuery, year: str | None = YearQuery,
                     lang: str | None = lang_q, format: str | None = fmt_q, section: str | None = section_q,
                     screen: str | None = screen_q, refresh: str | None = refresh_q) -> Response:
        return cockpit_page(request, region, year, render_format(format), section, screen)

    @app.get("/cockpit", response_class=HTMLResponse, summary="Cockpit page 驾驶舱: the plan's indicators as cards")
    def cockpit_html(request: Request, region: str | None = RegionQuery, year: str | None = YearQuery,
                     lang: str | None = lang_q, format: str | None = fmt_q, section: str | None = section_q,
                     screen: str | None = screen_q, refresh: str | None = refresh_q) -> Response:
        return cockpit_page(request, region, year, render_format(format), section, screen)

    @app.get("/cockpit/records", response_class=HTMLResponse, summary="Drill-down: the records of a computed indicator")
    def cockpit_records_html(request: Request, indicator: str = Query(..., description="Indicator id."),
                             region: str | None = RegionQuery, year: str | None = YearQuery,
                             lang: str | None = lang_q, format: str | None = fmt_q,
                             section: str | None = Query(None, description="With format=csv: rows.")) -> Response:
        fmt = render_format(format)
        try:
            asked = _int(year, "year")
            data = holder.call(lambda c: c.cockpit_records(region or None, indicator, asked))
        except StoreError:
            raise
        except BadRequest as exc:
            return error_page(request, fmt, 400, exc.key or "error.bad_request", **exc.values)
        except IPCockpitError as exc:
            return error_page(request, fmt, 400, "error.bad_request", detail=str(exc))
        name = f"cockpit-records-{data['indicator']}-{data['year']}"
        if fmt == "xlsx":
            return render.xlsx_response({"rows": tables.record_rows(data)}, name)
        if fmt == "csv":
            return render.csv_response({"rows": tables.record_rows(data)}, section or "rows", name)
        return web.page(request, "cockpit_records", data, fmt, section, "cockpit_records.html",
                        lambda t: {"num": charts_cockpit.number})

    @app.post("/cockpit/reported", response_class=HTMLResponse,
              summary="Reported-value form 填报: indicator, year, value, source document, note; redirects back")
    async def cockpit_report_form(request: Request) -> Response:
        async with request.form() as form:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
        region = fields.get("region") or None
        back = next((y for y in (fields.get("back_year"), fields.get("year")) if (y or "").strip().isdigit()), None)
        if holder.read_only:
            return cockpit_page(request, region, back, "html", None, status_code=403,
                                notice={"error": i18n.Translator(web.language(request))("cockpit.error_read_only")},
                                form=fields)
        try:
            year = _int(fields.get("year"), "year")
            if year is None:
                raise BadRequest("year: required", "cockpit.error_required", field="year")
            raw = (fields.get("value") or "").strip().replace(",", "")
            try:
                value = float(raw)
            except ValueError as exc:
                raise BadRequest(f"value={raw!r}: not a number", "cockpit.error_value", value=raw) from exc
            row = holder.call(lambda c: c.report_value(
                (fields.get("indicator") or "").strip(), year, value, (fields.get("source_document") or "").strip(),
                _reporter(request, fields) or "", region=region, note=(fields.get("note") or "").strip() or None))
        except StoreError:
            raise
        except (BadRequest, IPCockpitError) as exc:
            t = i18n.Translator(web.language(request))
            key = exc.key if isinstance(exc, BadRequest) and exc.key else None
            message = t(key, **exc.values) if key and isinstance(exc, BadRequest) else t("cockpit.error_report",
                                                                                        detail=str(exc))
            return cockpit_page(request, region, back, "html", None, status_code=400, notice={"error": message},
                                form=fields)
        return _back(request, region=row["region"], year=row["year"], reported=row["id"])

    @app.post("/cockpit/reported/csv", response_class=HTMLResponse,
              summary="CSV upload of reported values 批量填报 (all or nothing); redirects back")
    async def cockpit_report_csv_form(request: Request) -> Response:
        async with request.form() as form:
            upload = form.get("file")
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            content = await upload.read() if isinstance(upload, UploadFile) else b""
            name = Path(upload.filename or "reported.csv").name if isinstance(upload, UploadFile) else ""
        region = fields.get("region") or None
        back = fields.get("back_year") if (fields.get("back_year") or "").strip().isdigit() else None
        t = i18n.Translator(web.language(request))
        if holder.read_only:
            return cockpit_page(request, region, back, "html", None, status_code=403,
                                notice={"error": t("cockpit.error_read_only")})
        if not name or not content:
            return cockpit_page(request, region, back, "html", None, status_code=400,
                                notice={"error": t("cockpit.error_no_file")})
        if len(content) > MAX_UPLOAD_BYTES:
            return cockpit_page(request, region, back, "html", None, status_code=400,
                                notice={"error": t("cockpit.error_too_large", file=name,
                                                   size=f"{MAX_UPLOAD_BYTES:,}")})
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(content)
            try:
                rows = holder.call(lambda c: c.import_reported(path, region=region,
                                                               reported_by=_reporter(request, fields)))
            except StoreError:
                raise
            except IPCockpitError as exc:  # name the uploaded file, not the temporary copy
                return cockpit_page(request, region, back, "html", None, status_code=400, notice={
                    "error": t("cockpit.error_report", detail=str(exc).replace(str(path), name))})
        return _back(request, region=region, year=back, imported=len(rows))

    @app.get("/cockpit/report.pdf", summary="Periodic evaluation report 定期评估报告 (PDF)",
             response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
    def cockpit_report_pdf(request: Request, region: str | None = RegionQuery, year: str | None = YearQuery,
                           lang: str | None = lang_q) -> Response:
        try:
            asked = _int(year, "year")
            public = _public(request)
            content = holder.call(lambda c: c.cockpit_report_pdf(region or None, asked, lang=web.language(request),
                                                                 published_only=public))
        except StoreError:
            raise
        except BadRequest as exc:
            return error_page(request, "html", 400, exc.key or "error.bad_request", **exc.values)
        except IPCockpitError as exc:
            return error_page(request, "html", 400, "error.bad_request", detail=str(exc))
        code = region or "default"
        return Response(content, media_type="application/pdf", headers={
            "Content-Disposition": f'inline; filename="cockpit-report-{code}-{asked or "latest"}.pdf"'})


def render_format(fmt: str | None) -> str:
    return check_format(fmt, "html", PAGE_FORMATS)
