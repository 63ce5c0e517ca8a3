"""Template text (模板化撰写、内容拼凑): passages one subject's applications share word for word that other
applicants do not use.

Each application's abstract (``texts.kind = 'abstract'``, one per publication as near-duplicates read it, folded
by :func:`ipcockpit.signals.near_duplicates.normalise`) is cut into character ``passage_chars``-grams. A gram is
*template text* of a subject when it occurs in at least ``min_applications`` of the subject's applications and
in the applications of at most ``max_other_subjects`` other subjects (wording every applicant uses, 本发明公开了一种,
is left out that way). A subject with at least ``min_applications`` applications holding template text is a
signal; the evidence is the passages (the template grams joined where they overlap in an application) with the
applications each appears in.

Titles alone (the gazette) are too short to say anything: a store without abstracts is unknown, with the reason.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import duckdb

from ipcockpit.signals.common import FILERS, Found, finding, unknown
from ipcockpit.signals.near_duplicates import normalise

_TEXTS = f"""
WITH a AS (
  SELECT t.doc_id, t.text FROM texts t WHERE t.kind = 'abstract' AND length(t.text) >= 30
  QUALIFY row_number() OVER (PARTITION BY t.doc_id ORDER BY t.lang = 'zh' DESC, length(t.text) DESC) = 1)
SELECT f.subject, f.subject_name, f.app_key, a.doc_id, a.text
FROM a JOIN ({FILERS}) f USING (doc_id)
ORDER BY f.subject, f.app_key, a.doc_id
"""


def _spans(text: str, grams: set[str], k: int) -> list[str]:
    covered = [False] * len(text)
    for i in range(len(text) - k + 1):
        if text[i:i + k] in grams:
            for j in range(i, i + k):
                covered[j] = True
    out, start = [], None
    for i, c in enumerate([*covered, False]):
        if c and start is None:
            start = i
        elif not c and start is not None:
            out.append(text[start:i])
            start = None
    return out


def detect_template_text(con: duckdb.DuckDBPyConnection, th: dict[str, Any]) -> Found:
    found = Found("template_text", th)
    k, need, others = int(th["passage_chars"]), int(th["min_applications"]), int(th["max_other_subjects"])
    rows = con.execute(_TEXTS).fetchall()
    if not rows:
        found.unknown.append(unknown("signals.unknown.no_abstracts", "the store holds no abstracts of filers "
                                     "(titles alone are too short to compare)"))
        return found
    texts: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)  # subject -> app -> (doc, folded text)
    names: dict[str, str] = {}
    for subject, name, app, doc, text in rows:
        names.setdefault(subject, name)
        texts[subject].setdefault(app, (doc, normalise(text)))
    grams_of: dict[str, dict[str, set[str]]] = {}  # subject -> app -> its grams (subjects with enough apps)
    candidates: dict[str, set[str]] = {}  # subject -> grams in at least ``need`` of its applications
    for subject, apps in texts.items():
        if len(apps) < need:
            continue
        grams_of[subject] = {app: {t[i:i + k] for i in range(len(t) - k + 1)} for app, (_d, t) in apps.items()}
        counts: Counter[str] = Counter()
        for grams in grams_of[subject].values():
            counts.update(grams)
        candidates[subject] = {g for g, n in counts.items() if n >= need}
    wanted = set().union(*candidates.values()) if candidates else set()
    subjects_of: dict[str, set[str]] = defaultdict(set)  # candidate gram -> the subjects using it
    for subject, apps in texts.items():
        for app, (_d, t) in apps.items():
            mine = grams_of[subject][app] if subject in grams_of else {t[i:i + k] for i in range(len(t) - k + 1)}
            for g in mine & wanted:
                subjects_of[g].add(subject)
    for subject, apps in sorted(texts.items()):
        if subject not in grams_of:
            continue
        found.checked += 1
        grams = {g for g in candidates[subject] if len(subjects_of[g]) - 1 <= others}
        if not grams:
            continue
        holding = sorted(a for a, mine in grams_of[subject].items() if mine & grams)
        if len(holding) < need:
            continue
        passages: dict[str, set[str]] = defaultdict(set)
        for app in holding:
            for span in _spans(apps[app][1], grams, k):
                passages[span].add(app)
        top = sorted(passages.items(), key=lambda kv: (-len(kv[1]), -len(kv[0]), kv[0]))[:10]
        found.findings.append(finding(
            subject, names[subject], [f"{subject}|{g}" for g in sorted(grams)], len(holding),
            {"measure": len(holding), "threshold": need, "applications_with_text": len(apps),
             "template_grams": len(grams),
             "passages": [{"text": p, "applications": sorted(a)[:50], "count": len(a)} for p, a in top],
             "documents": [apps[a][0] for a in holding]}))
    counts = Counter(len(a) for a in texts.values())
    found.facts = {"subjects_with_abstracts": len(texts), "abstracts": len(rows),
                   "subjects_with_enough": sum(v for n, v in counts.items() if n >= need)}
    return found
