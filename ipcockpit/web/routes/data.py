"""The data and ingest status page (数据与入库状态), its quarantine browser and the applicant profile
(申请人画像).

* ``/data``: table counts, the ingested source files, ingest runs, interrupted ingests and the
  data-quality checks. Source paths and run commands can hold raw data: only analysts and admins see
  them; other visitors see the counts. The app's own tables (users, session secret, audit log, schema
  version ...) are listed to admins only, marked internal.
* ``/data/quarantine``: the quarantined records, filtered by ``file`` (id or part of the path), ``field``
  and ``reason`` (part of it), ``limit`` rows from ``offset``. The excerpts are raw data: the policy
  (:data:`ipcockpit.web.auth.POLICY`) lets analysts and admins in only.
* ``/applicant/{name}``: an applicant named in Chinese or English, as written or folded; an unknown name
  answers 404 with the applicants whose names contain it.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ipcockpit.app import Cockpit
from ipcockpit.web import charts
from ipcockpit.web.auth import ADMINS, WRITERS
from ipcockpit.web.errors import NotFound
from ipcockpit.web.pages import Page, PageParams, View

DEFAULT_QUARANTINE_LIMIT = 50


class DataParams(PageParams):
    limit: int = Field(200, ge=1, description="Latest source files listed.")


class QuarantineParams(PageParams):
    file: str | None = Field(None, description="A file id or part of the file's path.")
    field: str | None = Field(None, description="The field the ingester named (- for none).")
    reason: str | None = Field(None, description="Part of the reason.")
    limit: int = Field(DEFAULT_QUARANTINE_LIMIT, ge=1, le=10_000, description="Rows a page.")
    offset: int = Field(0, ge=0, description="Rows to skip (paging).")


class ApplicantParams(PageParams):
    limit: int = Field(200, ge=1, description="Documents listed.")


def shows_paths(v: View) -> bool:
    """True when the caller may see source paths, run commands and quarantine excerpts."""
    return v.user.has(WRITERS)


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
         template="data.html", extra=lambda c, d, p, v: {"can_quarantine": shows_paths(v)},
         summary="Data and ingest status 数据与入库状态"),
    Page("quarantine", lambda c, p, v: c.quarantine_page(p.file, p.field, p.reason, p.limit, p.offset),
         QuarantineParams, path="/data/quarantine", template="quarantine.html", section="rows",
         summary="Quarantine browser 隔离记录 (analysts)"),
    Page("applicant", applicant_data, ApplicantParams, path="/applicant/{name:path}", template="applicant.html",
         extra=_applicant_charts, summary="Applicant profile 申请人画像",
         description="`name` in Chinese or English, as written (`Matsushita Electric Industrial Co., Ltd.`) or "
                     "folded (`matsushita electric industrial`); a suffix .json, .csv or .xlsx picks the format."),
)
