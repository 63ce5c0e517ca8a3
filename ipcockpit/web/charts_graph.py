"""ECharts material of the knowledge-graph pages: what the explorer's script needs besides the data (the names of
labels and relationships in the page's language, the colours of the labels), and the talent page's flow bars."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ipcockpit.graph.build import LABELS, RELATIONSHIPS

#: one colour per node label (LABELS' order)
LABEL_COLOURS = ("#2b6cb0", "#805ad5", "#dd6b20", "#a0aec0", "#38a169", "#d53f8c", "#319795")
FLOW_COLOURS = {"inflow": "#2f855a", "outflow": "#c53030", "within": "#a0aec0"}


def explorer_config(data: dict[str, Any], t: Callable[..., str]) -> dict[str, Any]:
    """The explorer script's settings: category names and colours, relationship names, texts."""
    return {
        "categories": [{"name": t(f"kg.label.{label}"), "itemStyle": {"color": colour}}
                       for label, colour in zip(LABELS, LABEL_COLOURS, strict=True)],
        "labels": list(LABELS),
        "relationships": {r: t(f"kg.rel.{r}") for r in RELATIONSHIPS},
        "texts": {k: t(f"kg.js.{k}") for k in ("loading", "failed", "truncated", "expanded", "shown", "documents",
                                               "evidence", "open", "expand", "years", "no_links", "capped")},
    }


def flow_bars(rows: Sequence[dict[str, Any]], t: Callable[..., str], top: int = 15) -> dict[str, Any]:
    """Horizontal stacked bars: per region or industry (the ``top`` with the most events), the events out of
    it, into it and within it."""
    shown = list(rows)[:top][::-1]
    names = [f"{r['name'] or r['key']}" if r["key"] != "unknown" else t("kg.unknown") for r in shown]
    series = [{"name": t(f"kg.flow.{k}"), "type": "bar", "stack": "events", "itemStyle": {"color": colour},
               "data": [int(r[k]) for r in shown], "emphasis": {"focus": "series"}}
              for k, colour in FLOW_COLOURS.items()]
    return {
        "aria": {"enabled": True},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0, "data": [s["name"] for s in series]},
        "grid": {"left": 8, "right": 24, "top": 36, "bottom": 32, "containLabel": True},
        "xAxis": {"type": "value", "name": t("kg.events"), "minInterval": 1},
        "yAxis": {"type": "category", "data": names},
        "series": series,
    }


def strength_bars(rows: Sequence[dict[str, Any]], t: Callable[..., str], top: int = 20) -> dict[str, Any]:
    """Horizontal bars of the composite strength of the ``top`` organisations ranked."""
    shown = list(rows)[:top][::-1]
    return {
        "aria": {"enabled": True},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 8, "right": 24, "top": 16, "bottom": 32, "containLabel": True},
        "xAxis": {"type": "value", "name": t("strength.composite"), "max": 100, "nameLocation": "middle",
                  "nameGap": 24},
        # every organisation named (ECharts would drop every other label of a crowded axis)
        "yAxis": {"type": "category", "data": [f"{r['rank']}. {r['name']}"[:30] for r in shown],
                  "axisLabel": {"interval": 0}},
        "series": [{"type": "bar", "name": t("strength.composite"), "data": [r["composite"] for r in shown],
                    "itemStyle": {"color": "#2b6cb0"}}],
    }


def type_year_bars(rows: Sequence[dict[str, Any]], t: Any) -> dict[str, Any]:
    """Stacked bars of documents per year of the work, one series per document type (rows: year, doc_type,
    documents; rows without a year left out)."""
    dated = [r for r in rows if r["year"] is not None]
    years = sorted({r["year"] for r in dated})
    types = sorted({r["doc_type"] or "other" for r in dated})
    at = {y: i for i, y in enumerate(years)}
    series = []
    for kind in types:
        values = [0] * len(years)
        for r in dated:
            if (r["doc_type"] or "other") == kind:
                values[at[r["year"]]] += int(r["documents"])
        series.append({"name": t.label("doc_type", kind), "type": "bar",
                       "stack": "documents", "data": values})
    return {
        "aria": {"enabled": True},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 16, "top": 36, "bottom": 40},
        "xAxis": {"type": "category", "data": [str(y) for y in years]},
        "yAxis": {"type": "value", "name": t("kg.documents"), "minInterval": 1},
        "series": series,
    }
