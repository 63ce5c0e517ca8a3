"""Trademark signals (商标恶意注册、囤积):

- **tm_many_classes** (囤积): one applicant's marks spread over at least ``classes`` Nice classes (the classes of
  ``trademark_classes``, a 类似群 counting for its class), with at least ``min_marks`` marks. Defensive filings of
  a large brand look the same: the evidence lists the marks per class for the analyst.
- **tm_protected_copy** (复制、摹仿他人驰名商标、老字号): marks that :func:`ipcockpit.marks.similar.search` finds at
  a score of ``score`` or more for a protected mark text (驰名商标, 老字号, a geographical indication), filed by
  someone other than the protected mark's owner. The protected list is a parameter (``[{"text", "classes"?,
  "groups"?, "owner"?, "mark_id"?, "list"?}]`` or plain texts): without it the signal is unknown.

Subjects are the applicants' normalised names (trademark_parties.name_norm, else the name as written).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import duckdb

from ipcockpit.model.names import normalise_name
from ipcockpit.signals.common import Found, finding, unknown

_APPLICANTS = """
SELECT p.mark_id, coalesce(nullif(p.name_norm, ''), p.name_raw) AS subject, p.name_raw
FROM trademark_parties p
WHERE p.role IN ('applicant', 'owner', 'co_applicant') AND coalesce(p.name_raw, '') <> ''
ORDER BY p.mark_id, p.seq
"""


def _applicants(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, list[str]], dict[str, str]]:
    of: dict[str, list[str]] = defaultdict(list)
    names: dict[str, str] = {}
    for mark, subject, name in con.execute(_APPLICANTS).fetchall():
        names.setdefault(subject, name)
        if subject not in of[mark]:
            of[mark].append(subject)
    return of, names


def detect_tm_many_classes(con: duckdb.DuckDBPyConnection, th: dict[str, Any]) -> Found:
    found = Found("tm_many_classes", th)
    of, names = _applicants(con)
    classes: dict[str, set[int]] = defaultdict(set)
    for mark, nice in con.execute("SELECT DISTINCT mark_id, nice_class FROM trademark_classes WHERE "
                                  "nice_class IS NOT NULL AND scheme IN ('nice', 'cn_group')").fetchall():
        classes[mark].add(int(nice))
    texts = dict(con.execute("SELECT mark_id, mark_text FROM trademarks").fetchall())
    marks_of: dict[str, list[str]] = defaultdict(list)
    for mark in sorted(texts):
        for subject in of.get(mark, ()):
            marks_of[subject].append(mark)
    unclassed = sorted(m for m in texts if not classes.get(m))
    if unclassed:
        found.unknown.append(unknown("signals.unknown.no_class", f"{len(unclassed)} mark(s) have no Nice class on "
                                     "record and are not counted", count=len(unclassed), marks=unclassed[:50]))
    no_applicant = sorted(m for m in texts if not of.get(m))
    if no_applicant:
        found.unknown.append(unknown("signals.unknown.no_filer", f"{len(no_applicant)} mark(s) have no applicant "
                                     "on record", count=len(no_applicant), marks=no_applicant[:50]))
    for subject, marks in sorted(marks_of.items()):
        found.checked += 1
        per: dict[int, list[str]] = defaultdict(list)
        for m in marks:
            for c in classes.get(m, ()):
                per[c].append(m)
        if len(per) >= th["classes"] and len(marks) >= th["min_marks"]:
            found.findings.append(finding(
                subject, names[subject], [f"{subject}|{m}" for m in marks], len(marks),
                {"measure": len(per), "threshold": th["classes"], "marks": len(marks),
                 "classes": [{"class": c, "marks": [{"mark_id": m, "text": texts.get(m)} for m in ms]}
                             for c, ms in sorted(per.items())]}))
    found.facts = {"marks": len(texts), "applicants": len(marks_of)}
    return found


def protected_entries(protected: list[Any] | None) -> list[dict[str, Any]]:
    from ipcockpit.signals.errors import SignalsError

    out = []
    for p in protected or []:
        if not isinstance(p, str | dict) or isinstance(p, dict) and not isinstance(p.get("text"), str):
            raise SignalsError(f"protected mark {p!r}: give a text or {{\"text\", \"classes\"?, \"owner\"?}}")
        entry = {"text": p} if isinstance(p, str) else dict(p)
        if entry["text"].strip():
            out.append(entry)
    return out


def detect_tm_protected_copy(con: duckdb.DuckDBPyConnection, th: dict[str, Any],
                             protected: list[Any] | None = None) -> Found:
    from ipcockpit.marks.similar import build_index, search

    found = Found("tm_protected_copy", th)
    entries = protected_entries(protected)
    if not entries:
        found.unknown.append(unknown("signals.unknown.no_protected", "no protected-mark list was given (驰名商标, "
                                     "老字号, geographical indications): copies cannot be checked"))
        return found
    if not con.execute("SELECT count(*) FROM trademarks").fetchone()[0]:
        found.unknown.append(unknown("signals.unknown.no_marks", "the store holds no trademarks"))
        return found
    of, names = _applicants(con)
    index = build_index(con)
    hits: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for entry in entries:
        found.checked += 1
        owner = normalise_name(entry.get("owner")) if entry.get("owner") else None
        try:
            found_hits = search(index, entry["text"], classes=entry.get("classes"), groups=entry.get("groups"),
                                limit=200, min_score=float(th["score"]))
        except (ValueError, TypeError) as exc:
            from ipcockpit.signals.errors import SignalsError

            raise SignalsError(f"protected mark {entry['text']!r}: {exc}") from exc
        for hit in found_hits:
            if hit["mark_id"] == entry.get("mark_id") or hit["score"] < th["score"]:
                continue
            for subject in of.get(hit["mark_id"], ["?"]):
                if subject == "?":
                    found.unknown.append(unknown("signals.unknown.no_filer", "a similar mark has no applicant",
                                                 mark_id=hit["mark_id"], protected=entry["text"]))
                    continue
                if owner and normalise_name(names[subject]) == owner:
                    continue  # the owner's own marks
                hits[subject][f"{hit['mark_id']}|{entry['text']}"] = {
                    "protected": entry, "mark_id": hit["mark_id"], "text": hit["text"], "score": hit["score"],
                    "matched": hit["matched"], "shared_classes": hit["shared_classes"],
                    "shared_groups": hit["shared_groups"], "tier": hit["tier"]}
    for subject, mine in sorted(hits.items()):
        found.findings.append(finding(
            subject, names[subject], [f"{subject}|{k}" for k in mine], len({h["mark_id"] for h in mine.values()}),
            {"measure": max(h["score"] for h in mine.values()), "threshold": th["score"],
             "hits": list(mine.values())}))
    found.facts = {"protected": len(entries)}
    return found
