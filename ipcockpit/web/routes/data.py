"""The data and ingest status page (数据与入库状态), its quarantine browser and the applicant profile
(申请人画像).

* ``/data``: table counts, the ingested source files, ingest runs, interrupted ingests and the
  data-quality checks. Source paths and run commands can hold raw data: only analysts and admins see
  them; other visitors see the counts. The app's own tables (users, session secret, audit log, schema
  version ...) are listed to admins only, marked internal.
* ``/data/quarantine``: the counts of quarantined records by kind of reason and field, then the records,
  filtered by ``file`` (id or part of the path), ``field``, ``code`` (the kind of reason) and ``reason``
  (part of its text), ``limit`` rows from ``offset``. Kinds and fields are named in the request's language
  (``quarantine.code.*``, ``quarantine.field.*``), the stored English reason kept as the evidence. The
  excerpts are raw data: the policy (:data:`ipcockpit.web.auth.POLICY`) lets analysts and admins in only.
* ``/applicant/{name}``: an applicant named in Chinese or English, as written or folded; an unknown name
  answers 404 with the applicants whose names contain it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from pydantic import Field

from ipcockpit.analytics.ingest_status import MAX_LIMIT
from ipcockpit.app import Cockpit
from ipcockpit.model.quarantine import field_key
from ipcockpit.web import charts
from ipcockpit.web.auth import ADMINS, WRITERS
from ipcockpit.web.errors import NotFound
from ipcockpit.web.pages import Page, PageParams, View

DEFAULT_QUARANTINE_LIMIT = 50
#: the places an ingester names (``line 9``, ``offset 4096``, ``record 3``, ``member.txt line 9``)
_PLACE = re.compile(r"\b(line|offset|record) (\d+)\b")


class DataParams(PageParams):
    limit: int = Field(200, ge=1, le=MAX_LIMIT, description=f"Latest source files listed, 1 to {MAX_LIMIT:,}.")


class QuarantineParams(PageParams):
    file: str | None = Field(None, description="A file id or part of the file's path.")
    field: str | None = Field(None, description="The field the ingester named (- for none).")
    code: str | None = Field(None, description="The kind of reason (no_number, bad_date ... other; docs/web.md).")
    reason: str | None = Field(None, description="Part of the reason's text.")
    limit: int = Field(DEFAULT_QUARANTINE_LIMIT, ge=1, le=10_000, description="Rows a page.")
    offset: int = Field(0, ge=0, description="Rows to skip (paging).")


class ApplicantParams(PageParams):
    limit: int = Field(200, ge=1, description="Documents listed.")


def shows_paths(v: View) -> bool:
    """True when the caller may see source paths, run commands and quarantine excerpts."""
    return v.user.has(WRITERS)


def _data_extra(c: Cockpit, data: dict[str, Any], p: DataParams, v: View) -> dict[str, Any]:
    """Who may follow the quarantine link; each source format's name in the request's language."""
    names = {f["name"]: f["label" if v.t.lang == "en" else "label_zh"] or f["label"] for f in c.formats()}
    return {"can_quarantine": shows_paths(v), "format_names": defaultdict(str, names)}


def field_name(t: Any, field: str | None) -> str:
    """A quarantined record's field in the language of ``t``: its catalogue name, else as the ingester wrote it."""
    key = field_key(field) if field and field != "-" else None
    if key and t.has(f"quarantine.field.{key}"):
        return str(t(f"quarantine.field.{key}"))
    return str(t("quarantine.no_field")) if not field or field == "-" else field


def position_text(t: Any, position: str | None) -> str:
    """A quarantined record's position in the language of ``t``: ``line 9`` -> ``第 9 行``."""
    return _PLACE.sub(lambda m: str(t(f"quarantine.at.{m[1]}", n=f"{int(m[2]):,}")), position or "")


def _quarantine_views(c: Cockpit, data: dict[str, Any], p: QuarantineParams, v: View) -> dict[str, Any]:
    """The kinds, fields and reasons of the quarantine page in the request's language. A reason is the name
    of its kind, the stored English text its evidence (shown as it is where the page is in English)."""
    t = v.t
    english = t.lang == "en"  # the language the ingesters write their reasons in

    def kind(code: str | None) -> str:
        return str(t(f"quarantine.code.{code or 'other'}"))

    groups = [{**g, "kind": kind(g["reason_code"]), "field_name": field_name(t, g["field"])} for g in data["groups"]]
    rows = [{"kind": kind(r["reason_code"]), "field_name": field_name(t, r["field"]),
             "position": position_text(t, r["position"]),
             "text": r["reason"] if english or r["reason_code"] == "other" else kind(r["reason_code"]),
             "title": kind(r["reason_code"]) if english else r["reason"]} for r in data["rows"]]
    fields = [{**f, "name": field_name(t, f["field"])} for f in data["fields"]]
    return {"group_views": groups, "row_views": rows, "field_views": fields,
            "kinds": sorted({g["reason_code"] for g in data["groups"]})}


def applicant_data(c: Cockpit, p: ApplicantParams, v: View) -> dict[str, Any]:
    name = v.key or ""
    data = c.applicant(name, p.limit)
    if data is None:
        raise NotFound(f"no applicant named {name!r}", "applicant.not_found", name=name, template="applicant.html",
                       page="applicant", body={"query": name, "found": False,
                                               "suggestions": c.applicant_suggestions(name)})
    return {**data, "found": True}


def _applicant_charts(c: Cockpit, data: dict[str, Any], p: ApplicantParams, v: View) -> dict[str, Any]:
    return {"trend_chart": charts.office_year_bars(data["by_office_year"], v.t),
            "undated": charts.undated_summary(data["by_office_year"]),
            "ipc_chart": charts.ipc_pie(data["top_subclasses"], v.t, v.t.lang)}


PAGES = (
    Page("data", lambda c, p, v: c.data_status(show_paths=shows_paths(v), limit=p.limit,
                                               show_internal=v.user.has(ADMINS)), DataParams,
         template="data.html", extra=_data_extra,
         summary="Data and ingest status 数据与入库状态"),
    Page("quarantine", lambda c, p, v: c.quarantine_page(p.file, p.field, p.reason, p.limit, p.offset, p.code),
         QuarantineParams, path="/data/quarantine", template="quarantine.html", section="rows", download_all=True,
         extra=_quarantine_views,
         summary="Quarantine browser 隔离记录 (analysts)"),
    Page("applicant", applicant_data, ApplicantParams, path="/applicant/{name:path}", template="applicant.html",
         extra=_applicant_charts, download_all=True, summary="Applicant profile 申请人画像",
         description="`name` in Chinese or English, as written (`Matsushita Electric Industrial Co., Ltd.`) or "
                     "folded (`matsushita electric industrial`); a suffix .json, .csv or .xlsx picks the format."),
)
