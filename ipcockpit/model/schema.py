"""The canonical tables: one declaration used for the DDL, the Arrow batches and docs/model.md.

Every data table carries ``file_id`` (the ingested file, see ``source_files``) so that a file's rows
can be replaced as a whole, which makes ingest atomic and idempotent.
"""

from __future__ import annotations

import pyarrow as pa

from ipcockpit.model.reference import REF_TABLES
from ipcockpit.model.trademarks import TRADEMARK_TABLES

Column = tuple[str, str]

CORE_TABLES: dict[str, list[Column]] = {
    "documents": [
        ("doc_id", "VARCHAR"),
        ("office", "VARCHAR"),
        ("number", "VARCHAR"),
        ("kind", "VARCHAR"),
        ("doc_type", "VARCHAR"),
        ("stage", "VARCHAR"),
        ("pub_date", "DATE"),
        ("app_id", "VARCHAR"),
        ("app_date", "DATE"),
        ("grant_date", "DATE"),
        ("priority_date", "DATE"),
        ("family_id", "VARCHAR"),
        ("family_size", "INTEGER"),
        ("title", "VARCHAR"),
        ("lang", "VARCHAR"),
        ("status", "VARCHAR"),
        ("cited_by_count", "INTEGER"),
        ("stub", "BOOLEAN"),
        ("extra", "JSON"),
        ("file_id", "VARCHAR"),
        ("position", "VARCHAR"),
    ],
    "applications": [
        ("app_id", "VARCHAR"),
        ("office", "VARCHAR"),
        ("number", "VARCHAR"),
        ("app_date", "DATE"),
        ("file_id", "VARCHAR"),
    ],
    "family_members": [
        ("family_id", "VARCHAR"),
        ("scheme", "VARCHAR"),
        ("doc_id", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
    "parties": [
        ("doc_id", "VARCHAR"),
        ("seq", "INTEGER"),
        ("role", "VARCHAR"),
        ("name_raw", "VARCHAR"),
        ("name_norm", "VARCHAR"),
        ("type", "VARCHAR"),
        ("country", "VARCHAR"),
        ("province", "VARCHAR"),
        ("city", "VARCHAR"),
        ("district", "VARCHAR"),
        ("admin_code", "VARCHAR"),
        ("address_raw", "VARCHAR"),
        ("admin_reason", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
    "inventors": [
        ("doc_id", "VARCHAR"),
        ("seq", "INTEGER"),
        ("name_raw", "VARCHAR"),
        ("name_norm", "VARCHAR"),
        ("country", "VARCHAR"),
        ("province", "VARCHAR"),
        ("city", "VARCHAR"),
        ("address_raw", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
    # other spellings of a party or inventor that a second source gave: (doc_id, holder, role, seq) names the
    # row of ``holder`` (parties: by role and seq; inventors: by seq, role empty) (ipcockpit.store.merge_names)
    "name_aliases": [
        ("doc_id", "VARCHAR"),
        ("holder", "VARCHAR"),
        ("role", "VARCHAR"),
        ("seq", "INTEGER"),
        ("name_raw", "VARCHAR"),
        ("name_norm", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
    "classifications": [
        ("doc_id", "VARCHAR"),
        ("scheme", "VARCHAR"),
        ("code", "VARCHAR"),
        ("main", "BOOLEAN"),
        ("seq", "INTEGER"),
        ("file_id", "VARCHAR"),
    ],
    "citations": [
        ("doc_id", "VARCHAR"),
        ("seq", "INTEGER"),
        ("cited_doc_id", "VARCHAR"),
        ("cited_raw", "VARCHAR"),
        ("cited_office", "VARCHAR"),
        ("cited_date", "DATE"),
        ("npl", "BOOLEAN"),
        ("category", "VARCHAR"),
        ("cited_by", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
    "legal_events": [
        ("doc_id", "VARCHAR"),
        ("event_date", "DATE"),
        ("office", "VARCHAR"),
        ("code", "VARCHAR"),
        ("raw_text", "VARCHAR"),
        ("event_class", "VARCHAR"),
        ("influence", "VARCHAR"),
        ("counterparty", "VARCHAR"),
        ("amount", "DOUBLE"),
        ("currency", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
    "texts": [
        ("doc_id", "VARCHAR"),
        ("kind", "VARCHAR"),
        ("lang", "VARCHAR"),
        ("text", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
    "claims": [
        ("doc_id", "VARCHAR"),
        ("num", "INTEGER"),
        ("text", "VARCHAR"),
        ("independent", "BOOLEAN"),
        ("depends_on", "INTEGER"),
        ("lang", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
    "priorities": [
        ("doc_id", "VARCHAR"),
        ("country", "VARCHAR"),
        ("number", "VARCHAR"),
        ("priority_date", "DATE"),
        ("file_id", "VARCHAR"),
    ],
}

# Bookkeeping tables: not replaced per file.
SYSTEM_TABLES: dict[str, list[Column]] = {
    "ingest_runs": [
        ("run_id", "VARCHAR"),
        ("started_at", "TIMESTAMP"),
        ("finished_at", "TIMESTAMP"),
        ("command", "VARCHAR"),
    ],
    "source_files": [
        ("file_id", "VARCHAR"),
        ("path", "VARCHAR"),
        ("sha256", "VARCHAR"),
        ("size", "BIGINT"),
        ("format", "VARCHAR"),
        ("run_id", "VARCHAR"),
        ("read", "BIGINT"),
        ("loaded", "BIGINT"),
        ("quarantined", "BIGINT"),
        ("merged", "BIGINT"),
        ("ingested_at", "TIMESTAMP"),
    ],
    "quarantine": [
        ("file_id", "VARCHAR"),
        ("path", "VARCHAR"),
        ("position", "VARCHAR"),
        ("field", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("excerpt", "VARCHAR"),
        ("run_id", "VARCHAR"),
        ("reason_code", "VARCHAR"),  # ipcockpit.model.quarantine: the kind of reason, for grouping and languages
    ],
}

DATA_TABLES: dict[str, list[Column]] = {**CORE_TABLES, **REF_TABLES, **TRADEMARK_TABLES}
ALL_TABLES: dict[str, list[Column]] = {**DATA_TABLES, **SYSTEM_TABLES}

PRIMARY_KEYS: dict[str, str] = {"documents": "doc_id", "applications": "app_id", "source_files": "file_id"}


def create_table_sql(name: str, columns: list[Column]) -> str:
    cols = ", ".join(f'"{c}" {t}' for c, t in columns)
    pk = PRIMARY_KEYS.get(name)
    if pk:
        cols += f", PRIMARY KEY ({pk})"
    return f'CREATE TABLE IF NOT EXISTS "{name}" ({cols})'


_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "JSON": pa.string(),
    "DATE": pa.date32(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "DOUBLE": pa.float64(),
    "TIMESTAMP": pa.timestamp("us"),
    "VARCHAR[]": pa.list_(pa.string()),
}


def arrow_schema(table: str) -> pa.Schema:
    return pa.schema([(c, _ARROW_TYPES[t]) for c, t in ALL_TABLES[table]])
