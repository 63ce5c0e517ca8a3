"""Credit tiers (信用分级, docs/monitoring.md "Credit tiers"):

* ``/credit``: the tier of every organisation, worst first, filtered by tier, category and name, with the counts
  by tier (``.json``, ``.csv``, ``.xlsx``, ``/api/credit``); an enterprise user sees its own organisation only (the
  one an admin linked its account to), nothing when unlinked; analysts and admins see all and the forms.
* ``/credit/org/{id}``: an organisation's tier with why, its evidence (each record or case with its rule, window,
  state, repair) and, for analysts, the audit log about it (``/api/credit/org/{id}``); an enterprise user asking for
  another organisation gets 403.
* Writes (analysts and admins; admins for links): ``POST /credit/record``, ``/credit/load`` (a CSV/XLSX file of
  records, all or nothing) and ``/credit/repair`` (the page's forms),
  ``POST /api/credit/records``, ``/api/credit/repairs``, ``/api/credit/compute``, ``/api/credit/links``;
  ``GET /api/credit/rules``, ``/api/credit/audit``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field
from starlette.datastructures import UploadFile

from ipcockpit import i18n
from ipcockpit.app import Cockpit
from ipcockpit.auth import ADMIN, ANALYST
from ipcockpit.credit import CreditError, CreditForbidden, CreditNotFound
from ipcockpit.credit.rules import Rules
from ipcockpit.credit.service import TIER_CHOICES, Credit
from ipcockpit.web import render
from ipcockpit.web.auth import allowed, audit_target, current_user
from ipcockpit.web.bodies import json_object
from ipcockpit.web.context import Web
from ipcockpit.web.errors import BadRequest, Forbidden, NotFound
from ipcockpit.web.pages import Fields, Page, PageParams, View, parse

T = TypeVar("T")
RECORD_PATH, REPAIR_PATH, LOAD_PATH, LINK_PATH = "/credit/record", "/credit/repair", "/credit/load", "/credit/link"


def credit(c: Cockpit) -> Credit:
    """The credit service of the core object (``Cockpit.monitor.credit``)."""
    return c.monitor.credit


def _answer(fn: Callable[[], T], write: bool = False) -> T:
    """The service's errors as the web's: unknown → 404 (400 in a write: a field of its body names it), another's
    organisation → 403, a bad value → 400."""
    try:
        return fn()
    except CreditNotFound as exc:
        raise (BadRequest(str(exc)) if write else NotFound(str(exc))) from exc
    except CreditForbidden as exc:
        raise Forbidden(str(exc), "credit.forbidden") from exc
    except CreditError as exc:
        raise BadRequest(str(exc)) from exc


class CreditParams(PageParams):
    tier: str | None = Field(None, json_schema_extra={"enum": list(TIER_CHOICES)}, description="Only this tier.")
    category: str | None = Field(None, max_length=64, description="Only organisations with a counting record of "
                                 "this category (an id of the rules).")
    q: str | None = Field(None, max_length=200, description="Part of a name or an entity id.")
    as_of: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="As of this date (default today).")
    limit: int = Field(200, ge=1, description="Organisations listed.")


class CreditListParams(CreditParams):
    loaded: int | None = Field(None, ge=0, description="After a file was loaded: the records it added.")
    already: int | None = Field(None, ge=0, description="After a file was loaded: its records already there.")


class CreditOrgParams(PageParams):
    as_of: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="As of this date (default today).")


class RecordForm(Fields):
    organisation: str = Field(..., max_length=200, description="Entity id (o:…) or a name as on its documents.")
    kind: str = Field(..., max_length=64)
    category: str | None = Field(None, max_length=64)
    decided_on: str = Field(..., max_length=20, description="Date of the decision (2024-05-31).")
    authority: str | None = Field(None, max_length=200)
    document_no: str | None = Field(None, max_length=200)
    summary: str | None = Field(None, max_length=2000)


class RepairForm(Fields):
    key: str = Field(..., max_length=200, description="record:<id> or case:<case_id>.")
    repaired_on: str = Field(..., max_length=20)
    basis: str = Field(..., max_length=2000)


class LinkForm(Fields):
    user: str = Field(..., max_length=64)
    organisation: str | None = Field(None, max_length=200, description="Empty: unlink.")


def _why(t: i18n.Translator, row: dict[str, Any], rules: Rules | None = None) -> str:
    """Why a tier, in the caller's language (a category by its name where the rules are at hand)."""
    values = {k: (f"{v:g}" if isinstance(v, float) else v) for k, v in row["reason_values"].items()}
    if rules is not None and values.get("category") in rules.categories:
        values["category"] = rules.categories[values["category"]].name(t.lang)
    return t(row["reason_key"], **values)


def list_data(c: Cockpit, p: CreditListParams, v: View) -> dict[str, Any]:
    return _answer(lambda: credit(c).listing(p.tier, p.category, p.q, p.limit, p.as_of, user=v.user))


def org_data(c: Cockpit, p: CreditOrgParams, v: View) -> dict[str, Any]:
    key = (v.key or "").strip()
    return _answer(lambda: credit(c).show(key, p.as_of, user=v.user))


def _list_tables(data: dict[str, Any], t: i18n.Translator) -> dict[str, Any]:
    rows = [{t("credit.tier"): t(f"credit.tier.{r['tier']}"), t("credit.organisation"): r["name"],
             "entity_id": r["entity_id"], t("credit.weight"): r["weight"], t("credit.failures"): r["failures"],
             t("credit.positive"): r["positive"], t("credit.categories"): r["categories"],
             t("credit.latest"): r["latest"], t("credit.why"): _why(t, r)} for r in data["organisations"]]
    return {"organisations": rows}


def _org_tables(data: dict[str, Any], t: i18n.Translator) -> dict[str, Any]:
    rows = [{"key": e["key"], t("credit.kind"): e["kind"], t("credit.category"): e.get("category"),
             t("credit.date"): e["date"], t("credit.until"): e.get("until"),
             t("credit.state"): t(f"credit.state.{e['state']}"),
             t("credit.weight"): e.get("weight"), t("credit.authority"): e.get("authority"),
             t("credit.document_no"): e.get("document_no"), t("credit.origin"): e.get("origin"),
             t("credit.repaired_on"): (e.get("repair") or {}).get("repaired_on"),
             t("credit.basis"): (e.get("repair") or {}).get("basis")} for e in data["evidence"]]
    return {"evidence": rows, "audit": data["audit"]}


def _list_extra(c: Cockpit, data: dict[str, Any], p: CreditListParams, v: View) -> dict[str, Any]:
    service = credit(c)
    rules = service.rules
    return {"why": {r["entity_id"]: _why(v.t, r, rules) for r in data["organisations"]}, "rules": rules,
            "can_record": not v.read_only and allowed(v.user, "POST", RECORD_PATH), "load_path": LOAD_PATH,
            "can_link": not v.read_only and allowed(v.user, "POST", LINK_PATH), "link_path": LINK_PATH,
            "links": service.links() if allowed(v.user, "POST", LINK_PATH) else [],
            "linked": v.user.role not in (ADMIN, ANALYST) and bool(data["scope"]),
            "tiers": TIER_CHOICES, "lang": v.t.lang, "loaded": p.loaded, "already": p.already}


def _org_extra(c: Cockpit, data: dict[str, Any], p: CreditOrgParams, v: View) -> dict[str, Any]:
    rules = credit(c).rules
    return {"why": _why(v.t, data, rules), "rules": rules, "lang": v.t.lang,
            "can_record": not v.read_only and allowed(v.user, "POST", RECORD_PATH),
            "can_repair": not v.read_only and allowed(v.user, "POST", REPAIR_PATH)}


PAGES = (
    Page("credit", list_data, CreditListParams, template="credit.html", extra=_list_extra, tables=_list_tables,
         section="organisations", download_all=True,
         summary="Credit tiers 信用分级: the tier A–D (or unknown) of each organisation, worst first, with why",
         description="Computed from the records and the confirmed signal cases as of `as_of` by the credit rules "
                     "(docs/monitoring.md \"Credit tiers\"). An enterprise user sees its own organisation only."),
    Page("credit_org", org_data, CreditOrgParams, path="/credit/org/{id:path}", template="credit_org.html",
         extra=_org_extra, tables=_org_tables, section="evidence",
         summary="An organisation's credit tier 主体信用等级: why, the evidence and its rules, windows, repairs",
         description="`id`: an organisation entity id (o:…) or a name as on its documents."),
)


def register(app: FastAPI, web: Web) -> None:
    """The record, repair, compute and link writes (forms and API), the rules and the audit log."""

    def writable() -> None:
        if web.read_only:
            raise Forbidden("the server is read-only: record credit changes with `ipcockpit credit record`",
                            "credit.read_only")

    def actor(request: Request) -> str:
        return current_user(request).label

    def record(request: Request, form: RecordForm) -> dict[str, Any]:
        writable()
        fields = form.model_dump()
        org = fields.pop("organisation")
        fields["entity_id" if org.startswith("o:") else "organisation"] = org
        done = web.call(lambda c: _answer(lambda: credit(c).record(fields, actor(request)), write=True))
        audit_target(request, f"credit record:{done['record_id']}", {"entity_id": done["entity_id"]})
        return done

    def repair(request: Request, form: RepairForm) -> dict[str, Any]:
        writable()
        done = web.call(lambda c: _answer(lambda: credit(c).repair(form.key, form.repaired_on, form.basis,
                                                                   actor(request)), write=True))
        audit_target(request, f"credit repair {done['evidence_key']}", {"entity_id": done["entity_id"]})
        return done

    async def form_fields(request: Request) -> dict[str, str]:
        async with request.form() as form:
            return {k: v for k, v in form.items() if isinstance(v, str)}

    json_body = json_object

    @app.post(RECORD_PATH, include_in_schema=False)
    async def credit_record_form(request: Request) -> Response:
        done = record(request, parse(RecordForm, await form_fields(request)))
        return RedirectResponse(f"/credit/org/{quote(done['entity_id'])}", status_code=303)

    @app.post(LOAD_PATH, include_in_schema=False)
    async def credit_load_form(request: Request) -> Response:
        """A CSV or XLSX file of records (docs/formats.md "Credit records"), all of it or nothing."""
        writable()
        async with request.form() as form:
            upload = form.get("file")
            content = await upload.read() if isinstance(upload, UploadFile) else b""
            name = Path(upload.filename or "").name if isinstance(upload, UploadFile) else ""
        if not content or not name:
            raise BadRequest("choose a CSV or XLSX file of credit records (docs/formats.md \"Credit records\")",
                             "credit.load_missing")
        with tempfile.TemporaryDirectory(prefix="ipcockpit-credit-") as folder:
            saved = Path(folder) / name
            saved.write_bytes(content)
            done = web.call(lambda c: _answer(lambda: credit(c).load(saved, actor(request), named=name), write=True))
        audit_target(request, f"credit load {name}", {"added": done["added"], "already": done["already"]})
        return RedirectResponse(f"/credit?loaded={done['added']}&already={done['already']}", status_code=303)

    @app.post(REPAIR_PATH, include_in_schema=False)
    async def credit_repair_form(request: Request) -> Response:
        done = repair(request, parse(RepairForm, await form_fields(request)))
        return RedirectResponse(f"/credit/org/{quote(done['entity_id'])}", status_code=303)

    @app.post("/api/credit/records", summary="Add a credit record (penalty, judgment, list entry …)", status_code=201)
    async def credit_record_api(request: Request) -> Response:
        return render.json_response(record(request, parse(RecordForm, await json_body(request))), status_code=201)

    @app.post("/api/credit/repairs", summary="Record a repair (信用修复) of a record or case", status_code=201)
    async def credit_repair_api(request: Request) -> Response:
        return render.json_response(repair(request, parse(RepairForm, await json_body(request))), status_code=201)

    @app.post("/api/credit/compute", summary="Recompute every tier, keep the snapshot and audit the changes")
    def credit_compute_api(request: Request) -> Response:
        writable()
        done = web.call(lambda c: _answer(lambda: credit(c).compute(None, actor(request)), write=True))
        audit_target(request, "credit compute", {"changed": len(done["changed"])})
        return render.json_response(done)

    def link(request: Request, form: LinkForm) -> dict[str, Any]:
        writable()
        done = web.call(lambda c: _answer(lambda: credit(c).link(form.user, form.organisation, actor(request)),
                                          write=True))
        audit_target(request, f"credit link user:{form.user}", {"entity_id": done["entity_id"]})
        return done

    @app.post(LINK_PATH, include_in_schema=False)
    async def credit_link_form(request: Request) -> Response:
        link(request, parse(LinkForm, await form_fields(request)))
        return RedirectResponse("/credit", status_code=303)

    @app.post("/api/credit/links", summary="Link an enterprise user to its organisation (admins)")
    async def credit_link_api(request: Request) -> Response:
        return render.json_response(link(request, parse(LinkForm, await json_body(request))))

    @app.get("/api/credit/rules", summary="The credit rules in force")
    def credit_rules_api() -> Response:
        return render.json_response(web.call(lambda c: _answer(lambda: credit(c).rules_data())))

    @app.get("/api/credit/audit", summary="The credit audit log, newest first (analysts and admins)")
    def credit_audit_api(entity: str | None = None, limit: int = 200) -> Response:
        if not 1 <= limit <= 10_000:
            raise BadRequest(f"limit={limit}: ask for 1 to 10,000 rows")
        return render.json_response({"audit": web.call(lambda c: credit(c).audit_log(entity, limit))})
