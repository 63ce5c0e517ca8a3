"""ECharts options of the navigation analyses, one function per chart, built from a section's table rows
(:mod:`ipcockpit.navigation.analyses`). The web page calls ``setOption`` with them; the PDF and Word reports render
the same options to images. Titles and axis names come from the catalogues (``nav.chart.*``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ipcockpit.web.charts import office_year_bars

Rows = Sequence[dict[str, Any]]
T = Callable[..., str]
#: colours of the organisation natures (strength.nature.NATURES)
NATURE_COLOURS = {"enterprise": "#2b6cb0", "university": "#48bb78", "institute": "#805ad5",
                  "individual": "#ed8936", "government": "#718096", "unknown": "#a0aec0"}


def _title(text: str) -> dict[str, Any]:
    """A chart's title, centred at the very top: at ECharts' default place it runs into a legend at the top."""
    return {"text": text, "left": "center", "top": 0, "textStyle": {"fontSize": 13}}


def _base(t: T, title: str) -> dict[str, Any]:
    return {"aria": {"enabled": True}, "title": _title(t(title)),
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}}}


def _hbars(labels: list[str], values: list[Any], t: T, title: str, axis: str,
           colours: list[str] | None = None) -> dict[str, Any]:
    """Horizontal bars, the largest on top."""
    data = [{"value": v, **({"itemStyle": {"color": colours[i]}} if colours else {})} for i, v in enumerate(values)]
    return {**_base(t, title),
            "grid": {"left": 8, "right": 32, "top": 36, "bottom": 32, "containLabel": True},
            "xAxis": {"type": "value", "name": t(axis), "nameLocation": "middle", "nameGap": 24, "minInterval": 1},
            "yAxis": {"type": "category", "data": labels[::-1], "axisLabel": {"width": 220, "overflow": "truncate"}},
            "series": [{"type": "bar", "data": data[::-1], "label": {"show": True, "position": "right"}}]}


def _pie(rows: Rows, t: T, title: str, name: Callable[[dict[str, Any]], str], value: str) -> dict[str, Any]:
    return {**_base(t, title), "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
            "legend": {"type": "scroll", "bottom": 0},
            "series": [{"type": "pie", "radius": ["30%", "62%"], "center": ["50%", "52%"],
                        "data": [{"name": name(r), "value": r[value]} for r in rows]}]}


def trend_bars(rows: Rows, t: T) -> dict[str, Any]:
    """Filings per filing year, stacked by office (``direction.trend``)."""
    option = office_year_bars([{"year": r["year"], "office": r["office"], "documents": r["documents"]}
                               for r in rows], t)
    return {**option, "title": _title(t("nav.chart.trend")),
            "legend": {**option["legend"], "top": 24}, "grid": {**option["grid"], "top": 64}}


def lifecycle(rows: Rows, t: T) -> dict[str, Any]:
    """The technology life cycle (技术生命周期): applicants (y) against applications (x), one point per filing year,
    joined in year order and labelled with the year."""
    return {**_base(t, "nav.chart.lifecycle"), "tooltip": {"trigger": "item"},
            "grid": {"left": 56, "right": 32, "top": 40, "bottom": 48},
            "xAxis": {"type": "value", "name": t("nav.chart.applications"), "nameLocation": "middle", "nameGap": 28,
                      "minInterval": 1},
            "yAxis": {"type": "value", "name": t("nav.chart.applicants"), "minInterval": 1},
            "series": [{"type": "line", "smooth": False, "symbolSize": 8,
                        "label": {"show": True, "formatter": "{@[2]}", "position": "top", "fontSize": 10},
                        # crowded points (a few filings a year): a year that would overprint another is left out
                        "labelLayout": {"hideOverlap": True},
                        "data": [[r["applications"], r["applicants"], str(r["year"])] for r in rows]}]}


def nature_pie(rows: Rows, t: T) -> dict[str, Any]:
    """Documents by applicant nature (``direction.natures``)."""
    option = _pie(rows, t, "nav.chart.natures", lambda r: t(f"nav.nature.{r['nature']}"), "documents")
    option["series"][0]["data"] = [{**d, "itemStyle": {"color": NATURE_COLOURS.get(r["nature"], "#a0aec0")}}
                                   for d, r in zip(option["series"][0]["data"], rows, strict=True)]
    return option


def applicant_bars(rows: Rows, t: T) -> dict[str, Any]:
    """The leading applicants, coloured by nature (``direction.applicants``)."""
    return _hbars([r["name"] for r in rows], [r["documents"] for r in rows], t, "nav.chart.applicants_top",
                  "nav.chart.documents", [NATURE_COLOURS.get(r["nature"], "#a0aec0") for r in rows])


def region_bars(rows: Rows, t: T) -> dict[str, Any]:
    """Documents per country / province / district (``direction.regions``)."""
    return _hbars([r["name"] or r["region"] for r in rows], [r["documents"] for r in rows], t, "nav.chart.regions",
                  "nav.chart.documents")


def branch_bars(rows: Rows, t: T) -> dict[str, Any]:
    """Documents per branch (bars) and its CAGR (line, right axis) (``direction.branches``)."""
    return {**_base(t, "nav.chart.branches"), "legend": {"top": 22},
            "grid": {"left": 56, "right": 56, "top": 56, "bottom": 64},
            "xAxis": {"type": "category", "data": [r["branch"] for r in rows], "axisLabel": {"rotate": 30}},
            "yAxis": [{"type": "value", "name": t("nav.chart.documents"), "minInterval": 1},
                      {"type": "value", "name": t("nav.chart.cagr"), "axisLabel": {"formatter": "{value}"}}],
            "series": [{"name": t("nav.chart.documents"), "type": "bar", "data": [r["documents"] for r in rows]},
                       {"name": t("nav.chart.cagr"), "type": "line", "yAxisIndex": 1, "connectNulls": False,
                        "data": [r["cagr"] for r in rows]}]}


def white_space_scatter(rows: Rows, t: T) -> dict[str, Any]:
    """Thin and rising branches: share (x) against CAGR (y), one series per kind (``direction.white_space``)."""
    kinds = sorted({r["kind"] for r in rows})
    return {**_base(t, "nav.chart.white_space"), "tooltip": {"trigger": "item"}, "legend": {"top": 22},
            "grid": {"left": 56, "right": 32, "top": 56, "bottom": 48},
            "xAxis": {"type": "value", "name": t("nav.chart.share"), "nameLocation": "middle", "nameGap": 28},
            "yAxis": {"type": "value", "name": t("nav.chart.cagr")},
            "series": [{"name": t(f"nav.white_space.{k}"), "type": "scatter", "symbolSize": 10,
                        "label": {"show": True, "formatter": "{@[2]}", "position": "right", "fontSize": 10},
                        "data": [[r["share"], r["cagr"], r["branch"]] for r in rows if r["kind"] == k]}
                       for k in kinds]}


def high_value_pie(rows: Rows, t: T) -> dict[str, Any]:
    """The high-value answers of the documents (``direction.high_value``)."""
    return _pie(rows, t, "nav.chart.high_value", lambda r: t(f"nav.high_value.{r['answer']}"), "documents")


def key_patent_bars(rows: Rows, t: T) -> dict[str, Any]:
    """The key patents by value index (``direction.key_patents``)."""
    return _hbars([r["doc_id"] for r in rows], [r["value_index"] for r in rows], t, "nav.chart.key_patents",
                  "nav.chart.value_index")


def collaboration_graph(rows: Rows, t: T) -> dict[str, Any]:
    """Co-applicant pairs as a graph: nodes are applicants, an edge's width its joint documents."""
    nodes: dict[str, str] = {}
    for r in rows:
        nodes.setdefault(r["a"], r["a_name"])
        nodes.setdefault(r["b"], r["b_name"])
    return {**_base(t, "nav.chart.collaboration"), "tooltip": {"trigger": "item"},
            "series": [{"type": "graph", "layout": "circular", "roam": True, "label": {"show": True, "fontSize": 10},
                        "data": [{"id": k, "name": v or k, "symbolSize": 14} for k, v in nodes.items()],
                        "links": [{"source": r["a"], "target": r["b"], "value": r["documents"],
                                   "lineStyle": {"width": 1 + min(int(r["documents"]), 8)}} for r in rows]}]}


def status_pie(rows: Rows, t: T) -> dict[str, Any]:
    """Documents by legal-status group (``direction.legal_status``)."""
    return _pie(rows, t, "nav.chart.legal_status", lambda r: t(f"nav.status.{r['status']}"), "documents")


def operation_bars(rows: Rows, t: T) -> dict[str, Any]:
    """Transfers, licences and pledges: events and documents (``direction.operations``)."""
    return {**_base(t, "nav.chart.operations"), "legend": {"top": 22},
            "grid": {"left": 48, "right": 16, "top": 56, "bottom": 32},
            "xAxis": {"type": "category", "data": [t(f"nav.operation.{r['operation']}") for r in rows]},
            "yAxis": {"type": "value", "minInterval": 1},
            "series": [{"name": t(f"nav.chart.{k}"), "type": "bar", "data": [r[k] for r in rows]}
                       for k in ("events", "documents")]}


def rta_bars(rows: Rows, t: T) -> dict[str, Any]:
    """RTA per branch, with the line RTA = 1 (``position.rta``)."""
    option = _hbars([r["branch"] for r in rows], [r["rta"] for r in rows], t, "nav.chart.rta", "nav.chart.rta_axis")
    option["series"][0]["markLine"] = {"symbol": "none", "data": [{"xAxis": 1}], "lineStyle": {"type": "dashed"}}
    return option


def attract_bars(rows: Rows, t: T) -> dict[str, Any]:
    """Firms to attract: documents in the weak branch, labelled ``branch · name``."""
    return _hbars([f"{r['branch']} · {r['name']}" for r in rows], [r["documents"] for r in rows], t,
                  "nav.chart.attract", "nav.chart.documents",
                  [NATURE_COLOURS.get(r["nature"], "#a0aec0") for r in rows])


def cultivate_bars(rows: Rows, t: T) -> dict[str, Any]:
    """Firms to cultivate: filings of the recent and the earlier window."""
    names = [r["name"] for r in rows]
    return {**_base(t, "nav.chart.cultivate"), "legend": {"top": 22},
            "grid": {"left": 8, "right": 24, "top": 56, "bottom": 32, "containLabel": True},
            "xAxis": {"type": "value", "minInterval": 1},
            "yAxis": {"type": "category", "data": names[::-1], "axisLabel": {"width": 220, "overflow": "truncate"}},
            "series": [{"name": t(f"nav.chart.{k}"), "type": "bar", "data": [r[k] for r in rows][::-1]}
                       for k in ("recent", "earlier")]}


def team_bars(rows: Rows, t: T) -> dict[str, Any]:
    """Key inventors by documents (``path.teams``)."""
    return _hbars([r["name"] or r["inventor"] for r in rows], [r["documents"] for r in rows], t, "nav.chart.teams",
                  "nav.chart.documents")


def licensable_bars(rows: Rows, t: T) -> dict[str, Any]:
    """Licensable patents by value index (``path.licensable``)."""
    return _hbars([f"{r['doc_id']} · {r['name']}" for r in rows], [r["value_index"] for r in rows], t,
                  "nav.chart.licensable", "nav.chart.value_index")
