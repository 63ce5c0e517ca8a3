"""The cockpit's trademark indicators, computed from the marks loaded (``trademarks``, migration 15) and the GI
lists loaded (``protected_marks``, migration 19); docs/cockpit.md §3 gives the rules in full.

* **Which marks are the region's.** A CNIPA mark (office CN) belongs to the region by the address (GB/T 2260
  code) of its holder: the first owner, else the first applicant, that has a code (trademark_parties in ``seq``
  order). Holders of Taiwan, Hong Kong and Macao (71, 81, 82) and foreign holders are not domestic. A mark whose
  holders have no code and no foreign country is *without a region*: it may be the region's or not.
* **In force at the period end** (:func:`in_force`): registered on or before it (注册公告日期), its term not
  ended before it (专用权期限), and its status not ended by then (a cancellation, invalidation or expiry dated
  after the period end leaves it in force then; an undated one cannot say).
* ``trademarks_per_10k_market_entities`` (每万户市场主体有效注册商标量): the region's marks in force at the period end
  / the market entities reported for the year / 10,000.
* ``geographical_indications`` (地理标志拥有量): the region's GI marks in force (``trademarks.gi``: 证明商标 /
  集体商标 flagged 地理标志) plus the GI-list entries of the region (by 行政区划代码 or 地域范围) approved by the
  period end; an entry whose registration number is a counted mark's is counted once.
* ``madrid_applications_cumulative`` (马德里商标国际注册累计申请量): a running total -- the start
  (:func:`ipcockpit.cockpit.computations.start_of`) plus the region's Madrid international registrations
  (``trademarks.madrid``; dated by the international registration date, else the filing date) from the year
  after the baseline year, one per international registration.

What the data cannot decide is never counted as known: marks without a region, marks whose being in force then
is unknown, GI entries without a year make the year's value unknown and the reason gives the range (the
figure counting none of them and the figure counting all of them, in ``detail["range"]``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ipcockpit.cockpit.context import Computed, Context, Result, iso
from ipcockpit.cockpit.profiles import Indicator
from ipcockpit.cockpit.reasons import Reason

NOT_DOMESTIC = ("71", "81", "82")
_ENDED = ("cancelled", "invalidated", "expired")
_NEVER = ("pending", "opposed", "refused", "abandoned")
_MARKS_SQL = """
SELECT t.mark_id, t.number, t.reg_number, t.mark_text, t.status, t.status_date, t.filing_date, t.registration_date,
       t.expiry_date, t.intl_reg_date, t.madrid, t.gi, p.name_raw AS holder, p.admin_code, p.country
FROM trademarks t
LEFT JOIN (
  SELECT DISTINCT ON (mark_id) mark_id, name_raw, admin_code, country FROM trademark_parties
  WHERE role <> 'agent'
  ORDER BY mark_id, admin_code IS NULL, country IS NULL, role <> 'owner', seq
) p USING (mark_id)
WHERE t.office = 'CN'
ORDER BY t.mark_id
"""


def place(row: dict[str, Any], prefix: str) -> str:
    """``region``, ``other`` or ``unknown`` (no code and not foreign) for a mark's holder."""
    code, country = row.get("admin_code"), row.get("country")
    if code:
        return "region" if code.startswith(prefix) and code[:2] not in NOT_DOMESTIC else "other"
    if country and country != "CN":
        return "other"
    return "unknown"


Why = tuple[str, str]  # (English, Chinese)
_STATUS_ZH = {"pending": "审查中", "opposed": "异议中", "registered": "已注册", "refused": "已驳回",
              "abandoned": "已撤回/放弃", "cancelled": "已撤销/注销", "invalidated": "已宣告无效", "expired": "已过期",
              "unknown": "未知"}


def in_force(row: dict[str, Any], as_of: date) -> tuple[bool | None, Why]:
    """Whether a mark was in force on ``as_of``, and why in English and Chinese (None: the data cannot say)."""
    reg, status, ended = row["registration_date"], row["status"], row["status_date"]
    zh = _STATUS_ZH.get(status, status)
    if reg is None:
        if status in _NEVER:
            return False, (f"not registered (status {status})", f"未注册（状态：{zh}）")
        return None, (f"status {status} and no registration date", f"状态{zh}，无注册日期")
    if reg > as_of:
        return False, (f"registered {reg} after {as_of}", f"{reg}注册，晚于{as_of}")
    if row["expiry_date"] is not None and row["expiry_date"] < as_of:
        return False, (f"term ended {row['expiry_date']}", f"专用权期限{row['expiry_date']}届满")
    if status in ("registered", "pending", "opposed"):  # registered by then; a later proceeding pending
        return True, (f"registered {reg}, status {status}", f"{reg}注册，状态：{zh}")
    if status in _ENDED:
        if ended is not None:
            if ended > as_of:
                return True, (f"{status} on {ended}, after {as_of}", f"{ended}{zh}，晚于{as_of}，当时有效")
            return False, (f"{status} on {ended}", f"{ended}{zh}")
        if status == "expired" and row["expiry_date"] is not None:
            return True, (f"expired at the end of its term {row['expiry_date']}",
                          f"专用权期限{row['expiry_date']}届满后过期，当时有效")
        return None, (f"{status}, date not given", f"{zh}，未注明日期")
    # refused or abandoned after a registration, or a status no rule knows
    return None, (f"registered {reg} but status {status}", f"{reg}注册，但状态为{zh}")


def marks(ctx: Context) -> list[dict[str, Any]]:
    """The CNIPA marks with their holder and place (read once per cockpit call)."""

    def run() -> list[dict[str, Any]]:
        cur = ctx.con.execute(_MARKS_SQL)
        names = [d[0] for d in cur.description or []]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        for r in rows:
            r["place"] = place(r, ctx.region.match_prefix)
        return rows

    return ctx._cached("marks", run)


def any_marks(ctx: Context) -> bool:
    return bool(ctx._cached("any_marks", lambda: ctx.con.execute("SELECT count(*) FROM trademarks").fetchone()[0]))


def gi_entries(ctx: Context) -> list[dict[str, Any]]:
    """The GI-list entries (``protected_marks`` of kind gi) of the region."""

    def run() -> list[dict[str, Any]]:
        cur = ctx.con.execute(
            "SELECT list_id, seq, entry_key, name, reg_number, gi_type, year, recognised_date, admin_code, scope "
            "FROM protected_marks WHERE kind = 'gi' ORDER BY list_id, seq")
        names = [d[0] for d in cur.description or []]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        prefix = ctx.region.match_prefix
        for r in rows:
            r["place"] = ("region" if r["admin_code"].startswith(prefix) else "other") if r["admin_code"] \
                else "unknown"
        return [r for r in rows if r["place"] != "other"]

    return ctx._cached("gi_entries", run)


def _mark_out(r: dict[str, Any], counted: bool | None, why: Why) -> dict[str, Any]:
    return {"mark_id": r["mark_id"], "text": r["mark_text"], "holder": r["holder"], "admin_code": r["admin_code"],
            "place": r["place"], "registration_date": iso(r["registration_date"]), "status": r["status"],
            "counted": counted, "why": why[0], "why_zh": why[1]}


def _stock(ctx: Context, y: int, only_gi: bool) -> tuple[list[dict[str, Any]], int, int, dict[str, int]]:
    """(rows, known count, count counting every undecided one too, the undecided by cause) at the period end."""
    as_of = ctx.period_end(y)
    rows, lo, undecided = [], 0, {"without_region": 0, "in_force_unknown": 0}
    for r in marks(ctx):
        if r["place"] == "other" or (only_gi and not r["gi"]):
            continue
        ok, why = in_force(r, as_of)
        if ok is False:
            continue
        if r["place"] == "unknown":
            undecided["without_region"] += 1
            no_code = ("holder without an address code; " + why[0], "权利人地址无行政区划代码；" + why[1])
            rows.append(_mark_out(r, None, no_code))
        elif ok is None:
            undecided["in_force_unknown"] += 1
            rows.append(_mark_out(r, None, why))
        else:
            lo += 1
            rows.append(_mark_out(r, True, why))
    return rows, lo, lo + sum(undecided.values()), undecided


def _range_reason(y: int, lo: float, hi: float, undecided: dict[str, int]) -> Reason:
    return Reason("cockpit.reason.marks_range", {"year": y, "low": f"{lo:g}", "high": f"{hi:g}",
                                                   "without_region": undecided.get("without_region", 0),
                                                   "in_force_unknown": undecided.get("in_force_unknown", 0),
                                                   "year_unknown": undecided.get("year_unknown", 0)})


def per_10k(ctx: Context, ind: Indicator) -> Result:
    if not any_marks(ctx):
        return {}, Reason("cockpit.reason.no_trademarks")
    if not marks(ctx):
        return {}, Reason("cockpit.reason.no_cn_marks")
    out: dict[int, Computed] = {}
    for y in ctx.years:
        rows, lo, hi, undecided = _stock(ctx, y, only_gi=False)
        as_of = ctx.period_end(y).isoformat()
        me = ctx.series("market_entities", y)
        method = (f"CNIPA marks of domestic holders of the region in force on {as_of} (holder's address code) / "
                  "market entities / 10,000")
        method_zh = f"截至{as_of}本区国内权利人有效注册商标数量（按权利人地址代码）÷ 年末市场主体户数 × 10000"
        detail: dict[str, Any] = {"as_of": as_of, "in_force": lo, "range": [lo, hi], **undecided}
        ids = [r["mark_id"] for r in rows if r["counted"]]
        reason = None
        value = None
        if me is not None:
            detail["market_entities"] = {"year": y, "value": me["value"], "source": me.get("source_document")}
            detail["value_range"] = [round(lo / me["value"] * 10_000, 4), round(hi / me["value"] * 10_000, 4)]
        if hi > lo:
            reason = _range_reason(y, lo, hi, undecided)
        elif me is None:
            reason = Reason("cockpit.reason.no_market_entities", {"year": y})
        else:
            value = round(lo / me["value"] * 10_000, 4)
        out[y] = Computed(value, lo, ids, method, method_zh, reason, detail, rows)
    return out, None


def geographical_indications(ctx: Context, ind: Indicator) -> Result:
    entries = gi_entries(ctx)
    if not any_marks(ctx) and not entries:
        return {}, Reason("cockpit.reason.no_trademarks")
    out: dict[int, Computed] = {}
    for y in ctx.years:
        rows, lo, hi, undecided = _stock(ctx, y, only_gi=True)
        known = {n for r in marks(ctx) if r["gi"] for n in (r["number"], r["reg_number"]) if n}
        undecided["year_unknown"] = 0
        for e in entries:
            if e["reg_number"] and e["reg_number"] in known:
                continue  # the mark's row decides
            out_row = {"entry": e["entry_key"], "list_id": e["list_id"], "text": e["name"], "gi_type": e["gi_type"],
                       "admin_code": e["admin_code"], "year": e["year"], "place": e["place"]}
            if e["place"] == "unknown":
                undecided["without_region"] += 1
                rows.append({**out_row, "counted": None, "why": "no region (地域范围 or 行政区划代码)",
                             "why_zh": "无地域范围或行政区划代码"})
            elif e["year"] is None:
                undecided["year_unknown"] += 1
                rows.append({**out_row, "counted": None, "why": "no year of approval", "why_zh": "无批准年份"})
            elif e["year"] <= y:
                lo += 1
                rows.append({**out_row, "counted": True, "why": f"approved {e['year']}",
                             "why_zh": f"{e['year']}年批准"})
            else:
                continue
        hi = lo + sum(undecided.values())
        as_of = ctx.period_end(y).isoformat()
        method = (f"GI marks of the region in force on {as_of} + GI-list entries of the region approved by {y} "
                  "(a mark and its list entry counted once)")
        method_zh = f"截至{as_of}本区有效地理标志商标 + 名单中{y}年底前批准的本区地理标志（商标与名单条目同号者计一次）"
        detail = {"as_of": as_of, "range": [lo, hi], **undecided}
        ids = [r.get("mark_id") or r["entry"] for r in rows if r["counted"]]
        reason = _range_reason(y, lo, hi, undecided) if hi > lo else None
        out[y] = Computed(None if reason else float(lo), lo, ids, method, method_zh, reason, detail, rows)
    return out, None


def madrid_rows(ctx: Context) -> list[dict[str, Any]]:
    """The Madrid international registrations of the region and of holders without a region, one per
    international registration, with their date."""
    first: dict[str, dict[str, Any]] = {}
    for r in marks(ctx):
        if not r["madrid"] or r["place"] == "other":
            continue
        key = r["number"] if (r["number"] or "").startswith("G") else (r["reg_number"] or r["mark_id"])
        when = r["intl_reg_date"] or r["filing_date"]
        why = ("Madrid, holder of the region", "马德里国际注册，本区权利人") if r["place"] == "region" else \
            ("Madrid, holder without an address code", "马德里国际注册，权利人地址无行政区划代码")
        row = {**_mark_out(r, r["place"] == "region" or None, why), "date": when, "ir": key}
        if key not in first or (when and (first[key]["date"] is None or when < first[key]["date"])):
            first[key] = row
    return list(first.values())


def madrid(ctx: Context, ind: Indicator) -> Result:
    from ipcockpit.cockpit.computations import _start_text, start_of

    if not any_marks(ctx):
        return {}, Reason("cockpit.reason.no_trademarks")
    rows = madrid_rows(ctx)
    if not rows:
        return {}, Reason("cockpit.reason.no_madrid", {"region": ctx.region.admin_code})
    start = start_of(ctx, ind)
    base_year = ctx.region.baseline_year
    out: dict[int, Computed] = {}
    for y in ctx.years:
        if start is not None and y <= base_year:
            continue  # the baseline year's value is the reported one
        lo_year = base_year if start is not None else 0
        window = [r for r in rows if r["date"] is None or lo_year < r["date"].year <= y]
        known = [r for r in window if r["counted"] and r["date"] is not None]
        undecided = {"without_region": sum(r["counted"] is None for r in window),
                     "in_force_unknown": 0, "year_unknown": sum(r["date"] is None and r["counted"] is True
                                                                for r in window)}
        base = start["value"] if start else 0.0
        lo, hi = base + len(known), base + len(window)
        if start is not None:
            en, zh = _start_text(start, "件")
            method = f"{en} + the region's Madrid international registrations {base_year + 1}-{y}"
            method_zh = f"{zh} + {base_year + 1}—{y}年本区马德里商标国际注册"
        else:
            method = f"the region's Madrid international registrations up to {y}"
            method_zh = f"截至{y}年本区马德里商标国际注册"
        reason = _range_reason(y, lo, hi, undecided) if hi > lo else None
        table = [{**r, "date": iso(r["date"])} for r in window]
        out[y] = Computed(None if reason else float(lo), len(known), sorted(r["mark_id"] for r in known), method,
                          method_zh, reason, {"baseline": start, "as_of": ctx.period_end(y).isoformat(),
                                              "range": [lo, hi], **undecided}, table)
    return out, None
