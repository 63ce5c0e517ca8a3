"""The navigation report as a Word document (.docx, python-docx): what Chinese offices edit and file
(docs/navigation.md, "Reports").

The same order as the PDF (:mod:`ipcockpit.navigation.render_pdf`): title, summary, definition, levels,
then the sections by part with Word headings, charts as PNG images (:mod:`ipcockpit.navigation.chart_images`)
and tables in the style "Table Grid"; an empty section says why in place. East Asian text gets a Chinese
font: every style used sets ``w:eastAsia`` of its ``w:rFonts`` (:data:`EAST_ASIA_FONT`, 宋体 for the body,
黑体 for headings), Latin text stays in the Latin font.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import Any

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from ipcockpit.navigation import chart_images
from ipcockpit.navigation.render_pdf import MAX_ROWS, definition_lines
from ipcockpit.navigation.report import (
    cell,
    changes,
    column_label,
    empty_text,
    reason_rows,
    say,
    sections_by_part,
    subtitle,
)

EAST_ASIA_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"


def _east_asian(style: Any, east_asia: str, latin: str | None = None) -> None:
    """Set a style's Latin font and its East Asian font (``w:rFonts/@w:eastAsia``)."""
    if latin:
        style.font.name = latin
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), east_asia)


def _table(doc: Any, columns: list[str], rows: list[Mapping[str, Any]], t: Callable[..., str]) -> None:
    shown = rows[:MAX_ROWS]
    table = doc.add_table(rows=1 + len(shown), cols=len(columns))
    table.style = "Table Grid"
    for i, c in enumerate(columns):
        table.rows[0].cells[i].text = column_label(t, c)
        for run in table.rows[0].cells[i].paragraphs[0].runs:
            run.bold = True
    for r, row in enumerate(shown, start=1):
        cells = table.rows[r].cells
        for i, c in enumerate(columns):
            cells[i].text = cell(row.get(c), c, t)
    if len(rows) > MAX_ROWS:
        doc.add_paragraph(t("nav.report.more_rows", shown=MAX_ROWS, total=len(rows)))


def _section(doc: Any, section: Mapping[str, Any], t: Callable[..., str]) -> None:
    doc.add_heading(f"{t(section['title_key'])} · {t('nav.report.level.' + str(section.get('level')))}", level=2)
    if section.get("empty_reason"):
        doc.add_paragraph(empty_text(t, section), style="Intense Quote")
        return
    if section.get("chart"):
        doc.add_picture(io.BytesIO(chart_images.to_png(section["chart"])), width=Cm(16))
    table = section.get("table") or {}
    rows, columns = table.get("rows") or [], list(table.get("columns") or [])
    if rows and columns:
        _table(doc, columns, rows, t)


def render_docx(report: Mapping[str, Any], t: Callable[..., str], tz: tzinfo | None = None) -> bytes:
    """The report as .docx bytes in ``t``'s language, times in ``tz`` (None: this machine's zone)."""
    doc = Document()
    styles = doc.styles
    _east_asian(styles["Normal"], EAST_ASIA_FONT, LATIN_FONT)
    styles["Normal"].font.size = Pt(10.5)  # 五号
    for name in ("Title", "Heading 1", "Heading 2", "Intense Quote"):
        _east_asian(styles[name], HEADING_FONT if name != "Intense Quote" else EAST_ASIA_FONT)
    doc.core_properties.title = say(t, report["title"])
    doc.core_properties.author = "ipcockpit"
    industry = report.get("industry", {})
    doc.add_heading(say(t, report["title"]), level=0)
    doc.add_paragraph(subtitle(report, t, tz))
    doc.add_heading(t("nav.report.summary"), level=1)
    for s in report.get("summary", []):
        doc.add_paragraph(say(t, s), style="List Bullet")
    for m in report.get("missing", []):
        doc.add_paragraph(say(t, m), style="Intense Quote")
    changed = changes(report, t, MAX_ROWS)
    if changed:
        doc.add_heading(t("nav.report.changes"), level=1)
        doc.add_paragraph(changed[0])
        if changed[1]:
            _table(doc, ["id", "label", "old", "new"], changed[1], t)
    doc.add_heading(t("nav.report.definition"), level=1)
    for line in definition_lines(industry, t):
        doc.add_paragraph(line)
    if by_reason := reason_rows(industry, t):
        _table(doc, ["reason", "documents"], by_reason, t)
    doc.add_heading(t("nav.report.levels"), level=1)
    levels = [{"level": t(f"nav.report.level.{lv['level']}"), "code": lv.get("code"), "documents": lv.get("documents"),
               "missing": say(t, {"key": lv["missing"], "params": lv.get("missing_params") or {}})
               if lv.get("missing") else ""} for lv in report.get("levels", [])]
    if levels:
        _table(doc, ["level", "code", "documents", "missing"], levels, t)
    for part, sections in sections_by_part(report):
        doc.add_heading(t(f"nav.report.part.{part}"), level=1)
        for section in sections:
            _section(doc, section, t)
    doc.add_paragraph(t("nav.report.appendix_note"))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
