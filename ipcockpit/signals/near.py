"""Near-duplicate clusters as cases (内容明显抄袭、简单替换或拼凑): the clusters of
:func:`ipcockpit.signals.near_duplicates.near_duplicates` turned into one finding per subject whose applications
sit in a cluster; its evidence is those clusters (documents, pairs with their Jaccard and shared span)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import duckdb

from ipcockpit.signals.common import FILERS, Found, finding, unknown
from ipcockpit.signals.near_duplicates import near_duplicates


def detect_near_duplicate(con: duckdb.DuckDBPyConnection, th: dict[str, Any]) -> Found:
    found = Found("near_duplicate", th)
    result = near_duplicates(con, float(th["jaccard"]))
    found.facts = {k: result[k] for k in ("documents", "candidates", "pairs", "parameters", "seconds")}
    found.facts["clusters"] = len(result["clusters"])
    if not result["documents"]:
        found.unknown.append(unknown("signals.unknown.no_abstracts", "the store holds no abstracts (titles alone "
                                     "are too short to compare)"))
        return found
    members = sorted({d["doc_id"] for c in result["clusters"] for d in c["documents"]})
    filers: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for doc, subject, name in con.execute(f"SELECT DISTINCT doc_id, subject, subject_name FROM ({FILERS}) "
                                          "WHERE list_contains(?, doc_id) ORDER BY 1, 2", [members]).fetchall():
        filers[doc].append((subject, name))
    mine: dict[str, list[int]] = defaultdict(list)
    names: dict[str, str] = {}
    no_filer = []
    for n, cluster in enumerate(result["clusters"]):
        for d in cluster["documents"]:
            if not filers.get(d["doc_id"]):
                no_filer.append(d["doc_id"])
            for subject, name in filers.get(d["doc_id"], ()):
                names.setdefault(subject, name)
                if n not in mine[subject]:
                    mine[subject].append(n)
    if no_filer:
        found.unknown.append(unknown("signals.unknown.no_filer", f"{len(no_filer)} clustered document(s) have no "
                                     "applicant on record: no subject", documents=sorted(set(no_filer))[:50],
                                     count=len(set(no_filer))))
    for subject, clusters in sorted(mine.items()):
        found.checked += 1
        own = sorted({d["doc_id"] for n in clusters for d in result["clusters"][n]["documents"]
                      if any(s == subject for s, _ in filers.get(d["doc_id"], ()))})
        if not own or len(own) < th["min_documents"]:
            continue
        evidence_clusters = [result["clusters"][n] for n in clusters]
        found.findings.append(finding(
            subject, names[subject], [f"{subject}|{d}" for d in own], len(own),
            {"measure": max(c["max_jaccard"] for c in evidence_clusters), "threshold": th["jaccard"],
             "documents": own, "clusters": evidence_clusters}))
    return found
