"""Legal-event classes: map an office's event code or text to the model's normalised class.

The INPADOC code table (ipcockpit/model/data/inpadoc_event_classes.csv, derived from EPO's
legal_code_descriptions table) gives the class of an office/code pair; text patterns cover sources
that carry only words (Chinese 法律状态, USPTO assignment conveyances).
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

_TEXT_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("pledge_release", re.compile(r"质押.*(解除|注销)|release of security|security interest release|\brelease\b", re.I)),
    ("pledge", re.compile(r"质押|security (interest|agreement)|pledge|mortgage", re.I)),
    ("licence", re.compile(r"许可|licen[cs]e", re.I)),
    ("transfer", re.compile(r"转让|权利人.*变更|申请人.*变更|assignment|change of owner|transfer|merger|nunc pro tunc", re.I)),
    ("invalidation_decision", re.compile(r"无效宣告.*(决定|审查结论)|invalidation decision", re.I)),
    ("invalidation_request", re.compile(r"无效宣告|invalidation request|opposition filed|inter partes review", re.I)),
    ("litigation", re.compile(r"诉讼|litigation|lawsuit|court", re.I)),
    ("restoration", re.compile(r"恢复|restor|reinstat", re.I)),
    ("expiry", re.compile(r"期限届满|expir", re.I)),
    ("lapse", re.compile(r"未缴年费|终止|放弃|失效|lapse|ceased|non-payment", re.I)),
    ("fee_paid", re.compile(r"年费|maintenance fee|renewal fee paid|fee payment", re.I)),
    ("grant", re.compile(r"授权|grant|patent issued|issue notification", re.I)),
    ("withdrawal", re.compile(r"撤回|withdraw", re.I)),
    ("refusal", re.compile(r"驳回|refus|reject", re.I)),
    ("examination", re.compile(r"实质审查|examination", re.I)),
    ("publication", re.compile(r"公开|publication", re.I)),
]


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


def classify_event(office: str | None, code: str | None, text: str | None) -> str | None:
    """The normalised class of an event, from its code where the table knows it, else its text."""
    if office and code:
        hit = _code_table().get((office.upper(), code.strip().upper()))
        if hit:
            return hit
    if text:
        for cls, pattern in _TEXT_RULES:
            if pattern.search(text):
                return cls
    return None
