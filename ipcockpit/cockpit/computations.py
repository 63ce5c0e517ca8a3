"""The computed indicators (:data:`COMPUTATIONS`): each turns the records of a :class:`Context` into one
:class:`Computed` value per year, or says why it cannot (docs/cockpit.md gives the rules in full).

* ``invention_patents_per_10k_pop`` and ``high_value_invention_patents_per_10k_pop``: CNIPA counting --
  invention patents granted by CNIPA (office CN) to domestic holders (not Hong Kong, Macao, Taiwan), in
  force at the period end (a stock), attributed to the region (:mod:`ipcockpit.cockpit.context`), in
  force and high value by :mod:`ipcockpit.value.conditions` evaluated as of the period end, divided by
  the reported population of that year / 10,000;
* ``pct_applications``: a running total -- the start (:func:`start_of`) plus the region's PCT
  applications (WO publications, one per application) filed after the baseline year;
* ``pledge_financing_amount``: a running total -- the start (the total registered up to the baseline
  year) plus the pledge registrations on the region's patents from the year after it, in 100 million CNY
  (亿元); unknown from the first registration without an amount in CNY;
* ``trademarks_per_10k_market_entities``, ``geographical_indications`` and ``madrid_applications_cumulative``:
  from the marks and the GI lists loaded (:mod:`ipcockpit.cockpit.mark_counts`); without any mark or GI list
  loaded they are reported (the reason says so).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ipcockpit.cockpit import mark_counts
from ipcockpit.cockpit.context import (
    ATTRIBUTION_TEXT,
    ATTRIBUTION_ZH,
    Computed,
    Context,
    Result,
    iso,
    settings_note,
)
from ipcockpit.cockpit.profiles import Indicator
from ipcockpit.cockpit.reasons import Reason
from ipcockpit.cockpit.reported import KINDS, provenance

#: what the drill-down's rows are, where not patents: PCT applications, pledge registrations
ROW_KINDS = {"pct_applications": "application", "pledge_financing_amount": "pledge",
             "trademarks_per_10k_market_entities": "trademark", "geographical_indications": "trademark",
             "madrid_applications_cumulative": "trademark"}


def _per_10k(ctx: Context, which: str) -> Result:
    if not ctx.grants():
        return {}, Reason(
            "cockpit.reason.no_grants", {"region": ctx.region.admin_code, "prefix": ctx.region.match_prefix}
        )
    high = which == "high_value"
    what = "high-value invention patents in force" if high else "invention patents in force"
    what_zh = "有效高价值发明专利" if high else "有效发明专利"
    out: dict[int, Computed] = {}
    for y in ctx.years:
        st = ctx.stock(y)
        rows = [r for r in st["rows"] if r[which] is True]
        ids = [r["doc_id"] for r in rows]
        pop = ctx.series("population", y)
        as_of = st["as_of"].isoformat()
        method = (
            f"{what} of domestic holders on {as_of} (CN grants, {ATTRIBUTION_TEXT}; in force"
            f"{' and high value' if high else ''} by the CNIPA conditions as of {as_of}) / population / 10,000"
        )
        method_zh = f"截至{as_of}国内{what_zh}数量（{ATTRIBUTION_ZH}）÷ 年末人口 × 10000"
        detail = {
            "as_of": as_of,
            "granted_by_period_end": st["granted"],
            "in_force": sum(r["in_force"] is True for r in st["rows"]),
            "in_force_unknown": sum(r["in_force"] is None for r in st["rows"]),
            "attribution": ATTRIBUTION_TEXT,
            "settings": settings_note(ctx.settings),
        }
        if high:
            detail["high_value_unknown"] = sum(
                r["in_force"] is True and r["high_value"] is None for r in st["rows"]
            )
        if pop is None:
            out[y] = Computed(
                None,
                len(ids),
                ids,
                method,
                method_zh,
                Reason("cockpit.reason.no_population", {"year": y}),
                detail,
                rows,
            )
            continue
        detail["population"] = {"year": y, "value": pop["value"], **provenance(pop)}
        out[y] = Computed(
            round(len(ids) / pop["value"] * 10_000, 4), len(ids), ids, method, method_zh, None, detail, rows
        )
    return out, None


def start_of(ctx: Context, ind: Indicator) -> dict[str, Any] | None:
    """Where a running total starts: the baseline year's current report, else the profile's baseline (read
    from the plan's text): ``{value, year, kind, source_document}``; None without either."""
    year = ctx.region.baseline_year
    row = ctx.reported.get(ind.id, {}).get(year)
    if row is not None:
        kind = KINDS.get(str(row.get("origin")), "reported")
        return {"value": row["value"], "year": year, "kind": kind, "source_document": row["source_document"]}
    if ind.baseline is None:
        return None
    return {"value": ind.baseline, "year": year, "kind": "plan_text", "source_document": ctx.region.plan_source()}


def _start_text(start: dict[str, Any], unit_zh: str) -> tuple[str, str]:
    """How a method names the running total's start, in English and in Chinese."""
    plan = start["kind"] == "plan_text"
    en = f"{start['value']:g} in {start['year']} ({'from the plan text' if plan else 'reported'})"
    zh = f"{start['year']}年基期值{start['value']:g}{unit_zh}（{'规划文本' if plan else '填报值'}）"
    return en, zh


def pct_rows(ctx: Context) -> list[dict[str, Any]]:
    """The region's PCT applications: its WO publications with an international filing date, one per
    application (the first publication by number)."""
    first: dict[str, dict[str, Any]] = {}
    for a in sorted(ctx.attributed("WO", "true"), key=lambda a: a["doc_id"]):
        if a["app_date"] is not None:
            first.setdefault(a["app_id"] or a["doc_id"], a)
    return list(first.values())


def _pct(ctx: Context, ind: Indicator) -> Result:
    if not ctx.attributed("WO", "true"):
        return {}, Reason("cockpit.reason.no_pct", {"region": ctx.region.admin_code})
    first = pct_rows(ctx)
    base_year = ctx.region.baseline_year
    start = start_of(ctx, ind)
    base = start["value"] if start else None
    out: dict[int, Computed] = {}
    for y in ctx.years:
        if start is not None and y <= base_year:
            continue  # the baseline year's value is the reported one
        lo = base_year if start is not None else 0
        rows = [a for a in first if lo < a["app_date"].year <= y]
        ids = sorted(a["doc_id"] for a in rows)
        if start is not None:
            en, zh = _start_text(start, "件")
            method = f"{en} + PCT applications filed {base_year + 1}-{y} ({ATTRIBUTION_TEXT})"
            method_zh = f"{zh} + {base_year + 1}—{y}年提交的PCT申请（{ATTRIBUTION_ZH}）"
        else:
            method, method_zh = f"PCT applications filed up to {y}", f"截至{y}年提交的PCT申请"
        table = [
            {
                "doc_id": a["doc_id"],
                "app_id": a["app_id"],
                "filing_date": iso(a["app_date"]),
                "title": a["title"],
                "holder": a["holder"],
                "admin_code": a["admin_code"],
            }
            for a in rows
        ]
        out[y] = Computed(
            float((base or 0) + len(rows)),
            len(rows),
            ids,
            method,
            method_zh,
            None,
            {"baseline": start, "as_of": ctx.period_end(y).isoformat()},
            table,
        )
    return out, None


def pledge_events(ctx: Context, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pledge registrations (not releases) on ``docs``, one per application, date and amount;
    ``amount_cny`` None where the data gives no amount in CNY."""
    app_of = {d["doc_id"]: d for d in docs}
    rows = ctx.con.execute(
        "SELECT e.doc_id, e.event_date, e.amount, e.currency, e.counterparty, e.raw_text FROM legal_events e "
        "WHERE e.doc_id IN (SELECT unnest($ids::VARCHAR[])) AND e.event_class = 'pledge' "
        "AND e.event_date IS NOT NULL ORDER BY e.event_date, e.doc_id",
        {"ids": list(app_of)},
    ).fetchall()
    seen: set[tuple[Any, ...]] = set()
    events: list[dict[str, Any]] = []
    for doc_id, when, amount, currency, pledgee, text in rows:
        cny = amount if amount is not None and (currency or "CNY") == "CNY" else None
        key = (app_of[doc_id]["app_id"] or doc_id, when, cny)
        if key in seen:
            continue
        seen.add(key)
        events.append(
            {
                "doc_id": doc_id,
                "date": when,
                "amount_cny": cny,
                "amount": amount,
                "currency": currency,
                "counted": cny is not None,
                "pledgee": pledgee,
                "text": text,
                "title": app_of[doc_id]["title"],
                "holder": app_of[doc_id]["holder"],
            }
        )
    return events


def _pledge(ctx: Context, ind: Indicator) -> Result:
    """A running total: the start (:func:`start_of`) plus the registrations from the year after it."""
    region = ctx.region.admin_code
    docs = ctx.attributed("CN", "true")
    if not docs:
        return {}, Reason("cockpit.reason.no_patents", {"region": region})
    start = start_of(ctx, ind)
    base_year = ctx.region.baseline_year
    after = [e for e in pledge_events(ctx, docs) if start is None or e["date"].year > base_year]
    if not after:
        if start is None:
            return {}, Reason("cockpit.reason.no_pledges", {"region": region})
        return {}, Reason("cockpit.reason.no_pledges_since", {"region": region, "year": base_year})
    first = base_year + 1 if start is not None else min(e["date"].year for e in after)
    out: dict[int, Computed] = {}
    for y in ctx.years:
        if start is not None and y <= base_year:
            continue  # the baseline year's value is the reported one
        evs = [e for e in after if e["date"].year <= y]
        known = [e for e in evs if e["counted"]]
        total = sum(e["amount_cny"] for e in known)
        value = round((start["value"] if start else 0.0) + total / 1e8, 4)
        if start is not None:
            en, zh = _start_text(start, "亿元")
            method = (
                f"{en} + pledge registrations {first}-{y} on the region's patents, in 100 million CNY "
                "(a running total)"
            )
            method_zh = f"{zh} + {first}—{y}年本区专利权质押登记金额（亿元，累计）"
        else:
            method = f"pledge registrations {first}-{y} on the region's patents, in 100 million CNY (a running total)"
            method_zh = f"{first}—{y}年本区专利权质押登记金额合计（亿元，累计）"
        missing = len(evs) - len(known)
        reason = (
            Reason("cockpit.reason.pledge_amount_unknown", {"count": missing, "start": first, "end": y, "known": value})
            if missing
            else None
        )
        out[y] = Computed(
            None if missing else value,
            len(known),
            sorted({e["doc_id"] for e in known}),
            method,
            method_zh,
            reason,
            {"baseline": start, "as_of": ctx.period_end(y).isoformat(), "added_cny": total, "without_amount": missing},
            [{**e, "date": iso(e["date"])} for e in evs],
        )
    return out, None


COMPUTATIONS: dict[str, Callable[[Context, Indicator], Result]] = {
    "invention_patents_per_10k_pop": lambda ctx, ind: _per_10k(ctx, "in_force"),
    "high_value_invention_patents_per_10k_pop": lambda ctx, ind: _per_10k(ctx, "high_value"),
    "pct_applications": _pct,
    "pledge_financing_amount": _pledge,
    "trademarks_per_10k_market_entities": mark_counts.per_10k,
    "geographical_indications": mark_counts.geographical_indications,
    "madrid_applications_cumulative": mark_counts.madrid,
}


def mode_of(ind: Indicator) -> str:
    """computed when a computation exists for the id (unless the profile says reported)."""
    if ind.mode:
        return ind.mode
    return "computed" if ind.id in COMPUTATIONS else "reported"
