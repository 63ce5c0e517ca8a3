"""The navigation report as HTML (Jinja, the web app's templates and style), its charts drawn by ECharts in
the page from the same option dicts the PDF and Word reports draw as images (docs/navigation.md, "Reports").

:func:`view` turns the report dict into what the template shows (texts in one language, table cells
formatted, each chart's DOM id); the web page (``navigation.html``) includes the same partial
``_navigation_report.html`` with it. :func:`render_html` makes a document that stands alone: the app's
stylesheet and ECharts inlined, so the file opens offline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import tzinfo
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from ipcockpit.navigation.render_pdf import definition_lines
from ipcockpit.navigation.report import (
    CODED_COLUMNS,
    STATUS_COLUMNS,
    cell,
    changes,
    column_label,
    empty_text,
    reason_rows,
    say,
    sections_by_part,
    subtitle,
)

WEB = Path(__file__).resolve().parents[1] / "web"
_NOT_ID = re.compile(r"[^A-Za-z0-9_-]+")
_INIT = """document.querySelectorAll("div.chart").forEach(function (el) {
  var source = document.getElementById(el.id + "-option");
  if (!source || typeof echarts === "undefined") { return; }
  var chart = echarts.init(el); chart.setOption(JSON.parse(source.textContent));
  window.addEventListener("resize", function () { chart.resize(); });
});"""


def dom_id(section: Mapping[str, Any]) -> str:
    """The chart's element id of a section (its id and level)."""
    return "nav-" + _NOT_ID.sub("-", f"{section.get('id')}-{section.get('level')}")


def view(report: Mapping[str, Any], t: Callable[..., str], tz: tzinfo | None = None) -> dict[str, Any]:
    """What the report template shows, in ``t``'s language, times in ``tz`` (None: this machine's zone)."""
    industry = report.get("industry", {})
    parts = []
    for part, sections in sections_by_part(report):
        shown = []
        for s in sections:
            table = s.get("table") or {}
            columns = list(table.get("columns") or [])
            shown.append({
                "id": s.get("id"), "dom_id": dom_id(s), "level": s.get("level"),
                "heading": f"{t(s['title_key'])} · {t('nav.report.level.' + str(s.get('level')))}",
                "empty": empty_text(t, s) if s.get("empty_reason") else None,
                "chart": s.get("chart") if not s.get("empty_reason") else None,
                "columns": [column_label(t, c) for c in columns],
                # names, titles, ids and codes as the data has them: not for a page translator to change
                "data": [c not in CODED_COLUMNS and c not in STATUS_COLUMNS for c in columns],
                "rows": [[cell(r.get(c), c, t) for c in columns] for r in table.get("rows") or []],
                "numbers": len(s.get("numbers") or []),
            })
        parts.append({"part": part, "heading": t(f"nav.report.part.{part}"), "sections": shown})
    return {
        "title": say(t, report["title"]),
        "subtitle": subtitle(report, t, tz),
        "summary": [say(t, s) for s in report.get("summary", [])],
        "definition": definition_lines(industry, t),
        "counts": [(r["reason"], r["documents"]) for r in reason_rows(industry, t)],
        "levels": [{"level": t(f"nav.report.level.{lv['level']}"), "code": lv.get("code") or "",
                    "documents": cell(lv.get("documents")),
                    "missing": say(t, {"key": lv["missing"], "params": lv.get("missing_params") or {}})
                    if lv.get("missing") else ""} for lv in report.get("levels", [])],
        "missing": [say(t, m) for m in report.get("missing", [])],
        "changes": _changes(report, t),
        "parts": parts,
    }


def _changes(report: Mapping[str, Any], t: Callable[..., str]) -> dict[str, Any] | None:
    found = changes(report, t)
    if found is None:
        return None
    return {"line": found[0], "columns": [column_label(t, c) for c in ("id", "label", "old", "new")],
            "rows": [[r["id"], r.get("label") or "", cell(r["old"]), cell(r["new"])] for r in found[1]]}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(WEB / "templates"),
                              autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def render_html(report: Mapping[str, Any], t: Callable[..., str], standalone: bool = True,
                tz: tzinfo | None = None) -> str:
    """The report as an HTML document in ``t``'s language, times in ``tz`` (None: this machine's zone).
    ``standalone``: the stylesheet and ECharts inline (a file that opens offline, ~1.2 MB); else they are linked
    from the web app's ``/static`` path."""
    static = WEB / "static"
    inline = {"css": (static / "app.css").read_text(encoding="utf-8"),
              "echarts": (static / "vendor" / "echarts" / "echarts.min.js").read_text(encoding="utf-8"),
              "init": _INIT} if standalone else None
    return _environment().get_template("navigation_report.html").render(
        r=view(report, t, tz), t=t, lang=getattr(t, "lang", "zh-CN"), inline=inline)
