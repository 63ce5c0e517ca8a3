"""Protected-mark lists as users load them (驰名商标, 中华老字号 / 重庆老字号, 地理标志): the layouts and the reader.

A list is a CSV (UTF-8 with or without a BOM, or GB18030) or an XLSX sheet with a header row; the columns
accepted, and the words each may be written as, are :data:`COLUMNS` (docs/formats.md, "Protected-mark lists").
Full-width characters are folded (NFKC) before anything is read. The kind of list is given by the user
(``well_known``, ``time_honoured``, ``gi``) or, when not given, told by the header: 保护类型 or 地域范围 make it a GI
list, 级别 / 老字号 columns a time-honoured list, else a well-known-mark list.

Each data row gives one :class:`ProtectedEntry`, or one or more :class:`BadRow` (file, row number as a
spreadsheet shows it, the column and the reason) when it cannot be taken:

- no name (商标 / 名称 / 产品名称 empty);
- a class outside 1-45, a 类似群 that is not four digits of a class 01-45;
- a year (认定年份) or a date (批准日期) that cannot be read;
- a GI row whose 保护类型 is neither 地理标志产品 nor 地理标志商标 (农产品地理标志 counts as a product);
- the same name and registration number twice in one file (the later row is the bad one).

The region of an entry (``admin_code``, GB/T 2260) is its 行政区划代码 when given, else the division the 地域 (or,
for a GI, the 地域范围) text names, read by :func:`ipcockpit.model.addresses.enrich_address`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ipcockpit.ingest.cn_table import cell_text
from ipcockpit.ingest.csvutil import parse_date
from ipcockpit.ingest.tm_cn_table import fold, parse_classes, parse_groups

KINDS = ("well_known", "time_honoured", "gi")
#: the 保护类型 of a GI row -> gi_type
GI_TYPES = {"地理标志产品": "product", "地理标志保护产品": "product", "农产品地理标志": "product",
            "地理标志商标": "trademark", "地理标志证明商标": "trademark", "地理标志集体商标": "trademark"}

#: field -> the column names it is written as (compared folded: NFKC, no spaces, lower case)
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("商标", "商标名称", "名称", "老字号名称", "字号", "品牌", "品牌名称", "产品名称", "地理标志名称",
             "地理标志"),
    "reg_number": ("注册号", "商标注册号", "申请/注册号", "注册证号"),
    "classes": ("类别", "国际分类", "商品类别", "核定类别", "尼斯分类"),
    "groups": ("类似群", "类似群组"),
    "holder": ("权利人", "注册人", "商标注册人", "企业名称", "所有人", "申请人/注册人", "申请人", "保护申请人"),
    "recognised": ("认定年份/批次", "认定年份", "认定批次", "批次", "认定时间", "认定年度"),
    "recognised_date": ("认定日期", "批准日期", "公告日期", "批准公告日期", "注册日期"),
    "region": ("地域", "所在地", "地区", "区县", "所在区县", "所在地区"),
    "admin_code": ("行政区划代码", "区划代码"),
    "product": ("产品", "主营产品", "商品", "核定商品", "核定使用商品", "主营业务"),
    "gi_type": ("保护类型", "地理标志类型", "类型"),
    "announcement": ("批准公告号", "公告号", "批准文号"),
    "scope": ("地域范围", "保护范围", "产地范围"),
    "level": ("级别", "老字号级别", "称号"),
    "note": ("备注", "说明"),
}
_ALIAS = {fold(a): f for f, names in COLUMNS.items() for a in names}
_YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")


@dataclass
class ProtectedEntry:
    """One protected mark of a list."""

    row: int
    kind: str
    name: str
    reg_number: str | None = None
    classes: list[int] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    holder: str | None = None
    recognised: str | None = None  # 认定年份/批次 as written
    year: int | None = None  # the year it was recognised or approved (认定年份, the year of 批准日期)
    recognised_date: date | None = None
    region: str | None = None  # 地域 as written
    admin_code: str | None = None
    product: str | None = None
    gi_type: str | None = None  # product | trademark (GI lists)
    announcement: str | None = None
    scope: str | None = None
    level: str | None = None  # 中华老字号 | 重庆老字号 ... as written
    note: str | None = None

    @property
    def entry_key(self) -> str:
        """Stable across loads of the list: the kind, the normalised name and the registration number."""
        from ipcockpit.marks.keys import normalise

        return f"{self.kind}:{normalise(self.name)}" + (f":{self.reg_number}" if self.reg_number else "")


@dataclass(frozen=True)
class BadRow:
    path: str
    row: int
    field: str  # the column as the file heads it (or the field's first name when the column is absent)
    value: str | None
    reason: str  # in English (logs, the API)
    key: str = ""  # the catalogue key of the reason (marks.bad.*), formatted with ``values``
    values: tuple[tuple[str, Any], ...] = ()


@dataclass
class ListFile:
    path: str
    kind: str
    entries: list[ProtectedEntry]
    bad: list[BadRow]
    read: int  # data rows read (empty rows not counted)
    columns: dict[str, str]  # field -> the column name the file gives it


def _table(path: Path) -> list[list[Any]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ValueError(f"{path}: neither UTF-8 nor GB18030 text")
    return [list(r) for r in csv.reader(io.StringIO(text))]


def header_fields(cells: list[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, c in enumerate(cells):
        f = _ALIAS.get(fold(c))
        if f and f not in found:
            found[f] = i
    return found


def guess_kind(found: dict[str, int], heading: list[Any]) -> str:
    if "gi_type" in found or "scope" in found or any("地理标志" in str(c or "") for c in heading):
        return "gi"
    if "level" in found or any("老字号" in str(c or "") for c in heading):
        return "time_honoured"
    return "well_known"


def _nfkc(value: Any) -> str | None:
    text = cell_text(value)
    return unicodedata.normalize("NFKC", text).strip() or None if text else None


def _region_code(text: str | None) -> str | None:
    if not text:
        return None
    from ipcockpit.model.addresses import enrich_address
    from ipcockpit.model.records import Address

    return enrich_address(Address(raw=text)).admin_code


def read_list(path: str | Path, kind: str | None = None) -> ListFile:
    """The entries and bad rows of a list file (module docstring). ``kind``: one of :data:`KINDS`, else told by
    the header. Raises ValueError for a file with no header row that names a name column."""
    p = Path(path)
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind {kind!r}: one of {', '.join(KINDS)}")
    rows = _table(p)
    start, found = None, {}
    for i, r in enumerate(rows[:20]):
        found = header_fields(r)
        if "name" in found:
            start = i
            break
    if start is None:
        names = "、".join(COLUMNS["name"][:4])
        raise ValueError(f"{p}: no header row with a name column ({names} ...) in its first 20 rows; "
                         "see docs/formats.md, Protected-mark lists")
    heading = rows[start]
    kind = kind or guess_kind(found, heading)
    columns = {f: str(heading[i]).strip() for f, i in found.items()}
    out = ListFile(str(p), kind, [], [], 0, columns)
    seen: dict[tuple[str, str | None], int] = {}
    for n, r in enumerate(rows[start + 1:], start + 2):
        if not any(cell_text(c) for c in r):
            continue
        out.read += 1
        v = {f: _nfkc(r[i]) if i < len(r) else None for f, i in found.items()}
        entry, bad = _entry(out, n, kind, v)
        if entry is not None and not bad:
            key = (entry.entry_key, None)
            if key in seen:
                why = f"the same name and registration number as row {seen[key]}"
                bad.append(_bad(out, n, "name", entry.name, why, "duplicate", row=seen[key]))
            else:
                seen[key] = n
        if bad:
            out.bad.extend(bad)
        elif entry is not None:
            out.entries.append(entry)
    return out


def _bad(lf: ListFile, line: int, fld: str, value: str | None, reason: str, key: str, **values: Any) -> BadRow:
    return BadRow(lf.path, line, lf.columns.get(fld, COLUMNS[fld][0]), value, reason, f"marks.bad.{key}",
                  tuple(sorted(values.items())))


def _entry(lf: ListFile, n: int, kind: str, v: dict[str, str | None]) -> tuple[ProtectedEntry | None, list[BadRow]]:
    bad: list[BadRow] = []
    name = v.get("name")
    if not name:
        return None, [_bad(lf, n, "name", None, "no name: a protected mark needs its words", "no_name")]
    e = ProtectedEntry(n, kind, name, holder=v.get("holder"), recognised=v.get("recognised"),
                       region=v.get("region"), product=v.get("product"), announcement=v.get("announcement"),
                       scope=v.get("scope"), level=v.get("level"), note=v.get("note"))
    reg = v.get("reg_number")
    if reg:
        reg = reg.replace(" ", "").upper()
        if not re.fullmatch(r"G?\d{4,10}", reg):
            bad.append(_bad(lf, n, "reg_number", reg, "a registration number is 4 to 10 digits (G and digits for "
                                                     "an international registration)", "reg_number"))
        e.reg_number = reg
    classes, why = parse_classes(v.get("classes"))
    bad += [_bad(lf, n, "classes", v.get("classes"), w, "classes") for w in why]
    groups, why = parse_groups(v.get("groups"))
    bad += [_bad(lf, n, "groups", v.get("groups"), w, "groups") for w in why]
    e.classes, e.groups = classes, groups
    for g in groups:
        if int(g[:2]) not in e.classes:
            e.classes.append(int(g[:2]))
    if e.recognised:
        years = _YEAR.findall(e.recognised)
        if years:
            e.year = int(years[0])
        elif not re.search(r"第.+批", e.recognised):
            bad.append(_bad(lf, n, "recognised", e.recognised, "neither a year (2013) nor a batch (第三批)", "year"))
    if v.get("recognised_date"):
        try:
            e.recognised_date = parse_date(v["recognised_date"])
        except ValueError as exc:
            bad.append(_bad(lf, n, "recognised_date", v["recognised_date"], str(exc), "date"))
        else:
            e.year = e.year or (e.recognised_date.year if e.recognised_date else None)
    if e.year is None and e.announcement:
        years = _YEAR.findall(e.announcement)
        e.year = int(years[0]) if years else None
    if kind == "gi":
        t = v.get("gi_type")
        if t is not None:
            if t not in GI_TYPES:
                bad.append(_bad(lf, n, "gi_type", t, f"保护类型 is one of {'、'.join(GI_TYPES)}", "gi_type",
                                known="、".join(GI_TYPES)))
            else:
                e.gi_type = GI_TYPES[t]
        else:
            e.gi_type = "trademark" if e.reg_number else "product"
    code = v.get("admin_code")
    if code:
        if not re.fullmatch(r"\d{6}", code):
            bad.append(_bad(lf, n, "admin_code", code, "a GB/T 2260 code is six digits (500120)", "admin_code"))
        e.admin_code = code
    else:
        e.admin_code = _region_code(e.region) or (_region_code(e.scope) if kind == "gi" else None)
    return e, bad
