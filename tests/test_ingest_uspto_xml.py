"""USPTO full-text XML (ICE v4.x) and the older USPTO formats, on the real weekly excerpts and samples."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pytest

from ipcockpit.app import Cockpit
from ipcockpit.errors import UnsupportedFormatError
from ipcockpit.ingest import uspto_xml
from ipcockpit.ingest.sources import file_source
from ipcockpit.model.flat import FlatBatch, flatten
from ipcockpit.model.records import PatentRecord, Rejected

WEEKLY = "uspto_xml/weekly_excerpts"
SAMPLES = "uspto_xml/format_samples"

# documents per file, counted with grep -c '<us-patent-grant' / '<us-patent-application' (one per line)
COUNTS = {
    "ipg050104.small.xml": 25,
    "ipg060103.small.xml": 25,
    "ipg070102.small.xml": 25,
    "ipg080101.small.xml": 25,
    "ipg100105.small.xml": 25,
    "ipg100824-hyphenated.xml": 1,
    "ipg120103.small.xml": 25,
    "ipg120327.196.xml": 196,
    "ipg130416.small.xml": 25,
    "ipa061228.one.xml": 1,
    "ipa130117.one.xml": 2,
}


def _one(c: Cockpit, sql: str, *params: object) -> object:
    return c.store.scalar(sql, list(params))


@pytest.fixture(scope="module")
def weekly(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Cockpit:
    from ipcockpit.settings import Settings

    c = Cockpit(Settings(db=str(tmp_path_factory.mktemp("uspto") / "w.duckdb")))
    c.reports = c.ingest([shared / WEEKLY / name for name in COUNTS])  # type: ignore[attr-defined]
    yield c
    c.close()


def test_weekly_counts(weekly: Cockpit, shared: Path) -> None:
    by_name = {Path(r.file).name: r for r in weekly.reports}  # type: ignore[attr-defined]
    for name, expected in COUNTS.items():
        data = (shared / WEEKLY / name).read_bytes()
        independent = data.count(b"<us-patent-grant ") + data.count(b"<us-patent-application ")
        assert independent == expected, name
        r = by_name[name]
        assert r.format == "uspto-xml", name
        assert (r.read, r.loaded, r.quarantined) == (expected, expected, 0), name
    assert _one(weekly, "SELECT count(*) FROM documents") == sum(COUNTS.values())


def test_utility_grant_v43(weekly: Cockpit) -> None:
    d = weekly.store.query("SELECT * FROM documents WHERE doc_id = 'US8418590B2'")[0]
    assert d["title"] == "Miter saws having locking assemblies for optimal positioning of cutting blades"
    assert (d["doc_type"], d["stage"], d["kind"]) == ("invention", "grant", "B2")
    assert d["pub_date"].isoformat() == "2013-04-16" and d["grant_date"].isoformat() == "2013-04-16"
    assert d["app_id"] == "US12132686" and d["app_date"].isoformat() == "2008-06-04"
    assert d["position"] == "offset 83641"
    assert _one(weekly, "SELECT name_raw FROM parties WHERE doc_id = 'US8418590B2' AND role = 'assignee'") \
        == "Black & Decker Inc."
    assert _one(weekly, "SELECT name_raw FROM parties WHERE doc_id = 'US8418590B2' AND role = 'applicant' "
                "ORDER BY seq LIMIT 1") == "Kevin S. Agan"
    assert _one(weekly, "SELECT count(*) FROM inventors WHERE doc_id = 'US8418590B2'") == 2
    assert _one(weekly, "SELECT code FROM classifications WHERE doc_id = 'US8418590B2' AND scheme = 'IPC' "
                "AND main") == "B26D 1/14"
    assert _one(weekly, "SELECT count(*) FROM citations WHERE doc_id = 'US8418590B2'") == 29
    cited = weekly.store.query("SELECT * FROM citations WHERE doc_id = 'US8418590B2' ORDER BY seq LIMIT 1")[0]
    assert (cited["cited_doc_id"], cited["cited_by"], cited["cited_date"].isoformat()) == \
        ("US882296A", "examiner", "1908-03-01")
    assert _one(weekly, "SELECT count(*) FROM claims WHERE doc_id = 'US8418590B2'") == 18
    assert _one(weekly, "SELECT count(*) FROM claims WHERE doc_id = 'US8418590B2' AND independent") == 4
    assert _one(weekly, "SELECT depends_on FROM claims WHERE doc_id = 'US8418590B2' AND num = 3") == 2
    desc = _one(weekly, "SELECT text FROM texts WHERE doc_id = 'US8418590B2' AND kind = 'description'")
    assert isinstance(desc, str) and desc.startswith("BACKGROUND OF THE INVENTION") and len(desc) > 10_000


def test_design_grant_with_locarno(weekly: Cockpit) -> None:
    d = weekly.store.query("SELECT * FROM documents WHERE doc_id = 'USD651432S1'")[0]
    assert (d["title"], d["doc_type"], d["app_id"]) == ("Table base", "design", "US29378076")
    classes = {(r["scheme"], r["code"], r["main"]) for r in weekly.store.query(
        "SELECT scheme, code, main FROM classifications WHERE doc_id = 'USD651432S1'")}
    assert ("LOCARNO", "06-06", True) in classes and ("USPC", "D6/495", True) in classes
    assert _one(weekly, "SELECT count(*) FROM citations WHERE doc_id = 'USD651432S1'") == 6
    assert _one(weekly, "SELECT count(*) FROM claims WHERE doc_id = 'USD651432S1'") == 1
    assert _one(weekly, "SELECT count(*) FROM documents WHERE doc_type = 'design' "
                "AND file_id = (SELECT file_id FROM source_files WHERE path LIKE '%ipg120327.196.xml')") == 196


def test_old_dtd_plant_sir_and_hyphenated(weekly: Cockpit) -> None:
    # DTD v4.0 (2005): IPC written fixed-width, inventors are the applicants
    assert _one(weekly, "SELECT code FROM classifications WHERE doc_id = 'US6836899B1' AND scheme = 'IPC' "
                "AND main") == "A45F 5/04"
    assert _one(weekly, "SELECT count(*) FROM citations WHERE doc_id = 'US6836899B1'") == 39
    assert _one(weekly, "SELECT count(*) FROM inventors WHERE doc_id = 'US6836899B1'") == 1
    assert _one(weekly, "SELECT doc_type FROM documents WHERE doc_id = 'USPP18398P2'") == "plant"
    assert _one(weekly, "SELECT doc_type FROM documents WHERE doc_id = 'USH2140H1'") == "sir"
    # hyphenation edge case: hyphenated names and six NPL citations
    names = [r["name_raw"] for r in weekly.store.query(
        "SELECT name_raw FROM inventors WHERE doc_id = 'US7783348B2' ORDER BY seq")]
    assert "Kin-Joe Sham" in names and len(names) == 3
    assert _one(weekly, "SELECT count(*) FROM citations WHERE doc_id = 'US7783348B2'") == 86
    assert _one(weekly, "SELECT count(*) FROM citations WHERE doc_id = 'US7783348B2' AND npl") == 6


def test_applications(weekly: Cockpit) -> None:
    d = weekly.store.query("SELECT * FROM documents WHERE doc_id = 'US20130014306A1'")[0]
    assert (d["stage"], d["title"], d["app_id"]) == ("application", "TACTICAL MIXED MARTIAL ARTS GLOVE", "US13353293")
    assert d["grant_date"] is None
    assert _one(weekly, "SELECT count(*) FROM claims WHERE doc_id = 'US20130014306A1'") == 14
    assert _one(weekly, "SELECT count(*) FROM documents WHERE stage = 'application'") == 3


def _truncated(shared: Path, tmp_path: Path) -> tuple[Path, int]:
    data = (shared / WEEKLY / "ipg130416.small.xml").read_bytes()
    last = data.rfind(b"<?xml")
    cut = tmp_path / "ipg130416.cut.xml"
    cut.write_bytes(data[: last + (len(data) - last) // 2])
    return cut, last


def test_truncated_last_document_is_quarantined(cockpit: Cockpit, shared: Path, tmp_path: Path) -> None:
    cut, last = _truncated(shared, tmp_path)
    [r] = cockpit.ingest([cut])
    assert (r.format, r.read, r.loaded, r.quarantined) == ("uspto-xml", 25, 24, 1)
    q = cockpit.store.query("SELECT * FROM quarantine")[0]
    assert q["position"] == f"offset {last}"
    assert f"offset {last}" in q["reason"] and "cut short" in q["reason"] and q["field"]
    assert q["excerpt"]


def test_gzipped_file_reads_the_same(cockpit: Cockpit, shared: Path, tmp_path: Path) -> None:
    gz = tmp_path / "ipg120103.small.xml.gz"
    gz.write_bytes(gzip.compress((shared / WEEKLY / "ipg120103.small.xml").read_bytes()))
    [r] = cockpit.ingest([gz])
    assert (r.format, r.read, r.loaded) == ("uspto-xml", 25, 25)
    assert _one(cockpit, "SELECT title FROM documents WHERE doc_id = 'USD651432S1'") == "Table base"


def test_pool_gives_the_same_records(shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process pool used for large files yields the same records, in order, with the same rejects."""
    cut, _ = _truncated(shared, tmp_path)
    whole = tmp_path / "two.xml"
    whole.write_bytes((shared / WEEKLY / "ipg080101.small.xml").read_bytes() + cut.read_bytes())
    with open(whole, "rb") as fh:
        plain = list(uspto_xml.read_documents(fh, None, workers=1))
    monkeypatch.setattr(uspto_xml, "POOL_MIN_BYTES", 1)
    monkeypatch.setattr(uspto_xml, "BATCH_BYTES", 200_000)
    with open(whole, "rb") as fh:
        pooled = list(uspto_xml.read_documents(fh, whole.stat().st_size, workers=2))
    assert len(plain) == 50
    assert isinstance(plain[-1], Rejected) and all(isinstance(r, PatentRecord) for r in plain[:-1])
    batches = [r for r in pooled if isinstance(r, FlatBatch)]
    assert len(batches) > 1 and [r for r in pooled if not isinstance(r, FlatBatch)] == plain[-1:]
    assert sum(b.records for b in batches) == 49
    single = flatten(plain[:-1])
    for table, data in single.tables.items():
        assert pa.concat_tables(b.tables[table] for b in batches if table in b.tables).equals(data), table


def test_split_documents_across_blocks(shared: Path) -> None:
    path = shared / WEEKLY / "ipg060103.small.xml"
    with open(path, "rb") as a, open(path, "rb") as b:
        small = [o for o, _ in uspto_xml.split_documents(a, read_size=1009)]
        big = [o for o, _ in uspto_xml.split_documents(b)]
    assert small == big and len(big) == path.read_bytes().count(b"<?xml ")  # 25 grants + 2 sequence listings


PARSED = {  # sample -> (format, doc_id, title start, claims)
    "sgml/US06336130.xml": ("uspto-xml25", "US6336130B1", "Arrangement for improving", 22),
    "sgml/USD435854S1.xml": ("uspto-xml25", "USD435854S", "Disc cartridge", 1),
    "pap/US20010000943A1.xml": ("uspto-pap", "US20010000943A1", "Organic electroluminescence", 13),
    "xml2004/US06859910.xml": ("uspto-xml", "US6859910B2", "Methods and systems", 2),
    "xml2006/US07272630B2.xml": ("uspto-xml", "US7272630B2", "Locating potentially identical", 17),
    "xml2014/US08926509.xml": ("uspto-xml", "US8926509B2", "Wireless physiological sensor", 31),
    "xmlApp2004/US20050004974A1.xml": ("uspto-xml", "US20050004974A1", "Device model agent", 21),
}
REFUSED = {  # sample -> (format, words the message must hold)
    "greenbook/US03932709.greenbook": ("uspto-aps", "1976-2001"),
    "css_brs/css_brs_sample.txt": ("uspto-brs", "BRS"),
    "cpcScheme/cpc-scheme-A01L.xml": ("uspto-cpc-scheme", "CPC scheme"),
    "cpcMaster/cpcMaster.xml": ("uspto-cpc-master", "CPC Master Classification File"),
}


@pytest.mark.parametrize("sample", sorted(PARSED))
def test_format_samples_parsed(cockpit: Cockpit, shared: Path, sample: str) -> None:
    fmt, doc, title, claims = PARSED[sample]
    [r] = cockpit.ingest([shared / SAMPLES / sample])
    assert (r.format, r.read, r.loaded, r.error) == (fmt, 1, 1, None)
    assert str(_one(cockpit, "SELECT title FROM documents WHERE doc_id = ?", doc)).startswith(title)
    assert _one(cockpit, "SELECT count(*) FROM claims WHERE doc_id = ?", doc) == claims


def test_legacy_details(cockpit: Cockpit, shared: Path) -> None:
    cockpit.ingest([shared / SAMPLES / "sgml/US06336130.xml", shared / WEEKLY / "pa040101.two.xml"])
    assert _one(cockpit, "SELECT count(*) FROM citations WHERE doc_id = 'US6336130B1'") == 9
    assert _one(cockpit, "SELECT name_raw FROM parties WHERE doc_id = 'US6336130B1' AND role = 'assignee'") \
        == "Telefonaktiebolaget LM Ericsson (publ)"
    assert _one(cockpit, "SELECT code FROM classifications WHERE doc_id = 'US6336130B1' AND main AND scheme = 'IPC'") \
        == "G06F 15/16"
    d = cockpit.store.query("SELECT * FROM documents WHERE doc_id = 'US20040000002A1'")[0]
    assert (d["title"], d["stage"]) == ("Garment for preventing muscle strain", "application")


@pytest.mark.parametrize("sample", sorted(REFUSED))
def test_format_samples_refused(cockpit: Cockpit, shared: Path, sample: str) -> None:
    fmt, words = REFUSED[sample]
    [r] = cockpit.ingest([shared / SAMPLES / sample])
    assert r.format == fmt and r.error and r.read == 0
    assert words in r.error and sample.rsplit("/", 1)[-1] in r.error
    with pytest.raises(UnsupportedFormatError):
        cockpit.ingest([shared / SAMPLES / sample], strict=True)


def test_xml4ip_members_refused(cockpit: Cockpit, shared: Path) -> None:
    reports = cockpit.ingest([shared / SAMPLES / "xml4ip/sample_XML4IP.ZIP"])
    assert len(reports) == 13  # unzip -l: 13 .xml members
    assert all(r.format == "uspto-xml4ip" and r.error and "XML4IP" in r.error for r in reports)
    assert cockpit.store.count("documents") == 0


def test_sniff_is_by_content(shared: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "weekly.dat"
    renamed.write_bytes((shared / WEEKLY / "ipa061228.one.xml").read_bytes())
    assert uspto_xml.UsptoXml().sniff(file_source(renamed))
    assert not uspto_xml.UsptoXml().sniff(file_source(shared / SAMPLES / "sgml/US06336130.xml"))


def test_ranges_cut_on_declarations(shared: Path) -> None:
    path = shared / WEEKLY / "ipg120103.small.xml"
    data = path.read_bytes()
    cuts = list(uspto_xml.ranges(str(path), len(data), 50_000))
    assert len(cuts) > 3 and cuts[0][0] == 0 and cuts[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in zip(cuts, cuts[1:], strict=False))
    assert all(data.startswith(b"<?xml", s) for s, _ in cuts)
    with open(path, "rb") as fh:
        starts = {o for o, _ in uspto_xml.split_documents(fh)}
    assert {s for s, _ in cuts} <= starts


def test_ranged_pool_gives_the_same_tables(shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers reading their own byte ranges of a plain file give the tables of the records, in order:
    every weekly excerpt (grants of DTD v4.0 to v4.7, utility, design, plant, reissue) and a truncated
    last document, which is rejected with its offset."""
    cut, last = _truncated(shared, tmp_path)
    whole = tmp_path / "all.xml"
    whole.write_bytes(b"".join(p.read_bytes() for p in sorted((shared / WEEKLY).glob("ip*.xml"))) + cut.read_bytes())
    with open(whole, "rb") as fh:
        plain = list(uspto_xml.read_documents(fh, None, workers=1))
    monkeypatch.setattr(uspto_xml, "POOL_MIN_BYTES", 1)
    monkeypatch.setattr(uspto_xml, "BATCH_BYTES", 300_000)
    ranged = list(uspto_xml.read_file(str(whole), whole.stat().st_size, workers=2))
    records = [r for r in plain if isinstance(r, PatentRecord)]
    rejects = [r for r in plain if isinstance(r, Rejected)]
    batches = [r for r in ranged if isinstance(r, FlatBatch)]
    assert len(batches) > 5 and sum(b.records for b in batches) == len(records) == 375 + 24
    assert [r for r in ranged if not isinstance(r, FlatBatch)] == rejects and len(rejects) == 1
    assert rejects[-1].position == f"offset {whole.stat().st_size - cut.stat().st_size + last}"
    single = flatten(records)
    for table, data in single.tables.items():
        assert pa.concat_tables(b.tables[table] for b in batches if table in b.tables).equals(data), table
