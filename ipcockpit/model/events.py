"""Legal-event classes: map an office's event code or text to the model's normalised class.

The INPADOC code table (ipcockpit/model/data/inpadoc_event_classes.csv, made from EPO's
legal_code_descriptions table by scripts/build_event_classes.py) gives the class of an office/code
pair; text patterns cover sources that carry only words (Chinese 法律状态, USPTO assignment
conveyances, INPADOC free-format text).

A code's class is final except where the code is too general to say what happened: a code classed
``other`` takes the class its text gives, and a ``transfer`` code (USPTO "AS" covers every recorded
conveyance) becomes a pledge, a pledge release or a licence when its text says so.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

#: (class, pattern), first match wins. Release before pledge before licence before transfer;
#: invalidation decisions before requests; restoration and expiry before lapse.
_TEXT_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("other", re.compile(r"\bno opposition|not opposed", re.I)),
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
    ("licence", re.compile(r"许可|licen[cs]", re.I)),
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
            r"无效宣告.*(决定|审查结论)|宣告.*(全部|部分)?无效|invalidation decision|patent revoked|"
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
    ("lapse", re.compile(r"终止|放弃|失效|lapse|ceased", re.I)),
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
    "专利权人的姓名或者名称、地址的变更": "other",  # the holder's name or address changed: no right moved
}

#: a code classed as the key may be refined by its text into one of these (None: into any class)
_REFINABLE: dict[str, frozenset[str] | None] = {
    "other": None,
    "transfer": frozenset({"pledge", "pledge_release", "licence"}),
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
