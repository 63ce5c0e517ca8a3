"""An enterprise registry extract (企业登记名录): the nature, industry, region and founding date of organisations.

Layout: a UTF-8 (or GB18030) CSV with a header; column names in English or Chinese, in any order:

==================  ====================  ========  ==================================================
column              中文列名              required  content
==================  ====================  ========  ==================================================
``credit_code``     统一社会信用代码      no        the 18-character unified social credit code (GB 32100-2015);
                                                    its check digit is verified
``name``            名称                  yes       the registered name
``nature``          性质                  yes       enterprise / university / institute / individual / government,
                                                    or 企业, 高校 (大学, 大专院校), 科研院所 (科研单位, 研究机构),
                                                    个人, 机关团体 (政府, 机关)
``industry``        行业                  no        the registry's industry (e.g. GB/T 4754 code or name), shown
``region``          地区                  no        a GB/T 2260 code, shown
``founded``         成立日期              no        YYYY-MM-DD (or YYYY), shown
``aliases``         曾用名                no        other names, separated by ``;`` or ``；``
==================  ====================  ========  ==================================================

A row matches an organisation when its name or an alias folds (ipcockpit.model.names.normalise_name) to one of
the organisation's folded names. Rows that cannot be read are kept in ``rejected`` with the line and the reason;
two rows that fold to the same name with different natures are both rejected (the registry contradicts itself).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipcockpit.errors import IPCockpitError
from ipcockpit.model.names import normalise_name


class RegistryError(IPCockpitError):
    """A registry file that cannot be read at all (missing, no header, no name or nature column)."""


COLUMNS = {
    "credit_code": ("credit_code", "统一社会信用代码", "信用代码"),
    "name": ("name", "名称", "企业名称", "单位名称"),
    "nature": ("nature", "性质", "单位性质"),
    "industry": ("industry", "行业", "所属行业"),
    "region": ("region", "地区", "行政区划代码"),
    "founded": ("founded", "成立日期"),
    "aliases": ("aliases", "曾用名"),
}
NATURE_WORDS = {
    "enterprise": "enterprise", "企业": "enterprise", "公司": "enterprise",
    "university": "university", "高校": "university", "大学": "university", "大专院校": "university",
    "institute": "institute", "科研院所": "institute", "科研单位": "institute", "研究机构": "institute",
    "individual": "individual", "个人": "individual",
    "government": "government", "机关团体": "government", "政府": "government", "机关": "government",
}
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def credit_code_ok(code: str) -> bool:
    """Whether ``code`` is a unified social credit code with the right check digit (GB 32100-2015)."""
    code = code.strip().upper()
    if len(code) != 18 or any(c not in _CODE_CHARS for c in code):
        return False
    total = sum(_CODE_CHARS.index(c) * w for c, w in zip(code[:17], _CODE_WEIGHTS, strict=True))
    return _CODE_CHARS[(31 - total % 31) % 31] == code[17]


@dataclass
class Registry:
    """A loaded registry: rows by folded name, and the rows that were rejected."""

    path: str
    by_name: dict[str, dict[str, Any]] = field(default_factory=dict)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0

    def match(self, folded_names: list[str]) -> dict[str, Any] | None:
        """The registry row of the first of ``folded_names`` it holds (with ``matched``: that name)."""
        for n in folded_names:
            row = self.by_name.get(n)
            if row is not None:
                return {**row, "matched": n}
        return None

    def summary(self) -> dict[str, Any]:
        return {"file": self.path, "rows": self.rows, "names": len(self.by_name), "rejected": self.rejected}


def _column(header: list[str], key: str) -> int | None:
    for i, h in enumerate(header):
        if h.strip().lstrip("\ufeff").lower() in COLUMNS[key]:
            return i
    return None


def _text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_rows(path: str | Path) -> Iterator[tuple[int, dict[str, str], str | None, list[str]]]:
    """Each non-empty row of a registry CSV of the layout above: its line, its cells by column key, why it
    cannot be read (None when it can) and its names (the registered name, then the aliases). Organisation
    resolution reads the same rows (ipcockpit.entities.org_registry)."""
    p = Path(path)
    try:
        text = _text(p)
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the registry file ({exc.strerror}); give the path of a CSV") from exc
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise RegistryError(f"{path}: the registry file is empty; it needs a header with name and nature")
    cols = {k: _column(header, k) for k in COLUMNS}
    for need in ("name", "nature"):
        if cols[need] is None:
            raise RegistryError(f"{path}: no {need} column ({' / '.join(COLUMNS[need])}); add it to the header")
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        row = {k: (cells[i].strip() if i is not None and i < len(cells) else "") for k, i in cols.items()}
        nature = NATURE_WORDS.get(row["nature"].lower()) or NATURE_WORDS.get(row["nature"])
        reason = None
        if not row["name"]:
            reason = "no name"
        elif nature is None:
            reason = f"nature {row['nature']!r} is not one of {', '.join(sorted(set(NATURE_WORDS.values())))}"
        elif row["credit_code"] and not credit_code_ok(row["credit_code"]):
            reason = f"credit code {row['credit_code']!r} fails the GB 32100-2015 check digit"
        elif row["founded"] and not _DATE.match(row["founded"]):
            reason = f"founded {row['founded']!r} is not YYYY-MM-DD"
        row["nature"] = nature or row["nature"]
        names = [row["name"], *[a.strip() for a in re.split(r"[;；]", row["aliases"]) if a.strip()]]
        yield line, row, reason, names


def load_registry(path: str | Path) -> Registry:
    """Read a registry CSV of the layout above."""
    reg = Registry(str(path))
    seen: dict[str, dict[str, Any]] = {}
    contradicted: set[str] = set()
    for line, row, reason, names in read_rows(path):
        reg.rows += 1
        if reason:
            reg.rejected.append({"line": line, "name": row["name"], "reason": reason})
            continue
        nature = row["nature"]
        entry = {"credit_code": row["credit_code"].upper() or None, "name": row["name"], "nature": nature,
                 "industry": row["industry"] or None, "region": row["region"] or None,
                 "founded": row["founded"] or None, "file": str(path), "line": line}
        for n in names:
            folded = normalise_name(n)
            if not folded:
                continue
            other = seen.get(folded)
            if other is not None and other["nature"] != nature:
                contradicted.add(folded)
            seen.setdefault(folded, entry)
    for folded, entry in seen.items():
        if folded in contradicted:
            reg.rejected.append({"line": entry["line"], "name": entry["name"],
                                 "reason": f"another row with the name {folded!r} gives another nature"})
        else:
            reg.by_name[folded] = entry
    return reg
