"""SIPO's old TRS patent export (.xls or .xlsx, 45 columns), e.g. shared/data/cn/sipo_trs_export/test.xls.

Columns: 申请号, 申请日, 公开（公告）号, 公开（公告）日, 专利类型 (SIPO's code: 1 invention, 2 utility model,
3 design), 名称, 摘要, 分类号, 主分类号, 申请（专利权）人, 发明（设计）人, 代理人, 地址, 国省代码, 省, 市, 区,
优先权, 主权项, 法律状态, 专利代理机构, 发布路径, 页数, 申请国代码, 申请来源 and the paths of the claims,
description and drawings files on the exporting computer. The format is recognised from its header: 申请号,
公开（公告）号 and 国省代码 with two of the columns only TRS writes (发布路径, 申请来源, 申请国代码, 主分类号描述,
合并申请人).

Rules:

- One row is one publication, keyed on 公开（公告）号; the A and B publications of one application are two rows
  that share the application. Numbers follow :mod:`ipcockpit.ingest.cn_exports` (a damaged 申请号 is kept as
  written and links no application; a row without a trusted 公开（公告）号 is quarantined). The fields are read
  by the Chinese table reader (:class:`ipcockpit.ingest.cn_table.RowReader`) through the column map.
- 地址 is the first applicant's address, postcode first (``400060重庆市南岸区...``); it is the applicant's
  ``Address.raw`` and the GB/T 2260 code comes from its text alone. Most rows hold a postcode only (``315031``).
- 国省代码 (``浙江;33``, ``重庆;85``) is SIPO's own province numbering, not GB/T 2260 (Chongqing is 85 there, 50
  in GB/T 2260): it is kept as written in ``extra['sipo_province_code']`` and never becomes an ``admin_code``;
  省, 市 and 区 are kept likewise (``extra['trs_province']``, ``trs_city``, ``trs_district``).
- 不公告发明人 ("the inventor is not announced", at the inventor's request) is no inventor: the record has none,
  and the words stay in ``extra['inventors_withheld']``.
- A grant's (B, C, U, Y, S) 公开（公告）日 is its grant date. 专利类型 gives the document type when the number has
  no kind code. Texts are kept as written: SIPO's export has ``?`` for characters it could not write and
  ``<img ...>`` where a formula was.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.cn_exports import cn_application, cn_publication, first_sheet, head_rows, raw_text
from ipcockpit.ingest.cn_table import RowReader
from ipcockpit.ingest.column_maps import HeaderMatch, fold, load_column_map
from ipcockpit.model.records import PatentRecord, Record, Rejected

log = logging.getLogger(__name__)

APP_COLUMN, PUB_COLUMN = "申请号", "公开（公告）号"
SIGNATURE = (APP_COLUMN, PUB_COLUMN, "国省代码")
TRS_ONLY = ("发布路径", "申请来源", "申请国代码", "主分类号描述", "合并申请人")
#: columns kept as evidence under these extra keys, never parsed into a field
EVIDENCE = {"国省代码": "sipo_province_code", "省": "trs_province", "市": "trs_city", "区": "trs_district"}
TYPE_CODES = {"1": "invention", "2": "utility_model", "3": "design"}
#: what stands in the inventor column when no inventor is named
WITHHELD = frozenset({"不公告发明人", "不公告设计人", "请求不公布姓名"})
_GRANT_KINDS = tuple("BCUYSD")


def is_trs_header(row: list[Any]) -> bool:
    names = {fold(c) for c in row}
    return all(fold(c) in names for c in SIGNATURE) and sum(fold(c) in names for c in TRS_ONLY) >= 2


class SipoTrsSheet(Ingester):
    name = "sipo-trs-xls"
    label = "SIPO TRS patent export (.xls, 45 columns with 国省代码 and 发布路径)"
    label_zh = "国家知识产权局 TRS 专利导出表（.xls，45 列，含国省代码、发布路径）"
    priority = 35  # before the general Chinese table reader, which would read the same columns less well

    def sniff(self, source: Source) -> bool:
        rows = head_rows(source)
        return bool(rows) and is_trs_header(rows[0])

    def _match(self, header: list[str]) -> HeaderMatch:
        folder = getattr(self.settings, "column_maps", "") if self.settings is not None else ""
        match = load_column_map(folder or None).match(header)
        for i, name in enumerate(header):
            key = EVIDENCE.get(fold(name))
            if key is None:
                continue
            match.fields = {f: j for f, j in match.fields.items() if j != i}
            match.unknown = [j for j in match.unknown if j != i]
            match.keep[i] = key
        return match

    def read(self, source: Source) -> Iterator[Record]:
        header = head_rows(source)[0]
        match = self._match(header)
        if match.unknown:
            log.info("%s: %d unknown columns kept in extra: %s", source.path, len(match.unknown),
                     ", ".join(match.unknown_names))
        reader = RowReader(source.path, match)
        folded = [fold(h) for h in header]  # 公开(公告)号 is 公开（公告）号
        app_i, pub_i = folded.index(fold(APP_COLUMN)), folded.index(fold(PUB_COLUMN))
        pub_name = header[pub_i]
        type_i = match.fields.get("doc_type")
        inv_i = match.fields.get("inventors")
        for position, row in first_sheet(source):
            row = row + [None] * (len(header) - len(row))
            parts, _, why = cn_publication(row[pub_i])
            if parts is None:
                where = f"{source.path}, {position}, column {pub_name!r}"
                reason = (f"{where}: {why}; the row is keyed on it" if why else
                          f"{where}: no publication number; a TRS row is keyed on its publication number")
                yield Rejected(position, reason, _excerpt(row), pub_name)
                continue
            app = cn_application(row[app_i])
            row[pub_i] = "".join(p or "" for p in parts)
            row[app_i] = app.value
            withheld = raw_text(row[inv_i]) if inv_i is not None else None
            if withheld not in WITHHELD:
                withheld = None
            elif inv_i is not None:
                row[inv_i] = None
            for rec in reader.read(position, row):
                if isinstance(rec, PatentRecord):
                    _finish(rec, app.raw if app.why else None, app.why, withheld,
                            raw_text(row[type_i]) if type_i is not None else None)
                yield rec


def _finish(rec: PatentRecord, app_raw: str | None, why: str | None, withheld: str | None,
            type_code: str | None) -> None:
    if app_raw is not None:
        rec.extra["app_number_raw"] = app_raw
        rec.extra.setdefault("number_notes", []).append(f"{APP_COLUMN}: {why}")
    if withheld:
        rec.extra["inventors_withheld"] = withheld
    if rec.doc_type is None and type_code in TYPE_CODES:
        rec.doc_type = TYPE_CODES[type_code]
    if rec.kind and rec.kind.startswith(_GRANT_KINDS):
        rec.stage = "grant"
        rec.grant_date = rec.grant_date or rec.pub_date


def _excerpt(row: list[Any]) -> str:
    return " | ".join(raw_text(c) or "" for c in row)[:300]


INGESTERS = [SipoTrsSheet]
