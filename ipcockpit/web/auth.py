"""Access for the web app: signed session cookies, CSRF checks, the route policy table and the audit of
every write, in one ASGI middleware in front of every route.

* **Sessions** are cookies signed with itsdangerous (HMAC-SHA1 over a key derived from the secret): the
  user's name and a random nonce, nothing else. The secret is the setting ``secret_key`` (or the
  environment variable ``IPCOCKPIT_SECRET_KEY``), else one generated in the store on first use. Cookies
  are HttpOnly, SameSite=Lax, Secure over https (setting ``secure_cookies``: auto, always, never), and
  expire after ``session_hours``. The account is read on every request, so a disabled user is out at once.
* **CSRF**: the session's nonce is the CSRF token. Templates call ``csrf_token()``; a form sends it as
  the field ``csrf_token``, script sends it as the header ``X-CSRF-Token``. Every non-GET request with a
  form body (urlencoded, multipart, text/plain) or with a session cookie must carry it; a request whose
  ``Origin`` is another site is refused. JSON requests without a cookie (scripts) need no token.
* **Policy**: :data:`POLICY`, first matching rule wins; a path no rule names is open to everyone. Pages ask
  :func:`allowed` before they show a form, so that a form is shown only to those who may submit it.
  A refused request for a page answers with the site's error page (:func:`ipcockpit.web.errors.respond`).
* **Audit**: every non-GET request leaves a row in ``audit_log`` (who, when, method and path, target,
  outcome, status). A route names its target with :func:`audit_target`.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import jinja2
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ipcockpit import i18n
from ipcockpit.auth import ADMIN, ANALYST, ANONYMOUS, ENTERPRISE, User
from ipcockpit.errors import IPCockpitError
from ipcockpit.web import errors

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ipcockpit.settings import Settings
    from ipcockpit.web.context import CockpitHolder, Web

log = logging.getLogger("ipcockpit.web.auth")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

COOKIE = "ipc_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain", ""})
WRITERS = frozenset({ANALYST, ADMIN})
ADMINS = frozenset({ADMIN})
SIGNED_IN = frozenset({ADMIN, ANALYST, ENTERPRISE})


@dataclass(frozen=True)
class Rule:
    """Requests whose method is in ``methods`` (None: any) and whose path matches ``pattern`` in full
    need one of ``roles``."""

    methods: frozenset[str] | None
    pattern: str
    roles: frozenset[str]
    why: str  # catalogue key of the reason shown when a request is refused

    def matches(self, method: str, path: str) -> bool:
        return (self.methods is None or method in self.methods) and re.fullmatch(self.pattern, path) is not None


WRITE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: the route policy of the whole app, first match wins; paths no rule names are open to everyone
POLICY: tuple[Rule, ...] = (
    Rule(WRITE, r"/api/cockpit/reported(/csv)?", WRITERS, "auth.why.report"),
    Rule(WRITE, r"/(api/)?cockpit/publish", WRITERS, "auth.why.publish"),  # the API and the page's buttons
    Rule(WRITE, r"/cockpit/report.*", WRITERS, "auth.why.report"),  # the page's report forms; GET report.pdf is open
    Rule(WRITE, r"/(api/)?(ingest|upload)(/.*)?", WRITERS, "auth.why.upload"),
    # ([./].*)? covers a page's downloads by suffix (/api/audit.csv) as well as what lies below it
    Rule(None, r"/admin([./].*)?", ADMINS, "auth.why.admin"),
    Rule(None, r"/api/(users|audit)([./].*)?", ADMINS, "auth.why.admin_api"),
    Rule(None, r"/api/portfolios([./].*)?", SIGNED_IN, "auth.why.portfolio"),
    # FTO screening: product descriptions are confidential, results are per company (page, form, API)
    Rule(None, r"/(api/)?fto([./].*)?", SIGNED_IN, "auth.why.fto"),
    # quarantined records are raw data: their excerpts, paths and reasons (any format, page or API)
    Rule(None, r"/(api/)?data/quarantine([./].*)?", WRITERS, "auth.why.quarantine"),
)


def rule_for(method: str, path: str) -> Rule | None:
    return next((r for r in POLICY if r.matches(method, path)), None)


def allowed(user: User, method: str, path: str) -> bool:
    """Whether the policy lets ``user`` make the request (a page asks before it shows a form)."""
    rule = rule_for(method, path)
    return rule is None or user.has(rule.roles)


@dataclass
class AuthSettings:
    """The web app's access settings (``secret_key`` is a secret: a file or the environment, never a flag)."""

    secret_key: str | None = None
    secure_cookies: str = "auto"
    session_hours: float = 12.0

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthSettings:
        extra = getattr(settings, "extra", None) or {}

        def get(name: str, default: Any) -> Any:
            value = getattr(settings, name, None)
            return value if value not in (None, "") else extra.get(name, default)

        secure = str(get("secure_cookies", "auto")).lower()
        if secure not in ("auto", "always", "never", "true", "false"):
            raise ValueError(f"setting secure_cookies={secure!r}: use auto, always or never")
        return cls(secret_key=os.environ.get("IPCOCKPIT_SECRET_KEY") or get("secret_key", None) or None,
                   secure_cookies={"true": "always", "false": "never"}.get(secure, secure),
                   session_hours=float(get("session_hours", 12.0)))


@dataclass
class Session:
    """The signed cookie's content: the user's name (None: public) and the nonce that is the CSRF token."""

    user_name: str | None = None
    nonce: str = ""
    changed: bool = False  # the cookie must be (re)sent
    cleared: bool = False  # the cookie must be deleted
    loaded: bool = False  # it came from a valid cookie

    def csrf_token(self) -> str:
        if not self.nonce:
            self.nonce, self.changed = secrets.token_urlsafe(24), True
        return self.nonce

    def login(self, user: User) -> None:
        """A new session for ``user`` (a new nonce: no fixation of a session from before the login)."""
        self.user_name, self.nonce, self.changed, self.cleared = user.name, secrets.token_urlsafe(24), True, False

    def logout(self) -> None:
        self.user_name, self.nonce, self.changed, self.cleared = None, "", False, True


# what routes and templates use ---------------------------------------------------------------------
def current_user(request: Request) -> User:
    user = request.scope.get("state", {}).get("user")
    return user if isinstance(user, User) else ANONYMOUS


def session_of(request: Request) -> Session:
    state = request.scope.setdefault("state", {})
    if not isinstance(state.get("session"), Session):
        state["session"] = Session()
    return state["session"]


def audit_target(request: Request, target: str, detail: Any = None) -> None:
    """Name what a write acted on (and a short detail) for its audit row."""
    state = request.scope.setdefault("state", {})
    state["audit_target"], state["audit_detail"] = target, detail


@jinja2.pass_context
def _csrf_token(ctx: Any) -> str:
    return session_of(ctx["request"]).csrf_token()


@jinja2.pass_context
def _current_user(ctx: Any) -> User:
    return current_user(ctx["request"])


Refuse = Callable[[Request, int, str], Response]


def install(app: FastAPI, web: Web) -> None:
    """Put the middleware in front of every route and ``csrf_token()`` / ``current_user()`` in templates."""
    web.templates.env.globals["csrf_token"] = _csrf_token
    web.templates.env.globals["current_user"] = _current_user

    def refuse(request: Request, status: int, message: str) -> Response:
        return errors.respond(web, request, status, message)  # the error page, or JSON for scripts

    app.add_middleware(AuthMiddleware, holder=web.holder, settings=AuthSettings.from_settings(web.settings),
                       refuse=refuse)


# the middleware -------------------------------------------------------------------------------------
class AuthMiddleware:
    def __init__(self, app: Callable[..., Awaitable[None]], holder: CockpitHolder, settings: AuthSettings,
                 refuse: Refuse) -> None:
        self.app, self.holder, self.settings, self.refuse = app, holder, settings, refuse
        self._serializer: URLSafeTimedSerializer | None = None

    def serializer(self) -> URLSafeTimedSerializer:
        if self._serializer is None:
            secret = self.settings.secret_key or self.holder.call(lambda c: c.session_secret())
            if not secret:
                log.warning("no session secret in a read-only store and no setting secret_key: sessions end "
                            "when the server stops (open the store writable once, or set secret_key)")
                secret = secrets.token_urlsafe(32)
            self._serializer = URLSafeTimedSerializer(secret, salt="ipcockpit-session")
        return self._serializer

    def read_session(self, request: Request) -> Session:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return Session()
        try:
            data = self.serializer().loads(raw, max_age=int(self.settings.session_hours * 3600))
        except BadSignature:  # tampered, expired or signed with another secret: start afresh
            return Session()
        if not isinstance(data, dict) or not isinstance(data.get("n"), str):
            return Session()
        name = data.get("u")
        return Session(user_name=name if isinstance(name, str) else None, nonce=data["n"], loaded=True)

    def cookie_headers(self, request: Request, session: Session) -> list[tuple[bytes, bytes]]:
        secure = {"always": True, "never": False}.get(self.settings.secure_cookies, request.url.scheme == "https")
        r = Response()
        if session.cleared and not session.changed:
            r.delete_cookie(COOKIE, path="/", secure=secure, httponly=True, samesite="lax")
        else:
            value = self.serializer().dumps({"u": session.user_name, "n": session.nonce})
            r.set_cookie(COOKIE, value, max_age=int(self.settings.session_hours * 3600), path="/", secure=secure,
                         httponly=True, samesite="lax")
        return [(k, v) for k, v in r.raw_headers if k == b"set-cookie"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        session = self.read_session(request)
        user = ANONYMOUS
        if session.user_name:
            name = session.user_name
            found = await run_in_threadpool(self.holder.call, lambda c: c.user(name))
            if found is None:
                session.logout()
            else:
                user = found
        state = scope.setdefault("state", {})
        state["session"], state["user"] = session, user
        method = scope["method"]
        write = method not in SAFE_METHODS
        body = b""
        if write:  # read the body once: the CSRF check and the route each get a replay of it
            body = await _read_body(receive)
            request = Request(scope, _replay(body, receive))
            receive = _replay(body, receive)
        status: dict[str, int] = {}

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                if session.changed or session.cleared:
                    headers = MutableHeaders(scope=message)
                    for k, v in self.cookie_headers(request, session):
                        headers.append(k.decode("latin-1"), v.decode("latin-1"))
            await send(message)

        refusal = (await self.check_csrf(request, session) if write else None) or self.check_policy(request, user)
        try:
            if write and "audit_detail" not in state:
                state["audit_detail"] = _body_detail(request, body)
            if refusal is not None:
                await refusal(scope, receive, send_with_cookie)
            else:
                await self.app(scope, receive, send_with_cookie)
        finally:
            if write:
                await self.audit(request, user, status.get("code", 500), refusal is not None)

    async def check_csrf(self, request: Request, session: Session) -> Response | None:
        t = i18n.Translator(_language(request))
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc != request.headers.get("host", ""):
            return self._refuse(request, 403, t("auth.cross_site", origin=origin), "cross_site")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        is_form = ctype in FORM_TYPES
        if not is_form and COOKIE not in request.cookies:
            return None  # a script's JSON request carries no ambient credentials
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and is_form and ctype != "text/plain":
            try:
                async with request.form() as form:
                    value = form.get(CSRF_FIELD)
                    sent = value if isinstance(value, str) else None
            except HTTPException as exc:  # a body starlette cannot parse: outside the app's error handlers here
                return self._refuse(request, 400, t("error.bad_body", detail=str(exc.detail)), "bad_body")
        if session.loaded and session.nonce and sent and hmac.compare_digest(sent, session.nonce):
            return None
        why = t("auth.csrf_missing") if not sent else t("auth.csrf_invalid")
        return self._refuse(request, 403, why, "csrf")

    def check_policy(self, request: Request, user: User) -> Response | None:
        rule = rule_for(request.method, request.url.path)
        if rule is None or user.has(rule.roles):
            return None
        t = i18n.Translator(_language(request))
        roles, why = "、".join(t("user_role." + r) for r in sorted(rule.roles)), t(rule.why)
        if user.is_public:
            if request.method == "GET" and _wants_html(request):
                return RedirectResponse(f"/login?next={quote(str(request.url.path), safe='/')}", status_code=303)
            return self._refuse(request, 401, t("auth.login_needed", why=why, roles=roles), "unauthenticated")
        return self._refuse(request, 403, t("auth.role_needed", user=user.label, role=t("user_role." + user.role),
                                       roles=roles, why=why), "forbidden")

    def _refuse(self, request: Request, status: int, message: str, outcome: str) -> Response:
        request.scope.setdefault("state", {})["audit_outcome"] = outcome
        return self.refuse(request, status, message)

    async def audit(self, request: Request, user: User, status: int, refused: bool) -> None:
        state = request.scope.get("state", {})
        target = state.get("audit_target") or (request.url.query or None)
        outcome = state.get("audit_outcome") or ("refused" if refused else "ok" if status < 400 else "error")
        who = state.get("user") if isinstance(state.get("user"), User) else user  # a login names the new user
        client = request.client.host if request.client else None
        detail = state.get("audit_detail")

        def write(c: Any) -> None:
            c.audit(who.name, who.role, f"{request.method} {request.url.path}", target, outcome, status, detail,
                    client)

        try:
            await run_in_threadpool(self.holder.call, write)
        except IPCockpitError as exc:  # the store cannot be opened: keep the entry in the log at least
            log.warning("audit entry not stored (%s): %s %s by %s: %s", exc, request.method, request.url.path,
                        who.label, outcome)


async def _read_body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that gives ``body`` once, then waits on the client (for its disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _body_detail(request: Request, body: bytes, limit: int = 500) -> str | None:
    """A JSON body for the audit row (fields named like *password* dropped), cut to ``limit`` characters."""
    if not request.headers.get("content-type", "").startswith("application/json") or not body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if "password" not in str(k).lower()}
    text = json.dumps(data, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _language(request: Request) -> str:
    return i18n.choose(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE), None)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


__all__ = ["POLICY", "AuthMiddleware", "AuthSettings", "Rule", "Session", "allowed", "audit_target",
           "current_user", "install", "rule_for", "session_of"]
