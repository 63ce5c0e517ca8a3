"""The plan's indicators: each computed from the records where the data allows, otherwise reported.

:func:`cockpit` is the one data function of the cockpit page and ``GET /api/cockpit``. For every
indicator of the region profile it returns the value of the year asked (the latest year up to it that
has a value), its source (``computed`` or ``reported``) and provenance, the records a computed value rests
on, progress from baseline to target, the change on the previous year, the trend since the baseline year,
a forecast for the target year and a status (:mod:`ipcockpit.cockpit.forecast`).

The computed indicators are in :mod:`ipcockpit.cockpit.computations` (:data:`COMPUTATIONS`), over the
records of a :class:`ipcockpit.cockpit.context.Context`.

A year whose value cannot be computed (no population reported, no records of that kind) shows the
reported value of that year if there is one; the plan's baseline is the reported value of the
baseline year (stored by :func:`ipcockpit.cockpit.reported.load_plan_baselines`, or read from the
profile when not stored yet). A running total's value reported with basis ``year`` is added to the total
of the year before (unknown without one).

Every computed card carries its data coverage (:mod:`ipcockpit.cockpit.coverage`): the records loaded for
the region and the year asked against the official count. A year whose coverage is partial (below the
profile's ``coverage.min_share``) has no computed value: the figure over the loaded records is kept as
``value_loaded`` and the card falls back to the reported value, as for any year that cannot be computed.

Progress needs a value after the baseline year: with the baseline alone it is unknown (``None``) and
``progress_reason`` says why. Every reason is a :class:`ipcockpit.cockpit.reasons.Reason` (catalogue key
and values; the English text kept in the data).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ipcockpit.cockpit.computations import COMPUTATIONS, ROW_KINDS, mode_of
from ipcockpit.cockpit.context import Computed, Context
from ipcockpit.cockpit.coverage import Coverage, coverages, withhold
from ipcockpit.cockpit.forecast import AT_RISK_SHARE, change, forecast, progress, status
from ipcockpit.cockpit.profiles import Indicator, Region, load_region
from ipcockpit.cockpit.reasons import Reason, fields
from ipcockpit.cockpit.reported import PLAN_TEXT, ReportError, current_values, provenance
from ipcockpit.store import Store
from ipcockpit.value.settings import ScreenSettings

#: doc ids listed with a computed value (all of them through :func:`indicator_records`)
DOC_LIMIT = 200
STATUS_RULE = {
    "on_track": "forecast for the target year >= target (or the latest value already reaches it)",
    "at_risk": f"forecast >= {AT_RISK_SHARE:.0%} of the target",
    "off_track": f"forecast < {AT_RISK_SHARE:.0%} of the target",
    "null": "no value to forecast from, or no target",
    "zh": f"预测值≥目标值（或最新值已达标）为正常；≥目标值的{AT_RISK_SHARE:.0%}为有风险；"
          "否则为滞后；无数据或无目标为空",
}


# the cockpit --------------------------------------------------------------------------------------
def _plan_provenance(reg: Region) -> dict[str, Any]:
    """The provenance of a baseline read from the profile (not stored yet): the plan's text."""
    return {
        "id": None,
        "kind": "plan_text",
        "source_document": reg.plan_source(),
        "reported_by": PLAN_TEXT,
        "reported_at": reg.plan_issued,
        "note": None,
        "origin": "plan",
        "origin_ref": Path(reg.file).name,
        "basis": None,
    }


def _trend(
    ctx: Context, ind: Indicator, computed: dict[int, Computed], cover: dict[int, Coverage]
) -> tuple[list[dict[str, Any]], list[int]]:
    """Each year's value: computed, else reported, else (the baseline year) the profile's baseline. A running
    total's value reported with basis ``year`` is added to the year before's total; the years where there is
    none are returned as unknown."""
    reg, reported = ctx.region, ctx.reported.get(ind.id, {})
    trend: list[dict[str, Any]] = []
    unknown: list[int] = []
    for y in ctx.years:
        c = computed.get(y)
        row = reported.get(y)
        if c is not None and c.value is not None:
            point = {"year": y, "value": c.value, "source": "computed", "records": c.records}
            if y in cover:
                point["coverage"] = {"status": cover[y].status, "share": cover[y].as_dict()["share"]}
            trend.append(point)
        elif row is not None and ind.cumulative and row.get("basis") == "year":
            before = trend[-1] if trend and trend[-1]["year"] == y - 1 else None
            if before is None:
                unknown.append(y)
                continue
            trend.append({"year": y, "value": round(before["value"] + row["value"], 4), "source": "reported",
                          "basis": "year", "year_value": row["value"],
                          "added_to": {"year": y - 1, "value": before["value"]}})
        elif row is not None:
            trend.append({"year": y, "value": row["value"], "source": "reported"})
        elif y == reg.baseline_year and ind.baseline is not None:
            trend.append({"year": y, "value": ind.baseline, "source": "reported", "stored": False})
    return trend, unknown


def _progress(value: float | None, year: int | None, ind: Indicator, reg: Region) -> tuple[float | None, Reason | None]:
    """Progress from the baseline to the target, or None and why: it needs a value after the baseline year."""
    if value is None:
        return None, Reason("cockpit.reason.progress_no_value")
    if ind.target is None:
        return None, Reason("cockpit.reason.progress_no_target")
    if year is not None and year <= reg.baseline_year:
        return None, Reason("cockpit.reason.progress_baseline_only", {"year": reg.baseline_year})
    share = progress(value, ind.baseline, ind.target)
    if share is None:
        return None, Reason("cockpit.reason.progress_undefined", {"target": ind.target, "baseline": ind.baseline})
    return share, None


def _card(ctx: Context, ind: Indicator, year: int, doc_limit: int) -> dict[str, Any]:
    reg = ctx.region
    mode = mode_of(ind)
    computed, why_not = (
        COMPUTATIONS[ind.id](ctx, ind) if mode == "computed" and ind.id in COMPUTATIONS else ({}, None)
    )
    cover = coverages(ctx, ind, computed, ctx.years) if mode == "computed" else {}
    computed = withhold(computed, cover)
    reported = ctx.reported.get(ind.id, {})
    trend, unknown = _trend(ctx, ind, computed, cover)
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
        "cumulative": ind.cumulative,
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
        "coverage": cover[year].as_dict() if year in cover else None,
    }
    if c_year is not None:
        card["provenance"] = {
            "kind": "computed",
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
        if latest.get("basis") == "year":
            card["provenance"]["added_to"] = latest["added_to"]
    reason: Reason | None = None
    later = [y for y in unknown if y > card_year]
    if later:
        reason = Reason("cockpit.reason.year_without_total", {"year": later[-1], "previous": later[-1] - 1})
    elif mode == "computed" and (c_year is None or card_year != year):
        reason = (asked.reason if asked is not None and asked.reason else why_not) or (
            None if asked is not None else Reason("cockpit.reason.no_computed_value", {"year": year})
        )
    elif latest is None:
        reason = Reason("cockpit.reason.no_value_reported", {"start": reg.baseline_year, "end": year})
    card.update(fields(reason))
    if asked is not None and c_year is not asked:
        card["computed"] = {
            "year": year,
            "value": asked.value,
            "records": asked.records,
            "doc_ids": asked.doc_ids[:doc_limit],
            "method": asked.method,
            "method_zh": asked.method_zh,
            "value_loaded": asked.detail.get("value_loaded"),
            **fields(asked.reason),
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
    share, why_no_progress = _progress(card["value"], card_year if latest else None, ind, reg)
    card.update(
        {
            "progress": share,
            **fields(why_no_progress, "progress_reason"),
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
    card.update(
        fields(
            Reason("cockpit.reason.baseline_only", {"year": reg.baseline_year}) if fc is None and trend else None,
            "status_reason",
        )
    )
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
    cover = coverages(ctx, ind, computed, [year])
    computed = withhold(computed, cover)
    c = computed.get(year)
    if c is None and why_not is None and year <= ctx.region.baseline_year:
        why_not = Reason("cockpit.reason.drill_baseline_year", {"year": ctx.region.baseline_year})
    return {
        "region": ctx.region.admin_code,
        "indicator": ind.id,
        "name": ind.name_zh,
        "name_en": ind.name_en,
        "year": year,
        "row_kind": ROW_KINDS.get(ind.id, "patent"),
        "value": c.value if c else None,
        "value_loaded": c.detail.get("value_loaded") if c else None,
        "coverage": cover[year].as_dict() if year in cover else None,
        "records": c.records if c else 0,
        "method": c.method if c else None,
        "method_zh": c.method_zh if c else None,
        "baseline": c.detail.get("baseline") if c else None,
        **fields(c.reason if c else why_not),
        "rows": c.rows if c else [],
    }
