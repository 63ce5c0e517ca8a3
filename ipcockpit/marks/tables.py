"""The tables of the protected-mark lists (migration 19; :mod:`ipcockpit.marks.protected`), imported by the
migrations without the readers."""

MIGRATION = [
    "CREATE TABLE IF NOT EXISTS protected_lists (list_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, "
    "name VARCHAR, path VARCHAR, sha256 VARCHAR, first_loaded_at TIMESTAMP NOT NULL, loaded_at TIMESTAMP NOT NULL, "
    "loaded_by VARCHAR, rows_read INTEGER, rows_loaded INTEGER, rows_quarantined INTEGER, columns JSON)",
    "CREATE TABLE IF NOT EXISTS protected_marks (list_id VARCHAR NOT NULL, seq INTEGER, entry_key VARCHAR, "
    "kind VARCHAR, name VARCHAR, name_norm VARCHAR, reg_number VARCHAR, classes INTEGER[], groups VARCHAR[], "
    "holder VARCHAR, holder_norm VARCHAR, recognised VARCHAR, year INTEGER, recognised_date DATE, region VARCHAR, "
    "admin_code VARCHAR, product VARCHAR, gi_type VARCHAR, announcement VARCHAR, scope VARCHAR, level VARCHAR, "
    "note VARCHAR)",
    "CREATE TABLE IF NOT EXISTS protected_quarantine (list_id VARCHAR NOT NULL, path VARCHAR, row INTEGER, "
    "field VARCHAR, value VARCHAR, reason VARCHAR, reason_key VARCHAR, reason_values JSON)",
]
TABLES = ("protected_lists", "protected_marks", "protected_quarantine")
