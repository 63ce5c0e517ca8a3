"""What one cockpit call computes once: the region's attributed records and the in-force stock of each year.

Attribution (CNIPA counting, docs/cockpit.md): a document belongs to the region by the address (GB/T 2260
code) of its first applicant/patentee party that has one -- patentee first for grants up to 2020,
applicant first from 2021; the publication's own parties before those of other publications of the
same application; holders of Taiwan, Hong Kong and Macao (codes 71, 81, 82) and foreign holders are not
domestic. The stock of a year is judged as of the period end (31 December, or today) by
:mod:`ipcockpit.value.conditions`; a status that says the rights ended describes today, so an end event
dated after the period end means in force then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import duckdb

from ipcockpit.cockpit.profiles import Region
from ipcockpit.cockpit.reasons import Reason
from ipcockpit.value.attribution import ATTRIBUTED_SQL, ATTRIBUTION_SWITCH
from ipcockpit.value.attribution import ATTRIBUTION_TEXT as ATTRIBUTION_TEXT  # re-exported: computations
from ipcockpit.value.attribution import ATTRIBUTION_ZH as ATTRIBUTION_ZH
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


@dataclass
class Computed:
    """A computed value of one year and what it rests on. ``value`` is None when it cannot be computed
    (``reason`` says why); ``rows`` are the records, for the drill-down."""

    value: float | None
    records: int
    doc_ids: list[str]
    method: str
    method_zh: str
    reason: Reason | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)


def iso(value: Any) -> Any:
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


Result = tuple[dict[int, Computed], Reason | None]


def settings_note(s: ScreenSettings) -> dict[str, Any]:
    return {
        "maintenance_start": s.maintenance_start,
        "maintenance_years": s.maintenance_years,
        "pledge_threshold": s.pledge_threshold,
        "strict_sei": s.strict_sei,
        "sei_scheme": s.sei_scheme,
    }
