"""The enterprise registry (企业登记信息) a user loads: the size of an applicant, for the signal volume_vs_size.

Layout (docs/monitoring.md "Enterprise registry", docs/formats.md): a CSV (UTF-8 or GB18030) or an Excel
workbook (.xlsx, the first sheet) with a header row; column names in Chinese or English, in any order:

==================  =====================================  ========  ==============================================
column              中文列名                               required  content
==================  =====================================  ========  ==============================================
``credit_code``     统一社会信用代码                       no        18 characters, GB 32100-2015 check digit verified
``name``            企业名称 (名称, 单位名称)              yes       the registered name
``founded``         成立日期                               no        2015-03-02, 2015/3/2, 2015年3月2日 or an Excel date
``capital``         注册资本                               no        500万人民币, 500万元, 500 (万元), 100万美元 …
``employees``       参保人数 (员工数, 员工人数, 人员规模)  no        a whole number; 小于50人 style ranges are not sizes
``address``         地址 (注册地址, 企业地址)              no        shown
``industry``        行业 (所属行业, 国标行业)              no        shown
``aliases``         曾用名                                 no        other names, separated by ``;`` or ``；``
==================  =====================================  ========  ==============================================

The capital is kept as written (``capital_raw``) and, when it is in yuan (人民币/元/no currency), as 万元
(``capital_wan``); another currency leaves ``capital_wan`` empty (never converted at a guessed rate). A row that
cannot be read is rejected with its line and reason; the rest load into the table ``enterprise_registry``
(migration 17), replacing the rows of an earlier load of the same file name.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from ipcockpit.model.names import normalise_name
from ipcockpit.signals.errors import SignalsError
from ipcockpit.strength.registry import credit_code_ok

COLUMNS: dict[str, tuple[str, ...]] = {
    "credit_code": ("credit_code", "统一社会信用代码", "信用代码", "社会信用代码"),
    "name": ("name", "企业名称", "名称", "单位名称", "公司名称"),
    "founded": ("founded", "成立日期", "成立时间"),
    "capital": ("capital", "registered_capital", "注册资本"),
    "employees": ("employees", "参保人数", "员工数", "员工人数", "人员规模", "社保人数"),
    "address": ("address", "地址", "注册地址", "企业地址", "住所"),
    "industry": ("industry", "行业", "所属行业", "国标行业"),
    "aliases": ("aliases", "曾用名"),
}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_CAPITAL = re.compile(r"^([\d,]+(?:\.\d+)?)\s*(亿|万)?\s*(元|人民币|人民币元|美元|港元|港币|欧元|日元)?$")
_FOREIGN = {"美元": "USD", "港元": "HKD", "港币": "HKD", "欧元": "EUR", "日元": "JPY"}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lstrip("\ufeff").lower()


def _cells(path: Path) -> list[list[Any]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    return [list(r) for r in csv.reader(io.StringIO(text))]


def parse_date(value: Any) -> date | None:
    """A founding date as registries write it; ValueError when it is none."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    m = _DATE.match(_fold(str(value)).replace(" ", ""))
    if not m:
        raise ValueError(f"founding date {value!r} is not a date (2015-03-02, 2015/3/2, 2015年3月2日)")
    return date(int(m[1]), int(m[2]), int(m[3]))


def parse_capital(value: Any) -> tuple[float | None, str | None]:
    """(capital in 万元 when in yuan, currency) of a written capital; ValueError when it is no amount."""
    if value is None or str(value).strip() in ("", "-", "--"):
        return None, None
    if isinstance(value, int | float):
        return float(value), "CNY"  # a bare number: 万元, as registries write it
    text = _fold(str(value)).replace(" ", "").replace("(", "").replace(")", "")
    m = _CAPITAL.match(text)
    if not m:
        raise ValueError(f"registered capital {value!r} is not an amount (500万人民币, 500万元, 100万美元)")
    amount = float(m[1].replace(",", ""))
    unit = m[2]
    if unit == "亿":
        amount *= 10_000
    elif unit is None and m[3] in ("元", "人民币元"):
        amount /= 10_000  # in yuan
    currency = _FOREIGN.get(m[3] or "", "CNY")
    return (amount if currency == "CNY" else None), currency


def parse_employees(value: Any) -> int | None:
    if value is None or str(value).strip() in ("", "-", "--"):
        return None
    text = _fold(str(value)).replace("人", "").replace(",", "")
    if not re.fullmatch(r"\d+(\.0+)?", text):
        raise ValueError(f"employees {value!r} is not a whole number (a range such as 小于50人 is not a size)")
    return int(float(text))


def read_registry(path: str | Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of a registry file (layout above) and the rejected ones (line, name, reason)."""
    p = Path(path)
    try:
        cells = _cells(p)
    except OSError as exc:
        raise SignalsError(f"{path}: cannot read the enterprise registry ({exc.strerror}); give a CSV or XLSX "
                           "file") from exc
    except Exception as exc:  # openpyxl's errors on a file that is not a workbook
        raise SignalsError(f"{path}: not a readable CSV or XLSX workbook ({exc})") from exc
    if not cells:
        raise SignalsError(f"{path}: the registry is empty; it needs a header row with 企业名称")
    header = [_fold(str(h or "")) for h in cells[0]]
    cols = {k: next((i for i, h in enumerate(header) if h in names), None) for k, names in COLUMNS.items()}
    if cols["name"] is None:
        raise SignalsError(f"{path}: no name column ({' / '.join(COLUMNS['name'])}); add it to the header")
    rows, rejected = [], []
    for line, raw in enumerate(cells[1:], start=2):
        if not any(str(c).strip() for c in raw if c is not None):
            continue
        v = {k: (raw[i] if i is not None and i < len(raw) else None) for k, i in cols.items()}
        name = str(v["name"] or "").strip()
        code = str(v["credit_code"] or "").strip().upper()
        try:
            if not name:
                raise ValueError("no name")
            if code and not credit_code_ok(code):
                raise ValueError(f"credit code {code!r} fails the GB 32100-2015 check digit")
            founded = parse_date(v["founded"])
            capital, currency = parse_capital(v["capital"])
            employees = parse_employees(v["employees"])
        except ValueError as exc:
            rejected.append({"line": line, "name": name, "reason": str(exc)})
            continue
        aliases = [a.strip() for a in re.split(r"[;；]", str(v["aliases"] or "")) if a.strip()]
        rows.append({"credit_code": code or None, "name": name, "name_norm": normalise_name(name),
                     "aliases": aliases, "alias_norms": [n for a in aliases if (n := normalise_name(a))],
                     "founded": founded, "capital_raw": None if v["capital"] is None else str(v["capital"]),
                     "capital_wan": capital, "currency": currency, "employees": employees,
                     "address": str(v["address"] or "").strip() or None,
                     "industry": str(v["industry"] or "").strip() or None, "file": p.name, "line": line})
    return rows, rejected


_COLS = ("credit_code", "name", "name_norm", "aliases", "alias_norms", "founded", "capital_raw", "capital_wan",
         "currency", "employees", "address", "industry", "file", "line")


def load_registry(con: duckdb.DuckDBPyConnection, path: str | Path) -> dict[str, Any]:
    """Read ``path`` and put its rows in ``enterprise_registry`` (replacing an earlier load of the same file
    name); ``{"file", "rows", "loaded", "rejected": [...]}``."""
    rows, rejected = read_registry(path)
    name = Path(path).name
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM enterprise_registry WHERE file = ?", [name])
        if rows:
            con.executemany(f"INSERT INTO enterprise_registry ({', '.join(_COLS)}, loaded_at) VALUES "
                            f"({', '.join('?' for _ in _COLS)}, current_timestamp)",
                            [[r[c] for c in _COLS] for r in rows])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return {"file": name, "rows": len(rows) + len(rejected), "loaded": len(rows), "rejected": rejected}


def registry_loaded(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM enterprise_registry").fetchone()[0])


def lookup(con: duckdb.DuckDBPyConnection, names: list[str]) -> dict[str, Any] | None:
    """The registry row whose name or former name folds to one of ``names`` (the first loaded), or None."""
    folded = [n for x in names if (n := normalise_name(x))]
    if not folded:
        return None
    cur = con.execute(f"SELECT {', '.join(_COLS)} FROM enterprise_registry WHERE list_contains(?, name_norm) "
                      "OR list_has_any(alias_norms, ?) ORDER BY file, line LIMIT 1", [folded, folded])
    row = cur.fetchone()
    if row is None:
        return None
    out = dict(zip(_COLS, row, strict=True))
    out.pop("alias_norms")
    return out


def listing(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cur = con.execute(f"SELECT {', '.join(_COLS)} FROM enterprise_registry ORDER BY file, line")
    return [dict(zip(_COLS, r, strict=True)) for r in cur.fetchall()]
