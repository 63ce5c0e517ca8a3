"""Filing volume: bursts against an applicant's own history, and volume beyond an applicant's size.

- **burst** (申请量短期内异常激增): applications filed by one subject in one period (week or month, by filing date)
  at least ``min_count`` and at least ``factor`` × its mean per period over the ``history_periods`` periods
  before. The history is what the store holds: a subject with no earlier filing has a baseline of 0, and a store whose
  publications span less than the history (one gazette week) cannot show anyone's history: unknown, with the span.
  The same per subject: the files holding its publications must span the history (one gazette week loaded beside
  years of other sources shows none of its applicants' earlier filings), else it is unknown, with that span.
- **volume_vs_size** (申请量明显超出主体规模): the most applications one subject filed in a calendar year against its
  size in the enterprise registry (:mod:`ipcockpit.signals.registry`): more than ``per_employee`` per insured
  employee (参保人数/员工数), or, with no employee count, more than ``per_million_capital`` per million yuan of
  registered capital. Without a registry row the subject is *unknown, no size on record*; sizes are never guessed.

Applications are counted once per subject (``common.FILERS``: the application, else office + number); one
without a filing date is not counted and is listed as unknown.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import duckdb

from ipcockpit.signals.common import FILERS, Found, finding, unknown


def applications(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Each subject's applications ``{subject: {app_key: {"date", "docs"}}}`` and its name."""
    rows = con.execute(f"WITH f AS ({FILERS}) SELECT subject, subject_name, app_key, app_date, doc_id FROM f "
                       "ORDER BY subject, app_key, doc_id").fetchall()
    apps: dict[str, dict[str, Any]] = defaultdict(dict)
    names: dict[str, str] = {}
    for subject, name, app, filed, doc in rows:
        names.setdefault(subject, name)
        entry = apps[subject].setdefault(app, {"date": None, "docs": []})
        if filed is not None and (entry["date"] is None or filed < entry["date"]):
            entry["date"] = filed
        if doc not in entry["docs"]:
            entry["docs"].append(doc)
    return apps, names


def period_of(day: date, period: str) -> tuple[int, str]:
    """The period's number (consecutive periods differ by 1) and its label (2019-07, 2019-W28)."""
    if period == "week":
        iso = day.isocalendar()
        return (day.toordinal() - 1) // 7, f"{iso[0]}-W{iso[1]:02d}"
    return day.year * 12 + day.month - 1, f"{day.year}-{day.month:02d}"


def _undated(found: Found, subject: str, name: str, apps: dict[str, Any]) -> dict[str, dict[str, Any]]:
    dated = {k: v for k, v in apps.items() if v["date"] is not None}
    missing = sorted(k for k in apps if k not in dated)
    if missing:
        found.unknown.append(unknown("signals.unknown.no_filing_date",
                                     f"{len(missing)} application(s) have no filing date and are not counted",
                                     subject=subject, subject_name=name, count=len(missing),
                                     applications=missing[:20]))
    return dated


def detect_burst(con: duckdb.DuckDBPyConnection, th: dict[str, Any]) -> Found:
    from ipcockpit.signals.errors import SignalsError

    period, history = th["period"], int(th["history_periods"])
    if period not in ("week", "month"):
        raise SignalsError(f"setting signals.burst.period: {period!r}; use week or month")
    found = Found("burst", th)
    first, last = con.execute("SELECT min(pub_date), max(pub_date) FROM documents WHERE NOT coalesce(stub, false)"
                              ).fetchone()
    span = (last - first).days if first and last else 0
    need = history * (7 if period == "week" else 30)
    found.facts = {"publications_from": str(first) if first else None, "publications_to": str(last) if last else None,
                   "span_days": span, "history_days_needed": need}
    if span < need:
        found.unknown.append(unknown("signals.unknown.short_history", f"the store's publications span {span} days "
                                     f"({first} to {last}): too short to hold an applicant's history of "
                                     f"{history} {period}s ({need} days); load more publications", span_days=span,
                                     days_needed=need))
        return found
    apps, names = applications(con)
    doc_file, file_span = _file_spans(con)
    for subject, mine in apps.items():
        dated = _undated(found, subject, names[subject], mine)
        if len(dated) < th["min_count"]:
            continue
        # the subject's history is only what the files holding its publications cover: one gazette week beside
        # years of other sources shows none of its earlier filings (a baseline of 0 that the data cannot decide)
        held = {doc_file.get(d) for e in dated.values() for d in e["docs"]}
        spans = [file_span[f] for f in held if f in file_span]
        covered = (max(s[1] for s in spans) - min(s[0] for s in spans)).days if spans else 0
        if covered < need:
            found.unknown.append(unknown("signals.unknown.short_history_subject",
                                         f"the files holding its publications span {covered} days: too short for "
                                         f"a history of {history} {period}s ({need} days)", subject=subject,
                                         subject_name=names[subject], span_days=covered, days_needed=need))
            continue
        found.checked += 1
        per: dict[int, list[str]] = defaultdict(list)
        labels: dict[int, str] = {}
        for key, entry in dated.items():
            n, label = period_of(entry["date"], period)
            per[n].append(key)
            labels[n] = label
        flagged = []
        for n, keys in sorted(per.items()):
            count = len(keys)
            baseline = sum(len(per.get(m, ())) for m in range(n - history, n)) / history
            if count >= th["min_count"] and count >= th["factor"] * baseline:
                flagged.append({"period": labels[n], "count": count, "baseline": round(baseline, 3),
                                "ratio": round(count / baseline, 2) if baseline else None,
                                "applications": [{"application": k, "filed": str(dated[k]["date"]),
                                                  "documents": dated[k]["docs"]} for k in sorted(keys)]})
        if flagged:
            found.findings.append(finding(
                subject, names[subject], [f"{subject}|{f['period']}" for f in flagged],
                sum(f["count"] for f in flagged),
                {"measure": max(f["count"] for f in flagged), "periods": flagged,
                 "rule": f"count >= {th['min_count']} and count >= {th['factor']} x mean of the "
                         f"{history} {period}s before"}))
    found.facts["subjects"] = len(apps)
    return found


def _file_spans(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], dict[str, tuple[date, date]]]:
    """Each document's file, and each file's publication span (first, last) where it has dates."""
    spans = {f: (a, b) for f, a, b in con.execute(
        "SELECT file_id, min(pub_date), max(pub_date) FROM documents WHERE NOT coalesce(stub, false) "
        "AND pub_date IS NOT NULL GROUP BY file_id").fetchall()}
    return dict(con.execute("SELECT doc_id, file_id FROM documents").fetchall()), spans


def detect_volume_vs_size(con: duckdb.DuckDBPyConnection, th: dict[str, Any]) -> Found:
    from ipcockpit.signals.registry import lookup, registry_loaded

    found = Found("volume_vs_size", th)
    apps, names = applications(con)
    loaded = registry_loaded(con)
    aliases = _subject_names(con) if loaded else {}
    for subject, mine in apps.items():
        dated = _undated(found, subject, names[subject], mine)
        years: dict[int, list[str]] = defaultdict(list)
        for key, entry in dated.items():
            years[entry["date"].year].append(key)
        if not years:
            continue
        year, keys = max(years.items(), key=lambda kv: (len(kv[1]), kv[0]))
        if len(keys) < th["min_applications"]:
            continue
        found.checked += 1
        about = {"subject": subject, "subject_name": names[subject], "year": year, "applications": len(keys)}
        if not loaded:
            found.unknown.append(unknown("signals.unknown.no_registry", "no enterprise registry is loaded: no "
                                         "size on record", **about))
            continue
        row = lookup(con, aliases.get(subject, [names[subject]]))
        if row is None:
            found.unknown.append(unknown("signals.unknown.no_size", "no registry row: no size on record", **about))
            continue
        measure, limit, basis = None, None, None
        if row.get("employees") is not None:  # 0 insured: counted as one person
            measure, limit, basis = len(keys) / max(row["employees"], 1), th["per_employee"], "employees"
        elif row.get("capital_wan"):
            measure, limit, basis = len(keys) / (row["capital_wan"] / 100), th["per_million_capital"], "capital"
        if measure is None:
            found.unknown.append(unknown("signals.unknown.no_size_in_row", "the registry row has neither an "
                                         "employee count nor a registered capital", registry=row, **about))
            continue
        if measure > limit:
            first = min(dated[k]["date"] for k in keys)
            age = (first - row["founded"]).days if row.get("founded") else None
            found.findings.append(finding(
                subject, names[subject], [f"{subject}|{year}"], len(keys),
                {"measure": round(measure, 3), "threshold": limit, "basis": basis, "year": year,
                 "registry": row, "age_days_at_first_filing": age,
                 "applications": [{"application": k, "filed": str(dated[k]["date"]),
                                   "documents": dated[k]["docs"]} for k in sorted(keys)]}))
    found.facts = {"subjects": len(apps), "registry_loaded": loaded}
    return found


def _subject_names(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Each subject's party names as written (a registry row matches any of them)."""
    out: dict[str, list[str]] = defaultdict(list)
    for subject, name in con.execute(f"WITH f AS ({FILERS}) SELECT DISTINCT subject, name_raw FROM f "
                                     "ORDER BY 1, 2").fetchall():
        out[subject].append(name)
    return out
