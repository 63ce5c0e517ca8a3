"""Build ipcockpit/model/data/inpadoc_event_classes.csv from EPO's INPADOC legal-event code table.

Usage::

    python scripts/build_event_classes.py [legal_code_descriptions_YYYYWW.xlsx] [out.csv]

Defaults: ``../shared/data/epo_ops/legal/fixtures/legal_code_descriptions_202417.xlsx`` and
``ipcockpit/model/data/inpadoc_event_classes.csv``. The output is sorted by office and code, so the
same table always gives the same file.

How a code gets its class (``ipcockpit.model.records.EVENT_CLASSES``):

1. ``OVERRIDES``: a few office/code pairs whose description covers several things at once (CN PLDC
   "enforcement, change and cancellation of contracts on pledge" is mostly the pledge itself).
2. ``RULES``, first match wins: a regular expression on the English description (``Description
   ENG``, upper case), limited to some of the table's own event classes (``Event-class``, one letter:
   A filing, B application discontinuation, C application revival, D search and examination, E
   pre-grant review, F grant, G protection beyond term (SPC), H right cessation, K right revival, L
   review request (opposition, revocation ...), M right maintenance (limitation, partial
   invalidation ...), P re-publication, Q publication, R party data change, S licensing and similar
   transactions (licences, pledges), T administrative procedure, U payment, V appeal, W other, Y
   correction/deletion, Z classification pending, blank: not classified by EPO) when the rule names
   them. The order matters: corrections and deleted events before what they correct; changes to a
   recorded pledge or licence contract before them; pledge release before pledge before licence, the end
   of a licence before the licence; transfers before name changes; invalidation before
   litigation (a court decision on validity is an invalidation decision); non-payment before expiry
   (a US patent "expired" for unpaid maintenance fees has lapsed); application withdrawal before
   the lapse of a granted right.
3. ``CLASS_DEFAULTS``: the table's own class letter when no rule matched.
4. ``other`` for the rest (blank class, W, Z, T ... with no telling words).

``other`` is a real answer: the code names something outside the model's classes (an SPC, a
classification change, a new representative) or too general to say. At run time
:func:`ipcockpit.model.events.classify_event` still lets the event's own text refine a code
classed ``other`` (and refine ``transfer`` into pledge/release/licence, since USPTO "AS" covers every
recorded conveyance).
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ipcockpit.ingest.epo_ops import read_code_table  # noqa: E402
from ipcockpit.model.records import EVENT_CLASSES  # noqa: E402

DEFAULT_XLSX = REPO.parent / "shared/data/epo_ops/legal/fixtures/legal_code_descriptions_202417.xlsx"
DEFAULT_OUT = REPO / "ipcockpit/model/data/inpadoc_event_classes.csv"

#: (office, code) -> class, for descriptions that cover several events at once
OVERRIDES: dict[tuple[str, str], str] = {
    ("CN", "PLDC"): "pledge",  # enforcement, change and cancellation of contracts on pledge
    ("CN", "LICC"): "licence",  # enforcement, change and cancellation of licence contracts
    ("CN", "RINS"): "preservation",  # preservation of the patent right and its discharge
    ("US", "FEPP"): "other",  # "fee payment procedure": entity status, petitions; payments are MAFP/FPAY
}

_ANY = "*"
#: (event class, pattern on the upper-case English description, class letters it applies to or "*")
RULES: list[tuple[str, str, str]] = [
    # corrections and deletions of earlier events
    (
        "correction",
        r"^CORRECTION|\bCORRECTION OF\b|\((CORR\.?|CORRECTION|CORRECTED|DELETED)\)|\bDELETED?\b|"
        r"\bERRONEOUS|RECTIFICATION|ERRAT(UM|A)|\bCORRECTED\b|\bREPRINT|SHOULD BE IGNORED|"
        r"(DECISION|REJECTION|CHANGE|LAPSE|EXPIRY|NOTICE)\s+CANCELLED$|RE-?PUBLICATION",
        _ANY,
    ),
    # a change to a recorded pledge or licence contract is neither a new pledge or licence nor their end
    (
        "change",
        r"^(CHANGES?|MODIFICATION|AMENDMENT) (OF|IN|TO) .*(PLEDGE|LICEN[CS]|SECURITY|MORTGAGE)|"
        r"CHANGE OF (DATA ON|NAME OF) (THE )?(LICEN|PLEDG)",
        _ANY,
    ),
    # pledges (security interests, rights in rem) and their release
    (
        "pledge_release",
        r"(PLEDGE|SECURITY|MORTGAGE|\bLIEN|IN REM|COLLATERAL).*(CANCEL|RELEAS|DISCHARG|EXTINC|"
        r"TERMINAT|REMOV|WITHDRAW|ERASE|DELET|LIFT)|(CANCEL|RELEASE|DISCHARGE|EXTINCTION|"
        r"TERMINATION|REMOVAL|ERASURE|DELETION).*(PLEDGE|SECURITY|MORTGAGE|\bLIEN|IN REM)",
        _ANY,
    ),
    ("pledge", r"PLEDGE|SECURITY (INTEREST|AGREEMENT|RIGHT)|MORTGAGE|\bLIEN\b|\bIN REM\b|COLLATERAL", _ANY),
    # court measures that freeze the right itself (seizure, CN 财产保全 "preservation") are not financing;
    # their discharge before them
    (
        "preservation_release",
        r"(DISCHARGE|RELEASE|LIFTING|CANCELLATION|TERMINATION|REMOVAL) OF (A |AN |THE )?(PRESERVATION|SEIZURE|"
        r"ATTACHMENT|DISTRAINT)|(PRESERVATION|SEIZURE|ATTACHMENT|DISTRAINT)\b.*\b(LIFTED|RELEASED|DISCHARGED|"
        r"CANCELLED|REMOVED|TERMINATED|FREED)",
        _ANY,
    ),
    (
        "preservation",
        r"SEIZ|CONFISCAT|PRESERVATION OF (THE )?PATENT|LEGAL MEANS OF EXECUTION|DISTRAINT|ATTACHMENT OF",
        _ANY,
    ),
    ("litigation", r"ENTITLEMENT|PROPERTY CLAIM|CLAIM OWNERSHIP", _ANY),
    # licences: a request or an opposition about a licence entry is neither; the end of one before licences
    ("other", r"^(APPLICATION|OPPOSITION FILED)\b.*LICEN[CS]", _ANY),
    (
        "licence_release",
        r"(CANCEL|TERMINAT|REVOC|EXPIR|DELET|LAPSE|END OF|EXTINCT|REMOV|ERAS)\w*.*LICEN[CS]|"
        r"LICEN[CS]\w*.*\b(CANCELL?ED|TERMINATED|REVOKED|EXPIRED|DELETED|LAPSED|ENDED|EXTINGUISHED|REMOVED|ERASED)\b",
        _ANY,
    ),
    ("licence", r"LICEN[CS]|\bLICENSING\b|LICEN[CS]E OF RIGHT|WILLINGNESS TO GRANT", _ANY),
    ("other", r"REPRESENTATIVE|ATTORNEY|\bAGENT\b|NOT ANY MORE IN|OPT-OUT", _ANY),
    # ownership
    (
        "transfer",
        r"TRANSFER(RED)? OF (THE )?(PATENT|RIGHT|APPLICATION|OWNERSHIP|TITLE|PROPRIETOR|OWNER|SPC|"
        r"CERTIFICATE|UTILITY|EUROPEAN|INDUSTRIAL|PROTECTION|.{0,30}RIGHTS?\b)|"
        r"\bASSIGNMENT\b(?! OF (A |THE )?(CLASS|EXAMINER|NUMBER))|\bASSIGNED TO\b|"
        r"SUCCESS(ION|OR)|CHANGE (OF|IN) (THE )?(PATENT )?(OWNER|PROPRIETOR|HOLDER|APPLICANT|PATENTEE)(?!'?S? (NAME|ADDRESS|INFORMATION|DATA))|"
        r"CHANGE (IN|OF) (THE )?(PERSON|OWNERSHIP)|OWNERSHIP|NEW (PROPRIETOR|OWNER|HOLDER)|"
        r"\bMERGER\b|TRANSFER OF RIGHTS|RIGHTS? TRANSFERRED",
        _ANY,
    ),
    # the recorded names, addresses or other bibliographic data changed (ownership did not move); a change
    # refused is neither a change nor the refusal of the application
    ("other", r"CHANGE .*(REFUSED|REJECTED)$", _ANY),
    (
        "change",
        r"CHANGE (IN|OF|TO) (THE )?([\w']+ ){0,3}(NAME|NAMES|ADDRESS|ADDRESSES|BIBLIOGRAPHIC|PARTICULARS|"
        r"INFORMATION|DATA)\b|\b(NAME|ADDRESS) CHANGE|CHANGED? (OF )?(NAME|ADDRESS)",
        _ANY,
    ),
    ("other", r"\bNO OPPOSITION\b|NOT OPPOSED|OPPOSITION PERIOD (HAS )?EXPIRED", _ANY),
    ("other", r"^INFORMATION ON (THE )?STATUS", "-WZ"),  # US STPP, EP STAA: the free text says what
    # post-grant challenges: decisions, then requests
    (
        "invalidation_decision",
        r"(OPPOSITION|OPPOSED|INVALIDAT|NULLI|NULLITY|ANNUL|REVOCATION|CANCELLATION (PROCEEDING|ACTION|OF UTILITY)|"
        r"FORFEITURE|VOID DECLARATION|RULING|INTER PARTES|POST-GRANT REVIEW|COVERED BUSINESS|RE-?EXAMINATION"
        r"(?! \(ZENCHI)|INTERFERENCE|RESTRICTION PROCEEDINGS|LIMITATION PROCEDURE).*"
        r"(DECISION|DECIDED|REJECT|REFUS|DISMISS|MAINTAIN|REVOKED|INVALID\b|INADMISSIBLE|CONCLU|TERMINAT|CLOSED|"
        r"FINAL\b|ACCEPTED|RESULT|CONFIRM|WITHDRAWN|DEEMED NOT|NOT GRANTED|CERTIFICATE|CANCELLED ALL|"
        r"CHANGED|ALLOWED|VALID)|"
        r"(PATENT|RIGHT|MODEL|SPC|CERTIFICATE|CLAIMS?)( \w+)? (REVOKED|INVALIDATED|DECLARED (VOID|INVALID|NULL))|"
        r"\b(FULL|PARTIAL|WHOLE)(LY)? (OR (PARTIAL|WHOLE) )?(INVALIDATION|REVOCATION)|INVALIDATION OF|"
        r"REVOCATION OF (A |THE )?(EURASIAN )?(PATENT|RIGHT|UTILITY)|^REVOCATION|^PATENT REVOKED|"
        r"INVALID BY|DECLARED VOID|PARTIALLY DECLARED|NULLIFICATION|MAINTAINED (IN AMENDED|AS AMENDED|AS UNAMENDED|"
        r"UNAMENDED|RESTRICTED|IN FULL|IN LIMITED)|(KEPT|FULLY) VALID|AFTER OPPOSITION|FOLLOWING OPPOSITION|"
        r"CANCELLED (ALL CLAIMS|IN PART)|RULED INVALID|CONFIRMS CLAIMS|CLAIMS CHANGED|(MAINTAINING|REVOKING|LIMITING) "
        r"PATENT",
        _ANY,
    ),
    (
        "invalidation_request",
        r"OPPOSITION|OPPOSED|INVALIDAT|NULLITY|NULLI|ANNUL|REVOCATION|FORFEITURE|VOID DECLARATION|"
        r"CANCELLATION (OR|OF UTILITY|PROCEEDING|ACTION|REQUEST)|REQUEST FOR CANCELLATION|RULED INVALID|"
        r"INTER PARTES|POST-GRANT REVIEW|PRE-GRANT REVIEW|COVERED BUSINESS|INTERFERENCE",
        _ANY,
    ),
    ("invalidation_request", r"RE-?EXAMINATION", "LM"),
    (
        "litigation",
        r"\bCOURT\b|LITIGATION|LAWSUIT|\bSUIT\b|\bSUITS\b|INFRINGEMENT|INJUNCTION|\bACTION (FOR|BEFORE)|"
        r"JUDGMENT|JUDGEMENT",
        "-BCEGHKLMPRSTUVWYZ",
    ),
    # revival
    (
        "other",
        r"(RESTOR|REINSTAT|RE-?ESTABLISH|REVIV|RESTITU|RE-?INSTITUT).*(REFUS|REJECT|DENIED|WITHDRAWN|"
        r"NOT GRANTED|INADMISSIBLE)",
        _ANY,
    ),
    (
        "restoration",
        r"RESTOR|REINSTAT|RE-?ESTABLISHMENT|REVIV|RESTITU|RE-?INSTITUT|READMISSION|RECOVERY OF|"
        r"RIGHTS RE-?ESTABLISHED|PATENT NOT CEASED|RESUMPTION OF (THE )?RIGHT|RECISSION OF NOTICE OF "
        r"PATENT EXPIRATION",
        _ANY,
    ),
    # end of rights
    (
        "lapse",
        r"NON-?PAYMENT|NONPAYMENT|UNPAYMENT|FAILURE TO PAY|NOT (BEEN )?PAID|UNPAID|FEES? (WAS |WERE )?"
        r"NOT PAID|LATE PAYMENT.*NOT",
        _ANY,
    ),
    (
        "expiry",
        r"EXPIR(Y|ATION|ED)(?! OF (THE )?(TIME|PERIOD|DEADLINE|TERM FOR|\d))|END OF (THE )?(TERM|PROTECTION)|"
        r"TERM (OF (PROTECTION|PATENT) )?(HAS )?ENDED|MAXIMUM (TERM|DURATION)|LAPSE OF (THE )?TERM",
        "ABCDFHKLMPQRSTUWYZ-",
    ),
    ("refusal", r"REFUS|REJECT|DENIAL|DENIED|DISMISS", "B"),
    ("withdrawal", r".", "B"),
    ("lapse", r".", "H"),
    (
        "withdrawal",
        r"APPLICATION.*(WITHDRAW|ABANDON|DEEMED VOID|SHELVED|SETTLED|DISPOSAL)|(WITHDRAW|ABANDON)"
        r"\w*.*APPLICATION|DEEMED (TO BE )?WITHDRAWN|^WITHDRAWAL\b|^WITHDRAWN\b|WITHDRAWAL \(APPLICATION",
        _ANY,
    ),
    (
        "lapse",
        r"LAPSE|CEASED|\bCEASE\b|CESSATION|ABANDON|SURRENDER|RENUNCIATION|RENOUNCE|WAIVER|DISCLAIMER|"
        r"DEDICATION|TERMINATION OF (THE )?(PATENT|RIGHT|PROTECTION)|NO LONGER IN FORCE|NOT IN FORCE|"
        r"TRANSLATION NOT FILED|DEEMED VOID|NULL AND VOID|PATENT WITHDRAWN|PATENT NOT ISSUED",
        _ANY,
    ),
    ("refusal", r"\bREFUS(AL|ED)\b|\bREJECT(ION|ED)\b", _ANY),
    ("withdrawal", r"WITHDRAW", _ANY),
    # money
    (
        "fee_paid",
        r"FEE.*PAID|PAID.*FEE|PAYMENT OF (THE )?(\w+ )?(\w+ )?FEE|FEE PAYMENT|FEES? (WAS |WERE )?PAID|"
        r"LAST PAID|RENEWAL FEE|ANNUAL FEE|MAINTENANCE FEE|ANNUITY|ANNUITIES|SURCHARGE|PAYMENT RECEIVED|"
        r"DESIGNATION FEES|^PAYMENT",
        _ANY,
    ),
    # procedure
    ("examination", r"INTENTION TO GRANT|NOTICE OF ALLOWANCE|ALLOWANCE|ALLOWABLE", _ANY),
    (
        "grant",
        r"\bGRANT(?!ING PROCEDURE)|PATENT ISSUED|\bISSUE OF (THE )?PATENT|ISSUED PATENT|REGISTRATION OF (THE )?(PATENT|"
        r"UTILITY|DESIGN)|\bREGISTERED\b|PATENT (HAS BEEN )?GRANTED|LETTERS PATENT|EXAMINED PATENT "
        r"APPLICATION|EXCLUSIVE PATENT|ECONOMIC PATENT",
        "ACDEFKLMPQRSTUWYZ-",
    ),
    (
        "examination",
        r"EXAMINATION|EXAMINER|SEARCH REPORT|\bSEARCH\b|OFFICE ACTION|COMMUNICATION|EXAMINED|"
        r"\bAMENDMENT|AMENDED|OBSERVATIONS|OPINION|RESPONSE|REPLY|DIVISIONAL|DIVIDED",
        _ANY,
    ),
    (
        "publication",
        r"PUBLICATION|PUBLISHED|LAID[- ]OPEN|LAYING[- ]OPEN|PUBLIC (NOTICE|INSPECTION)|"
        r"OPEN TO (PUBLIC )?INSPECTION",
        _ANY,
    ),
    (
        "filing",
        r"APPLICATION (FILED|RECEIVED|LODGED)|FILING OF (THE |AN |A )?(\w+ )?APPLICATION|"
        r"\bNATIONAL PHASE|REGIONAL PHASE|EUROPEAN PHASE|ENTRY INTO (THE )?\w+ PHASE|^FILING\b|FILING DATE|"
        r"DESIGNATED (CONTRACTING )?STATES|EXTENSION OF THE EUROPEAN PATENT|PRIORITY",
        _ANY,
    ),
]

#: the table's own class letter -> the model's class, when no rule matched
CLASS_DEFAULTS: dict[str, str] = {
    "A": "filing",
    "B": "withdrawal",
    "C": "restoration",
    "D": "examination",
    "E": "invalidation_request",
    "F": "grant",
    "H": "lapse",
    "K": "restoration",
    "L": "invalidation_request",
    "P": "correction",
    "Q": "publication",
    "S": "licence",
    "U": "fee_paid",
    "Y": "correction",
}

_COMPILED = [(cls, re.compile(pattern), letters) for cls, pattern, letters in RULES]


def classify_code(office: str, code: str, description: str, source_class: str) -> str:
    """The model's class of one INPADOC code (see the module docstring for the order)."""
    hit = OVERRIDES.get((office, code))
    if hit:
        return hit
    letter = source_class or "-"
    text = (description or "").upper()
    for cls, pattern, letters in _COMPILED:
        if (letters == _ANY or letter in letters) and pattern.search(text):
            return cls
    return CLASS_DEFAULTS.get(letter, "other")


def build(xlsx: Path, out: Path) -> Counter[str]:
    rows = []
    with xlsx.open("rb") as fh:
        for row in read_code_table(fh, str(xlsx)):
            cls = classify_code(row["office"], row["code"], row["description"], row["source_class"] or "")
            assert cls in EVENT_CLASSES, cls
            rows.append((row["office"], row["code"], cls))
    rows.sort()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["office", "code", "event_class"])
        writer.writerows(rows)
    return Counter(cls for _, _, cls in rows)


def main(argv: list[str]) -> int:
    xlsx = Path(argv[1]) if len(argv) > 1 else DEFAULT_XLSX
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    if not xlsx.exists():
        print(f"{xlsx}: no such file. Pass the path of EPO's legal_code_descriptions xlsx.", file=sys.stderr)
        return 2
    counts = build(xlsx, out)
    total = sum(counts.values())
    for cls, n in counts.most_common():
        print(f"{cls:24} {n:5}  {n / total:6.1%}")
    print(f"{total} codes -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
