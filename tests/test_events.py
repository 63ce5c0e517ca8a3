"""Event classes: the INPADOC code table (generated, reproducible, coverage pinned) and the text rules."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

from ipcockpit.ingest.epo_ops import read_code_table
from ipcockpit.ingest.uspto_assignment import conveyance_class
from ipcockpit.ingest.uspto_prosecution import uspto_event_class
from ipcockpit.model.events import classify_event, code_class, text_class
from ipcockpit.model.records import EVENT_CLASSES

REPO = Path(__file__).resolve().parents[1]
CSV = REPO / "ipcockpit/model/data/inpadoc_event_classes.csv"
XLSX = "epo_ops/legal/fixtures/legal_code_descriptions_202417.xlsx"


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_committed_table_is_what_the_script_builds(shared: Path, tmp_path: Path) -> None:
    out = tmp_path / "classes.csv"
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts/build_event_classes.py"), str(shared / XLSX), str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8") == CSV.read_text(encoding="utf-8")


def test_table_covers_every_code_with_a_known_class(shared: Path) -> None:
    rows = _csv_rows(CSV)
    with (shared / XLSX).open("rb") as fh:
        source = {(r["office"], r["code"]) for r in read_code_table(fh, XLSX)}
    assert len(rows) == len(source) == 4397
    assert {(r["office"], r["code"]) for r in rows} == source
    assert {r["event_class"] for r in rows} <= set(EVENT_CLASSES)
    counts = Counter(r["event_class"] for r in rows)
    # measured: 913 of 4,397 codes (20.8%) name nothing the model classes (SPCs, appeals, classification
    # notices, representatives); pinned so a rule change cannot silently lose coverage. Name and address
    # changes are `change` (81 codes), seizures `preservation` (14) and their discharge (9), the end of a
    # licence `licence_release` (23)
    assert counts["other"] == 913
    assert (counts["change"], counts["preservation"], counts["preservation_release"], counts["licence_release"]
            ) == (81, 14, 9, 23)
    assert counts["other"] / len(rows) < 0.21
    assert all(counts[c] > 0 for c in EVENT_CLASSES if c != "other")


def test_cn_codes() -> None:
    expected = {
        "PE01": "pledge",
        "PM01": "change",
        "PC01": "pledge_release",
        "PLDC": "pledge",
        "EE01": "licence",
        "EC01": "licence_release",
        "TR01": "transfer",
        "TA01": "transfer",
        "C41": "transfer",
        "CF01": "lapse",
        "MM4A": "lapse",
        "CX01": "expiry",
        "MK4A": "expiry",
        "GR01": "grant",
        "C14": "grant",
        "PB01": "publication",
        "SE01": "examination",
        "WD01": "withdrawal",
        "RJ01": "refusal",
        "IW01": "invalidation_decision",
        "IP01": "invalidation_decision",
        "RR01": "restoration",
        "CP01": "change",
        "CB02": "change",
        "PP01": "preservation",
        "PD01": "preservation_release",
        "RINS": "preservation",
        "EM01": "change",
        "CP03": "change",
        "CB01": "change",
    }
    assert {c: code_class("CN", c) for c in expected} == expected


def test_other_offices_codes() -> None:
    expected = {
        ("EP", "PG25"): "lapse",
        ("EP", "PGFP"): "fee_paid",
        ("EP", "GRAA"): "grant",
        ("EP", "GRAG"): "examination",
        ("EP", "26N"): "other",
        ("US", "AS"): "transfer",
        ("US", "MAFP"): "fee_paid",
        ("US", "FP"): "lapse",
        ("US", "IPR"): "invalidation_request",
        ("US", "STPP"): "other",
        ("US", "FEPP"): "other",
        ("DE", "R119"): "lapse",
    }
    assert {k: code_class(*k) for k in expected} == expected
    assert code_class("CN", "pe01 ") == "pledge"  # codes come padded and in any case
    assert code_class("XX", "ZZZZ") is None


def test_classify_event_refines_generic_codes() -> None:
    assert classify_event("US", "AS", "SECURITY INTEREST;ASSIGNOR:X") == "pledge"
    assert classify_event("US", "AS", "RELEASE BY SECURED PARTY") == "pledge_release"
    assert classify_event("US", "AS", "ASSIGNMENT OF ASSIGNORS INTEREST") == "transfer"
    assert classify_event("US", "STPP", "NON FINAL ACTION MAILED") == "examination"
    assert classify_event("EP", "REG", "EUROPEAN PATENT GRANTED") == "grant"
    assert classify_event("EP", "PG25", "whatever the text") == "lapse"  # a specific code is final
    assert classify_event("EP", "26N", "NO OPPOSITION FILED") == "other"
    assert classify_event(None, None, None) is None


def test_chinese_and_english_text_rules() -> None:
    cases = {
        "专利权质押合同登记的生效": "pledge",
        "专利权质押合同登记的注销": "pledge_release",
        "专利实施许可合同备案的生效": "licence",
        "专利申请权、专利权的转移": "transfer",
        "未缴年费专利权终止": "lapse",
        "专利权有效期届满": "expiry",
        "无效宣告请求": "invalidation_request",
        "无效宣告请求审查决定": "invalidation_decision",
        "发明专利申请公布后的视为撤回": "withdrawal",
        "发明专利申请公布后的驳回": "refusal",
        "授权": "grant",
        "实质审查的生效": "examination",
        "专利权质押合同登记的变更": "change",
        "专利实施许可合同备案的注销": "licence_release",
        "专利权人的姓名或者名称、地址的变更": "change",
        "著录事项变更": "change",
        "专利权的保全": "preservation",
        "专利权保全的解除": "preservation_release",
        "专利权部分无效": "invalidation_decision",
        "避免重复授予专利权": "lapse",
        "发明专利公报更正": "correction",
        "TERMINATION AND RELEASE OF PATENT SECURITY AGREEMENT": "pledge_release",
        "Payment of Maintenance Fee, 8th Yr": "fee_paid",
    }
    assert {t: text_class(t) for t in cases} == cases


def test_conveyances_and_uspto_codes() -> None:
    assert conveyance_class("ASSIGNMENT OF ASSIGNORS INTEREST (SEE DOCUMENT FOR DETAILS).") == "transfer"
    assert conveyance_class("SECURITY INTEREST (SEE DOCUMENT FOR DETAILS).") == "pledge"
    assert conveyance_class("SECURITY AGREEMENT") == "pledge"
    assert conveyance_class("RELEASE BY SECURED PARTY (SEE DOCUMENT FOR DETAILS).") == "pledge_release"
    assert conveyance_class("RELEASE OF SECURITY INTEREST IN PATENTS") == "pledge_release"
    assert conveyance_class("LICENSE (SEE DOCUMENT FOR DETAILS).") == "licence"
    assert conveyance_class("CHANGE OF NAME (SEE DOCUMENT FOR DETAILS).") == "other"
    assert uspto_event_class("ABN9", "Disposal for a RCE / CPA / R129") == "examination"
    assert uspto_event_class("ABN2", "Aband. for Failure to Respond to O. A.") == "withdrawal"
    assert uspto_event_class("M1551", "Payment of Maintenance Fee, 4th Year, Large Entity") == "fee_paid"
    assert uspto_event_class("EXP.", "Expire Patent") == "lapse"
    assert uspto_event_class("WPIR", "Issue Notification Mailed") == "grant"
    assert uspto_event_class("ZZZZ", "Email Notification") == "other"
