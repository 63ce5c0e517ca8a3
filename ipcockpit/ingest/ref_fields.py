"""IPC -> technology fields -> ref_tech_fields.

* WIPO's 35 technology fields (Schmoch 2008) as PatentsView ships them (``ipc_technology.csv``:
  Field_number, Sector_en, Field_en, IPC_code with SQL ``%`` wildcards such as ``F21H%`` or
  ``H04N   3/%``): scheme ``wipo35``.
* IPC class/subclass -> NBER category (Hall, Jaffe & Trajtenberg 2001: ``ipc_code,NBER``): scheme
  ``nber6``; the category names are the NBER ones, which the file gives as numbers only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.csvutil import dict_rows, header
from ipcockpit.model.classes import pattern_regex
from ipcockpit.model.records import Record, ReferenceRecord, Rejected

TABLE = "ref_tech_fields"
_WIPO_COLUMNS = {"Field_number", "Field_en", "Sector_en", "IPC_code"}
_LIKE = re.compile(r"^([A-HY]\d\d[A-Z])\s*(?:(\d{1,4})\s*/)?%$")

#: NBER technological categories (Hall, Jaffe & Trajtenberg 2001, table 1)
NBER_CATEGORIES = {
    1: "Chemical",
    2: "Computers & Communications",
    3: "Drugs & Medical",
    4: "Electrical & Electronic",
    5: "Mechanical",
    6: "Others",
}


def _excerpt(row: dict[str, str]) -> str:
    return str(row)[:300]


class WipoTechFields(Ingester):
    name = "wipo-tech-fields"
    label = "WIPO IPC -> 35 technology fields concordance (Schmoch 2008, PatentsView ipc_technology.csv)"
    label_zh = "WIPO IPC 与 35 个技术领域对照表"
    priority = 30

    def sniff(self, source: Source) -> bool:
        return _WIPO_COLUMNS <= set(header(source))

    def read(self, source: Source) -> Iterator[Record]:
        for line, row in dict_rows(source):
            if isinstance(row, Rejected):  # a record csv cannot read (csvutil)
                yield row
                continue
            raw = (row.get("IPC_code") or "").strip()
            m = _LIKE.match(raw)
            if not m:
                yield Rejected(f"line {line}", f"IPC_code {raw!r} is not a subclass or main-group prefix "
                               "ending in '%' (e.g. 'F21H%', 'H04N   3/%'); fix the cell", _excerpt(row), "IPC_code")
                continue
            try:
                field_id = int((row.get("Field_number") or "").strip())
            except ValueError:
                yield Rejected(f"line {line}", f"Field_number {row.get('Field_number')!r} is not a number 1-35",
                               _excerpt(row), "Field_number")
                continue
            subclass, group = m.group(1), m.group(2)
            pattern = f"{subclass}{int(group)}*" if group else f"{subclass}*"
            prefix = f"{subclass} {int(group)}/" if group else subclass
            yield ReferenceRecord(TABLE, {
                "scheme": "wipo35", "ipc_pattern": pattern, "ipc_prefix": prefix, "field_id": field_id,
                "field_en": (row.get("Field_en") or "").strip() or None,
                "sector_en": (row.get("Sector_en") or "").strip() or None,
            }, f"line {line}")


class NberFields(Ingester):
    name = "nber-ipc-fields"
    label = "IPC class/subclass -> NBER technology category (ipc_code, NBER)"
    label_zh = "IPC 与 NBER 技术大类对照表"
    priority = 30

    def sniff(self, source: Source) -> bool:
        return [h.lower() for h in header(source)] == ["ipc_code", "nber"]

    def read(self, source: Source) -> Iterator[Record]:
        for line, row in dict_rows(source):
            if isinstance(row, Rejected):  # a record csv cannot read (csvutil)
                yield row
                continue
            row = {k.lower(): v for k, v in row.items() if k}
            raw = (row.get("ipc_code") or "").strip().upper()
            try:
                pattern_regex(raw)
                if not re.fullmatch(r"[A-HY]\d\d[A-Z]?", raw):
                    raise ValueError(raw)
            except ValueError:
                yield Rejected(f"line {line}", f"ipc_code {raw!r} is not an IPC class or subclass (e.g. 'B01', "
                               "'A01N'); fix the cell", _excerpt(row), "ipc_code")
                continue
            try:
                cat = int((row.get("nber") or "").strip())
                name = NBER_CATEGORIES[cat]
            except (ValueError, KeyError):
                yield Rejected(f"line {line}", f"NBER {row.get('nber')!r} is not a category number 1-6",
                               _excerpt(row), "NBER")
                continue
            yield ReferenceRecord(TABLE, {
                "scheme": "nber6", "ipc_pattern": f"{raw}*", "ipc_prefix": raw, "field_id": cat,
                "field_en": name, "sector_en": None,
            }, f"line {line}")
