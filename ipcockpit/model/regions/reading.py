"""Chinese address text read into the GB/T 2260 division of the finest level the text supports, with the reasons.

The text is normalised for matching only (the raw text is kept by the caller): NFKC (full-width digits and brackets),
traditional characters of division names to simplified (重慶市璧山區 → 重庆市璧山区), a leading six-digit postcode
taken off, spaces and a leading 中国/中华人民共和国 dropped. Then the levels are walked from the left: province, a
prefecture of that province, a county of the prefecture (or of the province when the prefecture is left out). A text
that starts below the province (璧山区..., 成都市武侯区) is matched against every prefecture, then every county, and is
kept only when one division fits. Municipalities (北京, 天津, 上海, 重庆) have no prefecture level.

Rules, each leaving its key in ``reasons`` (joined with ``;`` into ``admin_reason``):
- ``former_name:NAME`` — a former name (璧山县, 开县, 双桥区 after 重庆) gives today's code (data/gbt2260_history.csv);
  ``moved:NAME`` — the division kept its name but moved to another prefecture (资阳市简阳市 → 成都市简阳市).
- ``other_suffix:NAME`` — a short name with another level's suffix (X县 for today's X区) not in the history table.
- ``zone:NAME`` — a zone that is not a division where the district would be (北部新区, 高新区, 万盛经开区): the code
  stops where the zone's entry in data/gbt2260_zones.csv says (the city, or the district whose former area it is);
  any other "...新区/开发区/工业园区/新城" after a city stops at the city.
- ``districts_conflict:A|B`` — the text names two different districts in a row (重庆市万州区永川区): the city only.
- ``no_district`` / ``no_city`` — the text names nothing below the city / province that the table knows.
- ``ambiguous:NAME(CODE|CODE)`` — the first name fits several divisions (朝阳区: 北京 or 长春) and nothing decides.
- Postcodes are evidence, not truth: ``postcode_conflict:PC`` when the postcode's province (data/postcode_provinces.csv)
  is not the text's (the text wins); ``postcode_chose:PC`` when it picks one of several divisions the text fits;
  ``postcode_only:PC`` when the text names no division at all: the postcode's province, never finer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ipcockpit.model.regions.table import (
    FORMER,
    FULL,
    MUNICIPALITIES,
    SHORT,
    SHORT_SUFFIXED,
    SUFFIXES,
    Alias,
    Division,
    table,
)

# suffixes a short form may carry at each level (an informal or former one: 成都市, 阿坝州, 璧山县)
_LEVEL_SUFFIXES = {1: ("省", "市"), 2: ("地区", "市", "州", "盟"), 3: ("区", "县", "市", "旗")}
# after a short form, these characters mean the word goes on as a street or place name, not a division
_STREET = set("路街道巷弄号桥村镇乡园里湾口门") | set("0123456789")
_POSTCODE = re.compile(r"^\s*(?:邮编[:：]?\s*)?(\d{6})(?!\d)[\s,，]*")
_COUNTRY_PREFIX = re.compile(r"^(?:中华人民共和国|中国)(?![人石])")
_SPACE = re.compile(r"[\s\u3000]+")
_MUNICIPAL_FILLER = re.compile(r"^(?:市辖区|市辖县|县)")
_UNKNOWN_PREFECTURE = re.compile(r"^[\u4e00-\u9fff]{1,4}?(?:州|地区|盟)")
_FREE_TRADE_ZONE = re.compile(r"(?:中国)?\(([\u4e00-\u9fff]{2,3})\)自由贸易试验区")
# a zone named by its ending where a district would be: stop at the city and say so
_ZONE = re.compile(r"^[\u4e00-\u9fff]{0,10}?(?:自由贸易试验区|高新技术产业开发区|经济技术开发区|高新区|经开区|"
                   r"开发区|新区|工业园区|产业园区|工业园|产业园|科技园|保税区|新城)")
_SAR_TW = ("71", "81", "82")


@dataclass(frozen=True, slots=True)
class Reading:
    province: str | None = None
    city: str | None = None
    district: str | None = None
    code: str | None = None
    postcode: str | None = None
    reasons: tuple[str, ...] = ()
    from_text: bool = False  # the code comes from the text (not from the postcode alone)

    @property
    def reason(self) -> str | None:
        return ";".join(self.reasons) or None


@dataclass(frozen=True, slots=True)
class _Hit:
    used: int  # characters of text consumed
    rank: int  # FULL, FORMER, SHORT_SUFFIXED, SHORT
    alias: Alias
    written: str  # the text as written, suffix included

    @property
    def division(self) -> Division:
        return self.alias.division


def _matches(text: str, level: int, parent: str) -> list[_Hit]:
    """Divisions of ``level`` under the code prefix ``parent`` that a name at the start of ``text`` names, the best
    name of each division only, best first (longest text, then the kind of name)."""
    found: dict[str, _Hit] = {}
    for alias in table().aliases.get((text[:2], level), ()):
        if not text.startswith(alias.text) or not alias.inside(parent):
            continue
        div = alias.division
        used, rank = len(alias.text), alias.kind
        if rank == SHORT:
            rest = text[used:]
            suffix = next((s for s in _LEVEL_SUFFIXES[level] if rest.startswith(s)), None)
            if suffix:
                used += len(suffix)
                rank = SHORT_SUFFIXED
            elif rest[:1] in SUFFIXES or rest[:2] in SUFFIXES:
                continue  # "朝阳区" is not 朝阳市
            elif rest[:1] in _STREET and level == 3:
                continue  # "和平路" is a street, not 和平区
        best = found.get(div.code)
        if best is None or (best.used, best.rank) < (used, rank):
            found[div.code] = _Hit(used, rank, alias, text[:used])
    return sorted(found.values(), key=lambda h: (-h.used, -h.rank, h.division.code))


class _Walk:
    """One reading in progress: the text left, the postcode's province, the reasons so far."""

    def __init__(self, text: str, postcode: str | None) -> None:
        self.text = text
        self.postcode = postcode
        self.pc_province = table().postcode_provinces.get(postcode[:2]) if postcode else None
        self.reasons: list[str] = []
        self.ambiguous: str | None = None

    def step(self, level: int, parent: str) -> _Hit | None:
        hits = _matches(self.text, level, parent)
        if not hits:
            return None
        best = [h for h in hits if (h.used, h.rank) == (hits[0].used, hits[0].rank)]
        if len(best) == 1:
            return best[0]
        if self.pc_province:
            narrowed = [h for h in best if h.division.code[:2] == self.pc_province[:2]]
            if len(narrowed) == 1:
                self.reasons.append(f"postcode_chose:{self.postcode}")
                return narrowed[0]
        if self.ambiguous is None:
            self.ambiguous = f"ambiguous:{best[0].written}({'|'.join(h.division.code for h in best)})"
        return None

    def skip(self, name: str) -> None:
        if self.text.startswith(name):
            self.text = self.text[len(name):]

    def skip_unknown_prefecture(self, prefix: str) -> None:
        """Pass over a prefecture abbreviation the table does not know (巴州 for 巴音郭楞蒙古自治州) when one county
        of the province is written in full right after it."""
        m = _UNKNOWN_PREFECTURE.match(self.text)
        if m:
            rest = self.text[m.end():]
            hits = [h for h in _matches(rest, 3, prefix) if h.rank == FULL]
            if len(hits) == 1:
                self.text = rest

    def take(self, hit: _Hit) -> Division:
        self.text = self.text[hit.used:]
        if hit.rank == FORMER:
            self.reasons.append(f"{'moved' if hit.alias.moved else 'former_name'}:{hit.written}")
        elif hit.rank == SHORT_SUFFIXED:
            own = hit.division.name[-1]
            if own in "区县市旗" and own != hit.written[-1]:
                self.reasons.append(f"other_suffix:{hit.written}")
        return hit.division


def _same_city(a: Division, b: Division) -> bool:
    """Both in one prefecture (one municipality: its districts and counties have no prefecture between)."""
    return a.code[:2] == b.code[:2] if a.code[:2] in MUNICIPALITIES else a.code[:4] == b.code[:4]


def _conflict(walk: _Walk, county: Division, repeated: tuple[str, ...], parent: str) -> str | None:
    """The name of another county of the same city written right after ``county`` (after a repeated province or
    city name), if any. Only full or former names count, so a street named like a county's short form is not a
    conflict, and a county name of another city is taken for a place name (陕西省韩城市新城区: 西安 has the
    新城区)."""
    rest = walk.text
    for name in repeated:
        if name and rest.startswith(name):
            rest = rest[len(name):]
    for hit in _matches(rest, 3, parent):
        if hit.rank >= FORMER and hit.division.code != county.code and _same_city(hit.division, county):
            return hit.written
    return None


@lru_cache(maxsize=200_000)
def read_cn_address(raw: str) -> Reading:
    """Read a Chinese address text (see the module's rules). A text naming no division gives a Reading whose ``code``
    is None, or the postcode's province with ``postcode_only``."""
    t = table()
    text = unicodedata.normalize("NFKC", raw).translate(t.traditional)
    postcode = None
    m = _POSTCODE.match(text)
    if m:
        postcode = m.group(1)
        text = text[m.end():]
    text = _SPACE.sub("", text)
    text = _FREE_TRADE_ZONE.sub(r"\1自由贸易试验区", text)  # 中国(上海)自由贸易试验区... → 上海自由贸易试验区...
    text = _COUNTRY_PREFIX.sub("", text)
    walk = _Walk(text, postcode)
    province = city = county = None
    hit = walk.step(1, "")
    if hit:
        province = walk.take(hit)
        if province.code[:2] in MUNICIPALITIES:
            walk.text = _MUNICIPAL_FILLER.sub("", walk.text)
            walk.skip(province.name)  # "重庆市重庆市璧山区"
    prefix = province.code[:2] if province else ""
    if not province or province.code[:2] not in MUNICIPALITIES:
        hit = walk.step(2, prefix)
        if hit:
            city = walk.take(hit)
            walk.skip(city.name)  # "河南省新乡市新乡市高新区"
            prefix = city.code[:4]
        elif province:
            walk.skip_unknown_prefecture(prefix)  # "新疆维吾尔自治区巴州库尔勒市": 巴州 is no name the table knows
    if len(walk.text) >= 2:
        hit = walk.step(3, prefix)
        if hit:
            written = hit.written
            county = walk.take(hit)
            other = _conflict(walk, county, (province.name if province else "", city.name if city else ""), prefix)
            if other:
                walk.reasons = [r for r in walk.reasons if not r.endswith(":" + written)]
                walk.reasons.append(f"districts_conflict:{written}|{other}")
                county = None
    finest = county or city or province
    if finest is not None and county is None:
        county = _zone(walk, finest, prefix)
        finest = county or finest
    return _result(walk, finest, county)


def _zone(walk: _Walk, finest: Division, prefix: str) -> Division | None:
    """The county a zone or the text after it places the address in, if any; says why the code stops above."""
    if any(r.startswith("districts_conflict:") for r in walk.reasons):
        return None
    for zone in table().zones:
        if prefix.startswith(zone.within) and walk.text.startswith(zone.name):
            walk.text = walk.text[len(zone.name):]
            if zone.division.level == 3:
                walk.reasons.append(f"zone:{zone.name}")
                return zone.division
            hit = walk.step(3, prefix) if len(walk.text) >= 2 else None
            if hit:
                return walk.take(hit)
            walk.reasons.append(f"zone:{zone.name}")
            return None
    m = _ZONE.match(walk.text)
    if m:
        walk.reasons.append(f"zone:{m.group(0)}")
    elif walk.ambiguous:
        walk.reasons.append(walk.ambiguous)
    elif finest.code in table().parents:
        municipal = finest.code[:2] in MUNICIPALITIES
        walk.reasons.append("no_district" if finest.level == 2 or municipal else "no_city")
    return None


def _result(walk: _Walk, finest: Division | None, county: Division | None) -> Reading:
    t = table()
    pc = walk.postcode
    if finest is None:
        if walk.ambiguous:
            return Reading(postcode=pc, reasons=(*walk.reasons, walk.ambiguous))
        if walk.pc_province:
            prov = t.by_code[walk.pc_province]
            return Reading(prov.name, None, None, prov.code, pc, (f"postcode_only:{pc}",))
        return Reading(postcode=pc, reasons=tuple(walk.reasons))
    code = finest.code
    reasons = walk.reasons
    if walk.pc_province and walk.pc_province[:2] != code[:2] and code[:2] not in _SAR_TW:
        reasons.append(f"postcode_conflict:{pc}")
    prov = t.by_code.get(code[:2] + "0000")
    pref = t.by_code.get(code[:4] + "00") if finest.level >= 2 else None
    city_name = pref.name if pref else (prov.name if prov and code[:2] in MUNICIPALITIES else None)
    return Reading(prov.name if prov else None, city_name, county.name if county else None, code, pc,
                   tuple(reasons), True)


@lru_cache(maxsize=65_536)
def parse_cn_address(raw: str) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    """(province, city, district, admin_code, postcode) of a Chinese address text; Nones when no division is named.
    A code from the postcode alone is not given here (see :func:`read_cn_address`)."""
    r = read_cn_address(raw)
    if not r.from_text:
        return None, None, None, None, r.postcode
    return r.province, r.city, r.district, r.code, r.postcode

