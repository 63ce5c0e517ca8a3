"""Rapid resale (以转让牟利为目的的申请): a transfer of the application or patent (legal events of class
``transfer``: 专利申请权、专利权的转移, a USPTO assignment) within ``days_after_filing`` days of filing or within
``days_after_grant`` days of grant.

The dates of an application are those of any of its publications (``documents.app_id``, else the document). The
subject is the filer (applicant or patentee) of the transferred application: the one who sold. A transfer whose
application has neither a filing nor a grant date, or no filer on record, is unknown with its reason (the CNIPA
legal-status gazette gives neither: its entries name no party and no filing date).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import duckdb

from ipcockpit.signals.common import FILERS, Found, finding, unknown

_EVENTS = f"""
WITH ev AS (
  SELECT e.doc_id, e.event_date, e.raw_text, e.counterparty,
         coalesce(d.app_id, d.office || d.number, d.doc_id) AS app_key
  FROM legal_events e JOIN documents d USING (doc_id) WHERE e.event_class = 'transfer'),
dates AS (
  SELECT coalesce(app_id, office || number, doc_id) AS app_key, min(app_date) AS app_date,
         min(grant_date) AS grant_date
  FROM documents GROUP BY 1),
filers AS (SELECT DISTINCT app_key, subject, subject_name FROM ({FILERS}))
SELECT ev.doc_id, ev.app_key, ev.event_date, ev.raw_text, ev.counterparty, dates.app_date, dates.grant_date,
       filers.subject, filers.subject_name
FROM ev LEFT JOIN dates USING (app_key) LEFT JOIN filers USING (app_key)
ORDER BY ev.app_key, ev.event_date, ev.doc_id, filers.subject
"""


def detect_rapid_resale(con: duckdb.DuckDBPyConnection, th: dict[str, Any]) -> Found:
    found = Found("rapid_resale", th)
    after_filing, after_grant = int(th["days_after_filing"]), int(th["days_after_grant"])
    hits: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    names: dict[str, str] = {}
    transfers = 0
    seen_unknown: set[tuple[str, str]] = set()
    for doc, app, when, text, counterparty, filed, granted, subject, name in con.execute(_EVENTS).fetchall():
        transfers += 1
        reason = None
        if when is None:
            reason = ("signals.unknown.no_event_date", "the transfer has no date")
        elif filed is None and granted is None:
            reason = ("signals.unknown.no_dates", "the application has neither a filing nor a grant date on record")
        elif subject is None:
            reason = ("signals.unknown.no_filer", "no applicant or patentee of the application is on record")
        if reason:
            if (app, reason[0]) not in seen_unknown:
                seen_unknown.add((app, reason[0]))
                found.unknown.append(unknown(*reason, application=app, document=doc,
                                             transfer_date=str(when) if when else None))
            continue
        names.setdefault(subject, name)
        days_f = (when - filed).days if filed else None
        days_g = (when - granted).days if granted else None
        quick_f = days_f is not None and 0 <= days_f <= after_filing
        quick_g = days_g is not None and 0 <= days_g <= after_grant
        if quick_f or quick_g:
            hits[subject].setdefault(f"{app}|{when}", {
                "application": app, "document": doc, "filed": str(filed) if filed else None,
                "granted": str(granted) if granted else None, "transferred": str(when),
                "days_after_filing": days_f, "days_after_grant": days_g, "event": text,
                "counterparty": counterparty})
    subjects_with_transfers = {s for s in hits}
    for subject, events in sorted(hits.items()):
        apps = {e["application"] for e in events.values()}
        found.checked += 1
        if len(apps) < th["min_documents"]:
            continue
        found.findings.append(finding(
            subject, names[subject], [f"{subject}|{k}" for k in events], len(apps),
            {"measure": min(e["days_after_filing"] if e["days_after_filing"] is not None else e["days_after_grant"]
                            for e in events.values()),
             "threshold": {"days_after_filing": after_filing, "days_after_grant": after_grant},
             "transfers": list(events.values())}))
    found.facts = {"transfers": transfers, "subjects_with_quick_transfers": len(subjects_with_transfers)}
    return found
