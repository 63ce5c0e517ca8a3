"""Data coverage of the computed cockpit cards: the records loaded for the region and period against the
district's official count, where one is known (docs/cockpit.md §4), so that a figure computed from a week
of data is never shown as the district's value.

What is loaded, and against which official figure (the profile's ``official`` list, with its source):

* the in-force stock (``invention_patents_per_10k_pop`` and its high-value part
  ``high_value_invention_patents_per_10k_pop``): the region's CN invention grants (attributed, domestic)
  granted by the period end and not known to have ended then -- in force, or in force unknown -- which is
  what the official count of valid invention patents (measure ``valid_invention_patents``) counts. The
  high-value figure is a part of that stock, so its coverage is the stock's. The official count of a year
  is its ``valid_invention_patents`` figure; else the published per-10k value of that year (measure
  ``invention_patents_per_10k_pop``) times the population reported for it / 10,000 (a derivation, said
  so). A year with neither has no official count: the latest earlier one stands as a floor (a district's
  stock of valid invention patents grows from year to year: Bishan 907 in 2020, 12.86 per 10,000 in 2021),
  so records fewer than ``min_share`` of it are partial; otherwise the coverage is unknown.
* running totals (``pct_applications``, ``pledge_financing_amount``): after the baseline year the value is
  the start plus what the records add (applications, or the amount registered), so the loaded part is that
  addition and the official part is the year's official total minus the start; up to the baseline year,
  all the records up to then against the official total.
* the trademark stocks (``trademarks_per_10k_market_entities``, ``geographical_indications``): the marks (and GI
  list entries) counted as the region's at the period end against the plan's baseline as a floor (a district's
  stock of registered marks and of GIs grows): the baseline itself for the GIs, the baseline rate times the
  market entities reported for the baseline year / 10,000 for the marks (unknown without them); the Madrid
  running total as the PCT one.

``status``: ``complete`` (share ≥ ``min_share``, the profile's ``coverage.min_share``, default 0.9),
``partial`` (below: the card does not show the computed value as the district's and falls back to the
reported value), ``unknown`` (no official count to compare with: the reason says why; never 100 %). An
official figure given as a floor (``bound: lower``, 超2000万元) can show a share too high, never too low,
so a share at or above ``min_share`` against it is unknown, not complete.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from ipcockpit.cockpit import mark_counts
from ipcockpit.cockpit.computations import pct_rows, pledge_events, start_of
from ipcockpit.cockpit.context import Computed, Context
from ipcockpit.cockpit.profiles import Indicator, OfficialFigure
from ipcockpit.cockpit.reasons import Reason, fields, translate

STOCK = ("invention_patents_per_10k_pop", "high_value_invention_patents_per_10k_pop")
STOCK_COUNT = "valid_invention_patents"
STOCK_RATE = "invention_patents_per_10k_pop"
RUNNING = ("pct_applications", "pledge_financing_amount", "madrid_applications_cumulative")
MARK_STOCK = ("trademarks_per_10k_market_entities", "geographical_indications")
COMPLETE, PARTIAL, UNKNOWN = "complete", "partial", "unknown"
#: the unit of what is loaded, per measure (Chinese, English)
UNITS = {STOCK_COUNT: ("件", "patents"), "pct_applications": ("件", "applications"),
         "pledge_financing_amount": ("亿元", "100 million CNY"), "records": ("件", "records")}


@dataclass(frozen=True)
class Coverage:
    """What a computed card rests on in ``year`` against the official figure (module docstring)."""

    year: int
    measure: str
    loaded: float
    min_share: float
    status: str
    official: float | None = None
    share: float | None = None
    figure: OfficialFigure | None = None
    derived: dict[str, Any] | None = None
    floor: dict[str, Any] | None = None
    reason: Reason | None = None

    def as_dict(self) -> dict[str, Any]:
        unit_zh, unit_en = UNITS.get(self.measure, UNITS["records"])
        return {
            "year": self.year, "measure": self.measure, "status": self.status, "loaded": self.loaded,
            "official": self.official, "share": None if self.share is None else round(self.share, 4),
            "min_share": self.min_share, "unit_zh": unit_zh, "unit_en": unit_en,
            "source": self.figure.as_dict() if self.figure else None, "derived": self.derived, "floor": self.floor,
            **fields(self.reason),
        }


def pct(share: float) -> str:
    """A share as the percent the texts show: 1.5, 0.33, 100 (at least two significant digits)."""
    value = 100 * share
    text = f"{value:.1f}" if value >= 1 or value == 0 else f"{value:.2g}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _count(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _judge(year: int, measure: str, loaded: float, official: float, figure: OfficialFigure | None,
           min_share: float, derived: dict[str, Any] | None = None) -> Coverage:
    share = loaded / official
    values = {"year": year, "loaded": _count(loaded), "official": _count(official), "share": pct(share),
              "min": pct(min_share)}
    if share < min_share:
        reason = Reason("cockpit.coverage.partial", values)
        return Coverage(year, measure, loaded, min_share, PARTIAL, official, share, figure, derived, None, reason)
    if figure is not None and figure.bound == "lower":  # the true figure is higher: the share may be lower
        reason = Reason("cockpit.coverage.lower_bound", values)
        return Coverage(year, measure, loaded, min_share, UNKNOWN, official, share, figure, derived, None, reason)
    return Coverage(year, measure, loaded, min_share, COMPLETE, official, share, figure, derived)


# the in-force stock ---------------------------------------------------------------------------------
def stock_loaded(ctx: Context, year: int) -> int:
    """The region's invention grants granted by the period end and not known to have ended then."""
    if not ctx.grants():
        return 0
    return sum(r["in_force"] is not False for r in ctx.stock(year)["rows"])


def stock_official(ctx: Context, year: int) -> tuple[float | None, OfficialFigure | None, dict[str, Any] | None]:
    """The official count of valid invention patents of ``year``: (count, figure, derivation); the count is
    None where there is none (the figure is then the per-10k value, if one is published without a
    population reported for the year)."""
    reg = ctx.region
    figure = reg.official_figure(STOCK_COUNT, year)
    if figure is not None:
        return figure.value, figure, None
    rate = reg.official_figure(STOCK_RATE, year)
    pop = ctx.series("population", year)
    if rate is None or pop is None:
        return None, rate, None
    derived = {"rate": rate.value, "population": pop["value"], "population_source": pop.get("source_document"),
               "population_reported_by": pop.get("reported_by")}
    return round(rate.value * pop["value"] / 10_000), rate, derived


def _stock(ctx: Context, year: int) -> Coverage:
    min_share = ctx.region.min_share
    loaded = stock_loaded(ctx, year)
    official, figure, derived = stock_official(ctx, year)
    if official is not None:
        return _judge(year, STOCK_COUNT, loaded, official, figure, min_share, derived)
    earlier = sorted({f.year for f in ctx.region.official if f.measure in (STOCK_COUNT, STOCK_RATE)
                      and f.year < year}, reverse=True)
    floor = next(((y, *stock_official(ctx, y)) for y in earlier if stock_official(ctx, y)[0] is not None), None)
    if floor is not None:
        f_year, f_count, f_figure, f_derived = floor
        floor_out = {"year": f_year, "official": f_count, "source": f_figure.as_dict() if f_figure else None,
                     "derived": f_derived}
        values = {"year": year, "loaded": _count(loaded), "floor_year": f_year, "floor": _count(f_count or 0),
                  "min": pct(min_share)}
        if loaded < min_share * (f_count or 0):
            return Coverage(year, STOCK_COUNT, loaded, min_share, PARTIAL, None, None, figure, None, floor_out,
                            Reason("cockpit.coverage.partial_floor", values))
        return Coverage(year, STOCK_COUNT, loaded, min_share, UNKNOWN, None, None, figure, None, floor_out,
                        Reason("cockpit.coverage.unknown_floor", values))
    if figure is not None:  # a published per-10k value, but no population to turn it into a count
        return Coverage(year, STOCK_COUNT, loaded, min_share, UNKNOWN, None, None, figure, None, None,
                        Reason("cockpit.coverage.rate_only", {"year": year, "loaded": _count(loaded),
                                                              "rate": _count(figure.value)}))
    return Coverage(year, STOCK_COUNT, loaded, min_share, UNKNOWN, None, None, None, None, None,
                    Reason("cockpit.coverage.no_official", {"year": year, "loaded": _count(loaded)}))


# running totals ---------------------------------------------------------------------------------------
Events = Callable[[], list[dict[str, Any]]]


def _running_loaded(ctx: Context, ind: Indicator, year: int, computed: dict[int, Computed], events: Events) -> float:
    """After the baseline year, what the year's value adds to its start; up to it, every record up to then."""
    base = ctx.region.baseline_year
    after = year > base
    if ind.id == "pct_applications":
        c = computed.get(year)
        if after and c is not None:
            return float(c.records)
        return float(sum(1 for a in pct_rows(ctx) if (base < a["app_date"].year if after else True)
                         and a["app_date"].year <= year))
    if ind.id == "madrid_applications_cumulative":
        c = computed.get(year)
        if after and c is not None:
            return float(c.records)
        return float(sum(1 for r in mark_counts.madrid_rows(ctx) if r["counted"] and r["date"] is not None
                         and (base < r["date"].year if after else True) and r["date"].year <= year))
    c = computed.get(year)
    if after and c is not None:
        return round(c.detail.get("added_cny", 0.0) / 1e8, 4)
    known = [e["amount_cny"] for e in events() if e["counted"] and e["date"].year <= year
             and (e["date"].year > base or not after)]
    return round(sum(known) / 1e8, 4)


def _running(ctx: Context, ind: Indicator, year: int, computed: dict[int, Computed], events: Events) -> Coverage:
    reg, min_share = ctx.region, ctx.region.min_share
    loaded = _running_loaded(ctx, ind, year, computed, events)
    figure = reg.official_figure(ind.id, year)
    start = start_of(ctx, ind) if year > reg.baseline_year else None
    base = start["value"] if start else 0.0
    if figure is not None and figure.value - base > 0:
        return _judge(year, ind.id, loaded, round(figure.value - base, 4), figure, min_share)
    if year > reg.baseline_year:
        return Coverage(year, ind.id, loaded, min_share, UNKNOWN, reason=Reason(
            "cockpit.coverage.no_official_since", {"year": year, "loaded": _count(loaded),
                                                   "base_year": reg.baseline_year}))
    return Coverage(year, ind.id, loaded, min_share, UNKNOWN, reason=Reason(
        "cockpit.coverage.no_official", {"year": year, "loaded": _count(loaded)}))


def _events(ctx: Context) -> Events:
    """The region's pledge registrations, read at the first call and kept."""
    return cache(lambda: pledge_events(ctx, ctx.attributed("CN", "true")))


# the cards --------------------------------------------------------------------------------------------
def coverage(ctx: Context, ind: Indicator, year: int, computed: dict[int, Computed],
             events: Events | None = None) -> Coverage | None:
    """The coverage of a computed indicator in ``year``; None for an indicator that has no rule here.
    ``events``: the region's pledge registrations, when the caller has them (read once per call else)."""
    if ind.id in STOCK:
        return _stock(ctx, year)
    if ind.id in RUNNING:
        return _running(ctx, ind, year, computed, events or _events(ctx))
    if ind.id in MARK_STOCK:
        return _mark_stock(ctx, ind, year, computed)
    return None


# the trademark stocks ---------------------------------------------------------------------------------
def _mark_baseline(ctx: Context, ind: Indicator) -> tuple[float | None, dict[str, Any] | None]:
    """The count of the baseline year the plan gives (a floor of later years) and its source, or None."""
    start = start_of(ctx, ind)
    if start is None:
        return None, None
    source = {"source": start["source_document"], "kind": start["kind"]}
    if ind.id == "geographical_indications":
        return float(start["value"]), source
    entities = ctx.series("market_entities", ctx.region.baseline_year)
    if entities is None:
        return None, None
    return round(start["value"] * entities["value"] / 10_000), {**source, "market_entities": entities["value"]}


def _mark_stock(ctx: Context, ind: Indicator, year: int, computed: dict[int, Computed]) -> Coverage:
    min_share, base = ctx.region.min_share, ctx.region.baseline_year
    if not computed:
        return Coverage(year, "records", 0, min_share, UNKNOWN, reason=Reason("cockpit.coverage.marks_none",
                                                                            {"year": year}))
    c = computed.get(year)
    loaded = float(c.records) if c is not None else 0.0
    official, source = _mark_baseline(ctx, ind)
    if official is None or year < base:
        key = "cockpit.coverage.marks_no_baseline" if year >= base else "cockpit.coverage.no_official"
        return Coverage(year, "records", loaded, min_share, UNKNOWN, reason=Reason(
            key, {"year": year, "loaded": _count(loaded), "base_year": base}))
    if year == base and official > 0:
        return _judge(year, "records", loaded, official, None, min_share)
    floor = {"year": base, "official": official, "source": source}
    values = {"year": year, "loaded": _count(loaded), "floor_year": base, "floor": _count(official),
              "min": pct(min_share)}
    if loaded < min_share * official:
        return Coverage(year, "records", loaded, min_share, PARTIAL, None, None, None, None, floor,
                        Reason("cockpit.coverage.marks_partial_floor", values))
    return Coverage(year, "records", loaded, min_share, UNKNOWN, None, None, None, None, floor,
                    Reason("cockpit.coverage.marks_unknown_floor", values))


def coverages(ctx: Context, ind: Indicator, computed: dict[int, Computed], years: list[int]) -> dict[int, Coverage]:
    """The coverage of each of ``years`` (none for an indicator without a rule)."""
    events = _events(ctx)
    out = {}
    for y in years:
        c = coverage(ctx, ind, y, computed, events)
        if c is not None:
            out[y] = c
    return out


def withhold(computed: dict[int, Computed], cover: dict[int, Coverage]) -> dict[int, Computed]:
    """The computed values, those of partial years replaced by no value with the coverage as the reason (the
    figure over the loaded records stays in ``detail['value_loaded']``)."""
    out = {}
    for y, c in computed.items():
        cov = cover.get(y)
        if c.value is not None and cov is not None and cov.status == PARTIAL:
            c = replace(c, value=None, reason=cov.reason, detail={**c.detail, "value_loaded": c.value})
        out[y] = c
    return out


# in words ---------------------------------------------------------------------------------------------
def coverage_view(cov: Mapping[str, Any] | None, t: Callable[..., str], lang: str) -> dict[str, Any] | None:
    """A card's coverage (``card["coverage"]``) in the language of ``t``: ``line`` (已载入 3 件 / 官方 907 件
    （0.33%）), ``status`` and its word, ``reason``, ``source`` (the official figure's source) and
    ``derived`` (how a count was derived from a rate); None without a coverage."""
    if not cov:
        return None
    unit = (cov.get("unit_en") if lang == "en" else cov.get("unit_zh")) or ""
    values = {"year": cov["year"], "loaded": _count(cov["loaded"]), "unit": unit}
    floor = cov.get("floor") or {}
    if cov.get("official") is not None:
        line = t("cockpit.coverage_line", official=_count(cov["official"]), share=pct(cov["share"]), **values)
    elif floor.get("official") is not None:  # no count for the year: the latest earlier one, a floor of the stock
        line = t("cockpit.coverage_line_floor", floor_year=floor["year"], floor=_count(floor["official"]), **values)
    else:
        line = t("cockpit.coverage_line_unknown", **values)
    source = cov.get("source") or ((cov.get("floor") or {}).get("source"))
    derived = cov.get("derived")
    return {
        "status": cov["status"],
        "status_text": t(f"cockpit.coverage_status_{cov['status']}"),
        "line": line,
        "reason": translate(cov, "reason", t),
        "source": t("cockpit.coverage_source", source=source["source"]) if source else None,
        "derived": t("cockpit.coverage_derived", rate=_count(derived["rate"]), year=cov["year"],
                     population=_count(derived["population"])) if derived else None,
    }


def coverage_short(cov: Mapping[str, Any] | None, t: Callable[..., str]) -> str:
    """A table cell: ``数据不全 3/907（0.33%）``, ``覆盖率未知 3/?``; '–' without a coverage."""
    if not cov:
        return "–"
    word = t(f"cockpit.coverage_status_{cov['status']}")
    if cov.get("official") is None:
        return f"{word} {_count(cov['loaded'])}/?"
    return f"{word} {_count(cov['loaded'])}/{_count(cov['official'])} ({pct(cov['share'])}%)"
