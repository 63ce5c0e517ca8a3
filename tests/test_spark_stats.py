"""The scale path: the same ibis statistics on local Spark over the Parquet export equal DuckDB's.

The store holds the PatentsView baseball CSV (2,664 US grants, no parties or classes) and one USPTO
weekly full-text excerpt (25 grants of 2008-01-01 with applicants and IPC/CPC codes), so that every
statistic has rows on both engines.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ipcockpit.analytics import stats
from ipcockpit.analytics.spark import SparkUnavailableError, connect_parquet, local_session, register_parquet
from ipcockpit.app import Cockpit

pytestmark = pytest.mark.spark

BASEBALL = "abstracts_us/baseball_patent_query.csv"
WEEKLY = "uspto_xml/weekly_excerpts/ipg080101.small.xml"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[tuple[Cockpit, Path]]:
    """A DuckDB store holding the two files, and its Parquet export."""
    root = tmp_path_factory.mktemp("spark")
    cockpit = Cockpit(db=root / "store.duckdb")
    csv_report, xml_report = cockpit.ingest([shared / BASEBALL, shared / WEEKLY])
    assert (csv_report.format, csv_report.loaded, csv_report.quarantined) == ("patentsview-csv", 2664, 0)
    assert (xml_report.format, xml_report.loaded, xml_report.quarantined) == ("uspto-xml", 25, 0)
    cockpit.export_parquet(root / "parquet")
    yield cockpit, root / "parquet"
    cockpit.close()


@pytest.fixture(scope="module")
def spark_con(exported: tuple[Cockpit, Path], spark_session: Any) -> object:
    return connect_parquet(exported[1], session=spark_session)


def test_by_office_year_same_on_spark(exported: tuple[Cockpit, Path], spark_con) -> None:
    cockpit, _ = exported
    on_duckdb = stats.rows(stats.by_office_year(cockpit.ibis().table("documents")))
    on_spark = stats.rows(stats.by_office_year(spark_con.table("documents")))
    assert on_spark == on_duckdb
    # counted independently: pandas value_counts of the CSV's patent_date years (43 years, 1976: 33,
    # 2008: 63, 2018: 29) plus the 25 date-publ="20080101" grants found by grep in the XML
    assert len(on_spark) == 43
    assert on_spark[0] == {"office": "US", "year": 1976, "documents": 33}
    assert {"office": "US", "year": 2008, "documents": 63 + 25} in on_spark
    assert on_spark[-1] == {"office": "US", "year": 2018, "documents": 29}
    assert sum(r["documents"] for r in on_spark) == 2664 + 25


def test_top_applicants_same_on_spark(exported: tuple[Cockpit, Path], spark_con) -> None:
    cockpit, _ = exported
    on_duckdb = stats.rows(stats.top_applicants(cockpit.ibis().table("parties"), 50))
    on_spark = stats.rows(stats.top_applicants(spark_con.table("parties"), 50))
    assert on_spark == on_duckdb
    # regex count of <assignee><orgname> per grant in the XML: the only organisation on two grants
    assert on_spark[0]["name"] == "Matsushita Electric Industrial Co., Ltd."
    assert on_spark[0]["documents"] == 2


def test_top_subclasses_same_on_spark(exported: tuple[Cockpit, Path], spark_con) -> None:
    cockpit, _ = exported
    on_duckdb = stats.rows(stats.top_subclasses(cockpit.ibis().table("classifications"), 50))
    on_spark = stats.rows(stats.top_subclasses(spark_con.table("classifications"), 50))
    assert on_spark == on_duckdb
    assert len(on_spark) > 10
    # regex count of distinct <classification-ipcr>/<classification-cpc> subclasses per grant
    assert on_spark[:2] == [{"subclass": "G02B", "documents": 2}, {"subclass": "H01R", "documents": 2}]


def test_missing_parquet_table_is_named(exported: tuple[Cockpit, Path], spark_con) -> None:
    session = local_session()  # the running session is reused
    with pytest.raises(SparkUnavailableError, match=r"no Parquet file for nosuch.*ipcockpit export"):
        register_parquet(session, exported[1], ["documents", "nosuch"])
