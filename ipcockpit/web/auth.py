"""Access for the web app: server-side sessions, CSRF checks, the route policy table, request-body limits,
login throttling and the audit of every write, in one ASGI middleware in front of every route.

* **Sessions** are server-side (:mod:`ipcockpit.auth.sessions`): a login creates a record (the id's hash,
  the user, created, last seen, expiry, revoked) and the cookie carries only the id, signed with
  itsdangerous (HMAC over a key derived from the secret). The secret is the setting ``secret_key`` (or the
  environment variable ``IPCOCKPIT_SECRET_KEY``), else one generated in the store (or, for a read-only
  store without one, in its sidecar) on first use. Every request looks the session up: a session that was
  ended (logout, a disabled user, a new password, an admin) or has expired (``session_hours`` after the
  login, ``session_idle_minutes`` without a request) is a public visitor's, and the account is read too, so
  a disabled user is out at once. Cookies are HttpOnly, SameSite=Lax, Secure over https (setting
  ``secure_cookies``: auto, always, never). A visitor who has not logged in has no record: the cookie
  carries a random nonce only, the CSRF token of the login form.
* **CSRF**: a session's token is derived from its id (HMAC-SHA256 with the secret), so it ends with the
  session; a visitor's is the nonce. Templates call ``csrf_token()``; a form sends it as the field
  ``csrf_token``, script sends it as the header ``X-CSRF-Token``. Every non-GET request with a form body
  (urlencoded, multipart, text/plain) or with a session cookie must carry it; a request whose ``Origin``
  is another site is refused. JSON requests without a cookie (scripts) need no token.
* **Policy**: :data:`POLICY`, first matching rule wins; a path no rule names is open to everyone. Pages ask
  :func:`allowed` before they show a form, so that a form is shown only to those who may submit it.
  A refused request for a page answers with the site's error page (:func:`ipcockpit.web.errors.respond`).
* **Bodies** (:mod:`ipcockpit.web.bodies`): a write the policy refuses is answered before its body is
  read; a body over its route's limit is refused with 413, by its ``Content-Length`` unread, or while it
  arrives. Only then is it read (once: the CSRF check and the route each get a replay).
* **Login throttling** (:mod:`ipcockpit.auth.throttle`): the login route asks ``app.state.login_throttle``.
* **Audit**: every non-GET request leaves a row in the audit log (who, when, method and path, target,
  outcome, status): the store's, or the sidecar's on a read-only server. A route names its target with
  :func:`audit_target`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import sqlite3
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
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
from ipcockpit.auth import ADMIN, ANALYST, ANONYMOUS, ENTERPRISE, User, sessions
from ipcockpit.auth.throttle import LoginThrottle, ThrottleSettings
from ipcockpit.errors import IPCockpitError, StoreError, UnavailableError
from ipcockpit.web import bodies, errors

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
    Rule(WRITE, r"/(api/)?navigation/build", WRITERS, "auth.why.navigation"),  # a new edition of a report
    # abnormal-filing signals name suspected applicants (never a verdict): the office's own, to read and to handle
    Rule(None, r"/(api/)?signals([./].*)?", WRITERS, "signals.why"),
    Rule(WRITE, r"/(api/)?marks/protected", WRITERS, "marks.why.protected"),  # loading a protected-mark list
    # ([./].*)? covers a page's downloads by suffix (/api/audit.csv) as well as what lies below it
    Rule(None, r"/admin([./].*)?", ADMINS, "auth.why.admin"),
    Rule(None, r"/api/(users|audit)([./].*)?", ADMINS, "auth.why.admin_api"),
    Rule(None, r"/api/portfolios([./].*)?", SIGNED_IN, "auth.why.portfolio"),
    # FTO screening: product descriptions are confidential, results are per company (page, form, API)
    Rule(None, r"/(api/)?fto([./].*)?", SIGNED_IN, "auth.why.fto"),
    # quarantined records are raw data: their excerpts, paths and reasons (any format, page or API)
    Rule(None, r"/(api/)?data/quarantine([./].*)?", WRITERS, "auth.why.quarantine"),
    # patent navigation: the analyst's edits of a decomposition tree, marks and tagging (page forms and API)
    Rule(WRITE, r"/(api/)?navigation/[^/]+/(tree|marks|tag)", WRITERS, "nav.analyst.why"),
    # watch lists are kept per user: the page, its downloads, the API and the writes; the service shows each user
    # the lists they own or that are shared with their role (admins: all)
    Rule(None, r"/(api/)?watch([./].*)?", SIGNED_IN, "watch.why"),
    # credit tiers: links of users to organisations (admins), records, repairs and the audit (analysts), the
    # tiers (signed-in users; an enterprise user sees its own organisation only: ipcockpit.credit.service)
    Rule(None, r"/api/credit/links|/credit/link", ADMINS, "credit.why.admin"),
    Rule(None, r"/api/credit/audit([./].*)?", WRITERS, "credit.why.write"),
    Rule(WRITE, r"/(api/)?credit(/.*)?", WRITERS, "credit.why.write"),
    Rule(None, r"/(api/)?credit([./].*)?", SIGNED_IN, "credit.why.signed_in"),
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
    session_idle_minutes: float = 120.0
    throttle: ThrottleSettings = field(default_factory=ThrottleSettings)
    body_limits: bodies.BodyLimits = field(default_factory=bodies.BodyLimits)

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthSettings:
        extra = getattr(settings, "extra", None) or {}

        def get(name: str, default: Any) -> Any:
            value = getattr(settings, name, None)
            return value if value not in (None, "", {}) else extra.get(name, default)

        secure = str(get("secure_cookies", "auto")).lower()
        if secure not in ("auto", "always", "never", "true", "false"):
            raise ValueError(f"setting secure_cookies={secure!r}: use auto, always or never")
        return cls(secret_key=os.environ.get("IPCOCKPIT_SECRET_KEY") or get("secret_key", None) or None,
                   secure_cookies={"true": "always", "false": "never"}.get(secure, secure),
                   session_hours=float(get("session_hours", 12.0)),
                   session_idle_minutes=float(get("session_idle_minutes", 120.0)),
                   throttle=ThrottleSettings.from_mapping(get("login_throttle", None)),
                   body_limits=bodies.BodyLimits.from_mapping(get("body_limits", None)))


@dataclass
class Session:
    """A request's session: a logged-in user's (``session_id``, the id of its server-side record, and
    ``token``, its CSRF token) or a visitor's (``nonce``, the CSRF token of the login form)."""

    user_name: str | None = None
    session_id: str | None = None
    token: str = ""
    nonce: str = ""
    changed: bool = False  # the cookie must be (re)sent
    cleared: bool = False  # the cookie must be deleted
    loaded: bool = False  # it came from a valid cookie

    def csrf_token(self) -> str:
        if self.session_id:
            return self.token
        if not self.nonce:
            self.nonce, self.changed = secrets.token_urlsafe(24), True
        return self.nonce

    def login(self, user: User, session_id: str, token: str) -> None:
        """Hold the new session of ``user`` (its record made by :class:`SessionKeeper`)."""
        self.user_name, self.session_id, self.token, self.nonce = user.name, session_id, token, ""
        self.changed, self.cleared, self.loaded = True, False, True

    def logout(self) -> None:
        self.user_name, self.session_id, self.token, self.nonce = None, None, "", ""
        self.changed, self.cleared = False, True


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


async def start_session(request: Request, user: User) -> str:
    """Log ``user`` in: a new server-side session (the request's earlier one, if any, ended; no fixation of
    a session from before the login) and its cookie; returns its CSRF token."""
    keeper: SessionKeeper = request.app.state.sessions
    return await keeper.start(request, user)


async def end_session(request: Request) -> None:
    """Log out: the request's session ends on the server, its cookie is deleted."""
    keeper: SessionKeeper = request.app.state.sessions
    await keeper.end(request)


def install(app: FastAPI, web: Web) -> None:
    """Put the middleware in front of every route, the session keeper and the login throttle in the app's
    state (``app.state.sessions``, ``app.state.login_throttle``) and ``csrf_token()`` / ``current_user()``
    in templates."""
    web.templates.env.globals["csrf_token"] = _csrf_token
    web.templates.env.globals["current_user"] = _current_user
    settings = AuthSettings.from_settings(web.settings)
    app.state.sessions = keeper = SessionKeeper(web.holder, settings)
    app.state.login_throttle = LoginThrottle(settings.throttle)

    def refuse(request: Request, status: int, message: str) -> Response:
        return errors.respond(web, request, status, message)  # the error page, or JSON for scripts

    app.add_middleware(AuthMiddleware, keeper=keeper, refuse=refuse)


# sessions -------------------------------------------------------------------------------------------
class SessionKeeper:
    """Reads a request's session from its cookie and the session's record, starts and ends sessions, and
    writes the cookie."""

    def __init__(self, holder: CockpitHolder, settings: AuthSettings) -> None:
        self.holder, self.settings = holder, settings
        self._serializer: URLSafeTimedSerializer | None = None
        self._csrf_key = b""

    def serializer(self) -> URLSafeTimedSerializer:
        if self._serializer is None:
            secret = self.settings.secret_key
            if not secret:
                try:
                    secret = self.holder.call(lambda c: sessions.secret(c.store))
                except (StoreError, UnavailableError):
                    raise  # the store cannot be read now (another program holds it): ask again next request
                except (IPCockpitError, OSError, sqlite3.Error) as exc:
                    log.warning("session secret not read: %s", exc)
            if not secret:
                log.warning("no session secret in a read-only store and no setting secret_key: sessions end "
                            "when the server stops (open the store writable once, or set secret_key)")
                secret = secrets.token_urlsafe(32)
            self._csrf_key = hashlib.sha256(b"ipcockpit-csrf\0" + secret.encode()).digest()
            self._serializer = URLSafeTimedSerializer(secret, salt="ipcockpit-session")
        return self._serializer

    def usable_serializer(self) -> URLSafeTimedSerializer | None:
        """The serializer, or None while the store that keeps the session secret cannot be opened (another
        program holds it): no session is read or set then, and the request answers 503 by itself."""
        try:
            return self.serializer()
        except (StoreError, UnavailableError):
            return None

    def csrf_of(self, session_id: str) -> str:
        """The CSRF token of a session: an HMAC of its id, so it is bound to the session and never stored."""
        self.serializer()
        digest = hmac.new(self._csrf_key, session_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    @property
    def max_age(self) -> int:
        return int(self.settings.session_hours * 3600)

    def read(self, request: Request) -> Session:
        """The session the cookie names (not yet looked up: :meth:`resolve`); a fresh one without a valid cookie."""
        raw = request.cookies.get(COOKIE)
        serializer = self.usable_serializer() if raw else None
        if not raw or serializer is None:
            return Session()
        try:
            data = serializer.loads(raw, max_age=self.max_age)
        except BadSignature:  # tampered, expired or signed with another secret: start afresh
            return Session()
        if isinstance(data, dict) and isinstance(data.get("s"), str):
            return Session(session_id=data["s"], token=self.csrf_of(data["s"]), loaded=True)
        if isinstance(data, dict) and isinstance(data.get("n"), str) and set(data) == {"n"}:
            return Session(nonce=data["n"], loaded=True)
        return Session()  # a cookie of another version (one naming a user without a session): nobody

    async def resolve(self, request: Request, session: Session) -> User:
        """The user of a logged-in session while it holds (and the account is active); else the public
        visitor, and the session is dropped (its cookie deleted)."""
        session_id = session.session_id
        if not session_id:
            return ANONYMOUS
        idle = self.settings.session_idle_minutes

        def who(c: Any) -> User | None:
            name = sessions.user_of(c.store, session_id, idle)
            return c.user(name) if name else None

        try:
            found = await run_in_threadpool(self.holder.call, who)
        except (IPCockpitError, OSError, sqlite3.Error) as exc:  # the pages say what is wrong with the store
            log.warning("session not looked up (%s): %s %s", exc, request.method, request.url.path)
            found = None
        if not isinstance(found, User):
            session.logout()
            return ANONYMOUS
        session.user_name = found.name
        return found

    async def start(self, request: Request, user: User) -> str:
        session = session_of(request)
        before, name = session.session_id, str(user.name)
        remote = request.client.host if request.client else None

        def begin(c: Any) -> str:
            if before:
                sessions.end(c.store, before)
            return sessions.start(c.store, name, self.settings.session_hours, remote)

        session_id = await run_in_threadpool(self.holder.call, begin)
        session.login(user, session_id, self.csrf_of(session_id))
        request.scope.setdefault("state", {})["user"] = user
        return session.token

    async def end(self, request: Request) -> None:
        session = session_of(request)
        session_id = session.session_id
        if session_id:
            await run_in_threadpool(self.holder.call, lambda c: sessions.end(c.store, session_id))
        session.logout()

    def cookie_headers(self, request: Request, session: Session) -> list[tuple[bytes, bytes]]:
        secure = {"always": True, "never": False}.get(self.settings.secure_cookies, request.url.scheme == "https")
        r = Response()
        if session.cleared and not session.changed:
            r.delete_cookie(COOKIE, path="/", secure=secure, httponly=True, samesite="lax")
        else:
            serializer = self.usable_serializer()
            if serializer is None:
                return []
            data = {"s": session.session_id} if session.session_id else {"n": session.nonce}
            r.set_cookie(COOKIE, serializer.dumps(data), max_age=self.max_age, path="/", secure=secure,
                         httponly=True, samesite="lax")
        return [(k, v) for k, v in r.raw_headers if k == b"set-cookie"]


# the middleware -------------------------------------------------------------------------------------
class AuthMiddleware:
    def __init__(self, app: Callable[..., Awaitable[None]], keeper: SessionKeeper, refuse: Refuse) -> None:
        self.app, self.keeper, self.refuse = app, keeper, refuse
        self.holder, self.settings = keeper.holder, keeper.settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        session = self.keeper.read(request)
        state = scope.setdefault("state", {})
        state["session"] = session
        user = await self.keeper.resolve(request, session)
        state["user"] = user
        write = scope["method"] not in SAFE_METHODS
        status: dict[str, int] = {}

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                if session.changed or session.cleared:
                    headers = MutableHeaders(scope=message)
                    for k, v in self.keeper.cookie_headers(request, session):
                        headers.append(k.decode("latin-1"), v.decode("latin-1"))
            await send(message)

        refusal: Response | None = None
        try:
            if not write:
                refusal = self.check_policy(request, user)
            else:
                # nothing of the body is read before the origin, the policy and the declared length pass
                refusal = self.check_origin(request) or self.check_policy(request, user)
                if refusal is None:
                    refusal, body = await self.read_body(request, receive)
                    if refusal is None:
                        state.setdefault("audit_detail", _body_detail(request, body))
                        refusal = await self.check_csrf(Request(scope, _replay(body, receive)), session)
                        receive = _replay(body, receive)  # the route reads the body again
            if refusal is not None:
                await refusal(scope, receive, send_with_cookie)
            else:
                await self.app(scope, receive, send_with_cookie)
        finally:
            if write:
                await self.audit(request, user, status.get("code", 500), refusal is not None)

    async def read_body(self, request: Request, receive: Receive) -> tuple[Response | None, bytes]:
        """The body, or the 413 refusal of one over the route's limit (by its length, before reading it)."""
        limit = self.settings.body_limits.for_path(request.url.path)
        declared = bodies.declared_length(request.headers)
        try:
            if declared is not None and declared > limit:
                raise bodies.TooLarge(limit)
            return None, await bodies.read(receive, limit)
        except bodies.TooLarge:
            t = i18n.Translator(_language(request))
            return self._refuse(request, 413, t("auth.body_too_large", limit=bodies.size_text(limit, t("auth.bytes"))),
                                "too_large"), b""

    def check_origin(self, request: Request) -> Response | None:
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc != request.headers.get("host", ""):
            t = i18n.Translator(_language(request))
            return self._refuse(request, 403, t("auth.cross_site", origin=origin), "cross_site")
        return None

    async def check_csrf(self, request: Request, session: Session) -> Response | None:
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
                t = i18n.Translator(_language(request))
                return self._refuse(request, 400, t("error.bad_body", detail=str(exc.detail)), "bad_body")
        expected = (session.token if session.session_id else session.nonce) if session.loaded else ""
        if expected and sent and hmac.compare_digest(sent, expected):
            return None
        t = i18n.Translator(_language(request))
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
        except (IPCockpitError, OSError, sqlite3.Error) as exc:  # the store cannot be opened: the log at least
            log.warning("audit entry not stored (%s): %s %s by %s: %s", exc, request.method, request.url.path,
                        who.label, outcome)


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
    except (ValueError, RecursionError):  # deeply nested arrays exhaust the parser's recursion
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
