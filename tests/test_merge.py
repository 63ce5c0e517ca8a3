"""How records of several sources merge in the store: kind-less records, names of a second source.

The PATENTSCOPE sheets are the real members of ``patentscope/pizza_all_24294_raw.zip``, written out
unchanged so that a test loads only the sheet it needs.
"""

from __future__ import annotations

import functools
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from shared_stores import copy_store, lens_drones

from ipcockpit.app import Cockpit
from ipcockpit.ingest.patentscope import PatentscopeXls
from ipcockpit.ingest.sources import file_source
from ipcockpit.model.records import PatentRecord
from ipcockpit.settings import Settings
from ipcockpit.store.merge_names import Placed, name_key, place_names, variant

pytestmark = pytest.mark.slow  # real multi-file stores built per test or module (docs/testing.md)

PS_ZIP = "patentscope/pizza_all_24294_raw.zip"
PS_OLD = "pizza_all_24294/patentscope_pizza_1940_2005_9659.xls"  # EP584113 (A1 of 1994)
PS_MID = "pizza_all_24294/patentscope_pizza_2006_2011_8458.xls"  # CA2574375, EP1618127, EP2174549 twice
COVID = "lens/covid_jsonl"
LENS_KINDED = (f"{COVID}/Coronavirus-declared-patseq-organism.jsonl",  # CA2574375 A1 (2006) and C (2015)
               f"{COVID}/Coronavirus-CPC-based-patents.jsonl",  # EP1618127 A2 (2006) and B1 (2014)
               "lens/pizza_lens_1000_raw.csv")  # EP 0584113 B1 (1997)


@pytest.fixture(scope="module")
def sheets(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("patentscope")
    with zipfile.ZipFile(shared / PS_ZIP) as zf:
        for member in (PS_OLD, PS_MID):
            (out / Path(member).name).write_bytes(zf.read(member))
    return {"old": out / Path(PS_OLD).name, "mid": out / Path(PS_MID).name}


def _file_id(c: Cockpit, path: Path) -> str:
    return c.store.scalar("SELECT file_id FROM source_files WHERE path = ?", [str(path)])


def _holders(c: Cockpit, file_id: str, like: str) -> set[str]:
    """The documents holding rows (priorities, texts) of a file, among those whose id starts with ``like``."""
    return {r[0] for r in c.store.con.execute(
        "SELECT doc_id FROM priorities WHERE file_id = ? AND doc_id LIKE ? "
        "UNION SELECT doc_id FROM texts WHERE file_id = ? AND doc_id LIKE ?",
        [file_id, like + "%", file_id, like + "%"]).fetchall()}


@functools.cache
def _record_dates(path: Path) -> dict[tuple[str, str], set[date]]:
    """The publication dates of each (office, number) of a sheet, read apart with the reader (once per sheet:
    ~2 s each, and the placement is checked three times)."""
    out: dict[tuple[str, str], set[date]] = {}
    src = file_source(path)
    for rec in PatentscopeXls().read(src):
        if isinstance(rec, PatentRecord) and rec.pub_date:
            out.setdefault((rec.office, rec.number), set()).add(rec.pub_date)
    return out


def _check_kindless_placement(c: Cockpit, sheets: dict[str, Path]) -> None:
    mid, old = _file_id(c, sheets["mid"]), _file_id(c, sheets["old"])
    docs = {d: str(p) for d, p in c.store.con.execute(
        "SELECT doc_id, pub_date FROM documents WHERE (office, number) IN "
        "(('CA', '2574375'), ('EP', '1618127'), ('EP', '584113'), ('EP', '2174549'))").fetchall()}
    # the PATENTSCOPE row of CA2574375 is dated 2006-02-02: the A1 publication, not the grant C of 2015
    assert _holders(c, mid, "CA2574375") == {"CA2574375A1"}
    assert _holders(c, mid, "EP1618127") == {"EP1618127A2"}  # 2006-01-25, the A2; the B1 is of 2014
    # EP584113 of 1994-03-02 is the A1, which no other file holds: kept as its own record beside the B1
    assert docs["EP584113"] == "1994-03-02" and docs["EP584113B1"] == "1997-01-08"
    assert _holders(c, old, "EP584113") == {"EP584113"}
    # the two rows of EP2174549 (its A1 of 2010 and B1 of 2011) are two records; the patent page finds each
    assert sorted(p for d, p in docs.items() if d.startswith("EP2174549")) == ["2010-04-14", "2011-06-22"]
    assert {c.patent(d)["document"]["doc_id"] for d in docs if d.startswith("EP2174549")} == {
        d for d in docs if d.startswith("EP2174549")}
    assert "CA2574375" not in docs and "EP1618127" not in docs
    # no kinded document holds rows of a PATENTSCOPE record of another date (read apart with the reader)
    for path, file_id in ((sheets["mid"], mid), (sheets["old"], old)):
        dates = _record_dates(path)
        held = c.store.con.execute(
            "SELECT DISTINCT d.office, d.number, d.pub_date, d.doc_id "
            "FROM priorities x JOIN documents d USING (doc_id) "
            "WHERE x.file_id = ? AND d.kind IS NOT NULL", [file_id]).fetchall()
        assert held and all(when in dates[(o, n)] for o, n, when, _ in held), [
            h for h in held if h[2] not in dates[(h[0], h[1])]]
    q = c.quality()
    assert q["duplicate_numbers"]["count"] == 0, q["duplicate_numbers"]
    apart = {r[0] for r in c.store.con.execute(
        "SELECT doc_id FROM documents s WHERE kind IS NULL AND EXISTS (SELECT 1 FROM documents e "
        "WHERE e.office = s.office AND e.number = s.number AND e.kind IS NOT NULL)").fetchall()}
    assert "EP584113" in apart and q["kindless_apart"]["count"] == len(apart)


def test_kindless_record_joins_the_publication_of_its_date(cockpit: Cockpit, shared: Path,
                                                           sheets: dict[str, Path]) -> None:
    """Issue 12: PATENTSCOPE gives no kind codes; its CA2574375 of 2006-02-02 was folded into CA2574375C (2015)
    while CA2574375A1 (2006-02-02) was loaded. The date picks the publication; none of that date: its own."""
    cockpit.ingest([shared / p for p in LENS_KINDED])
    reports = cockpit.ingest([sheets["old"], sheets["mid"]])
    for r in reports:
        assert r.error is None and r.read == r.loaded + r.quarantined + r.merged
    _check_kindless_placement(cockpit, sheets)
    # PATENTSCOPE names the assignee where Lens names the inventor: a second applicant, not another spelling
    assert _names(cockpit, "parties", "US20070221029A1") == [(1, "FREUDINGER MARK J"),
                                                             (2, "Quantum Technical Services Inc.")]
    assert _aliases(cockpit, "parties", "US20070221029A1") == []


def test_kindless_stored_first_is_folded_by_date(tmp_path: Path, shared: Path, sheets: dict[str, Path]) -> None:
    """The same when PATENTSCOPE is loaded first and the kinded publications arrive after it."""
    with Cockpit(Settings(db=str(tmp_path / "first.duckdb"))) as c:
        c.ingest([sheets["old"], sheets["mid"]])
        assert c.store.scalar("SELECT count(*) FROM documents WHERE office = 'EP' AND number = '2174549'") == 2
        c.ingest([shared / p for p in LENS_KINDED])
        _check_kindless_placement(c, sheets)
        before = c.store.counts()
        c.ingest([sheets["mid"]])  # idempotent: the same rows again
        assert {**c.store.counts(), "ingest_runs": 0} == {**before, "ingest_runs": 0}
        _check_kindless_placement(c, sheets)


DRONES = "lens/drone_drones_fulltext_families_5884.csv"
CLEANED = "lens/drones_tac_1606_cleaned.csv"


def _twice(c: Cockpit) -> tuple[int, int]:
    """Party keys (document, role, seq) and inventor keys (document, seq) that hold two or more rows."""
    return tuple(c.store.scalar(f"SELECT count(*) FROM (SELECT 1 FROM {t} GROUP BY {k} HAVING count(*) > 1)")
                 for t, k in (("parties", "doc_id, role, seq"), ("inventors", "doc_id, seq")))


def _names(c: Cockpit, table: str, doc: str) -> list[tuple]:
    return c.store.con.execute(f"SELECT seq, name_raw FROM {table} WHERE doc_id = ? ORDER BY seq", [doc]).fetchall()


def _aliases(c: Cockpit, holder: str, doc: str) -> list[tuple]:
    return c.store.con.execute("SELECT seq, name_raw FROM name_aliases WHERE holder = ? AND doc_id = ? ORDER BY seq, "
                               "name_raw", [holder, doc]).fetchall()


@pytest.fixture(scope="module")
def drones(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    """A new store with the full drones export ingested (tests/shared_stores.py: built once); each test that
    starts from it takes a copy."""
    path, [r] = lens_drones(tmp_path_factory, shared)
    assert r.error is None and r.loaded > 0
    return path


@pytest.fixture
def drones_cockpit(drones: Path, tmp_path: Path) -> Iterator[Cockpit]:
    with Cockpit(Settings(db=str(copy_store(drones, tmp_path)))) as c:
        yield c


def test_second_source_names_become_aliases(drones_cockpit: Cockpit, shared: Path) -> None:
    """Issue 12: merging drones_tac_1606_cleaned.csv into the full drones export added ``UNIV BEI HANG`` beside
    ``UNIV BEIHANG`` and ``AO JIKANG`` beside ``JIKANG AO`` with the same seq (105 party and 174 inventor keys
    of these two files held two rows). A merge keeps one party per seq; the other spelling is an alias."""
    cockpit = drones_cockpit
    parties = cockpit.store.count("parties")
    [r] = cockpit.ingest([shared / CLEANED])
    assert r.error is None and r.merged == 1334
    assert _twice(cockpit) == (0, 0)
    assert _names(cockpit, "parties", "CN104252133A") == [(1, "UNIV BEIHANG")]
    assert _aliases(cockpit, "parties", "CN104252133A") == [(1, "UNIV BEI HANG")]
    assert _names(cockpit, "inventors", "CN1100309A") == [(1, "JIKANG AO")]
    assert _aliases(cockpit, "inventors", "CN1100309A") == [(1, "AO JIKANG")]
    # the cleaned file lists one of four inventors, the words the other way round
    assert _names(cockpit, "inventors", "CN101104632A") == [
        (1, "SHENGQI WANG"), (2, "RUXIAN LIN"), (3, "XIAOCHEN BO"), (4, "SHAOKE LOU")]
    assert _aliases(cockpit, "inventors", "CN101104632A") == [(3, "BO XIAOCHEN")]
    # Cyrillic the cleaned file broke (UTF-8 read as cp1252, last letter cut) is repaired and found again,
    # whatever its place in the list
    assert [s for s, _ in _aliases(cockpit, "inventors", "EA201301050A1")] == [1, 2, 3, 4]
    assert ("Трифонов Вячеслав Николаеви" in {n for _, n in _aliases(cockpit, "inventors", "EA201301050A1")})
    # a name of the second source that is none of the document's is a party of its own, after the others
    added = cockpit.store.count("parties") - parties
    assert added == cockpit.store.scalar(
        "SELECT count(*) FROM parties WHERE file_id = (SELECT file_id FROM source_files WHERE path LIKE '%cleaned%')")
    aliases = cockpit.store.count("name_aliases")
    again = cockpit.ingest([shared / CLEANED])[0]  # idempotent
    assert (again.read, again.loaded, again.merged) == (r.read, r.loaded, r.merged)
    assert (cockpit.store.count("parties") - parties, cockpit.store.count("name_aliases")) == (added, aliases)


def test_names_merge_the_same_in_either_order(tmp_path: Path, shared: Path) -> None:
    with Cockpit(Settings(db=str(tmp_path / "rev.duckdb"))) as c:
        c.ingest([shared / CLEANED, shared / DRONES])
        assert _twice(c) == (0, 0)
        assert _names(c, "parties", "CN104252133A") == [(1, "UNIV BEI HANG")]
        assert _aliases(c, "parties", "CN104252133A") == [(1, "UNIV BEIHANG")]


def test_a_store_of_schema_4_gains_name_aliases(drones: Path, tmp_path: Path, shared: Path) -> None:
    """Migration 7 adds name_aliases to a store made before it; ingest then merges names into it."""
    db = copy_store(drones, tmp_path, "old.duckdb")
    with Cockpit(Settings(db=str(db))) as c:
        c.store.con.execute("DROP TABLE name_aliases")
        c.store.con.execute("DELETE FROM schema_migrations WHERE version >= 7")
    with Cockpit(Settings(db=str(db))) as c:
        assert c.store.scalar("SELECT count(*) FROM schema_migrations WHERE version = 7") == 1
        c.ingest([shared / CLEANED])
        assert _aliases(c, "parties", "CN104252133A") == [(1, "UNIV BEI HANG")]


@pytest.mark.parametrize(("a", "b", "same"), [
    # pairs the shared files give one document (drones full and cleaned, PATENTSCOPE and Lens, Thomson and Lens)
    ("UNIV BEIHANG", "UNIV BEI HANG", True),
    ("JIKANG AO", "AO JIKANG", True),
    ("MOTOROLA SOLUTIONS INC", "MOTOROLA INC", True),
    ("Wells Manufacturing Company", "WELLS MFG CORP", True),
    ("LITTLE CAESAR ENTERPRISES, INC.", "LITTLE CAESAR ENTPR INC", True),
    ("Suzhou Institute of Trade & Commerce", "SUZHOU INST TRADE & COMME", True),
    ("OBSHESTVO S OGRANICHENNOJ OTVETSTVENNOSTJU PARAFARM", "OBSCHESTVO S OGRANICHENNOJ OTVETSTVENNOSTJU PARAFARM",
     True),
    ("Epifanio Colon", "COLON EPIFANIC", True),
    ("JOHANN WOLFGANG GOETHE-UNIVERSITÃ„T", "JOHANN WOLFGANG GOETHE-UNIVERSITÄT", True),
    ("Quantum Technical Services Inc.", "FREUDINGER MARK J", False),
    ("KOREA AEROSPACE RES INST", "KOREA AEROSPACE IND LTD", False),
    ("FAIRCHILD INDUSTRIES", "FAIRFIELD IND INC", False),
    ("WANG WEI", "WANG WEN", False),
])
def test_variant(a: str, b: str, same: bool) -> None:
    assert variant(name_key(a), name_key(b)) is same


def test_place_names() -> None:
    existing = [(1, "SHENGQI WANG", []), (2, "RUXIAN LIN", []), (3, "XIAOCHEN BO", []), (4, "SHAOKE LOU", [])]
    assert place_names(existing, [(1, "BO XIAOCHEN")]) == [Placed(3, new=False, alias=True)]
    assert place_names(existing, [(1, "SHENGQI WANG"), (2, "LI MING")]) == [
        Placed(1, new=False, alias=False), Placed(5, new=True, alias=False)]
    assert place_names([(1, "SHENGQI WANG", ["WANG SHENGQI"])], [(1, "WANG SHENGQI")]) == [
        Placed(1, new=False, alias=False)]  # a spelling kept already
    # lists of one length whose names at a seq cannot be compared: the same person in another script
    assert place_names([(1, "FUJIMOTO KENICHI", [])], [(1, "藤本 健一")]) == [Placed(1, new=False, alias=True)]
    assert place_names([(1, "FUJIMOTO KENICHI", []), (2, "KAMINODA JUNZO", [])], [(1, "藤本 健一")]) == [
        Placed(3, new=True, alias=False)]  # of lists of two lengths, it is not known whose
    assert place_names([], [(2, "A B")]) == [Placed(2, new=True, alias=False)]
