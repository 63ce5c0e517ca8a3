"""Inventor names parsed for resolution: given name, middle initials, surname, suffix, and the canopy (block).

Rules:
- A name is "Last, First Middle" when it has a comma that is not followed by a suffix only ("Houck, III"),
  else "First Middle Last". Suffixes (Jr, Sr, II, III, IV) are kept apart and never part of a name token.
- Folding: HTML entities (``&Hcirc;``) decoded, NFKC, accents dropped, case folded; hyphens and apostrophes
  join ("Gil-yong" -> "gilyong", "O'Brien" -> "obrien"); other punctuation separates.
- A withheld name (不公告发明人, 不公告设计人, "not published") is no name: each such mention is a person apart.
- Chinese names (CJK characters) are read as surname (the first character, or a compound surname such as
  欧阳) and given name, both in pinyin without tones (pypinyin; ü as u; heteronym surnames such as 曾, 单 and
  区 read as surnames). So 张伟 is (given "wei", surname "zhang").
- The canopy is the PatentsView block: first letter of the given name and the full surname. Where the order
  of a name is not known for sure (a Chinese name, or a romanised name of two tokens that are both pinyin,
  e.g. "Zhang Wei" / "Wei Zhang"), the canopy is the smaller of the two orders' keys, so that 张伟, "Zhang Wei"
  and "Wei Zhang" share one canopy; the pairwise name comparison then accepts either order. Two names both
  written in characters agree only when the characters agree: pinyin is the bridge to romanised names, never
  between homophones (王刚 and 汪刚 are two names; 刘杨 and 杨柳 too). A name in characters with separators
  (·, ., ・) is a foreign name, given name first and surname last ("G·K·彼得森").
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_SUFFIXES = {"jr": "jr", "junior": "jr", "sr": "sr", "senior": "sr", "ii": "ii", "iii": "iii", "iv": "iv",
             "2nd": "ii", "3rd": "iii"}
_CJK = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
_FOREIGN_SEP = re.compile(r"[·•.．・\s]+")
_JOIN = re.compile(r"[-'’‐‑]")
_SPLIT = re.compile(r"[^\w]+|_")
_COMPOUND_SURNAMES = (
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文", "司徒",
    "夏侯", "端木", "轩辕", "独孤", "南宫", "西门", "百里", "呼延", "万俟", "司空", "闻人", "澹台", "申屠",
)
# surnames read otherwise than the character's first reading in pypinyin
_SURNAME_READINGS = {"曾": "zeng", "单": "shan", "区": "ou", "仇": "qiu", "解": "xie", "朴": "piao", "查": "zha",
                     "乐": "yue", "覃": "qin", "盖": "ge", "缪": "miao", "翟": "zhai", "种": "chong",
                     "尉迟": "yuchi", "万俟": "moqi", "长孙": "zhangsun", "柏": "bai", "秘": "bi", "牟": "mou"}


@dataclass(frozen=True)
class InventorName:
    """A parsed inventor name. ``given`` is the first given-name token folded (hyphenated parts joined),
    ``middle`` the initials of the further given-name tokens, ``surname`` the folded surname, ``pinyin``
    whether the order of given name and surname is uncertain (Chinese or pinyin-only romanised)."""

    given: str
    middle: tuple[str, ...]
    surname: str
    suffix: str | None
    pinyin: bool
    joined: str = ""  # every given-name token joined ("Chi Gon" -> "chigon"), to meet "Chi-Gon"
    middle_names: tuple[str, ...] = ()  # the further given-name tokens as written (initials or names)
    given_hz: str = ""  # a Chinese name's given name and surname in characters ("" for a romanised name)
    surname_hz: str = ""

    @property
    def canopy(self) -> str:
        key = f"{self.given[:1]}|{self.surname}"
        if self.pinyin and self.given:
            key = min(key, f"{self.surname[:1]}|{self.given}")
        return key

    @property
    def full(self) -> str:
        """The folded full name in a fixed order ("given m surname"), the name-only baseline's key."""
        return " ".join([self.given, *self.middle, self.surname])


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", html.unescape(text))
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.casefold().replace("ß", "ss").replace("ø", "o").replace("æ", "ae").replace("ł", "l")


def _tokens(text: str) -> list[str]:
    return [t for t in _SPLIT.split(_JOIN.sub("", fold(text))) if t]


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    from pypinyin.constants import PINYIN_DICT

    out: set[str] = set()
    for readings in PINYIN_DICT.values():
        for r in readings.split(","):
            plain = "".join(c for c in unicodedata.normalize("NFKD", r) if not unicodedata.combining(c))
            out.add(plain.replace("ü", "u").replace("v", "u"))
    return frozenset(s for s in out if s.isascii() and s.isalpha())


@lru_cache(maxsize=1 << 16)
def is_pinyin(token: str) -> bool:
    """Whether a folded token is one or more pinyin syllables ("wei", "xiaoming")."""
    syl = _syllables()
    n = len(token)
    if n == 0 or n > 18:
        return False
    ok = [True] + [False] * n
    for i in range(1, n + 1):
        for j in range(max(0, i - 6), i):
            if ok[j] and token[j:i] in syl:
                ok[i] = True
                break
    return ok[n]


@lru_cache(maxsize=1 << 16)
def _char_pinyin(char: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(char)).replace("ü", "u").replace("v", "u")


def _pinyin(text: str) -> str:
    """Pinyin without tones, character by character (a name is no phrase: each character its first reading)."""
    return "".join(_char_pinyin(c) for c in text)


def _part(text: str) -> str:
    return _pinyin(text) if _CJK.search(text) else "".join(_tokens(text))


def _parse_cjk(text: str) -> InventorName | None:
    parts = [p for p in _FOREIGN_SEP.split(fold(text).strip()) if p]
    if len(parts) >= 2:  # a foreign name written in characters, given name first: "G·K·彼得森", "E.彼得森"
        given, surname = _part(parts[0]), _part(parts[-1])
        if not given or not surname:
            return None
        middle = tuple(_part(p)[:1] for p in parts[1:-1] if _part(p))
        return InventorName(given, middle, surname, None, False, given, middle, parts[0], parts[-1])
    chars = "".join(_CJK.findall(text))
    if len(chars) < 2:
        return None
    head = 2 if chars[:2] in _COMPOUND_SURNAMES and len(chars) > 2 else 1
    sur_chars, given_chars = chars[:head], chars[head:]
    surname = _SURNAME_READINGS.get(sur_chars) or _pinyin(sur_chars)
    given = _pinyin(given_chars)
    return InventorName(given, (), surname, None, True, given, (), given_chars, sur_chars)


# what offices print where the inventor asked not to be named: no one's name
_WITHHELD = re.compile(r"不公告|不公布|请求不公|未公告|"
                       r"^(?:not (?:published|disclosed|announced)|withheld|unknown|n/?a)$", re.IGNORECASE)


@lru_cache(maxsize=1 << 18)
def parse_name(raw: str | None) -> InventorName | None:
    """Parse one inventor name; None for a name with no letters or a name withheld (不公告发明人)."""
    if not raw or not raw.strip() or _WITHHELD.search(raw.strip()):
        return None
    if _CJK.search(raw):
        return _parse_cjk(raw)
    suffix: str | None = None
    parts = [p for p in raw.split(",")]
    # "Houck, III" / "Smith, Jr." : a part that is a suffix only
    kept = []
    for p in parts:
        toks = _tokens(p)
        if toks and all(t in _SUFFIXES for t in toks) and kept:
            suffix = _SUFFIXES[toks[-1]]
        else:
            kept.append(p)
    if len(kept) >= 2:
        last_toks, first_toks = _tokens(kept[0]), _tokens(" ".join(kept[1:]))
    else:
        toks = _tokens(kept[0]) if kept else []
        while len(toks) > 2 and toks[-1] in _SUFFIXES:  # "John Smith Jr."
            suffix = _SUFFIXES[toks.pop()]
        last_toks, first_toks = toks[-1:], toks[:-1]
    for toks in (first_toks, last_toks):
        while toks and toks[-1] in _SUFFIXES and len(toks) > 1:
            suffix = _SUFFIXES[toks.pop()]
    if not last_toks and not first_toks:
        return None
    if not first_toks:
        first_toks, last_toks = last_toks[:1], last_toks[1:] or last_toks[:1]
    surname = "".join(last_toks)
    given, rest = first_toks[0], first_toks[1:]
    joined = "".join(first_toks)
    middle = tuple(t[0] for t in rest)
    pinyin = False
    if rest and len(rest) == 1 and is_pinyin(given) and is_pinyin(rest[0]) and is_pinyin(surname) and len(rest[0]) > 1:
        # "Xiao Ming Zhang": a two-syllable given name written apart, not a middle name
        given, middle = given + rest[0], ()
    if not middle and is_pinyin(given) and is_pinyin(surname):
        pinyin = True
    return InventorName(given, middle, surname, suffix, pinyin, joined, tuple(rest) if middle else ())
