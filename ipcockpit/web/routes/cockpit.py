"""The cockpit (驾驶舱): its pages, forms and API.

Pages: the cockpit (``/``, ``/cockpit``; ``?screen=big`` the dark full-screen mode), the drill-down
(``/cockpit/records``), reported values with their publication (``/cockpit/reported``, its data also
``/api/cockpit/reported``), each also JSON, CSV and Excel. Forms: the reported-value form and CSV upload
(POST ``/cockpit/reported``, ``/cockpit/reported/csv``, redirecting back), the publish button of the
reported values (POST ``/cockpit/publish``, shown to those the policy lets publish, on a writable store)
and the periodic evaluation report (``/cockpit/report.pdf``). API writes: POST ``/api/cockpit/reported``
(JSON) and ``/api/cockpit/reported/csv`` (publishing through the API: :mod:`ipcockpit.web.routes.auth`).
Writes are refused on a read-only store (403); who may write is the policy's business
(:data:`ipcockpit.web.auth.POLICY`).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field
from starlette.datastructures import UploadFile

from ipcockpit.app import Cockpit
from ipcockpit.auth.access import only_published
from ipcockpit.cockpit import tables
from ipcockpit.errors import IPCockpitError, StoreError
from ipcockpit.web import charts_cockpit, render
from ipcockpit.web.auth import allowed, audit_target, current_user, rule_for
from ipcockpit.web.context import Web
from ipcockpit.web.errors import BadRequest, Forbidden
from ipcockpit.web.pages import Page, PageParams, View, parse, show

READ_ONLY = "the store is open read-only; start the server with a writable store to report values"
#: seconds between reloads of the big screen: default, least, most
REFRESH = (60, 10, 3600)
MAX_UPLOAD_BYTES = 2_000_000
#: the longest upload name kept, in bytes of UTF-8 (a file system allows 255 in one name)
MAX_NAME_BYTES = 200
REGION = "GB/T 2260 code of the region (default 500120, Bishan District)."


class CockpitParams(PageParams):
    region: str | None = Field(None, description=REGION)
    year: int | None = Field(None, description="Year (default: this year, at most the target year).",
                             examples=[2024])
    screen: str | None = Field(None, description="big: the dark full-screen mode 大屏模式.")
    refresh: str | None = Field(None, description="With screen=big: seconds between reloads (default 60, "
                                "10-3600).")


class RecordsParams(PageParams):
    indicator: str = Field(description="Indicator id.")
    region: str | None = Field(None, description=REGION)
    year: int | None = Field(None, description="Year.", examples=[2024])


class ReportedParams(PageParams):
    region: str | None = Field(None, description=REGION)
    indicator: str | None = Field(None, description="Indicator id.")
    year: int | None = Field(None, description="Year.", examples=[2024])


def _public(v: View) -> bool:
    """True when the caller may see published figures only (public visitors and enterprise users)."""
    return not v.user.sees_unpublished


def _refresh(value: str | None) -> int:
    default, least, most = REFRESH
    try:
        seconds = int(value) if value else default
    except ValueError:
        seconds = default
    return max(least, min(most, seconds))


def _big(p: CockpitParams) -> bool:
    return (p.screen or "").lower() == "big"


def report_block(v: View) -> str | None:
    """Why the reporting forms cannot work for this caller (``read_only``: the server's store; ``login``: a
    visitor; ``role``: a user the policy does not let report), or None when they can: the page shows the
    forms only then, and otherwise a note that says why."""
    if v.read_only:
        return "read_only"
    if allowed(v.user, "POST", "/cockpit/reported"):
        return None
    return "login" if v.user.is_public else "role"


def cockpit_extra(c: Cockpit, data: dict[str, Any], p: CockpitParams, v: View) -> dict[str, Any]:
    """The cards' views, the charts' options and the forms' choices of the cockpit page."""
    t, lang, big = v.t, v.t.lang, _big(p)
    cards = data["indicators"]
    region = data["region"]
    out: dict[str, Any] = {
        "cards": charts_cockpit.cards_view(cards, t, lang, dark=big, tz=v.tz),
        "counts": charts_cockpit.status_counts(cards),
        "status_colours": {str(k): v for k, v in charts_cockpit.STATUS_COLOURS.items()},
        "num": charts_cockpit.number, "regions": c.regions(), "big": big,
        "report_block": report_block(v), "notice": {}, "form": {},
        "region_name": region["name_en"] if lang == "en" and region.get("name_en") else region["name"],
        "plan_name": region.get("plan_en") if lang == "en" and region.get("plan_en") else region.get("plan"),
        "progress_chart": charts_cockpit.progress_bars(cards, t, lang, dark=big),
        "series_ids": list(region.get("series") or {}),
        "query": {"region": region["code"], "year": data["year"]},
    }
    if big:
        featured = next((x for x in cards if x["id"] == "high_value_invention_patents_per_10k_pop"),
                        cards[0] if cards else None)
        out.update(refresh=_refresh(p.refresh), featured=featured,
                   featured_chart=charts_cockpit.trend_chart(featured, t, lang, dark=True, big=True)
                   if featured else None)
    return out


def _reported(c: Cockpit, p: ReportedParams, v: View) -> dict[str, Any]:
    """Reported values, newest first per key, with their publication (the public sees published ones)."""
    found = c.reported(p.region, p.indicator, p.year)
    rows = only_published(found, c.store) if _public(v) else found
    publication = {x["id"]: x for x in c.publication([r["id"] for r in rows])}
    return {"reported": [{**r, **{k: (publication.get(r["id"]) or {}).get(k)
                                  for k in ("published", "published_by", "published_at")}} for r in rows]}


def may_publish(v: View) -> bool:
    """Whether the caller may publish, by the policy's rule for the publish form."""
    rule = rule_for("POST", "/cockpit/publish")
    return rule is None or v.user.has(rule.roles)


def reported_extra(c: Cockpit, data: dict[str, Any], p: ReportedParams, v: View) -> dict[str, Any]:
    """Indicator names and units in the page's language, and whether the publish buttons are shown: to those
    who may publish, on a writable store (on a read-only one they get a note instead)."""
    en = v.t.lang == "en"
    names = {r["code"]: {i: n[1] if en and n[1] else n[0] for i, n in r["reportable"].items()} for r in c.regions()}
    allowed = may_publish(v)
    return {"names": names, "num": charts_cockpit.number, "region": p.region,
            "may_publish": allowed and not v.read_only, "publish_read_only": allowed and v.read_only,
            "error": None}


COCKPIT = Page(
    "cockpit", lambda c, p, v: c.cockpit(p.region, p.year, _public(v)), CockpitParams,
    template=lambda p: "cockpit_screen.html" if _big(p) else "cockpit.html", extra=cockpit_extra,
    aliases=(("/", "cockpit_home"),), tables=tables.cockpit_tables, section="indicators",
    filename=lambda d: f"cockpit-{d['region']['code']}-{d['year']}",
    summary="Cockpit page 驾驶舱: the plan's indicators against baseline and target (the home page)")
RECORDS = Page(
    "cockpit_records", lambda c, p, v: c.cockpit_records(p.region, p.indicator, p.year), RecordsParams,
    path="/cockpit/records", template="cockpit_records.html",
    extra=lambda c, d, p, v: charts_cockpit.records_view(d, v.t, v.t.lang),
    tables=lambda d, t: {"rows": tables.record_rows(d)},
    filename=lambda d: f"cockpit-records-{d['indicator']}-{d['year']}",
    summary="Drill-down: the records a computed indicator rests on")
REPORTED = Page("reported", _reported, ReportedParams, path="/cockpit/reported", template="cockpit_reported.html",
                extra=reported_extra, filename=lambda d: "cockpit-reported",
                summary="Reported values with provenance and publication (the public sees published ones)")
PAGES = (COCKPIT, RECORDS, REPORTED)


def _year(value: Any, name: str = "year") -> int | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise BadRequest(f"{name}={text!r} is not a whole number; write a 4-digit year such as 2024",
                         "cockpit.error_year", field=name, value=text) from exc


def _reporter(request: Request, form: dict[str, str]) -> str | None:
    """Who reports: the signed-in user, else the form's ``reported_by``."""
    user = current_user(request)
    if user.name:
        return user.name
    by = form.get("reported_by")
    return by.strip() if isinstance(by, str) and by.strip() else None


def upload_name(filename: str | None, default: str = "reported.csv") -> str:
    """The name an uploaded CSV is imported under (its rows cite it): the last part of the name the browser
    sent (folders, with / or \\, left out), ``default`` when it sent none. A name that is no file name
    (``.``, ``..``, a control character, over :data:`MAX_NAME_BYTES` bytes) is a :class:`BadRequest`."""
    if not filename:
        return default
    name = re.split(r"[/\\]", filename)[-1]
    if name in ("", ".", "..") or not name.isprintable() or len(name.encode()) > MAX_NAME_BYTES:
        shown = "".join(ch for ch in filename if ch.isprintable())
        shown = shown if len(shown) <= 60 else shown[:60] + "…"
        raise BadRequest(f"file name {filename!r} is not a usable file name; upload the CSV under a name such as "
                         "reported.csv", "cockpit.error_file_name", file=shown)
    return name


def _back(request: Request, **params: Any) -> RedirectResponse:
    """303 to the cockpit page (a relative URL, so that it works behind a proxy) with ``params`` set."""
    url = request.url_for("cockpit_html").include_query_params(**{k: v for k, v in params.items() if v})
    return RedirectResponse(f"{url.path}?{url.query}", status_code=303)


def register(app: FastAPI, web: Web) -> None:
    """The cockpit's forms, its PDF report and its API writes."""

    def again(request: Request, region: str | None, year: str | None, status: int, error: str,
              form: dict[str, str] | None = None) -> Response:
        """The cockpit page once more, with the form's error and what the form held."""
        params = parse(CockpitParams, {"region": region, "year": year})
        return show(web, request, COCKPIT, params, "html", status_code=status,
                    context={"notice": {"error": error}, "form": form or {}})

    @app.post("/cockpit/reported", response_class=HTMLResponse,
              summary="Reported-value form 填报: indicator, year, value, source document, note; redirects back")
    async def cockpit_report_form(request: Request) -> Response:
        async with request.form() as form:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
        region = fields.get("region") or None
        back = next((y for y in (fields.get("back_year"), fields.get("year")) if (y or "").strip().isdigit()), None)
        t = web.translator(request)
        if web.read_only:
            return again(request, region, back, 403, t("cockpit.error_read_only"), fields)
        try:
            year = _year(fields.get("year"))
            if year is None:
                raise BadRequest("year: required", "cockpit.error_required", field="year")
            raw = (fields.get("value") or "").strip().replace(",", "")
            try:
                value = float(raw)
            except ValueError as exc:
                raise BadRequest(f"value={raw!r}: not a number", "cockpit.error_value", value=raw) from exc
            row = web.call(lambda c: c.report_value(
                (fields.get("indicator") or "").strip(), year, value, (fields.get("source_document") or "").strip(),
                _reporter(request, fields) or "", region=region, note=(fields.get("note") or "").strip() or None,
                basis=(fields.get("basis") or "").strip() or None))
        except StoreError:
            raise
        except BadRequest as exc:  # the form again, with what was typed
            return again(request, region, back, 400, t(exc.key or "error.bad_request", **exc.values), fields)
        except IPCockpitError as exc:
            return again(request, region, back, 400, t("cockpit.error_report", detail=str(exc)), fields)
        return _back(request, region=row["region"], year=row["year"], reported=row["id"])

    @app.post("/cockpit/reported/csv", response_class=HTMLResponse,
              summary="CSV upload of reported values 批量填报 (all or nothing); redirects back")
    async def cockpit_report_csv_form(request: Request) -> Response:
        async with request.form() as form:
            upload = form.get("file")
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            content = await upload.read() if isinstance(upload, UploadFile) else b""
            filename = upload.filename if isinstance(upload, UploadFile) else None
        region = fields.get("region") or None
        back = fields.get("back_year") if (fields.get("back_year") or "").strip().isdigit() else None
        t = web.translator(request)
        if web.read_only:
            return again(request, region, back, 403, t("cockpit.error_read_only"))
        if not isinstance(upload, UploadFile) or not content:
            return again(request, region, back, 400, t("cockpit.error_no_file"))
        try:
            name = upload_name(filename)
        except BadRequest as exc:
            return again(request, region, back, 400, t(exc.key or "error.bad_request", **exc.values))
        if len(content) > MAX_UPLOAD_BYTES:
            return again(request, region, back, 400, t("cockpit.error_too_large", file=name,
                                                       size=f"{MAX_UPLOAD_BYTES:,}"))
        try:
            rows = _import(web, content, name, region, _reporter(request, fields))
        except StoreError:
            raise
        except IPCockpitError as exc:
            key = getattr(exc, "key", None)
            text = t(key, **exc.values) if key else t("cockpit.error_report", detail=str(exc))  # type: ignore[attr-defined]
            return again(request, region, back, 400, text)
        return _back(request, region=region, year=back, imported=len(rows))

    @app.post("/cockpit/publish", response_class=HTMLResponse,
              summary="Publish button 发布 of the reported values (published=true|false, ids); redirects back")
    async def cockpit_publish_form(request: Request) -> Response:
        async with request.form() as form:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
        region = (fields.get("region") or "").strip() or None
        t = web.translator(request)
        published = (fields.get("published") or "true").strip().lower() != "false"
        try:
            ids = [int(i) for i in (fields.get("ids") or "").replace(",", " ").split()]
        except ValueError as exc:
            raise BadRequest(f"ids={fields.get('ids')!r}: write the ids of reported values") from exc
        audit_target(request, "reported:" + ",".join(map(str, ids)), {"published": published})

        def again(status: int, error: str) -> Response:
            return show(web, request, REPORTED, parse(ReportedParams, {"region": region}), "html",
                        status_code=status, context={"error": error})

        if web.read_only:
            return again(403, t("cockpit.publish_read_only"))
        try:
            web.call(lambda c: c.publish(ids, current_user(request).label, published))
        except StoreError:
            raise
        except IPCockpitError as exc:
            return again(400, t("cockpit.error_publish", detail=str(exc)))
        url = request.url_for("reported_html").include_query_params(
            **{k: v for k, v in {"region": region, "published" if published else "withdrawn":
                                 ",".join(map(str, ids))}.items() if v})
        return RedirectResponse(f"{url.path}?{url.query}", status_code=303)

    @app.get("/cockpit/report.pdf", summary="Periodic evaluation report 定期评估报告 (PDF)",
             response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
    def cockpit_report_pdf(request: Request, params: Annotated[CockpitParams, Query()]) -> Response:
        request.state.format = "html"
        public = not current_user(request).sees_unpublished
        content = web.call(lambda c: c.cockpit_report_pdf(params.region, params.year, lang=web.language(request),
                                                          published_only=public))
        return Response(content, media_type="application/pdf", headers={
            "Content-Disposition": f'inline; filename="cockpit-report-{params.region or "default"}-'
                                   f'{params.year or "latest"}.pdf"'})

    @app.get("/api/cockpit/regions", summary="Region profiles")
    def cockpit_regions_api() -> Response:
        return render.json_response(web.call(lambda c: c.regions()))

    @app.post("/api/cockpit/reported", summary="Report values with provenance (a JSON object or a list)")
    async def cockpit_report_api(request: Request) -> Response:
        if web.read_only:
            raise Forbidden(READ_ONLY)
        try:
            body = await request.json()
        except (ValueError, RecursionError) as exc:  # not JSON, or nested deeper than the parser goes
            raise BadRequest('the body must be JSON: {"region", "indicator", "year", "value", "source", '
                             '"reported_by", "note", "basis"} or a list of them') from exc
        items = body if isinstance(body, list) else [body]
        if not all(isinstance(i, dict) for i in items):
            raise BadRequest("each item must be a JSON object")
        rows = web.call(lambda c: c.report_values(items))
        return render.json_response({"reported": rows}, status_code=201)

    @app.post("/api/cockpit/reported/csv", summary="Upload a CSV of reported values (all or nothing)")
    async def cockpit_report_csv_api(request: Request) -> Response:
        if web.read_only:
            raise Forbidden(READ_ONLY)
        async with request.form() as form:  # closes the spooled upload
            upload, region, by = form.get("file"), form.get("region"), form.get("reported_by")
            if upload is None or isinstance(upload, str):
                raise BadRequest("send the CSV as the form field 'file'")
            name = upload_name(upload.filename)
            content = await upload.read()
        rows = _import(web, content, name, region if isinstance(region, str) and region else None,
                       by if isinstance(by, str) and by else None)
        return render.json_response({"reported": rows}, status_code=201)


def _import(web: Web, content: bytes, name: str, region: str | None, by: str | None) -> list[dict[str, Any]]:
    """Import an uploaded CSV of reported values (``name``: :func:`upload_name`); an error names the uploaded
    file, not the temporary copy, and keeps its catalogue text."""
    with tempfile.TemporaryDirectory() as tmp:
        path = FilePath(tmp) / name
        path.write_bytes(content)
        try:
            return web.call(lambda c: c.import_reported(path, region=region, reported_by=by))
        except StoreError:
            raise
        except IPCockpitError as exc:
            raise BadRequest(str(exc).replace(str(path), name), getattr(exc, "key", None),
                             **(getattr(exc, "values", None) or {})) from exc
