"""The analyst's page of patent navigation (docs/navigation.md, "Analyst tools"):

* ``/navigation/{industry}/tree`` (技术分解表与标注): the decomposition tree with each branch's documents, the forms
  that edit it (add, rename, move, delete, parts; kept with the signed-in analyst's name), the marking queue (the
  next documents with title and abstract, a button per branch and one for "not in the industry") and the check of
  the definition (recall and precision on the marks). ``/api/navigation/{industry}/tree`` is the tree's data.
* ``/api/navigation/{industry}/marks``, ``/check``, ``/suggest``: the marks, the check and the queue as JSON.
* Writes: the page's forms (``POST /navigation/{industry}/tree``, ``/marks``: 303 back to the page) and the JSON API
  (``POST /api/navigation/{industry}/tree``, ``/marks``, ``/tag``). The policy table lets analysts and admins make
  them (:data:`ipcockpit.web.auth.POLICY`); a read-only server refuses them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from ipcockpit.app import Cockpit
from ipcockpit.errors import IPCockpitError, StoreError
from ipcockpit.navigation.analyst import EDITS, AnalystTools
from ipcockpit.navigation.industry import DefinitionError
from ipcockpit.web import render
from ipcockpit.web.auth import allowed, audit_target, current_user
from ipcockpit.web.bodies import json_object
from ipcockpit.web.context import Web
from ipcockpit.web.errors import BadRequest, Forbidden, NotFound
from ipcockpit.web.pages import Page, PageParams, View, parse, show

READ_ONLY = "the server is read-only: edit trees and mark documents with `ipcockpit nav` or a writable server"


class TreeParams(PageParams):
    sizes: bool = Field(True, description="Count each branch's documents (resolves the industry: ~0.1–0.5 s).")
    n: int = Field(8, ge=0, le=50, description="Documents in the page's marking queue (0 to 50).")


class SuggestParams(PageParams):
    n: int = Field(10, ge=1, le=50, description="How many documents to mark next (1 to 50).")
    seed: int = Field(0, ge=0, description="With a sample: the same seed draws the same documents.")


def tools(c: Cockpit) -> AnalystTools:
    """The analyst's tools of ``c``."""
    return c.navigation.analyst


def _industry(c: Cockpit, industry: str | None) -> AnalystTools:
    """The tools, after checking ``industry`` is a preset or a saved definition (else 404)."""
    tl = tools(c)
    try:
        tl.definition(str(industry))
    except DefinitionError as exc:
        raise NotFound(str(exc), "nav.analyst.unknown_industry", industry=industry) from exc
    return tl


def tree_data(c: Cockpit, p: TreeParams, v: View) -> dict[str, Any]:
    tl = _industry(c, v.key)
    d = tl.definition(str(v.key))
    return {**tl.tree(str(v.key), sizes=p.sizes), "definition": d.to_dict()}


def _tree_extra(c: Cockpit, data: dict[str, Any], p: TreeParams, v: View) -> dict[str, Any]:
    tl = tools(c)
    industry = data["industry"]
    path = f"/navigation/{industry}/tree"
    return {"check": tl.check(industry), "queue": tl.suggest(industry, p.n) if p.n else None,
            "may_edit": allowed(v.user, "POST", path) and not v.user.is_public and not v.read_only,
            "read_only": v.read_only, "actions": list(EDITS)}


def marks_data(c: Cockpit, p: PageParams, v: View) -> dict[str, Any]:
    return _industry(c, v.key).marks(str(v.key))


def check_data(c: Cockpit, p: PageParams, v: View) -> dict[str, Any]:
    return _industry(c, v.key).check(str(v.key))


def suggest_data(c: Cockpit, p: SuggestParams, v: View) -> dict[str, Any]:
    return _industry(c, v.key).suggest(str(v.key), p.n, p.seed)


TREE = Page("navigation_tree", tree_data, TreeParams, path="/navigation/{industry}/tree",
            template="navigation_tree.html", extra=_tree_extra, formats=("html", "json"),
            summary="Decomposition tree 技术分解表 of an industry: branches with their documents",
            description="Each branch: `depth`, `parts`, `documents` (members whose deepest branch it is), `total` "
                        "(members in it or below), `marks`; `members` and `unassigned` (in no branch). The page adds "
                        "the marking queue and the definition's check.")
PAGES = (
    TREE,
    Page("navigation_marks", marks_data, PageParams, path="/navigation/{industry}/marks", formats=("json",),
         summary="The analyst's marks of an industry: branch marks (tagger examples) and in/out marks"),
    Page("navigation_check", check_data, PageParams, path="/navigation/{industry}/check", formats=("json",),
         summary="Recall and precision of an industry's definition on the analyst's in/out marks",
         description="Counts of true/false positives and negatives, recall and precision with 95 % Wilson "
                     "intervals (null when nothing to divide by), the false positives and negatives listed."),
    Page("navigation_suggest", suggest_data, SuggestParams, path="/navigation/{industry}/suggest", formats=("json",),
         summary="The next documents to mark: the tagger's queue, or a sample of members and near misses",
         description="`source` is `queue` or `sample`; `note` (an i18n key) says why a sample was drawn."),
)


def _fields(form: Any) -> dict[str, str]:
    return {k: v.strip() for k, v in form.items() if isinstance(v, str)}


def _write(web: Web, request: Request, industry: str, fn: Any) -> Any:
    """``fn(tools)`` for a write: refused on a read-only server, 404 for an unknown industry."""
    if web.read_only:
        raise Forbidden(READ_ONLY, "nav.analyst.read_only")
    return web.call(lambda c: fn(_industry(c, industry)))


def _analyst(request: Request) -> str:
    return current_user(request).label


def _edit(tl: AnalystTools, industry: str, fields: dict[str, Any], analyst: str) -> dict[str, Any]:
    action = str(fields.get("action") or "")
    keep = {k: fields.get(k) for k in ("branch", "parent", "name_zh", "name_en", "parts")}
    return tl.edit(industry, action, analyst, **keep)


def _mark(tl: AnalystTools, industry: str, fields: dict[str, Any], analyst: str) -> dict[str, Any]:
    doc = str(fields.get("doc_id") or "").strip()
    if not doc:
        raise BadRequest("doc_id: required (the document to mark)")
    branch = fields.get("branch") or None
    if str(fields.get("remove") or "").lower() in ("1", "true", "yes"):
        return tl.unmark(industry, doc, branch)
    relevant = fields.get("relevant")
    if isinstance(relevant, str):
        relevant = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(
            relevant.lower())
    return tl.mark(industry, doc, branch, relevant if branch is None else None, analyst)


def register(app: FastAPI, web: Web) -> None:
    """The page's forms and the JSON writes."""

    def again(request: Request, industry: str, error: str) -> Response:
        params = parse(TreeParams, {})
        return show(web, request, TREE, params, "html", key=industry, status_code=400, context={"error": error})

    def back(request: Request, industry: str, **done: str) -> RedirectResponse:
        url = request.url_for("navigation_tree_html", industry=industry).include_query_params(**done)
        return RedirectResponse(f"{url.path}?{url.query}", status_code=303)

    async def form_write(request: Request, industry: str, fn: Any, done: str) -> Response:
        async with request.form() as form:
            fields = _fields(form)
        audit_target(request, f"navigation:{industry}", {k: v for k, v in fields.items() if k != "csrf_token"})
        t = web.translator(request)
        try:
            out = _write(web, request, industry, lambda tl: fn(tl, industry, fields, _analyst(request)))
        except (StoreError, NotFound, Forbidden):
            raise
        except IPCockpitError as exc:
            key = getattr(exc, "key", None)
            return again(request, industry, t(key, **exc.values) if key else  # type: ignore[attr-defined]
                         t("nav.analyst.error", detail=str(exc)))
        shown = out.get("doc_id") if done == "marked" else out.get("id") or out.get("branch")
        return back(request, industry, **{done: str(shown or "")})

    @app.post("/navigation/{industry}/tree", response_class=HTMLResponse, name="navigation_tree_form",
              summary="Tree edit form 编辑技术分解表 (action add|rename|move|delete|parts); redirects back")
    async def navigation_tree_form(request: Request, industry: str) -> Response:
        return await form_write(request, industry, _edit, "edited")

    @app.post("/navigation/{industry}/marks", response_class=HTMLResponse, name="navigation_marks_form",
              summary="Mark form 标注 (doc_id with a branch, or relevant=false: not in the industry); redirects back")
    async def navigation_marks_form(request: Request, industry: str) -> Response:
        return await form_write(request, industry, _mark, "marked")

    body = json_object

    @app.post("/api/navigation/{industry}/tree", summary="Edit the decomposition tree: JSON {action: add|rename|"
              "move|delete|parts, branch, parent, name_zh, name_en, parts}")
    async def navigation_tree_api_edit(request: Request, industry: str) -> Response:
        fields = await body(request)
        audit_target(request, f"navigation:{industry}", fields)
        out = _write(web, request, industry, lambda tl: _edit(tl, industry, fields, _analyst(request)))
        return render.json_response(out)

    @app.post("/api/navigation/{industry}/marks", summary="Mark a document: JSON {doc_id, branch} (a branch), "
              "{doc_id, relevant: true|false} (in or out of the industry), with remove: true to take it back")
    async def navigation_marks_api_write(request: Request, industry: str) -> Response:
        fields = await body(request)
        audit_target(request, f"navigation:{industry}", fields)
        out = _write(web, request, industry, lambda tl: _mark(tl, industry, fields, _analyst(request)))
        return render.json_response(out, status_code=201)

    @app.post("/api/navigation/{industry}/tag", summary="Tag the members no branch reaches, learning from the "
              "branch marks (needs the tagger): JSON {multi_label: false}")
    async def navigation_tag_api(request: Request, industry: str) -> Response:
        fields = await body(request)
        audit_target(request, f"navigation:{industry}")
        out = _write(web, request, industry, lambda tl: tl.tag_members(industry, bool(fields.get("multi_label"))))
        return render.json_response(out)
