"""ECharts options built from page data; the browser only calls ``setOption`` with them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def office_year_bars(rows: Sequence[dict[str, Any]], t: Callable[..., str]) -> dict[str, Any]:
    """A stacked bar chart of documents per year, one series per office (rows of ``by_office_year``).

    Rows without a year are left out: the page lists them beside the chart, where one large
    undated source cannot flatten every dated bar.
    """
    dated = [r for r in rows if r["year"] is not None]
    years = sorted({r["year"] for r in dated})
    labels = [str(y) for y in years]
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
