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


def _cockpit() -> list[str]:
    """Reported figures, one row per report (never updated): the last entered report (highest ``id``) of a
    region, indicator and year is its current value (``reported_current``); ``region_series`` is the current
    population and market-entity series. ``origin``: plan (a plan baseline), profile (a series value of a
    region profile), api, csv; ``origin_ref`` the file and line or the profile file."""
    latest = ("SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER (PARTITION BY region, indicator, year "
              "ORDER BY id DESC) AS rn FROM reported_values) WHERE rn = 1")
    return [
        "CREATE SEQUENCE IF NOT EXISTS reported_values_id START 1",
        "CREATE TABLE IF NOT EXISTS reported_values (id BIGINT PRIMARY KEY DEFAULT nextval('reported_values_id'), "
        "region VARCHAR NOT NULL, "
        "indicator VARCHAR NOT NULL, year INTEGER NOT NULL, value DOUBLE NOT NULL, unit VARCHAR, "
        "source_document VARCHAR NOT NULL, reported_by VARCHAR NOT NULL, reported_at TIMESTAMP NOT NULL, "
        "note VARCHAR, origin VARCHAR NOT NULL, origin_ref VARCHAR)",
        "CREATE INDEX IF NOT EXISTS idx_reported_key ON reported_values (region, indicator, year)",
        f"CREATE VIEW IF NOT EXISTS reported_current AS {latest}",
        "CREATE VIEW IF NOT EXISTS region_series AS SELECT region, indicator AS series, year, value, unit, "
        "source_document, reported_by, reported_at, note, origin FROM reported_current "
        "WHERE indicator IN ('population', 'market_entities')",
    ]


MIGRATIONS: list[Migration] = [
    (1, "canonical model: documents, parties, classes, citations, legal events, texts, references", _initial()),
    (2, "pending_files: files whose ingest has not finished (removed on the next writable open)",
     ["CREATE TABLE IF NOT EXISTS pending_files (file_id VARCHAR PRIMARY KEY, path VARCHAR, run_id VARCHAR, "
      "started_at TIMESTAMP)"]),
    (3, "cockpit: reported_values (figures reported with provenance), reported_current and region_series views",
     _cockpit()),
]
