"""Log in and out, the admin's user page, the audit log, publishing reported values and per-user portfolios.

Who may call what is decided by the policy table in :mod:`ipcockpit.web.auth`, not here; these routes
only read the caller (``current_user``) where the answer depends on who asks (portfolios, publishing).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ipcockpit import i18n
from ipcockpit.auth import ROLES, AccessError
from ipcockpit.errors import IPCockpitError
from ipcockpit.web import render
from ipcockpit.web.auth import audit_target, current_user, session_of
from ipcockpit.web.routes_screen import Web

READ_ONLY = "the store is open read-only; start the server with a writable store to change users or data"


def _safe_next(value: Any) -> str:
    """Only a path of this site (no //host, no scheme) is a place to go after logging in."""
    text = value if isinstance(value, str) else ""
    return text if text.startswith("/") and not text.startswith("//") and "\\" not in text else "/"


async def _fields(request: Request) -> dict[str, Any]:
    """The body as a dict: JSON, or form fields (strings)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    async with request.form() as form:
        return {k: v for k, v in form.items() if isinstance(v, str)}


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def register(app: FastAPI, web: Web) -> None:
    holder = web.holder

    def login_page(request: Request, error: str | None, next_path: str, status: int = 200) -> Response:
        data = {"next": next_path, "error": error, "user": current_user(request).label}
        return web.page(request, "login", data, "html", None, "login.html", lambda t: {}, status)

    @app.get("/login", response_class=HTMLResponse, summary="Log-in page 登录")
    def login_form(request: Request, next: str | None = Query(None, description="Path to go to afterwards.")
                   ) -> Response:
        return login_page(request, None, _safe_next(next))

    @app.post("/login", summary="Log in: form fields or JSON {username, password}; sets the session cookie")
    async def login(request: Request) -> Response:
        fields = await _fields(request)
        name, password = str(fields.get("username") or ""), str(fields.get("password") or "")
        user = holder.call(lambda c: c.authenticate(name, password))
        audit_target(request, f"user:{name}")
        is_json = request.headers.get("content-type", "").startswith("application/json")
        if user is None:
            request.scope["state"]["audit_outcome"] = "login_failed"
            t = i18n.Translator(web.language(request))
            if is_json:
                return _error(t("auth.bad_login"), 401)
            return login_page(request, t("auth.bad_login"), _safe_next(fields.get("next")), 401)
        session = session_of(request)
        session.login(user)
        request.scope["state"]["user"] = user
        if is_json:
            return render.json_response({"user": user.name, "role": user.role, "csrf_token": session.nonce})
        return RedirectResponse(_safe_next(fields.get("next")), status_code=303)

    @app.post("/logout", summary="Log out: the session cookie is deleted")
    async def logout(request: Request) -> Response:
        audit_target(request, f"user:{current_user(request).label}")
        session_of(request).logout()
        if request.headers.get("content-type", "").startswith("application/json"):
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
        if holder.read_only:
            raise AccessError(READ_ONLY)
        by = current_user(request).name
        return holder.call(lambda c: c.add_user(name, role, str(fields.get("password") or ""), by))

    @app.get("/admin/users", response_class=HTMLResponse, summary="User admin page 用户管理 (admin)")
    def users_page(request: Request, format: str | None = Query(None, description="html, json or csv.")
                   ) -> Response:
        data = {"users": holder.call(lambda c: c.users()), "roles": list(ROLES)}
        return web.page(request, "admin_users", data, render.check_format(format, "html"), "users",
                        "admin_users.html", lambda t: {"error": None})

    @app.post("/admin/users", response_class=HTMLResponse, summary="Add a user from the admin page (admin)")
    async def users_form(request: Request) -> Response:
        fields = await _fields(request)
        try:
            add_user(request, fields)
        except IPCockpitError as exc:
            message = str(exc)
            data = {"users": holder.call(lambda c: c.users()), "roles": list(ROLES)}
            return web.page(request, "admin_users", data, "html", None, "admin_users.html",
                            lambda t: {"error": message}, 400)
        return RedirectResponse("/admin/users", status_code=303)

    @app.get("/api/users", summary="Users and roles (admin)")
    def users_api() -> Response:
        return render.json_response({"users": holder.call(lambda c: c.users())})

    @app.post("/api/users", summary="Add a user: JSON {name, role, password} (admin)")
    async def users_add_api(request: Request) -> Response:
        try:
            row = add_user(request, await _fields(request))
        except IPCockpitError as exc:
            return _error(str(exc), 403 if str(exc) == READ_ONLY else 400)
        return render.json_response(row, 201)

    @app.get("/api/audit", summary="The audit log, newest first (admin)")
    def audit_api(user: str | None = Query(None, description="Only this user's entries."),
                  action: str | None = Query(None, description="Only actions containing this."),
                  limit: int = Query(200, ge=1, le=10000), format: str | None = Query(None, description="json or csv.")
                  ) -> Response:
        data = {"audit": holder.call(lambda c: c.audit_log(user, action, limit))}
        if render.check_format(format, "json") == "csv":
            return render.csv_response(data, "audit", "audit")
        return render.json_response(data)

    # publishing (analyst, admin) --------------------------------------------------------------------
    @app.post("/api/cockpit/publish", summary="Publish reported values: JSON {ids: [...], published: true}")
    async def publish_api(request: Request) -> Response:
        fields = await _fields(request)
        ids, published = fields.get("ids"), fields.get("published", True)
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids) or not isinstance(published, bool):
            return _error("the body must be JSON {\"ids\": [ids of reported values], \"published\": true|false}")
        audit_target(request, "reported:" + ",".join(map(str, ids)), {"published": published})
        if holder.read_only:
            return _error(READ_ONLY, 403)
        by = current_user(request).label
        try:
            rows = holder.call(lambda c: c.publish(ids, by, published))
        except IPCockpitError as exc:
            return _error(str(exc))
        return render.json_response({"publication": rows})

    # portfolios (signed-in users; each sees only their own) ---------------------------------------
    @app.get("/api/portfolios", summary="The caller's saved portfolios")
    def portfolios_api(request: Request) -> Response:
        owner = current_user(request).label
        return render.json_response({"portfolios": holder.call(lambda c: c.portfolios(owner))})

    @app.post("/api/portfolios", summary="Keep a portfolio: JSON {name, numbers: [...]}, screened on saving")
    async def portfolio_save_api(request: Request) -> Response:
        fields = await _fields(request)
        name, numbers = str(fields.get("name") or ""), fields.get("numbers")
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            return _error("the body must be JSON {\"name\": ..., \"numbers\": [publication or application numbers]}")
        audit_target(request, f"portfolio:{name}", {"numbers": len(numbers)})
        if holder.read_only:
            return _error(READ_ONLY, 403)
        owner = current_user(request).label

        def save(c: Any) -> dict[str, Any]:
            result = c.screen(doc_ids=numbers, limit=0)
            return c.save_portfolio(owner, name, numbers, result)

        try:
            row = holder.call(save)
        except IPCockpitError as exc:
            return _error(str(exc))
        audit_target(request, f"portfolio:{row['id']}", {"name": row["name"], "numbers": row["count"]})
        return render.json_response(row, 201)

    @app.get("/api/portfolios/{portfolio_id}", summary="One of the caller's portfolios with its screening result")
    def portfolio_api(request: Request, portfolio_id: int) -> Response:
        owner = current_user(request).label
        row = holder.call(lambda c: c.portfolio(owner, portfolio_id))
        if row is None:  # someone else's looks the same as none at all
            return _error(f"portfolio {portfolio_id}: none of yours has this id; GET /api/portfolios lists them", 404)
        return render.json_response(row)
