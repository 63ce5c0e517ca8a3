"""Log in and out, the admin's user page, the audit log, publishing reported values and per-user portfolios.

Who may call what is decided by the policy table (:data:`ipcockpit.web.auth.POLICY`), not here; these
routes only read the caller (``current_user``) where the answer depends on who asks (portfolios,
publishing).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from ipcockpit.auth import ADMIN, ANALYST, ENTERPRISE
from ipcockpit.auth.throttle import LoginThrottle
from ipcockpit.errors import IPCockpitError, StoreError
from ipcockpit.web import render
from ipcockpit.web.auth import audit_target, current_user, end_session, session_of, start_session
from ipcockpit.web.context import Web
from ipcockpit.web.errors import BadRequest, Forbidden, NotFound, message
from ipcockpit.web.pages import Page, PageParams, show

READ_ONLY = "the store is open read-only; start the server with a writable store to change users or data"
#: the roles of the add-user form, the least privilege first (and chosen): an admin is made on purpose
ROLES_LEAST_FIRST = (ENTERPRISE, ANALYST, ADMIN)


class AuditParams(PageParams):
    user: str | None = Field(None, description="Only this user's entries.")
    action: str | None = Field(None, description="Only actions containing this (POST /api/cockpit).")
    limit: int = Field(200, ge=1, le=10_000, description="Entries, newest first.")


USERS = Page("admin_users", lambda c, p, v: {"users": c.users(), "roles": list(ROLES_LEAST_FIRST)},
             path="/admin/users", api="/api/users", template="admin_users.html",
             extra=lambda c, d, p, v: {"error": None, "writable": not v.read_only},
             summary="Users and roles 用户管理 (admin)")
AUDIT = Page("audit", lambda c, p, v: {"audit": c.audit_log(p.user, p.action, p.limit)}, AuditParams,
             path="/audit", summary="The audit log, newest first (admin)")
PAGES = (USERS, AUDIT)


def _safe_next(value: Any) -> str:
    """Only a path of this site (no //host, no scheme) is a place to go after logging in."""
    text = value if isinstance(value, str) else ""
    return text if text.startswith("/") and not text.startswith("//") and "\\" not in text else "/"


def _is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/json")


async def _fields(request: Request) -> dict[str, Any]:
    """The body as a dict: JSON, or form fields (strings)."""
    if _is_json(request):
        try:
            body = await request.json()
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
            return {}
        return body if isinstance(body, dict) else {}
    async with request.form() as form:
        return {k: v for k, v in form.items() if isinstance(v, str)}


def register(app: FastAPI, web: Web) -> None:
    def login_page(request: Request, error: str | None, next_path: str, status: int = 200) -> Response:
        data = {"next": next_path, "error": error, "user": current_user(request).label}
        return web.html(request, "login.html", {"data": data}, "login", status)

    @app.get("/login", response_class=HTMLResponse, summary="Log-in page 登录")
    def login_form(request: Request, next: Annotated[str | None, Query(
            description="Path to go to afterwards.")] = None) -> Response:
        return login_page(request, None, _safe_next(next))

    @app.post("/login", summary="Log in: form fields or JSON {username, password}; sets the session cookie",
              responses={429: {"description": "Too many failed logins: try again after Retry-After seconds"}})
    async def login(request: Request) -> Response:
        fields = await _fields(request)
        name, password = str(fields.get("username") or ""), str(fields.get("password") or "")
        audit_target(request, f"user:{name}")
        t = web.translator(request)
        throttle: LoginThrottle = request.app.state.login_throttle
        address = request.client.host if request.client else None
        wait = throttle.wait(name, address)
        if wait:  # refused before the password is checked: the right one too
            request.scope["state"]["audit_outcome"] = "login_throttled"
            return failed(request, fields, t("auth.throttled", seconds=wait), 429, {"Retry-After": str(wait)})
        user = await run_in_threadpool(web.call, lambda c: c.authenticate(name, password))
        if user is None:
            throttle.failed(name, address)
            request.scope["state"]["audit_outcome"] = "login_failed"
            return failed(request, fields, t("auth.bad_login"), 401)
        throttle.succeeded(name)
        token = await start_session(request, user)
        if _is_json(request):
            return render.json_response({"user": user.name, "role": user.role, "csrf_token": token})
        return RedirectResponse(_safe_next(fields.get("next")), status_code=303)

    def failed(request: Request, fields: dict[str, Any], text: str, status: int,
               headers: dict[str, str] | None = None) -> Response:
        response = (render.json_response({"error": text}, status) if _is_json(request)
                    else login_page(request, text, _safe_next(fields.get("next")), status))
        response.headers.update(headers or {})
        return response

    @app.post("/logout", summary="Log out: the session ends on the server and its cookie is deleted")
    async def logout(request: Request) -> Response:
        audit_target(request, f"user:{current_user(request).label}")
        await end_session(request)
        if _is_json(request):
            return render.json_response({"user": None, "role": "public"})
        return RedirectResponse("/", status_code=303)

    @app.get("/api/me", summary="Who am I: user, role and the CSRF token for scripts in the page")
    def me(request: Request) -> Response:
        user = current_user(request)
        return render.json_response({"user": user.name, "role": user.role,
                                     "csrf_token": session_of(request).csrf_token()})

    # users (admin) ---------------------------------------------------------------------------------
    def add_user(request: Request, fields: dict[str, Any]) -> dict[str, Any]:
        name, role = str(fields.get("name") or ""), str(fields.get("role") or "")
        audit_target(request, f"user:{name}", {"role": role})
        if web.read_only:
            raise Forbidden(READ_ONLY, "auth.error_read_only")
        by = current_user(request).name
        return web.call(lambda c: c.add_user(name, role, str(fields.get("password") or ""), by))

    @app.post("/admin/users", response_class=HTMLResponse, summary="Add a user from the admin page (admin)")
    async def users_form(request: Request) -> Response:
        request.state.format = "html"
        fields = await _fields(request)
        try:
            add_user(request, fields)
        except StoreError:
            raise
        except IPCockpitError as exc:
            return show(web, request, USERS, PageParams(), "html", status_code=400,
                        context={"error": message(web, request, exc)})
        return RedirectResponse("/admin/users", status_code=303)

    @app.post("/api/users", summary="Add a user: JSON {name, role, password} (admin)")
    async def users_add_api(request: Request) -> Response:
        return render.json_response(add_user(request, await _fields(request)), 201)

    @app.post("/api/users/{name}/logout", summary="End every session of a user: all their browsers are logged "
              "out (admin)")
    def user_logout_api(request: Request, name: str) -> Response:
        audit_target(request, f"user:{name}")

        def end(c: Any) -> int | None:
            return c.end_sessions(name) if any(u["name"] == name for u in c.users()) else None

        ended = web.call(end)
        if ended is None:
            raise NotFound(f"user {name!r}: no such user; GET /api/users lists them")
        return render.json_response({"user": name, "sessions_ended": ended})

    # publishing (analyst, admin) --------------------------------------------------------------------
    @app.post("/api/cockpit/publish", summary="Publish reported values: JSON {ids: [...], published: true}")
    async def publish_api(request: Request) -> Response:
        fields = await _fields(request)
        ids, published = fields.get("ids"), fields.get("published", True)
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids) or not isinstance(published, bool):
            raise BadRequest('the body must be JSON {"ids": [ids of reported values], "published": true|false}')
        audit_target(request, "reported:" + ",".join(map(str, ids)), {"published": published})
        if web.read_only:
            raise Forbidden(READ_ONLY)
        by = current_user(request).label
        return render.json_response({"publication": web.call(lambda c: c.publish(ids, by, published))})

    # portfolios (signed-in users; each sees only their own) ---------------------------------------
    @app.get("/api/portfolios", summary="The caller's saved portfolios")
    def portfolios_api(request: Request) -> Response:
        owner = current_user(request).label
        return render.json_response({"portfolios": web.call(lambda c: c.portfolios(owner))})

    @app.post("/api/portfolios", summary="Keep a portfolio: JSON {name, numbers: [...]}, screened on saving")
    async def portfolio_save_api(request: Request) -> Response:
        fields = await _fields(request)
        name, numbers = str(fields.get("name") or ""), fields.get("numbers")
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            raise BadRequest('the body must be JSON {"name": ..., "numbers": [publication or application numbers]}')
        audit_target(request, f"portfolio:{name}", {"numbers": len(numbers)})
        if web.read_only:
            raise Forbidden(READ_ONLY)
        owner = current_user(request).label

        def save(c: Any) -> dict[str, Any]:
            return c.save_portfolio(owner, name, numbers, c.screen(doc_ids=numbers, limit=0))

        row = web.call(save)
        audit_target(request, f"portfolio:{row['id']}", {"name": row["name"], "numbers": row["count"]})
        return render.json_response(row, 201)

    @app.get("/api/portfolios/{portfolio_id}", summary="One of the caller's portfolios with its screening result")
    def portfolio_api(request: Request, portfolio_id: int) -> Response:
        owner = current_user(request).label
        row = web.call(lambda c: c.portfolio(owner, portfolio_id))
        if row is None:  # someone else's looks the same as none at all
            raise NotFound(f"portfolio {portfolio_id}: none of yours has this id; GET /api/portfolios lists them")
        return render.json_response(row)
