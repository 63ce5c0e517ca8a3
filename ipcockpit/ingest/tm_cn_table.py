"""Chinese trademark tables (``tm-cn-csv``, ``tm-cn-xlsx``): exports laid out like CNIPA 商标局 / 中国商标网 records.

One row is one mark (one 申请/注册号). The columns accepted, and the words each may be written as, are
:data:`COLUMNS` (docs/formats.md, "Chinese trademark table"): a header is recognised when it names the number
and a column only trademark records have (商标名称, 商标图像, 类似群, 商标类型, 商标流程 or 专用权期限).
Full-width characters are folded first (NFKC), so that "第９类；第３５类", "第9类;第35类" and "09,35" all give
Nice classes 9 and 35. What the reader cannot take as it stands stays in the record with the reason in
``trademarks.notes`` (or in ``trademark_events.notes``):

- a mark with only an image (商标名称 empty or "图形"): kept, ``mark_text`` empty, shown by its image;
- a class outside 1-45 or a 类似群 that is not four digits of a class 01-45: left out, the text and reason kept;
- a status text, or a status code, that no rule or table knows: kept, status ``unknown`` (tm_status);
- an event (商标流程 item) whose text no rule of :data:`EVENT_RULES` knows: kept with no meaning.

A row without a number, or with an unreadable date, is quarantined with the column and the reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from ipcockpit.ingest import csvutil
from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.cn_table import cell_text, sheet_rows
from ipcockpit.model.records import Record, Rejected
from ipcockpit.model.tm_status import normalise_status
from ipcockpit.model.trademarks import MarkClass, MarkEvent, MarkGoods, MarkParty, TrademarkRecord

#: field -> the column names it is written as (compared folded: NFKC, no spaces, lower case)
COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("申请/注册号", "申请号/注册号", "注册号/申请号", "申请号", "注册号", "商标注册号", "商标申请号"),
    "classes": ("国际分类", "国际分类号", "尼斯分类", "类别", "商品类别", "类号"),
    "groups": ("类似群", "类似群组", "类似群号", "类似群组号"),
    "mark_text": ("商标名称", "商标", "商标文字", "商标名"),
    "mark_image": ("商标图像", "商标图样", "图样", "商标图片"),
    "applicant": ("申请人名称(中文)", "申请人名称", "申请人", "注册人", "申请人/注册人"),
    "applicant_en": ("申请人名称(英文)",),
    "address": ("申请人地址(中文)", "申请人地址", "注册人地址", "地址"),
    "address_en": ("申请人地址(英文)",),
    "co_applicants": ("共有申请人", "共有人", "共同申请人"),
    "agent": ("代理/办理机构", "代理机构", "代理人名称"),
    "goods": ("商品/服务", "商品服务", "商品/服务项目", "商品服务项目", "使用商品", "核定使用商品"),
    "filing_date": ("申请日期", "申请日"),
    "publication_date": ("初审公告日期", "初审公告日"),
    "publication_issue": ("初审公告期号",),
    "registration_date": ("注册公告日期", "注册公告日", "注册日期"),
    "registration_issue": ("注册公告期号",),
    "term": ("专用权期限", "专用期限", "商标专用权期限"),
    "mark_kind": ("商标类型", "商标种类"),
    "status_text": ("商标状态", "当前状态", "法律状态", "状态"),
    "status_code": ("状态码", "状态代码", "商标状态码"),
    "events": ("商标流程", "流程", "商标流程信息", "流程信息"),
    "shared": ("是否共有", "是否共有商标"),
    "intl_reg_date": ("国际注册日期", "国际注册日"),
    "later_designation_date": ("后期指定日期",),
    "priority_date": ("优先权日期", "优先权日"),
    "gi": ("地理标志", "是否地理标志"),
    "colour": ("指定颜色", "颜色组合"),
}
#: (keywords, meaning) for a 商标流程 item, in order; the meaning is this reader's reading of CNIPA's words
EVENT_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("无效宣告",), "invalidation"), (("驳回复审",), "refusal_review"), (("不予注册复审",), "opposition_review"),
    (("异议",), "opposition"), (("撤销连续三年", "撤三", "撤销"), "cancellation"), (("注销",), "surrender"),
    (("续展",), "renewal"), (("转让", "转移"), "transfer"), (("许可",), "licence"), (("质押", "质权"), "pledge"),
    (("变更",), "change"), (("补发", "更正"), "correction"), (("驳回",), "refusal"), (("撤回",), "withdrawal"),
    (("初审公告", "初步审定"), "publication"), (("注册公告", "核准注册", "注册证"), "registration"),
    (("国际注册", "领土延伸", "后期指定"), "madrid"),
    (("申请收文", "受理", "注册申请", "补正", "申请"), "filing"),
)
_NUMBER = ("number",)
#: a header names one of these: columns only trademark records have (a patent table has 申请号 and 国际分类号 too)
_ANY_OF = ("mark_text", "mark_image", "groups", "mark_kind", "events", "term")
_HEADER_SCAN = 6
_DATE = re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?|(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")
_ITEM = re.compile(r"[;\n|]+")
_FIGURE = {"图形", "图形商标", "图", "(图形)"}
_YES = {"是", "y", "yes", "true", "1", "共有", "有"}


def fold(text: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or ""))).lower()


_ALIAS = {fold(a): f for f, names in COLUMNS.items() for a in names}


def match_header(cells: Iterable[object]) -> dict[str, int] | None:
    """field -> column index of a header row, or None when the row is not a trademark table's header."""
    found: dict[str, int] = {}
    for i, c in enumerate(cells):
        f = _ALIAS.get(fold(c))
        if f and f not in found:
            found[f] = i
    if "number" in found and any(f in found for f in _ANY_OF):
        return found
    return None


def nfkc(text: str | None) -> str | None:
    return unicodedata.normalize("NFKC", text).strip() if text else text


def parse_classes(text: str | None) -> tuple[list[int], list[str]]:
    """(Nice classes, reasons for what was left out) of a class cell: "第９类；第３５类", "09,35", "9"."""
    if not text:
        return [], []
    out, bad = [], []
    for n in re.findall(r"(?<!\d)(\d{1,3})(?!\d)", nfkc(text) or ""):
        c = int(n)
        if 1 <= c <= 45:
            if c not in out:
                out.append(c)
        else:
            bad.append(f"class {n!r} is not a Nice class (1-45)")
    if not out and not bad:
        bad.append(f"no class number in {text!r}")
    return out, bad


def parse_groups(text: str | None) -> tuple[list[str], list[str]]:
    """(类似群 codes, reasons for what was left out) of a cell: "0901;3501", "０９０１，３５０１"."""
    if not text:
        return [], []
    out, bad = [], []
    for token in re.findall(r"\d+", nfkc(text) or ""):
        if len(token) == 4 and 1 <= int(token[:2]) <= 45:
            if token not in out:
                out.append(token)
        else:
            bad.append(f"类似群 {token!r} is not four digits of a class 01-45")
    return out, bad


def _date(text: str | None) -> date | None:
    """A date of a cell ("2019-03-07", "2019年3月7日", "20190307"); ValueError when there is text and no date."""
    text = nfkc(text)
    if not text:
        return None
    m = _DATE.search(text)
    if not m:
        raise ValueError(f"unreadable date {text!r}")
    y, mo, d = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5), m.group(6))
    return date(int(y), int(mo), int(d))


def event_meaning(text: str) -> str | None:
    for words, meaning in EVENT_RULES:
        if any(w in text for w in words):
            return meaning
    return None


def _yes(text: str | None) -> bool | None:
    if text is None:
        return None
    return fold(text) in _YES


class RowReader:
    def __init__(self, columns: dict[str, int]) -> None:
        self.columns = columns

    def read(self, position: str, row: list[Any]) -> Record:
        v = {f: cell_text(row[i]) if i < len(row) else None for f, i in self.columns.items()}
        number = re.sub(r"\s+", "", nfkc(v.get("number")) or "").upper()
        if not number:
            return Rejected(position, "no application number (申请/注册号 is empty); a mark needs one to be loaded",
                            _excerpt(row), "申请/注册号")
        rec = TrademarkRecord(mark_id=f"CN{number}", office="CN", number=number, position=position)
        field = None
        try:
            for label, attr in (("申请日期", "filing_date"), ("初审公告日期", "publication_date"),
                                ("注册公告日期", "registration_date"), ("国际注册日期", "intl_reg_date")):
                field = label
                setattr(rec, attr, _date(v.get(attr)))
            field = "专用权期限"
            term = nfkc(v.get("term"))
            if term:
                ends = [_date(x.group(0)) for x in _DATE.finditer(term)]
                if not ends:
                    raise ValueError(f"unreadable date {term!r}")
                rec.expiry_date = ends[-1]
                rec.extra["term"] = term
        except ValueError as exc:
            return Rejected(position, f"{exc} in {field!r}; write dates as YYYY-MM-DD", _excerpt(row), field)
        name = nfkc(v.get("mark_text"))
        rec.mark_image = v.get("mark_image")
        if not name or name in _FIGURE:
            if name:
                rec.extra["mark_name"] = name
            rec.notes.append("mark without text: shown by its image" if rec.mark_image
                             else "mark without text or image: nothing to show but its number")
        else:
            rec.mark_text = name
        rec.mark_kind = v.get("mark_kind")
        self._classes(rec, v)
        self._parties(rec, v)
        rec.status_code, rec.status_text = v.get("status_code"), v.get("status_text")
        rec.status, rec.status_rule, reason = normalise_status(rec.status_code, rec.status_text, None)
        if reason:
            rec.notes.append(reason)
        gi = _yes(v.get("gi"))
        rec.gi = bool(gi) or "地理标志" in (rec.mark_kind or "") if (gi is not None or rec.mark_kind) else None
        rec.madrid = rec.intl_reg_date is not None or bool(v.get("later_designation_date")) or number.startswith("G")
        shared = _yes(v.get("shared"))
        rec.shared = shared if shared is not None else (len([p for p in rec.parties if p.role != "agent"]) > 1)
        self._events(rec, v)
        for key in ("applicant_en", "address_en", "publication_issue", "registration_issue", "later_designation_date",
                    "priority_date", "colour"):
            if v.get(key):
                rec.extra[key] = v[key]
        return rec

    @staticmethod
    def _classes(rec: TrademarkRecord, v: dict[str, str | None]) -> None:
        classes, bad = parse_classes(v.get("classes"))
        groups, bad_groups = parse_groups(v.get("groups"))
        for c in classes:
            rec.classes.append(MarkClass("nice", f"{c:02d}", c))
        for g in groups:
            rec.classes.append(MarkClass("cn_group", g, int(g[:2])))
            if int(g[:2]) not in classes:
                bad.append(f"类似群 {g} is in class {g[:2]}, which the class list does not name")
        rec.notes.extend(bad + bad_groups)
        goods = nfkc(v.get("goods"))
        if goods:
            for item in (i.strip() for i in re.split(r"[;\n]+", goods) if i.strip()):
                lead = re.match(r"(\d{4})\s*(.*)", item)
                cls = int(lead.group(1)[:2]) if lead else (classes[0] if len(classes) == 1 else None)
                rec.goods.append(MarkGoods(cls, lead.group(2) if lead and lead.group(2) else item, "zh"))

    @staticmethod
    def _parties(rec: TrademarkRecord, v: dict[str, str | None]) -> None:
        names = [n.strip() for n in re.split(r"[;；]", v.get("applicant") or "") if n.strip()]
        for i, n in enumerate(names):
            rec.parties.append(MarkParty(n, "applicant" if i == 0 else "co_applicant",
                                         v.get("address") if i == 0 else None))
        for n in re.split(r"[;；、]", v.get("co_applicants") or ""):
            if n.strip() and n.strip() not in names:
                rec.parties.append(MarkParty(n.strip(), "co_applicant"))
        if v.get("agent"):
            rec.parties.append(MarkParty(v["agent"] or "", "agent"))

    @staticmethod
    def _events(rec: TrademarkRecord, v: dict[str, str | None]) -> None:
        for item in (i.strip() for i in _ITEM.split(nfkc(v.get("events")) or "") if i.strip()):
            m = _DATE.search(item)
            when = None
            if m:
                try:
                    when = _date(m.group(0))
                except ValueError:
                    when = None
            text = (_DATE.sub("", item).strip(" -—:：,，") if m else item) or item
            meaning = event_meaning(text)
            rec.events.append(MarkEvent(when, None, text, meaning,
                                        None if meaning else f"no rule knows the event text {text[:60]!r}"))
        renewals = [e.event_date for e in rec.events if e.meaning == "renewal" and e.event_date]
        rec.renewal_date = max(renewals) if renewals else None


def _excerpt(row: list[Any]) -> str:
    return " | ".join("" if c is None else str(c) for c in row)[:300]


class _MarkTable(Ingester):
    priority = 35

    def records(self, columns: dict[str, int], rows: Iterable[tuple[str, list[Any] | Rejected]]) -> Iterator[Record]:
        reader = RowReader(columns)
        for position, row in rows:
            yield row if isinstance(row, Rejected) else reader.read(position, row)


class ChineseMarkCsv(_MarkTable):
    name = "tm-cn-csv"
    label = "Chinese trademark table (CNIPA 商标局 / 中国商标网 columns; CSV, UTF-8 or GB18030)"
    label_zh = "中文商标表（商标局/中国商标网字段，CSV）"

    def _header(self, source: Source) -> tuple[str, int, dict[str, int]] | None:
        for skip, line in enumerate(source.text_head().splitlines()[:_HEADER_SCAN]):
            delimiter = "\t" if line.count("\t") > line.count(",") else ","
            cells = next(iter(csvutil.text_rows(line, "excel-tab" if delimiter == "\t" else "excel")), [])
            found = match_header(cells)
            if found:
                return delimiter, skip, found
        return None

    def sniff(self, source: Source) -> bool:
        if source.suffix not in (".csv", ".tsv", ".txt"):
            return False
        try:
            return self._header(source) is not None
        except (UnicodeDecodeError, ValueError):
            return False

    def read(self, source: Source) -> Iterator[Record]:
        found = self._header(source)
        if found is None:
            yield Rejected("line 1", "no header with 申请/注册号 and 商标名称 or 类似群 in the first rows",
                           source.text_head(300), "header")
            return
        delimiter, skip, columns = found
        with source.open_text() as fh:
            records = csvutil.rows(fh, delimiter)
            for _ in range(skip + 1):
                next(records, None)
            rows = ((f"line {n}", r) for n, r in records if isinstance(r, Rejected) or any(c.strip() for c in r))
            yield from self.records(columns, rows)


class ChineseMarkSheet(_MarkTable):
    name = "tm-cn-xlsx"
    label = "Chinese trademark table (CNIPA 商标局 / 中国商标网 columns; XLSX or XLS)"
    label_zh = "中文商标表（商标局/中国商标网字段，Excel）"

    def _find(self, source: Source) -> tuple[str, int, dict[str, int]] | None:
        for sheet, rows in sheet_rows(source):
            for i, row in enumerate(rows):
                if i >= _HEADER_SCAN:
                    break
                found = match_header(row)
                if found:
                    return sheet, i, found
        return None

    def sniff(self, source: Source) -> bool:
        if source.suffix not in (".xlsx", ".xlsm", ".xls"):
            return False
        try:
            return self._find(source) is not None
        except Exception:  # noqa: BLE001 - an unreadable workbook is simply not this format
            return False

    def read(self, source: Source) -> Iterator[Record]:
        found = self._find(source)
        if found is None:
            yield Rejected("line 1", "no sheet has a header with 申请/注册号 and 商标名称 or 类似群 in its "
                           "first rows", "", "header")
            return
        sheet, skip, columns = found
        for name, rows in sheet_rows(source):
            if name == sheet:
                numbered = ((f"line {i + 1}", list(r)) for i, r in enumerate(rows)
                            if i > skip and any(c not in (None, "") and str(c).strip() for c in r))
                yield from self.records(columns, numbered)


INGESTERS = [ChineseMarkCsv, ChineseMarkSheet]
