"""Versioned schema migrations. Append a new (version, description, statements) entry; never edit
an applied one. Migration 1 creates the canonical model as declared in ipcockpit.model.schema. A
statement is SQL or a function of the connection, run in the migration's transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow as pa

from ipcockpit.model.quarantine import classify
from ipcockpit.model.schema import ALL_TABLES, create_table_sql
from ipcockpit.store.bundled import load_bundled

Migration = tuple[int, str, list[str | Callable[[duckdb.DuckDBPyConnection], Any]]]


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


def _access() -> list[str]:
    """Users and roles (argon2 hashes only), the session-signing secret, the audit log, the publication
    state of reported values (``reported_public``: the latest published report of each key; plan baselines
    and profile series count as published) and portfolios kept per user (ipcockpit.auth)."""
    public = ("SELECT * EXCLUDE (rn) FROM (SELECT r.*, row_number() OVER (PARTITION BY r.region, r.indicator, "
              "r.year ORDER BY r.id DESC) AS rn FROM reported_values r LEFT JOIN reported_publication p "
              "ON p.reported_id = r.id WHERE r.origin IN ('plan', 'profile') OR coalesce(p.published, false)) "
              "WHERE rn = 1")
    return [
        "CREATE TABLE IF NOT EXISTS users (name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, "
        "password_hash VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, created_by VARCHAR, "
        "disabled BOOLEAN NOT NULL DEFAULT false)",
        "CREATE TABLE IF NOT EXISTS auth_secrets (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL, "
        "created_at TIMESTAMP NOT NULL)",
        "CREATE SEQUENCE IF NOT EXISTS audit_log_id START 1",
        "CREATE TABLE IF NOT EXISTS audit_log (id BIGINT PRIMARY KEY DEFAULT nextval('audit_log_id'), "
        "logged_at TIMESTAMP NOT NULL, user_name VARCHAR, role VARCHAR NOT NULL, action VARCHAR NOT NULL, "
        "target VARCHAR, outcome VARCHAR NOT NULL, status INTEGER, detail VARCHAR, remote VARCHAR)",
        "CREATE TABLE IF NOT EXISTS reported_publication (reported_id BIGINT PRIMARY KEY, published BOOLEAN NOT NULL, "
        "changed_by VARCHAR NOT NULL, changed_at TIMESTAMP NOT NULL)",
        f"CREATE VIEW IF NOT EXISTS reported_public AS {public}",
        "CREATE SEQUENCE IF NOT EXISTS portfolios_id START 1",
        "CREATE TABLE IF NOT EXISTS portfolios (id BIGINT PRIMARY KEY DEFAULT nextval('portfolios_id'), "
        "owner VARCHAR NOT NULL, name VARCHAR NOT NULL, numbers VARCHAR NOT NULL, result VARCHAR, "
        "created_at TIMESTAMP NOT NULL)",
        "CREATE INDEX IF NOT EXISTS idx_portfolios_owner ON portfolios (owner)",
    ]


def _classify_quarantine(con: duckdb.DuckDBPyConnection) -> None:
    """Give every quarantined record without a reason code the code of its reason (ipcockpit.model.quarantine)."""
    reasons = [r[0] for r in con.execute(
        "SELECT DISTINCT reason FROM quarantine WHERE reason_code IS NULL AND reason IS NOT NULL").fetchall()]
    if not reasons:
        return
    codes = pa.table({"reason": reasons, "code": [classify(r) for r in reasons]})
    con.register("_ipc_reason_codes", codes)
    try:
        con.execute("UPDATE quarantine SET reason_code = c.code FROM _ipc_reason_codes c "
                    "WHERE quarantine.reason = c.reason AND quarantine.reason_code IS NULL")
    finally:
        con.unregister("_ipc_reason_codes")


def _entities(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 11 (imported when run: the resolution's libraries load only for it)."""
    from ipcockpit.entities.store import migrate

    migrate(con)


def _trademarks() -> list[str]:
    """Migration 15: the trademark tables (ipcockpit.model.trademarks), for stores made before them."""
    from ipcockpit.model.trademarks import TRADEMARK_TABLES

    return [create_table_sql(name, cols) for name, cols in TRADEMARK_TABLES.items()] + [
        "CREATE INDEX IF NOT EXISTS idx_trademark_classes_mark ON trademark_classes (mark_id)",
        "CREATE INDEX IF NOT EXISTS idx_trademark_parties_mark ON trademark_parties (mark_id)",
    ]


def _watch(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 16 (ipcockpit.watch.store)."""
    from ipcockpit.watch.store import migrate

    migrate(con)


def _signals() -> list[str]:
    """Migration 17 (ipcockpit.signals.cases): signal cases, their log, the last runs, the enterprise registry."""
    from ipcockpit.signals.cases import TABLES

    return list(TABLES)


def _navigation(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 13 (ipcockpit.navigation.store)."""
    from ipcockpit.navigation.store import migrate

    migrate(con)


def _credit(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 18 (ipcockpit.credit.store)."""
    from ipcockpit.credit.store import migrate

    migrate(con)


def _protected_marks() -> list[str]:
    from ipcockpit.marks.tables import MIGRATION

    return list(MIGRATION)


MIGRATIONS: list[Migration] = [
    (1, "canonical model: documents, parties, classes, citations, legal events, texts, references", _initial()),
    (2, "pending_files: files whose ingest has not finished (removed on the next writable open)",
     ["CREATE TABLE IF NOT EXISTS pending_files (file_id VARCHAR PRIMARY KEY, path VARCHAR, run_id VARCHAR, "
      "started_at TIMESTAMP)"]),
    (3, "cockpit: reported_values (figures reported with provenance), reported_current and region_series views",
     _cockpit()),
    (4, "access: users, auth_secrets, audit_log, reported_publication and the reported_public view, portfolios",
     _access()),
    (5, "cockpit: reported_values.basis (total or year) of a value of a running-total indicator",
     ["ALTER TABLE reported_values ADD COLUMN IF NOT EXISTS basis VARCHAR"]),
    (6, "SEI rule readings (ref_ipc_concordance.reading, condition_terms); the bundled reference tables: "
        "SEI 2021 concordance, Chinese IPC titles (ipcockpit.store.bundled)",
     ["ALTER TABLE ref_ipc_concordance ADD COLUMN IF NOT EXISTS reading VARCHAR",
      "ALTER TABLE ref_ipc_concordance ADD COLUMN IF NOT EXISTS condition_terms VARCHAR[]",
      load_bundled]),
    (7, "name_aliases: other spellings of a party or inventor given by a second source (one party per seq)",
     ["CREATE TABLE IF NOT EXISTS name_aliases (doc_id VARCHAR, holder VARCHAR, role VARCHAR, seq INTEGER, "
      "name_raw VARCHAR, name_norm VARCHAR, file_id VARCHAR)",
      "CREATE INDEX IF NOT EXISTS idx_name_aliases_doc ON name_aliases (doc_id)"]),
    (8, "quarantine.reason_code: the kind of each quarantine reason (ipcockpit.model.quarantine), given to the "
        "records already there",
     ["ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS reason_code VARCHAR", _classify_quarantine]),
    (9, "web_sessions: server-side sessions of the web app, the id kept as its SHA-256 (ipcockpit.auth.sessions)",
     ["CREATE TABLE IF NOT EXISTS web_sessions (id_hash VARCHAR PRIMARY KEY, user_name VARCHAR NOT NULL, "
      "created_at DOUBLE NOT NULL, last_seen DOUBLE NOT NULL, expires_at DOUBLE NOT NULL, revoked_at DOUBLE, "
      "remote VARCHAR)"]),
    (10, "parties.admin_reason: why a party's GB/T 2260 code is coarser than its address text, came from a former "
         "name, or is missing (ipcockpit.model.addresses)",
     ["ALTER TABLE parties ADD COLUMN IF NOT EXISTS admin_reason VARCHAR"]),
    (11, "organisation entities: org_names (each name's entity and evidence), org_entities, org_overrides, the "
         "org_links view and party_entities (one entity id per party), given to the parties already stored "
         "(ipcockpit.entities.store)",
     [_entities]),
    (12, "inventor_entities: the resolved inventor (an i: entity id) of each row of inventors (ipcockpit.entities)",
     ["CREATE TABLE IF NOT EXISTS inventor_entities (doc_id VARCHAR, seq INTEGER, entity_id VARCHAR)",
      "CREATE INDEX IF NOT EXISTS idx_inventor_entities_doc ON inventor_entities (doc_id)",
      "CREATE INDEX IF NOT EXISTS idx_inventor_entities_entity ON inventor_entities (entity_id)"]),
    (13, "patent navigation: nav_definitions (saved industry definitions), nav_branches and nav_branch_edits "
         "(decomposition trees and their audit), nav_marks (the analyst's marks) (ipcockpit.navigation.store)",
     [_navigation]),
    (14, "nav_editions: the saved editions of patent navigation reports, by industry and region "
         "(ipcockpit.navigation.editions)",
     ["CREATE TABLE IF NOT EXISTS nav_editions (industry VARCHAR NOT NULL, region VARCHAR NOT NULL, "
      "edition INTEGER NOT NULL, created_at TIMESTAMP NOT NULL, report JSON NOT NULL, "
      "PRIMARY KEY (industry, region, edition))"]),
    (15, "trademarks: trademarks, trademark_parties, trademark_classes, trademark_goods, trademark_events "
         "(ipcockpit.model.trademarks)",
     _trademarks()),
    (16, "watch lists: watch_lists, watch_objects, watch_alerts (one per list and event), watch_deliveries "
         "(ipcockpit.watch.store)",
     [_watch]),
    (17, "abnormal-filing signals: signal_cases (one case per subject and finding, status and result), "
         "signal_case_log, signal_runs (the last detection of each kind), enterprise_registry (the sizes a user "
         "loads) (ipcockpit.signals.cases)",
     _signals()),
    (18, "credit tiers: credit_records, credit_repairs, credit_tiers, credit_user_orgs, credit_audit "
         "(ipcockpit.credit.store)",
     [_credit]),
    (19, "protected marks: protected_lists, protected_marks, protected_quarantine (驰名商标, 老字号, 地理标志 lists "
         "loaded by the user; ipcockpit.marks.protected)",
     _protected_marks()),
]
