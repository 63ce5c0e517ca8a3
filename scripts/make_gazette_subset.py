#!/usr/bin/env python3
"""The Chongqing subset of the CNIPA gazette week (../shared/data/cn/gazette_2019) for data/demo.

The MANIFEST allows shipping "the Chongqing subset only (credit CNIPA 专利公报)". A record is kept when its
patentee address is in Chongqing, read from the address text itself: after the postcode digits (and an
optional 中国), the text begins with 重庆. A postcode is not used (the gazette's postcodes are sometimes
generic or wrong), nor a mention of 重庆 elsewhere in the address (重庆路 in Shenzhen, 重庆南路 in Taipei).

Which column holds the address is read from the content, not the header: in
``2019.7.9专利数据/CN_patent_invention_authorized.csv`` the ``address`` and ``designer`` headers are
swapped, so the column whose cells start with a postcode or a place name is the address.

Each output file keeps the source's name, relative path, encoding (GB18030), line endings and header line
(the swapped header too): the header record and the kept records, byte for byte, in the source's order.

    python scripts/make_gazette_subset.py [--shared ../shared/data] [--out data/demo]

``scripts/make_demo_data.py`` calls :func:`write_subset` when it rebuilds data/demo.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

#: the gazette folder under the shared data, and the demo folder the subset goes to
SOURCE = "cn/gazette_2019"
TARGET = "cn/gazette_2019_chongqing"
ENCODING = "gb18030"
#: the two header names that may hold the patentee address (swapped in one file)
ADDRESS_HEADERS = ("address", "designer")
_POSTCODE = re.compile(r"^\s*\d{6}")
_LEAD = re.compile(r"^[\s\d]*(?:中国)?")


def records(data: bytes) -> Iterator[bytes]:
    """Whole CSV records as raw bytes: a record ends at a newline outside double quotes. GB18030 never uses
    the bytes of ``"`` or a newline inside a multi-byte character, so the split is safe on the raw bytes."""
    start = quotes = pos = 0
    while pos < len(data):
        nl = data.find(b"\n", pos)
        end = len(data) if nl < 0 else nl + 1
        quotes += data.count(b'"', pos, end)
        pos = end
        if quotes % 2 == 0:
            yield data[start:end]
            start, quotes = end, 0
    if start < len(data):
        raise ValueError("unbalanced quotes at the end of the file")


def cells(record: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(record.decode(ENCODING), newline="")), [])


def address_column(header: list[str], rows: list[list[str]]) -> int:
    """The index of the column that holds the addresses: of the columns headed ``address`` or ``designer``,
    the one whose cells most often start with a postcode (the gazette writes ``400000重庆市…``)."""
    candidates = [i for i, h in enumerate(header) if h.strip() in ADDRESS_HEADERS]
    if not candidates:
        raise ValueError(f"no column headed {' or '.join(ADDRESS_HEADERS)}: {header}")
    return max(candidates, key=lambda i: sum(bool(_POSTCODE.match(r[i])) for r in rows if len(r) > i))


def in_chongqing(address: str) -> bool:
    """The address begins (after its postcode and an optional 中国) with 重庆."""
    return _LEAD.sub("", address, count=1).startswith("重庆")


def subset(data: bytes) -> tuple[bytes, int, int]:
    """The header record and the Chongqing records of one gazette file: (bytes, records kept, records read)."""
    header, *recs = records(data)
    rows = [cells(r) for r in recs]
    col = address_column(cells(header), rows)
    kept = [raw for raw, row in zip(recs, rows, strict=True) if len(row) > col and in_chongqing(row[col])]
    return header + b"".join(kept), len(kept), len(recs)


def source_files(shared: Path) -> list[Path]:
    """The gazette CSV files, relative to the gazette folder, sorted."""
    root = shared / SOURCE
    return sorted(p.relative_to(root) for p in root.rglob("*.csv"))


def write_subset(shared: Path, out: Path) -> list[tuple[str, bytes, int, int]]:
    """Write the subset of every gazette file under ``out``/:data:`TARGET`; returns (path under ``out``,
    bytes, records kept, records read) per file."""
    written = []
    for rel in source_files(shared):
        data, kept, read = subset((shared / SOURCE / rel).read_bytes())
        target = out / TARGET / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append((f"{TARGET}/{rel.as_posix()}", data, kept, read))
    return written


def summary(out: Path) -> dict[str, int]:
    """What the subset under ``out`` holds: records, distinct publication numbers (the source's two folders
    overlap), and those whose address names 璧山 (Bishan, 璧山区 or the pre-2014 璧山县)."""
    pubs: set[str] = set()
    bishan: set[str] = set()
    n = 0
    for path in sorted((out / TARGET).rglob("*.csv")):
        header, *recs = records(path.read_bytes())
        rows = [cells(r) for r in recs]
        col, pub = address_column(cells(header), rows), cells(header).index("authorization_notice_id")
        for row in rows:
            n += 1
            pubs.add(row[pub])
            if "璧山" in row[col]:
                bishan.add(row[pub])
    return {"records": n, "publications": len(pubs), "bishan": len(bishan)}


def main(argv: list[str] | None = None) -> None:
    repo = Path(__file__).resolve().parents[1]
    shared = next((c for c in (repo.parent / "shared" / "data", Path("/work/shared/data")) if c.is_dir()),
                  repo.parent / "shared" / "data")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=shared, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=repo / "data" / "demo", help="the demo folder")
    args = parser.parse_args(argv)
    for path, data, kept, read in write_subset(args.shared, args.out):
        print(f"{path}: {kept:,} of {read:,} records, {len(data):,} bytes")
    print(summary(args.out))


if __name__ == "__main__":
    main()
