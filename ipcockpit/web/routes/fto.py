"""FTO screening (侵权风险筛查): the form (GET ``/fto``), its result (POST ``/fto``: the page, or with
``format=pdf|report|json`` the PDF report, the standalone HTML report or JSON) and POST ``/api/fto`` (a
JSON body).

The policy (:data:`ipcockpit.web.auth.POLICY`) lets signed-in users in (enterprise users, analysts,
admins): descriptions are confidential. The audit row of a query names its size and filters, never the
description itself.

Limits (:mod:`ipcockpit.limits`): the description (``max_description_chars``) and each excluded applicant
(``max_name_chars``) are the Cockpit's to check; the results asked for (``limit``) are held to
``max_results`` here. The embedded report's rules are a file (GET ``/fto/report.css``): the page's
Content-Security-Policy refuses ``<style>`` elements.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, Field, field_validator

from ipcockpit import limits
from ipcockpit.app import Cockpit
from ipcockpit.errors import IPCockpitError, StoreError
from ipcockpit.web import render
from ipcockpit.web.auth import audit_target
from ipcockpit.web.context import Web
from ipcockpit.web.errors import BadRequest, message
from ipcockpit.web.pages import Fields, parse

DEFAULT_LIMIT = 20
#: the form's ``format`` values and the report each gives
FORM_FORMATS = {"page": None, "pdf": "pdf", "report": "html", "json": "json"}
#: the FTO form is a form, not a data page: no page data to download
PAGES: tuple[()] = ()


class FtoQuery(Fields):
    """An FTO query: a form's fields or the JSON body of POST /api/fto."""

    text: str = Field("", description="The product description (at most the setting max_description_chars "
                      "characters, default 20,000).")
    jurisdictions: list[str] | None = Field(None, description="Office codes (CN, US); a form separates them "
                                            "by commas or spaces.")
    exclude_applicants: list[str] | None = Field(None, description="Applicants left out (your own); a form "
                                                 "writes one a line.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, description="Results, from 1 to the setting max_results (default 200).")

    @field_validator("jurisdictions", mode="before")
    @classmethod
    def _codes(cls, value: Any) -> list[str] | None:
        return _split(value, r"[\s,;，；]+")

    @field_validator("exclude_applicants", mode="before")
    @classmethod
    def _names(cls, value: Any) -> list[str] | None:
        return _split(value, r"[\r\n;；]+")


def _split(value: Any, separators: str) -> list[str] | None:
    """A list as it is, or a form's text cut at ``separators``; None when nothing is left."""
    items = value if isinstance(value, list) else re.split(separators, str(value or ""))
    return [str(v).strip() for v in items if str(v).strip()] or None


class FtoForm(BaseModel):
    number: str | None = Field(None, description="Prefill the description with the first independent claim "
                               "(else the abstract) of this patent.")
    lang: str | None = Field(None, description="zh-CN (default) or en.")


def _audit(request: Request, fields: Mapping[str, Any], result: dict[str, Any] | None) -> None:
    """The audit row of an FTO query: its size and filters, not the description itself."""
    text = fields.get("text")
    excluded = fields.get("exclude_applicants")
    audit_target(request, "fto", {
        "chars": len(text) if isinstance(text, str) else 0, "jurisdictions": fields.get("jurisdictions"),
        "excluded": len(_split(excluded, r"[\r\n;；]+") or []),
        "results": None if result is None else len(result["results"])})


def report(web: Web, request: Request, result: dict[str, Any], fmt: str) -> Response:
    """The FTO result as a download: ``fto-report.pdf``, ``fto-report.html`` or JSON."""
    if fmt == "json":
        return render.json_response(result)
    content = web.call(lambda c: c.fto_report(result, fmt, web.language(request)))
    media = "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="fto-report.{fmt}"'})


def _prefill(c: Cockpit, number: str) -> str:
    data = c.patent(number)
    if data is None:
        return ""
    claims = [x["text"] for x in data.get("claims", []) if x.get("independent") and x.get("text")]
    abstracts = [x["text"] for x in data.get("texts", []) if x["kind"] == "abstract"]
    return (claims or abstracts or [""])[0]


def register(app: FastAPI, web: Web) -> None:
    def page(request: Request, form: Mapping[str, Any], result: dict[str, Any] | None, error: str | None = None,
             status: int = 200) -> Response:
        report_html = None
        if result is not None:
            from ipcockpit.reports.fto import fto_html

            report_html = fto_html(result, web.language(request), embedded=True)
        return web.html(request, "fto.html", {"data": {"form": dict(form), "result": result},
                                              "report_html": report_html, "error": error}, "fto", status)

    @app.get("/fto/report.css", include_in_schema=False)
    def fto_report_css() -> FileResponse:
        """The FTO report's rules, for the page that embeds the report."""
        from ipcockpit.reports.fto import TEMPLATES

        return FileResponse(TEMPLATES / "fto_report.css", media_type="text/css")

    @app.get("/fto", response_class=HTMLResponse, summary="FTO infringement-risk screening form 侵权风险筛查")
    def fto_page(request: Request, params: Annotated[FtoForm, Query()]) -> Response:
        text = web.call(lambda c: _prefill(c, params.number)) if params.number else ""
        form = {"text": text, "jurisdictions": "", "exclude_applicants": "", "limit": DEFAULT_LIMIT}
        return page(request, form, None)

    @app.post("/fto", response_class=HTMLResponse, summary="FTO screening form: the result page or a report")
    async def fto_form(request: Request) -> Response:
        """Form fields ``text``, ``jurisdictions`` (CN, US ...), ``exclude_applicants`` (one per line),
        ``limit`` and ``format``: page (default), pdf or report (HTML) downloads, json."""
        async with request.form() as form:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
        fmt = (fields.get("format") or "page").strip().lower()
        request.state.format = "html" if fmt == "page" else "json"
        if fmt not in FORM_FORMATS:
            raise BadRequest(f"format={fmt!r}: use page, pdf, report (HTML) or json")
        shown = {k: fields.get(k, "") for k in ("text", "jurisdictions", "exclude_applicants", "limit")}
        try:
            query = parse(FtoQuery, fields)
            limits.hold_limit(query, web.settings, ranked=True)
            result = web.call(lambda c: c.fto(**query.model_dump()))
        except StoreError:
            raise
        except IPCockpitError as exc:
            _audit(request, fields, None)
            if fmt != "page":
                raise
            return page(request, shown, None, message(web, request, exc), 400)
        _audit(request, query.model_dump(), result)
        report_fmt = FORM_FORMATS[fmt]
        return page(request, shown, result) if report_fmt is None else report(web, request, result, report_fmt)

    @app.post("/api/fto", summary="FTO infringement-risk screening 侵权风险筛查 (JSON body)")
    def fto_api(request: Request, query: FtoQuery,
                format: Annotated[str, Query(description="json (default), pdf or html (the report).")] = "json",
                lang: Annotated[str | None, Query(description="Language of a report: zh-CN or en.")] = None
                ) -> Response:
        """Returns the result of :meth:`ipcockpit.app.Cockpit.fto` (docs/fto.md), or its report."""
        request.state.format = "json"
        fmt = format.lower()
        if fmt not in ("json", "pdf", "html"):
            raise BadRequest(f"format={fmt!r} is not offered; use one of json, pdf, html")
        try:
            limits.hold_limit(query, web.settings, ranked=True)
            result = web.call(lambda c: c.fto(**query.model_dump()))
        except IPCockpitError:
            _audit(request, query.model_dump(), None)
            raise
        _audit(request, query.model_dump(), result)
        return report(web, request, result, fmt)
