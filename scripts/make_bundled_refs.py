#!/usr/bin/env python3
"""Rebuild the reference tables that ship with the package (ipcockpit/store/bundled/), deterministically.

* ``cnipa_sei2021_ipc_concordance.json.gz``: the shared SEI 2021 concordance JSON, byte for byte
  (gzip without a time stamp): its rows get the same ``file_id`` as an ingest of the JSON itself.
* ``ipc_titles_zh_2026.01.csv.gz``: ``code,title`` of every row the ``ipc-tree-zh`` reader gives for
  ``IPC_Tree_2026.01_zh.tar.gz``, sorted by code; level and parent follow from the code.

Only files whose MANIFEST row says they may ship are taken (the English ``all_ipc.csv`` is GPL-3.0: no).

    python scripts/make_bundled_refs.py [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ipcockpit.ingest.ref_ipc import IpcTreeZh  # noqa: E402
from ipcockpit.ingest.sources import file_source  # noqa: E402
from ipcockpit.model.records import ReferenceRecord  # noqa: E402
from ipcockpit.store.bundled import BUNDLE_DIR, SEI_FILE, ZH_TITLES_FILE  # noqa: E402

SEI_SOURCE = "classification/cnipa_sei2021_ipc_concordance.json"
ZH_SOURCE = "classification/IPC_Tree_2026.01_zh.tar.gz"


def _gzip(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0, filename="") as fh:
        fh.write(data)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(REPO.parent / "shared" / "data"))
    shared = Path(parser.parse_args().shared)
    BUNDLE_DIR.mkdir(parents=True, exist_ok=True)
    (BUNDLE_DIR / SEI_FILE).write_bytes(_gzip((shared / SEI_SOURCE).read_bytes()))
    rows = {}
    for rec in IpcTreeZh().read(file_source(shared / ZH_SOURCE)):
        if isinstance(rec, ReferenceRecord):
            rows[rec.values["code"]] = rec.values["title"]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["code", "title"])
    writer.writerows(sorted(rows.items()))
    (BUNDLE_DIR / ZH_TITLES_FILE).write_bytes(_gzip(text.getvalue().encode("utf-8")))
    for name in (SEI_FILE, ZH_TITLES_FILE):
        print(f"{name}: {(BUNDLE_DIR / name).stat().st_size:,} bytes")
    print(f"{len(rows):,} Chinese titles")


if __name__ == "__main__":
    main()
