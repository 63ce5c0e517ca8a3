"""Forecast for the target year, progress and status: simple, stated methods (numpy only).

Forecast (:func:`forecast`), from the indicator's yearly values ``[(year, value), ...]``:

* ``linear`` (default): the least-squares straight line through all the values, read at the target year;
* ``cagr``: the compound annual growth rate between the first and the last value, applied from the last
  value to the target year (needs both values positive; otherwise the linear method is used and said);
* one value only: with a baseline of an earlier year, the straight line from the baseline through that
  value; without one, the value itself (``flat``);
* a value for the target year itself (or later): that value (``actual``).

Status (:func:`status`), with the forecast F and the target T (higher is better for every plan indicator):
``on_track`` when F >= T (or the latest value already reaches T), ``at_risk`` when F >= 90% of T
(``at_risk_share``), ``off_track`` otherwise; ``None`` without a forecast or a target.

Progress (:func:`progress`): (value - baseline) / (target - baseline), the share of the way from the
baseline to the target (0 at the baseline, 1 at the target; below 0 or above 1 when the value is outside);
without a baseline, value / target.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

METHODS = ("linear", "cagr")
AT_RISK_SHARE = 0.9
STATUSES = ("on_track", "at_risk", "off_track")


def _clean(points: Iterable[tuple[int, float | None]]) -> list[tuple[int, float]]:
    by_year: dict[int, float] = {}
    for year, value in points:
        if value is not None:
            by_year[int(year)] = float(value)
    return sorted(by_year.items())


def _result(
    target_year: int,
    value: float,
    method: str,
    en: str,
    zh: str,
    pts: list[tuple[int, float]],
    **extra: float,
) -> dict[str, object]:
    return {
        "year": target_year,
        "value": round(float(value), 4),
        "method": method,
        "method_text": en,
        "method_zh": zh,
        "points": len(pts),
        "from_year": pts[0][0],
        "to_year": pts[-1][0],
        **{k: round(float(v), 6) for k, v in extra.items()},
    }


def forecast(
    points: Iterable[tuple[int, float | None]],
    target_year: int,
    method: str = "linear",
    baseline: tuple[int, float] | None = None,
) -> dict[str, object] | None:
    """The value expected in ``target_year``; None without any value. See the module docstring."""
    if method not in METHODS:
        raise ValueError(f"forecast method {method!r}: use one of {', '.join(METHODS)}")
    pts = _clean(points)
    if not pts:
        return None
    last_year, last = pts[-1]
    at_target = [v for y, v in pts if y == target_year]
    if at_target:
        return _result(
            target_year, at_target[0], "actual", f"the value of {target_year}", f"{target_year}年实际值", pts
        )
    if last_year > target_year:
        pts = [p for p in pts if p[0] < target_year]
        if not pts:
            return None
        last_year, last = pts[-1]
    if len(pts) == 1 and baseline is not None and baseline[0] < last_year and baseline[1] is not None:
        pts = _clean([baseline, pts[0]])
    if len(pts) == 1:
        return _result(
            target_year,
            last,
            "flat",
            f"one value ({last_year}): assumed to stay",
            f"仅有{last_year}年一个值，假定保持不变",
            pts,
        )
    if method == "cagr":
        (y0, v0), (y1, v1) = pts[0], pts[-1]
        if v0 > 0 and v1 > 0:
            rate = (v1 / v0) ** (1.0 / (y1 - y0)) - 1.0
            value = v1 * (1.0 + rate) ** (target_year - y1)
            return _result(
                target_year,
                value,
                "cagr",
                f"compound annual growth {rate:.1%} from {y0} to {y1}, continued to {target_year}",
                f"按{y0}—{y1}年复合年均增长率{rate:.1%}推算至{target_year}年",
                pts,
                rate=rate,
            )
    x = np.array([p[0] for p in pts], dtype=float)
    y = np.array([p[1] for p in pts], dtype=float)
    centre = x.mean()
    slope, intercept = np.polyfit(x - centre, y, 1)
    value = intercept + slope * (target_year - centre)
    note = " (CAGR needs positive first and last values)" if method == "cagr" else ""
    note_zh = "（首末值非正，不能用复合增长率）" if method == "cagr" else ""
    return _result(
        target_year,
        value,
        "linear",
        f"linear trend, least squares over {len(pts)} values {pts[0][0]}-{pts[-1][0]}, "
        f"{slope:+.4g} a year{note}",
        f"按{pts[0][0]}—{pts[-1][0]}年{len(pts)}个值的最小二乘线性趋势外推（每年{slope:+.4g}）{note_zh}",
        pts,
        slope=slope,
    )


def status(
    forecast_value: float | None,
    target: float | None,
    latest: float | None = None,
    at_risk_share: float = AT_RISK_SHARE,
) -> str | None:
    """on_track / at_risk / off_track from the forecast against the target; None when either is missing."""
    if target is None:
        return None
    if latest is not None and latest >= target:
        return "on_track"
    if forecast_value is None:
        return None
    if forecast_value >= target:
        return "on_track"
    if forecast_value >= at_risk_share * target:
        return "at_risk"
    return "off_track"


def progress(value: float | None, baseline: float | None, target: float | None) -> float | None:
    """Share of the way from the baseline to the target (value / target without a baseline)."""
    if value is None or target is None:
        return None
    if baseline is None:
        return round(value / target, 4) if target else None
    if target == baseline:
        return None
    return round((value - baseline) / (target - baseline), 4)


def change(points: Iterable[tuple[int, float | None]], year: int) -> dict[str, float | int] | None:
    """The change of ``year``'s value on the previous year's: ``{"value", "pct", "from_year"}``; None when
    either year has no value."""
    by_year = dict(_clean(points))
    if year not in by_year or year - 1 not in by_year:
        return None
    prev, cur = by_year[year - 1], by_year[year]
    out: dict[str, float | int] = {"value": round(cur - prev, 4), "from_year": year - 1}
    if prev:
        out["pct"] = round((cur - prev) / abs(prev) * 100, 2)
    return out
