"""The data appendix of a navigation report (docs/navigation.md, "Reports"): one row per number the report
shows — its id, section, part, level, label, value, the query that gives it and what it rests on — as CSV
(UTF-8 with a BOM, for Excel) or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any

COLUMNS = ("id", "section", "part", "level", "label", "value", "query", "provenance")


def rows(report: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The appendix rows: every number of every section, in the report's order."""
    for s in report.get("sections", []):
        for n in s.get("numbers") or []:
            yield {"id": n.get("id"), "section": s.get("id"), "part": s.get("part"), "level": s.get("level"),
                   "label": n.get("label"), "value": n.get("value"), "query": n.get("query"),
                   "provenance": n.get("provenance")}


def appendix_csv(report: Mapping[str, Any]) -> bytes:
    """The appendix as CSV bytes (UTF-8 with a BOM)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows(report))
    return out.getvalue().encode("utf-8-sig")


def appendix_xlsx(report: Mapping[str, Any]) -> bytes:
    """The appendix as an Excel workbook: the sheet ``numbers`` (one row per number) and ``report`` (title,
    industry, region, edition, generated)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("numbers")
    sheet.append(list(COLUMNS))
    for row in rows(report):
        sheet.append([_excel(row[c]) for c in COLUMNS])
    about = wb.create_sheet("report")
    industry = report.get("industry", {})
    for key, value in (("industry", industry.get("id")), ("name_zh", industry.get("name_zh")),
                       ("name_en", industry.get("name_en")), ("documents", industry.get("documents")),
                       ("region", report.get("region", {}).get("code")), ("edition", report.get("edition")),
                       ("generated_at", report.get("generated_at"))):
        about.append([key, _excel(value)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _excel(value: Any) -> Any:
    if value is None or isinstance(value, int | float | str):
        return value
    return str(value)
