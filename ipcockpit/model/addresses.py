"""Addresses: Chinese addresses placed in GB/T 2260 divisions with the reasons; other addresses given their country.

:func:`enrich_address` fills what the raw text tells and the source left empty. A Chinese text ("402760 重庆市璧山区
璧泉街道...", "四川成都高新区...", "重慶市璧山區...", a bare postcode) is read by
:func:`ipcockpit.model.regions.reading.read_cn_address` into province, city, district, the GB/T 2260 code of the finest
level the text supports (``admin_code``) and the postcode, with ``country`` CN; ``admin_reason`` says why the code is
coarser than the text, came from a former name, or is missing (the keys are listed in the reading module and in
docs/region.md). Taiwan, Hong Kong and Macao written as divisions are read as the GB/T 2260 provinces 71, 81 and 82
(country CN, as CNIPA codes them); :func:`iso_country` still maps 台湾/香港/澳门 written as a country to TW/HK/MO.

Other addresses keep their text; ``country`` is filled when the text names one (:func:`iso_country`), and a missing
code gets its reason: ``foreign:XX`` (an address in country XX, also when written in Chinese: 美国明尼苏达州),
``empty`` (no address text), ``not_found`` (Chinese text naming no division and no postcode), ``no_country`` (text
naming neither a country nor a division). Each distinct text is read once (cached), so repeated addresses cost a
dictionary look-up.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from functools import cache, lru_cache

from ipcockpit.model.records import Address
from ipcockpit.model.regions.reading import Reading, parse_cn_address, read_cn_address
from ipcockpit.model.regions.table import Division, division, subdivisions, table

__all__ = ["REASON_KEYS", "Division", "clear_cache", "division", "enrich_address", "iso_country", "parse_cn_address",
           "read_cn_address", "reason_items", "subdivisions"]

# every key admin_reason may hold; each has its words in the catalogues as admin_reason.<key> with {value}
REASON_KEYS = ("former_name", "moved", "other_suffix", "zone", "districts_conflict", "no_district", "no_city",
               "ambiguous", "postcode_conflict", "postcode_chose", "postcode_only", "foreign", "empty", "not_found",
               "no_country")


def reason_items(admin_reason: str | None) -> list[tuple[str, str]]:
    """(key, value) of each part of an ``admin_reason`` ("former_name:璧山县;postcode_conflict:400000")."""
    if not admin_reason:
        return []
    return [(k, v) for k, _, v in (part.partition(":") for part in admin_reason.split(";"))]


# countries -----------------------------------------------------------------------------------
_ZH_EXTRA = {
    "美利坚合众国": "US", "美国": "US", "日本国": "JP", "韩国": "KR", "南韩": "KR", "大韩民国": "KR", "朝鲜": "KP",
    "英国": "GB", "德国": "DE", "法国": "FR", "俄罗斯": "RU", "俄罗斯联邦": "RU", "中国台湾": "TW", "台湾": "TW",
    "台湾省": "TW", "中国香港": "HK", "香港": "HK", "中国澳门": "MO", "澳门": "MO",
    "中华人民共和国": "CN", "中国": "CN",
    "荷兰": "NL", "瑞士": "CH", "瑞典": "SE", "意大利": "IT", "西班牙": "ES", "加拿大": "CA", "澳大利亚": "AU",
    "新加坡": "SG", "以色列": "IL", "印度": "IN", "芬兰": "FI", "丹麦": "DK", "奥地利": "AT", "比利时": "BE",
    "马耳他": "MT", "开曼群岛": "KY", "英属开曼群岛": "KY", "维尔京群岛": "VG", "百慕大群岛": "BM",
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


@lru_cache(maxsize=4096)
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
_BARE_POSTCODE = re.compile(r"^\s*(?:邮编[:：]?\s*)?\d{6}\s*$")


def _country_of_text(text: str) -> str | None:
    """The country an address names at its start (Chinese: 美国加利福尼亚州..., 美國...) or its end (..., Japan)."""
    t = unicodedata.normalize("NFKC", text).strip()
    head = _ZH_HEAD.match(t)
    if head:
        names = _country_names()
        words = head.group(0).translate(table().traditional)
        for n in range(min(len(words), 8), 1, -1):
            code = names.get(words[:n])
            if code:
                return code
        return None
    m = _TAIL.search(t)
    if m:
        return iso_country(re.sub(r"^\d+\s*", "", m.group(1)))
    return None


@lru_cache(maxsize=200_000)
def _read(raw: str, country: str | None) -> tuple[str | None, Reading | None]:
    """(the country the text names, the Chinese reading or None when the text is not read as Chinese)."""
    named = _country_of_text(raw)
    if country not in (None, "CN") or not (_CJK.search(raw) or _BARE_POSTCODE.match(raw)):
        return named, None
    reading = read_cn_address(raw)
    if reading.code and reading.from_text and named not in (None, "CN") and division(reading.code).level == 3:
        return named, None  # 日本国东京都港区: a county name inside a foreign address is not a Chinese division
    if reading.code and not reading.from_text and named not in (None, "CN"):
        return named, None  # a number in front of a foreign address is no Chinese postcode
    return named, reading


def clear_cache() -> None:
    """Forget every address text read so far (a benchmark measures first readings this way)."""
    _read.cache_clear()
    read_cn_address.cache_clear()
    parse_cn_address.cache_clear()


def enrich_address(address: Address) -> Address:
    """Fill what the raw text tells and the source left empty (``admin_reason`` included). Returns the same object.

    A Chinese address is read when the source gives no country or CN; a division found at province or prefecture
    level makes it Chinese even when the text also starts like a country name (中国台湾台北市 is 710000).
    """
    if address.country and len(address.country) != 2:
        address.country = iso_country(address.country) or address.country
    raw = address.raw
    if not raw or not raw.strip():
        if address.admin_code is None and address.admin_reason is None:
            address.admin_reason = _no_code_reason(address.country, None, empty=True)
        return address
    named, reading = _read(raw, address.country)
    if reading is not None and reading.code:
        address.country = "CN"
        address.province = address.province or reading.province
        address.city = address.city or reading.city
        address.district = address.district or reading.district
        if address.admin_code is None:
            address.admin_code = reading.code
            address.admin_reason = address.admin_reason or reading.reason
        address.postcode = address.postcode or reading.postcode
        return address
    if reading is not None and named is None:
        address.postcode = address.postcode or reading.postcode
    if not address.country and named:
        address.country = named
    if address.admin_code is None and address.admin_reason is None:
        address.admin_reason = _no_code_reason(address.country, reading, empty=False)
    return address


def _no_code_reason(country: str | None, reading: Reading | None, *, empty: bool) -> str:
    if country and country != "CN":
        return f"foreign:{country}"
    if empty:
        return "empty"
    if reading is not None:
        return reading.reason or "not_found"
    return "no_country"
