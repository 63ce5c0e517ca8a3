"""One patent document with everything the store holds about it: the data of the patent page.

:func:`patent_record` gathers the document's rows from every canonical table, the backward citations
(marked when the cited document is in the corpus), the forward citations within the corpus and the
family members. Plain dicts, ready for JSON. ``claims_count`` is null when the store holds no claim rows of
the document (every patent has claims: the data does not say how many). The ``doc_id`` of a number written in any form
(``CN 115883397 B``, ``ZL202211359874.7``, ``US 7,315,680``) is :func:`ipcockpit.value.screen.find_document`'s.
"""

from __future__ import annotations

from typing import Any

from ipcockpit.store import Store

_DOCUMENT_COLUMNS = ("doc_id, office, number, kind, doc_type, stage, pub_date, app_id, app_date, grant_date, "
                     "priority_date, family_id, family_size, title, lang, status, cited_by_count, stub")


def patent_record(store: Store, doc_id: str) -> dict[str, Any] | None:
    """Everything stored about one document (``doc_id`` as stored), or None when it is not stored."""
    docs = store.query(f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE doc_id = ?", [doc_id])
    if not docs:
        return None
    doc = docs[0]
    claims = store.query(
        "SELECT num, text, independent, depends_on, lang FROM claims WHERE doc_id = ? ORDER BY num NULLS LAST, text",
        [doc_id])
    return {
        "doc_id": doc_id,
        "document": doc,
        "same_application": store.query(
            "SELECT doc_id, kind, doc_type, stage, pub_date FROM documents "
            "WHERE app_id = ? AND doc_id <> ? AND NOT stub ORDER BY pub_date, doc_id", [doc["app_id"], doc_id])
        if doc["app_id"] else [],
        "texts": store.query(
            "SELECT kind, lang, text FROM texts WHERE doc_id = ? AND kind <> 'description' ORDER BY kind, lang",
            [doc_id]),
        "description_chars": store.scalar(
            "SELECT sum(length(text)) FROM texts WHERE doc_id = ? AND kind = 'description'", [doc_id]),
        "parties": store.query(
            "SELECT role, seq, name_raw AS name, name_norm, type, country, province, city, district, admin_code, "
            "address_raw AS address FROM parties WHERE doc_id = ? ORDER BY role, seq", [doc_id]),
        "inventors": store.query(
            "SELECT seq, name_raw AS name, country, province, city, address_raw AS address FROM inventors "
            "WHERE doc_id = ? ORDER BY seq", [doc_id]),
        "classifications": store.query(
            "SELECT scheme, code, main, seq FROM classifications WHERE doc_id = ? "
            "ORDER BY scheme, main DESC NULLS LAST, seq NULLS LAST, code", [doc_id]),
        "claims": claims,
        # no claim rows: the source gave none (or the first claim only, in texts); how many there are is unknown
        "claims_count": len(claims) if claims else None,
        "independent_claims_count": sum(1 for c in claims if c["independent"]) if claims else None,
        "priorities": store.query(
            "SELECT country, number, priority_date FROM priorities WHERE doc_id = ? ORDER BY priority_date, number",
            [doc_id]),
        "legal_events": store.query(
            "SELECT event_date, office, code, event_class, influence, raw_text, counterparty, amount, currency "
            "FROM legal_events WHERE doc_id = ? ORDER BY event_date NULLS LAST, event_class, raw_text", [doc_id]),
        "citations": _backward(store, doc_id),
        "cited_by": _forward(store, doc_id),
        "family": _family(store, doc_id, doc["family_id"]),
    }


def _backward(store: Store, doc_id: str) -> list[dict[str, Any]]:
    """Cited patents and literature, with ``in_corpus`` (the cited document is loaded, not a stub)."""
    return store.query(
        "SELECT c.seq, c.cited_doc_id, c.cited_raw, c.cited_office, c.cited_date, coalesce(c.npl, false) AS npl, "
        "c.category, c.cited_by, coalesce(NOT d.stub, false) AS in_corpus, d.title "
        "FROM citations c LEFT JOIN documents d ON d.doc_id = c.cited_doc_id "
        "WHERE c.doc_id = ? ORDER BY npl, c.seq NULLS LAST, c.cited_doc_id, c.cited_raw", [doc_id])


def _forward(store: Store, doc_id: str) -> list[dict[str, Any]]:
    """Documents of the corpus that cite this one (as the value index counts them: the exact doc_id)."""
    return store.query(
        "SELECT c.doc_id, d.title, d.pub_date, min(c.category) AS category, min(c.cited_by) AS cited_by "
        "FROM citations c JOIN documents d ON d.doc_id = c.doc_id "
        "WHERE c.cited_doc_id = ? AND c.doc_id <> ? GROUP BY ALL ORDER BY d.pub_date NULLS LAST, c.doc_id",
        [doc_id, doc_id])


def _family(store: Store, doc_id: str, family_id: str | None) -> list[dict[str, Any]]:
    """Members of every family the document belongs to (family_members rows and documents.family_id)."""
    return _rows(
        store, "WITH fams AS (SELECT family_id, scheme FROM family_members WHERE doc_id = $doc "
        "  UNION SELECT $fam, NULL WHERE $fam IS NOT NULL), "
        "members AS (SELECT m.family_id, m.scheme, m.doc_id FROM family_members m JOIN fams f USING (family_id) "
        "  UNION SELECT d.family_id, NULL, d.doc_id FROM documents d JOIN fams f USING (family_id)) "
        "SELECT m.family_id, min(m.scheme) AS scheme, m.doc_id, left(m.doc_id, 2) AS office, "
        "coalesce(NOT any_value(d.stub), false) AS in_corpus, any_value(d.title) AS title, "
        "any_value(d.pub_date) AS pub_date FROM members m LEFT JOIN documents d ON d.doc_id = m.doc_id "
        "WHERE m.doc_id <> $doc GROUP BY m.family_id, m.doc_id ORDER BY m.family_id, m.doc_id",
        {"doc": doc_id, "fam": family_id})


def _rows(store: Store, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cur = store.con.execute(sql, params)
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
