"""Legal-event classes: map an office's event code or text to the model's normalised class.

The INPADOC code table (ipcockpit/model/data/inpadoc_event_classes.csv, made from EPO's
legal_code_descriptions table by scripts/build_event_classes.py) gives the class of an office/code
pair; text patterns cover sources that carry only words (Chinese 法律状态, USPTO assignment
conveyances, INPADOC free-format text). The entries of CNIPA's legal-status gazette are read through
:data:`CN_LEGAL_STATUS`, their words to the CNIPA code of the same entry (:func:`cn_legal_status`).

A code's class is final except where the code is too general to say what happened: a code classed
``other`` takes the class its text gives, and a ``transfer`` code (USPTO "AS" covers every recorded
conveyance) becomes a pledge, a pledge release, a licence or a licence's end when its text says so.

Classes that are easy to confuse: ``change`` is a change of recorded data (a name, an address, other
bibliographic data, the terms of a recorded pledge or licence contract) that moves no ownership and creates
no right; ``preservation`` is a court's freezing of the right (财产保全, seizure, distraint), not financing,
and ``preservation_release`` its discharge; ``licence_release`` the end of a recorded licence.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

#: (class, pattern), first match wins. Corrections first; contract changes, then release before pledge before
#: preservation before licence before name changes before transfer; invalidation decisions before requests;
#: restoration and expiry before lapse.
_TEXT_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("other", re.compile(r"\bno opposition|not opposed", re.I)),
    ("correction", re.compile(r"更正|\bcorrection\b|\berrat(um|a)\b", re.I)),
    # a change to a recorded pledge or licence contract is neither a new one nor its end
    ("change", re.compile(r"(质押|许可)合同(登记|备案)的变更|^change (of|in|to) .*(pledge|licen[cs])", re.I)),
    (
        "pledge_release",
        re.compile(
            r"质押.*(解除|注销)|(解除|注销).*质押|release of security|security interest release|release by secured|"
            r"(termination|release|satisfaction|discharge) (and release )?of (patent )?(security|lien|mortgage|pledge)|"
            r"\brelease\b|\bpartial release\b",
            re.I,
        ),
    ),
    ("pledge", re.compile(r"质押|security (interest|agreement)|pledge|mortgage|\blien\b|collateral", re.I)),
    (
        "preservation_release",
        re.compile(r"保全.*解除|解除.*保全|(discharge|release|lifting|cancellation) of (a |the )?(preservation|seizure|"
                   r"distraint)|seizure (terminated|cancelled|lifted)", re.I),
    ),
    ("preservation", re.compile(r"保全|\bseiz|distraint|preservation of (the )?patent", re.I)),
    ("licence_release", re.compile(r"许可.*(注销|解除|终止)|licen[cs]\w* (cancelled|terminated|ended|revoked)|"
                                   r"(cancellation|termination) of (the )?(\w+ )?licen[cs]", re.I)),
    ("licence", re.compile(r"许可|licen[cs]", re.I)),
    # a change of the recorded name or address is not a transfer (专利权人的姓名或者名称、地址的变更)
    (
        "change",
        re.compile(r"(姓名|名称|地址|著录事项|著录项目)[^，。；;]{0,6}变更|变更[^，。；;]{0,4}(姓名|名称|地址)|"
                   r"change (of|in) (the )?(\w+'?s? )?(name|address|bibliographic)", re.I),
    ),
    (
        "transfer",
        re.compile(
            r"转让|转移|权利人.*变更|专利权人.*变更|申请人.*变更|assignment|assignor|change of owner|transfer|merger|"
            r"nunc pro tunc",
            re.I,
        ),
    ),
    (
        "invalidation_decision",
        re.compile(
            r"无效宣告.*(决定|审查结论)|宣告.*(全部|部分)?无效|专利权(全部|部分)无效|invalidation decision|"
            r"patent revoked|"
            r"(opposition|reexamination|inter partes review).*(decision|certificate|terminated|rejected)",
            re.I,
        ),
    ),
    (
        "invalidation_request",
        re.compile(
            r"无效宣告|请求宣告.*无效|invalidation request|opposition filed|inter partes review|post-grant review|"
            r"request for (ex parte )?reexamination",
            re.I,
        ),
    ),
    ("litigation", re.compile(r"诉讼|litigation|lawsuit|\bcourt\b|\bsuit\b", re.I)),
    ("restoration", re.compile(r"恢复|restor|reinstat|revived|re-establishment", re.I)),
    ("lapse", re.compile(r"未缴年费|费用终止|non-?payment|failure to pay", re.I)),
    ("expiry", re.compile(r"期限届满|期届满|届满终止|\bexpir", re.I)),
    ("withdrawal", re.compile(r"撤回|视为撤回|withdraw|abandon", re.I)),
    ("lapse", re.compile(r"终止|放弃|失效|避免重复授|lapse|ceased", re.I)),
    ("fee_paid", re.compile(r"年费|maintenance fee|renewal fee|annual fee|fee payment|fee paid", re.I)),
    ("refusal", re.compile(r"驳回|\brefus|final rejection|application rejected", re.I)),
    ("grant", re.compile(r"授权|授予|\bgrant|patent issued|issue notification|\bpatented case", re.I)),
    (
        "examination",
        re.compile(
            r"实质审查|审查意见|examination|examiner|office action|action mailed|non-final|final action|allowance",
            re.I,
        ),
    ),
    ("publication", re.compile(r"公开|公告|publication|published", re.I)),
    (
        "filing",
        re.compile(r"申请日|受理|application filed|filing receipt|national stage|national phase", re.I),
    ),
]

#: CNIPA 法律状态 wordings (pss-system exports) that the patterns above miss or misread, matched whole before them
CN_STATUS_CLASSES: dict[str, str] = {
    "发明专利申请公布": "publication",  # 公布, not 公开/公告
    "专利权人的姓名或者名称、地址的变更": "change",  # the holder's name or address changed: no right moved
}

#: a code classed as the key may be refined by its text into one of these (None: into any class)
_REFINABLE: dict[str, frozenset[str] | None] = {
    "other": None,
    "transfer": frozenset({"pledge", "pledge_release", "licence", "licence_release"}),
}


@cache
def _code_table() -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    try:
        ref = resources.files("ipcockpit.model").joinpath("data/inpadoc_event_classes.csv")
        with ref.open("r", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                table[(row["office"], row["code"])] = row["event_class"]
    except FileNotFoundError:
        pass
    return table


def code_class(office: str | None, code: str | None) -> str | None:
    """The class the INPADOC code table gives an office/code pair, or None when it has no such code."""
    if not office or not code:
        return None
    return _code_table().get((office.strip().upper(), code.strip().upper()))


def text_class(text: str | None) -> str | None:
    """The class the words of an event give, or None."""
    if text and (hit := CN_STATUS_CLASSES.get(text.strip())):
        return hit
    if text:
        for cls, pattern in _TEXT_RULES:
            if pattern.search(text):
                return cls
    return None


def classify_event(office: str | None, code: str | None, text: str | None) -> str | None:
    """The normalised class of an event, from its code where the table knows it, else its text."""
    hit = code_class(office, code)
    if hit:
        if hit in _REFINABLE and text:
            allowed = _REFINABLE[hit]
            refined = text_class(text)
            if refined and (allowed is None or refined in allowed):
                return refined
        return hit
    return text_class(text)


#: CNIPA's legal-status gazette (法律状态公告): the words of an entry (法律状态信息, or its category 法律状态) -> the
#: CNIPA legal-status code of the same entry, as INPADOC's CN code table describes it (GR01 "patent grant", TR01
#: "transfer of patent right", CP03 "change of name, title or address" ...), so that an entry read from the
#: gazette's words and one read from INPADOC get one class. Entries with no code of certain meaning (the
#: gazette corrections of designs, 发明专利公报更正) are classed by their words.
CN_LEGAL_STATUS: dict[str, str] = {
    "授权": "GR01",
    "保密专利专利权授予": "GR03",
    "公开": "PB01",
    "实质审查的生效": "SE01",
    "发明专利申请公布后的视为撤回": "WD01",
    "发明专利申请公布后的撤回": "WW01",
    "发明专利申请公布后的驳回": "RJ01",
    "专利权有效期届满": "CX01",
    "未缴年费专利权终止": "CF01",
    "专利权的视为放弃": "AD01",
    "专利权的主动放弃": "AV01",
    "避免重复授予专利权": "AR01",
    "专利权的转移": "TR01",
    "专利申请权的转移": "TA01",
    "专利权人的姓名或者名称、地址的变更": "CP03",
    "著录事项变更": "CB01",
    "专利权质押合同登记的生效": "PE01",
    "专利权质押合同登记的变更": "PM01",
    "专利权质押合同登记的注销": "PC01",
    "专利实施许可合同备案的生效": "EE01",
    "专利实施许可合同备案的变更": "EM01",
    "专利实施许可合同备案的注销": "EC01",
    "专利权的保全": "PP01",
    "专利权保全的解除": "PD01",
    "专利权全部无效": "IW01",
    "专利权部分无效": "IP01",
    "文件的公告送达": "DD01",
    "发明专利申请更正": "CI02",
    "发明专利更正": "CI03",
    "实用新型专利更正": "CU01",
    "实用新型专利公报更正": "CU02",
}


def cn_legal_status(category: str | None, info: str | None) -> tuple[str | None, str | None]:
    """(CNIPA code, event class) of an entry of CNIPA's legal-status gazette from its words: the entry's own
    words (法律状态信息) first, then its category (法律状态), through :data:`CN_LEGAL_STATUS` and the code
    table; words the table does not know are classed by the text rules (code None)."""
    for text in (info, category):
        code = CN_LEGAL_STATUS.get(text.strip()) if text else None
        if code:
            return code, code_class("CN", code) or text_class(text)
    return None, text_class(info) or text_class(category)
