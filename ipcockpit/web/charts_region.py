"""ECharts options of the region page: documents by year and kind, and the map of the sub-regions.

The maps are GeoJSON files vendored under ``static/vendor/geo`` (:data:`MAPS`; their sources and licences
in ``static/vendor/README.md``). A map is shown on the page of the region it draws and on the pages of the
divisions inside it (the current one outlined). Each feature is matched to a GB/T 2260 division one level
below the map's region: by the feature's ``id`` when it is the code of such a division, else by its name,
else by its name without the suffix (a file drawn before 梁平县 became 梁平区 still finds 500155); the series
names the features by today's names (``nameMap``). Clicking an area opens that division's page.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from ipcockpit.analytics.region import KINDS, children, region_of

STATIC = Path(__file__).resolve().parent / "static"
#: the region code each vendored map draws (its areas: the divisions one level below), and its file
MAPS = {"500000": "vendor/geo/chongqing.geojson"}
_SUFFIXES = ("自治县", "区", "县", "市", "旗")
#: the colours of the kinds of document (the overview's palette order)
KIND_COLOURS = {"invention_application": "#90cdf4", "invention_grant": "#2b6cb0", "utility_model": "#48bb78",
                "design": "#ed8936", "other": "#a0aec0"}


def kind_year_bars(rows: Sequence[dict[str, Any]], t: Callable[..., str]) -> dict[str, Any]:
    """Stacked bars of the documents per publication year (``by_type_year``), one series per kind; the
    undated ones are a last bar named by ``region.undated``."""
    labels = [str(r["year"]) if r["year"] is not None else t("region.undated") for r in rows]
    series = [{"name": t(f"region.kind.{k}"), "type": "bar", "stack": "documents", "data": [int(r[k]) for r in rows],
               "itemStyle": {"color": KIND_COLOURS[k]}, "emphasis": {"focus": "series"}}
              for k in KINDS if any(r[k] for r in rows)]
    return {
        "aria": {"enabled": True},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0, "data": [s["name"] for s in series]},
        "grid": {"left": 48, "right": 16, "top": 40, "bottom": 48},
        "xAxis": {"type": "category", "name": t("chart.year"), "nameLocation": "middle", "nameGap": 30,
                  "data": labels},
        "yAxis": {"type": "value", "name": t("chart.documents"), "minInterval": 1},
        "series": series,
    }


def map_of(code: str) -> str | None:
    """The code of the vendored map to show on the page of region ``code``: its own, else the one of the
    region it lies in; None when no map is vendored for either."""
    for candidate in (code, code[:4] + "00", code[:2] + "0000"):
        if candidate in MAPS:
            return candidate
    return None


@cache
def feature_codes(map_code: str) -> dict[str, dict[str, str]]:
    """Each feature name of the vendored map of ``map_code``: ``{"code", "name"}``, the GB/T 2260 division
    (one level below ``map_code``) it draws. A feature that matches none is left out (the test of the
    vendored maps says there is none)."""
    region = region_of(map_code)
    below = children(region) if region else []
    by_code = {c["code"]: c for c in below}
    by_name = {c["name"]: c for c in below}
    by_stem: dict[str, list[dict[str, str]]] = {}
    for c in below:
        by_stem.setdefault(_stem(c["name"]), []).append(c)
    geo = json.loads((STATIC / MAPS[map_code]).read_text(encoding="utf-8"))
    out: dict[str, dict[str, str]] = {}
    for f in geo["features"]:
        name = f["properties"]["name"]
        found = by_code.get(str(f.get("id") or "")) or by_name.get(name)
        stems = by_stem.get(_stem(name), [])
        found = found or (stems[0] if len(stems) == 1 else None)
        if found is not None:
            out[name] = {"code": found["code"], "name": found["name"]}
    return out


def _stem(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def region_map(data: dict[str, Any], t: Callable[..., str], url: Callable[[str], str]) -> dict[str, Any] | None:
    """What the page's script needs to draw the map of a region page's dict: ``{"map", "geojson" (the path
    under static/), "option"}``, or None when no map is vendored for the region. ``url(code)``: the page of a
    division. On the map's own region the areas' values are the documents of ``sub_regions``; on the page of
    a division inside the map only that area has a value (outlined), the others are drawn without one
    (``-``: their own pages count theirs)."""
    map_code = map_of(data["code"])
    if map_code is None:
        return None
    features = feature_codes(map_code)
    counts = {r["code"]: r["documents"] for r in data["sub_regions"] if not r["own_level"]} \
        if map_code == data["code"] else {data["code"]: data["summary"]["documents"]}
    items = []
    for f in features.values():
        value = counts.get(f["code"], 0 if map_code == data["code"] else "-")
        item: dict[str, Any] = {"name": f["name"], "value": value, "code": f["code"], "url": url(f["code"])}
        if f["code"] == data["code"]:
            item["itemStyle"] = {"borderColor": "#c53030", "borderWidth": 2}
        elif value in (0, "-"):
            item["label"] = {"show": False}  # the areas with documents (and the page's own) are named
        items.append(item)
    top = max([i["value"] for i in items if i["value"] != "-"] + [1])
    return {
        "map": map_code,
        "geojson": MAPS[map_code],
        "option": {
            "aria": {"enabled": True},
            "tooltip": {"trigger": "item", "formatter": t("region.map_tooltip")},
            "visualMap": {"min": 0, "max": top, "left": 8, "bottom": 8, "calculable": False,
                          "text": [str(top), "0"], "inRange": {"color": ["#edf2f7", "#2b6cb0"]}},
            "series": [{"type": "map", "map": map_code, "roam": False, "selectedMode": False,
                        "nameMap": {k: v["name"] for k, v in features.items() if k != v["name"]},
                        "label": {"show": True, "fontSize": 9}, "data": items}],
        },
    }
