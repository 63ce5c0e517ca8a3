#!/usr/bin/env python3
"""Write the table of SEI rule readings into docs/value.md from ipcockpit/ingest/sei2021_readings.csv.

The table sits between the two marker comments of docs/value.md; tests/test_sei_readings.py checks that
it matches the data.

    python scripts/write_sei_readings_doc.py
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ipcockpit.ingest.sei_readings import DOC_END, DOC_START, markdown_table, reviewed  # noqa: E402

DOC = REPO / "docs" / "value.md"


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(DOC_START), text.index(DOC_END) + len(DOC_END)
    DOC.write_text(text[:start] + markdown_table() + text[end:], encoding="utf-8")
    print(f"{DOC}: table of {len(reviewed())} rules written")


if __name__ == "__main__":
    main()
