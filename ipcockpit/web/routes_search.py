"""Search (专利检索) and FTO screening (侵权风险筛查) in the web app.

* ``/search`` (``/api/search``): hybrid search with filters; the same dict as HTML, JSON, CSV (``results``
  by default, or ``by_office_year``) and Excel (``?format=``). A publication number as the query finds
  documents like it ("more like this", linked from every result and from the patent page).
* ``/fto`` (GET: the form; POST: the form's result, or with ``format=pdf|html|json`` the same result as a
  PDF or standalone HTML report or JSON) and ``POST /api/fto`` (a JSON body). The route policy
  (:data:`ipcockpit.web.auth.POLICY`) lets signed-in users in (enterprise users, analysts, admins); the
  audit row names the query by its size and filters, never by the (confidential) description.

Every route calls the Cockpit (:meth:`~ipcockpit.app.Cockpit.search`, :meth:`~ipcockpit.app.Cockpit.fto`,
:meth:`~ipcockpit.app.Cockpit.fto_report`, :meth:`~ipcockpit.app.Cockpit.index_status`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ipcockpit import i18n
from ipcockpit.errors import IPCockpitError, StoreError
from ipcockpit.web import charts, render
from ipcockpit.web.auth import audit_target
from ipcockpit.web.routes_screen import BadRequest, check_format

if TYPE_CHECKING:
    from ipcockpit.app import Cockpit
    from ipcockpit.web.routes_screen import Web

MODES = ("hybrid", "lexical", "semantic")
DEFAULT_LIMIT = 20
MAX_LIMIT = 200
MAX_DESCRIPTION = 20_000  # characters of a product description
FTO_DEFAULT_LIMIT = 20
FILTERS = ("office", "date_from", "date_to", "ipc", "cpc", "industry", "in_force", "applicant")
_YES, _NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _get(q: Mapping[str, Any], name: str) -> str:
    value = q.get(name)
    return str(value).strip() if isinstance(value, str) else ""


def _whole(q: Mapping[str, Any], name: str, default: int, most: int) -> int:
    raw = _get(q, name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequest(f"{name}={raw!r} is not a whole number; write e.g. {name}={default}") from exc
    if not 0 < value <= most:
        raise BadRequest(f"{name}={value}: give a number from 1 to {most}")
    return value


def search_params(q: Mapping[str, Any]) -> dict[str, Any]:
    """Query, limit, mode and filters from query parameters; empty fields mean 'not set'. ``office`` may
    repeat or list codes separated by commas; ``in_force`` is 1/true/yes or 0/false/no."""
    mode = _get(q, "mode") or "hybrid"
    if mode not in MODES:
        raise BadRequest(f"mode={mode!r}: use one of {', '.join(MODES)}")
    filters: dict[str, Any] = {k: _get(q, k) or None for k in FILTERS}
    offices = q.getlist("office") if hasattr(q, "getlist") else [filters["office"] or ""]
    codes = [c.upper() for o in offices for c in re.split(r"[\s,;，；]+", o or "") if c]
    filters["office"] = codes or None
    force = (filters["in_force"] or "").lower()
    if force and force not in _YES + _NO:
        raise BadRequest(f"in_force={force!r}: use 1 (in force) or 0 (not in force), or leave it out")
    filters["in_force"] = True if force in _YES else False if force in _NO else None
    return {"query": _get(q, "q"), "mode": mode, "limit": _whole(q, "limit", DEFAULT_LIMIT, MAX_LIMIT),
            "filters": filters}


def user_errors() -> tuple[type[Exception], ...]:
    """Errors whose message the user must read: bad parameters, and the search engine's ``SearchError``
    (imported when first needed: it loads the indexes' libraries)."""
    from ipcockpit.search.hybrid import SearchError

    return BadRequest, IPCockpitError, SearchError


# FTO ---------------------------------------------------------------------------------------------
def _lines(value: Any) -> list[str]:
    """Names from a text area (one per line, or separated by semicolons) or a JSON list."""
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in re.split(r"[\r\n;；]+", str(value or "")) if v.strip()]


def fto_params(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The FTO query from form fields or a JSON body: ``text``, ``jurisdictions`` (codes separated by
    commas or spaces, or a list), ``exclude_applicants`` (one per line, or a list), ``limit``."""
    text = fields.get("text")
    text = text.strip() if isinstance(text, str) else ""
    if len(text) > MAX_DESCRIPTION:
        raise BadRequest(f"text: {len(text):,} characters; describe the product in at most {MAX_DESCRIPTION:,}")
    raw = fields.get("jurisdictions")
    codes = raw if isinstance(raw, list) else re.split(r"[\s,;，；]+", str(raw or ""))
    limit = fields.get("limit")
    if isinstance(limit, int) and not isinstance(limit, bool):
        limit = str(limit)
    return {"text": text, "jurisdictions": [str(c).strip() for c in codes if str(c).strip()] or None,
            "exclude_applicants": _lines(fields.get("exclude_applicants")) or None,
            "limit": _whole({"limit": limit or ""}, "limit", FTO_DEFAULT_LIMIT, MAX_LIMIT)}


def _audit(request: Request, params: dict[str, Any], result: dict[str, Any] | None) -> None:
    """The audit row of an FTO query: its size and filters, not the description itself."""
    audit_target(request, "fto", {"chars": len(params["text"]), "jurisdictions": params["jurisdictions"],
                                  "excluded": len(params["exclude_applicants"] or []),
                                  "results": None if result is None else len(result["results"])})


def report_response(c: Cockpit, result: dict[str, Any], fmt: str, lang: str) -> Response:
    """The FTO result as a download: ``fto-report.pdf``, ``fto-report.html`` or JSON."""
    if fmt == "json":
        return render.json_response(result)
    report = c.fto_report(result, fmt, lang)
    media = "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
    return Response(report, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="fto-report.{fmt}"'})


def register(app: FastAPI, web: Web) -> None:
    """Add the search and FTO routes to ``app``."""
    holder = web.holder

    error_page = web.error_page

    def search_result(request: Request, fmt: str, section: str | None) -> Response:
        from ipcockpit.search.hybrid import IndexMissingError

        try:
            params = search_params(request.query_params)
            if fmt != "html" and not params["query"]:
                raise BadRequest("q: give words, a claim or a publication number, e.g. /api/search?q=无人机")
            data = holder.call(lambda c: c.search_page(params["query"], params["limit"], params["mode"],
                                                       params["filters"]))
        except StoreError:
            raise
        except IndexMissingError:
            return error_page(request, fmt, 503, "search.no_index")
        except user_errors() as exc:
            return error_page(request, fmt, 400, "error.bad_request", detail=str(exc))
        if fmt in ("csv", "xlsx"):
            return render.data_response(data, fmt, section, "search")

        def extra(t: i18n.Translator) -> dict[str, Any]:
            return {"chart": charts.office_year_bars(data["by_office_year"], t, undated=t("chart.no_year")),
                    "modes": MODES}

        return web.page(request, "search", data, fmt, section, "search.html", extra)

    @app.get("/search", response_class=HTMLResponse, summary="Patent search page 专利检索")
    def search_html(request: Request, q: str | None = Query(None, description="Words, a claim or a number."),
                    lang: str | None = Query(None, description="zh-CN (default) or en."),
                    format: str | None = Query(None, description="html, json, csv or xlsx."),
                    section: str | None = Query(None, description="With format=csv: results (default) or "
                                                "by_office_year."),
                    limit: str | None = None, mode: str | None = None, office: str | None = None,
                    date_from: str | None = None, date_to: str | None = None, ipc: str | None = None,
                    cpc: str | None = None, industry: str | None = None, in_force: str | None = None,
                    applicant: str | None = None) -> Response:
        """The same results as /api/search, with the filters as a form."""
        return search_result(request, check_format(format, "html"), section)

    @app.get("/api/search", summary="Hybrid patent search 专利检索 (full text and meaning)")
    def search_api(request: Request, q: str = Query("", description="Words, a claim, or a publication number "
                                                    "(then: documents like it)."),
                   format: str | None = Query(None, description="json (default), csv or xlsx."),
                   section: str | None = Query(None, description="With format=csv: results (default) or "
                                               "by_office_year."),
                   limit: int = Query(DEFAULT_LIMIT, description=f"1 to {MAX_LIMIT}."),
                   mode: str = Query("hybrid", description="hybrid, lexical or semantic."),
                   office: str | None = Query(None, description="Office codes, comma-separated (CN,US)."),
                   date_from: str | None = Query(None, description="Published on or after (YYYY-MM-DD)."),
                   date_to: str | None = Query(None, description="Published on or before (YYYY-MM-DD)."),
                   ipc: str | None = Query(None, description="IPC code prefix (G06F)."),
                   cpc: str | None = Query(None, description="CPC code prefix."),
                   industry: str | None = Query(None, description="SEI 2021 industry code (1.2)."),
                   in_force: str | None = Query(None, description="1: in force only; 0: not in force only."),
                   applicant: str | None = Query(None, description="Part of an applicant's name.")) -> Response:
        return search_result(request, check_format(format, "json", ("json", "csv", "xlsx")), section)

    # FTO -----------------------------------------------------------------------------------------
    def fto_html(request: Request, form: dict[str, Any], result: dict[str, Any] | None,
                 error: str | None = None, status: int = 200) -> Response:
        lang = web.language(request)

        def extra(t: i18n.Translator) -> dict[str, Any]:
            report = None
            if result is not None:
                from ipcockpit.reports.fto import fto_html

                report = fto_html(result, lang, embedded=True)
            return {"report_html": report, "error": error}

        return web.page(request, "fto", {"form": form, "result": result}, "html", None, "fto.html", extra, status)

    @app.get("/fto", response_class=HTMLResponse, summary="FTO infringement-risk screening form 侵权风险筛查")
    def fto_page(request: Request, lang: str | None = Query(None, description="zh-CN (default) or en."),
                 number: str | None = Query(None, description="Prefill the description with the first "
                                            "independent claim (else the abstract) of this patent.")) -> Response:
        text = ""
        if number:
            data = holder.call(lambda c: c.patent(number))
            if data is not None:
                claims = [c["text"] for c in data.get("claims", []) if c.get("independent") and c.get("text")]
                abstracts = [x["text"] for x in data.get("texts", []) if x["kind"] == "abstract"]
                text = (claims or abstracts or [""])[0]
        form = {"text": text, "jurisdictions": "", "exclude_applicants": "", "limit": FTO_DEFAULT_LIMIT}
        return fto_html(request, form, None)

    @app.post("/fto", response_class=HTMLResponse, summary="FTO screening form: the result page or a report")
    async def fto_form(request: Request) -> Response:
        """Form fields ``text``, ``jurisdictions`` (CN, US ...), ``exclude_applicants`` (one per line),
        ``limit`` and ``format``: html (the page), pdf or html report downloads (``report``), json."""
        fields = await request.form()
        fmt = (_get(fields, "format") or "page").lower()
        if fmt not in ("page", "pdf", "report", "json"):
            return error_page(request, "json", 400, "error.bad_request",
                              detail=f"format={fmt!r}: use page, pdf, report (HTML) or json")
        shown = {k: _get(fields, k) for k in ("text", "jurisdictions", "exclude_applicants", "limit")}
        try:
            params = fto_params({k: v for k, v in fields.items() if isinstance(v, str)})
            result = holder.call(lambda c: c.fto(**params))
        except StoreError:
            raise
        except (BadRequest, IPCockpitError) as exc:
            _audit(request, fto_params_safe(fields), None)
            if fmt == "page":
                return fto_html(request, shown, None, str(exc), 400)
            return error_page(request, "json", 400, "error.bad_request", detail=str(exc))
        _audit(request, params, result)
        if fmt == "page":
            return fto_html(request, shown, result)
        lang = web.language(request)
        report_fmt = {"pdf": "pdf", "report": "html", "json": "json"}[fmt]
        return holder.call(lambda c: report_response(c, result, report_fmt, lang))

    @app.post("/api/fto", summary="FTO infringement-risk screening 侵权风险筛查 (JSON body)")
    async def fto_api(request: Request, format: str | None = Query(None, description="json (default), pdf or "
                                                                    "html (the report)."),
                      lang: str | None = Query(None, description="Language of a report: zh-CN or en.")
                      ) -> Response:
        """Body ``{"text": "...", "jurisdictions": ["CN", "US"], "exclude_applicants": ["..."], "limit": 20}``;
        returns the result of :meth:`ipcockpit.app.Cockpit.fto` (docs/fto.md)."""
        fmt = check_format(format, "json", ("json", "pdf", "html"))
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            return JSONResponse({"error": 'POST /api/fto: send a JSON object {"text": "the product description", '
                                 '"jurisdictions": ["CN"], "exclude_applicants": ["Our Co."], "limit": 20}'},
                                status_code=400)
        try:
            params = fto_params(body)
            result = holder.call(lambda c: c.fto(**params))
        except StoreError:
            raise
        except (BadRequest, IPCockpitError) as exc:
            _audit(request, fto_params_safe(body), None)
            return JSONResponse({"error": f"fto: {exc}"}, status_code=400)
        _audit(request, params, result)
        return holder.call(lambda c: report_response(c, result, fmt, web.language(request)))


def fto_params_safe(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The FTO query's audit fields even when the query itself is bad."""
    text = fields.get("text")
    return {"text": text if isinstance(text, str) else "", "jurisdictions": None,
            "exclude_applicants": _lines(fields.get("exclude_applicants")) or None}
