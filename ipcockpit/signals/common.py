"""What every abnormal-filing signal shares: the kinds, their thresholds (setting ``signals``), the subjects
(who filed: the organisation entity where resolved, else the normalised applicant name), the case ids and the
note that a signal is never a verdict.

A detector is an engine: ``detect_<kind>(con, thresholds) -> Found``. It returns its ``findings`` (one per
subject, with the ``keys`` its case id is made of, the suspect count 疑似数 and the evidence: the rows and the
measure against its threshold) and its ``unknown`` (subjects or rows the data cannot decide, each with a reason);
it never writes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

#: the kinds in the order pages and lists show them, with their CNIPA wording (关于规范申请专利行为的办法, 2023,
#: 第三条) or, for marks, the office's words (商标恶意注册、囤积)
KINDS: tuple[str, ...] = ("near_duplicate", "template_text", "burst", "volume_vs_size", "scattered",
                          "rapid_resale", "tm_many_classes", "tm_protected_copy")
PATENT_KINDS = KINDS[:6]
MARK_KINDS = KINDS[6:]

#: thresholds of each kind (setting ``signals``: ``{kind: {name: value}}`` merged over these)
DEFAULTS: dict[str, dict[str, Any]] = {
    "near_duplicate": {"jaccard": 0.8, "min_documents": 1},
    "template_text": {"passage_chars": 16, "min_applications": 5, "max_other_subjects": 2},
    "burst": {"period": "month", "history_periods": 12, "min_count": 5, "factor": 3.0},
    "volume_vs_size": {"per_employee": 1.0, "per_million_capital": 5.0, "min_applications": 5,
                       "young_days": 365},
    "scattered": {"address_subjects": 5, "agent_subjects": 30},
    "rapid_resale": {"days_after_filing": 365, "days_after_grant": 180, "min_documents": 1},
    "tm_many_classes": {"classes": 10, "min_marks": 1},
    "tm_protected_copy": {"score": 0.8},
}
PERIODS = ("week", "month")
NOTE_ZH = ("信号不构成认定：每条信号只说明数据中的某项度量超过了所设阈值，是否属于非正常申请、恶意注册或囤积，"
           "须经人工核查后由主管部门依法认定。")
NOTE_EN = ("A signal is never a verdict (不构成认定): it says only that a measure in the data passed its threshold; "
           "whether a filing is abnormal, malicious or hoarding is decided by the office after an analyst checks it.")

#: the filers of every application: one row per (document, party) of the roles that file (the applicant; a
#: grant gives the patentee), with the subject (the resolved organisation, followed to what it was merged into,
#: else the normalised name), the application key (the application, else office + number: the A and B of one CN
#: invention are one) and the dates
FILERS = """
SELECT p.doc_id, p.seq, p.role,
       coalesce(o.merged_into, e.entity_id, p.name_norm) AS subject,
       coalesce(o2.name, o.name, p.name_raw) AS subject_name,
       p.name_raw, p.address_raw,
       coalesce(d.app_id, d.office || d.number, d.doc_id) AS app_key,
       d.app_date, d.grant_date, d.pub_date
FROM parties p
JOIN documents d USING (doc_id)
LEFT JOIN party_entities e ON e.doc_id = p.doc_id AND e.seq = p.seq AND e.role = p.role
LEFT JOIN org_entities o ON o.entity_id = e.entity_id
LEFT JOIN org_entities o2 ON o2.entity_id = o.merged_into
WHERE p.role IN ('applicant', 'patentee') AND coalesce(p.name_norm, '') <> ''
"""


@dataclass
class Found:
    """What one detector found: findings (each becomes or refreshes a case), and what it could not decide."""

    kind: str
    thresholds: dict[str, Any]
    findings: list[dict[str, Any]] = field(default_factory=list)
    unknown: list[dict[str, Any]] = field(default_factory=list)
    checked: int = 0  # subjects (or groups) the rule was applied to
    facts: dict[str, Any] = field(default_factory=dict)  # counts that explain the run (rows read, left out)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "thresholds": self.thresholds, "checked": self.checked,
                "signals": len(self.findings), "unknown": self.unknown, "facts": self.facts}


def thresholds(settings_value: dict[str, Any] | None, kind: str) -> dict[str, Any]:
    """The thresholds of ``kind``: the defaults with the setting ``signals``'s entry for it on top."""
    given = (settings_value or {}).get(kind) or {}
    unknown = set(given) - set(DEFAULTS[kind])
    if unknown:
        from ipcockpit.signals.errors import SignalsError

        raise SignalsError(f"setting signals.{kind}: unknown threshold(s) {', '.join(sorted(unknown))}; "
                           f"known: {', '.join(DEFAULTS[kind])}")
    for name, value in given.items():
        default = DEFAULTS[kind][name]
        numeric = isinstance(default, int | float) and isinstance(value, int | float) and not isinstance(value, bool)
        if not (numeric and value >= 0 or isinstance(default, str) and isinstance(value, str)):
            from ipcockpit.signals.errors import SignalsError

            raise SignalsError(f"setting signals.{kind}.{name}: {value!r} is not a "
                               f"{'number of 0 or more' if not isinstance(default, str) else 'text'} "
                               f"(default {default!r})")
    return {**DEFAULTS[kind], **given}


def case_id(kind: str, keys: list[str]) -> str:
    """``<kind>:<hash of the sorted evidence keys>`` (contract 1 of HELPERS.md): the same finding, the same id."""
    digest = hashlib.sha256("\n".join(sorted(set(keys))).encode("utf-8")).hexdigest()[:16]
    return f"{kind}:{digest}"


def finding(subject: str, subject_name: str, keys: list[str], suspect_count: int,
            evidence: dict[str, Any]) -> dict[str, Any]:
    return {"subject": subject, "subject_name": subject_name, "keys": keys, "suspect_count": int(suspect_count),
            "evidence": evidence}


def unknown(reason_key: str, reason: str, **about: Any) -> dict[str, Any]:
    """A subject or row the data cannot decide: a catalogue key (``signals.unknown.*``), the English reason and
    what it concerns."""
    return {"reason_key": reason_key, "reason": reason, **about}
