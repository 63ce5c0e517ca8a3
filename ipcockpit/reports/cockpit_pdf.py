"""The periodic evaluation report (定期评估报告) of a region's plan indicators, as a PDF.

:func:`report_pdf` turns the dict of :func:`ipcockpit.cockpit.indicators.cockpit` into a printable A4
report: title, region, plan and period, a summary of the statuses, a table of the indicators (value,
baseline, target, progress, status, source, data coverage), one trend chart per indicator (values,
forecast dashed, target line; drawn with reportlab's own vector graphics, no image library), and a
data-provenance section naming the records or reports each figure rests on and, for a computed card, its
data coverage (the records loaded against the official count, :mod:`ipcockpit.cockpit.coverage`). Texts
come from the catalogues (:mod:`ipcockpit.i18n`, ``report.*`` keys), so the report is Chinese by default
and English on request; times are in the zone given (the setting ``timezone``,
:mod:`ipcockpit.localtime`), with the zone named.

Chinese text needs a CJK font: the TrueType WenQuanYi Micro Hei (Debian's fonts-wqy-microhei) is
embedded when installed (:data:`CJK_FONTS`); otherwise reportlab's built-in CID font STSong-Light is
used, which PDF readers render from their own Chinese fonts.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from datetime import tzinfo
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from ipcockpit import localtime
from ipcockpit.cockpit.coverage import coverage_short, coverage_view
from ipcockpit.cockpit.reasons import translate
from ipcockpit.cockpit.tables import (
    STATUS_COLOURS,
    name_of,
    number,
    provenance_summary,
    status_counts,
    unit_of,
)
from ipcockpit.i18n import Translator

#: TrueType CJK fonts tried in order (path, subfont index of a .ttc collection)
CJK_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", 0),
)
FALLBACK_FONT = "STSong-Light"
#: doc ids listed per computed figure in the provenance section
DOC_IDS_LISTED = 20
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#66788a")
LINE = colors.HexColor("#d9e2ec")
VALUE = colors.HexColor("#102a43")
FORECAST = colors.HexColor("#486581")


@cache
def cjk_font() -> str:
    """The name of the registered CJK font: an embedded TrueType font when one is installed, else the
    CID font STSong-Light."""
    for path, index in CJK_FONTS:
        if Path(path).exists():
            pdfmetrics.registerFont(TTFont("CJK", path, subfontIndex=index))
            return "CJK"
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT


def _styles(font: str, lang: str) -> dict[str, ParagraphStyle]:
    # CJK wrapping breaks between any two characters: right for Chinese, wrong inside English words
    wrap = None if lang == "en" else "CJK"
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=13, textColor=INK, wordWrap=wrap)
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, leading=15, alignment=TA_CENTER,
                                   textColor=MUTED),
        "h2": ParagraphStyle("h2", parent=base, fontSize=13, leading=18, spaceBefore=10, spaceAfter=6,
                             textColor=VALUE),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10.5),
        "head": ParagraphStyle("head", parent=base, fontSize=8, leading=10.5, textColor=colors.white),
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10.5, textColor=MUTED),
    }


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape("" if text is None else str(text)), style)


def trend_drawing(card: Mapping[str, Any], font: str, t: Callable[..., str], lang: str,
                  width: float = 84 * mm, height: float = 50 * mm) -> Drawing:
    """One indicator's trend as vector graphics: values (solid, dots), the forecast to the target year
    (dashed), the target (a dashed red line) and the baseline year to the target year on the x axis."""
    d = Drawing(width, height)
    d.add(String(0, height - 9, name_of(card, lang)[:34], fontName=font, fontSize=8, fillColor=INK))
    points = sorted((int(p["year"]), float(p["value"])) for p in card.get("trend") or [] if p["value"] is not None)
    fc = card.get("forecast")
    first = min([int(card["baseline_year"]), *(y for y, _ in points)])
    last = max([int(card["target_year"]), *(y for y, _ in points)])
    values = [v for _, v in points]
    values += [float(x) for x in (card.get("target"), card.get("baseline"), fc and fc["value"]) if x is not None]
    left, bottom, right, top = 30.0, 14.0, width - 6, height - 16
    if not values:
        d.add(String(left, (bottom + top) / 2, t("report.no_data"), fontName=font, fontSize=8, fillColor=MUTED))
        return d
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.12 or (abs(hi) * 0.1 or 1.0)
    lo, hi = (0.0 if lo >= 0 and lo - pad < 0 else lo - pad), hi + pad

    def x(year: float) -> float:
        return left + (right - left) * ((year - first) / (last - first) if last > first else 0.5)

    def y(value: float) -> float:
        return bottom + (top - bottom) * (value - lo) / (hi - lo)

    d.add(Rect(left, bottom, right - left, top - bottom, fillColor=None, strokeColor=LINE, strokeWidth=0.5))
    for value in (lo, (lo + hi) / 2, hi):
        d.add(String(left - 3, y(value) - 2.5, number(value, 1), fontName=font, fontSize=6, fillColor=MUTED,
                     textAnchor="end"))
    step = 1 if last - first <= 8 else 2
    for year in range(first, last + 1, step):
        d.add(Line(x(year), bottom, x(year), bottom - 2, strokeColor=MUTED, strokeWidth=0.5))
        d.add(String(x(year), bottom - 9, str(year), fontName=font, fontSize=6, fillColor=MUTED, textAnchor="middle"))
    if card.get("target") is not None:
        ty = y(float(card["target"]))
        d.add(Line(left, ty, right, ty, strokeColor=colors.HexColor(STATUS_COLOURS["off_track"]), strokeWidth=0.8,
                   strokeDashArray=[3, 2]))
        d.add(String(right - 1, ty + 2, f"{t('report.target')} {number(card['target'])}", fontName=font,
                     fontSize=6, fillColor=colors.HexColor(STATUS_COLOURS["off_track"]), textAnchor="end"))
    if fc and points and int(fc["year"]) > points[-1][0]:
        ly, lv = points[-1]
        d.add(Line(x(ly), y(lv), x(int(fc["year"])), y(float(fc["value"])), strokeColor=FORECAST, strokeWidth=1,
                   strokeDashArray=[2, 2]))
        d.add(Circle(x(int(fc["year"])), y(float(fc["value"])), 1.8, fillColor=colors.white, strokeColor=FORECAST))
    if len(points) > 1:
        d.add(PolyLine([c for yr, v in points for c in (x(yr), y(v))], strokeColor=VALUE, strokeWidth=1.4))
    for yr, v in points:
        d.add(Circle(x(yr), y(v), 1.8, fillColor=VALUE, strokeColor=VALUE))
    return d


def _source_text(card: Mapping[str, Any], t: Callable[..., str]) -> str:
    if card.get("source") == "computed":
        return t("report.source_computed", records=f"{int(card.get('records') or 0):,}")
    if card.get("source") == "reported":
        prov = card.get("provenance") or {}
        if prov.get("kind") == "plan_text" or prov.get("origin") == "plan" or prov.get("stored") is False:
            return t("report.source_plan")
        return t("report.source_reported", document=provenance_summary(card)["source_document"] or "–")
    return "–"


def _table(cards: Sequence[Mapping[str, Any]], st: dict[str, ParagraphStyle], t: Callable[..., str],
           lang: str) -> Table:
    head = [t("report.col_indicator"), t("report.col_unit"), t("report.col_baseline"), t("report.col_target"),
            t("report.col_value"), t("report.col_progress"), t("report.col_forecast"), t("report.col_status"),
            t("report.col_source"), t("report.col_coverage")]
    rows: list[list[Any]] = [[_p(h, st["head"]) for h in head]]
    style = [("BACKGROUND", (0, 0), (-1, 0), VALUE), ("GRID", (0, 0), (-1, -1), 0.4, LINE),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white,
                                                                                         colors.HexColor("#f5f7fa")])]
    for i, c in enumerate(cards, start=1):
        value = number(c.get("value")) + (f" ({c['year']})" if c.get("year") else "")
        pct = (t("cockpit.progress_unknown") if c.get("progress") is None
               else f"{number(100 * float(c['progress']), 1)}%")
        fc = c.get("forecast")
        rows.append([_p(name_of(c, lang), st["cell"]), _p(unit_of(c, lang), st["cell"]),
                     _p(number(c.get("baseline")), st["cell"]), _p(number(c.get("target")), st["cell"]),
                     _p(value, st["cell"]), _p(pct, st["cell"]), _p(number(fc["value"]) if fc else "–", st["cell"]),
                     _p(t(f"cockpit.status_{c.get('status') or 'none'}"), st["head"]),
                     _p(_source_text(c, t), st["cell"]), _p(coverage_short(c.get("coverage"), t), st["cell"])])
        style.append(("BACKGROUND", (7, i), (7, i), colors.HexColor(STATUS_COLOURS.get(c.get("status"),
                                                                                      STATUS_COLOURS[None]))))
    widths = [34 * mm, 10 * mm, 13 * mm, 13 * mm, 20 * mm, 14 * mm, 14 * mm, 16 * mm, 24 * mm, 24 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(style))
    return table


def _provenance(card: Mapping[str, Any], st: dict[str, ParagraphStyle], t: Callable[..., str], lang: str,
                tz: tzinfo) -> list[Any]:
    prov = card.get("provenance") or {}
    out: list[Any] = [_p(f"{name_of(card, lang)}（{card.get('year') or '–'}）", st["base"])]
    lines: list[str] = []
    if card.get("source") == "computed":
        method = (prov.get("method_zh") if lang != "en" else None) or prov.get("method")
        lines.append(t("report.prov_method", method=method or "–"))
        lines.append(t("report.prov_records", records=f"{int(card.get('records') or 0):,}",
                       as_of=prov.get("as_of") or "–"))
        pop = prov.get("population")
        if pop:
            lines.append(t("report.prov_population", value=number(pop.get("value"), 0), year=pop.get("year"),
                           document=pop.get("source_document") or "–", who=pop.get("reported_by") or "–"))
        ids = card.get("doc_ids") or []
        if ids:
            more = len(ids) < int(card.get("records") or 0) or len(ids) > DOC_IDS_LISTED
            lines.append(t("report.prov_docs", ids=", ".join(ids[:DOC_IDS_LISTED]) + (" …" if more else "")))
    elif card.get("source") == "reported":
        document, when = prov.get("source_document") or "–", str(prov.get("reported_at") or "–")
        kind = prov.get("kind") or ("plan_text" if prov.get("origin") == "plan" else "reported")
        if kind == "plan_text":
            lines.append(t("report.prov_plan", document=document, when=when[:10]))
        elif kind == "profile":
            lines.append(t("report.prov_profile", document=document, file=prov.get("origin_ref") or "–"))
        else:
            origin = prov.get("origin")
            lines.append(t("report.prov_reported", document=document, who=prov.get("reported_by") or "–",
                           when=localtime.show(prov.get("reported_at"), tz, "utc") or "–",
                           origin=t(f"cockpit.origin_{origin}") if origin else "–"))
        added = prov.get("added_to")
        if added:
            lines.append(t("report.prov_basis_year", year=card.get("year"),
                           value=number(card["value"] - added["value"]),
                           previous_year=added["year"], previous=number(added["value"])))
        if prov.get("note"):
            lines.append(t("report.prov_note", note=prov["note"]))
        if prov.get("stored") is False:
            lines.append(t("cockpit.provenance_not_stored"))
    else:
        lines.append(t("report.prov_none"))
    if card.get("forecast"):
        fc = card["forecast"]
        lines.append(t("report.prov_forecast", value=number(fc["value"]), year=fc["year"],
                       method=(fc.get("method_zh") if lang != "en" else fc.get("method_text")) or fc["method"]))
    if card.get("progress") is None and card.get("value") is not None:
        why = translate(card, "progress_reason", t)
        if why:
            lines.append(t("report.prov_progress_unknown", reason=why))
    reason = translate(card, "reason", t)
    if reason:
        lines.append(t("report.prov_reason", reason=reason))
    cov = coverage_view(card.get("coverage"), t, lang)
    if cov:
        extra = [x for x in (cov["reason"] if cov["reason"] != reason else None, cov["derived"], cov["source"]) if x]
        sep = "; " if lang == "en" else "；"
        lines.append(t("report.prov_coverage", text=sep.join([f"{cov['status_text']} · {cov['line']}", *extra])))
    out += [_p("· " + line, st["small"]) for line in lines]
    return [KeepTogether(out), Spacer(1, 4)]


def report_pdf(data: Mapping[str, Any], lang: str = "zh-CN", tz: tzinfo | None = None) -> bytes:
    """The evaluation report of one ``cockpit()`` result as PDF bytes; times in ``tz`` (default the system's)."""
    tz = tz or localtime.system_zone()
    t = Translator(lang)
    font = cjk_font()
    st = _styles(font, lang)
    reg = data["region"]
    region = (reg.get("name_en") if lang == "en" else None) or reg["name"]
    plan = (reg.get("plan_en") if lang == "en" else None) or reg.get("plan") or ""
    cards = data["indicators"]
    counts = status_counts(cards)
    story: list[Flowable] = [
        _p(t("report.title", region=region), st["title"]),
        _p(f"{plan}{'（' + reg['plan_document'] + '）' if reg.get('plan_document') else ''}", st["subtitle"]),
        _p(t("report.period", start=reg["baseline_year"], end=reg["target_year"], year=data["year"],
             code=reg["code"]), st["subtitle"]),
        Spacer(1, 8),
        _p(t("report.summary", total=len(cards), on_track=counts["on_track"], at_risk=counts["at_risk"],
             off_track=counts["off_track"], none=counts["none"]), st["base"]),
        _p(t("report.section_table"), st["h2"]),
        _table(cards, st, t, lang),
        _p(t("cockpit.status_rule"), st["small"]),
        _p(t("report.section_charts"), st["h2"]),
    ]
    drawings = [trend_drawing(c, font, t, lang) for c in cards]
    grid = [drawings[i:i + 2] + [""] * (2 - len(drawings[i:i + 2])) for i in range(0, len(drawings), 2)]
    if grid:
        charts = Table(grid, colWidths=[90 * mm, 90 * mm])
        charts.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))
        story.append(charts)
    story.append(_p(t("report.chart_legend"), st["small"]))
    story.append(_p(t("report.section_provenance"), st["h2"]))
    for c in cards:
        story += _provenance(c, st, t, lang, tz)
    series = [(sid, s, v) for sid, s in (reg.get("series") or {}).items() for v in s.get("values") or []]
    if series:
        story.append(_p(t("report.section_series"), st["h2"]))
        for _sid, s, v in series:
            name = (s.get("name_en") if lang == "en" else s.get("name_zh")) or _sid
            story.append(_p("· " + t("report.series_line", name=name, year=v["year"], value=number(v["value"], 0),
                                     document=v.get("source_document") or "–", who=v.get("reported_by") or "–"),
                            st["small"]))
    generated = localtime.show(data.get("generated_at"), tz)

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(18 * mm, 10 * mm, t("report.footer", region=region, at=generated))
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, t("report.page", page=doc.page))
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                            bottomMargin=18 * mm, title=t("report.title", region=region), author="ipcockpit",
                            subject=plan, creator="ipcockpit")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
