"""Patent navigation (专利导航, docs/navigation.md "Reports"):

* ``/navigation``: pick an industry (the presets) and a region, build the report (``POST /navigation/build``,
  analysts and admins of a writable server; saved as the next edition), read the report of an edition (its
  charts drawn by ECharts from the same options the PDF and Word draw as images), what changed since the
  edition before, the editions saved and the downloads. ``/api/navigation`` is the same dict (the report
  included).
* API: ``POST /api/navigation/build`` ``{"industry", "region", "lang"}`` (201: the edition and its changes),
  ``GET /api/navigation/editions``, ``GET /api/navigation/diff``, ``GET /api/navigation/report.{format}``
  (html, pdf, docx, csv, xlsx, json) of an edition.

A report is built in the request (seconds on the shared data; the request time limit, setting
``request_timeout``, holds it).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field

from ipcockpit.app import Cockpit
from ipcockpit.navigation.render_html import view
from ipcockpit.navigation.report import NavigationError
from ipcockpit.navigation.service import FORMATS
from ipcockpit.web import render
from ipcockpit.web.auth import allowed, audit_target
from ipcockpit.web.bodies import json_object
from ipcockpit.web.context import Web
from ipcockpit.web.errors import Forbidden, NotFound
from ipcockpit.web.pages import Fields, Page, PageParams, View

BUILD_PATH = "/navigation/build"
REGION = {"pattern": r"^\d{2,6}$", "description": "GB/T 2260 code of the region (50, 500120)."}


class NavigationParams(PageParams):
    industry: str | None = Field(None, max_length=64, description="Industry preset id (nev, ngit, smart_equipment, "
                                 "health, …).")
    region: str | None = Field(None, **REGION)
    edition: int | None = Field(None, ge=1, description="A saved edition (default: the latest).")


class BuildRequest(Fields):
    industry: str = Field(..., max_length=64, description="Industry preset id.")
    region: str | None = Field(None, **REGION)
    lang: str | None = Field(None, description="zh-CN or en.")


class DownloadParams(Fields):
    industry: str = Field(..., max_length=64, description="Industry preset id.")
    region: str | None = Field(None, **REGION)
    edition: int | None = Field(None, ge=1, description="A saved edition (default: the latest).")
    lang: str | None = Field(None, description="zh-CN or en (default: the request's language).")


def navigation_data(c: Cockpit, p: NavigationParams, v: View) -> dict[str, Any]:
    nav = c.navigation
    report = None
    if p.industry:
        listed = nav.editions(p.industry, p.region)
        if listed or p.edition:
            report = nav.edition(p.industry, p.region, p.edition)
    presets = nav.presets()
    names = {x["id"]: x for x in presets}
    listed = [{**e, "name_zh": names.get(e["industry"], {}).get("name_zh"),
               "name_en": names.get(e["industry"], {}).get("name_en")} for e in nav.editions()]
    return {"presets": presets, "industry": p.industry, "region": p.region, "editions": listed, "report": report}


def _extra(c: Cockpit, data: dict[str, Any], p: NavigationParams, v: View) -> dict[str, Any]:
    report = data.get("report")
    query = {k: x for k, x in (("industry", p.industry), ("region", p.region),
                               ("edition", report and report.get("edition"))) if x}
    return {"r": view(report, v.t, v.tz) if report else None, "formats": [f for f in FORMATS if f != "json"],
            "download_query": urlencode(query), "build_path": BUILD_PATH,
            "can_build": not v.read_only and allowed(v.user, "POST", BUILD_PATH), "read_only": v.read_only}


PAGES = (
    Page("navigation", navigation_data, NavigationParams, template="navigation.html", extra=_extra,
         formats=("html", "json"),
         summary="Patent navigation 专利导航: the industry presets, the editions saved, an edition's report",
         description="`report`: the edition's report dict (title and summary as catalogue keys with parameters, "
                     "the definition and its counts, levels, missing data, sections with ECharts options, tables "
                     "and numbers with query and provenance, `changes` since the edition before)."),
)


def register(app: FastAPI, web: Web) -> None:
    """The build (form and API), the downloads, the editions and their differences."""

    def build(request: Request, spec: BuildRequest) -> dict[str, Any]:
        if web.read_only:
            raise Forbidden("the server is read-only: build reports with `ipcockpit navigate INDUSTRY`",
                            "nav.page.read_only")
        lang = spec.lang or web.language(request)
        report = web.call(lambda c: c.navigation.build(spec.industry, spec.region, lang))
        audit_target(request, f"navigation {spec.industry} {spec.region or ''} e{report.get('edition')}")
        return report

    @app.post(BUILD_PATH, include_in_schema=False)
    async def navigation_build_form(request: Request) -> Response:
        async with request.form() as form:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
        report = build(request, BuildRequest.model_validate(fields))
        query = {k: x for k, x in (("industry", report["industry"]["id"]), ("region", report["region"]["code"]),
                                   ("edition", report.get("edition"))) if x}
        return RedirectResponse(f"/navigation?{urlencode(query)}", status_code=303)

    @app.post("/api/navigation/build", summary="Build a navigation report and save it as the next edition",
              status_code=201)
    async def navigation_build_api(request: Request) -> Response:
        body = await json_object(request, '{"industry": "nev", "region": "500120"}')
        report = build(request, BuildRequest.model_validate(body))
        return render.json_response({"industry": report["industry"]["id"], "region": report["region"]["code"],
                                     "edition": report.get("edition"), "documents": report["industry"]["documents"],
                                     "changes": report.get("changes")}, status_code=201)

    @app.get("/api/navigation/editions", summary="The navigation report editions saved (newest first)")
    def navigation_editions_api(industry: Annotated[str | None, Query(max_length=64)] = None,
                                region: Annotated[str | None, Query(pattern=REGION["pattern"])] = None) -> Response:
        return render.json_response({"editions": web.call(lambda c: c.navigation.editions(industry, region))})

    @app.get("/api/navigation/diff", summary="What changed between two editions (default: the latest and the one "
                                             "before): numbers added, removed, changed old → new")
    def navigation_diff_api(industry: Annotated[str, Query(max_length=64)],
                            region: Annotated[str | None, Query(pattern=REGION["pattern"])] = None,
                            edition: Annotated[int | None, Query(ge=1)] = None,
                            since: Annotated[int | None, Query(ge=1)] = None) -> Response:
        return render.json_response(web.call(lambda c: c.navigation.diff(industry, region, edition, since)))

    @app.get("/api/navigation/report.{fmt}", summary="A saved edition's report as HTML, PDF, Word (docx), the data "
                                                     "appendix (CSV, XLSX) or JSON", response_class=Response,
             responses={404: {"description": "No saved edition of that industry, region and number: build one "
                                             "(POST /api/navigation/build or `ipcockpit navigate`)."}})
    def navigation_report_api(request: Request, fmt: Literal["html", "pdf", "docx", "csv", "xlsx", "json"],
                              params: Annotated[DownloadParams, Query()]) -> Response:
        lang = params.lang or web.language(request)

        def rendered(c: Cockpit) -> tuple[bytes, str]:
            nav = c.navigation
            try:
                report = nav.edition(params.industry, params.region, params.edition)
            except NavigationError as exc:
                raise NotFound(str(exc)) from exc
            return nav.render(report, fmt, lang), nav.filename(report, fmt)

        content, name = web.call(rendered)
        disposition = "inline" if fmt in ("html", "pdf", "json") else "attachment"
        return Response(content, media_type=FORMATS[fmt][0],
                        headers={"Content-Disposition": f'{disposition}; filename="{name}"'})
