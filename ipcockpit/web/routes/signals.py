"""Abnormal-filing signals (非正常申请信号, docs/monitoring.md "Abnormal-filing signals"):

* ``/signals``: the cases (主体, 信号类型, 疑似数, 处理情况, 处理结果), filtered by kind and status, the thresholds and
  the last run of each kind with what it could not decide; ``/signals.csv`` and ``.xlsx`` are the office list,
  ``/api/signals`` the same dict.
* ``/signals/case/{case_id}``: one case, its evidence (documents linked to the patent pages, subjects to the
  organisation pages), the measure against its threshold and the status log; analysts and admins change its
  status there (``POST /signals/case/{case_id}/status``; API ``POST /api/signals/case/{case_id}/status``
  ``{"status", "result", "note"}``).
* ``/signals/near-duplicates``: the near-duplicate clusters now.
* ``POST /api/signals/detect`` ``{"kind"?, "protected"?}``: run the detectors (analysts and admins, a writable server).

Every page and download says that a signal is never a verdict (不构成认定).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field

from ipcockpit.app import Cockpit
from ipcockpit.i18n import Translator
from ipcockpit.signals.cases import RESULTS, STATUSES, office_rows
from ipcockpit.signals.common import KINDS, NOTE_EN, NOTE_ZH
from ipcockpit.signals.errors import SignalsError
from ipcockpit.signals.service import Signals
from ipcockpit.web import render
from ipcockpit.web.auth import allowed, audit_target, current_user
from ipcockpit.web.bodies import json_object
from ipcockpit.web.context import Web
from ipcockpit.web.errors import BadRequest, Forbidden, NotFound
from ipcockpit.web.pages import Fields, Page, PageParams, View, parse


def of(c: Cockpit) -> Signals:
    """The signals service of the core object (``Cockpit.monitor.signals``)."""
    return c.monitor.signals


class SignalsParams(PageParams):
    kind: str | None = Field(None, json_schema_extra={"enum": list(KINDS)}, description="Only this signal kind.")
    status: str | None = Field(None, json_schema_extra={"enum": list(STATUSES)},
                               description="pending (待核查), checked (已核查) or handled (已处理).")
    subject: str | None = Field(None, max_length=300, description="Only this subject (entity id or name).")
    limit: int = Field(200, ge=1, description="Cases listed.")


class NearParams(PageParams):
    threshold: float | None = Field(None, ge=0.5, le=1.0, description="Jaccard threshold (default: the setting).")


class StatusForm(Fields):
    status: str = Field(..., json_schema_extra={"enum": list(STATUSES)})
    result: str | None = Field(None, json_schema_extra={"enum": list(RESULTS)})
    note: str | None = Field(None, max_length=2000)


def signals_data(c: Cockpit, p: SignalsParams, v: View) -> dict[str, Any]:
    data = of(c).cases(p.kind, p.status, p.subject, limit=p.limit)
    return {**data, "office": office_rows(data["rows"], v.t.lang.startswith("zh"))}


def _tables(data: dict[str, Any], t: Translator) -> dict[str, Any]:
    return {"signals": data["office"], "note": [{"note": NOTE_ZH if t.lang.startswith("zh") else NOTE_EN}]}


def case_data(c: Cockpit, p: PageParams, v: View) -> dict[str, Any]:
    try:
        return of(c).case(str(v.key))
    except SignalsError as exc:
        raise NotFound(str(exc)) from exc


def near_data(c: Cockpit, p: NearParams, v: View) -> dict[str, Any]:
    return of(c).near_duplicates(p.threshold)


def _extra(c: Cockpit, data: dict[str, Any], p: Any, v: View) -> dict[str, Any]:
    key = data.get("case_id")
    can = bool(key) and not v.read_only and allowed(v.user, "POST", f"/signals/case/{key}/status")
    return {"can_update": can, "read_only": v.read_only, "statuses": STATUSES, "results": RESULTS,
            "quote": quote}


PAGES = (
    Page("signals", signals_data, SignalsParams, template="signals.html", extra=_extra, tables=_tables,
         download_all=True,
         summary="Abnormal-filing signals 非正常申请信号: the cases (主体, 疑似数, 处理情况, 处理结果)",
         description="A signal is never a verdict (不构成认定). `rows`: the cases; `office`: the office list; "
                     "`thresholds`: each kind's; `runs`: the last detection of each kind with `unknown` (what the "
                     "data could not decide, with the reason)."),
    Page("signals_near", near_data, NearParams, path="/signals/near-duplicates", template="signals_near.html",
         formats=("html", "json"), summary="Near-duplicate clusters 内容雷同的申请 (MinHash LSH)"),
    Page("signals_case", case_data, PageParams, path="/signals/case/{case_id:path}", template="signals_case.html",
         extra=_extra, formats=("html", "json"),
         summary="A signal case 信号案件: its evidence, measure against the threshold, status and log"),
)


def register(app: FastAPI, web: Web) -> None:
    """The status change (form and API) and the detection (API)."""

    def change(request: Request, case_id: str, form: StatusForm) -> dict[str, Any]:
        if web.read_only:
            raise Forbidden("the server is read-only: a case's status cannot change", "signals.read_only")
        user = current_user(request)
        data = web.call(lambda c: of(c).update(case_id, form.status, form.result, form.note, user.name))
        audit_target(request, f"signal case {case_id}", form.status)
        return data

    @app.post("/signals/case/{case_id:path}/status", include_in_schema=False)
    async def signals_status_form(request: Request, case_id: str) -> Response:
        async with request.form() as form:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
        change(request, case_id, parse(StatusForm, fields))
        return RedirectResponse(f"/signals/case/{quote(case_id)}", status_code=303)

    @app.post("/api/signals/case/{case_id:path}/status", summary="Set a signal case's status and result")
    async def signals_status_api(request: Request, case_id: str) -> Response:
        body = await json_object(request, '{"status": "checked", "result": "dismissed"}')
        return render.json_response(change(request, case_id, parse(StatusForm, body)))

    @app.post("/api/signals/detect", summary="Run the abnormal-filing signal detectors", status_code=201)
    async def signals_detect_api(request: Request) -> Response:
        if web.read_only:
            raise Forbidden("the server is read-only: run ipcockpit signals detect", "signals.read_only")
        try:
            body = await request.json() if await request.body() else {}
        except (ValueError, RecursionError) as exc:
            raise BadRequest('the body must be JSON: {"kind": "burst"} or empty') from exc
        body = body if isinstance(body, dict) else {}
        kind, protected = body.get("kind"), body.get("protected")
        if kind is not None and not isinstance(kind, str) or protected is not None and not isinstance(protected, list):
            raise BadRequest('"kind" is a kind\'s name and "protected" a list of mark texts or {"text", "owner"}')
        data = web.call(lambda c: of(c).detect(kind, protected))
        audit_target(request, f"signals detect {kind or 'all'}")
        return render.json_response(data, 201)
