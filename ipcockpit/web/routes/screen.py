"""High-value patent screening (高价值专利筛选): the screening page (``/screen``, ``/api/screen``), the
portfolio forms (POST ``/screen``: pasted numbers and an uploaded file; POST ``/api/screen``: a JSON list)
and the patent page (``/patent/{number}``, ``/api/patent/{number}``).

The screening settings of a request (as-of date, strict SEI, maintenance start, pledge threshold, SEI
scheme) go on top of the settings file's ``screen:`` section (:meth:`ipcockpit.app.Cockpit.screen_settings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field
from starlette.datastructures import UploadFile

from ipcockpit.app import Cockpit
from ipcockpit.portfolio import portfolio, read_numbers, split_numbers
from ipcockpit.value.screen import flat_rows
from ipcockpit.web import charts
from ipcockpit.web.context import Web
from ipcockpit.web.errors import BadRequest, NotFound
from ipcockpit.web.pages import Page, PageParams, View, check_format, parse, show


class SettingsParams(PageParams):
    """The screening settings a request may change (empty: the settings file's)."""

    as_of: str | None = Field(None, description="Screen as of this date (YYYY-MM-DD; default today).")
    strict_sei: bool | None = Field(None, description="1: the SEI condition needs the catalogue's keyword too.")
    maintenance_start: str | None = Field(None, description="Maintenance years counted from filing or grant.")
    pledge_threshold: float | None = Field(None, description="Pledge amount (CNY) that counts as high.",
                                           examples=[10_000_000])
    sei_scheme: str | None = Field(None, description="ref_ipc_concordance scheme of the SEI table.")
    profile: str | None = Field(None, description="Value-index profile (default government_statistics).")

    def overrides(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "strict_sei": self.strict_sei, "maintenance_start": self.maintenance_start,
                "pledge_threshold": self.pledge_threshold, "sei_scheme": self.sei_scheme}


class ScreenParams(SettingsParams):
    region: str | None = Field(None, description="GB/T 2260 code (prefix) of the applicant's address.")
    industry: str | None = Field(None, description="SEI 2021 industry code (1, 1.2).")
    applicant: str | None = Field(None, description="Part of an applicant's name.")
    year_from: int | None = Field(None, description="Filed in this year or later.", examples=[2015])
    limit: int = Field(50, ge=0, description="Rows listed (0: all); the counts cover every match.")
    numbers: str | None = Field(None, description="A portfolio: numbers separated by commas or new lines.")


def screen_data(c: Cockpit, p: ScreenParams, numbers: list[str] | None = None) -> dict[str, Any]:
    """The screening page's dict (:meth:`~ipcockpit.app.Cockpit.screen_page`) of ``p``'s filters, for
    ``numbers`` (a portfolio) when given, else for the query's ``numbers``."""
    if numbers is None and p.numbers:
        numbers = split_numbers(p.numbers)
    return c.screen_page(profile=p.profile, region=p.region, industry=p.industry, applicant=p.applicant,
                         year_from=p.year_from, limit=p.limit, doc_ids=numbers,
                         settings=c.screen_settings(**p.overrides()))


def screen_tables(data: dict[str, Any]) -> dict[str, Any]:
    """What the CSV and Excel downloads hold: one flat row per patent, the condition and value-index
    counts, the numbers not found."""
    return {"patents": flat_rows(data["patents"]), "conditions": data["summary"]["conditions"],
            "value_index_bins": data["summary"]["value_index_bins"],
            "not_found": [{"number": n} for n in data["not_found"]]}


def _screen_charts(c: Cockpit, data: dict[str, Any], p: ScreenParams, v: View) -> dict[str, Any]:
    return {"histogram": charts.value_index_histogram(data["summary"]["value_index_bins"], v.t),
            "condition_chart": charts.condition_bars(data["summary"]["conditions"], v.t),
            "portfolio": data["filters"]["numbers"] is not None}


def patent_data(c: Cockpit, p: SettingsParams, v: View) -> dict[str, Any]:
    data = c.patent(v.key or "", profile=p.profile, settings=c.screen_settings(**p.overrides()))
    if data is None:
        raise NotFound(f"no patent document numbered {v.key!r}", "patent.not_found", number=v.key)
    return data


SCREEN = Page("screen", lambda c, p, v: screen_data(c, p), ScreenParams, template="screen.html",
              extra=_screen_charts, tables=screen_tables, section="patents",
              summary="High-value invention patent screening 高价值发明专利筛选",
              description="The filters as the CLI's options; the same rows as `ipcockpit screen`.")
PATENT = Page("patent", patent_data, SettingsParams, path="/patent/{number:path}", template="patent.html",
              summary="Patent page 专利详情: one patent with its screening explanation",
              description="`number` in any written form: CN115883397B, CN 115883397 B, ZL202211359874.7, "
                          "US 7,315,680 B1.")
PAGES = (SCREEN, PATENT)


async def portfolio_numbers(form: Mapping[str, Any]) -> list[str]:
    """The numbers of the portfolio form: the text area plus the uploaded file, in order, once each
    (:mod:`ipcockpit.portfolio`)."""
    text = form.get("numbers")
    parts = [split_numbers(text if isinstance(text, str) else "")]
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        parts.append(read_numbers(upload.filename, await upload.read()))
    return portfolio(parts)


def register(app: FastAPI, web: Web) -> None:
    """The portfolio forms (POST ``/screen``, POST ``/api/screen``)."""

    @app.post("/screen", response_class=HTMLResponse, summary="Portfolio screening form 专利组合筛选 (multipart)")
    async def screen_form(request: Request) -> Response:
        """Form fields ``numbers`` (pasted text) and ``file`` (.txt or .csv), the filters' and settings'
        fields, ``format`` (html, json, csv, xlsx) and ``section``."""
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        request.state.format = check_format(SCREEN, fields.get("format"), "html")
        params = parse(ScreenParams, {k: v for k, v in fields.items() if k != "numbers"})
        numbers = await portfolio_numbers(form)
        return show(web, request, SCREEN, params, request.state.format,
                    data=lambda c, v: screen_data(c, params, numbers))

    @app.post("/api/screen", summary="Portfolio screening: a JSON list of numbers 专利组合筛选")
    async def screen_portfolio(request: Request, params: Annotated[ScreenParams, Query()]) -> Response:
        """Body: ``["CN115883397B", "ZL202211359874.7"]`` or ``{"numbers": [...]}``; the filters and
        settings as query parameters; ``format`` json (default), csv or xlsx."""
        fmt = check_format(SCREEN, params.format, "json")
        request.state.format = fmt
        try:
            body = await request.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            body = body.get("numbers")
        if not isinstance(body, list) or not all(isinstance(n, str) for n in body):
            raise BadRequest('POST /api/screen: send a JSON list of numbers (["CN115883397B", '
                             '"ZL202211359874.7"]) or {"numbers": [...]}')
        numbers = body
        return show(web, request, SCREEN, params, "json" if fmt == "html" else fmt,
                    data=lambda c, v: screen_data(c, params, numbers))
