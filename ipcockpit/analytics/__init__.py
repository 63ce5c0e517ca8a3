"""Analytics written once as ibis expressions: they run on DuckDB (default) and on Spark (scale path)."""
