"""The profile pages of resolved entities and the strength ranking (docs/entities.md, "Pages, CLI and API"):

* ``/organisation/{id}`` (机构画像): an organisation entity (``o:…``, ``n:…``) or a name as written or folded:
  its resolved names with their evidence, portfolio, co-applicants, inventors, transfers, licences and pledges in
  and out; ``?strength=1`` adds its strength explained (it compares every organisation of the store: seconds).
  ``/applicant/{name}`` (申请人画像, by folded name) stays, and links here.
* ``/inventor/{id}`` (发明人画像): a resolved inventor (``i:…``): names, documents, co-inventors, employers over
  time and mobility events with their evidence.
* ``/strength`` (企业实力评价): the strength ranking under the filters region, industry, field, nature.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pydantic import Field

from ipcockpit.app import Cockpit
from ipcockpit.web import charts_graph
from ipcockpit.web.errors import NotFound
from ipcockpit.web.pages import Page, PageParams, View


class StrengthFilters(PageParams):
    region: str | None = Field(None, max_length=12, description="Strength among the organisations of a GB/T 2260 "
                               "code (500000, 500120).")
    industry: str | None = Field(None, max_length=12, description="… of an SEI industry or branch (1, 1.2).")
    field: int | None = Field(None, ge=1, le=35, description="… of a WIPO technology field (1 to 35).")
    nature: str | None = Field(None, max_length=20, description="… of a nature: enterprise, university, "
                               "institute, individual, government or unknown.")

    def strength_filters(self) -> dict[str, Any]:
        return {"region": self.region, "industry": self.industry, "field": self.field, "nature": self.nature}


class OrganisationParams(StrengthFilters):
    limit: int = Field(50, ge=1, description="Co-applicants, inventors and events listed.")
    strength: bool = Field(False, description="Add the organisation's strength explained, among the organisations "
                           "of the filters (it compares them all: seconds on a large store).")


class InventorParams(PageParams):
    limit: int = Field(200, ge=1, description="Documents and co-inventors listed.")


class StrengthParams(StrengthFilters):
    limit: int = Field(50, ge=1, description="Organisations listed; CSV and Excel hold every organisation unless "
                       "limit is given (at most the setting max_download_rows).")


def organisation_data(c: Cockpit, p: OrganisationParams, v: View) -> dict[str, Any]:
    key = (v.key or "").strip()
    data = c.organisation_page(key, limit=p.limit, strength=p.strength, strength_filters=p.strength_filters())
    if data is None:
        raise NotFound(f"no organisation with the id or name {key!r}", "kg.org.not_found", name=key)
    return data


def inventor_data(c: Cockpit, p: InventorParams, v: View) -> dict[str, Any]:
    key = (v.key or "").strip()
    data = c.inventor_page(key, limit=p.limit)
    if data is None:
        raise NotFound(f"no resolved inventor with the id {key!r}", "kg.inventor.not_found", name=key)
    return data


def strength_data(c: Cockpit, p: StrengthParams, v: View) -> dict[str, Any]:
    return c.strength(limit=p.limit, **p.strength_filters())


def _strength_extra(c: Cockpit, data: dict[str, Any], p: StrengthParams, v: View) -> dict[str, Any]:
    query = urlencode({"strength": "true", **{k: val for k, val in p.strength_filters().items() if val is not None}})
    return {"chart": charts_graph.strength_bars(data["ranking"], v.t), "org_query": query}


def _org_extra(c: Cockpit, data: dict[str, Any], p: OrganisationParams, v: View) -> dict[str, Any]:
    return {"year_chart": charts_graph.type_year_bars(data["by_year"], v.t)}


PAGES = (
    Page("organisation", organisation_data, OrganisationParams, path="/organisation/{id:path}",
         template="organisation.html", extra=_org_extra, section="names", download_all=True,
         summary="Organisation profile 机构画像: resolved names with evidence, portfolio, co-applicants, inventors, "
                 "transfers in and out",
         description="`id`: an organisation entity id (o:…, n:<folded name>) or a name as written or folded; a "
                     "suffix .json, .csv or .xlsx picks the format. `strength=true` adds its strength explained."),
    Page("inventor", inventor_data, InventorParams, path="/inventor/{id:path}", template="inventor.html",
         section="documents", download_all=True,
         summary="Inventor profile 发明人画像: names, documents, co-inventors, employers and moves",
         description="`id`: a resolved inventor id (i:…); a suffix .json, .csv or .xlsx picks the format."),
    Page("strength", strength_data, StrengthParams, template="strength.html", extra=_strength_extra,
         section="ranking", download_all=True,
         summary="Enterprise strength ranking 企业实力评价, by region, industry, field and nature",
         description="Each component's raw value, its normalised value among the organisations compared and "
                     "whether it is known; `weights` and `growth_windows` say how the composite is made."),
)
