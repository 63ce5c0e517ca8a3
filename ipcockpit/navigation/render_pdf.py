"""The navigation report as a PDF (A4, reportlab), Chinese by default (docs/navigation.md, "Reports").

The report dict of :mod:`ipcockpit.navigation.report` in order: title, industry and region, edition and
time, summary, the definition with the documents each part matched, the levels and what is missing, then
the sections by part (direction → position → path), each with its chart as an image
(:mod:`ipcockpit.navigation.chart_images`: the same ECharts option the web page draws) and its table; an
empty section says why in place. Chinese text uses the embedded CJK font of the cockpit report
(:func:`ipcockpit.reports.cockpit_pdf.cjk_font`). Tables longer than :data:`MAX_ROWS` show their first rows
and say how many more the data appendix holds.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ipcockpit.navigation import chart_images
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
from ipcockpit.reports.cockpit_pdf import INK, LINE, MUTED, VALUE, cjk_font

MAX_ROWS = 40
WIDTH = 170 * mm


def _styles(lang: str) -> dict[str, ParagraphStyle]:
    font = cjk_font()
    wrap = None if lang == "en" else "CJK"
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=14, textColor=INK, wordWrap=wrap)
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, leading=15, alignment=TA_CENTER,
                                   textColor=MUTED),
        "h1": ParagraphStyle("h1", parent=base, fontSize=14, leading=20, spaceBefore=12, spaceAfter=6,
                             textColor=VALUE, keepWithNext=1),
        "h2": ParagraphStyle("h2", parent=base, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=4,
                             textColor=VALUE),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10.5),
        "head": ParagraphStyle("head", parent=base, fontSize=8, leading=10.5, textColor=colors.white),
        "empty": ParagraphStyle("empty", parent=base, textColor=MUTED, borderColor=LINE, borderWidth=0.5,
                                borderPadding=6, spaceBefore=4, spaceAfter=8),
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10.5, textColor=MUTED),
    }


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape("" if text is None else str(text)), style)


def _table(columns: list[str], rows: list[Mapping[str, Any]], st: dict[str, ParagraphStyle],
           t: Callable[..., str]) -> Table:
    data = [[_p(column_label(t, c), st["head"]) for c in columns]]
    data += [[_p(cell(r.get(c), c, t), st["cell"]) for c in columns] for r in rows[:MAX_ROWS]]
    table = Table(data, colWidths=[WIDTH / max(len(columns), 1)] * len(columns), repeatRows=1)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), VALUE), ("GRID", (0, 0), (-1, -1), 0.4, LINE),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f5f7fa")])]))
    return table


def chart_image(option: Mapping[str, Any], width: float = WIDTH) -> Image:
    """A chart option as a reportlab image ``width`` wide (2:1)."""
    png = chart_images.to_png(option)
    return Image(io.BytesIO(png), width=width, height=width / 2)


def section_flowables(section: Mapping[str, Any], st: dict[str, ParagraphStyle], t: Callable[..., str]) -> list[Any]:
    """One section: its heading, then its chart and table, or why it is empty."""
    head = f"{t(section['title_key'])} · {t('nav.report.level.' + str(section.get('level')))}"
    out: list[Any] = [_p(head, st["h2"])]
    if section.get("empty_reason"):
        return [KeepTogether([*out, _p(empty_text(t, section), st["empty"])])]
    if section.get("chart"):
        out = [KeepTogether([*out, chart_image(section["chart"])])]
    table = section.get("table") or {}
    rows, columns = table.get("rows") or [], list(table.get("columns") or [])
    if rows and columns:
        out += [Spacer(1, 3 * mm), _table(columns, rows, st, t)]
        if len(rows) > MAX_ROWS:
            out.append(_p(t("nav.report.more_rows", shown=MAX_ROWS, total=len(rows)), st["small"]))
    return out


def render_pdf(report: Mapping[str, Any], t: Callable[..., str], tz: tzinfo | None = None) -> bytes:
    """The report as PDF bytes in ``t``'s language, times in ``tz`` (None: this machine's zone)."""
    lang = getattr(t, "lang", "zh-CN")
    st = _styles(lang)
    industry = report.get("industry", {})
    story: list[Any] = [_p(say(t, report["title"]), st["title"])]
    story.append(_p(subtitle(report, t, tz), st["subtitle"]))
    story.append(_p(t("nav.report.summary"), st["h1"]))
    story += [_p(say(t, s), st["base"]) for s in report.get("summary", [])]
    story += [_p(say(t, m), st["empty"]) for m in report.get("missing", [])]
    changed = changes(report, t, MAX_ROWS)
    if changed:
        story.append(_p(t("nav.report.changes"), st["h1"]))
        story.append(_p(changed[0], st["base"]))
        if changed[1]:
            story.append(_table(["id", "label", "old", "new"], changed[1], st, t))
    story.append(_p(t("nav.report.definition"), st["h1"]))
    story += [_p(line, st["base"]) for line in definition_lines(industry, t)]
    if by_reason := reason_rows(industry, t):
        story.append(Spacer(1, 2 * mm))
        story.append(_table(["reason", "documents"], by_reason, st, t))
    story.append(_p(t("nav.report.levels"), st["h1"]))
    levels = [{"level": t(f"nav.report.level.{lv['level']}"), "code": lv.get("code"), "documents": lv.get("documents"),
               "missing": say(t, {"key": lv["missing"], "params": lv.get("missing_params") or {}})
               if lv.get("missing") else ""} for lv in report.get("levels", [])]
    if levels:
        story.append(_table(["level", "code", "documents", "missing"], levels, st, t))
    for part, sections in sections_by_part(report):
        story.append(_p(t(f"nav.report.part.{part}"), st["h1"]))
        for section in sections:
            story += section_flowables(section, st, t)
    story.append(_p(t("nav.report.appendix_note"), st["small"]))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=say(t, report["title"]), author="ipcockpit")
    doc.build(story)
    return out.getvalue()


def definition_lines(industry: Mapping[str, Any], t: Callable[..., str]) -> list[str]:
    """The definition's non-empty parts, one line each (shared by the PDF and Word renderers)."""
    lines = []
    for field in ("sei_branches", "ipc", "cpc", "keywords", "query", "seeds", "combine"):
        value = industry.get(field)
        if field == "sei_branches" and value:  # each code with its catalogue name where the report has it
            value = [f"{v} {industry.get('sei_names', {}).get(v, '')}".strip() for v in value]
        if value:
            text = "、".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
            if field == "combine" and getattr(t, "has", lambda _k: False)(f"nav.def.combine_{value}"):
                text = t(f"nav.def.combine_{value}")
            lines.append(f"{t('nav.def.' + field)}: {text}")
    lines.append(t("nav.report.documents", documents=industry.get("documents", 0)))
    return lines
