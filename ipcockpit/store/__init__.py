"""Storage: a DuckDB file by default; the analytics layer runs the same expressions on Spark."""

from ipcockpit.store.duckdb_store import Store, require_file

__all__ = ["Store", "require_file"]
