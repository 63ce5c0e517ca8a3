"""The Chongqing subset of the CNIPA gazette week shipped in data/demo (the MANIFEST allows that subset only).

Recounted here without the script that cuts it: every record of every shared gazette file is read with the
csv module, and a record is Chongqing when its address -- the ninth cell in every file, whatever the header
says (the 2019.7.9专利数据 grant file's ``address`` and ``designer`` headers are swapped) -- reads 重庆 once
its postcode is stripped.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "data" / "demo" / "cn" / "gazette_2019_chongqing"
SOURCE = "cn/gazette_2019"
SWAPPED = "2019.7.9专利数据/CN_patent_invention_authorized.csv"


def _rows(data: bytes) -> tuple[list[str], list[list[str]]]:
    header, *rows = list(csv.reader(io.StringIO(data.decode("gb18030"), newline="")))
    return header, rows


def _chongqing(rows: list[list[str]]) -> list[list[str]]:
    return [r for r in rows if re.match(r"\d*(中国)?重庆", r[8].strip())]


def test_shipped_subset_is_the_chongqing_rows(shared: Path) -> None:
    files = sorted(p.relative_to(shared / SOURCE).as_posix() for p in (shared / SOURCE).rglob("*.csv"))
    assert sorted(p.relative_to(SHIPPED).as_posix() for p in SHIPPED.rglob("*")) == sorted(
        files + ["2019.7.9专利数据"])
    total = set()
    for name in files:
        raw, ours = (shared / SOURCE / name).read_bytes(), (SHIPPED / name).read_bytes()
        header, rows = _rows(raw)
        got_header, got = _rows(ours)
        assert got_header == header and got == _chongqing(rows), name
        # the header line itself, byte for byte, and every kept record as the source writes it
        assert ours.split(b"\n", 1)[0] == raw.split(b"\n", 1)[0]
        lines = set(raw.split(b"\n"))
        assert all(line in lines for line in ours.split(b"\n")), name
        total |= {r[2] for r in got}
    # the swap is kept: the header names the inventors' column 'address', the cells hold addresses
    header, rows = _rows((SHIPPED / SWAPPED).read_bytes())
    assert header[7:9] == ["address", "designer"] and all(re.match(r"\d{6}重庆", r[8]) for r in rows)
    # another file's 重庆 in a street name is not Chongqing (重庆中路 in Laixi, Qingdao)
    _, published = _rows((shared / SOURCE / "CN_patent_invention_published_709.csv").read_bytes())
    assert any("莱西市重庆中路" in r[8] for r in published)
    _, kept = _rows((SHIPPED / "CN_patent_invention_published_709.csv").read_bytes())
    assert not any("重庆中路" in r[8] for r in kept)
    assert len(total) == 560


def test_script_rebuilds_the_shipped_files(shared: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "make_gazette_subset.py"), "--shared", str(shared),
                           "--out", str(tmp_path)], capture_output=True, text=True, check=True)
    assert "'publications': 560, 'bishan': 14" in done.stdout
    shipped = sorted(SHIPPED.rglob("*.csv"))
    assert len(shipped) == 6
    for path in shipped:
        assert (tmp_path / "cn" / "gazette_2019_chongqing" / path.relative_to(SHIPPED)).read_bytes() == \
            path.read_bytes()
