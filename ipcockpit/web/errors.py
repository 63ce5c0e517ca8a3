"""Errors of the web app, answered in one place: the exception handlers :func:`install` sets on the app.

Routes raise; they do not catch. Each error answers in the caller's format and language:

* :class:`BadRequest`, a parameter that fails its model (FastAPI's ``RequestValidationError``, a form's
  ``ValidationError``) and any other :class:`~ipcockpit.errors.IPCockpitError`: 400;
* :class:`Forbidden` (e.g. a write on a read-only store): 403 (the route policy's 401 and 403 answer through
  :func:`respond` too: :mod:`ipcockpit.web.auth`);
* :class:`NotFound` and an unknown path: 404 (a method the path does not take: 405);
* a form body starlette cannot parse (broken multipart): 400;
* :class:`~ipcockpit.errors.StoreError` and :class:`~ipcockpit.errors.UnavailableError` (no search index
  yet): 503. A store error answers a generic text (another program updating the database, or the
  database cannot be opened): its message names the file and the process holding it, which go to the
  server's log only.

The format: JSON ``{"error": message}`` (plus what a :class:`NotFound` adds, e.g. ``suggestions``) unless
the caller asked for a page, then the error page (or the page's own template, for a :class:`NotFound` that
names one). A page route says which format it answers in (``request.state.format``); before it runs (a bad
parameter) the path decides: ``/api/...`` and ``.json``/``.csv``/``.xlsx`` answer JSON, the routes named
``*_html`` a page. The message is the catalogue text of the error's ``key`` when it has one, else "the
request cannot be answered: <the error's own message>", which names the parameter and what to write.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException

from ipcockpit.errors import IPCockpitError, StoreError, StoreLockedError, UnavailableError
from ipcockpit.web.context import Web

log = logging.getLogger("ipcockpit.web")
DOWNLOAD_SUFFIXES = (".json", ".csv", ".xlsx")


class BadRequest(IPCockpitError):
    """A parameter or an upload the user must fix; the message says which and how. ``key`` names the
    catalogue text shown to people (with ``values``); the English message goes to logs."""

    def __init__(self, message: str, key: str | None = None, **values: Any) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


class Forbidden(BadRequest):
    """A request nobody may make now (a write to a read-only store). Who may make which request is the
    policy's business (:data:`ipcockpit.web.auth.POLICY`), not this error's."""


class NotFound(BadRequest):
    """Nothing has that name or number. ``body`` adds fields to the JSON answer (near names); with
    ``template`` a page answers with its own template, given ``data`` (``body`` plus the message)."""

    def __init__(self, message: str, key: str | None = None, *, body: Mapping[str, Any] | None = None,
                 template: str | None = None, page: str = "error", **values: Any) -> None:
        super().__init__(message, key, **values)
        self.body = dict(body or {})
        self.template = template
        self.page = page


def invalid(errors: list[Any], model: type[BaseModel] | None = None) -> BadRequest:
    """A :class:`BadRequest` naming each parameter that failed ``model``, and what to write instead (the
    field's first example, else its default)."""
    return BadRequest("; ".join(_field_message(e, model) for e in errors))


def _field_message(e: Mapping[str, Any], model: type[BaseModel] | None) -> str:
    loc = [str(x) for x in e.get("loc", ()) if x not in ("query", "path", "body")]
    name = ".".join(loc) or "request"
    value, kind, ctx = e.get("input"), e.get("type", ""), e.get("ctx") or {}
    given = f"{name}={value!r}"
    if kind == "value_error" and ctx.get("error") is not None:
        return str(ctx["error"])
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{given} is not a whole number; write e.g. {name}={_example(model, name, 10)}"
    if kind in ("float_parsing", "float_type"):
        return f"{given} is not a number; write e.g. {name}={_example(model, name, 1.5)}"
    if kind in ("bool_parsing", "bool_type"):
        return f"{given}: use 1 (yes) or 0 (no), or leave it out"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(ctx.values()), "")
        word = {"greater_than_equal": "at least", "greater_than": "more than", "less_than_equal": "at most",
                "less_than": "less than"}[kind]
        return f"{given}: give a number {word} {bound}"
    if kind == "missing":
        return f"{name}: required"
    return f"{given}: {e.get('msg', 'not accepted')}"


def _example(model: type[BaseModel] | None, name: str, fallback: Any) -> Any:
    field = model.model_fields.get(name) if model is not None else None
    if field is None:
        return fallback
    if field.examples:
        return field.examples[0]
    return field.default if isinstance(field.default, int | float) else fallback


def answer_format(request: Request) -> str:
    """``html`` when the caller asked for a page, else ``json``."""
    fmt = getattr(request.state, "format", None)
    if fmt:
        return "html" if fmt == "html" else "json"
    path = request.url.path
    if path.startswith("/api/") or path.lower().endswith(DOWNLOAD_SUFFIXES):
        return "json"
    asked = (request.query_params.get("format") or "").lower()
    if asked and asked != "html":
        return "json"
    route = request.scope.get("route")
    if route is not None:
        return "html" if str(getattr(route, "name", "")).endswith("_html") else "json"
    return "html" if "text/html" in request.headers.get("accept", "") else "json"


def respond(web: Web, request: Request, status: int, message: str, error: Exception | None = None) -> Response:
    """``message`` with ``status`` in the caller's format (:func:`answer_format`)."""
    body = error.body if isinstance(error, NotFound) else {}
    if answer_format(request) != "html":
        return JSONResponse({"error": message, **body}, status_code=status)
    if isinstance(error, NotFound) and error.template:
        return web.html(request, error.template, {"data": {**body, "message": message}}, error.page, status)
    t = web.translator(request)
    if not t.has(f"error.title_{status}"):
        return JSONResponse({"error": message, **body}, status_code=status)
    return web.html(request, "error.html", {"status": status, "message": message, "back": back_path(request)},
                    "error", status)


def back_path(request: Request) -> str:
    """Where to go on from an error page (after logging in): the page asked for, or for a form's submit the
    page that held the form (the Referer, when it is this site), else the home page."""
    if request.method == "GET":
        return request.url.path
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = referer.netloc == request.headers.get("host", "") and referer.path.startswith("/")
    return referer.path if same_site and not referer.path.startswith("//") else "/"


def message(web: Web, request: Request, exc: Exception) -> str:
    """What people read of ``exc``: its catalogue text, or its message in the bad-request sentence."""
    t = web.translator(request)
    key = getattr(exc, "key", None)
    if key:
        return t(key, **(getattr(exc, "values", None) or {}))
    if isinstance(exc, StoreError):  # the path and the holder's PID are for the log, not for visitors
        log.warning("%s %s: the store cannot be opened: %s", request.method, request.url.path, exc)
        return t("error.store_locked" if isinstance(exc, StoreLockedError) else "error.store_unavailable")
    if status_of(exc) != 400:  # not found, forbidden, unavailable: the message says it all
        return str(exc)
    return t("error.bad_request", detail=str(exc))


def http_message(web: Web, request: Request, exc: HTTPException) -> str:
    """Starlette's own errors in the caller's language: a form body it cannot parse (400), no such path
    (404), a method the path does not take (405); any other keeps its detail."""
    t = web.translator(request)
    if exc.status_code == 400:
        return t("error.bad_body", detail=str(exc.detail))
    if exc.status_code == 404:
        return t("error.no_path", path=request.url.path)
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return t("error.method", path=request.url.path, method=request.method, allowed=allowed)
    return str(exc.detail)


def status_of(exc: Exception) -> int:
    if isinstance(exc, StoreError | UnavailableError):
        return 503
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    return 400


def install(app: FastAPI, web: Web) -> None:
    """Answer every error of the app's routes as the module docstring says."""

    async def app_error(request: Request, exc: Exception) -> Response:
        return respond(web, request, status_of(exc), message(web, request, exc), exc)

    async def bad_parameters(request: Request, exc: Exception) -> Response:
        errors = exc.errors() if isinstance(exc, RequestValidationError | ValidationError) else []
        endpoint = getattr(request.scope.get("route"), "endpoint", None)
        bad = invalid(list(errors), getattr(endpoint, "params_model", None))
        return respond(web, request, 400, message(web, request, bad), bad)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        response = respond(web, request, exc.status_code, http_message(web, request, exc))
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response

    app.add_exception_handler(IPCockpitError, app_error)
    app.add_exception_handler(RequestValidationError, bad_parameters)
    app.add_exception_handler(ValidationError, bad_parameters)
    app.add_exception_handler(HTTPException, http_error)
