"""What an organisation name says, read once per distinct name: its core (the key that compares), its legal form,
the unit or branch it names, and the keys that block candidate pairs.

Rules of the core (English and other Latin-script names):

- accents, case, punctuation and ``&`` fold as in :func:`ipcockpit.model.names.normalise_name`; text that was UTF-8
  decoded twice is repaired first;
- the legal form at the end is taken off and kept apart as its *form family* (``us``: Inc., Corp., Co., Ltd.,
  LLC, PLC ...; ``de``: GmbH, AG, KG; ``jp``: K.K.; ``nl``: B.V., N.V.; ``nordic``: AB, Oy, A/S; ``it``: S.p.A.,
  S.r.l.; ``fr``: S.A., S.A.S., SARL). Two names of one core in two families are two legal entities of one group
  ("Amersham Biosciences AB", "Amersham Biosciences Corp."): linked (``national``), never merged;
- abbreviations are spelled out (univ, inst, res, dev, natl, intl, mfg, labs, cie, gen ...), plurals folded,
  and the words of, the, and, at, in, for dropped;
- the governing body around a name is taken off ("Regents of the University of California", "Board of Trustees of
  the Leland Stanford Junior University", "... acting on behalf of Arizona State University"); a state acting
  through an agency keeps the state and the agency ("United States of America as represented by the Secretary of
  the Navy" -> ``united state america | navy``);
- a unit that is no legal entity stays in its organisation (school of medicine, medical school, college of
  medicine, division, department): the core is the organisation's;
- a branch or subsidiary is its own entity and names its parent: ``分公司`` (branch), "X (China) Co." / "X
  (中国)有限公司" (subsidiary), "X Research Foundation" and "X Laboratories of America" (affiliate).

Chinese names: folded as :func:`ipcockpit.model.names.normalise_name` folds them (legal forms off, brackets kept
as words) but keeping 集团: "X集团有限公司" is the group, "X股份有限公司" a company of it (linked, ``group``). The
pinyin of the core is a blocking key; a Chinese name matches another only whole (homophones are other companies:
华为, 华威), and a name in both scripts through the evidence of the data (``name_aliases``, families), never
through pinyin alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ipcockpit.model.names import guess_party_type, undo_double_utf8

_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")

#: legal forms at the end of a name, as word sequences, and their family
_FORMS: dict[str, str] = {}
for _family, _forms in {
    "us": ["inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "l l c", "llp",
           "l l p", "lp", "l p", "plc", "p l c", "pty", "pte", "cos", "companies", "corpn"],
    "de": ["gmbh", "mbh", "ag", "kg", "kgaa", "aktiengesellschaft", "gesellschaft mbh", "ohg", "e v", "ev"],
    "jp": ["kk", "k k", "kabushiki kaisha", "kabushikikaisha"],
    "nl": ["bv", "b v", "nv", "n v"],
    "nordic": ["ab", "oy", "oyj", "as", "a s", "asa", "aps", "publ"],
    "it": ["spa", "s p a", "srl", "s r l"],
    "fr": ["sa", "s a", "sas", "s a s", "sarl", "s a r l", "sl", "s l", "ltda", "sa de cv", "s de rl de cv", "de cv"],
    "se": ["se"],
}.items():
    for _f in _forms:
        _FORMS[_f] = _family
_FORM_WORDS = sorted((tuple(f.split()) for f in _FORMS), key=len, reverse=True)
_JOINERS = {"and", "und", "et", "y", "e"}  # "GmbH & Co. KG": a joiner between two forms belongs to the form

_ABBREV = {
    "univ": "university", "universtiy": "university", "univeristy": "university", "unversity": "university",
    "universty": "university", "universitat": "university", "universite": "university", "universidad": "university",
    "inst": "institute", "institut": "institute", "instituto": "institute", "res": "research", "dev": "development",
    "devel": "development", "natl": "national", "nat": "national", "intl": "international", "int": "international",
    "internat": "international", "mfg": "manufacturing", "mfr": "manufacturing", "lab": "laboratory",
    "labs": "laboratory", "laboratories": "laboratory", "labo": "laboratory", "cie": "compagnie", "gen": "general",
    "tech": "technology", "technol": "technology", "technologies": "technology", "elec": "electric",
    "ind": "industry", "inds": "industry", "industries": "industry", "indust": "industry", "dept": "department",
    "sys": "system", "chem": "chemical", "pharm": "pharmaceutical", "pharma": "pharmaceutical",
    "med": "medical", "sci": "science", "eng": "engineering", "engr": "engineering", "amer": "america",
    "bros": "brother", "mgmt": "management", "svcs": "service", "prod": "product", "ctr": "center",
    "cent": "center", "centre": "center", "hosp": "hospital", "govt": "government", "admin": "administration",
    "assn": "association", "assoc": "association", "found": "foundation", "fdn": "foundation",
    "elect": "electric", "electronic": "electronics", "mach": "machine", "machines": "machine",
    "maschfab": "maschinenfabrik", "mt": "mount",
    "st": "saint", "ste": "sainte", "comm": "communication", "aeronaut": "aeronautics", "telecom": "telecommunication",
    "co": "company", "nippon": "japan", "nihon": "japan", "american": "america", "americas": "america",
}
_STOP = {"of", "the", "and", "at", "in", "for", "a", "an", "de", "des", "du", "der", "la", "le", "di", "d", "on", "by"}
_US = re.compile(r"^(?:the )?(?:government of )?(?:the )?(?:u ?s ?a?\b|unit\w* s\w*)")
_STATE = re.compile(r"^(.*?)\b(?:as )?(?:re\w*e?sented|acting) by\b(.*)$")
_ON_BEHALF = re.compile(r"\bon behalf of\b(.*)$")
_GOVERNING = re.compile(
    r"^(?:the )?(?:(?:board|boards|council) of )?(?:regents?|reagents|trustees?|governors?|governers|govenors|"
    r"supervisors|directors|visitors|curators|fellows|president and fellows)\b(?: (?:of|for|operating|on behalf of))?"
    r"(?: the)? ")
_GOVERNING_END = re.compile(
    r"(?: the)?(?: (?:board of )?(?:regents|trustees|governors|supervisors|directors))(?: of .*)?$")
_AGENCY_HEAD = re.compile(
    r"^(?:the )?(?:united states |u s |us )?(?:(?:secretary|administrator|director(?: general)?|general director|"
    r"chief|commissioner|head|minister)(?: of)?(?: the)? )?(?:(?:united states |u s |us )?(?:department|dept)"
    r"(?: of)?(?: the)? )?")
#: a unit inside an organisation (no legal entity): the name is its organisation's
_UNIT = re.compile(
    r"\b(?:school of medicine|medical school|college of medicine|medical college|faculty of \w+|"
    r"(?:department|dept) of [\w ]+|office of technology\w*)$")
#: an affiliate that is an entity of its own, linked to the organisation it names
_AFFILIATE = re.compile(r"^(.+?)\b(research foundation|patent foundation|foundation|research corporation|"
                        r"laboratory of america|research institute)$")
_SUBSIDIARY_EN = re.compile(r"^(.+?) (china|japan|america|europe|deutschland|usa|uk|korea|india|france|"
                            r"asia|north america|canada|taiwan|hong kong|shanghai|beijing)$")
#: a branch names its company, then the place: "华为技术有限公司北京分公司" -> 华为技术有限公司
_ZH_BRANCH = re.compile(r"^(.+(?:公司|集团|厂|研究院|医院))[\u4e00-\u9fff]{2,10}?分(?:公司|厂|院|所|中心)$")
_ZH_SUB = re.compile(r"^(.+?)[(（](中国|中國|china|上海|北京|深圳|香港)[)）]")


@dataclass(frozen=True)
class OrgName:
    """One distinct name read: ``core`` compares; ``form`` the legal-form family (None: no form); ``script`` latin
    (every letter a Latin one once accents are off), other (Hangul, Cyrillic, Arabic ...: compared only whole) or
    cjk; ``parent`` the core of the organisation a branch, subsidiary or affiliate belongs to and ``link`` its kind
    (branch, subsidiary, affiliate); ``blocks`` the blocking keys; ``person`` a person's name
    (``guess_party_type``), compared only whole or with other spacing and punctuation; ``digits`` the core's."""

    raw: str
    core: str
    form: str | None
    script: str
    parent: str | None
    link: str | None
    blocks: tuple[str, ...]
    person: bool = False
    digits: str = ""

    @property
    def key(self) -> str:
        """The exact-match key: the core and its form family (two families, two legal entities)."""
        return f"{self.core}|{self.form or ''}"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", undo_double_utf8(unicodedata.normalize("NFKC", text)))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("&", " and ").replace("+", " and ")
    return _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip()


def _strip_form(words: list[str]) -> tuple[list[str], str | None]:
    """Legal forms off the end (repeatedly: "gmbh and co kg"); the family of the last one seen, the outermost."""
    family = None
    changed = True
    while changed and len(words) > 1:
        changed = False
        for form in _FORM_WORDS:
            n = len(form)
            if len(words) > n and tuple(words[-n:]) == form:
                family = family or _FORMS[" ".join(form)]
                words = words[:-n]
                while len(words) > 1 and words[-1] in _JOINERS:
                    words = words[:-1]
                changed = True
                break
    return words, family


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ics")):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    out = []
    for w in text.split():
        w = _ABBREV.get(w, w)
        if w in _STOP:
            continue
        out.append(_singular(w))
    return out


def _latin(raw: str) -> OrgName:
    text = _fold(raw)
    words, form = _strip_form(text.split())
    text = " ".join(words)
    state = _STATE.match(text)
    core_text, prefix = text, ""
    if state and state.group(2).strip():
        who = state.group(1).strip()
        prefix = "united state america" if (not who or _US.match(who) or "america" in who) else " ".join(_words(who))
        core_text = _AGENCY_HEAD.sub("", state.group(2).strip())
        core_text, _ = _strip_form(core_text.split())
        core_text = " ".join(core_text)
    else:
        behalf = _ON_BEHALF.search(text)
        if behalf and behalf.group(1).strip():
            core_text = behalf.group(1).strip()
        core_text = _GOVERNING.sub("", core_text + " ").strip() or core_text
        core_text = _GOVERNING_END.sub("", core_text).strip() or core_text
        if core_text.startswith("the "):
            core_text = core_text[4:]
    unit = _UNIT.search(core_text)
    if unit and unit.start() > 0:
        core_text = core_text[: unit.start()].strip()
    core_words = _words(core_text)
    if prefix:
        core_words = [*prefix.split(), "|", *core_words]
    core = " ".join(core_words) or text
    parent = link = None
    if not prefix:
        aff = _AFFILIATE.match(core)
        sub = _SUBSIDIARY_EN.match(core)
        if aff and len(aff.group(1).split()) >= 1 and aff.group(1).strip():
            parent, link = aff.group(1).strip(), "affiliate"
        elif sub:
            parent, link = sub.group(1).strip(), "subsidiary"
    script = "latin" if all(c.isascii() for c in core) else "other"
    return OrgName(raw, core, form, script, parent, link, _latin_blocks(core), guess_party_type(raw) == "person",
                   _digits(core))


def _latin_blocks(core: str) -> tuple[str, ...]:
    words = [w for w in core.split() if w != "|"]
    compact = "".join(words)
    blocks = {"w:" + w for w in words if len(w) >= 3}
    blocks.add("p:" + compact[:6])
    blocks.add("s:" + compact[-6:])
    if len(words) >= 2:
        blocks.add("a:" + "".join(w[0] for w in words))
    return tuple(sorted(blocks))


@lru_cache(maxsize=1 << 18)
def read_name(raw: str) -> OrgName | None:
    """The name read (module rules); None for an empty name."""
    if raw is None or not raw.strip():
        return None
    if _CJK.search(raw):
        return _chinese(raw)
    return _latin(raw)


#: legal forms at the end of a Chinese name, longest first; 集团 is not one here (a group and its company are two)
_ZH_FORMS = ("股份有限公司", "有限责任公司", "股份合作公司", "特殊普通合伙", "有限公司", "股份公司", "总公司",
             "普通合伙", "有限合伙", "株式会社", "公司")
_ZH_DROP = re.compile(r"[\s()\[\]{}<>《》【】〔〕「」『』\"'“”‘’,，、.。;；:：·•\-—_/（）]+")


def _zh_core(text: str) -> str:
    """The name without punctuation, brackets (their words kept) and the legal form at its end (repeatedly),
    as :func:`ipcockpit.model.names.normalise_name` folds it, but keeping 集团 and 分公司."""
    text = _ZH_DROP.sub("", unicodedata.normalize("NFKC", text)).lower()
    changed = True
    while changed:
        changed = False
        for form in _ZH_FORMS:
            if text.endswith(form) and len(text) - len(form) >= 2 and not (form == "公司" and text.endswith("分公司")):
                text, changed = text[: -len(form)], True
                break
    return text


def _chinese(raw: str) -> OrgName:
    core = _zh_core(raw) or raw
    parent = link = None
    text = unicodedata.normalize("NFKC", raw).replace(" ", "")
    branch = _ZH_BRANCH.match(text)
    sub = _ZH_SUB.match(text)
    if branch:
        parent, link = _zh_core(branch.group(1)), "branch"
    elif sub:
        parent, link = _zh_core(sub.group(1)), "subsidiary"
    elif not core.endswith("集团") and len(core) >= 2:
        parent, link = core + "集团", "group"  # linked when the group is an entity: 中国石油天然气股份 -> ...集团
    # no legal-form family: a Chinese name's 有限公司 and its English "Co., Ltd." are one company
    return OrgName(raw, core, None, "cjk", parent, link, _zh_blocks(core), guess_party_type(raw) == "person",
                   _digits(core))


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _zh_blocks(core: str) -> tuple[str, ...]:
    """The toneless pinyin of the whole core (each character's first reading: a blocking key only, so one
    reading for 重 in 重庆 and in 重要 is enough; :func:`pinyin` reads phrases, for people)."""
    return ("y:" + "".join(_char_pinyin(c) for c in core),)


@lru_cache(maxsize=1 << 15)
def _char_pinyin(ch: str) -> str:
    from pypinyin.pinyin_dict import pinyin_dict

    readings = pinyin_dict.get(ord(ch))
    if not readings:
        return ch
    return "".join(c for c in unicodedata.normalize("NFKD", readings.split(",")[0]) if not unicodedata.combining(c))


def pinyin(core: str) -> str:
    """The toneless pinyin of a Chinese core, no spaces (a blocking key and what the profile shows)."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(core))
