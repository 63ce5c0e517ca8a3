"""Pages of the web app: one declaration each, one helper that registers every URL of a page.

A page is a :class:`Page`: a name, its data function (one call of the Cockpit returning a plain dict), a
parameter model (pydantic, a :class:`PageParams`), its template and what only the HTML needs (chart
options). :func:`register_page` adds, for a page at ``/x``:

* ``/x`` (and its aliases): HTML, or the page's data as ``?format=json|csv|xlsx``;
* ``/x.json``, ``/x.csv``, ``/x.xlsx``;
* ``/api/x`` (JSON unless ``?format=`` says csv or xlsx) and ``/api/x.json|csv|xlsx``.

A page with a key in its path (``/patent/{number:path}``) takes the format as a suffix of the key
(``/patent/CN115883397B.json``) instead. Every one of these URLs answers from the same dict: JSON is the
dict itself, CSV one of its tables (``?section=``), Excel every table (:mod:`ipcockpit.exports`), HTML the
template over it. The parameter model's fields are the query parameters, documented in the OpenAPI
schema; a value that fails them answers 400 naming it (:mod:`ipcockpit.web.errors`). A page's ``limit``
(the rows it lists) is held to one rule (:func:`ipcockpit.limits.hold_limit`): ``max_results`` for ranked
results, ``max_download_rows`` for CSV and Excel, ``max_rows`` otherwise; one given beyond it is a 400 naming
the most, a default beyond it is lowered to it. A page that lists the first rows of a longer list (a region's
documents, a ranking) declares ``download_all``: its CSV and Excel then hold every row, at most
``max_download_rows``, unless the request names ``limit``.
Who may see a page is the policy table's business (:data:`ipcockpit.web.auth.POLICY`).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Annotated, Any, Literal, TypeVar

from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ipcockpit import i18n, limits
from ipcockpit.app import Cockpit
from ipcockpit.auth import User
from ipcockpit.exports import CSV_ENCODINGS, labelled
from ipcockpit.web import render
from ipcockpit.web.auth import current_user
from ipcockpit.web.context import Web, remember_language
from ipcockpit.web.errors import BadRequest, invalid

FORMATS = render.FORMATS
DOWNLOADS = ("json", "csv", "xlsx")
TABLE_FORMATS = ("csv", "xlsx")  # the downloads of a page's tables (:attr:`Page.tables`)
P = TypeVar("P", bound="Fields")
_KEY = re.compile(r"\{(\w+)(?::path)?\}")


class Fields(BaseModel):
    """Fields of a query, a form or a body: an empty one (a form's blank input) means 'not given'; text
    is stripped; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _blank_is_not_given(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        out = {}
        for k, v in data.items():
            if isinstance(v, str):
                v = v.strip()
            if v is not None and v != "":
                out[k] = v
        return out


class PageParams(Fields):
    """The query parameters every page takes; a page's model adds its own."""

    lang: str | None = Field(None, description="Language of a page or an error: zh-CN (default) or en; "
                             "remembered in a cookie.")
    format: str | None = Field(None, json_schema_extra={"enum": list(FORMATS)},
                               description="html, json, csv or xlsx (the page's default: html; the "
                               "API's: json).")
    section: str | None = Field(None, description="With format=csv: which table of the page to download "
                                "(default: the first).")
    encoding: str | None = Field(None, json_schema_extra={"enum": list(CSV_ENCODINGS)},
                                 description="With format=csv: utf-8 (default, with a BOM) or gb18030 (for Excel "
                                 "on Chinese Windows).")
    columns: Literal["labels", "ids"] = Field("labels", description="With format=csv or xlsx: the columns under "
                                              "their labels in the page's language, coded values in words "
                                              "(labels, default), or as the JSON's field ids and values (ids).")


@dataclass(frozen=True)
class View:
    """What a page's functions know of the request besides its parameters."""

    user: User  # who asks (the policy let them in; some pages show more to some roles)
    format: str  # html, json, csv or xlsx
    t: i18n.Translator  # the caller's language
    read_only: bool  # the store is open read-only
    key: str | None = None  # the path's key (a patent number, an applicant's name)
    tz: tzinfo | None = None  # the zone times are shown in (None: the system's)


Data = Callable[[Cockpit, Any, View], dict[str, Any]]
Extra = Callable[[Cockpit, dict[str, Any], Any, View], dict[str, Any]]


@dataclass(frozen=True)
class Page:
    """One page: see the module docstring."""

    name: str  # the template's ``page``, the download's file name, the routes' names (name_html, name_api)
    data: Data  # data(cockpit, params, view) -> the page's dict (one Cockpit data function)
    params: type[PageParams] = PageParams
    template: str | Callable[[Any], str] | None = None  # None: the data only (/api/x)
    summary: str = ""  # the OpenAPI summary of /x
    path: str = ""  # default /name
    api: str = ""  # default /api + path
    aliases: tuple[tuple[str, str], ...] = ()  # more HTML paths of the page and their route names ("/", "home")
    extra: Extra | None = None  # extra(cockpit, data, params, view) -> what only the HTML needs
    # the CSV and Excel downloads' tables in the caller's language (default the dict itself)
    tables: Callable[[dict[str, Any], i18n.Translator], dict[str, Any]] | None = None
    section: str | None = None  # the table a CSV holds when ``section`` is not given (default the first)
    filename: Callable[[dict[str, Any]], str] | None = None  # downloads' file name (default the name)
    formats: tuple[str, ...] = FORMATS
    description: str = ""  # the OpenAPI description of /x
    ranked: bool = False  # its rows are ranked results (search): ``limit`` is held to max_results
    # its CSV and Excel downloads list every row (at most the setting max_download_rows) unless the request gives
    # ``limit``: the page lists the first ``limit`` (documents of a region, a ranking), a download is the whole list
    download_all: bool = False

    @property
    def url(self) -> str:
        return self.path or f"/{self.name}"

    @property
    def api_url(self) -> str:
        return self.api or f"/api{self.url}"

    @property
    def key(self) -> str | None:
        found = _KEY.search(self.url)
        return found.group(1) if found else None


def parse(model: type[P], fields: Mapping[str, Any]) -> P:
    """A form's or a body's fields as ``model``; a bad one is a :class:`BadRequest` naming it."""
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        raise invalid(list(exc.errors()), model) from exc


def check_format(page: Page, fmt: str | None, default: str) -> str:
    chosen = (fmt or default).lower()
    if chosen not in page.formats:
        raise BadRequest(f"format={chosen!r} is not offered; use one of {', '.join(page.formats)}")
    return chosen


def split_suffix(key: str, fmt: str | None) -> tuple[str, str | None]:
    """``("Acme Co.", "csv")`` for ``Acme Co..csv`` when no ``format=`` is given; else unchanged."""
    if fmt is None:
        for suffix in DOWNLOADS:
            if key.lower().endswith(f".{suffix}") and len(key) > len(suffix) + 1:
                return key[: -len(suffix) - 1], suffix
    return key, fmt


def view(web: Web, request: Request, fmt: str, key: str | None = None) -> View:
    return View(current_user(request), fmt, web.translator(request), web.read_only, key, web.tz)


def show(web: Web, request: Request, page: Page, params: PageParams, fmt: str, *, key: str | None = None,
         data: Callable[[Cockpit, View], dict[str, Any]] | None = None, status_code: int = 200,
         context: Mapping[str, Any] | None = None) -> Response:
    """The page in ``fmt``: its data function's dict (or ``data``'s, e.g. a posted portfolio), rendered;
    ``context`` goes on top of the page's HTML extras (a form's notice)."""
    request.state.format = fmt  # errors from here on answer in the asked format
    if page.download_all and fmt in TABLE_FORMATS and "limit" not in params.model_fields_set \
            and getattr(params, "limit", None) is not None:
        params.limit = _most(type(params), int(web.settings.max_download_rows))  # type: ignore[attr-defined]
    limits.hold_limit(params, web.settings, ranked=page.ranked, download=fmt in TABLE_FORMATS)
    v = view(web, request, fmt, key)

    def run(c: Cockpit) -> tuple[dict[str, Any], dict[str, Any]]:
        found = data(c, v) if data is not None else page.data(c, params, v)
        extra = page.extra(c, found, params, v) if fmt == "html" and page.extra is not None else {}
        return found, extra

    found, extra = web.call(run)
    return render_page(web, request, page, params, found, fmt, extra={**extra, **(context or {})},
                       status_code=status_code)


def _most(model: type[PageParams], rows: int) -> int:
    """``rows``, or fewer where the model's ``limit`` allows fewer (``le``: the quarantine lists 10,000 a page)."""
    bounds = [getattr(m, "le", None) for m in model.model_fields["limit"].metadata]
    return min([rows, *(int(b) for b in bounds if b is not None)])


def render_page(web: Web, request: Request, page: Page, params: PageParams, data: dict[str, Any], fmt: str,
                extra: Mapping[str, Any] | None = None, status_code: int = 200) -> Response:
    """A page's dict as JSON, CSV (one table), Excel (every table) or HTML."""
    if fmt in TABLE_FORMATS:
        t = web.translator(request)
        tables = page.tables(data, t) if page.tables is not None else data
        header, empty = ("name", "value"), "value"
        if params.columns == "labels":
            tables = labelled(tables, t)
            header, empty = (t("column.name"), t("column.value")), t("column.no_rows")
        name = page.filename(data) if page.filename is not None else page.name
        if fmt == "csv":
            response = render.csv_response(tables, params.section or page.section, name, params.encoding, empty)
        else:
            response = render.xlsx_response(tables, name, header, empty)
    elif fmt == "html" and page.template is not None:
        template = page.template(params) if callable(page.template) else page.template
        return web.html(request, template, {"data": data, **(extra or {})}, page.name, status_code)
    else:
        response = render.json_response(data, status_code)
    return remember_language(request, response)


def register_page(app: FastAPI, web: Web, page: Page) -> None:
    """Add every URL of ``page`` to ``app`` (the module docstring lists them)."""
    key = page.key

    def endpoint(default: str, suffix: bool) -> Callable[..., Response]:
        def answer(**kw: Any) -> Response:
            request: Request = kw["request"]
            params: PageParams = kw["params"]
            value = kw.get(key) if key else None
            fmt = kw.get("fmt") if suffix else params.format
            if value is not None:
                value, fmt = split_suffix(value, fmt)
            if suffix and str(fmt).lower() not in DOWNLOADS:
                raise BadRequest(f"{request.url.path}: the suffix names a download; use .json, .csv or .xlsx")
            chosen = check_format(page, fmt, default)
            if chosen == "html" and default != "html":
                chosen = "json"  # an API has no page
            return show(web, request, page, params, chosen, key=value)

        parameters = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
        if key:
            parameters.append(inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[
                str, Path(description="Suffix .json, .csv or .xlsx: that format.")]))
        if suffix:
            parameters.append(inspect.Parameter("fmt", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[
                str, Path(description="json, csv or xlsx.", json_schema_extra={"enum": list(DOWNLOADS)})]))
        parameters.append(inspect.Parameter("params", inspect.Parameter.KEYWORD_ONLY,
                                            annotation=Annotated[page.params, Query()]))
        answer.__signature__ = inspect.Signature(parameters, return_annotation=Response)  # type: ignore[attr-defined]
        answer.params_model = page.params  # type: ignore[attr-defined]  # errors.py names fields' examples
        return answer

    summary = page.summary or page.name
    if page.template is not None:
        for path, name in ((page.url, f"{page.name}_html"), *page.aliases):
            app.add_api_route(path, endpoint("html", False), methods=["GET"], name=name, summary=summary,
                              description=page.description, response_class=HTMLResponse)
        if not key:
            app.add_api_route(f"{page.url}.{{fmt}}", endpoint("json", True), methods=["GET"],
                              name=f"{page.name}_suffix", summary=f"{summary}: json, csv or xlsx")
    app.add_api_route(page.api_url, endpoint("json", False), methods=["GET"], name=f"{page.name}_api",
                      summary=f"{summary} (the page's data)" if page.template is not None else summary,
                      description=page.description)
    if not key:
        app.add_api_route(f"{page.api_url}.{{fmt}}", endpoint("json", True), methods=["GET"],
                          name=f"{page.name}_api_suffix", summary=f"{summary}: json, csv or xlsx")
