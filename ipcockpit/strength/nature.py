"""The nature of an organisation (性质): enterprise, university, institute, individual, government or unknown.

Rules, strongest first; the first that decides gives the nature, and the result keeps the evidence of every rule
that spoke (so a registry that overrides the name says what the name said):

1. a registry row (:mod:`ipcockpit.strength.registry`) whose name or alias folds to one of the organisation's
   names: its ``nature``;
2. the name's markers, Chinese and English (and the Korean and Japanese legal forms 주식회사, 株式会社): a legal
   form or 公司/厂/集团 (enterprise), 大学/学院/学校/
   University/College (university), 研究院/研究所/科学院/实验室/Institute/Academy/Laboratory (institute),
   人民政府/局/委员会/Ministry/Department of (government). Endings decide before words inside the name
   (重庆大学科技园有限公司 is an enterprise, 中国科学院重庆绿色智能技术研究院 an institute; a bracket at the end
   is not the ending); in English a trailing legal form decides the same way (DANA FARBER CANCER INST INC is an
   enterprise by its name: a registry row corrects it). A hospital is none of the five: unknown, with that reason;
3. the applicant type a Chinese table export gives (申请人类型, formats ``cn-table-*``);
4. the organisation is also an inventor of one of its documents (applicant == inventor): an individual;
5. a Chinese personal name: 2-4 Han characters starting with a common surname (or a compound one), or a
   transliterated name with a middle dot (穆罕默德·阿里): an individual.

Otherwise the nature is ``unknown`` with the reason; it is never guessed (an English name of two plain words is
not taken for a person: ipcockpit.model.names.guess_party_type does that for the value index, not here). When
the names of one organisation disagree, the nature of at least two thirds of its name rows wins, else unknown.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

NATURES = ("enterprise", "university", "institute", "individual", "government", "unknown")
#: the applicant types of ipcockpit.ingest.cn_table -> nature
SOURCE_TYPES = {"company": "enterprise", "university": "university", "institute": "institute",
                "person": "individual", "government": "government"}
#: formats whose party type is read from the source's own column (申请人类型), not guessed from the name
TYPE_FORMATS = ("cn-table-csv", "cn-table-xlsx", "cn-table-sql")

_ZH_END: list[tuple[str, re.Pattern[str]]] = [
    ("hospital", re.compile(r"(医院|卫生院|妇幼保健院|疾病预防控制中心)$")),
    ("enterprise", re.compile(r"(公司|厂|集团|合伙\)?|合作社|株式会社|商行|经营部|门市部|工作室|事务所|商店|企业)$")),
    ("university", re.compile(r"(大学|(?<!科)学院|学校|高等专科学校|研究生院)$")),
    ("institute", re.compile(r"(研究院|研究所|科学院|研究中心|实验室|设计院|工程中心|技术中心|试验站|研究会)$")),
    ("government", re.compile(r"(人民政府|政府|局|厅|委员会|管委会|海关|公安|法院|检察院|部队)$")),
]
_ZH_IN: list[tuple[str, re.Pattern[str]]] = [
    ("enterprise", re.compile(r"有限公司|股份公司|有限责任公司|集团|株式会社")),
    ("hospital", re.compile(r"医院")),
    ("university", re.compile(r"大学|(?<!科)学院")),
    ("institute", re.compile(r"研究院|研究所|科学院|实验室")),
    ("government", re.compile(r"人民政府")),
]
_EN_LEGAL = re.compile(
    r"\b(inc|incorporated|corp|corporation|co|company|ltd|limited|llc|llp|plc|gmbh|ag|kg|kgaa|sa|sas|sarl|spa|srl|"
    r"bv|nv|kk|kabushiki kaisha|pty|pte|oy|oyj|ab|asa|aps|ltda|s de rl de cv|sa de cv|aktiengesellschaft)$")
_EN_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("hospital", re.compile(r"\bhospital|\bclinic\b|klinik")),
    ("university", re.compile(r"universit|\buniv\b|\bcollege\b|\bschool\b|polytechn|hochschule|"
                              r"\binst(itute)? (of )?tech")),
    ("enterprise", _EN_LEGAL),
    ("institute", re.compile(r"\binstitut|\binst\b|\bresearch\b|laborator|\bacademy\b|akademi|fraunhofer|\bcnrs\b|"
                             r"\binserm\b|\bcsiro\b|commissariat|\brech\b|recherche|forschung|\bacademia\b")),
    ("government", re.compile(r"\bgovernment\b|\bgov\b|\bministry\b|\bdepartment of\b|\bsecretary of\b|"
                              r"\bunited states of america\b|\bstate of\b|\bcity of\b|\bcounty of\b|\bagency\b|"
                              r"\bnavy\b|\barmy\b|\bair force\b|\bnasa\b|"
                              r"^(us|usa) (secretary|navy|army|agriculture|health|energy|commerce)\b")),
    ("enterprise", re.compile(r"\b(co|corp|corporation|inc|ltd|limited|gmbh|ag|sa|s a|spa|s p a|bv|b v|nv|n v|kk|k k|"
                              r"llc|plc|kabushiki kaisha|company|industries|group|holdings?)\b")),
]
_KO_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("enterprise", re.compile(r"주식회사|유한회사|\(주\)")),
    ("university", re.compile(r"대학교|대학")),
    ("institute", re.compile(r"연구원|연구소")),
    ("hospital", re.compile(r"병원")),
]
_HANGUL = re.compile(r"[\uac00-\ud7af]")
#: common Chinese surnames (single and compound), for the personal-name rule
_SURNAMES_1 = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊"
    "葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉"
    "骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米"
    "柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")
_SURNAMES_2 = {"欧阳", "司马", "诸葛", "上官", "司徒", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文",
               "夏侯", "端木", "轩辕", "南宫", "澹台", "呼延", "独孤"}
_HAN = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
_DOTTED = re.compile(r"^[\u4e00-\u9fff]{1,10}[·・•][\u4e00-\u9fff]{1,10}$")
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_TAIL_BRACKET = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")
_ZH_DROP = re.compile(r"[\s()\[\]{}<>《》【】〔〕「」『』\"'“”‘’,，、.。;；:：\-—_/]+")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")

REASONS = {
    "hospital": ("a hospital: none of the five natures (public or private is not in the name); a registry row "
                 "decides", "医院：不属于五类性质之一（名称看不出公立或民营），可由登记名录确定"),
    "no_marker": ("the name has no marker of a nature (legal form, university, institute, government) and is not "
                  "a Chinese personal name; a registry row decides",
                  "名称中没有表明性质的字样（企业组织形式、大学、研究机构、政府机关），也不是中文人名；可由登记名录确定"),
    "disagree": ("its names disagree on the nature", "其各名称所示性质不一致"),
    "no_name": ("no name", "无名称"),
}


@dataclass
class NatureResult:
    """The nature of one organisation and why."""

    nature: str
    basis: str  # registry / name / source_type / applicant_is_inventor / personal_name / none
    evidence: list[dict[str, Any]] = field(default_factory=list)
    reason_en: str | None = None
    reason_zh: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"nature": self.nature, "basis": self.basis, "evidence": self.evidence,
                "reason_en": self.reason_en, "reason_zh": self.reason_zh}


@lru_cache(maxsize=1 << 16)
def name_marker(name: str | None) -> tuple[str, str] | None:
    """``(kind, marker)`` the name shows (kind: one of the natures or ``hospital``), or None."""
    if not name:
        return None
    text = unicodedata.normalize("NFKC", name).strip()
    if _CJK.search(text):
        # a bracket at the end names another unit or the old name (……附属医院（野战外科研究所）): the ending
        # before it decides
        head = _ZH_DROP.sub("", _TAIL_BRACKET.sub("", text)) or _ZH_DROP.sub("", text)
        compact = _ZH_DROP.sub("", text)
        for rules, where in ((_ZH_END, head), (_ZH_IN, compact)):
            for kind, pattern in rules:
                m = pattern.search(where)
                if m:
                    return kind, m.group(0)
        return None
    plain = _SPACE.sub(" ", _PUNCT.sub(" ", text.lower().replace("&", " and "))).strip()
    for kind, pattern in (_KO_RULES if _HANGUL.search(text) else []) + _EN_RULES:
        m = pattern.search(plain)
        if m:
            return kind, m.group(0).strip()
    return None


@lru_cache(maxsize=1 << 16)
def personal_name(name: str | None) -> str | None:
    """The surname when ``name`` is a Chinese personal name (or the dotted form of a transliterated one)."""
    if not name:
        return None
    text = unicodedata.normalize("NFKC", name).replace(" ", "").strip()
    if _DOTTED.match(text):
        return text.split("·")[0] if "·" in text else text[0]
    if not _HAN.match(text):
        return None
    if text[:2] in _SURNAMES_2 and len(text) >= 3:
        return text[:2]
    return text[0] if text[0] in _SURNAMES_1 else None


def classify(names: Iterable[tuple[str, int]], *, source_types: Iterable[tuple[str, str, int]] = (),
             applicant_is_inventor: int = 0, registry: dict[str, Any] | None = None) -> NatureResult:
    """The nature of one organisation.

    ``names``: (raw name, party rows with that name); ``source_types``: (type, format, rows) of its party rows;
    ``applicant_is_inventor``: documents on which it is also an inventor; ``registry``: the registry row that
    matched one of its names (:func:`ipcockpit.strength.registry.Registry.match`), if any.
    """
    names = [(n, k) for n, k in names if n]
    evidence: list[dict[str, Any]] = []
    votes: Counter[str] = Counter()
    for name, rows in names:
        hit = name_marker(name)
        if hit:
            evidence.append({"rule": "name", "name": name, "marker": hit[1], "kind": hit[0], "rows": rows})
            votes[hit[0]] += rows
    typed = Counter()
    for kind, fmt, rows in source_types:
        if fmt in TYPE_FORMATS and kind in SOURCE_TYPES:
            typed[SOURCE_TYPES[kind]] += rows
    for kind, rows in typed.items():
        evidence.append({"rule": "source_type", "kind": kind, "rows": rows})
    if applicant_is_inventor:
        evidence.append({"rule": "applicant_is_inventor", "documents": applicant_is_inventor})
    persons = [(n, personal_name(n)) for n, _ in names if personal_name(n)]
    for name, surname in persons:
        evidence.append({"rule": "personal_name", "name": name, "surname": surname})

    if registry is not None:
        said = _by_votes(votes)
        evidence.insert(0, {"rule": "registry", **{k: registry.get(k) for k in
                                                  ("credit_code", "name", "nature", "file", "line", "matched")},
                            "name_said": said[0] if said else None})
        return NatureResult(registry["nature"], "registry", evidence)
    if not names:
        return NatureResult("unknown", "none", evidence, *REASONS["no_name"])
    decided = _by_votes(votes)
    if decided and decided[0] == "hospital":
        return NatureResult("unknown", "name", evidence, *REASONS["hospital"])
    if decided:
        return NatureResult(decided[0], "name", evidence)
    if votes:
        return NatureResult("unknown", "name", evidence, *REASONS["disagree"])
    if typed:
        top, rows = typed.most_common(1)[0]
        if rows * 3 >= 2 * sum(typed.values()):
            return NatureResult(top, "source_type", evidence)
    if applicant_is_inventor:
        return NatureResult("individual", "applicant_is_inventor", evidence)
    if persons:
        return NatureResult("individual", "personal_name", evidence)
    return NatureResult("unknown", "none", evidence, *REASONS["no_marker"])


def _by_votes(votes: Counter[str]) -> tuple[str, int] | None:
    """The kind of at least two thirds of the name rows that show one."""
    if not votes:
        return None
    top, rows = votes.most_common(1)[0]
    return (top, rows) if rows * 3 >= 2 * sum(votes.values()) else None
