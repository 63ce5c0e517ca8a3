"""The credit tables (migration 18):

- ``credit_records``: what the office recorded about an organisation (a penalty, a judgment, a dishonesty-list
  entry, a demonstration/advantage list entry, a check that found nothing), one row each, never changed;
  ``record_id`` is a hash of the organisation, kind, category, date, authority and document number, so that
  loading a file again adds nothing; ``origin`` says where it came from (``manual`` or ``<file> row <n>``);
- ``credit_repairs``: a repair (信用修复) of one piece of evidence (``record:<record_id>`` or ``case:<case_id>``)
  with its date and basis: the failure stops counting from that date;
- ``credit_tiers``: the tiers last computed (``ipcockpit credit compute``, and after each record or repair), the
  snapshot the audit log's tier changes are measured against;
- ``credit_user_orgs``: the organisation an enterprise user belongs to (set by an admin);
- ``credit_audit``: every change (who, when, what, before and after as JSON).
"""

from __future__ import annotations

import duckdb

MIGRATION: list[str] = [
    "CREATE TABLE IF NOT EXISTS credit_records (record_id VARCHAR PRIMARY KEY, entity_id VARCHAR NOT NULL, "
    "kind VARCHAR NOT NULL, category VARCHAR, decided_on DATE NOT NULL, authority VARCHAR, document_no VARCHAR, "
    "summary VARCHAR, name_given VARCHAR, credit_code VARCHAR, origin VARCHAR NOT NULL, entered_by VARCHAR NOT NULL, "
    "entered_at TIMESTAMP NOT NULL)",
    "CREATE INDEX IF NOT EXISTS idx_credit_records_entity ON credit_records (entity_id)",
    "CREATE TABLE IF NOT EXISTS credit_repairs (evidence_key VARCHAR PRIMARY KEY, entity_id VARCHAR NOT NULL, "
    "repaired_on DATE NOT NULL, basis VARCHAR NOT NULL, entered_by VARCHAR NOT NULL, entered_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS credit_tiers (entity_id VARCHAR PRIMARY KEY, tier VARCHAR NOT NULL, "
    "weight DOUBLE NOT NULL, as_of DATE NOT NULL, rules_digest VARCHAR NOT NULL, computed_at TIMESTAMP NOT NULL, "
    "counting VARCHAR[])",
    "CREATE TABLE IF NOT EXISTS credit_user_orgs (user_name VARCHAR PRIMARY KEY, entity_id VARCHAR NOT NULL, "
    "set_by VARCHAR NOT NULL, set_at TIMESTAMP NOT NULL)",
    "CREATE SEQUENCE IF NOT EXISTS credit_audit_id START 1",
    "CREATE TABLE IF NOT EXISTS credit_audit (id BIGINT PRIMARY KEY DEFAULT nextval('credit_audit_id'), "
    "logged_at TIMESTAMP NOT NULL, actor VARCHAR NOT NULL, action VARCHAR NOT NULL, entity_id VARCHAR, target VARCHAR, "
    "before JSON, after JSON)",
    "CREATE INDEX IF NOT EXISTS idx_credit_audit_entity ON credit_audit (entity_id)",
]

#: the tables that hold data (listed on the data page); the audit log and the user links are the app's own
DATA_TABLES = ("credit_records", "credit_repairs", "credit_tiers")


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 18: the credit tables."""
    for stmt in MIGRATION:
        con.execute(stmt)


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND "
                            "schema_name = 'main' AND table_name = ?", [name]).fetchall()[0][0])
