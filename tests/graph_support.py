"""The store the graph and talent tests share: real files of several sources, built once per test run.

CNKI's export of Sun Yat-sen University (CN, 1,467 records with Chinese applicants and addresses), Lens pizza
(1,000), USPTO assignment records (transfers and security interests with their counterparties), a Lens COVID
file and the USPTO weekly excerpts (patent citations): about 3,200 documents, built in ~6 s.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_stores import built_once

from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings

FILES = ("cn/cnki_export_sysu/Patent.csv", "lens/pizza_lens_1000_raw.csv", "uspto_api/assignment",
         "lens/covid_jsonl/Coronavirus-MERS-patents.jsonl", "uspto_xml/weekly_excerpts")


def graph_mix(factory: pytest.TempPathFactory, shared: Path) -> Path:
    """The store of :data:`FILES` (a path; copy it before opening it for writing)."""

    def build(folder: Path) -> Path:
        path = folder / "graph.duckdb"
        with Cockpit(Settings(db=str(path))) as c:
            c.ingest([shared / f for f in FILES])
        return path

    return built_once("graph_mix", factory, build)


#: every party with the entity id the graph and strength give it (the contract of issue 17: its row of
#: ``party_entities``, else ``'n:' || name_norm``), written out from the tables (not through
#: ipcockpit.graph.ids) so that a recount reads the same identity without the product's code
PARTY_IDS = ("(SELECT p.*, coalesce(pe.entity_id, 'n:' || p.name_norm) AS eid FROM parties p "
             "LEFT JOIN party_entities pe USING (doc_id, seq, role))")
#: every inventor with its entity id (``inventor_entities``, else ``'n:' || name_norm``)
INVENTOR_IDS = ("(SELECT i.*, coalesce(ie.entity_id, 'n:' || i.name_norm) AS eid FROM inventors i "
                "LEFT JOIN inventor_entities ie USING (doc_id, seq))")
