"""The entity ids the graph and strength read: the resolved id where a row of party_entities/inventor_entities
exists, else ``'n:' || name_norm`` (the contract of issue 17), in SQL and in ibis alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import pytest

from ipcockpit.app import Cockpit
from ipcockpit.graph.ids import inventor_ids, inventor_ids_sql, party_ids, party_ids_sql


def _rows(cockpit: Cockpit, sql: str) -> list[tuple]:
    return cockpit.store.con.execute(f"SELECT doc_id, seq, entity_id FROM ({sql}) ORDER BY doc_id, seq").fetchall()


def _seed(cockpit: Cockpit) -> None:
    con = cockpit.store.con
    con.execute("INSERT INTO parties (doc_id, seq, role, name_raw, name_norm) VALUES "
                "('CN1A', 1, 'applicant', '华为技术有限公司', '华为技术'), ('CN1A', 2, 'applicant', 'X Co.', 'x'), "
                "('CN2A', 1, 'applicant', 'Nameless', NULL)")
    con.execute("INSERT INTO inventors (doc_id, seq, name_raw, name_norm) VALUES "
                "('CN1A', 1, '张三', '张三'), ('CN1A', 2, '李四', '李四')")


def test_without_the_entity_tables_the_id_is_the_folded_name(cockpit: Cockpit) -> None:
    _seed(cockpit)
    con = cockpit.store.con
    for t in ("party_entities", "inventor_entities"):  # a store before migrations 11/12
        con.execute(f"DROP TABLE IF EXISTS {t}")
    assert _rows(cockpit, party_ids_sql(con)) == [("CN1A", 1, "n:华为技术"), ("CN1A", 2, "n:x"), ("CN2A", 1, None)]
    assert _rows(cockpit, inventor_ids_sql(con)) == [("CN1A", 1, "n:张三"), ("CN1A", 2, "n:李四")]
    backend = ibis.duckdb.from_connection(con)
    got = sorted((r["doc_id"], r["seq"], r["entity_id"]) for r in party_ids(backend).to_pyarrow().to_pylist())
    assert got == [("CN1A", 1, "n:华为技术"), ("CN1A", 2, "n:x"), ("CN2A", 1, None)]


def test_a_resolved_row_wins_and_a_missing_row_falls_back(cockpit: Cockpit) -> None:
    _seed(cockpit)
    con = cockpit.store.con
    con.execute("CREATE OR REPLACE TABLE party_entities (doc_id VARCHAR, seq INTEGER, role VARCHAR, entity_id VARCHAR)")
    con.execute("CREATE OR REPLACE TABLE inventor_entities (doc_id VARCHAR, seq INTEGER, entity_id VARCHAR)")
    # a row for the first party only, and one under another role that must not match
    con.execute("INSERT INTO party_entities VALUES ('CN1A', 1, 'applicant', 'o:huawei'), ('CN1A', 2, 'agent', 'o:no')")
    con.execute("INSERT INTO inventor_entities VALUES ('CN1A', 2, 'i:li-si')")
    assert _rows(cockpit, party_ids_sql(con)) == [("CN1A", 1, "o:huawei"), ("CN1A", 2, "n:x"), ("CN2A", 1, None)]
    assert _rows(cockpit, inventor_ids_sql(con)) == [("CN1A", 1, "n:张三"), ("CN1A", 2, "i:li-si")]
    backend = ibis.duckdb.from_connection(con)
    for expr, sql in ((party_ids(backend), party_ids_sql(con)), (inventor_ids(backend), inventor_ids_sql(con))):
        got = sorted((r["doc_id"], r["seq"], r["entity_id"]) for r in expr.to_pyarrow().to_pylist())
        assert got == _rows(cockpit, sql)


@pytest.mark.spark
def test_the_ibis_expressions_run_on_spark_alike(cockpit: Cockpit, tmp_path: Path, spark_session: Any) -> None:
    """The Spark path: the same ibis expressions over a Parquet export give the DuckDB SQL's ids."""
    from ipcockpit.analytics.spark import connect_parquet

    _seed(cockpit)
    con = cockpit.store.con
    con.execute("CREATE OR REPLACE TABLE party_entities (doc_id VARCHAR, seq INTEGER, role VARCHAR, entity_id VARCHAR)")
    con.execute("INSERT INTO party_entities VALUES ('CN1A', 1, 'applicant', 'o:huawei')")
    for table in ("parties", "inventors", "party_entities"):
        con.execute(f"COPY {table} TO '{tmp_path / (table + '.parquet')}' (FORMAT parquet)")
    backend = connect_parquet(tmp_path, session=spark_session)
    for expr, sql in ((party_ids(backend), party_ids_sql(con)), (inventor_ids(backend), inventor_ids_sql(con))):
        got = sorted((r["doc_id"], r["seq"], r["entity_id"]) for r in expr.to_pyarrow().to_pylist())
        assert got == _rows(cockpit, sql)
