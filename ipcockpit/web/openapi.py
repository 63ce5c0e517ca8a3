"""The app's OpenAPI document (``/openapi.json``, ``/docs``): FastAPI's, plus what the routes do that their
signatures do not say. One place, so that no route decorator repeats it:

* **Errors**: every error answers ``{"error": message}`` (schema ``Error``; a page route may answer its
  error page instead, ``text/html``), with the status :data:`ERRORS` names, on the operations its rule
  picks: 400 where there is anything to get wrong (a parameter or a body), 401 and 403 where the route
  policy (:data:`ipcockpit.web.auth.POLICY`) names roles, 403 on every write too (the CSRF token, another
  site's ``Origin``, a read-only store), 404 where the path names something, 413 on every write (a body
  over the route's limit), 429 on the log-in (throttled), 503 everywhere (the store cannot be opened; a
  search without its index). FastAPI's 422 is not offered: a parameter that fails its
  model answers 400 (:mod:`ipcockpit.web.errors`).
* **Request bodies** of the routes that read their body themselves (forms, uploads, JSON lists):
  :data:`BODIES`; and their success status where it is not 200 (:data:`SUCCESS`: 201 created, 303 a form
  that redirects).

tests/test_api_schemathesis.py runs every operation and fails on a status the document does not declare.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute

from ipcockpit.web.auth import SAFE_METHODS, rule_for

Operation = tuple[str, str, dict[str, Any]]  # method (upper case), path, the operation's object
_PARAM = re.compile(r"\{(\w+)(?::path)?\}")


def _has_input(method: str, path: str, op: dict[str, Any]) -> bool:
    return bool(op.get("parameters") or op.get("requestBody")) or method not in SAFE_METHODS


def _policy(method: str, path: str, op: dict[str, Any]) -> bool:
    concrete = _PARAM.sub(lambda m: "json" if m[1] == "fmt" else "x", path)
    return rule_for(method, concrete) is not None


def _names_something(method: str, path: str, op: dict[str, Any]) -> bool:
    return any(m[1] != "fmt" for m in _PARAM.finditer(path))


#: status -> (what it means, which operations answer it); the order of the document
ERRORS: dict[int, tuple[str, Callable[[str, str, dict[str, Any]], bool]]] = {
    400: ("Bad request: a parameter, form field, body or upload to fix; the message names it and what to write.",
          _has_input),
    401: ("Sign-in required: the route policy names the roles that may (POST /login, then send the session "
          "cookie).", lambda m, p, o: _policy(m, p, o) or (m, p) == ("POST", "/login")),
    403: ("Not allowed: the caller's role may not; a write without the session's CSRF token (header "
          "X-CSRF-Token or form field csrf_token) or from another site's Origin; a write on a read-only store.",
          lambda m, p, o: _policy(m, p, o) or m not in SAFE_METHODS),
    404: ("Nothing in the store has that number, name or id.", _names_something),
    413: ("Too large: the request body is over the route's limit (docs/operations.md); nothing was read.",
          lambda m, p, o: m not in SAFE_METHODS),
    429: ("Too many failed log-ins for this account or address: wait (Retry-After) and try again.",
          lambda m, p, o: (m, p) == ("POST", "/login")),
    503: ("Not available now: the store cannot be opened (held by another process), or the search index is "
          "not built yet (`ipcockpit index`).", lambda m, p, o: True),
}

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string", "description": "What was wrong and what to do, in the caller's "
                                                               "language (?lang=, the cookie, the setting)."}},
    "additionalProperties": True,  # a 404 of an applicant adds query, found and suggestions
}

_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_JSON = "application/json"
_CSRF = {"csrf_token": {"type": "string", "description": "The session's CSRF token (or the header X-CSRF-Token)."}}


def _fields(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def _text(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


_FILE = {"type": "string", "format": "binary"}
_REPORT = {"region": _text("GB/T 2260 code (default 500120)."), "indicator": _text("Indicator id or name."),
           "year": {"type": "integer", "examples": [2024]}, "value": {"type": "number"},
           "source": _text("The document the value comes from."), "reported_by": _text("Who reports."),
           "note": _text("A note."), "basis": _text("year: the year's amount of a running total.")}
_NUMBERS = {"type": "array", "items": {"type": "string"}, "examples": [["CN115883397B", "ZL202211359874.7"]]}

_RECORD = {"organisation": _text("Entity id (o:…) or a name as on its documents."),
           "kind": _text("penalty, judgment, dishonesty_list, commitment, inspection, demonstration, advantage."),
           "category": _text("A category id of the credit rules."), "decided_on": _text("Date, e.g. 2025-05-31."),
           "authority": _text("认定机关."), "document_no": _text("文书编号."), "summary": _text("摘要.")}
_REPAIR = {"key": _text("record:<id> or case:<case_id>."), "repaired_on": _text("Date, e.g. 2025-08-01."),
           "basis": _text("What the repair rests on.")}
_CREDIT_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/credit/record"): {_FORM: _fields({**_RECORD, **_CSRF})},
    ("POST", "/credit/repair"): {_FORM: _fields({**_REPAIR, **_CSRF})},
    ("POST", "/api/credit/records"): {_JSON: _fields(_RECORD, ("organisation", "kind", "decided_on"))},
    ("POST", "/api/credit/repairs"): {_JSON: _fields(_REPAIR, ("key", "repaired_on", "basis"))},
    ("POST", "/api/credit/links"): {_JSON: _fields({"user": _text("An enterprise user."), "organisation": _text(
        "Its organisation (empty: unlink).")}, ("user",))},
}

#: (method, path) -> {media type: schema} of the routes that read their body themselves
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/cockpit/reported"): {_FORM: _fields({
        **{k: v for k, v in _REPORT.items() if k != "source"},
        "source_document": _text("The document the value comes from."),
        "back_year": _text("The year the cockpit page showed."), **_CSRF})},
    ("POST", "/api/cockpit/reported"): {_JSON: {"oneOf": [_fields(_REPORT), {"type": "array",
                                                                            "items": _fields(_REPORT)}]}},
    ("POST", "/cockpit/reported/csv"): {_MULTIPART: _fields({
        "file": _FILE, "region": _REPORT["region"], "reported_by": _REPORT["reported_by"],
        "back_year": _text("The year the cockpit page showed."), **_CSRF}, ("file",))},
    ("POST", "/api/cockpit/reported/csv"): {_MULTIPART: _fields({
        "file": _FILE, "region": _REPORT["region"], "reported_by": _REPORT["reported_by"]}, ("file",))},
    ("POST", "/cockpit/publish"): {_FORM: _fields({
        "ids": _text("Ids of reported values, separated by commas or spaces."),
        "published": {"type": "string", "enum": ["true", "false"]}, "region": _REPORT["region"], **_CSRF})},
    ("POST", "/screen"): {_MULTIPART: _fields({
        "numbers": _text("Publication numbers, one a line."), "file": _FILE,
        "format": {"type": "string", "enum": ["html", "json", "csv", "xlsx"]},
        "profile": _text("Value-index profile."), "region": _text("GB/T 2260 code (prefix)."), **_CSRF})},
    ("POST", "/api/screen"): {_JSON: {"oneOf": [_NUMBERS, _fields({"numbers": _NUMBERS}, ("numbers",))]}},
    ("POST", "/fto"): {_FORM: _fields({
        "text": _text("The product description."), "jurisdictions": _text("Office codes: CN, US."),
        "exclude_applicants": _text("Applicants left out, one a line."), "limit": {"type": "integer"},
        "format": {"type": "string", "enum": ["page", "pdf", "report", "json"]}, **_CSRF})},
    ("POST", "/admin/users"): {_FORM: _fields({"name": _text("User name."), "role": {
        "type": "string", "enum": ["enterprise", "analyst", "admin"]}, "password": _text("At least 8 characters."),
        **_CSRF})},
    ("POST", "/api/users"): {_JSON: _fields({"name": {"type": "string"}, "role": {
        "type": "string", "enum": ["enterprise", "analyst", "admin"]}, "password": {"type": "string"}},
        ("name", "role", "password"))},
    ("POST", "/login"): {
        _FORM: _fields({"username": {"type": "string"}, "password": {"type": "string"},
                        "next": _text("Path to go to afterwards."), **_CSRF}),
        _JSON: _fields({"username": {"type": "string"}, "password": {"type": "string"}}, ("username", "password"))},
    ("POST", "/api/cockpit/publish"): {_JSON: _fields({"ids": {"type": "array", "items": {"type": "integer"}},
                                                       "published": {"type": "boolean"}}, ("ids",))},
    ("POST", "/api/portfolios"): {_JSON: _fields({"name": {"type": "string"}, "numbers": _NUMBERS},
                                                 ("name", "numbers"))},
    **_CREDIT_BODIES,
}

_CREATED = {"201": {"description": "Created: the rows written, as JSON."}}
_SEE_OTHER = {"303": {"description": "Done: back to the page (Location)."}}
#: (method, path) -> the success answers of a route that does not answer 200
SUCCESS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/cockpit/reported"): _CREATED, ("POST", "/api/cockpit/reported/csv"): _CREATED,
    ("POST", "/api/users"): _CREATED, ("POST", "/api/portfolios"): _CREATED,
    ("POST", "/cockpit/reported"): _SEE_OTHER, ("POST", "/cockpit/reported/csv"): _SEE_OTHER,
    ("POST", "/cockpit/publish"): _SEE_OTHER, ("POST", "/admin/users"): _SEE_OTHER,
    ("POST", "/login"): {"200": {"description": "JSON login: user, role and the CSRF token."}, **_SEE_OTHER},
    ("POST", "/logout"): {"200": {"description": "JSON logout."}, **_SEE_OTHER},
    ("POST", "/credit/record"): _SEE_OTHER, ("POST", "/credit/repair"): _SEE_OTHER,
}


#: path heads that share one tag of the API docs with another (the rest: the head itself)
_TAG_OF = {"": "cockpit", "login": "auth", "logout": "auth", "me": "auth", "users": "auth", "audit": "auth",
           "admin": "auth", "docs": "auth", "healthz": "data", "ingest": "data", "upload": "data",
           "portfolios": "screen", "patent": "screen", "applicant": "overview", "talent": "graph",
           "organisation": "graph", "inventor": "graph", "strength": "graph"}


def tag(path: str) -> str:
    """The area of a path, its tag in the API docs: the first segment after ``/api`` without a suffix
    (``/api/marks/protected.{fmt}`` → ``marks``). 150-odd operations drawn at once stall Swagger UI (the page
    drew 12 and stopped); grouped by area and folded (``docExpansion: none``) it draws a tag when it is opened."""
    head = path.strip("/").removeprefix("api").strip("/").split("/")[0].split(".")[0]
    return _TAG_OF.get(head, head)


def complete(app: FastAPI, doc: dict[str, Any]) -> dict[str, Any]:
    """FastAPI's document ``doc`` of ``app`` with the errors, bodies and success answers above and a tag per area
    (in place)."""
    pages = {(m, r.path) for r in app.routes if isinstance(r, APIRoute)
             for m in r.methods if r.response_class is HTMLResponse or r.name.endswith("_html")}
    for path, ops in doc.get("paths", {}).items():
        for lower, op in ops.items():
            method = lower.upper()
            key = (method, path)
            op.setdefault("tags", [tag(path)])
            if key in BODIES and "requestBody" not in op:
                op["requestBody"] = {"content": {t: {"schema": s} for t, s in BODIES[key].items()}}
            responses: dict[str, Any] = op.setdefault("responses", {})
            responses.pop("422", None)
            if key in SUCCESS:
                responses.pop("200", None)
                responses.update(SUCCESS[key])
            content: dict[str, Any] = {_JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}
            if key in pages:
                content["text/html"] = {"schema": {"type": "string"}}
            for status, (description, applies) in ERRORS.items():
                if applies(method, path, op):
                    responses.setdefault(str(status), {"description": description, "content": content})
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["Error"] = ERROR_SCHEMA
    return doc


def install(app: FastAPI) -> None:
    """``app.openapi()`` answers FastAPI's document completed by :func:`complete`, built once."""
    fastapi_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(app, fastapi_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
