"""The GB/T 2260 division table and every name an address may use for a division, read once from data files.

Data files (``ipcockpit/model/data``), each naming its source in its header:
- ``gbt2260.csv``: today's divisions at province, prefecture and county level.
- ``gbt2260_history.csv``: former names with today's code (璧山县 → 500120). A former name is matched only inside
  its former or today's parent, so 双桥区 after 重庆市 is today's 大足区 while 双桥区 alone is 承德's 双桥区.
- ``gbt2260_zones.csv``: zones written where a district would be that are not divisions (北部新区, 万盛经开区), with
  how far each places an address.
- ``postcode_provinces.csv``: the province of a postcode by its first two digits.
- ``traditional_chars.csv``: the traditional forms of the characters those names use, for reading 重慶市璧山區.

When two divisions match the same length of text, the kind of name decides: a full name of today (rank 3) before a
former name (2) before a short form followed by a suffix of its level (1: 成都市, 阿坝州, and 璧山县 for 璧山区) before
a bare short form (0: 重庆, 成都). 江北县 is therefore the former name of 渝北区, not 江北区 with a county suffix.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

MUNICIPALITIES = ("11", "12", "31", "50")
PROVINCE_SHORT = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古", "21": "辽宁", "22": "吉林",
    "23": "黑龙江", "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西",
    "37": "山东", "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏", "61": "陕西", "62": "甘肃",
    "63": "青海", "64": "宁夏", "65": "新疆", "71": "台湾", "81": "香港", "82": "澳门",
}
_ETHNIC = (
    "蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|高山|拉祜|水|东乡|纳西|"
    "景颇|柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|乌孜别克|俄罗斯|鄂温克|德昂|"
    "保安|裕固|京|塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|基诺|各"
)
_AUTONOMOUS = re.compile(rf"(?:(?:{_ETHNIC})族?)+自治(州|县|旗)$")
SUFFIXES = ("特别行政区", "自治区", "新区", "地区", "林区", "省", "市", "区", "县", "旗", "盟")

FULL, FORMER, SHORT_SUFFIXED, SHORT = 3, 2, 1, 0


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name: str
    level: int = field(init=False, compare=False)  # 1 province, 2 prefecture, 3 county

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", 1 if self.code.endswith("0000") else 2 if self.code.endswith("00") else 3)


@dataclass(frozen=True, slots=True)
class Alias:
    """A name an address may use for ``division``: ``kind`` FULL, FORMER or SHORT (a suffix may follow it);
    ``within``: the codes whose parents scope the name (today's code; a former name adds its former code)."""

    text: str
    division: Division
    kind: int
    within: tuple[str, ...]
    moved: bool = False  # a history row keeping today's name: the division moved to another prefecture

    def inside(self, parent: str) -> bool:
        within = self.within
        return within[0].startswith(parent) or (len(within) > 1 and within[1].startswith(parent))


@dataclass(frozen=True, slots=True)
class Zone:
    name: str
    within: str  # the code prefix of the division whose addresses may name the zone ("50")
    division: Division  # how far the zone alone places an address
    note: str


@dataclass(frozen=True, slots=True)
class Table:
    by_code: dict[str, Division]
    aliases: dict[tuple[str, int], list[Alias]]  # (first two characters, level) -> aliases, longest first
    zones: list[Zone]  # longest name first
    postcode_provinces: dict[str, str]  # first two digits -> province code
    traditional: dict[int, str]  # str.translate table, traditional -> simplified
    parents: frozenset[str]  # codes of the divisions that have divisions below them in the table


def _short_forms(div: Division) -> list[str]:
    name = div.name
    out = []
    if div.level == 1:
        out.append(PROVINCE_SHORT.get(div.code[:2], name))
    m = _AUTONOMOUS.search(name)
    if m:
        stem = name[: m.start()]
        if len(stem) >= 2:
            out.append(stem)
            if m.group(1) == "州":
                out.append(stem + "州")
    else:
        for suffix in SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                out.append(name[: -len(suffix)])
                break
    return [s for s in dict.fromkeys(out) if s != name]


def _prefix(div: Division) -> str:
    """The code prefix the divisions inside ``div`` share ("50" for 重庆市, "5101" for 成都市)."""
    return div.code[:2] if div.level == 1 else div.code[:4] if div.level == 2 else div.code


def _rows(name: str) -> list[dict[str, str]]:
    ref = resources.files("ipcockpit.model").joinpath(f"data/{name}")
    with ref.open("r", encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


@cache
def table() -> Table:
    by_code = {r["code"]: Division(r["code"], r["name"]) for r in _rows("gbt2260.csv")}
    aliases: dict[tuple[str, int], list[Alias]] = {}

    def add(alias: Alias) -> None:
        aliases.setdefault((alias.text[:2], alias.division.level), []).append(alias)

    for div in by_code.values():
        add(Alias(div.name, div, FULL, (div.code,)))
        for short in _short_forms(div):
            add(Alias(short, div, SHORT, (div.code,)))
    for r in _rows("gbt2260_history.csv"):
        div = by_code[r["code"]]
        within = (r["former_code"], div.code) if r["former_code"] else (div.code,)
        add(Alias(r["former_name"], div, FORMER, within, moved=r["former_name"] == div.name))
    for entries in aliases.values():
        entries.sort(key=lambda a: (-len(a.text), -a.kind, a.division.code))
    zones = [Zone(r["name"], _prefix(by_code[r["within"]]), by_code[r["code"]], r["note"])
             for r in _rows("gbt2260_zones.csv")]
    zones.sort(key=lambda z: -len(z.name))
    postcodes = {r["prefix"]: r["province"] for r in _rows("postcode_provinces.csv")}
    traditional = str.maketrans({r["traditional"]: r["simplified"] for r in _rows("traditional_chars.csv")})
    parents = frozenset(
        p for code in by_code for p in (code[:2] + "0000", code[:4] + "00") if p != code and p in by_code)
    return Table(by_code, aliases, zones, postcodes, traditional, parents)


def division(code: str) -> Division | None:
    """The GB/T 2260 division of a six-digit code, or None."""
    return table().by_code.get(code)


def subdivisions(code: str) -> list[Division]:
    """The divisions directly below ``code``, by code: a prefecture's counties; a province's prefectures and the
    county-level cities it administers itself (济源市 419001); a municipality's districts and counties."""
    div = division(code)
    if div is None or div.level == 3:
        return []
    by_code = table().by_code
    if div.level == 2:
        return sorted((d for d in by_code.values() if d.level == 3 and d.code[:4] == code[:4]), key=lambda d: d.code)
    municipal = code[:2] in MUNICIPALITIES
    return sorted((d for d in by_code.values() if d.code[:2] == code[:2] and d.code != code and (
        d.level == 2 or (d.level == 3 and (municipal or d.code[:4] + "00" not in by_code)))), key=lambda d: d.code)
