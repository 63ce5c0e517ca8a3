"""The cockpit as flat tables: one row per indicator, one row per indicator and year of its trend, the
records of a drill-down. The CSV and Excel downloads of the web app and the PDF report use them, so that
every download shows the same figures as the page and :func:`ipcockpit.cockpit.indicators.cockpit`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

#: status colours, as the badges and bars on the page (on track / at risk / off track / none)
STATUS_COLOURS = {"on_track": "#2f855a", "at_risk": "#d69e2e", "off_track": "#c53030", None: "#a0aec0"}
STATUSES: tuple[str | None, ...] = ("on_track", "at_risk", "off_track", None)


#: the columns of :func:`indicator_rows`, in order
INDICATOR_COLUMNS = (
    "id", "name", "name_en", "unit", "mode", "baseline", "baseline_year", "target", "target_year", "value",
    "year", "source", "records", "progress", "change", "change_pct", "forecast", "forecast_method", "status",
    "source_document", "reported_by", "reported_at", "method", "reason", "provenance_kind", "progress_reason",
    "coverage_status", "coverage_year", "coverage_loaded", "coverage_official", "coverage_share", "coverage_reason",
)


def number(value: Any, digits: int = 2) -> str:
    """``12.01``, ``1,886``, ``0.0375``: thousands separators, at most ``digits`` decimals (more for small
    values, so that 0.0375 does not show as 0.04 or 0), no trailing zeros; '–' for none."""
    if value is None:
        return "–"
    v = float(value)
    if v != 0 and abs(v) < 1:
        digits = max(digits, 1 - math.floor(math.log10(abs(v))) + 1)
    text = f"{v:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def name_of(card: Mapping[str, Any], lang: str) -> str:
    return (card.get("name_en") if lang == "en" else card.get("name_zh")) or card.get("name") or card["id"]


def unit_of(card: Mapping[str, Any], lang: str) -> str:
    return ((card.get("unit_en") if lang == "en" else None) or card.get("unit_zh") or card.get("unit") or "")


def status_counts(cards: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many cards are on track, at risk, off track or without a status (key ``none``)."""
    counts = {str(s) if s else "none": 0 for s in STATUSES}
    for c in cards:
        counts[c.get("status") or "none"] += 1
    return counts


def provenance_summary(card: Mapping[str, Any]) -> dict[str, Any]:
    """The provenance of a card as five flat fields: source document, reporter, time, method and kind
    (``computed``, ``plan_text``, ``profile``, ``reported``; docs/cockpit.md). A computed value's source
    document and reporter are those of the population it is divided by, or of the start of a running total."""
    prov = card.get("provenance") or {}
    if card.get("source") == "computed":
        pop = prov.get("population") or {}
        start = prov.get("baseline") or {}
        return {"source_document": pop.get("source_document") or start.get("source_document"),
                "reported_by": pop.get("reported_by"), "reported_at": pop.get("reported_at"),
                "method": prov.get("method"), "provenance_kind": "computed"}
    return {"source_document": prov.get("source_document"), "reported_by": prov.get("reported_by"),
            "reported_at": prov.get("reported_at"), "method": None, "provenance_kind": prov.get("kind")}


def indicator_rows(data: Mapping[str, Any], t: Any = None) -> list[dict[str, Any]]:
    """One flat row per indicator card of ``cockpit()`` (columns :data:`INDICATOR_COLUMNS`); with a translator
    ``t``, the name, unit, forecast method and reasons in its language (as the page shows them), else as stored."""
    from ipcockpit.cockpit.reasons import translate

    rows = []
    for c in data["indicators"]:
        change = c.get("change") or {}
        fc = c.get("forecast") or {}
        cov = c.get("coverage") or {}
        row = {
            "id": c["id"], "name": c.get("name_zh") or c.get("name"), "name_en": c.get("name_en"),
            "unit": c.get("unit"), "mode": c.get("mode"), "baseline": c.get("baseline"),
            "baseline_year": c.get("baseline_year"), "target": c.get("target"), "target_year": c.get("target_year"),
            "value": c.get("value"), "year": c.get("year"), "source": c.get("source"), "records": c.get("records"),
            "progress": c.get("progress"), "change": change.get("value"), "change_pct": change.get("pct"),
            "forecast": fc.get("value"), "forecast_method": fc.get("method_text"), "status": c.get("status"),
            **provenance_summary(c), "reason": c.get("reason") or c.get("status_reason"),
            "progress_reason": c.get("progress_reason"),
            "coverage_status": cov.get("status"), "coverage_year": cov.get("year"),
            "coverage_loaded": cov.get("loaded"), "coverage_official": cov.get("official"),
            "coverage_share": cov.get("share"), "coverage_reason": cov.get("reason"),
        }
        if t is not None:
            lang = "en" if t.lang == "en" else "zh"
            row.update(name=name_of(c, t.lang), unit=unit_of(c, t.lang),
                       forecast_method=(fc.get("method_text") if lang == "en" else fc.get("method_zh")) or None,
                       reason=translate(c, "reason", t) or translate(c, "status_reason", t),
                       progress_reason=translate(c, "progress_reason", t),
                       coverage_reason=translate(cov, "reason", t) if cov else None)
        rows.append({k: row.get(k) for k in INDICATOR_COLUMNS})
    return rows


def trend_rows(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per indicator and year of its trend, then its forecast (``source: forecast``)."""
    rows = []
    for c in data["indicators"]:
        for p in c.get("trend") or []:
            rows.append({"id": c["id"], "year": p["year"], "value": p["value"], "source": p["source"],
                         "records": p.get("records")})
        if c.get("forecast"):
            rows.append({"id": c["id"], "year": c["forecast"]["year"], "value": c["forecast"]["value"],
                         "source": "forecast", "records": None})
    return rows


def series_rows(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The region's input series (population, market entities) with their provenance."""
    return [{"series": sid, "year": v["year"], "value": v["value"], "source_document": v.get("source_document"),
             "reported_by": v.get("reported_by"), "reported_at": v.get("reported_at")}
            for sid, s in (data["region"].get("series") or {}).items() for v in s.get("values") or []]


def cockpit_tables(data: Mapping[str, Any], t: Any = None) -> dict[str, list[dict[str, Any]]]:
    """The downloadable tables of the cockpit page: ``indicators`` (in ``t``'s language, if given), ``trend``,
    ``series``."""
    return {"indicators": indicator_rows(data, t), "trend": trend_rows(data), "series": series_rows(data)}


def record_rows(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The drill-down's records as flat rows (lists joined with '; ')."""
    return [{k: "; ".join(map(str, v)) if isinstance(v, list) else v for k, v in r.items()} for r in data["rows"]]
