"""The scale path: a local Spark session over a Parquet export, as an ibis connection.

The statistics in :mod:`ipcockpit.analytics.stats` are ibis expressions; bound to the tables of
:func:`connect_parquet` they run on Spark unchanged::

    cockpit.export_parquet("var/parquet")
    con = connect_parquet("var/parquet")
    rows(by_office_year(con.table("documents")))

pyspark is an optional dependency (``pip install 'ipcockpit[spark]'``) and needs Java 17.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipcockpit.errors import IPCockpitError

if TYPE_CHECKING:
    import ibis
    from pyspark.sql import SparkSession


class SparkUnavailableError(IPCockpitError):
    """pyspark or Java is missing, or the Parquet folder is not an ipcockpit export."""


#: Settings for a small, quiet local session: no web UI, few shuffle partitions, UTC dates.
LOCAL_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.ansi.enabled": "false",
}


def local_session(cores: int = 2, memory: str = "1g", app_name: str = "ipcockpit",
                  conf: dict[str, str] | None = None) -> SparkSession:
    """A local SparkSession (``local[cores]``) with logs at ERROR. Reuses one already running."""
    try:
        from pyspark.sql import SparkSession
    except ModuleNotFoundError as exc:
        raise SparkUnavailableError(
            "pyspark is not installed; install the extra with `pip install 'ipcockpit[spark]'`"
        ) from exc
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local only; also silences the loopback warning
    # the Python workers (UDFs, mapInArrow) run this interpreter: a SparkContext made in-process reads
    # PYSPARK_PYTHON, not spark.pyspark.python, and otherwise starts `python3` from PATH (no ipcockpit, no pyarrow)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (SparkSession.builder.master(f"local[{cores}]").appName(app_name)
               .config("spark.driver.memory", memory).config("spark.pyspark.python", sys.executable))
    for key, value in {**LOCAL_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM failed to start: Java missing or too old
        raise SparkUnavailableError(
            f"cannot start a local Spark session ({exc}); install Java 17 (scripts/setup_system.sh)"
        ) from exc
    session.sparkContext.setLogLevel("ERROR")
    return session


def register_parquet(session: SparkSession, folder: str | os.PathLike[str],
                     tables: list[str] | None = None) -> list[str]:
    """Register each ``<table>.parquet`` of an export folder as a temporary view; returns their names."""
    root = Path(folder)
    files = sorted(root.glob("*.parquet"))
    if tables is not None:
        wanted = set(tables)
        missing = wanted - {f.stem for f in files}
        if missing:
            raise SparkUnavailableError(
                f"{root}: no Parquet file for {', '.join(sorted(missing))}; "
                "write the export with `ipcockpit export --parquet DIR`"
            )
        files = [f for f in files if f.stem in wanted]
    if not files:
        raise SparkUnavailableError(f"{root}: no .parquet files; write them with `ipcockpit export --parquet DIR`")
    for f in files:
        session.read.parquet(str(f)).createOrReplaceTempView(f.stem)
    return [f.stem for f in files]


def connect_parquet(folder: str | os.PathLike[str], session: SparkSession | None = None,
                    tables: list[str] | None = None, **session_options: Any) -> ibis.BaseBackend:
    """An ibis pyspark connection whose tables are the Parquet export in ``folder``."""
    import ibis

    session = session or local_session(**session_options)
    register_parquet(session, folder, tables)
    return ibis.pyspark.connect(session)
