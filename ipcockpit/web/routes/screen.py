"""High-value patent screening (高价值专利筛选): the screening page (``/screen``, ``/api/screen``), the
portfolio forms (POST ``/screen``: pasted numbers and an uploaded file; POST ``/api/screen``: a JSON list)
and the patent page (``/patent/{number}``, ``/api/patent/{number}``).

The screening settings of a request (as-of date, strict SEI, maintenance start, pledge threshold, SEI
scheme) go on top of the settings file's ``screen:`` section (:meth:`ipcockpit.app.Cockpit.screen_settings`).

Limits (:mod:`ipcockpit.limits`): a portfolio holds at most ``max_numbers`` numbers and the applicant filter
``max_name_chars`` characters (the Cockpit checks both); the page and its JSON list ``limit`` rows, at most
``max_rows``, and ``limit=0`` (all) only when at most ``max_rows`` match; a CSV or Excel download holds
every matching row up to ``max_download_rows`` (the first ones, ranked: the file name then says
``screen-first-N-of-M`` and the page names the command that prints them all).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field
from starlette.datastructures import UploadFile

from ipcockpit import i18n, limits
from ipcockpit.app import Cockpit
from ipcockpit.portfolio import portfolio, read_numbers, split_numbers
from ipcockpit.value.conditions import CONDITIONS
from ipcockpit.value.screen import flat_rows
from ipcockpit.web import charts
from ipcockpit.web.context import Web
from ipcockpit.web.errors import BadRequest, NotFound
from ipcockpit.web.pages import TABLE_FORMATS, Page, PageParams, View, check_format, parse, show


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
    limit: int = Field(50, ge=0, description="Rows listed on the page and in its JSON, at most the setting "
                       "max_rows (default 1,000); 0: all, when that many match at most. The counts cover every "
                       "match; CSV and Excel hold every match, at most the setting max_download_rows (default "
                       "50,000).")
    numbers: str | None = Field(None, description="A portfolio: numbers separated by commas or new lines.")


def check_profile(profile: str | None) -> None:
    """An unknown value-index profile is a bad request whatever the filters match (with no row to score it
    was shown as chosen): 400 naming the profiles to choose from."""
    if profile is None:
        return
    from ipcockpit.value.index import load_profiles

    names = list(load_profiles()["profiles"])
    if profile not in names:
        raise BadRequest(f"profile={profile!r}: no value-index profile has this name; choose one of "
                         f"{', '.join(names)}", "screen.error_profile", profile=profile, choices=", ".join(names))


def screen_data(c: Cockpit, p: ScreenParams, v: View, numbers: list[str] | None = None) -> dict[str, Any]:
    """The screening page's dict (:meth:`~ipcockpit.app.Cockpit.screen_page`) of ``p``'s filters, for
    ``numbers`` (a portfolio) when given, else for the query's ``numbers``. The page and its JSON list
    ``p.limit`` rows (0: all, refused when more than ``max_rows`` match); the CSV and Excel downloads every
    matching row, at most ``max_download_rows``."""
    check_profile(p.profile)
    if numbers is None and p.numbers:
        numbers = split_numbers(p.numbers)
    download = v.format in TABLE_FORMATS
    data = c.screen_page(profile=p.profile, region=p.region, industry=p.industry, applicant=p.applicant,
                         year_from=p.year_from, limit=c.settings.max_download_rows if download else p.limit,
                         doc_ids=numbers, settings=c.screen_settings(**p.overrides()))
    if not download and p.limit == 0:
        limits.check_all_rows(data["total"], c.settings)
    return data


#: the columns of :func:`~ipcockpit.value.screen.flat_rows` that hold an answer (true, false or null)
ANSWER_COLUMNS = ("high_value", "in_force", *CONDITIONS)
_ANSWER_KEYS = {True: "answer.yes", False: "answer.no", None: "answer.unknown"}


def column_label(name: str, t: i18n.Translator) -> str:
    """The header of a :func:`~ipcockpit.value.screen.flat_rows` column in ``t``'s language (``column.*``,
    ``condition.*`` and ``dimension.*`` of the catalogues; ``x_reason``, ``x_confidence`` name the label of
    ``x``); a column the catalogues do not name keeps its name."""
    for prefix in ("column", "condition", "dimension"):
        if t.has(f"{prefix}.{name}"):
            return t(f"{prefix}.{name}")
    base, _, part = name.rpartition("_")
    if base and part == "score" and t.has(f"dimension.{base}"):
        return t(f"dimension.{base}")
    if base and part in ("reason", "confidence"):
        label = column_label(base, t)
        if label != base:
            return t(f"column.{part}_of", name=label)
    return name


def labelled_rows(rows: list[dict[str, Any]], t: i18n.Translator) -> list[dict[str, Any]]:
    """:func:`~ipcockpit.value.screen.flat_rows` for people, in ``t``'s language: headers from the
    catalogues, answers as 是/否/未知 (yes/no/unknown), reasons and explanation in that language. What the
    web's CSV and Excel downloads of a screening hold."""
    labels: dict[str, str] = {}
    out = []
    for r in flat_rows(rows, t.lang):
        row = {}
        for k, v in r.items():
            if k not in labels:
                labels[k] = column_label(k, t)
            row[labels[k]] = t(_ANSWER_KEYS[v]) if k in ANSWER_COLUMNS and (v is None or isinstance(v, bool)) else v
        out.append(row)
    return out


def screen_tables(data: dict[str, Any], t: i18n.Translator) -> dict[str, Any]:
    """What the CSV and Excel downloads hold, in ``t``'s language: one row per patent
    (:func:`labelled_rows`), the condition and value-index counts, the numbers
    not found."""
    answers = {"yes": "column.met", "no": "column.not_met", "unknown": "column.met_unknown"}
    high = {a: f"screen.high_value_{a}" for a in answers}
    return {
        "patents": labelled_rows(data["patents"], t),
        "conditions": [{t("column.condition"): t(f"condition.{r['condition']}"),
                        **{t(answers[a]): r[a] for a in answers}} for r in data["summary"]["conditions"]],
        "value_index_bins": [{t("column.index_from"): b["from"], t("column.index_to"): b["to"],
                              **{t(high[a]): b[a] for a in answers}} for b in data["summary"]["value_index_bins"]],
        "not_found": [{t("column.number"): n} for n in data["not_found"]],
    }


def screen_filename(data: dict[str, Any]) -> str:
    """``screen``, or ``screen-first-N-of-M`` when a download holds the first N of M matching rows."""
    return "screen" if data["count"] >= data["total"] else f"screen-first-{data['count']}-of-{data['total']}"


def cli_command(p: ScreenParams) -> str:
    """The ``ipcockpit screen`` command that prints every row of ``p``'s screening as CSV."""
    options = {"--profile": p.profile, "--region": p.region, "--industry": p.industry, "--applicant": p.applicant,
               "--year-from": p.year_from, "--as-of": p.as_of, "--maintenance-start": p.maintenance_start,
               "--pledge-threshold": p.pledge_threshold, "--sei-scheme": p.sei_scheme}
    words = ["ipcockpit", "screen", *(w for k, v in options.items() if v is not None for w in (k, str(v)))]
    if p.strict_sei is not None:
        words.append("--strict-sei" if p.strict_sei else "--no-strict-sei")
    return " ".join(shlex.quote(w) for w in [*words, "--limit", "0", "--csv"])


def _screen_charts(c: Cockpit, data: dict[str, Any], p: ScreenParams, v: View) -> dict[str, Any]:
    return {"histogram": charts.value_index_histogram(data["summary"]["value_index_bins"], v.t),
            "condition_chart": charts.condition_bars(data["summary"]["conditions"], v.t),
            "portfolio": data["filters"]["numbers"] is not None,
            "download_rows": min(data["total"], c.settings.max_download_rows),
            "json_rows": min(data["total"], c.settings.max_rows), "download_command": cli_command(p)}


def patent_data(c: Cockpit, p: SettingsParams, v: View) -> dict[str, Any]:
    check_profile(p.profile)
    data = c.patent(v.key or "", profile=p.profile, settings=c.screen_settings(**p.overrides()))
    if data is None:
        raise NotFound(f"no patent document numbered {v.key!r}", "patent.not_found", number=v.key)
    return data


SCREEN = Page("screen", screen_data, ScreenParams, template="screen.html",
              extra=_screen_charts, tables=screen_tables, section="patents", filename=screen_filename,
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
                    data=lambda c, v: screen_data(c, params, v, numbers))

    @app.post("/api/screen", summary="Portfolio screening: a JSON list of numbers 专利组合筛选")
    async def screen_portfolio(request: Request, params: Annotated[ScreenParams, Query()]) -> Response:
        """Body: ``["CN115883397B", "ZL202211359874.7"]`` or ``{"numbers": [...]}``; the filters and
        settings as query parameters; ``format`` json (default), csv or xlsx."""
        fmt = check_format(SCREEN, params.format, "json")
        request.state.format = fmt
        try:
            body = await request.json()
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
            body = None
        if isinstance(body, dict):
            body = body.get("numbers")
        if not isinstance(body, list) or not all(isinstance(n, str) for n in body):
            raise BadRequest('POST /api/screen: send a JSON list of numbers (["CN115883397B", '
                             '"ZL202211359874.7"]) or {"numbers": [...]}')
        numbers = body
        return show(web, request, SCREEN, params, "json" if fmt == "html" else fmt,
                    data=lambda c, v: screen_data(c, params, v, numbers))
