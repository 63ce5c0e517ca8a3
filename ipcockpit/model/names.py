"""Normalised names of applicants and inventors: the raw name is always kept beside this form.

The normal form folds case, full-width characters (NFKC), punctuation and legal forms
("Co., Ltd.", "Inc.", "GmbH", "有限公司", "股份有限公司" ...) so that the same organisation written
differently compares equal.
"""

from __future__ import annotations

import re
import unicodedata

_LEGAL_FORMS_EN = [
    "co ltd", "company limited", "co limited", "corporation", "incorporated", "company", "limited",
    "corp", "inc", "ltd", "llc", "llp", "plc", "gmbh", "ag", "sa", "s a", "s p a", "spa", "bv", "b v",
    "nv", "n v", "kk", "k k", "kabushiki kaisha", "co", "pty", "pte", "oy", "ab", "as", "srl", "sas",
    "se", "lp", "l p", "l l c", "ltda",
]
_LEGAL_FORMS_ZH = [
    "股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "股份公司", "公司", "有限合伙", "集团",
]
_EN_RE = re.compile(r"(?:\s+(?:" + "|".join(re.escape(f) for f in sorted(_LEGAL_FORMS_EN, key=len, reverse=True)) + r"))+$")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u4e00-\u9fff]")

_TYPE_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("university", re.compile(r"大学|学院|学校|universit|college|school|polytechnic|institute of technology", re.I)),
    ("hospital", re.compile(r"医院|hospital|clinic", re.I)),
    ("institute", re.compile(r"研究所|研究院|科学院|研究中心|实验室|institut|research|laborator|academy|fraunhofer|cnrs|inserm", re.I)),
    ("government", re.compile(r"政府|部$|局$|委员会|government|ministry|secretary|department of|united states of america|navy|army|agency", re.I)),
    ("company", re.compile(r"公司|企业|厂|集团|株式会社|co\.|corp|inc\b|ltd|llc|gmbh|\bag\b|\bsa\b|s\.a\.|plc|\bbv\b|kabushiki|company|limited|technolog|industr|holding|group", re.I)),
]


def normalise_name(raw: str | None) -> str | None:
    """Fold a party name for matching; None for empty input."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return None
    if _CJK.search(text):
        text = _SPACE.sub("", text)
        text = re.sub(r"[()（）\[\]【】]", "", text)
        for form in _LEGAL_FORMS_ZH:
            if text.endswith(form) and len(text) > len(form) + 1:
                text = text[: -len(form)]
                break
        return text
    text = text.lower().replace("&", " and ")
    text = _PUNCT.sub(" ", text)
    text = _SPACE.sub(" ", text).strip()
    stripped = _EN_RE.sub("", " " + text).strip()
    text = stripped or text
    if text.startswith("the "):
        text = text[4:]
    return text or None


def guess_party_type(name: str | None) -> str | None:
    """Company, university, institute, hospital, government, or person when nothing organisational shows."""
    if not name:
        return None
    for kind, pattern in _TYPE_RULES:
        if pattern.search(name):
            return kind
    text = unicodedata.normalize("NFKC", name).strip()
    if _CJK.search(text):
        return "person" if len(text) <= 4 else "other"
    words = text.replace(",", " ").split()
    return "person" if 1 < len(words) <= 4 else "other"
