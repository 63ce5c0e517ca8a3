"""ECharts options built from page data; the browser only calls ``setOption`` with them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any


def office_year_bars(rows: Sequence[dict[str, Any]], t: Callable[..., str],
                     undated: str | None = None) -> dict[str, Any]:
    """A stacked bar chart of documents per year, one series per office (rows of ``by_office_year``).

    Rows without a year are left out by default: the overview lists them beside the chart, where one
    large undated source cannot flatten every dated bar. With ``undated`` (a label) they are the last bar
    instead: a page of search results, all undated when the source gives no date, is drawn, not empty.
    """
    dated = [r for r in rows if r["year"] is not None or undated is not None]
    years = sorted({r["year"] for r in dated}, key=lambda y: (y is None, y or 0))
    labels = [str(y) if y is not None else str(undated) for y in years]
    position = {y: i for i, y in enumerate(years)}
    offices = sorted({r["office"] or "?" for r in dated})
    series = []
    for office in offices:
        values = [0] * len(labels)
        for r in dated:
            if (r["office"] or "?") == office:
                values[position[r["year"]]] += int(r["documents"])
        series.append({"name": office, "type": "bar", "stack": "documents", "data": values,
                       "emphasis": {"focus": "series"}})
    zoom = len(labels) > 30
    return {
        "aria": {"enabled": True},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0, "data": offices},
        "grid": {"left": 56, "right": 24, "top": 40, "bottom": 84 if zoom else 56},
        "xAxis": {"type": "category", "name": t("chart.year"), "nameLocation": "middle", "nameGap": 30,
                  "data": labels},
        "yAxis": {"type": "value", "name": t("chart.documents")},
        "dataZoom": [{"type": "inside"}, {"type": "slider", "height": 18, "bottom": 6}] if zoom else [],
        "series": series,
    }


def undated_summary(rows: Sequence[dict[str, Any]]) -> str:
    """``CN 2,492, US 3``: documents without a publication year, per office ('' when none)."""
    return ", ".join(f"{r['office'] or '?'} {int(r['documents']):,}" for r in rows if r["year"] is None)


#: colours of the answers yes / no / unknown, as the badges on the pages
ANSWER_COLOURS = {"yes": "#2f855a", "no": "#a0aec0", "unknown": "#d69e2e"}


def value_index_histogram(bins: Sequence[dict[str, Any]], t: Callable[..., str]) -> dict[str, Any]:
    """Stacked bars of the value-index distribution (bins of ``value_index_bins``), by high-value answer."""
    labels = [f"{b['from']}–{b['to']}" for b in bins]
    series = [{"name": t(f"answer.{a}"), "type": "bar", "stack": "patents", "data": [int(b[a]) for b in bins],
               "itemStyle": {"color": colour}, "emphasis": {"focus": "series"}}
              for a, colour in ANSWER_COLOURS.items()]
    return {
        "aria": {"enabled": True},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0, "data": [s["name"] for s in series]},
        "grid": {"left": 48, "right": 16, "top": 36, "bottom": 48},
        "xAxis": {"type": "category", "name": t("chart.value_index"), "nameLocation": "middle", "nameGap": 30,
                  "data": labels, "axisLabel": {"interval": 0, "fontSize": 10}},
        "yAxis": {"type": "value", "name": t("chart.patents"), "minInterval": 1},
        "series": series,
    }


def condition_bars(rows: Sequence[dict[str, Any]], t: Callable[..., str]) -> dict[str, Any]:
    """Horizontal stacked bars: per condition (``summary.conditions``), patents met / not met / unknown."""
    names = [t(f"condition.{r['condition']}") for r in rows][::-1]
    series = [{"name": t(f"answer.{a}"), "type": "bar", "stack": "patents", "itemStyle": {"color": colour},
               "data": [int(r[a]) for r in rows][::-1], "emphasis": {"focus": "series"}}
              for a, colour in ANSWER_COLOURS.items()]
    return {
        "aria": {"enabled": True},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0, "data": [s["name"] for s in series]},
        "grid": {"left": 8, "right": 24, "top": 36, "bottom": 40, "containLabel": True},
        "xAxis": {"type": "value", "name": t("chart.patents"), "nameLocation": "middle", "nameGap": 26,
                  "minInterval": 1},
        "yAxis": {"type": "category", "data": names},
        "series": series,
    }


def ipc_pie(rows: Sequence[Mapping[str, Any]], t: Callable[..., str], lang: str) -> dict[str, Any]:
    """A ring chart of documents per IPC subclass (rows of ``top_subclasses``); the tooltip names the
    subclass with the start of its title in ``lang``."""
    def label(r: Mapping[str, Any]) -> str:
        text = (r.get("title_zh") or r.get("title_en")) if lang == "zh-CN" else (r.get("title_en") or r.get("title_zh"))
        return f"{r['subclass']} {text[:24]}{'…' if len(text) > 24 else ''}" if text else str(r["subclass"])

    return {
        "aria": {"enabled": True},
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"type": "scroll", "orient": "vertical", "left": "58%", "right": 0, "top": 20, "bottom": 20},
        "series": [{"name": t("chart.documents"), "type": "pie", "radius": ["30%", "62%"], "center": ["28%", "50%"],
                    "label": {"show": False},
                    "data": [{"name": label(r), "value": int(r["documents"])} for r in rows]}],
    }
