"""Versioned schema migrations. Append a new (version, description, statements) entry; never edit
an applied one. Migration 1 creates the canonical model as declared in ipcockpit.model.schema."""

from __future__ import annotations

from ipcockpit.model.schema import ALL_TABLES, create_table_sql

Migration = tuple[int, str, list[str]]


def _initial() -> list[str]:
    stmts = [create_table_sql(name, cols) for name, cols in ALL_TABLES.items()]
    stmts += [
        'CREATE INDEX IF NOT EXISTS idx_parties_doc ON parties (doc_id)',
        'CREATE INDEX IF NOT EXISTS idx_class_doc ON classifications (doc_id)',
    ]
    return stmts


MIGRATIONS: list[Migration] = [
    (1, "canonical model: documents, parties, classes, citations, legal events, texts, references", _initial()),
    (2, "pending_files: files whose ingest has not finished (removed on the next writable open)",
     ["CREATE TABLE IF NOT EXISTS pending_files (file_id VARCHAR PRIMARY KEY, path VARCHAR, run_id VARCHAR, "
      "started_at TIMESTAMP)"]),
]
