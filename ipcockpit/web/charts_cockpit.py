"""ECharts options and view helpers of the cockpit page (驾驶舱) and its big screen, built from the cards
that :meth:`ipcockpit.app.Cockpit.cockpit` returns; the browser only calls ``setOption`` with them."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import tzinfo
from typing import Any

from ipcockpit import localtime
from ipcockpit.cockpit.coverage import coverage_view
from ipcockpit.cockpit.reasons import translate
from ipcockpit.cockpit.tables import STATUS_COLOURS, STATUSES, name_of, number, status_counts, unit_of

__all__ = ["STATUS_COLOURS", "STATUSES", "cards_view", "name_of", "number", "progress_bars", "records_view",
           "status_counts", "trend_chart", "unit_of"]

LIGHT = {"text": "#66788a", "line": "#d9e2ec", "value": "#102a43", "forecast": "#486581"}
DARK = {"text": "#9fb3c8", "line": "#243b53", "value": "#4fd1c5", "forecast": "#90cdf4"}

T = Callable[..., str]


def progress_pct(card: Mapping[str, Any]) -> float | None:
    """Progress to target in percent, as the card's bar draws it (0-100; the text shows the true figure)."""
    p = card.get("progress")
    return None if p is None else round(100 * float(p), 1)


def provenance_text(card: Mapping[str, Any], t: T, lang: str, tz: tzinfo | None = None) -> str:
    """The provenance tooltip of a card: the plan text (document, box, column) for a plan baseline; the
    profile for a profile's value; who, when (the day in ``tz``: a report time is stored in UTC) and which
    document for a reported value; the method and the record count for a computed one."""
    prov = card.get("provenance") or {}
    if card.get("source") == "computed":
        method = (prov.get("method_zh") if lang != "en" else None) or prov.get("method") or ""
        return t("cockpit.provenance_computed", method=method, records=f"{int(card.get('records') or 0):,}")
    if card.get("source") == "reported":
        document = prov.get("source_document") or "–"
        kind = prov.get("kind") or ("plan_text" if prov.get("origin") == "plan" else "reported")
        if kind == "plan_text":  # the plan's date of issue, a day
            text = t("cockpit.provenance_plan", document=document, when=str(prov.get("reported_at") or "")[:10] or "–")
        elif kind == "profile":
            text = t("cockpit.provenance_profile", document=document, file=prov.get("origin_ref") or "–")
        else:
            when = localtime.local_date(prov.get("reported_at"), tz or localtime.system_zone(), "utc") or "–"
            text = t("cockpit.provenance_reported", who=prov.get("reported_by") or "–", when=when, document=document)
        added = prov.get("added_to")
        if added:
            text += " " + t("cockpit.provenance_year_added", value=number(card["value"] - added["value"]),
                            year=added["year"], previous=number(added["value"]))
        if prov.get("stored") is False:
            text += " " + t("cockpit.provenance_not_stored")
        return text
    return t("cockpit.no_value")


def axis_range(values: Sequence[Any]) -> tuple[float | None, float | None]:
    """A y-axis range that shows every value, the target and the forecast, rounded to a step of the
    order of the spread (0 at the bottom when the values are near it); (None, None) without values."""
    known = [float(v) for v in values if v is not None]
    if not known:
        return None, None
    lo, hi = min(known), max(known)
    spread = hi - lo or abs(hi) or 1.0
    step = 10 ** math.floor(math.log10(spread))
    lo, hi = math.floor((lo - spread * 0.1) / step) * step, math.ceil((hi + spread * 0.1) / step) * step
    if min(known) >= 0 > lo:
        lo = 0.0
    return round(lo, 10), round(hi, 10)


def trend_chart(card: Mapping[str, Any], t: T, lang: str, *, dark: bool = False, big: bool = False) -> dict[str, Any]:
    """A card's trend: the values from the baseline year (solid), the forecast to the target year
    (dashed, from the last value) and the target (a dashed line)."""
    colours = DARK if dark else LIGHT
    first = int(card["baseline_year"])
    last = int(card["target_year"])
    points = {int(p["year"]): p["value"] for p in card.get("trend") or []}
    first = min([first, *points])
    years = list(range(first, max([last, *points]) + 1))
    actual = [points.get(y) for y in years]
    series: list[dict[str, Any]] = [{
        "name": t("cockpit.chart_actual"), "type": "line", "data": actual, "connectNulls": True,
        "symbolSize": 7 if big else 5, "lineStyle": {"width": 3 if big else 2, "color": colours["value"]},
        "itemStyle": {"color": colours["value"]},
    }]
    fc = card.get("forecast")
    if fc and points and int(fc["year"]) > max(points):
        start = max(points)
        dashed = [points[y] if y == start else (fc["value"] if y == int(fc["year"]) else None) for y in years]
        series.append({"name": t("cockpit.chart_forecast"), "type": "line", "data": dashed, "connectNulls": True,
                       "symbolSize": 6 if big else 4, "lineStyle": {"type": "dashed", "color": colours["forecast"]},
                       "itemStyle": {"color": colours["forecast"]}})
    if card.get("target") is not None:
        series[0]["markLine"] = {
            "symbol": "none", "silent": True,
            "lineStyle": {"type": "dashed", "color": STATUS_COLOURS["off_track"]},
            "label": {"formatter": t("cockpit.chart_target") + " {c}", "position": "insideEndTop",
                      "color": colours["text"], "fontSize": 14 if big else 10},
            "data": [{"yAxis": card["target"]}],
        }
    font = 14 if big else 10
    lo, hi = axis_range([*actual, card.get("target"), card.get("baseline"), fc["value"] if fc else None])
    return {
        "aria": {"enabled": True},
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 16, "top": 18 if not big else 36, "bottom": 4, "containLabel": True},
        "legend": {"show": big, "top": 0, "textStyle": {"color": colours["text"], "fontSize": font}},
        "xAxis": {"type": "category", "data": [str(y) for y in years], "boundaryGap": False,
                  "axisLabel": {"color": colours["text"], "fontSize": font},
                  "axisLine": {"lineStyle": {"color": colours["line"]}}},
        "yAxis": {"type": "value", "min": lo, "max": hi, "name": unit_of(card, lang) if big else "",
                  "nameTextStyle": {"color": colours["text"]},
                  "axisLabel": {"color": colours["text"], "fontSize": font},
                  "splitLine": {"lineStyle": {"color": colours["line"]}}},
        "series": series,
    }


def progress_bars(cards: Sequence[Mapping[str, Any]], t: T, lang: str, *, dark: bool = False) -> dict[str, Any]:
    """Horizontal bars: progress to target of every indicator with a target (percent), coloured by status,
    with a line at 100 %."""
    colours = DARK if dark else LIGHT
    shown = [c for c in cards if c.get("progress") is not None][::-1]
    data = [{"value": progress_pct(c), "itemStyle": {"color": STATUS_COLOURS.get(c.get("status"), "#a0aec0")}}
            for c in shown]
    return {
        "aria": {"enabled": True},
        "animation": False,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 8, "right": 48, "top": 12, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "min": 0, "max": max(100, *(d["value"] or 0 for d in data)) if data else 100,
                  "axisLabel": {"formatter": "{value}%", "color": colours["text"]},
                  "splitLine": {"lineStyle": {"color": colours["line"]}}},
        "yAxis": {"type": "category", "data": [name_of(c, lang) for c in shown],
                  "axisLabel": {"color": colours["text"], "fontSize": 13, "width": 220, "overflow": "truncate"}},
        "series": [{"name": t("cockpit.progress"), "type": "bar", "data": data, "barMaxWidth": 22,
                    "label": {"show": True, "position": "right", "formatter": "{c}%", "color": colours["text"]},
                    "markLine": {"symbol": "none", "silent": True, "data": [{"xAxis": 100}],
                                 "lineStyle": {"type": "dashed", "color": colours["text"]}, "label": {"show": False}}}],
    }


def cards_view(cards: Sequence[Mapping[str, Any]], t: T, lang: str, *, dark: bool = False,
               tz: tzinfo | None = None) -> dict[str, dict[str, Any]]:
    """Per card id, what the template shows besides the card itself: name, unit, progress bar width,
    provenance tooltip, status colour and the trend chart's option."""
    out = {}
    for c in cards:
        pct = progress_pct(c)
        out[c["id"]] = {
            "name": name_of(c, lang),
            "unit": unit_of(c, lang),
            "progress": pct,
            "bar": None if pct is None else max(0.0, min(100.0, pct)),
            "provenance": provenance_text(c, t, lang, tz),
            "colour": STATUS_COLOURS.get(c.get("status"), STATUS_COLOURS[None]),
            "chart": trend_chart(c, t, lang, dark=dark),
            "forecast_method": ((c["forecast"].get("method_text") if lang == "en" else c["forecast"].get("method_zh"))
                                if c.get("forecast") else None),
            "reason": translate(c, "reason", t),
            "progress_reason": translate(c, "progress_reason", t),
            "status_reason": translate(c, "status_reason", t),
            "coverage": coverage_view(c.get("coverage"), t, lang),
        }
    return out


def records_view(data: Mapping[str, Any], t: T, lang: str) -> dict[str, Any]:
    """What the drill-down page shows besides its rows, in the page's language: the method, the reason,
    and the start a running total adds its records to."""
    start = data.get("baseline")
    return {
        "num": number,
        "method": (data.get("method_zh") if lang != "en" else None) or data.get("method"),
        "reason": translate(data, "reason", t),
        "coverage": coverage_view(data.get("coverage"), t, lang),
        "start": t("cockpit.records_baseline", value=number(start["value"]), year=start["year"],
                   kind=t(f"cockpit.kind_{start['kind']}"), document=start.get("source_document") or "–")
        if start else None,
    }
