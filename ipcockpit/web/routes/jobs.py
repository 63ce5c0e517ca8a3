"""The jobs API of a writable server (:mod:`ipcockpit.web.jobs`): what ``ipcockpit ingest`` and ``ipcockpit
index`` send to the server that holds their store. Admin-only and not in the public API document
(``include_in_schema=False``; docs/operations.md describes it):

* ``POST /api/admin/jobs`` ``{"kind": "ingest", "paths": [...]}``, ``{"kind": "index", "rebuild": false}`` or
  ``{"kind": "watch"}`` (``ipcockpit watch run``):
  202 with the job (``Location`` names it); 409 while another job is queued or running.
* ``GET /api/admin/jobs/{id}?since=N``: the job (state, progress, the file reports from the N-th on, at the
  end ``result``); ``GET /api/admin/jobs``: the server's PID and the jobs it remembers.

Every request must prove local access (:meth:`ipcockpit.web.jobs.JobRunner.allowed`: loopback, no proxy
header, the sidecar's token in ``X-IPCockpit-Token``); any other answers 403 with a text that names no
path, before the body is read.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.exceptions import HTTPException

from ipcockpit.web.auth import audit_target
from ipcockpit.web.context import Web
from ipcockpit.web.errors import BadRequest, Forbidden, NotFound
from ipcockpit.web.jobs import JOBS_PATH, PROXY_HEADERS, TOKEN_HEADER, JobBusy, JobRunner

PAGES = ()
#: the most paths one ingest job may name (folders count once: they are walked on the server)
MAX_PATHS = 10_000


class JobRequest(BaseModel):
    """A job to run: load files and folders, build the search indexes, or run the watch lists."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["ingest", "index", "watch"]
    paths: list[str] = Field(default_factory=list, max_length=MAX_PATHS,
                             description="ingest: absolute paths of files and folders on the server's machine")
    rebuild: bool = Field(False, description="index: drop the indexes and embed everything again")

    @model_validator(mode="after")
    def _paths_fit_the_kind(self) -> JobRequest:
        if self.kind == "ingest" and not self.paths:
            raise ValueError("paths: an ingest job names at least one file or folder")
        if self.kind != "ingest" and self.paths:
            raise ValueError(f"paths: only an ingest job takes paths ({self.kind} takes none)")
        if any(not os.path.isabs(p) for p in self.paths):
            raise ValueError("paths: give absolute paths (the server's working folder is not the caller's)")
        return self


def register(app: FastAPI, web: Web) -> None:
    def runner(request: Request) -> JobRunner:
        """The app's job runner, once the request has proved local access (else 403)."""
        jobs: JobRunner = request.app.state.jobs
        client = request.client.host if request.client else None
        forwarded = any(h in request.headers for h in PROXY_HEADERS)
        if not jobs.allowed(client, request.headers.get(TOKEN_HEADER), forwarded):
            raise Forbidden("jobs need local access: a loopback client with the token of the server's sidecar",
                            "jobs.forbidden")
        return jobs

    @app.post(JOBS_PATH, include_in_schema=False, status_code=202)
    async def jobs_submit(request: Request) -> JSONResponse:
        jobs = runner(request)
        try:
            body = await request.json()
        except (ValueError, RecursionError) as exc:  # not JSON, or nested deeper than the parser goes
            raise BadRequest('the body must be JSON: {"kind": "ingest", "paths": [...]}, {"kind": "index"} or '
                             '{"kind": "watch"}') from exc
        spec = JobRequest.model_validate(body)
        try:
            job = jobs.submit(spec.kind, spec.paths, spec.rebuild)
        except JobBusy as exc:
            t = web.translator(request)
            raise HTTPException(409, t("jobs.busy", id=exc.job.id, kind=exc.job.kind)) from exc
        audit_target(request, f"job {job.id}")
        found = jobs.get(job.id) or {}
        return JSONResponse(found, status_code=202, headers={"Location": f"{JOBS_PATH}/{job.id}"})

    @app.get(JOBS_PATH, include_in_schema=False)
    def jobs_list(request: Request) -> dict[str, Any]:
        return {"pid": os.getpid(), "jobs": runner(request).summaries()}

    @app.get(JOBS_PATH + "/{job_id}", include_in_schema=False)
    def jobs_get(request: Request, job_id: str) -> dict[str, Any]:
        jobs = runner(request)  # before the parameters are read: a stranger learns nothing from a 400
        raw = request.query_params.get("since") or "0"
        if not raw.isdigit():
            raise BadRequest(f"since={raw!r} is not a whole number; write e.g. since=0")
        found = jobs.get(job_id, int(raw))
        if found is None:
            raise NotFound(f"no job {job_id!r} (a server remembers its last jobs until it stops)", "jobs.not_found",
                           id=job_id)
        return found
