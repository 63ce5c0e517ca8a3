"""Addresses: Chinese addresses parsed to province, city and district with GB/T 2260 codes; countries to ISO.

:func:`enrich_address` reads the raw text of a Chinese address ("402760 重庆市璧山区璧泉街道...",
"四川成都高新区...", "北京市海淀区...") into province, city, district, the GB/T 2260 six-digit code of the
finest level found (``admin_code``) and the postcode, and sets ``country`` to ``CN``. Other addresses
keep their text; only ``country`` is filled when the text names one (:func:`iso_country`).

The code table ``data/gbt2260.csv`` (3,210 divisions; its first line names its source) is read once.
Parsing walks the levels from the left: province, then a prefecture of that province, then a county
of the prefecture (or of the province when the prefecture is left out); a text that starts below the
province level ("成都市武侯区", "璧山区...") is matched against all prefectures, then all counties, and
is kept only when the name is unique. Short forms ("重庆", "成都", "阿坝州", "璧山") are accepted, and a
former suffix (璧山县 for today's 璧山区) still finds the division. Development zones (高新区, 郑东新区)
are not GB/T 2260 divisions: such an address stops at the prefecture. Municipalities (北京, 天津, 上海,
重庆) have no prefecture level: their ``city`` repeats the province name. Taiwan, Hong Kong and Macao
addresses written as divisions are read as the GB/T 2260 provinces 71, 81 and 82 (country CN, as
CNIPA codes them); :func:`iso_country` still maps 台湾/香港/澳门 written as a country to TW/HK/MO.
"""

from __future__ import annotations

import csv
import gettext
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from ipcockpit.model.records import Address

_MUNICIPALITIES = ("11", "12", "31", "50")
_PROVINCE_SHORT = {
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
_SUFFIXES = ("特别行政区", "自治区", "新区", "地区", "林区", "省", "市", "区", "县", "旗", "盟")
# suffixes a short form may carry at each level (an informal or former one: 成都市, 阿坝州, 璧山县)
_LEVEL_SUFFIXES = {1: ("省", "市"), 2: ("地区", "市", "州", "盟"), 3: ("区", "县", "市", "旗")}
# after a short form, these characters mean the word goes on as a street or place name, not a division
_STREET = set("路街道巷弄号桥村镇乡园里湾口门") | set("0123456789")
_POSTCODE = re.compile(r"^\s*(?:邮编[:：]?\s*)?(\d{6})(?!\d)[\s,，]*")
_COUNTRY_PREFIX = re.compile(r"^(?:中华人民共和国|中国)(?![人石])")
_SPACE = re.compile(r"[\s\u3000]+")


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name: str

    @property
    def level(self) -> int:
        """1 province, 2 prefecture, 3 county."""
        return 1 if self.code.endswith("0000") else 2 if self.code.endswith("00") else 3


@dataclass(frozen=True, slots=True)
class _Table:
    by_code: dict[str, Division]
    aliases: dict[str, list[tuple[str, Division]]]  # first two characters -> (alias, division), longest first


def _aliases(div: Division) -> list[str]:
    name = div.name
    out = [name]
    if div.level == 1:
        out.append(_PROVINCE_SHORT.get(div.code[:2], name))
    m = _AUTONOMOUS.search(name)
    if m:
        stem = name[: m.start()]
        if len(stem) >= 2:
            out.append(stem)
            if m.group(1) == "州":
                out.append(stem + "州")
    else:
        for suffix in _SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                out.append(name[: -len(suffix)])
                break
    return list(dict.fromkeys(out))


@cache
def _table() -> _Table:
    ref = resources.files("ipcockpit.model").joinpath("data/gbt2260.csv")
    with ref.open("r", encoding="utf-8") as fh:
        rows = [line for line in fh if not line.startswith("#")]
    by_code = {r["code"]: Division(r["code"], r["name"]) for r in csv.DictReader(rows)}
    aliases: dict[str, list[tuple[str, Division]]] = {}
    for div in by_code.values():
        for alias in _aliases(div):
            aliases.setdefault(alias[:2], []).append((alias, div))
    for entries in aliases.values():
        entries.sort(key=lambda e: (-len(e[0]), e[1].code))
    return _Table(by_code, aliases)


def division(code: str) -> Division | None:
    """The GB/T 2260 division of a six-digit code, or None."""
    return _table().by_code.get(code)


def _matches(text: str, level: int, parent: str) -> list[tuple[int, Division]]:
    """Divisions of ``level`` under the code prefix ``parent`` whose name or short form starts ``text``,
    with the length of text consumed; the longest alias wins for each division."""
    found: dict[str, tuple[int, Division]] = {}
    for alias, div in _table().aliases.get(text[:2], ()):
        if div.level != level or not div.code.startswith(parent) or not text.startswith(alias):
            continue
        used = len(alias)
        if alias != div.name:
            rest = text[used:]
            suffix = next((s for s in _LEVEL_SUFFIXES[level] if rest.startswith(s)), None)
            if suffix:
                used += len(suffix)
            elif rest[:1] in _SUFFIXES or rest[:2] in _SUFFIXES:
                continue  # "朝阳区" is not 朝阳市
            elif rest[:1] in _STREET and level == 3:
                continue  # "和平路" is a street, not 和平区
        if div.code not in found or found[div.code][0] < used:
            found[div.code] = (used, div)
    return sorted(found.values(), key=lambda f: -f[0])


def _unique(hits: list[tuple[int, Division]]) -> tuple[int, Division] | None:
    if not hits:
        return None
    best = [h for h in hits if h[0] == hits[0][0]]
    return best[0] if len(best) == 1 else None


@lru_cache(maxsize=200_000)
def parse_cn_address(raw: str) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    """(province, city, district, admin_code, postcode) of a Chinese address; Nones when nothing is found."""
    text = unicodedata.normalize("NFKC", raw)
    postcode = None
    m = _POSTCODE.match(text)
    if m:
        postcode = m.group(1)
        text = text[m.end():]
    text = _SPACE.sub("", text)
    text = _COUNTRY_PREFIX.sub("", text)
    province = city = county = None
    hit = _unique(_matches(text, 1, ""))
    if hit:
        used, province = hit
        text = text[used:]
        if province.code[:2] in _MUNICIPALITIES:
            text = re.sub(r"^(?:市辖区|市辖县|县)", "", text)
            if text.startswith(province.name):  # "重庆市重庆市璧山区"
                text = text[len(province.name):]
    prefix = province.code[:2] if province else ""
    if not province or province.code[:2] not in _MUNICIPALITIES:
        hit = _unique(_matches(text, 2, prefix))
        if hit:
            used, city = hit
            text = text[used:]
            prefix = city.code[:4]
    if len(text) >= 2:
        hit = _unique(_matches(text, 3, prefix))
        if hit:
            county = hit[1]
    finest = county or city or province
    if finest is None:
        return None, None, None, None, postcode
    by_code = _table().by_code
    code = finest.code
    prov = by_code.get(code[:2] + "0000")
    pref = by_code.get(code[:4] + "00") if finest.level >= 2 else None
    city_name = pref.name if pref else (prov.name if prov and code[:2] in _MUNICIPALITIES else None)
    district = county.name if county else None
    return (prov.name if prov else None), city_name, district, code, postcode


# countries -----------------------------------------------------------------------------------
_ZH_EXTRA = {
    "美利坚合众国": "US", "美国": "US", "日本国": "JP", "韩国": "KR", "南韩": "KR", "大韩民国": "KR", "朝鲜": "KP",
    "英国": "GB", "德国": "DE", "法国": "FR", "俄罗斯": "RU", "俄罗斯联邦": "RU", "中国台湾": "TW", "台湾": "TW",
    "台湾省": "TW", "中国香港": "HK", "香港": "HK", "中国澳门": "MO", "澳门": "MO",
    "中华人民共和国": "CN", "中国": "CN",
    "荷兰": "NL", "瑞士": "CH", "瑞典": "SE", "意大利": "IT", "西班牙": "ES", "加拿大": "CA", "澳大利亚": "AU",
    "新加坡": "SG", "以色列": "IL", "印度": "IN", "芬兰": "FI", "丹麦": "DK", "奥地利": "AT", "比利时": "BE",
}
_EN_EXTRA = {
    "usa": "US", "u s a": "US", "united states of america": "US", "us": "US", "uk": "GB", "great britain": "GB",
    "england": "GB", "korea": "KR", "south korea": "KR", "republic of korea": "KR", "taiwan": "TW",
    "russia": "RU", "the netherlands": "NL", "holland": "NL", "p r china": "CN", "pr china": "CN", "prc": "CN",
    "vietnam": "VN", "iran": "IR", "czech republic": "CZ",
}


@cache
def _country_names() -> dict[str, str]:
    import pycountry

    names: dict[str, str] = {}
    try:
        zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    except OSError:  # pragma: no cover - locale files missing from a trimmed install
        zh = None
    for c in pycountry.countries:
        a2 = c.alpha_2
        names[a2.lower()] = a2
        names[c.alpha_3.lower()] = a2
        for attr in ("name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                names[_fold_en(value)] = a2
        if zh is not None:
            names[zh.gettext(c.name)] = a2
    names.update(_ZH_EXTRA)
    names.update(_EN_EXTRA)
    return names


def _fold_en(text: str) -> str:
    return re.sub(r"[^\w]+", " ", unicodedata.normalize("NFKC", text).lower()).strip()


def iso_country(text: str | None) -> str | None:
    """ISO 3166-1 alpha-2 of a country written as a code (CN, CHN), an English or a Chinese name; else None.

    Office codes that are not countries (EP, WO, EA ...) give None.
    """
    if not text:
        return None
    t = unicodedata.normalize("NFKC", text).strip()
    if not t:
        return None
    names = _country_names()
    return names.get(t) or names.get(_fold_en(t))


_TAIL = re.compile(r"[,;，；(（]\s*([^,;，；()（）]+?)\s*[)）]?\s*$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_ZH_HEAD = re.compile(r"^[\u4e00-\u9fff]{2,12}")


def _country_of_text(text: str) -> str | None:
    """The country an address names at its start (Chinese: 美国加利福尼亚州...) or its end (Latin: ..., Japan)."""
    t = unicodedata.normalize("NFKC", text).strip()
    head = _ZH_HEAD.match(t)
    if head:
        names = _country_names()
        for n in range(min(len(head.group(0)), 8), 1, -1):
            code = names.get(head.group(0)[:n])
            if code:
                return code
        return None
    m = _TAIL.search(t)
    if m:
        return iso_country(re.sub(r"^\d+\s*", "", m.group(1)))
    return None


def enrich_address(address: Address) -> Address:
    """Fill what the raw text tells and the source left empty. Returns the same object.

    A Chinese address is parsed when the source gives no country or CN; a division found at province
    or prefecture level makes it Chinese even when the text also starts like a country name.
    """
    if address.country and len(address.country) != 2:
        address.country = iso_country(address.country) or address.country
    raw = address.raw
    if not raw or not raw.strip():
        return address
    named = _country_of_text(raw)
    if _CJK.search(raw) and address.country in (None, "CN"):
        province, city, district, code, postcode = parse_cn_address(raw)
        found = division(code) if code else None
        if found and (named in (None, "CN") or found.level <= 2):
            address.country = "CN"
            address.province = address.province or province
            address.city = address.city or city
            address.district = address.district or district
            address.admin_code = address.admin_code or code
            address.postcode = address.postcode or postcode
            return address
        if named is None and code is None and postcode:
            address.postcode = address.postcode or postcode
    if not address.country and named:
        address.country = named
    return address
