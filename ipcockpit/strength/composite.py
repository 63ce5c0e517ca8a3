"""The composite strength of organisations: each component normalised among the organisations compared, weighted,
and explained item by item as the value index explains a patent (docs/entities.md, "Enterprise strength").

* normalised value s_i: the mid-rank percentile of the raw value among the compared organisations that have it,
  (below + ties / 2) / n, in (0, 1); an unknown component has no percentile and scores 0.5 (the middle), so it
  neither lifts nor sinks the composite, and lowers the confidence;
* weight e_i = w_i / sum(w) (weights.yaml); contribution = 100 e_i s_i (they sum to the composite); effect =
  100 e_i (s_i - 0.5), the points it moves the composite from the middle (50);
* composite = sum of the contributions (0-100); confidence = sum of e_i over the known components.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

from ipcockpit.strength.weights import COMPONENTS

#: (Chinese name, English name, unit)
NAMES: dict[str, tuple[str, str, str]] = {
    "volume": ("专利申请量", "Filing volume", "applications"),
    "high_value": ("高价值发明专利数", "High-value invention patents", "patents"),
    "value_index": ("价值指数均值", "Mean value index", "index"),
    "citations": ("同组标准化被引", "Cohort-normalised citations", "x cohort mean"),
    "market_coverage": ("市场覆盖", "Market coverage", "offices"),
    "grant_ratio": ("发明授权率", "Invention grant ratio", "share"),
    "growth": ("申请增长", "Filing growth", "recent share"),
    "operations": ("运营次数（转让、许可、质押）", "Operations (transfers, licences, pledges)", "events"),
}

UNKNOWN: dict[str, tuple[str, str]] = {
    "high_value": ("the screening cannot decide any of its invention grants and calls none high value",
                   "其发明授权专利均无法判断是否高价值，且无一件判定为高价值"),
    "value_index": ("no document of it has a value index", "其文献均无价值指数"),
    "citations": ("no document of it has forward citations in a cohort with any citation (the data carry no "
                  "citation counts for them)", "其文献均无可比的被引数据（数据源未提供被引，或同组均无被引）"),
    "grant_ratio": ("it has no invention application", "无发明专利申请"),
    "growth": ("it filed nothing in the two windows compared", "两个比较时段内均无申请"),
    "operations": ("no loaded source records transfers, licences or pledges of its documents",
                   "已载入的数据源均未记录其文献的转让、许可或质押"),
    "market_coverage": ("none of its documents names an office (only WO publications)", "其文献均无国家或地区局"),
}


def raw_values(row: dict[str, Any], years: tuple[int, int, int]) -> dict[str, dict[str, Any]]:
    """Each component's raw value (None: unknown) and the figures behind it, from one row of component_rows."""
    earlier_from, recent_from, to = years
    offices = row.get("offices") or []
    ops = [row.get(k) for k in ("transfers", "licences", "pledges")]
    q = row.get("vi_quantiles") or [None] * 4
    grants = row["hv_yes"] + row["hv_no"] + row["hv_unknown"]
    both = row["recent"] + row["earlier"]
    return {
        "volume": {"raw": row["volume"], "detail": {"applications": row["volume"], "documents": row["documents"]}},
        # the screening cannot decide some grants: with none decided high value the count is unknown (0 to the
        # undecided), with some it is at least those (a lower bound, never more than the data show)
        "high_value": {"raw": None if row["hv_unknown"] and not row["hv_yes"] else row["hv_yes"],
                       "detail": {"invention_grants": grants, "yes": row["hv_yes"], "no": row["hv_no"],
                                  "unknown": row["hv_unknown"], "at_least": bool(row["hv_unknown"])}},
        "value_index": {"raw": _r(row["vi_mean"]) if row["vi_n"] else None,
                        "detail": {"scored": row["vi_n"], "min": _r(row["vi_min"]), "p25": _r(q[0]),
                                   "median": _r(q[1]), "p75": _r(q[2]), "p90": _r(q[3]), "max": _r(row["vi_max"])}},
        "citations": {"raw": _r(row["cite_mean"], 4) if row["cite_n"] else None,
                      "detail": {"documents_with_citations": row["cite_n"],
                                 "forward_citations": row["cite_sum"]}},
        "market_coverage": {"raw": len(offices) if offices else None, "detail": {"offices": offices}},
        "grant_ratio": {"raw": _r(row["inv_granted"] / row["inv_apps"], 4) if row["inv_apps"] else None,
                        "detail": {"invention_applications": row["inv_apps"], "granted": row["inv_granted"]}},
        "growth": {"raw": _r(row["recent"] / both, 4) if both else None,
                   "detail": {"recent": row["recent"], "earlier": row["earlier"],
                              "recent_years": [recent_from, to], "earlier_years": [earlier_from, recent_from - 1],
                              "growth": _r((row["recent"] - row["earlier"]) / row["earlier"], 4)
                              if row["earlier"] else None}},
        "operations": {"raw": int(sum(v for v in ops if v is not None)) if row["ops_known"] else None,
                       "detail": {"transfers": ops[0], "licences": ops[1], "pledges": ops[2]}},
    }


def percentiles(values: list[float | None]) -> list[float | None]:
    """The mid-rank percentile of each known value among the known values; None for None."""
    known = sorted(v for v in values if v is not None)
    n = len(known)
    out: list[float | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        lo, hi = bisect_left(known, v), bisect_right(known, v)
        out.append((lo + (hi - lo) / 2) / n)
    return out


def compose(orgs: list[dict[str, Any]], weights: dict[str, float]) -> None:
    """Add ``components`` (normalised, weighted) and ``composite``, ``confidence`` to each organisation in
    place; ``orgs[i]["raw"]`` holds :func:`raw_values`."""
    total = sum(weights.get(c, 0.0) for c in COMPONENTS)
    sums = [0.0] * len(orgs)
    for c in COMPONENTS:
        pcts = percentiles([o["raw"][c]["raw"] for o in orgs])
        known = sum(p is not None for p in pcts)
        e = weights.get(c, 0.0) / total
        for k, (o, p) in enumerate(zip(orgs, pcts, strict=True)):
            s = 0.5 if p is None else p
            sums[k] += 100 * e * s
            o.setdefault("components", {})[c] = {
                "raw": o["raw"][c]["raw"], "known": p is not None, "normalised": _r(p, 4), "score": _r(s, 4),
                "weight": _r(e, 4), "contribution": _r(100 * e * s, 2), "effect": _r(100 * e * (s - 0.5), 2),
                "peers": known, "detail": o["raw"][c]["detail"]}
    for o, composite in zip(orgs, sums, strict=True):
        comps = o["components"]
        o["composite"] = _r(composite, 2)
        o["confidence"] = _r(sum(weights.get(c, 0.0) for c in COMPONENTS if comps[c]["known"]) / total, 3)


def explain(component: str, item: dict[str, Any]) -> dict[str, Any]:
    """One component of one organisation in words (Chinese and English), beside its figures."""
    zh, en, unit = NAMES[component]
    d = item["detail"]
    out = {"name": component, "name_zh": zh, "name_en": en, "unit": unit, **item}
    if not item["known"]:
        why_en, why_zh = UNKNOWN.get(component, ("unknown", "未知"))
        out["reason_en"], out["reason_zh"] = why_en, why_zh
        out["text_en"] = (f"{en}: unknown ({why_en}); scored 0.5 (the middle), weight {item['weight']:.2f}, "
                          f"contributes {item['contribution']:.1f} points")
        out["text_zh"] = (f"{zh}：未知（{why_zh}）；按中位 0.5 计分，权重 {item['weight']:.2f}，"
                          f"贡献 {item['contribution']:.1f} 分")
        return out
    extra_en, extra_zh = _detail_words(component, d)
    sign_zh = "高" if item["effect"] >= 0 else "低"
    out["text_en"] = (f"{en}: {_fmt(item['raw'])} {unit}{extra_en}, percentile {item['normalised'] * 100:.0f} among "
                      f"{item['peers']} organisations compared; weight {item['weight']:.2f}, contributes "
                      f"{item['contribution']:.1f} points, {'+' if item['effect'] >= 0 else '-'}"
                      f"{abs(item['effect']):.1f} against the middle")
    out["text_zh"] = (f"{zh}：{_fmt(item['raw'])}{extra_zh}，在参与比较的 {item['peers']} 个主体中居第 "
                      f"{item['normalised'] * 100:.0f} 百分位；权重 {item['weight']:.2f}，"
                      f"贡献 {item['contribution']:.1f} 分，"
                      f"较中位{sign_zh} {abs(item['effect']):.1f} 分")
    return out


def _detail_words(component: str, d: dict[str, Any]) -> tuple[str, str]:
    if component == "high_value":
        least_en, least_zh = ("at least: ", "至少；") if d["at_least"] else ("", "")
        return (f" ({least_en}of {d['invention_grants']} invention grants {d['no']} are not high value and "
                f"{d['unknown']} undecided)",
                f"（{least_zh}发明授权 {d['invention_grants']} 件，其中非高价值 {d['no']} 件、"
                f"无法判断 {d['unknown']} 件）")
    if component == "value_index":
        return (f" over {d['scored']} documents (median {_fmt(d['median'])}, p90 {_fmt(d['p90'])})",
                f"（{d['scored']} 件文献，中位数 {_fmt(d['median'])}，第 90 百分位 {_fmt(d['p90'])}）")
    if component == "grant_ratio":
        return (f" ({d['granted']} of {d['invention_applications']} invention applications granted)",
                f"（发明申请 {d['invention_applications']} 件中授权 {d['granted']} 件）")
    if component == "growth":
        return (f" ({d['recent']} applications filed {d['recent_years'][0]}-{d['recent_years'][1]}, {d['earlier']} in "
                f"{d['earlier_years'][0]}-{d['earlier_years'][1]})",
                f"（{d['recent_years'][0]}-{d['recent_years'][1]} 年申请 {d['recent']} 件，"
                f"{d['earlier_years'][0]}-{d['earlier_years'][1]} 年 {d['earlier']} 件）")
    if component == "market_coverage":
        return f" ({', '.join(d['offices'])})", f"（{'、'.join(d['offices'])}）"
    if component == "operations":
        return (f" ({d['transfers'] or 0} transfers, {d['licences'] or 0} licences, {d['pledges'] or 0} pledges)",
                f"（转让 {d['transfers'] or 0}、许可 {d['licences'] or 0}、质押 {d['pledges'] or 0} 次）")
    if component == "citations":
        return (f" ({d['documents_with_citations']} documents with {d['forward_citations']} forward citations)",
                f"（{d['documents_with_citations']} 件文献，被引 {d['forward_citations']} 次）")
    return "", ""


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def _r(v: float | None, digits: int = 2) -> float | None:
    return None if v is None else round(float(v), digits)
