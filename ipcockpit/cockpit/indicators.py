"""The plan's indicators: each computed from the records where the data allows, otherwise reported.

:func:`cockpit` is the one data function of the cockpit page and ``GET /api/cockpit``. For every
indicator of the region profile it returns the value of the year asked (the latest year up to it that
has a value), its source (``computed`` or ``reported``) and provenance, the records a computed value rests
on, progress from baseline to target, the change on the previous year, the trend since the baseline year,
a forecast for the target year and a status (:mod:`ipcockpit.cockpit.forecast`).

Computed indicators (:data:`COMPUTATIONS`; docs/cockpit.md gives the rules in full):

* ``invention_patents_per_10k_pop`` and ``high_value_invention_patents_per_10k_pop``: CNIPA counting --
  invention patents granted by CNIPA (office CN) to domestic holders (not Hong Kong, Macao, Taiwan), in
  force at the period end (a stock), attributed to the region by the address of the first
  applicant/patentee party that has a GB/T 2260 code (patentee first for grants up to 2020, applicant
  first from 2021), in force and high value by :mod:`ipcockpit.value.conditions` evaluated as of the
  period end, divided by the reported population of that year / 10,000;
* ``pct_applications``: the plan's baseline plus the region's PCT applications (WO publications, one per
  application) filed after the baseline year;
* ``pledge_financing_amount``: pledge registrations with an amount on the region's patents in the year,
  in 100 million CNY (亿元);
* trademark, geographical-indication and Madrid counts: no trademark records are loaded in this
  version, so these are reported (the reason says so).

A year whose value cannot be computed (no population reported, no records of that kind) shows the
reported value of that year if there is one; the plan's baseline is the reported value of the
baseline year (stored by :func:`ipcockpit.cockpit.reported.load_plan_baselines`, or read from the
profile when not stored yet).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from ipcockpit.cockpit.forecast import AT_RISK_SHARE, change, forecast, progress, status
from ipcockpit.cockpit.profiles import Indicator, Region, load_region
from ipcockpit.cockpit.reported import ReportError, current_values, provenance
from ipcockpit.store import Store
from ipcockpit.value.conditions import (
    INVENTION_GRANT,
    Universe,
    _maintained,
    evaluate,
    judge,
    judge_row,
    loaded,
)
from ipcockpit.value.legal_status import ending_event_dates
from ipcockpit.value.settings import ScreenSettings

#: doc ids listed with a computed value (all of them through :func:`indicator_records`)
DOC_LIMIT = 200
#: grants before this date are attributed by patentee address, later ones by applicant address (CNIPA)
ATTRIBUTION_SWITCH = date(2021, 1, 1)
#: GB/T 2260 province codes of Taiwan, Hong Kong and Macao: not domestic holders in CNIPA's counting
NOT_DOMESTIC = ("71", "81", "82")
HOLDER_ROLES = ("applicant", "patentee", "assignee")
STATUS_RULE = {
    "on_track": "forecast for the target year >= target (or the latest value already reaches it)",
    "at_risk": f"forecast >= {AT_RISK_SHARE:.0%} of the target",
    "off_track": f"forecast < {AT_RISK_SHARE:.0%} of the target",
    "null": "no value to forecast from, or no target",
    "zh": f"预测值≥目标值（或最新值已达标）为正常；≥目标值的{AT_RISK_SHARE:.0%}为有风险；否则为滞后；无数据或无目标为空",
}

ATTRIBUTED_SQL = f"""
WITH region_docs AS (
  SELECT DISTINCT doc_id FROM parties
  WHERE starts_with(admin_code, $prefix) AND role IN {HOLDER_ROLES}
),
region_apps AS (
  SELECT DISTINCT d.app_id FROM documents d SEMI JOIN region_docs r ON r.doc_id = d.doc_id
  WHERE d.app_id IS NOT NULL
),
docs AS (
  SELECT d.doc_id, d.office, d.app_id, d.app_date, coalesce(d.grant_date, d.pub_date) AS grant_day,
         d.pub_date,
         d.title, d.doc_type, d.stage, d.status
  FROM documents d
  WHERE d.office = $office AND NOT coalesce(d.stub, false) AND {{doc_filter}}
    AND (d.doc_id IN (SELECT doc_id FROM region_docs) OR d.app_id IN (SELECT app_id FROM region_apps))
),
sibs AS (
  SELECT doc_id, doc_id AS sib_id, true AS own FROM docs
  UNION ALL
  SELECT x.doc_id, d.doc_id, false FROM docs x JOIN documents d ON d.app_id = x.app_id
  WHERE d.doc_id <> x.doc_id
),
ranked AS (
  SELECT s.doc_id, s.sib_id, p.role, p.seq, p.admin_code, p.country, p.name_raw,
         row_number() OVER (PARTITION BY s.doc_id ORDER BY s.own DESC,
           CASE WHEN x.stage = 'grant' AND x.grant_day < $switch THEN p.role = 'applicant'
                ELSE p.role <> 'applicant' END, p.seq, s.sib_id) AS rn
  FROM sibs s JOIN parties p ON p.doc_id = s.sib_id JOIN docs x ON x.doc_id = s.doc_id
  WHERE p.role IN {HOLDER_ROLES} AND p.admin_code IS NOT NULL
)
SELECT d.*, r.admin_code, r.name_raw AS holder, r.role AS holder_role, r.sib_id AS holder_doc
FROM docs d JOIN ranked r ON r.doc_id = d.doc_id AND r.rn = 1
WHERE starts_with(r.admin_code, $prefix) AND left(r.admin_code, 2) NOT IN {NOT_DOMESTIC}
  AND coalesce(r.country, 'CN') = 'CN'
ORDER BY d.doc_id
"""
ATTRIBUTION_TEXT = (
    "attributed by the address (GB/T 2260 code) of the first applicant/patentee party that has one "
    "-- patentee first for grants up to 2020, applicant first from 2021; the publication's own "
    "parties before those of other publications of the same application"
)
ATTRIBUTION_ZH = (
    "按第一个有行政区划代码的申请人/专利权人地址归属（2020年底前授权的以专利权人优先，2021年起以申请人优先）"
)


@dataclass
class Computed:
    """A computed value of one year and what it rests on. ``value`` is None when it cannot be computed
    (``reason`` says why); ``rows`` are the records, for the drill-down."""

    value: float | None
    records: int
    doc_ids: list[str]
    method: str
    method_zh: str
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


class Context:
    """What one cockpit call computes once: the region's attributed records and the stock of each year."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        region: Region,
        years: list[int],
        reported: dict[str, dict[int, dict[str, Any]]],
        settings: ScreenSettings,
        today: date,
    ) -> None:
        self.con, self.region, self.years, self.reported = con, region, years, reported
        self.settings, self.today = settings, today
        self._cache: dict[Any, Any] = {}

    def period_end(self, year: int) -> date:
        return min(date(year, 12, 31), self.today)

    def _cached(self, key: Any, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def attributed(self, office: str, doc_filter: str) -> list[dict[str, Any]]:
        """Documents of ``office`` matching ``doc_filter`` (SQL over alias ``d``) attributed to the region."""

        def run() -> list[dict[str, Any]]:
            sql = ATTRIBUTED_SQL.format(doc_filter=doc_filter)
            params = {"prefix": self.region.match_prefix, "office": office, "switch": ATTRIBUTION_SWITCH}
            cur = self.con.execute(sql, params)
            names = [c[0] for c in cur.description or []]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

        return self._cached(("attributed", office, doc_filter), run)

    def grants(self) -> list[dict[str, Any]]:
        """CN invention grants attributed to the region (any date)."""
        return self.attributed("CN", INVENTION_GRANT)

    def series(self, series_id: str, year: int) -> dict[str, Any] | None:
        return self.reported.get(series_id, {}).get(year)

    def _ending_dates(self) -> dict[str, list[date]]:
        """The dates of the ending events of the region's grants, as the in-force rule counts them."""
        return self._cached("ending", lambda: ending_event_dates(self.con, [g["doc_id"] for g in self.grants()]))

    def stock(self, year: int) -> dict[str, Any]:
        """The region's CN invention grants granted by the period end, judged as of the period end."""
        return self._cached(("stock", year), lambda: self._stock(year))

    def _stock(self, year: int) -> dict[str, Any]:
        as_of = self.period_end(year)
        by_id = {
            g["doc_id"]: g for g in self.grants() if g["grant_day"] is not None and g["grant_day"] <= as_of
        }
        out: dict[str, Any] = {"as_of": as_of, "granted": len(by_id), "rows": []}
        if not by_id:
            return out
        s = replace(self.settings, as_of=as_of)
        refs = loaded(self.con, s)
        ending = self._ending_dates()
        for r in evaluate(self.con, s, Universe(doc_ids=tuple(sorted(by_id)))).to_pylist():
            j = judge_row(r, s, refs)
            later = [d for d in ending.get(r["doc_id"], []) if d > as_of]
            if r["if_basis"] == "status" and r["in_force"] is False and later:
                _in_force_then(j, r, s, later[0])
            g = by_id[r["doc_id"]]
            out["rows"].append(
                {
                    "doc_id": r["doc_id"],
                    "title": r["title"],
                    "holder": g["holder"],
                    "admin_code": g["admin_code"],
                    "holder_role": g["holder_role"],
                    "filing_date": j["filing_date"],
                    "grant_date": j["grant_date"],
                    "in_force": j["in_force"],
                    "in_force_reason": j["in_force_detail"]["reason"],
                    "in_force_reason_zh": j["in_force_detail"]["reason_zh"],
                    "high_value": j["high_value"],
                    "high_value_reason": j["high_value_reason"],
                    "high_value_reason_zh": j["high_value_reason_zh"],
                    "conditions_met": [k for k, c in j["conditions"].items() if c["met"] is True],
                }
            )
        return out


def _in_force_then(j: dict[str, Any], r: dict[str, Any], s: ScreenSettings, ended: date) -> None:
    """A status that says the rights ended describes today; an end event dated after the period end shows
    the patent was still in force then. Re-judge maintenance and high value on that basis."""
    when, as_of = ended.isoformat(), s.as_of.isoformat()
    j["in_force"] = True
    j["in_force_detail"] = {
        "met": True,
        "evidence": {"basis": "later_end", "status": r["status"], "ended": when, "as_of": as_of},
        "reason": f"the status '{r['status']}' describes an end on {when}, after {as_of}: in force on {as_of}",
        "reason_zh": f"法律状态“{r['status']}”所述权利终止发生于{when}，晚于{as_of}，该日仍有效",
    }
    j["conditions"]["maintained_over_10_years"] = _maintained(r, s, True)
    j["high_value"], j["high_value_reason"], j["high_value_reason_zh"] = judge(True, j["conditions"])


# computations -------------------------------------------------------------------------------------
Result = tuple[dict[int, Computed], str | None]


def _settings_note(s: ScreenSettings) -> dict[str, Any]:
    return {
        "maintenance_start": s.maintenance_start,
        "maintenance_years": s.maintenance_years,
        "pledge_threshold": s.pledge_threshold,
        "strict_sei": s.strict_sei,
        "sei_scheme": s.sei_scheme,
    }


def _per_10k(ctx: Context, which: str) -> Result:
    if not ctx.grants():
        return {}, (
            f"no CN invention grant attributed to region {ctx.region.admin_code} (admin code prefix "
            f"{ctx.region.match_prefix}) is loaded"
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
            "settings": _settings_note(ctx.settings),
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
                f"no population reported for {y}: report indicator 'population' for {y}",
                detail,
                rows,
            )
            continue
        detail["population"] = {"year": y, "value": pop["value"], **provenance(pop)}
        out[y] = Computed(
            round(len(ids) / pop["value"] * 10_000, 4), len(ids), ids, method, method_zh, None, detail, rows
        )
    return out, None


def _pct(ctx: Context, ind: Indicator) -> Result:
    apps = ctx.attributed("WO", "true")
    if not apps:
        return {}, f"no PCT application (WO publication) of region {ctx.region.admin_code} is loaded"
    first: dict[str, dict[str, Any]] = {}
    for a in sorted(apps, key=lambda a: a["doc_id"]):
        key = a["app_id"] or a["doc_id"]
        if a["app_date"] is not None:
            first.setdefault(key, a)
    base_year = ctx.region.baseline_year
    base_row = ctx.reported.get(ind.id, {}).get(base_year)
    base = base_row["value"] if base_row else ind.baseline
    out: dict[int, Computed] = {}
    for y in ctx.years:
        if base is not None and y <= base_year:
            continue  # the baseline year's value is the reported one
        lo = base_year if base is not None else 0
        rows = [a for a in first.values() if lo < a["app_date"].year <= y]
        ids = sorted(a["doc_id"] for a in rows)
        if base is not None:
            method = f"{base:g} (reported for {base_year}) + PCT applications filed {base_year + 1}-{y} ({ATTRIBUTION_TEXT})"
            method_zh = (
                f"{base_year}年基数{base:g}件 + {base_year + 1}—{y}年提交的PCT申请（{ATTRIBUTION_ZH}）"
            )
        else:
            method, method_zh = f"PCT applications filed up to {y}", f"截至{y}年提交的PCT申请"
        table = [
            {
                "doc_id": a["doc_id"],
                "app_id": a["app_id"],
                "filing_date": _iso(a["app_date"]),
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
            {"baseline": base, "baseline_year": base_year if base is not None else None},
            table,
        )
    return out, None


def _pledge(ctx: Context, ind: Indicator) -> Result:
    docs = ctx.attributed("CN", "true")
    if not docs:
        return {}, f"no patent of region {ctx.region.admin_code} is loaded"
    app_of = {d["doc_id"]: d for d in docs}
    rows = ctx.con.execute(
        "SELECT e.doc_id, e.event_date, e.amount, e.counterparty, e.raw_text FROM legal_events e "
        "WHERE e.doc_id IN (SELECT unnest($ids::VARCHAR[])) AND e.event_class = 'pledge' "
        "AND e.amount IS NOT NULL AND coalesce(e.currency, 'CNY') = 'CNY' AND e.event_date IS NOT NULL "
        "ORDER BY e.event_date, e.doc_id",
        {"ids": list(app_of)},
    ).fetchall()
    seen: set[tuple[Any, ...]] = set()
    events: list[dict[str, Any]] = []
    for doc_id, when, amount, pledgee, text in rows:
        key = (app_of[doc_id]["app_id"] or doc_id, when, amount)
        if key not in seen:
            seen.add(key)
            events.append(
                {
                    "doc_id": doc_id,
                    "date": when,
                    "amount_cny": amount,
                    "pledgee": pledgee,
                    "text": text,
                    "title": app_of[doc_id]["title"],
                    "holder": app_of[doc_id]["holder"],
                }
            )
    if not events:
        return {}, f"no pledge registration with an amount on the patents of region {ctx.region.admin_code}"
    out: dict[int, Computed] = {}
    for y in ctx.years:
        evs = [e for e in events if e["date"].year == y]
        if not evs:
            out[y] = Computed(
                None,
                0,
                [],
                f"pledge registrations with an amount in {y}",
                f"{y}年质押登记金额",
                f"no pledge registration with an amount in {y} on the region's patents",
            )
            continue
        total = sum(e["amount_cny"] for e in evs)
        out[y] = Computed(
            round(total / 1e8, 4),
            len(evs),
            sorted({e["doc_id"] for e in evs}),
            f"pledge registrations with an amount in {y} on the region's patents, in 100 million CNY",
            f"{y}年本区专利权质押登记金额合计（亿元）",
            None,
            {"total_cny": total},
            [{**e, "date": _iso(e["date"])} for e in evs],
        )
    return out, None


def _no_trademarks(ctx: Context, ind: Indicator) -> Result:
    return {}, "no trademark records loaded"


COMPUTATIONS: dict[str, Callable[[Context, Indicator], Result]] = {
    "invention_patents_per_10k_pop": lambda ctx, ind: _per_10k(ctx, "in_force"),
    "high_value_invention_patents_per_10k_pop": lambda ctx, ind: _per_10k(ctx, "high_value"),
    "pct_applications": _pct,
    "pledge_financing_amount": _pledge,
    "trademarks_per_10k_market_entities": _no_trademarks,
    "geographical_indications": _no_trademarks,
    "madrid_applications_cumulative": _no_trademarks,
}


def mode_of(ind: Indicator) -> str:
    """computed when a computation exists for the id (unless the profile says reported)."""
    if ind.mode:
        return ind.mode
    return "computed" if ind.id in COMPUTATIONS else "reported"


# the cockpit --------------------------------------------------------------------------------------
def _plan_provenance(reg: Region) -> dict[str, Any]:
    return {
        "id": None,
        "source_document": reg.plan_citation(),
        "reported_by": reg.plan_issuer,
        "reported_at": reg.plan_issued,
        "note": "the plan's baseline, read from the region profile (not stored "
        "yet: load_plan_baselines stores it)",
        "origin": "plan",
        "origin_ref": Path(reg.file).name,
    }


def _card(ctx: Context, ind: Indicator, year: int, doc_limit: int) -> dict[str, Any]:
    reg = ctx.region
    mode = mode_of(ind)
    computed, why_not = (
        COMPUTATIONS[ind.id](ctx, ind) if mode == "computed" and ind.id in COMPUTATIONS else ({}, None)
    )
    reported = ctx.reported.get(ind.id, {})
    trend: list[dict[str, Any]] = []
    for y in ctx.years:
        c = computed.get(y)
        if c is not None and c.value is not None:
            trend.append({"year": y, "value": c.value, "source": "computed", "records": c.records})
        elif y in reported:
            trend.append({"year": y, "value": reported[y]["value"], "source": "reported"})
        elif y == reg.baseline_year and ind.baseline is not None:
            trend.append({"year": y, "value": ind.baseline, "source": "reported", "stored": False})
    latest = trend[-1] if trend else None
    card_year = latest["year"] if latest else year
    c_year = computed.get(card_year) if latest and latest["source"] == "computed" else None
    asked = computed.get(year)
    card: dict[str, Any] = {
        "id": ind.id,
        "name": ind.name_zh,
        "name_zh": ind.name_zh,
        "name_en": ind.name_en,
        "unit": ind.unit_zh,
        "unit_zh": ind.unit_zh,
        "unit_en": ind.unit_en,
        "mode": mode,
        "baseline": ind.baseline,
        "target": ind.target,
        "baseline_year": reg.baseline_year,
        "target_year": reg.target_year,
        "value": latest["value"] if latest else None,
        "year": card_year,
        "source": latest["source"] if latest else None,
        "provenance": None,
        "records": None,
        "doc_ids": None,
        "records_query": None,
        "reason": None,
    }
    if c_year is not None:
        card["provenance"] = {
            "method": c_year.method,
            "method_zh": c_year.method_zh,
            "records": c_year.records,
            **c_year.detail,
        }
        card["records"], card["doc_ids"] = c_year.records, c_year.doc_ids[:doc_limit]
        card["records_query"] = {
            "path": "/api/cockpit/records",
            "params": {"region": reg.admin_code, "indicator": ind.id, "year": card_year},
        }
    elif latest is not None:
        row = reported.get(card_year)
        card["provenance"] = (
            {**provenance(row), "stored": True} if row else {**_plan_provenance(reg), "stored": False}
        )
    if mode == "computed" and (c_year is None or card_year != year):
        card["reason"] = (asked.reason if asked is not None and asked.reason else why_not) or (
            None if asked is not None else f"no computed value for {year}"
        )
    elif latest is None:
        card["reason"] = f"no value reported for {ind.id} ({reg.baseline_year}-{year})"
    if asked is not None and c_year is not asked:
        card["computed"] = {
            "year": year,
            "value": asked.value,
            "records": asked.records,
            "doc_ids": asked.doc_ids[:doc_limit],
            "method": asked.method,
            "reason": asked.reason,
        }
    if year in reported and not (latest and latest["source"] == "reported" and card_year == year):
        card["reported"] = {
            "year": year,
            "value": reported[year]["value"],
            "provenance": provenance(reported[year]),
        }
    points = [(p["year"], p["value"]) for p in trend]
    base = (reg.baseline_year, ind.baseline) if ind.baseline is not None else None
    since = [p for p in trend if p["year"] > reg.baseline_year]
    # a forecast needs a value after the baseline (the baseline alone says nothing about the trend)
    fc = (
        forecast(points, reg.target_year, ind.forecast or reg.forecast, base)
        if since or base is None
        else None
    )
    card.update(
        {
            "progress": progress(card["value"], ind.baseline, ind.target),
            "change": change(points, card_year),
            "trend": trend,
            "forecast": fc,
            "status": status(
                fc["value"] if fc else None,
                ind.target,  # type: ignore[arg-type]
                card["value"] if since or base is None else None,
            ),
        }
    )
    if fc is None and trend:
        card["status_reason"] = f"no value after the {reg.baseline_year} baseline yet"
    return card


def _context(
    store: Store,
    region: str | Region | None,
    year: int | None,
    folders: Any,
    settings: ScreenSettings | None,
    today: date | None,
    published_only: bool = False,
) -> tuple[Context, int]:
    reg = load_region(region, folders)
    today = today or date.today()
    year = int(year) if year else min(today.year, reg.target_year)
    if not 1900 <= year <= 2100:
        raise ReportError(f"year {year}: not a year; ask for a 4-digit year such as {reg.target_year}")
    years = list(range(min(reg.baseline_year, year), year + 1))
    if published_only:  # what public visitors see: published reports only
        from ipcockpit.auth.access import public_current_values

        values = public_current_values(store, reg.admin_code)
    else:
        values = current_values(store, reg.admin_code)
    return Context(store.con, reg, years, values, settings or ScreenSettings(), today), year


def cockpit(
    store: Store,
    region: str | Region | None = None,
    year: int | None = None,
    *,
    folders: Any = None,
    settings: ScreenSettings | None = None,
    today: date | None = None,
    doc_limit: int = DOC_LIMIT,
    published_only: bool = False,
) -> dict[str, Any]:
    """The cockpit of ``region`` (Bishan by default) for ``year`` (default: this year, at most the target
    year): ``{"region": {...}, "year", "indicators": [card, ...], "status_rule"}``. ``settings`` are the
    screening settings the high-value conditions use (their ``as_of`` is replaced by each period end).
    ``published_only``: reported values count only once published (the view of public visitors)."""
    ctx, year = _context(store, region, year, folders, settings, today, published_only)
    reg = ctx.region
    region_out = reg.as_dict()
    region_out["series"] = {
        sid: {
            "name_zh": s.name_zh,
            "name_en": s.name_en,
            "unit_zh": s.unit_zh,
            "unit_en": s.unit_en,
            "values": [
                {"year": y, "value": row["value"], **provenance(row)}
                for y, row in sorted(ctx.reported.get(sid, {}).items())
            ],
        }
        for sid, s in reg.series.items()
    }
    return {
        "region": region_out,
        "year": year,
        "years": ctx.years,
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "indicators": [_card(ctx, ind, year, doc_limit) for ind in reg.indicators],
        "status_rule": STATUS_RULE,
    }


def indicator_records(
    store: Store,
    region: str | Region | None = None,
    indicator: str = "",
    year: int | None = None,
    *,
    folders: Any = None,
    settings: ScreenSettings | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The records a computed indicator rests on in ``year`` (the drill-down): every row, not only the
    first :data:`DOC_LIMIT` ids. Raises :class:`ReportError` for an indicator that is not computed."""
    ctx, year = _context(store, region, year, folders, settings, today)
    ind = ctx.region.indicator(indicator)
    if ind is None:
        raise ReportError(
            f"indicator {indicator!r}: not an indicator of region {ctx.region.admin_code}; use one "
            f"of {', '.join(i.id for i in ctx.region.indicators)}"
        )
    if mode_of(ind) != "computed" or ind.id not in COMPUTATIONS:
        raise ReportError(
            f"indicator {indicator!r} is reported, not computed from records; see its provenance"
        )
    ctx.years = [year]
    computed, why_not = COMPUTATIONS[ind.id](ctx, ind)
    c = computed.get(year)
    return {
        "region": ctx.region.admin_code,
        "indicator": ind.id,
        "name": ind.name_zh,
        "name_en": ind.name_en,
        "year": year,
        "value": c.value if c else None,
        "records": c.records if c else 0,
        "method": c.method if c else None,
        "reason": (c.reason if c else why_not),
        "rows": c.rows if c else [],
    }
