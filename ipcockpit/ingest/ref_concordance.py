"""IPC concordances -> ref_ipc_concordance, one row per IPC pattern (or Locarno class).

* CNIPA catalogs as JSON (``{"catalogs": [{"id": ...}], "entries": [{"branch_no", "branch_name",
  "rules": [{"ipc_patterns", "ipc_exclusions", "keywords", ...}]}]}``): the strategic emerging
  industries table 2021 (catalog ``zhanlue`` -> scheme ``sei2021``), green technology 2022 (``lvse``
  -> ``green2022``), key digital technology 2023 (``shuzi`` -> ``digital2023``, codes restart in each
  ``subsys``).
* Pre-examination scopes of protection centers (``{"centers", "scope", "locarno", "desc",
  "locDesc"}``): scheme ``prefiling_<center id>``.
* The official SEI table as a CSV the user types or exports (see docs/reference_tables.md):
  ``sei-table-csv``.

Each SEI rule gets the reading of its keyword column (``reading``, ``condition_terms``) from the reviewed
table of :mod:`ipcockpit.ingest.sei_readings`; a CSV may give its own in ``reading`` and ``condition_terms``.

Pattern syntax and matching: :mod:`ipcockpit.model.classes`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ipcockpit.errors import UnsupportedFormatError
from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.csvutil import dict_rows, header
from ipcockpit.ingest.sei_readings import READINGS, Reading, reading_for, split_terms
from ipcockpit.model.classes import normalise_locarno, pattern_regex, patterns_regex
from ipcockpit.model.records import Record, ReferenceRecord, Rejected

TABLE = "ref_ipc_concordance"

#: catalog id in the JSON -> scheme
CATALOG_SCHEMES = {"zhanlue": "sei2021", "lvse": "green2022", "shuzi": "digital2023"}

#: the nine industries of 《战略性新兴产业分类（2018）》, the first level of the SEI 2021 table
SEI_INDUSTRIES = {
    "1": "新一代信息技术产业",
    "2": "高端装备制造产业",
    "3": "新材料产业",
    "4": "生物产业",
    "5": "新能源汽车产业",
    "6": "新能源产业",
    "7": "节能环保产业",
    "8": "数字创意产业",
    "9": "相关服务业",
}


def _parent(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(v).strip() for v in value if str(v).strip()]


def concordance_row(scheme: str, code: str, name: str | None, pattern: str, *, parent_code: str | None = None,
                    parent_name: str | None = None, subsystem: str | None = None,
                    exclusions: list[str] | None = None, keywords: list[str] | None = None,
                    ipc_only: bool | None = None, coverage: str | None = None, rule_id: str | None = None,
                    pattern_title: str | None = None, class_scheme: str = "IPC",
                    position: str | None = None, reading: Reading | None = None) -> ReferenceRecord:
    """One ref_ipc_concordance row; raises ValueError when the pattern or an exclusion is unreadable."""
    exclusions = exclusions or []
    if class_scheme == "IPC":
        regex: str | None = pattern_regex(pattern)
        exclusion_regex = patterns_regex(exclusions)
    else:
        regex, exclusion_regex = re.escape(pattern), None
    return ReferenceRecord(TABLE, {
        "scheme": scheme, "code": code, "name": name, "parent_code": parent_code, "parent_name": parent_name,
        "subsystem": subsystem, "class_scheme": class_scheme, "ipc_pattern": pattern, "ipc_regex": regex,
        "exclusions": exclusions, "exclusion_regex": exclusion_regex, "keywords": keywords or [],
        "ipc_only": ipc_only, "coverage": coverage, "pattern_title": pattern_title, "rule_id": rule_id,
        "reading": reading.reading if reading else None,
        "condition_terms": list(reading.terms) if reading else None,
    }, position)


def _load_json(source: Source) -> Any:
    try:
        with source.open() as fh:
            return json.loads(fh.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnsupportedFormatError(source.path, "CNIPA concordance JSON",
                                     f"It is not valid UTF-8 JSON ({exc}); re-export it as UTF-8 JSON.") from exc


class CnipaCatalogJson(Ingester):
    name = "cnipa-ipc-catalog-json"
    label = "CNIPA IPC concordance catalog (JSON: SEI 2021, green technology 2022, key digital technology 2023)"
    label_zh = "国家知识产权局产业/技术与IPC参照关系（JSON：战略性新兴产业、绿色技术、关键数字技术）"
    priority = 30

    def sniff(self, source: Source) -> bool:
        head = source.text_head(4096)
        return head.lstrip().startswith("{") and '"catalogs"' in head and '"catalog_id"' in head

    def read(self, source: Source) -> Iterator[Record]:
        data = _load_json(source)
        catalogs = data.get("catalogs") or [{}]
        default = str(catalogs[0].get("id") or "")
        entries = data.get("entries") or []
        names = {(str(e.get("catalog_id") or default), e.get("subsys"), str(e.get("branch_no"))): e.get("branch_name")
                 for e in entries}
        for i, entry in enumerate(entries, start=1):
            pos = f"record {i}"
            catalog = str(entry.get("catalog_id") or default)
            scheme = CATALOG_SCHEMES.get(catalog, catalog or "catalog")
            code = str(entry.get("branch_no") or "").strip()
            if not code:
                yield Rejected(pos, "entry has no branch_no; give every entry its branch number", str(entry)[:300],
                               "branch_no")
                continue
            subsys = entry.get("subsys")
            parent = _parent(code)
            parent_name = (SEI_INDUSTRIES.get(parent or "") if scheme == "sei2021"
                           else names.get((catalog, subsys, parent or "")))
            prefix = f"{subsys}/" if subsys else ""
            for j, rule in enumerate(entry.get("rules") or [], start=1):
                rule_id = f"{prefix}{code}#{j}"
                exclusions = _strings(rule.get("ipc_exclusions"))
                keywords = _strings(rule.get("keywords"))
                reading = reading_for(keywords) if scheme == "sei2021" else None
                for pattern in _strings(rule.get("ipc_patterns")):
                    try:
                        yield concordance_row(
                            scheme, code, entry.get("branch_name"), pattern, parent_code=parent,
                            parent_name=parent_name, subsystem=subsys, exclusions=exclusions,
                            keywords=keywords, ipc_only=rule.get("ipc_only"),
                            coverage=rule.get("coverage"), rule_id=rule_id, position=pos, reading=reading)
                    except ValueError as exc:
                        yield Rejected(pos, f"branch {code} rule {j}: {exc}", pattern, "ipc_patterns")


class PrefilingScopeJson(Ingester):
    name = "prefiling-scope-json"
    label = "Pre-examination scope of IP protection centers (JSON: centers, IPC subclasses, Locarno classes)"
    label_zh = "知识产权保护中心预审服务领域（JSON：IPC 小类、洛迦诺分类）"
    priority = 30

    def sniff(self, source: Source) -> bool:
        head = source.text_head(4096)
        return head.lstrip().startswith("{") and '"centers"' in head and '"fields"' in head

    def read(self, source: Source) -> Iterator[Record]:
        data = _load_json(source)
        centers = {str(c.get("id")): c for c in data.get("centers") or []}
        desc, loc_desc = data.get("desc") or {}, data.get("locDesc") or {}
        for key, class_scheme, titles in (("scope", "IPC", desc), ("locarno", "LOCARNO", loc_desc)):
            for center_id, mapping in (data.get(key) or {}).items():
                center = centers.get(str(center_id), {})
                for k, (raw, fieldname) in enumerate(mapping.items(), start=1):
                    pos = f"record {key}.{center_id}.{k}"
                    try:
                        pattern = normalise_locarno(raw) if class_scheme == "LOCARNO" else raw.strip()
                        yield concordance_row(
                            f"prefiling_{center_id}", fieldname, fieldname, pattern, parent_code=center_id,
                            parent_name=center.get("全称") or center.get("name"), class_scheme=class_scheme,
                            pattern_title=titles.get(raw), rule_id=f"{class_scheme.lower()}:{pattern}",
                            position=pos)
                    except ValueError as exc:
                        yield Rejected(pos, f"{key} of center {center_id}: {exc}", raw, key)


# The official SEI table as CSV -------------------------------------------------------------
#: canonical column -> the header spellings accepted (compared lower-cased, spaces removed)
SEI_CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "scheme": ("scheme", "体系"),
    "industry_code": ("industry_code", "产业代码", "一级代码"),
    "industry_name": ("industry_name", "产业名称", "一级名称"),
    "branch_code": ("branch_code", "战略性新兴产业分类代码", "分类代码"),
    "branch_name": ("branch_name", "战略性新兴产业分类名称", "分类名称"),
    "ipc": ("ipc", "ipc_patterns", "国际专利分类号", "国际专利分类", "ipc分类号", "ipc分类"),
    "exclusions": ("exclusions", "ipc_exclusions", "排除", "排除分类号", "不包括"),
    "keywords": ("keywords", "关键词"),
    "rule_id": ("rule_id", "规则编号"),
    "reading": ("reading", "关键词性质"),
    "condition_terms": ("condition_terms", "条件词"),
}
_SPLIT = re.compile(r"[,，;；、\s]+")


def _column_map(names: list[str]) -> dict[str, str]:
    """canonical column -> the file's header name."""
    lookup = {h.lower().replace(" ", ""): h for h in names}
    out = {}
    for canon, spellings in SEI_CSV_COLUMNS.items():
        for s in spellings:
            if s.lower() in lookup:
                out[canon] = lookup[s.lower()]
                break
    return out


def _delimiter(source: Source) -> str:
    first = source.text_head(4096).splitlines()[0] if source.text_head(4096) else ""
    return "\t" if first.count("\t") > first.count(",") else ","


class SeiTableCsv(Ingester):
    name = "sei-table-csv"
    label = "SEI-IPC concordance table as CSV (industry_code, industry_name, branch_code, branch_name, ipc ...)"
    label_zh = "战略性新兴产业分类与国际专利分类参照关系表（CSV，UTF-8 或 GBK）"
    priority = 25

    def sniff(self, source: Source) -> bool:
        if source.suffix not in (".csv", ".tsv", ".txt"):
            return False
        cols = _column_map(header(source, _delimiter(source)))
        return "ipc" in cols and "branch_code" in cols and len(cols) >= 3

    def read(self, source: Source) -> Iterator[Record]:
        delim = _delimiter(source)
        cols = _column_map(header(source, delim))
        rules: dict[str, int] = {}
        for line, row in dict_rows(source, delim):
            if isinstance(row, Rejected):  # a record csv cannot read (csvutil)
                yield row
                continue
            def get(canon: str, row: dict[str, str] = row) -> str:
                name = cols.get(canon)
                return (row.get(name) or "").strip() if name else ""

            code = get("branch_code")
            if not code:
                yield Rejected(f"line {line}", f"empty {cols['branch_code']}; every row needs its branch code",
                               str(row)[:300], cols["branch_code"])
                continue
            patterns = [p for p in _SPLIT.split(get("ipc")) if p]
            if not patterns:
                yield Rejected(f"line {line}", f"branch {code}: empty {cols['ipc']}; list the IPC codes of the row",
                               str(row)[:300], cols["ipc"])
                continue
            scheme = get("scheme") or "sei2021"
            industry = get("industry_code") or code.split(".")[0]
            industry_name = get("industry_name") or (SEI_INDUSTRIES.get(industry) if scheme == "sei2021" else None)
            rules[code] = rules.get(code, 0) + 1
            rule_id = get("rule_id") or f"{code}#{rules[code]}"
            exclusions = [p for p in _SPLIT.split(get("exclusions")) if p]
            keywords = [k for k in re.split(r"[;；\n]+", get("keywords")) if k.strip()]
            try:
                reading = _csv_reading(get("reading"), get("condition_terms"), keywords)
            except ValueError as exc:
                yield Rejected(f"line {line}", f"branch {code}: {exc}", str(row)[:300], cols.get("reading"))
                continue
            for pattern in patterns:
                try:
                    yield concordance_row(
                        scheme, code, get("branch_name") or None, pattern,
                        parent_code=industry if industry != code else None,
                        parent_name=industry_name if industry != code else None,
                        exclusions=exclusions, keywords=[k.strip() for k in keywords], rule_id=rule_id,
                        position=f"line {line}", reading=reading)
                except ValueError as exc:
                    yield Rejected(f"line {line}", f"branch {code}: {exc}", pattern, cols["ipc"])


def _csv_reading(reading: str, terms: str, keywords: list[str]) -> Reading:
    """The row's own reading when it gives one, else the reviewed reading of the same column text."""
    if not reading:
        return reading_for(keywords)
    if reading not in READINGS:
        raise ValueError(f"reading {reading!r}: write one of {', '.join(READINGS)}")
    return Reading(reading, split_terms(terms), "given by the file")
