"""The data and ingest status page (数据与入库状态), its quarantine browser and the applicant profile
(申请人画像) in the web app.

Pages, each also JSON, CSV (one section, ``section=``) and Excel (every section): ``?format=`` or the
suffix (``/data.json``, ``/data/quarantine.xlsx``, ``/applicant/{name}.csv``):

* ``/data`` (``/api/data``): table counts, the ingested source files, ingest runs, interrupted ingests
  and the data-quality checks. Source paths and run commands can hold raw data: only analysts and
  admins see them; other visitors see the counts.
* ``/data/quarantine`` (``/api/data/quarantine``): the quarantined records, filtered by ``file`` (id or
  part of the path), ``field`` and ``reason`` (part of it), ``limit`` rows from ``offset``. The excerpts
  are raw data: the route policy (:data:`ipcockpit.web.auth.POLICY`) lets analysts and admins in only.
* ``/applicant/{name}`` (``/api/applicant/{name}``): an applicant named in Chinese or English, as
  written or folded; an unknown name answers 404 with the applicants whose names contain it.

Every route calls one Cockpit data function (:meth:`~ipcockpit.app.Cockpit.data_status`,
:meth:`~ipcockpit.app.Cockpit.quarantine_page`, :meth:`~ipcockpit.app.Cockpit.applicant`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ipcockpit import i18n
from ipcockpit.errors import IPCockpitError, StoreError
from ipcockpit.web import charts, render
from ipcockpit.web.auth import WRITERS, current_user
from ipcockpit.web.routes_screen import BadRequest, check_format

if TYPE_CHECKING:
    from ipcockpit.web.routes_screen import Web

LangQuery = Query(None, description="zh-CN (default) or en; remembered in a cookie.")
FormatQuery = Query(None, description="html, json, csv or xlsx (or the suffix .json, .csv, .xlsx).")
SectionQuery = Query(None, description="With format=csv: which table of the page to download.")
#: suffixes that name a format in a path (``/data.csv``)
SUFFIXES = tuple(f".{f}" for f in render.FORMATS)
DEFAULT_QUARANTINE_LIMIT = 50


def shows_paths(request: Request) -> bool:
    """True when the caller may see source paths, run commands and quarantine excerpts."""
    return current_user(request).has(WRITERS)


def _whole(value: str | None, name: str, default: int) -> int:
    text = (value or "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError as exc:
        raise BadRequest(f"{name}={text!r} is not a whole number; write e.g. {name}={default}") from exc


def split_suffix(name: str, fmt: str | None) -> tuple[str, str | None]:
    """``("Acme Co.", "csv")`` for ``Acme Co..csv`` when no ``format=`` is given; else unchanged."""
    if fmt is None:
        for suffix in SUFFIXES:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                return name[: -len(suffix)], suffix[1:]
    return name, fmt


def ipc_pie(rows: Sequence[Mapping[str, Any]], t: Callable[..., str], lang: str) -> dict[str, Any]:
    """A ring chart of documents per IPC subclass (rows of ``top_subclasses``); the tooltip names the
    subclass with the start of its title in ``lang``."""
    def label(r: Mapping[str, Any]) -> str:
        text = (r.get("title_zh") or r.get("title_en")) if lang == "zh-CN" else (r.get("title_en") or r.get("title_zh"))
        return f"{r['subclass']} {text[:24]}{'…' if len(text) > 24 else ''}" if text else str(r["subclass"])

    return {
        "aria": {"enabled": True},
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"type": "scroll", "orient": "vertical", "left": "58%", "right": 0, "top": 20, "bottom": 20},
        "series": [{"name": t("chart.documents"), "type": "pie", "radius": ["30%", "62%"], "center": ["28%", "50%"],
                    "label": {"show": False},
                    "data": [{"name": label(r), "value": int(r["documents"])} for r in rows]}],
    }


def register(app: FastAPI, web: Web) -> None:
    """Add the data, quarantine and applicant routes to ``app``."""
    holder = web.holder

    error_page = web.error

    def guarded(request: Request, fmt: str, fn: Callable[[], Response]) -> Response:
        try:
            return fn()
        except StoreError:
            raise
        except (BadRequest, IPCockpitError, ValueError) as exc:
            t = i18n.Translator(web.language(request))
            return error_page(request, fmt, 400, t("error.bad_request", detail=str(exc)))

    # data and ingest status ------------------------------------------------------------------------
    def data_page(request: Request, fmt: str, section: str | None) -> Response:
        show = shows_paths(request)

        def render_page() -> Response:
            limit = _whole(request.query_params.get("limit"), "limit", 200)
            data = holder.call(lambda c: c.data_status(show_paths=show, limit=limit))
            return web.page(request, "data", data, fmt, section, "data.html", lambda t: {"can_quarantine": show})

        return guarded(request, fmt, render_page)

    @app.get("/data", response_class=HTMLResponse, summary="Data and ingest status 数据与入库状态")
    def data_html(request: Request, lang: str | None = LangQuery, format: str | None = FormatQuery,
                  section: str | None = SectionQuery,
                  limit: str | None = Query(None, description="Latest source files listed (default 200).")
                  ) -> Response:
        return data_page(request, check_format(format, "html", render.FORMATS), section)

    @app.get("/data.{fmt}", response_class=HTMLResponse, summary="Data and ingest status as json, csv or xlsx")
    def data_suffix(request: Request, fmt: str, section: str | None = SectionQuery,
                    limit: str | None = Query(None, description="Latest source files listed.")) -> Response:
        return data_page(request, check_format(fmt, "json", render.FORMATS), section)

    @app.get("/api/data", summary="Data and ingest status (the data of /data)")
    def data_api(request: Request, format: str | None = FormatQuery, section: str | None = SectionQuery,
                 limit: str | None = Query(None, description="Latest source files listed.")) -> Response:
        return data_page(request, check_format(format, "json", render.FORMATS), section)

    # quarantine browser ------------------------------------------------------------------------------
    def quarantine(request: Request, fmt: str, section: str | None) -> Response:
        q = request.query_params
        table = section or "rows"  # the CSV download is the records unless another table is named

        def render_page() -> Response:
            limit = _whole(q.get("limit"), "limit", DEFAULT_QUARANTINE_LIMIT)
            offset = _whole(q.get("offset"), "offset", 0)
            data = holder.call(lambda c: c.quarantine_page(q.get("file"), q.get("field"), q.get("reason"),
                                                           limit, offset))
            return web.page(request, "quarantine", data, fmt, table, "quarantine.html", lambda t: {})

        return guarded(request, fmt, render_page)

    file_q = Query(None, description="A file id or part of the file's path.")
    field_q = Query(None, description="The field the ingester named (- for none).")
    reason_q = Query(None, description="Part of the reason.")
    limit_q = Query(None, description=f"Rows a page (default {DEFAULT_QUARANTINE_LIMIT}, at most 10,000).")
    offset_q = Query(None, description="Rows to skip (paging).")

    @app.get("/data/quarantine", response_class=HTMLResponse, summary="Quarantine browser 隔离记录 (analysts)")
    def quarantine_html(request: Request, lang: str | None = LangQuery, format: str | None = FormatQuery,
                        section: str | None = SectionQuery, file: str | None = file_q, field: str | None = field_q,
                        reason: str | None = reason_q, limit: str | None = limit_q,
                        offset: str | None = offset_q) -> Response:
        return quarantine(request, check_format(format, "html", render.FORMATS), section)

    @app.get("/data/quarantine.{fmt}", response_class=HTMLResponse,
             summary="Quarantined records as json, csv or xlsx (analysts)")
    def quarantine_suffix(request: Request, fmt: str, section: str | None = SectionQuery,
                          file: str | None = file_q, field: str | None = field_q, reason: str | None = reason_q,
                          limit: str | None = limit_q, offset: str | None = offset_q) -> Response:
        return quarantine(request, check_format(fmt, "json", render.FORMATS), section)

    @app.get("/api/data/quarantine", summary="Quarantined records (the data of /data/quarantine; analysts)")
    def quarantine_api(request: Request, format: str | None = FormatQuery, section: str | None = SectionQuery,
                       file: str | None = file_q, field: str | None = field_q, reason: str | None = reason_q,
                       limit: str | None = limit_q, offset: str | None = offset_q) -> Response:
        return quarantine(request, check_format(format, "json", render.FORMATS), section)

    # applicant profile -------------------------------------------------------------------------------
    def applicant(request: Request, name: str, fmt: str, section: str | None) -> Response:
        def render_page() -> Response:
            limit = _whole(request.query_params.get("limit"), "limit", 200)
            data = holder.call(lambda c: c.applicant(name, limit))
            if data is None:
                from ipcockpit.analytics.applicant import suggestions

                near = holder.call(lambda c: suggestions(c.store, name))
                t = i18n.Translator(web.language(request))
                message = t("applicant.not_found", name=name)
                if fmt != "html":
                    return JSONResponse({"error": message, "suggestions": near}, status_code=404)
                missing = {"query": name, "found": False, "suggestions": near, "message": message}
                return web.page(request, "applicant", missing, "html", None, "applicant.html", lambda t: {}, 404)
            data["found"] = True

            def extra(t: i18n.Translator) -> dict[str, Any]:
                return {"trend_chart": charts.office_year_bars(data["by_office_year"], t),
                        "undated": charts.undated_summary(data["by_office_year"]),
                        "ipc_chart": ipc_pie(data["top_subclasses"], t, t.lang)}

            return web.page(request, "applicant", data, fmt, section, "applicant.html", extra)

        return guarded(request, fmt, render_page)

    @app.get("/applicant/{name:path}", response_class=HTMLResponse, summary="Applicant profile 申请人画像")
    def applicant_html(request: Request, name: str, lang: str | None = LangQuery, format: str | None = FormatQuery,
                       section: str | None = SectionQuery,
                       limit: str | None = Query(None, description="Documents listed (default 200).")) -> Response:
        """``name`` in Chinese or English, as written (``Matsushita Electric Industrial Co., Ltd.``) or folded
        (``matsushita electric industrial``); a suffix .json, .csv or .xlsx picks the format."""
        name, fmt = split_suffix(name, format)
        return applicant(request, name, check_format(fmt, "html", render.FORMATS), section)

    @app.get("/api/applicant/{name:path}", summary="Applicant profile (the data of /applicant/{name})")
    def applicant_api(request: Request, name: str, format: str | None = FormatQuery,
                      section: str | None = SectionQuery,
                      limit: str | None = Query(None, description="Documents listed (default 200).")) -> Response:
        name, fmt = split_suffix(name, format)
        return applicant(request, name, check_format(fmt, "json", render.FORMATS), section)
