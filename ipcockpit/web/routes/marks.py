"""The marks pages (商标监测, docs/monitoring.md): ``/marks`` (the marks loaded, or with ``q`` the similar-mark search
restricted by ``class`` and ``group``, each hit explained 字/音/形/义 and class overlap), ``/marks/mark/{mark_id}``
(a mark with its classes, goods and events), ``/marks/protected`` (the protected-mark lists, their entries and
quarantined rows) and ``/marks/alerts`` (new filings similar to a protected mark); each as JSON (``/api/...``),
CSV and Excel (flat tables) and HTML. Every one calls the marks service (:mod:`ipcockpit.marks.service`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field
from starlette.datastructures import UploadFile

from ipcockpit.app import Cockpit
from ipcockpit.i18n import Translator
from ipcockpit.marks.protected import ProtectedListError
from ipcockpit.marks.service import Marks
from ipcockpit.web import render
from ipcockpit.web.auth import current_user
from ipcockpit.web.context import Web
from ipcockpit.web.errors import BadRequest, NotFound
from ipcockpit.web.pages import Page, PageParams, View

#: the largest protected-mark list a form or the API takes
MAX_LIST_BYTES = 20_000_000


def of(c: Cockpit) -> Marks:
    """The marks service of the core object (``Cockpit.monitor.marks``)."""
    return c.monitor.marks


class MarksParams(PageParams):
    q: str | None = Field(None, description="A mark's words: the similar-mark search (字/音/形/义).")
    nice_class: str | None = Field(None, alias="class", description="Nice class (1-45).")
    group: str | None = Field(None, description="类似群 (four digits, 0901).")
    limit: int = Field(50, ge=1, le=1000, description="Marks or hits listed.")


class AlertParams(PageParams):
    since: str | None = Field(None, description="Filings on or after this date (YYYY-MM-DD; default: the marks "
                              "that came into the store since each list's first load).")


def marks_data(c: Cockpit, p: MarksParams, v: View) -> dict[str, Any]:
    svc = of(c)
    try:
        if p.q:
            out = svc.similar(p.q, classes=[p.nice_class] if p.nice_class else None,
                              groups=[p.group] if p.group else None, limit=p.limit)
            return {"view": "similar", **out}
        listed = svc.list_marks(nice_class=p.nice_class, group=p.group, limit=p.limit)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    return {"view": "list", "query": None, "classes": [p.nice_class] if p.nice_class else [],
            "groups": [p.group] if p.group else [], **listed}


def mark_data(c: Cockpit, p: PageParams, v: View) -> dict[str, Any]:
    mark = of(c).mark((v.key or "").strip())
    if mark is None:
        raise NotFound(f"{v.key!r}: no such mark in the store; see /marks", "marks.not_found", mark_id=v.key)
    return mark


def protected_data(c: Cockpit, p: PageParams, v: View) -> dict[str, Any]:
    svc = of(c)
    out = svc.protected_lists()
    out["entries"] = svc.protected_entries()["rows"]
    return out


def alerts_data(c: Cockpit, p: AlertParams, v: View) -> dict[str, Any]:
    try:
        return of(c).alerts(p.since)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc


def _hits_tables(data: dict[str, Any], t: Translator) -> dict[str, Any]:
    if data["view"] == "list":
        return {"marks": [{k: (",".join(map(str, v)) if isinstance(v, list) else v) for k, v in r.items()}
                          for r in data["rows"]]}
    return {"hits": [{"mark_id": h["mark_id"], "text": h["text"], "score": h["score"], "matched": "".join(h["matched"]),
                      **{f"score_{d}": h["dimensions"][d]["score"] for d in ("字", "音", "形", "义")},
                      "tier": h["tier"], "shared_classes": ",".join(map(str, h["shared_classes"])),
                      "shared_groups": ",".join(h["shared_groups"]), "explanation": h["explanation"]}
                     for h in data["rows"]]}


def _mark_tables(data: dict[str, Any], t: Translator) -> dict[str, Any]:
    head = {k: v for k, v in data.items() if not isinstance(v, list)}
    return {"mark": [{**head, "flags": ",".join(data["flags"])}], "classes": data["classes"], "goods": data["goods"],
            "events": data["events"], "parties": data["parties"]}


def _protected_tables(data: dict[str, Any], t: Translator) -> dict[str, Any]:
    def flat(r: dict[str, Any]) -> dict[str, Any]:
        return {k: (",".join(map(str, v)) if isinstance(v, list) else v) for k, v in r.items() if k != "columns"}

    quarantine = [{"list_id": q["list_id"], "path": q["path"], "row": q["row"], "field": q["field"],
                   "value": q["value"], "reason": t(q["reason_key"], value=q["value"], **q["reason_values"])
                   if q["reason_key"] else q["reason"]} for q in data["quarantine"]]
    return {"entries": [flat(r) for r in data["entries"]], "lists": [flat(r) for r in data["rows"]],
            "quarantine": quarantine}


def _alert_tables(data: dict[str, Any], t: Translator) -> dict[str, Any]:
    return {"alerts": [{"key": a["key"], "occurred": a["occurred"], "protected": a["protected"]["name"],
                        "kind": a["protected"]["kind"], "list_id": a["protected"]["list_id"],
                        "mark_id": a["filing"]["mark_id"], "mark": a["filing"]["text"],
                        "applicants": "、".join(a["filing"]["applicants"]), "score": a["similarity"]["score"],
                        "matched": "".join(a["similarity"]["matched"]), "explanation": a["similarity"]["explanation"],
                        "message": t(a["message_key"], **a["params"])} for a in data["rows"]]}


PAGES = (
    Page("marks_mark", mark_data, PageParams, path="/marks/mark/{mark_id}", template="marks.html",
         tables=_mark_tables, summary="A mark 商标: its classes, goods and services, events and flags"),
    Page("marks_protected", protected_data, PageParams, path="/marks/protected", template="marks.html",
         tables=_protected_tables, summary="Protected-mark lists 受保护商标名单 (驰名商标, 老字号, 地理标志)"),
    Page("marks_alerts", alerts_data, AlertParams, path="/marks/alerts", template="marks.html",
         tables=_alert_tables, summary="New filings similar to a protected mark 近似受保护商标的新申请"),
    Page("marks", marks_data, MarksParams, template="marks.html", tables=_hits_tables,
         summary="Trademarks 商标 and the similar-mark search (字/音/形/义, class and 类似群), each hit explained"),
)


def register(app: FastAPI, web: Web) -> None:
    """The upload of a protected-mark list: the page's form (redirects back) and the API (answers the loaded list
    with its quarantined rows). Writers only (web/auth.py POLICY)."""

    async def load(request: Request) -> dict[str, Any]:
        async with request.form() as form:
            upload = form.get("file")
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            content = await upload.read() if isinstance(upload, UploadFile) else b""
            filename = upload.filename if isinstance(upload, UploadFile) else None
        if web.read_only:
            raise BadRequest("the store is open read-only: load lists on a writable server", "marks.error_read_only")
        if not content:
            raise BadRequest("no file: send the list as the form field 'file'", "marks.error_no_file")
        if len(content) > MAX_LIST_BYTES:
            raise BadRequest(f"the list is over {MAX_LIST_BYTES:,} bytes", "marks.error_too_large",
                             size=f"{MAX_LIST_BYTES:,}")
        name = Path((filename or "list.csv").replace("\\", "/")).name or "list.csv"
        suffix = Path(name).suffix.lower() if Path(name).suffix.lower() in (".csv", ".xlsx") else ".csv"
        kind = (fields.get("kind") or "").strip() or None
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / (Path(name).stem + suffix)
            path.write_bytes(content)
            try:
                out = web.call(lambda c: of(c).protected_load(path, kind, (fields.get("name") or "").strip()
                                                             or Path(name).stem, current_user(request).name or None))
            except (ProtectedListError, ValueError) as exc:
                raise BadRequest(str(exc), "marks.error_list", detail=str(exc)) from exc
        return out

    @app.post("/marks/protected", summary="Load a protected-mark list from the page's form (file, kind, name); "
              "redirects back")
    async def protected_form(request: Request) -> Response:
        out = await load(request)
        return RedirectResponse(f"/marks/protected?loaded={out['list_id']}", status_code=303)

    @app.post("/api/marks/protected", summary="Load a protected-mark list: multipart file, kind "
              "(well_known|time_honoured|gi), name; answers the list and its quarantined rows")
    async def protected_api(request: Request) -> Response:
        return render.json_response(await load(request), 200)
