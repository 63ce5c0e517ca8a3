"""The cockpit's API (驾驶舱): the plan's indicators for a region, their drill-down records, region
profiles, and reported values with provenance (GET lists them; POST reports them).

Every route calls one Cockpit data function and renders the dict as JSON or CSV. Writes are refused on
a read-only store (403) until users and roles land (issue 4 point 5).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response

from ipcockpit.errors import IPCockpitError
from ipcockpit.web import render

if TYPE_CHECKING:
    from ipcockpit.web.server import CockpitHolder

RegionQuery = Query(None, description="GB/T 2260 code of the region (default 500120, Bishan District).")
YearQuery = Query(None, description="Year (default: this year, at most the target year).")
FormatQuery = Query(None, description="json or csv.")
SectionQuery = Query(None, description="With format=csv: which table to download.")
READ_ONLY = ("the store is open read-only; start the server with a writable store to report values")


def _error(exc: IPCockpitError) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=400)


def register(app: FastAPI, holder: CockpitHolder) -> None:
    @app.get("/api/cockpit", summary="Cockpit: the plan's indicators against baseline and target 驾驶舱")
    def cockpit_api(region: str | None = RegionQuery, year: int | None = YearQuery,
                    format: str | None = FormatQuery, section: str | None = SectionQuery) -> Response:
        fmt = render.check_format(format, "json")
        try:
            data = holder.call(lambda c: c.cockpit(region, year))
        except IPCockpitError as exc:
            return _error(exc)
        if fmt == "csv":
            return render.csv_response(data, section or "indicators", "cockpit")
        return render.json_response(data)

    @app.get("/api/cockpit/records", summary="The records a computed indicator rests on (drill-down)")
    def cockpit_records_api(indicator: str = Query(..., description="Indicator id."),
                            region: str | None = RegionQuery, year: int | None = Query(None, description="Year."),
                            format: str | None = FormatQuery, section: str | None = SectionQuery) -> Response:
        fmt = render.check_format(format, "json")
        try:
            data = holder.call(lambda c: c.cockpit_records(region, indicator, year))
        except IPCockpitError as exc:
            return _error(exc)
        if fmt == "csv":
            return render.csv_response(data, section or "rows", "cockpit-records")
        return render.json_response(data)

    @app.get("/api/cockpit/regions", summary="Region profiles")
    def cockpit_regions_api() -> Response:
        try:
            return render.json_response(holder.call(lambda c: c.regions()))
        except IPCockpitError as exc:
            return _error(exc)

    @app.get("/api/cockpit/reported", summary="Reported values with provenance")
    def cockpit_reported_api(region: str | None = RegionQuery, indicator: str | None = None,
                             year: int | None = None, format: str | None = FormatQuery) -> Response:
        fmt = render.check_format(format, "json")
        data = {"reported": holder.call(lambda c: c.reported(region, indicator, year))}
        return render.csv_response(data, "reported", "reported") if fmt == "csv" else render.json_response(data)

    @app.post("/api/cockpit/reported", summary="Report values with provenance (a JSON object or a list)")
    async def cockpit_report_api(request: Request) -> Response:
        if holder.read_only:
            return JSONResponse({"error": READ_ONLY}, status_code=403)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body must be JSON: {\"region\", \"indicator\", \"year\", \"value\", "
                                 "\"source\", \"reported_by\", \"note\"} or a list of them"}, status_code=400)
        items = body if isinstance(body, list) else [body]
        if not all(isinstance(i, dict) for i in items):
            return JSONResponse({"error": "each item must be a JSON object"}, status_code=400)
        try:
            rows = holder.call(lambda c: c.report_values(items))
        except IPCockpitError as exc:
            return _error(exc)
        return render.json_response({"reported": rows}, status_code=201)

    @app.post("/api/cockpit/reported/csv", summary="Upload a CSV of reported values (all or nothing)")
    async def cockpit_report_csv_api(request: Request) -> Response:
        if holder.read_only:
            return JSONResponse({"error": READ_ONLY}, status_code=403)
        async with request.form() as form:  # closes the spooled upload
            upload, region, by = form.get("file"), form.get("region"), form.get("reported_by")
            if upload is None or isinstance(upload, str):
                return JSONResponse({"error": "send the CSV as the form field 'file'"}, status_code=400)
            name = Path(upload.filename or "reported.csv").name
            content = await upload.read()
        code = region if isinstance(region, str) and region else None
        who = by if isinstance(by, str) and by else None
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(content)
            try:
                rows = holder.call(lambda c: c.import_reported(path, region=code, reported_by=who))
            except IPCockpitError as exc:  # name the uploaded file, not the temporary copy
                return JSONResponse({"error": str(exc).replace(str(path), name)}, status_code=400)
        return render.json_response({"reported": rows}, status_code=201)
