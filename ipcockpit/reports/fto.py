"""The FTO screening report (侵权风险筛查报告) of one :func:`ipcockpit.search.fto.fto` result: HTML and PDF.

:func:`fto_html` renders ``reports/templates/fto_report.html``, a standalone printable page (inline CSS, no
script): the query and its features, a summary, one section per patent with its claim, the elements found
in the product highlighted with ``<mark>`` and the others struck through, the element table, the
explanation, the method (formula, weights, thresholds), the date and the disclaimer.
:func:`fto_pdf` lays out the same content with reportlab, Chinese in the embedded WenQuanYi font
(:func:`ipcockpit.reports.cockpit_pdf.cjk_font`). Both are Chinese by default and English with ``lang="en"``;
every label is a ``fto_report.*`` text of the catalogues (:mod:`ipcockpit.i18n`). The web app embeds the same
template in its FTO page (``embedded=True``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from ipcockpit.i18n import Translator

TEMPLATES = Path(__file__).resolve().parent / "templates"

LEVEL_COLOURS = {"high": "#c0392b", "medium": "#d68910", "low": "#2e7d32"}
HIT_COLOUR = "#ffe58f"
MISS_COLOUR = "#f3d1d1"


def norm_lang(lang: str | None) -> str:
    """``en`` for English, ``zh-CN`` for anything else (Chinese is the default)."""
    return "en" if (lang or "").lower().startswith("en") else "zh-CN"

def claim_segments(
    text: str, elements: list[Mapping[str, Any]], preamble: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """``text`` cut at the element spans: ``{"text", "kind": plain|hit|miss|preamble, "index"}`` pieces that
    joined give ``text`` again (``index`` is the element's 1-based number)."""
    spans = []
    if preamble:
        spans.append((preamble["span"][0], preamble["span"][1], "preamble", None))
    for i, e in enumerate(elements, start=1):
        spans.append((e["span"][0], e["span"][1], "hit" if e["matched"] else "miss", i))
    out, pos = [], 0
    for start, end, kind, index in sorted(spans):
        start = max(start, pos)
        if end <= start:
            continue
        if start > pos:
            out.append({"text": text[pos:start], "kind": "plain", "index": None})
        out.append({"text": text[start:end], "kind": kind, "index": index})
        pos = end
    if pos < len(text):
        out.append({"text": text[pos:], "kind": "plain", "index": None})
    return out


def feature_segments(text: str, features: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The description cut at its feature spans (``kind`` ``feature`` with its 1-based ``index``)."""
    out, pos = [], 0
    for i, f in enumerate(features, start=1):
        start, end = max(f["span"][0], pos), f["span"][1]
        if end <= start:
            continue
        if start > pos:
            out.append({"text": text[pos:start], "kind": "plain", "index": None})
        out.append({"text": text[start:end], "kind": "feature", "index": i})
        pos = end
    if pos < len(text):
        out.append({"text": text[pos:], "kind": "plain", "index": None})
    return out


@cache
def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))


def report_context(result: Mapping[str, Any], lang: str = "zh-CN") -> dict[str, Any]:
    """What the template (and the PDF) show: the result plus ``t`` (the catalogue in ``lang``), segments and
    the method table."""
    lang = norm_lang(lang)
    def shown(r: Mapping[str, Any]) -> dict[str, Any]:
        return {
            **r,
            "segments": claim_segments(r["claim_text"], r["elements"], r.get("preamble")),
            "explanation_text": r["explanation"]["en" if lang == "en" else "zh"],
            "status_text": r["status_label"] if lang == "en" else r["status_label_zh"],
        }

    rows = [shown(r) for r in result["results"]]
    t = Translator(lang)
    relevance = result.get("relevance")  # absent from results saved by earlier versions
    best = (relevance or {}).get("best")
    no_relevant = None
    if not rows and best:
        no_relevant = t("fto_report.no_relevant", patent=best["publication_number"], claim=best["claim_num"],
                        found=best["elements_matched"], total=best["elements_total"],
                        technical=f"{best['technical']:.2f}", floor=f"{relevance['floor']:.2f}")
    m = result["method"]
    settings = [(k, v) for k, v in m.items() if k not in ("spaces", "index", "generated")]
    query = result["query"]
    return {
        "lang": lang,
        "t": t,
        "result": result,
        "rows": rows,
        "weaker_rows": [shown(r) for r in result.get("weaker", [])],
        "relevance": relevance,
        "no_relevant": no_relevant,
        "query": query,
        "features": result["features"],
        "feature_segments": feature_segments(query["text"], result["features"]),
        "summary": result["summary"],
        "method": m,
        "settings": settings,
        "colours": LEVEL_COLOURS,
        "disclaimer": result["disclaimer"],
        "generated": m.get("generated"),
        "excluded": [a["input"] for a in result["excluded"]["applicants"]],
    }


def fto_html(result: Mapping[str, Any], lang: str = "zh-CN", embedded: bool = False) -> str:
    """The report of one ``fto()`` result as a standalone printable HTML page; ``embedded``: only its
    ``<section>`` (with its ``<style>``), for a web page."""
    return _environment().get_template("fto_report.html").render(**report_context(result, lang), embedded=embedded)


# PDF ---------------------------------------------------------------------------------------------
#: characters of one element or feature a PDF table cell shows (a cell cannot run over a page; the HTML
#: report has the whole text)
CELL_CHARS = 1200


def _cell(text: str) -> str:
    return text if len(text) <= CELL_CHARS else text[:CELL_CHARS] + " …"


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def fto_pdf(result: Mapping[str, Any], lang: str = "zh-CN") -> bytes:
    """The report of one ``fto()`` result as PDF bytes (A4; the CJK font embedded when installed)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from ipcockpit.reports.cockpit_pdf import INK, LINE, MUTED, VALUE, cjk_font

    c = report_context(result, lang)
    t, font = c["t"], cjk_font()
    wrap = None if c["lang"] == "en" else "CJK"
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=13, textColor=INK, wordWrap=wrap)
    st = {
        "base": base,
        "title": ParagraphStyle(
            "title", parent=base, fontSize=17, leading=23, alignment=TA_CENTER, spaceAfter=4
        ),
        "sub": ParagraphStyle(
            "sub", parent=base, fontSize=9, leading=13, alignment=TA_CENTER, textColor=MUTED
        ),
        "h2": ParagraphStyle(
            "h2", parent=base, fontSize=12.5, leading=17, spaceBefore=10, spaceAfter=5, textColor=VALUE
        ),
        "h3": ParagraphStyle("h3", parent=base, fontSize=10.5, leading=14, spaceBefore=8, spaceAfter=3),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=10),
        "head": ParagraphStyle("head", parent=base, fontSize=7.5, leading=10, textColor=colors.white),
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10.5, textColor=MUTED),
    }

    def p(text: Any, style: str = "base") -> Paragraph:
        return Paragraph(escape(_fmt(text)), st[style])

    def table(data: list[list[Any]], widths: list[float]) -> Table:
        tb = Table(data, colWidths=[w * mm for w in widths], repeatRows=1, splitInRow=1)
        tb.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), VALUE),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("GRID", (0, 0), (-1, -1), 0.4, LINE),
                ]
            )
        )
        return tb

    q, summary = c["query"], c["summary"]
    disclaimer = f"{c['disclaimer']['zh']} {c['disclaimer']['en']}"
    story: list[Any] = [
        p(t("fto_report.title"), "title"),
        p(
            f"{t('fto_report.generated')} {c['generated']} · {t('fto_report.as_of')} {q['as_of']} · "
            f"{t('fto_report.jurisdictions')} {', '.join(q['jurisdictions'] or []) or t('fto_report.all')} · "
            f"{t('fto_report.excluded')} {', '.join(c['excluded']) or t('fto_report.none')}",
            "sub",
        ),
        Spacer(1, 4),
        p(f"{t('fto_report.disclaimer_title')}: {disclaimer}", "small"),
        p(t("fto_report.query"), "h2"),
        p(q["text"]),
        p(t("fto_report.features"), "h3"),
        *[p(f"F{i}. {f['text']}", "small") for i, f in enumerate(c["features"], start=1)],
        p(t("fto_report.summary"), "h2"),
        p(
            f"{summary['results']} {t('fto_report.results')} · {t('fto_report.high')} {summary['high']} · "
            f"{t('fto_report.medium')} {summary['medium']} · {t('fto_report.low')} {summary['low']} · "
            f"{summary['candidates']} {t('fto_report.candidates')} · {summary['analysed']} {t('fto_report.analysed')}"
        ),
    ]
    if c["rows"]:
        head = [
            t("fto_report." + k)
            for k in ("rank", "patent", "status", "expiry", "value", "claim", "coverage", "risk", "level")
        ]
        data = [[Paragraph(escape(h), st["head"]) for h in head]]
        for i, r in enumerate(c["rows"], start=1):
            data.append(
                [
                    Paragraph(escape(_fmt(x)), st["cell"])
                    for x in (
                        i,
                        r["publication_number"],
                        r["status_text"],
                        r["expiry_date"],
                        r["value_index"],
                        r["claim_num"],
                        f"{r['elements_matched']}/{r['elements_total']}",
                        r["risk_score"],
                        t("fto_report." + r["risk_level"]),
                    )
                ]
            )
        story.append(table(data, [8, 32, 34, 20, 14, 14, 18, 14, 14]))
    else:
        story.append(p(c["no_relevant"] or t("fto_report.no_results")))
    if c["weaker_rows"]:  # listed in the HTML report and the JSON, counted here
        story.append(p(t("fto_report.weaker", count=c["relevance"]["weaker"],
                         floor=f"{c['relevance']['floor']:.2f}") + " — " + t("fto_report.weaker_pdf"), "small"))
    story += [
        p(f"{t('fto_report.legend')}: ", "small"),
        Paragraph(
            f'<span backColor="{HIT_COLOUR}">{escape(t("fto_report.legend_hit"))}</span> · '
            f'<span backColor="{MISS_COLOUR}">{escape(t("fto_report.legend_miss"))}</span> · '
            f"<u>{escape(t('fto_report.legend_pre'))}</u>",
            st["small"],
        ),
    ]
    for i, r in enumerate(c["rows"], start=1):
        colour, level = LEVEL_COLOURS[r["risk_level"]], t("fto_report." + r["risk_level"])
        story.append(
            Paragraph(
                f"{i}. {escape(r['publication_number'])} · {escape(r['title'] or '')} · "
                f'<font color="{colour}">{escape(t("fto_report.risk"))} {r["risk_score"]:.0f} ({escape(level)})</font>',
                st["h3"],
            )
        )
        story.append(
            p(
                f"{t('fto_report.applicants')}: {'; '.join(r['applicants']) or '–'} · "
                f"{t('fto_report.status')}: {r['status_text']} "
                f"({r['status_reason_zh'] if c['lang'] != 'en' else r['status_reason']})",
                "small",
            )
        )
        marked = []
        for s in r["segments"]:
            text = escape(s["text"])
            if s["kind"] == "hit":
                marked.append(f'<span backColor="{HIT_COLOUR}">[{s["index"]}] {text}</span>')
            elif s["kind"] == "miss":
                marked.append(f'<span backColor="{MISS_COLOUR}">[{s["index"]}] {text}</span>')
            elif s["kind"] == "preamble":
                marked.append(f"<u>{text}</u>")
            else:
                marked.append(text)
        story.append(
            Paragraph(f"<b>{escape(t('fto_report.claim'))} {r['claim_num']}</b>: " + "".join(marked), st["base"])
        )
        data = [
            [
                Paragraph(escape(h), st["head"])
                for h in (
                    "#",
                    t("fto_report.element"),
                    t("fto_report.best_feature"),
                    t("fto_report.similarity"),
                    t("fto_report.found"),
                )
            ]
        ]
        for j, e in enumerate(r["elements"], start=1):
            data.append(
                [
                    Paragraph(escape(x), st["cell"])
                    for x in (
                        str(j),
                        _cell(e["text"]),
                        _cell(f"F{e['best_feature_index'] + 1}. {e['best_feature']}"),
                        _fmt(e["similarity"]),
                        t("fto_report.yes") if e["matched"] else t("fto_report.no"),
                    )
                ]
            )
        story += [
            Spacer(1, 3),
            table(data, [8, 76, 60, 18, 14]),
            Spacer(1, 3),
            p(f"{t('fto_report.explanation')}: {r['explanation_text']}", "small"),
        ]
    story += [p(t("fto_report.method"), "h2"), p(t("fto_report.formula"), "small")]
    data = [
        [
            Paragraph(escape(t("fto_report.setting")), st["head"]),
            Paragraph(escape(t("fto_report.setting_value")), st["head"]),
        ]
    ]
    data += [[p(k, "cell"), p(v, "cell")] for k, v in c["settings"]]
    data += [
        [p("spaces", "cell"), p(", ".join(f"{k}: {v}" for k, v in c["method"]["spaces"].items()), "cell")]
    ]
    story += [table(data, [50, 120]), Spacer(1, 6), p(disclaimer, "small")]

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(14 * mm, 10 * mm, f"{t('fto_report.title')} · {c['generated']} · {c['disclaimer']['zh']}")
        canvas.drawRightString(A4[0] - 14 * mm, 10 * mm, str(doc.page))
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=18 * mm,
        title=t("fto_report.title"),
        author="ipcockpit",
        creator="ipcockpit",
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
