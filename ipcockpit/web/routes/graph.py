"""The knowledge-graph pages (docs/entities.md, "Pages, CLI and API"):

* ``/graph`` (知识图谱): the graph explorer. ``node`` (an id, an entity id or a name: organisation, inventor,
  IPC group ``ipc:H04N 19/00``, SEI branch, region), ``depth``, ``rel`` (relationships, comma-separated),
  ``year_from``/``year_to``, ``ipc``/``sei`` (the field) and ``limit`` (nodes; the answer says ``truncated`` when
  some were left out). ``/api/graph`` is the same data: the page's script asks it for a node's neighbours when the
  node is clicked. A graph not built answers ``built`` false with the command that builds it; admins of a
  writable server get a button that builds it as a job (``POST /admin/graph/build``; its progress at
  ``GET /admin/graph/build/{id}``).
* ``/talent`` (人才流动): mobility events with their evidence, flows by region and industry, the key inventors
  of a field (``ipc`` or ``sei``) and the team of an ``inventor``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import Field, field_validator
from starlette.exceptions import HTTPException

from ipcockpit.app import Cockpit
from ipcockpit.graph.build import LABELS, RELATIONSHIPS
from ipcockpit.web import charts_graph
from ipcockpit.web.auth import ADMINS, audit_target, current_user
from ipcockpit.web.context import Web
from ipcockpit.web.errors import BadRequest, NotFound
from ipcockpit.web.jobs import JobBusy
from ipcockpit.web.pages import Page, PageParams, View

BUILD_PATH = "/admin/graph/build"
YEARS = {"ge": 1790, "le": 2200}


class GraphParams(PageParams):
    node: str | None = Field(None, max_length=500, description="Where to start: a node id (org:…, inv:…, ipc:…, "
                             "sei:…, region:…), an entity id or a name as written (default: the organisation with "
                             "the most documents).")
    depth: int = Field(1, ge=0, le=3, description="Steps from the node (0 to 3).")
    rel: str | None = Field(None, max_length=300, description="Relationships to follow, comma-separated (default "
                            f"all): {', '.join(RELATIONSHIPS)}.")
    year_from: int | None = Field(None, **YEARS, description="Keep edges whose years reach this year or later.")
    year_to: int | None = Field(None, **YEARS, description="Keep edges whose years start this year or earlier.")
    ipc: str | None = Field(None, max_length=20, description="Field: an IPC prefix (H04N, H04N 19).")
    sei: str | None = Field(None, max_length=12, description="Field: an SEI branch (1.2) or industry (1).")
    limit: int = Field(200, ge=1, le=2000, description="Most nodes in the answer (1 to 2,000).")

    @field_validator("rel")
    @classmethod
    def _known_relationships(cls, value: str | None) -> str | None:
        if value:
            unknown = [r for r in _split(value) if r not in RELATIONSHIPS]
            if unknown:
                raise ValueError(f"unknown relationship {unknown[0]!r}; use {', '.join(RELATIONSHIPS)}")
        return value


class TalentParams(PageParams):
    year_from: int | None = Field(None, **YEARS, description="Mobility events of this year or later.")
    year_to: int | None = Field(None, **YEARS, description="Mobility events of this year or earlier.")
    org: str | None = Field(None, max_length=500, description="Only events from or to this organisation entity "
                            "id (n:中山大学, o:…).")
    level: int = Field(2, description="Region flows by province (2), city (4) or district (6).",
                       json_schema_extra={"enum": [2, 4, 6]})
    inventor: str | None = Field(None, max_length=500, description="The team and employers of this inventor (an "
                                 "entity id i:…, n:… or a name as written).")
    ipc: str | None = Field(None, max_length=20, description="Key inventors of this IPC prefix (C08G).")
    sei: str | None = Field(None, max_length=12, description="Key inventors of this SEI branch (1.2) or industry (1).")
    limit: int = Field(200, ge=1, description="Mobility events and co-inventors listed.")
    top: int = Field(20, ge=1, le=200, description="Key inventors listed (1 to 200).")

    @field_validator("level")
    @classmethod
    def _level(cls, value: int) -> int:
        if value not in (2, 4, 6):
            raise ValueError("level is 2 (province), 4 (city) or 6 (district)")
        return value


def _split(value: str | None) -> list[str]:
    return [r.strip() for r in (value or "").split(",") if r.strip()]


def graph_data(c: Cockpit, p: GraphParams, v: View) -> dict[str, Any]:
    data = c.graph_explorer(p.node, depth=p.depth, relationships=_split(p.rel) or None, year_from=p.year_from,
                            year_to=p.year_to, ipc=p.ipc, sei=p.sei, limit=p.limit)
    data["categories"] = [{"name": label} for label in LABELS]
    return data


def _graph_extra(c: Cockpit, data: dict[str, Any], p: GraphParams, v: View) -> dict[str, Any]:
    return {"config": charts_graph.explorer_config(data, v.t), "labels": LABELS, "relationships": RELATIONSHIPS,
            "can_build": v.user.has(ADMINS) and not v.read_only, "build_path": BUILD_PATH}


def talent_data(c: Cockpit, p: TalentParams, v: View) -> dict[str, Any]:
    return c.talent_page(year_from=p.year_from, year_to=p.year_to, org=p.org, level=p.level, inventor=p.inventor,
                         ipc=p.ipc, sei=p.sei, limit=p.limit, top=p.top)


def _talent_extra(c: Cockpit, data: dict[str, Any], p: TalentParams, v: View) -> dict[str, Any]:
    return {"region_chart": charts_graph.flow_bars(data["flows_region"], v.t),
            "industry_chart": charts_graph.flow_bars(data["flows_industry"], v.t)}


PAGES = (
    Page("graph", graph_data, GraphParams, template="graph.html", extra=_graph_extra, section="nodes",
         summary="Knowledge graph explorer 知识图谱: a node's neighbourhood, filtered by year and field",
         description="ECharts graph series (`nodes`, `links` with their evidence, `categories`); `truncated` says "
                     "when `limit` left nodes out. `built` false: no graph yet (`ipcockpit graph build`); "
                     "`found` false: no node of that name (`suggestions` lists those whose name contains it)."),
    Page("talent", talent_data, TalentParams, template="talent.html", extra=_talent_extra, section="events",
         download_all=True,
         summary="Talent flows 人才流动: mobility events, flows by region and industry, key inventors, teams",
         description="`resolved` false: inventor ids are folded names (`n:`), which may join namesakes, until "
                     "inventor resolution has run; events of such ids carry `resolved` false."),
)


def register(app: FastAPI, web: Web) -> None:
    """The admin's graph build: a job of the server (:mod:`ipcockpit.web.jobs`) and its progress."""

    @app.post(BUILD_PATH, include_in_schema=False, status_code=202)
    def graph_build_submit(request: Request) -> JSONResponse:
        if web.read_only:
            raise BadRequest("the server is read-only: build the graph with `ipcockpit graph build`")
        if not current_user(request).has(ADMINS):  # the policy table says so too (/admin…)
            raise HTTPException(403)
        try:
            job = request.app.state.jobs.submit("graph")
        except JobBusy as exc:
            raise HTTPException(409, web.translator(request)("jobs.busy", id=exc.job.id, kind=exc.job.kind)) from exc
        audit_target(request, f"job {job.id}")
        return JSONResponse(request.app.state.jobs.get(job.id) or {}, status_code=202,
                            headers={"Location": f"{BUILD_PATH}/{job.id}"})

    @app.get(BUILD_PATH + "/{job_id}", include_in_schema=False)
    def graph_build_status(request: Request, job_id: str) -> dict[str, Any]:
        found = request.app.state.jobs.get(job_id)
        if found is None or found.get("kind") != "graph":
            raise NotFound(f"no graph build job {job_id!r}", "jobs.not_found", id=job_id)
        return {k: found[k] for k in ("id", "kind", "state", "started_at", "finished_at", "progress", "result",
                                      "error")}
