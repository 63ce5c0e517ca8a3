"""Bad files do not stop an ingest: each input gets its row in the report (loaded, or an error that names the
file, and the member of an archive, with the reason), the other files load, nothing of a failing file stays in
the store, ``ipcockpit ingest --json`` prints its JSON and exits 1 when a file failed.

The bad files are built in a temporary folder from real files of the shared data (a zero-byte or a garbage
``.zip``, a zip whose member's checksum is wrong, a ``.gz`` that is not gzip, a truncated ``.gz`` and
``.tar.gz``, archives inside archives, a CSV field longer than Python's csv default of 131,072 characters)
and ingested next to a real good file through the command line in-process (typer's CliRunner)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import tarfile
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app as cli
from ipcockpit.ingest import csvutil
from ipcockpit.settings import Settings
from ipcockpit.store import Store

runner = CliRunner()
GOOD = "cn/abstracts_cpc_liaoleyuan/sample_val.csv"  # 492 records, read next to each bad file
GOOD_READ = 492
US = "abstracts_us/baseball_patent_query.csv"  # 2,664 records: the content of the archives
US_READ = 2664
OTHER = "abstracts_us/neural_network_patent_query.csv"  # 3,522 records
OTHER_READ = 3522
CN_DUMP = "cn/table_export_sample/专利总表(案例).sql"  # 10 records of a Chinese patent table


def _ingest(db: Path, *paths: Path) -> tuple[Any, list[dict[str, Any]]]:
    out = runner.invoke(cli, ["ingest", "--db", str(db), "--json", *map(str, paths)])
    try:
        rows = json.loads(out.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"no JSON report (exit {out.exit_code}, {out.exception!r}): {out.output[-2000:]}")
    return out, rows


def _store_rows(db: Path, path: Path) -> dict[str, int]:
    """What the store holds of a file (or of an archive's members): every table's rows of it."""
    with Store(str(db), read_only=True) as s:
        like = str(path) + "%"
        ids = [r["file_id"] for r in s.query("SELECT file_id FROM source_files WHERE path LIKE ?", [like])]
        return {
            "source_files": len(ids),
            "pending_files": s.scalar("SELECT count(*) FROM pending_files"),
            "quarantine": s.scalar("SELECT count(*) FROM quarantine WHERE path LIKE ?", [like]),
            "documents": s.count("documents"),
        }


# the bad files, from real ones ------------------------------------------------------------------------------
def _zero_zip(tmp: Path, shared: Path) -> Path:
    path = tmp / "zero.zip"
    path.write_bytes(b"")
    return path


def _garbage_zip(tmp: Path, shared: Path) -> Path:
    path = tmp / "garbage.zip"  # text, not a zip
    path.write_bytes((shared / US).read_bytes()[:5000])
    return path


def _bad_crc_zip(tmp: Path, shared: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("baseball.csv", (shared / US).read_bytes())
    raw = bytearray(buf.getvalue())
    raw[len(raw) // 2] ^= 0x01  # one bit in the middle of the member's data: its CRC-32 no longer matches
    path = tmp / "bad_crc.zip"
    path.write_bytes(bytes(raw))
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() == "baseball.csv"
    return path


def _not_gzip(tmp: Path, shared: Path) -> Path:
    path = tmp / "plain.csv.gz"  # a CSV under a .gz name
    path.write_bytes((shared / US).read_bytes())
    return path


def _truncated_gz(tmp: Path, shared: Path) -> Path:
    data = gzip.compress((shared / US).read_bytes())
    path = tmp / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    return path


def _truncated_tar_gz(tmp: Path, shared: Path) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        tf.add(shared / US, arcname="abstracts/baseball.csv")
    path = tmp / "cut.tar.gz"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    return path


#: (builder, the report row's path after the bad file's, words of its reason)
CASES: dict[str, tuple[Callable[[Path, Path], Path], str, tuple[str, ...]]] = {
    "zero-byte zip": (_zero_zip, "", ("empty file (0 bytes)",)),
    "garbage zip": (_garbage_zip, "", ("not a zip archive",)),
    "bad CRC": (_bad_crc_zip, "!baseball.csv", ("damaged", "checksum")),
    "not gzip": (_not_gzip, "", ("not gzip",)),
    "truncated gz": (_truncated_gz, "", ("truncated",)),
    "truncated tar.gz": (_truncated_tar_gz, "!abstracts/baseball.csv", ("truncated",)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_file_fails_alone(case: str, tmp_path: Path, shared: Path) -> None:
    """The bad file first, the good one after it: the good one loads, the bad one has its error row, the store
    holds nothing of it, the JSON is printed and the exit status is 1."""
    build, member, words = CASES[case]
    bad = build(tmp_path, shared)
    db = tmp_path / "store.duckdb"
    out, rows = _ingest(db, bad, shared / GOOD)
    assert out.exit_code == 1, out.output
    assert [r["file"] for r in rows] == [f"{bad}{member}", str(shared / GOOD)]
    failed, good = rows
    assert failed["error"].startswith(f"{bad}{member}: "), failed
    for word in words:
        assert word in failed["error"], failed["error"]
    assert failed["read"] == failed["loaded"] == 0 and failed["skipped"] is False
    assert "error" not in good and good["read"] == good["loaded"] + good["quarantined"] + good["merged"] == GOOD_READ
    assert failed["error"] in out.stderr.replace("\n", "")  # the reason on stderr too
    held = _store_rows(db, bad)
    assert held == {"source_files": 0, "pending_files": 0, "quarantine": 0, "documents": good["loaded"]}, held


def test_bad_member_fails_alone_in_its_archive(tmp_path: Path, shared: Path) -> None:
    """A zip with a good member and a damaged one: the good member loads, the damaged one is an error row."""
    buf = io.BytesIO()
    data = (shared / US).read_bytes()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a/damaged.csv", data)
        zf.writestr("b/good.csv", (shared / GOOD).read_bytes())
    raw = bytearray(buf.getvalue())
    raw[len(data) // 2] ^= 0x01  # inside the first member's data
    archive = tmp_path / "two.zip"
    archive.write_bytes(bytes(raw))
    db = tmp_path / "store.duckdb"
    out, rows = _ingest(db, archive)
    assert out.exit_code == 1, out.output
    assert [r["file"] for r in rows] == [f"{archive}!a/damaged.csv", f"{archive}!b/good.csv"]
    assert rows[0]["error"].startswith(f"{archive}!a/damaged.csv: ") and "checksum" in rows[0]["error"]
    assert "error" not in rows[1] and rows[1]["read"] == GOOD_READ
    assert _store_rows(db, Path(f"{archive}!a"))["source_files"] == 0


def test_truncated_member_of_a_tar_gz(tmp_path: Path, shared: Path) -> None:
    """A tar.gz cut inside its second member: the first member loads, the second is an error row that says the
    archive is truncated, and the good file after the archive loads."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        tf.add(shared / GOOD, arcname="first.csv")
        tf.add(shared / US, arcname="second.csv")
    path = tmp_path / "two.tar.gz"
    path.write_bytes(buf.getvalue()[:-20_000])
    db = tmp_path / "store.duckdb"
    out, rows = _ingest(db, path, shared / US)
    assert out.exit_code == 1, out.output
    assert [r["file"] for r in rows] == [f"{path}!first.csv", f"{path}!second.csv", str(shared / US)], rows
    first, second, us = rows
    assert "error" not in first and first["read"] == GOOD_READ
    assert second["error"].startswith(f"{path}!second.csv: ") and "truncated" in second["error"], second
    assert "error" not in us and us["read"] == US_READ


# archives inside archives -------------------------------------------------------------------------------------
def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _tar_gz_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_nested_archives_are_read(tmp_path: Path, shared: Path) -> None:
    """A zip inside a zip, a tar.gz and a .csv.gz inside a zip: every data file inside is read and named by
    its whole path (outer!inner!member)."""
    us, good, other = (shared / US).read_bytes(), (shared / GOOD).read_bytes(), (shared / OTHER).read_bytes()
    outer = tmp_path / "outer.zip"
    outer.write_bytes(_zip_bytes({
        "inner.zip": _zip_bytes({"us/baseball.csv": us}),
        "more.tar.gz": _tar_gz_bytes({"cn/sample_val.csv": good}),
        "neural.csv.gz": gzip.compress(other),
    }))
    db = tmp_path / "store.duckdb"
    out, rows = _ingest(db, outer)
    assert out.exit_code == 0, out.output
    assert [(r["file"], r["read"]) for r in rows] == [
        (f"{outer}!inner.zip!us/baseball.csv", US_READ),
        (f"{outer}!more.tar.gz!cn/sample_val.csv", GOOD_READ),
        (f"{outer}!neural.csv.gz", OTHER_READ),
    ], rows
    assert all("error" not in r for r in rows)
    assert rows[0]["loaded"] + rows[0]["merged"] + rows[0]["quarantined"] == US_READ
    with Store(str(db), read_only=True) as s:
        assert s.scalar("SELECT count(*) FROM source_files WHERE path LIKE ?", [f"{outer}!%"]) == 3
        assert s.scalar("SELECT count(*) FROM texts WHERE doc_id = 'US5269177'") > 0


def test_archives_nested_too_deep_are_an_error(tmp_path: Path, shared: Path) -> None:
    """Archives are opened down to MAX_DEPTH levels; an archive deeper is an error row naming it (never a
    silent skip), and what lies beside it loads."""
    from ipcockpit.ingest.sources import MAX_DEPTH

    data = (shared / GOOD).read_bytes()
    inner = _zip_bytes({"deep.csv": data})
    names = []
    for level in range(MAX_DEPTH):
        names.insert(0, f"l{level}.zip")
        inner = _zip_bytes({names[0]: inner, **({"beside.csv": data} if level == MAX_DEPTH - 1 else {})})
    top = tmp_path / "top.zip"
    top.write_bytes(inner)
    db = tmp_path / "store.duckdb"
    out, rows = _ingest(db, top)
    assert out.exit_code == 1, out.output
    deep = f"{top}!" + "!".join(names)
    assert [r["file"] for r in rows] == [f"{top}!beside.csv", deep], rows
    assert rows[0]["read"] == GOOD_READ and "error" not in rows[0]
    assert rows[1]["error"].startswith(f"{deep}: ") and f"{MAX_DEPTH} levels" in rows[1]["error"], rows[1]
    assert rows[1]["skipped"] is False


# the rule of the exit status ---------------------------------------------------------------------------------
def test_exit_status_in_a_folder(tmp_path: Path, shared: Path) -> None:
    """In a folder, a file in no known format is skipped (exit 0); a damaged archive is a failure (exit 1)."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "README.md").write_text("notes, not patent data", encoding="utf-8")
    (folder / "sample.csv").write_bytes((shared / GOOD).read_bytes())
    out, rows = _ingest(tmp_path / "a.duckdb", folder)
    assert out.exit_code == 0, out.output
    assert [(Path(r["file"]).name, r.get("skipped")) for r in rows] == [("README.md", True), ("sample.csv", None)]
    _garbage_zip(folder, shared)
    out, rows = _ingest(tmp_path / "b.duckdb", folder)
    assert out.exit_code == 1, out.output
    assert [(Path(r["file"]).name, r.get("skipped")) for r in rows] == [
        ("README.md", True), ("garbage.zip", False), ("sample.csv", None)]


def test_missing_path_is_a_usage_error_before_anything_loads(tmp_path: Path, shared: Path) -> None:
    db = tmp_path / "store.duckdb"
    out = runner.invoke(cli, ["ingest", "--db", str(db), str(shared / GOOD), str(tmp_path / "nowhere.csv")])
    assert out.exit_code == 2 and "nowhere.csv" in out.stderr, out.output
    assert not db.exists()
    with Cockpit(Settings(db=str(db))) as c, pytest.raises(FileNotFoundError, match="nowhere.csv"):
        c.ingest([shared / GOOD, tmp_path / "nowhere.csv"])
    with Store(str(db), read_only=True) as s:
        assert s.count("documents") == 0


# atomic per file, and the library ----------------------------------------------------------------------------
def test_error_mid_file_leaves_nothing_and_the_next_file_loads(tmp_path: Path, shared: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Bytes that are not UTF-8 far into a UTF-8 CSV: batches of it were committed before the reader reached
    them; they are removed, the report says why, and the next file loads."""
    from ipcockpit.store import loader

    monkeypatch.setattr(loader, "COMMIT_BYTES", 1)  # commit after every batch
    data = (shared / US).read_bytes()
    cut = data.rindex(b"\n", 0, len(data) * 9 // 10) + 1
    bad = tmp_path / "late_bad_bytes.csv"
    bad.write_bytes(data[:cut] + b"\xff\xfe broken" + data[cut:])
    with Cockpit(Settings(db=str(tmp_path / "s.duckdb"), batch_size=200)) as c:
        flushes: list[int] = []
        real = loader._FileLoad.flush_records
        monkeypatch.setattr(loader._FileLoad, "flush_records", lambda self: (flushes.append(1), real(self)))
        failed, good = c.ingest([bad, shared / GOOD])
        assert len(flushes) > 5  # several batches were written (and committed) before the error
        assert failed.error and failed.error.startswith(f"{bad}: ") and "UTF-8" in failed.error, failed.error
        assert (failed.read, failed.loaded) == (0, 0) and not good.error and good.read == GOOD_READ
        assert c.store.count("documents") == good.loaded
        assert c.store.scalar("SELECT count(*) FROM texts WHERE doc_id = 'US5269177'") == 0
        assert c.store.count("pending_files") == 0
        from ipcockpit.errors import UnreadableFileError

        with pytest.raises(UnreadableFileError, match="late_bad_bytes.csv"):
            c.ingest([bad], strict=True)


# CSV fields longer than the csv module's default ------------------------------------------------------------
def _real_csv(shared: Path, name: str) -> str:
    """A real CSV's text (bytes that are not UTF-8 kept as surrogates: write it with ``surrogateescape``)."""
    return (shared / name).read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8", "surrogateescape")


def _cn_table_csv(shared: Path) -> str:
    """The real CNIPA/incoPat-style 专利总表 of the shared MySQL dump, as the CSV such a table is exported to."""
    from ipcockpit.ingest.sql_dump import parse_sql_rows

    records = parse_sql_rows((shared / CN_DUMP).read_text(encoding="utf-8"))
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(records[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()


def _csv_with(text: str, rows: int, column: str, value: str, at: int) -> tuple[str, int]:
    """The header and the first ``rows`` records of a CSV's text, the cell ``column`` of record ``at`` (0-based)
    set to ``value``; returns the text and the line the changed record starts on."""
    records = list(csv.reader(io.StringIO(text, newline="")))
    header, body = records[0], records[1: rows + 1]
    body[at][header.index(column)] = value
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    line = 2
    for i, rec in enumerate(body):
        if i == at:
            start = line
        before = out.tell()
        writer.writerow(rec)
        line += out.getvalue()[before:].count("\n")
    return out.getvalue(), start


def test_long_patent_text_in_a_csv_loads(tmp_path: Path, shared: Path) -> None:
    """A 200,000-character abstract (Python's csv stops at 131,072 by default): the record loads whole."""
    long = ("A long description. " * 10_000)[:199_999] + "."
    text, _ = _csv_with(_real_csv(shared, US), 5, "patent_abstract", long, 1)
    path = tmp_path / "long_field.csv"
    path.write_text(text, encoding="utf-8")
    out, [row] = _ingest(tmp_path / "s.duckdb", path)
    assert out.exit_code == 0, out.output
    assert (row["read"], row["loaded"], row["quarantined"]) == (5, 5, 0)
    with Store(str(tmp_path / "s.duckdb"), read_only=True) as s:
        assert s.scalar("SELECT max(length(text)) FROM texts WHERE kind = 'abstract'") == 200_000


#: (real CSV, column whose cell is made too long): one per CSV reader, by the format it is
READERS: dict[str, tuple[str | Callable[[Path], str], str]] = {
    "patentsview-csv": (US, "patent_abstract"),
    "cn-cpc-abstracts": (GOOD, "text"),
    "india-grants-csv": ("india/2018_grants.csv", "Title of Invention"),
    "lens-csv": ("lens/pizza_lens_1000_raw.csv", "Title"),
    "thomson-family-csv": ("thomson/ritonavir.csv", "title"),
    "cn-table-csv": (_cn_table_csv, "申请摘要"),
}


@pytest.mark.parametrize("fmt", list(READERS))
def test_field_over_the_bound_is_quarantined_and_reading_goes_on(fmt: str, tmp_path: Path, shared: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A field longer than csvutil.FIELD_LIMIT (lowered here to 150,000 characters so that the test stays small)
    is quarantined with its record's line and its field's name; the records after it load as without it. The
    long field runs over lines and holds quotes, so that reading has to find the record's end."""
    monkeypatch.setattr(csvutil, "FIELD_LIMIT", 150_000, raising=False)
    source, column = READERS[fmt]
    real = _real_csv(shared, source) if isinstance(source, str) else source(shared)
    long = 'a "quoted" start,\n' + "x" * 200_000 + '\nand the end, "quoted" too'
    good_text, _ = _csv_with(real, 10, column, "plain", 3)
    bad_text, line = _csv_with(real, 10, column, long, 3)
    reports = []
    for label, text in (("plain", good_text), ("long", bad_text)):
        path = tmp_path / label / (Path(source).name if isinstance(source, str) else "专利总表.csv")
        path.parent.mkdir()
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        out, [row] = _ingest(tmp_path / f"{label}.duckdb", path)
        assert out.exit_code == 0 and row["format"] == fmt, out.output
        reports.append(row)
    plain, long_row = reports
    assert long_row["read"] == plain["read"], (plain, long_row)
    assert long_row["quarantined"] == plain["quarantined"] + 1
    assert long_row["loaded"] + long_row["merged"] == plain["loaded"] + plain["merged"] - 1
    with Store(str(tmp_path / "long.duckdb"), read_only=True) as s:
        q = s.query("SELECT position, field, reason, excerpt FROM quarantine WHERE reason LIKE '%150,000%'")
    assert len(q) == 1, q
    assert (q[0]["position"], q[0]["field"]) == (f"line {line}", column), q
    assert "longer than 150,000 characters" in q[0]["reason"] and q[0]["excerpt"]


def test_a_date_read_twice_gives_the_same_answer_and_error() -> None:
    """The date parser keeps what it read per text, failures too (a PATENTSCOPE priority number is tried as a
    date in every cell that names it: bench/patentscope_read.py): the second read of a text says the same."""
    cases = {"2001-02-30": "day is out of range for month", "08003373": "unreadable date '08003373'",
             "pizza": "unreadable date 'pizza'"}
    for _ in range(2):
        assert csvutil.parse_date("19980101") == date(1998, 1, 1) and csvutil.parse_date(" ") is None
        assert csvutil.parse_date("2003年1月2日") == date(2003, 1, 2) and csvutil.parse_date("01.02.2003") == \
            date(2003, 2, 1)
        for text, message in cases.items():
            with pytest.raises(ValueError, match=re.escape(message)):
                csvutil.parse_date(text)
