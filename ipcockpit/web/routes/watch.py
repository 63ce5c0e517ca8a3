"""Watch lists and alerts (监测预警; docs/monitoring.md, "Watch lists and alerts"):

* ``/watch`` (``.json``, ``.csv``, ``.xlsx``; ``/api/watch``): the signed-in user's lists (their own, those shared
  with their role; an admin's: all) and the alerts inbox, each alert with its sentence, its evidence and the link
  to the patent or organisation page it rests on; the downloads hold the alerts.
* Writes (the page's forms redirect back; the JSON API answers the list or the count):
  ``POST /watch/lists`` and ``/api/watch/lists`` (make a list or add an object: list, kind, value, digest, email,
  webhook_url, shared_role, expiry_days), ``/watch/objects/remove`` and ``/api/watch/objects/remove`` (list_id,
  kind, value), ``/watch/read`` and ``/api/watch/read`` (alert ids, read).

The policy (:data:`ipcockpit.web.auth.POLICY`) lets signed-in users only; the service decides which lists each
may see and change (:class:`ipcockpit.watch.service.Watch`).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from ipcockpit import i18n
from ipcockpit.app import Cockpit
from ipcockpit.auth import AccessError
from ipcockpit.errors import IPCockpitError, StoreError
from ipcockpit.watch.service import ALERT_COLUMNS, Watch, alert_rows
from ipcockpit.web import render
from ipcockpit.web.auth import audit_target, current_user
from ipcockpit.web.bodies import json_object
from ipcockpit.web.context import Web
from ipcockpit.web.errors import BadRequest, Forbidden
from ipcockpit.web.pages import Page, PageParams, View, parse, show


def of(c: Cockpit) -> Watch:
    """The watch service of the core object (``Cockpit.monitor.watch``)."""
    return c.monitor.watch


class WatchParams(PageParams):
    list_id: int | None = Field(None, description="Only the alerts of this list.")
    unread: bool = Field(False, description="Only unread alerts.")
    kind: str | None = Field(None, description="Only alerts of this kind (filing, grant, lapse, expiry, "
                             "expiry_soon, transfer, pledge, pledge_release, licence, licence_release, "
                             "invalidation, litigation, similar_mark).")
    limit: int = Field(200, ge=1, le=10000, description="At most this many alerts, newest first.")


def watch_data(c: Cockpit, p: WatchParams, v: View) -> dict[str, Any]:
    try:
        return of(c).page(v.user, p.list_id, p.unread, p.kind, p.limit, lang=v.t.lang)
    except AccessError as exc:
        raise Forbidden(str(exc), "watch.why") from exc
    except IPCockpitError as exc:
        raise BadRequest(str(exc)) from exc


def watch_tables(data: dict[str, Any], t: i18n.Translator) -> dict[str, Any]:
    return {"alerts": [{t(f"watch.col.{k}"): (t(f"watch.kind.{v}") if k == "kind" else v) for k, v in row.items()}
                       for row in alert_rows(data)]}


def _extra(c: Cockpit, data: dict[str, Any], p: WatchParams, v: View) -> dict[str, Any]:
    return {"read_only": v.read_only, "columns": ALERT_COLUMNS}


WATCH = Page("watch", watch_data, WatchParams, template="watch.html", extra=_extra, tables=watch_tables,
             section="alerts", summary="Watch lists and the alerts inbox 监测预警 (signed-in users)",
             description="`lists`: the lists the user sees with their object, alert and unread counts; `alerts`: "
                         "newest first, each with `kind`, `doc_id` (`mark_id` for a similar_mark), the watched "
                         "`object_kind`/`object_value`, "
                         "`message`, `link` (the evidence page), `evidence` (the rows it rests on) and `deliveries` "
                         "(in-app, e-mail, webhook: status and attempts).")
PAGES = (WATCH,)


def _fields(form: Any) -> dict[str, str]:
    return {k: v.strip() for k, v in form.items() if isinstance(v, str)}


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"{name}: give a number") from exc


def _add(c: Cockpit, request: Request, f: dict[str, Any]) -> dict[str, Any]:
    kind, value = f.get("kind") or None, f.get("value") or None
    objects = {str(kind): [str(value)]} if kind and value else {}
    days = f.get("expiry_days")
    return of(c).add(current_user(request), str(f.get("list") or ""), objects,
                     shared_role=f.get("shared_role") or None, digest=f.get("digest") or None,
                     email=f.get("email") or None, webhook_url=f.get("webhook_url") or None,
                     expiry_days=_int(days, "expiry_days") if days not in (None, "") else None)


def _remove(c: Cockpit, request: Request, f: dict[str, Any]) -> dict[str, Any]:
    done = of(c).remove(current_user(request), _int(f.get("list_id"), "list_id"), str(f.get("kind") or ""),
                        str(f.get("value") or ""))
    return {"removed": done}


def _read(c: Cockpit, request: Request, f: dict[str, Any]) -> dict[str, Any]:
    ids = f.get("alert_ids") or f.get("alert_id") or []
    if isinstance(ids, str):
        ids = [x for x in ids.replace(",", " ").split() if x]
    read = str(f.get("read", "true")).lower() not in ("false", "0", "no")
    return {"changed": of(c).mark_read(current_user(request), [_int(x, "alert_ids") for x in ids], read)}


ACTIONS = {"lists": _add, "objects/remove": _remove, "read": _read}


def register(app: FastAPI, web: Web) -> None:
    """The page's forms and the JSON writes."""

    def write(request: Request, action: str, fields: dict[str, Any]) -> dict[str, Any]:
        if web.read_only:
            raise Forbidden("the server is read-only: use `ipcockpit watch` or a writable server", "watch.read_only")
        audit_target(request, f"watch:{action}", {k: v for k, v in fields.items() if k != "csrf_token"})
        try:
            return web.call(lambda c: ACTIONS[action](c, request, fields))
        except AccessError as exc:
            raise Forbidden(str(exc), "watch.why") from exc
        except StoreError:
            raise
        except IPCockpitError as exc:
            raise BadRequest(str(exc)) from exc

    def form_route(action: str) -> Any:
        async def route(request: Request) -> Response:
            async with request.form() as form:
                fields = _fields(form)
            try:
                write(request, action, fields)
            except BadRequest as exc:
                params = parse(WatchParams, {})
                return show(web, request, WATCH, params, "html", status_code=400, context={"error": str(exc)})
            url = request.url_for("watch_html")
            return RedirectResponse(url.path, status_code=303)
        return route

    def api_route(action: str) -> Any:
        async def route(request: Request) -> Response:
            return render.json_response(write(request, action, await json_object(request)))
        return route

    for action, summary in (("lists", "Make a watch list or add an object to it (list, kind: patent, org, ipc, sei, "
                                      "region, query or protected (a protected-mark list id, or all), value, digest, "
                                      "email, webhook_url, shared_role, expiry_days)"),
                            ("objects/remove", "Remove an object from a watch list (list_id, kind, value)"),
                            ("read", "Mark alerts read or unread (alert_ids, read)")):
        name = action.replace("/", "_")
        app.add_api_route(f"/watch/{action}", form_route(action), methods=["POST"], response_class=HTMLResponse,
                          name=f"watch_{name}_form", summary=summary + "; the page's form, redirects back")
        app.add_api_route(f"/api/watch/{action}", api_route(action), methods=["POST"], name=f"watch_{name}_api",
                          summary=summary + " (JSON)")
