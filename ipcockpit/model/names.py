"""Normalised names of applicants and inventors: the raw name is always kept beside this form.

The normal form folds what does not tell two organisations apart: full-width and half-width forms
(NFKC), case, spaces, brackets and punctuation, and the legal form at the end of the name
("Co., Ltd.", "Inc.", "GmbH", "K.K.", "S.A.", "有限公司", "股份有限公司", "有限责任公司", "集团" ...), so
that the same organisation written differently compares equal. It is conservative: only a legal form
at the end is removed, never a word that names the organisation, a place or a branch. Bracketed words
keep their content ("西门子(中国)有限公司" -> "西门子中国", a legal entity apart from 西门子股份公司), and
a branch stays a branch ("...有限公司成都分公司" keeps 分公司).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_LEGAL_FORMS_EN = [
    "co ltd", "co limited", "company limited", "corporation", "incorporated", "company", "limited", "corp",
    "inc", "ltd", "llc", "l l c", "llp", "l l p", "lp", "l p", "plc", "gmbh and co kg", "gmbh and co", "and co kg",
    "and co", "gmbh", "mbh", "kgaa", "kg", "ag", "sa", "s a", "sas", "s a s", "sarl", "s a r l", "spa", "s p a",
    "srl", "s r l", "bv", "b v", "nv", "n v", "kk", "k k", "kabushiki kaisha", "kabushikikaisha", "co", "pty",
    "pty ltd", "pte", "pte ltd", "oy", "oyj", "ab", "publ", "as", "a s", "asa", "aps", "se", "ltda", "sl", "s l",
    "s de rl de cv", "sa de cv", "de cv", "aktiengesellschaft",
]
# longest first; stripped repeatedly from the end ("集团股份有限公司" -> "", "有限公司" then "集团")
_LEGAL_FORMS_ZH = [
    "股份有限公司", "有限责任公司", "股份合作公司", "有限公司", "股份公司", "集团公司", "总公司", "普通合伙",
    "有限合伙", "特殊普通合伙", "株式会社", "集团", "公司",
]
_EN_RE = re.compile(
    r"(?:\s+(?:" + "|".join(re.escape(f) for f in sorted(_LEGAL_FORMS_EN, key=len, reverse=True)) + r"))+$"
)
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_ZH_DROP = re.compile(r"[\s()\[\]{}<>《》【】〔〕「」『』\"'“”‘’,，、.。;；:：·•\-—_/]+")


@lru_cache(maxsize=1 << 16)
def normalise_name(raw: str | None) -> str | None:
    """Fold a party name for matching; None for empty input."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return None
    if _CJK.search(text):
        return _normalise_zh(text)
    return _normalise_en(text)


def _normalise_zh(text: str) -> str:
    text = _ZH_DROP.sub("", text).lower()
    changed = True
    while changed:
        changed = False
        for form in _LEGAL_FORMS_ZH:
            if not text.endswith(form) or len(text) - len(form) < 2:
                continue
            if form == "公司" and text.endswith("分公司"):
                break  # a branch is its own party: keep 分公司
            text = text[: -len(form)]
            changed = True
            break
    return text


def _normalise_en(text: str) -> str | None:
    text = text.lower().replace("&", " and ").replace("+", " and ")
    text = _PUNCT.sub(" ", text)
    text = _SPACE.sub(" ", text).strip()
    if text.startswith("the "):
        text = text[4:]
    stripped = _EN_RE.sub("", " " + text).strip()
    if len(stripped) >= 2:
        text = stripped
    return text or None


_MOJIBAKE = re.compile("[ÃÂÅÄÐÑ][\u0080-\u00ff\u0152-\u02dc\u2013-\u2122]")


def undo_double_utf8(text: str) -> str:
    """Text that was UTF-8, decoded as cp1252 and saved again (``FÃ¼r`` -> ``Für``). A character cut at the
    end (a table that shortened the broken text: ``...Ð²Ð¸Ñ``) is dropped; anything else undecodable is
    left as it was."""
    if not _MOJIBAKE.search(text):
        return text
    raw = bytearray()
    for ch in text:
        try:
            raw += ch.encode("cp1252")
        except UnicodeEncodeError:
            if ord(ch) > 255:
                return text
            raw.append(ord(ch))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            try:
                return raw[:exc.start].decode("utf-8")
            except UnicodeDecodeError:
                pass
        return text


# party types ---------------------------------------------------------------------------------
_ZH_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("hospital", re.compile(r"医院|卫生院|妇幼保健|疾病预防控制中心")),
    ("company", re.compile(r"(公司|厂|合伙\)?|商行|经营部|门市部|工作室|株式会社|集团|合作社|事务所)$")),
    ("university", re.compile(r"大学|(?<!科)学院|学校|高等专科|中学|小学|幼儿园")),
    ("institute", re.compile(r"研究所|研究院|科学院|研究中心|实验室|工程中心|技术中心|设计院|研究会|监测站|试验站")),
    ("government", re.compile(
        r"人民政府|政府|委员会|管委会|[^公]局$|厅$|部$|办公室$|部队|武警|公安|法院|检察院|海关|总站|中心$|所$|站$"
    )),
    ("company", re.compile(r"公司|企业|厂|集团|株式会社|商店")),
]
_EN_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("hospital", re.compile(r"\bhospital|\bclinic\b|klinik|medical cent(er|re)|\bhôpital|\bhopital", re.I)),
    ("university", re.compile(
        r"\buniv\b|universit|\bcollege\b|\bschool\b|polytechn|hochschule|\binst(itute)? (of )?tech|\béts\b", re.I
    )),
    ("company", re.compile(_EN_RE.pattern.replace(r"(?:\s+(?:", r"(?:(?:^|\s+)(?:", 1), re.I)),
    ("institute", re.compile(
        r"\binst\b|institut|research|laborator|\blab\b|\blabs\b|academy|akademi|fraunhofer|\bcnrs\b|\binserm\b|"
        r"\bcommissariat\b|\bcsiro\b|\bcentre national\b|foundation|stiftung", re.I
    )),
    ("government", re.compile(
        r"government|ministry|secretary|department of|\bdept\b|\bus (navy|army|air force)\b|\bnavy\b|\barmy\b|"
        r"air force|\bnasa\b|\bagency\b|united states of america|\bstate of\b|\bcity of\b|\bcounty of\b|"
        r"\bbundesrepublik\b|\brepublic\b|\bkingdom of\b", re.I
    )),
    ("company", re.compile(
        r"\btechnolog|\btech\b|industr|holding|\bgroup\b|\bsystems?\b|electr|\bmfg\b|manufactur|\bmotors?\b|"
        r"pharma|\bchem|\bint\b|international|\benterprises?\b|\bentpr\b|\bengineering\b|\bsolutions\b|"
        r"\bnetworks?\b|communications?\b|\bcomm\b|licensing|\bintellectual property\b|\bip\b|\bgesellschaft\b|"
        r"\bwerke?\b|\bbank\b|\bkk\b|\b(ab|ag|sa|spa|nv|bv|llc|inc|corp|ltd|co|gmbh|plc|kaisha)\b|"
        r"gesellschaft|soci[eé]t[eé]|sociedad|societ[aà]|company|corporation|\bsys\b|construct|machine|"
        r"\b(aoot|zao|ooo|oao|pao)\b|obsh(ch)?estvo|otvetstvennost|korporatsi", re.I
    )),
]
_ORG_WORDS = re.compile(
    r"\b(france|deutschland|germany|europe|japan|china|america|usa|uk|italia|espana|korea|nippon|"
    r"aerospace|aerospatiale|aviation|energy|services|products|design|robotics|drones?|devices|sports|"
    r"and|of|for|des|de|du|der|und|la|le)\b",
    re.I,
)
_ZH_PERSON = re.compile(r"^[\u4e00-\u9fff]{2,4}$|^[\u4e00-\u9fff]{1,10}[·・][\u4e00-\u9fff]{1,10}$")


@lru_cache(maxsize=1 << 16)
def guess_party_type(name: str | None) -> str | None:
    """company, university, institute, hospital, government, person or other; None for an empty name.

    Chinese names are typed by their endings and keywords (有限公司 -> company, 大学/学院 -> university,
    研究所/研究院 -> institute, 人民政府/局 -> government, 医院 -> hospital, 2-4 characters -> person);
    English names by legal forms and keywords, and 2-4 plain words are taken for a person.
    """
    if not name:
        return None
    text = unicodedata.normalize("NFKC", name).strip()
    if not text:
        return None
    if _CJK.search(text):
        compact = _ZH_DROP.sub("", text)
        for kind, pattern in _ZH_RULES:
            if pattern.search(compact):
                return kind
        return "person" if _ZH_PERSON.match(text.replace(" ", "")) else "other"
    folded = _SPACE.sub(" ", text.replace("&", " and ")).strip()
    plain = _SPACE.sub(" ", _PUNCT.sub(" ", folded.lower())).strip()
    for kind, pattern in _EN_RULES:
        if pattern.search(plain) or pattern.search(folded):
            return kind
    words = plain.split()
    if 2 <= len(words) <= 5 and not _ORG_WORDS.search(plain) and not any(ch.isdigit() for ch in plain):
        return "person"
    return "other"
