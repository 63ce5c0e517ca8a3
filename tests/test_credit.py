"""Credit tiers on the real organisations of the demo store (the Chongqing subset of the 2019 gazette week): the
shipped records files loaded by the documented loader, every tier recounted here from the files and the rules YAML
without the package's code, validity windows, repairs, confirmed signal cases, the audit log, bad input, a user's
own rules, and the command line."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import yaml
from credit_support import RECORDS_CSV, RECORDS_XLSX, demo_store, insert_signal_cases
from shared_stores import copy_store
from typer.testing import CliRunner, Result

from ipcockpit.app import Cockpit
from ipcockpit.cli import app
from ipcockpit.credit import CreditError, CreditNotFound
from ipcockpit.credit.rules import SHIPPED
from ipcockpit.credit.service import Credit
from ipcockpit.settings import Settings

AS_OF = "2025-10-20"
TODAY = date(2025, 10, 20)  # the service's clock in the tests that write: the files' records count then
DONGFU, YUANHAN, YIMEI = "重庆东福电子有限公司", "重庆元韩汽车技术设计研究院有限公司", "重庆艺美玻璃有限公司"


@pytest.fixture
def db(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_store(demo_store(tmp_path_factory), tmp_path)


@pytest.fixture
def loaded(db: Path) -> Path:
    with Cockpit(db=db) as c:
        credit = Credit(c.store, c.settings, today=TODAY)
        credit.load(RECORDS_CSV, "tester")
        credit.load(RECORDS_XLSX, "tester")
    return db


def _names(db: Path) -> dict[str, str]:
    with Cockpit(db=db, read_only=True) as c:
        return {n: e for e, n in c.store.con.execute(
            "SELECT entity_id, name FROM org_entities WHERE merged_into IS NULL").fetchall()}


def _parse(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    text = str(value).replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-")
    if text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    y, m, d = (int(x) for x in text.split("-"))
    return date(y, m, d)


def _recount(as_of: date) -> dict[str, str]:
    """The tiers of the two shipped files by the shipped YAML, computed here: name → tier."""
    rules = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    cats = {**rules["categories"], **{k: {**v, "positive": True} for k, v in rules["positive"].items()}}
    kinds = rules["kinds"]
    by_zh = {v["zh"]: k for k, v in kinds.items()}
    cat_zh = {v["zh"]: k for k, v in cats.items()}
    rows = []
    with RECORDS_CSV.open(encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            rows.append((r["主体名称"], by_zh[r["记录类型"]], cat_zh.get(r["失信类别"]), _parse(r["认定日期"])))
    sheet = openpyxl.load_workbook(RECORDS_XLSX).worksheets[0]
    head, *body = list(sheet.iter_rows(values_only=True))
    for cells in body:
        r = dict(zip(head, cells, strict=True))
        if r["organisation"]:
            rows.append((r["organisation"], r["kind"], r["category"], _parse(r["decided_on"])))
    out: dict[str, list[tuple[str, float, bool]]] = {}
    for name, kind, cat, day in rows:
        effect = kinds[kind]["effect"]
        cat = cat or kinds[kind].get("category")
        if day > as_of:
            state = "future"
        elif effect == "neutral":
            state = "known"
        else:
            years = cats[cat]["years"]
            end = day.replace(year=day.year + int(years))
            state = "counts" if as_of < end else "expired"
        out.setdefault(name, []).append((f"{effect}:{state}", cats[cat].get("weight", 0) if cat else 0,
                                         bool(cat and cats[cat].get("serious"))))
    tiers = {}
    for name, items in out.items():
        failing = [i for i in items if i[0] == "failure:counts"]
        weight = sum(i[1] for i in failing)
        if any(i[2] for i in failing) or weight >= rules["tiers"]["d_weight"]:
            tiers[name] = "D"
        elif weight >= rules["tiers"]["c_weight"]:
            tiers[name] = "C"
        elif any(i[0] == "positive:counts" for i in items):
            tiers[name] = "A"
        elif any(not i[0].endswith("future") for i in items):
            tiers[name] = "B"
        else:
            tiers[name] = "unknown"
    return tiers


@pytest.mark.parametrize("as_of", [AS_OF, "2024-06-30", "2026-06-02"])
def test_tiers_of_the_loaded_files_match_an_independent_recount(loaded: Path, as_of: str) -> None:
    names = _names(loaded)
    expected = _recount(date.fromisoformat(as_of))
    assert len(expected) == 8 and all(n in names for n in expected)  # every row names a real organisation
    with Cockpit(db=loaded, read_only=True) as c:
        data = Credit(c.store, c.settings).listing(limit=10_000, as_of=as_of)
    got = {r["name"]: r["tier"] for r in data["organisations"]}
    assert {n: got[n] for n in expected} == expected
    assert data["counts"]["unknown"] == len(names) - sum(t != "unknown" for t in expected.values())
    assert all(got[n] == "unknown" for n in names if n not in expected)  # nothing known: shown unknown, never A/B
    assert data["matched"] == len(names) == len(data["organisations"])
    tiers = [r["tier"] for r in data["organisations"]]
    order = {"D": 0, "C": 1, "B": 2, "A": 3, "unknown": 4}
    assert tiers == sorted(tiers, key=order.__getitem__)  # worst first


def test_a_year_of_validity_and_the_evidence_shown(loaded: Path) -> None:
    with Cockpit(db=loaded, read_only=True) as c:
        credit = Credit(c.store, c.settings)
        # 2025-03-10 abnormal_patent (2) and 2025-06-01 malicious_trademark (2), each counting one year
        assert credit.show(DONGFU, "2025-03-09")["tier"] == "unknown"  # nothing dated yet
        assert credit.show(DONGFU, "2025-03-10")["tier"] == "C"
        d = credit.show(DONGFU, AS_OF)
        assert (d["tier"], d["weight"], d["reason_key"]) == ("D", 4.0, "credit.why.d_weight")
        assert credit.show(DONGFU, "2026-03-09")["tier"] == "D"
        later = credit.show(DONGFU, "2026-03-10")  # the first ends on its anniversary
        assert (later["tier"], later["weight"]) == ("C", 2.0)
        assert [e["state"] for e in later["evidence"]] == ["expired", "counts"]
        gone = credit.show(DONGFU, "2026-06-01")
        assert gone["tier"] == "B" and gone["reason_values"]["records"] == 2
        first = d["evidence"][0]
        assert first["rule"]["article"] == "第六条（一）" and first["until"] == "2026-03-10"
        assert first["document_no"] == "测试〔2025〕1号" and first["origin"] == "records.csv row 2"
        # serious: the dishonesty list puts the organisation in D for three years by itself
        s = credit.show(YUANHAN, "2026-12-31")
        assert (s["tier"], s["reason_key"]) == ("D", "credit.why.d_serious")
        assert credit.show(YUANHAN, "2027-01-15")["tier"] == "B"
        # by id as well as by name
        assert credit.show(d["entity_id"], AS_OF)["name"] == DONGFU


def test_a_repair_stops_the_failure_counting_from_its_date_and_is_audited(loaded: Path) -> None:
    with Cockpit(db=loaded) as c:
        credit = Credit(c.store, c.settings, today=TODAY)
        before = credit.show(DONGFU)
        assert before["as_of"] == AS_OF and before["tier"] == "D"
        key = before["evidence"][1]["key"]  # the trademark penalty of 2025-06-01
        assert credit.compute(actor="ana")["changed"] == []  # the loads left the snapshot as of today
        with pytest.raises(CreditError, match="field basis: missing"):
            credit.repair(key, "2025-08-01", "  ", "ana")
        with pytest.raises(CreditError, match="before the evidence's date 2025-06-01"):
            credit.repair(key, "2025-05-01", "渝知信修〔2025〕1号", "ana")
        with pytest.raises(CreditError, match="after today"):
            credit.repair(key, "2025-10-21", "渝知信修〔2025〕1号", "ana")
        with pytest.raises(CreditNotFound, match="record:nope"):
            credit.repair("record:nope", "2025-08-01", "x", "ana")
        done = credit.repair(key, "2025-08-01", "渝知信修〔2025〕1号 主动撤回并整改", "ana")
        assert done["entity_id"] == before["entity_id"]
        assert done["changed"] == [{"entity_id": before["entity_id"], "before": "D", "after": "C"}]
        with pytest.raises(CreditError, match="repaired already on 2025-08-01 by ana"):
            credit.repair(key, "2025-09-01", "again", "ana")
        assert credit.show(DONGFU, "2025-07-31")["tier"] == "D"
        after = credit.show(DONGFU)
        assert (after["tier"], after["weight"]) == ("C", 2.0)
        assert after["evidence"][1]["state"] == "repaired"
        assert after["evidence"][1]["repair"]["basis"].startswith("渝知信修〔2025〕1号")
        assert credit.compute(actor="ana")["changed"] == []  # deterministic: nothing moves twice
        audit = credit.audit_log(entity=before["entity_id"])
    repair = next(a for a in audit if a["action"] == "repair")
    assert repair["actor"] == "ana" and repair["target"] == key and repair["after"]["repaired_on"] == "2025-08-01"
    tier = next(a for a in audit if a["action"] == "tier" and a["actor"] == "ana")
    assert (tier["before"]["tier"], tier["after"]["tier"], tier["after"]["as_of"]) == ("D", "C", AS_OF)
    assert tier["before"]["counting"] == [before["evidence"][0]["key"], key]
    assert tier["after"]["counting"] == [before["evidence"][0]["key"]]
    first = [a for a in audit if a["action"] == "tier" and a["actor"] == "tester"]  # the load of both penalties
    assert [(a["before"], a["after"]["tier"], a["after"]["weight"]) for a in first] == [(None, "D", 4.0)]


def test_every_record_is_in_the_audit_log_and_a_reload_adds_nothing(loaded: Path) -> None:
    with Cockpit(db=loaded) as c:
        credit = Credit(c.store, c.settings, today=TODAY)
        records = c.store.con.execute("SELECT record_id, entity_id FROM credit_records").fetchall()
        audit = credit.audit_log(limit=1000)
        again = credit.load(RECORDS_CSV, "someone")
        assert (again["added"], again["already"], again["changed"]) == (0, 7, [])
        assert len(credit.audit_log(limit=1000)) == len(audit)
    assert len(records) == 10
    added = {a["target"]: a for a in audit if a["action"] == "record"}
    assert set(added) == {f"record:{r}" for r, _ in records}
    assert all(a["actor"] == "tester" and a["before"] is None and a["after"]["entity_id"] == dict(records)[
        a["target"][7:]] for a in added.values())


def test_a_merged_organisations_records_count_for_the_one_it_was_merged_into(loaded: Path) -> None:
    names = _names(loaded)
    with Cockpit(db=loaded) as c:
        c.entity_merge(names[DONGFU], names[YIMEI], "ana", note="test: one company")
        credit = Credit(c.store, c.settings, today=TODAY)
        merged = credit.show(names[YIMEI])  # the old id stands for the entity it was merged into
        assert merged["entity_id"] == names[DONGFU] and (merged["tier"], merged["weight"]) == ("D", 6.0)
        assert {e["origin"] for e in merged["evidence"]} == {"records.csv row 2", "records.csv row 3",
                                                             "records.csv row 8", "records.xlsx row 5"}
        listed = {r["entity_id"] for r in credit.listing(limit=10_000)["organisations"]}
        assert names[YIMEI] not in listed and names[DONGFU] in listed
        changed = credit.compute(actor="ana")["changed"]
    assert {(x["entity_id"], x["before"], x["after"]) for x in changed} == {
        (names[DONGFU], "D", "D"), (names[YIMEI], "C", None)}


def test_a_files_names_resolved_at_once_as_one_by_one(db: Path) -> None:
    """The loader resolves a file's names in one query; each as find_entity (the profile pages' lookup) would."""
    from ipcockpit.credit.records import Resolver
    from ipcockpit.strength.ranking import find_entity

    with Cockpit(db=db, read_only=True) as c:
        con = c.store.con
        raw = [r[0] for r in con.execute("SELECT DISTINCT name_raw FROM parties WHERE role IN ('applicant', "
                                         "'patentee') ORDER BY 1").fetchall()]
        raw = raw[::3]  # a third of them: find_entity takes tens of milliseconds a name
        names = raw + [n.replace("有限公司", "有限公司 ") + " " for n in raw[:30]] + ["重庆不存在科技有限公司", "x"]
        resolver = Resolver(con)
        resolver.prime(names)
        expected = {n.strip(): find_entity(con, n) for n in names}
    assert len(raw) > 100 and resolver.names == expected
    assert sum(v is None for v in expected.values()) >= 2


def test_bad_rows_name_file_row_and_field_and_nothing_is_written(loaded: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("主体名称,记录类型,失信类别,认定日期\n"
                   "重庆艺美玻璃有限公司,行政处罚,恶意商标注册申请行为,2025-07-01\n"
                   "重庆不存在科技有限公司,行政处罚,恶意商标注册申请行为,2025-07-02\n"
                   "重庆东福电子有限公司,行政处罚,恶意商标注册申请行为,\n"
                   "重庆东福电子有限公司,罚款,,2025-07-03\n"
                   "重庆东福电子有限公司,行政处罚,,2025-07-04\n", encoding="utf-8")
    with Cockpit(db=loaded) as c:
        credit = Credit(c.store, c.settings, today=TODAY)
        counts = [c.store.count(t) for t in ("credit_records", "credit_audit", "credit_tiers")]
        with pytest.raises(CreditError) as err:
            credit.load(bad, "ana")
        text = str(err.value)
        assert "nothing loaded; 4 problem(s)" in text
        assert "bad.csv row 3, field organisation (主体名称): unknown organisation '重庆不存在科技有限公司'" in text
        assert "bad.csv row 4, field decided_on (认定日期): missing" in text
        assert "bad.csv row 5, field kind (记录类型): '罚款' is not a record kind" in text
        assert "bad.csv row 6, field category (失信类别): missing" in text
        assert [c.store.count(t) for t in ("credit_records", "credit_audit", "credit_tiers")] == counts
        header = tmp_path / "header.csv"
        header.write_text("主体名称,记录类别,认定日期\n重庆东福电子有限公司,行政处罚,2025-07-01\n", encoding="utf-8")
        with pytest.raises(CreditError, match=r"header.csv row 1: unknown column\(s\) 记录类别"):
            credit.load(header, "ana")
        with pytest.raises(CreditError, match="field decided_on .*: '2025-13-01' is not a date"):
            credit.record({"organisation": YIMEI, "kind": "penalty", "category": "false_material",
                           "decided_on": "2025-13-01"}, "ana")
        with pytest.raises(CreditNotFound, match="unknown organisation 'o:0000'"):
            credit.show("o:0000")
        assert [c.store.count(t) for t in ("credit_records", "credit_audit", "credit_tiers")] == counts


def test_confirmed_signal_cases_count_others_do_not(loaded: Path) -> None:
    names = _names(loaded)
    with Cockpit(db=loaded) as c:
        insert_signal_cases(c.store.con, [
            {"case_id": "near_duplicate:aa", "kind": "near_duplicate", "subject": names[YIMEI], "suspect_count": 12,
             "status": "handled", "result": "confirmed", "note": "属实，已驳回"},
            {"case_id": "burst:bb", "kind": "burst", "subject": names[YIMEI], "status": "pending"},
            {"case_id": "burst:cc", "kind": "burst", "subject": names[YIMEI], "status": "checked"},
            {"case_id": "tm_many_classes:dd", "kind": "tm_many_classes", "subject": "重庆鑫业船舶件有限公司",
             "status": "handled", "result": "dismissed"},
            {"case_id": "scattered:ee", "kind": "scattered", "subject": "某不存在的申请人", "status": "handled",
             "result": "confirmed"},
            {"case_id": "new_kind:ff", "kind": "new_kind", "subject": names["西南大学"], "status": "handled",
             "result": "confirmed"},
        ])
        credit = Credit(c.store, c.settings, today=TODAY)
        yimei = credit.show(YIMEI, AS_OF)  # the judgment of 2025-09-30 (2) and the confirmed case (2)
        assert (yimei["tier"], yimei["weight"]) == ("D", 4.0)
        case = next(e for e in yimei["evidence"] if e["source"] == "signal_case")
        assert (case["key"], case["category"], case["date"], case["suspect_count"]) == (
            "case:near_duplicate:aa", "abnormal_patent", "2025-09-01", 12)
        # the judgment, the check of the xlsx and the confirmed case; pending and checked cases are no evidence
        assert sorted(e["source"] for e in yimei["evidence"]) == ["record", "record", "signal_case"]
        xinye = credit.show("重庆鑫业船舶件有限公司", AS_OF)  # found by its name; a dismissed case: known
        assert xinye["tier"] == "B" and {e["state"] for e in xinye["evidence"]} == {"expired", "known"}
        swu = credit.show("西南大学", AS_OF)
        assert swu["tier"] == "A" and "unmapped" in {e["state"] for e in swu["evidence"]}
        listing = credit.listing(as_of=AS_OF)
        assert [u["case_id"] for u in listing["unresolved_cases"]] == ["scattered:ee"]
        credit.repair("case:near_duplicate:aa", "2025-10-01", "复核后撤回全部申请", "ana")
        assert credit.show(YIMEI, AS_OF)["tier"] == "C"


def test_a_users_rules_file_replaces_the_shipped_one(loaded: Path, tmp_path: Path) -> None:
    rules = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    rules["tiers"]["c_weight"] = 3
    rules["categories"]["repeated_infringement"]["years"] = 0.5
    own = tmp_path / "rules.yaml"
    own.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    settings = Settings(db=str(loaded), credit={"rules": str(own)})
    with Cockpit(settings) as c:
        credit = Credit(c.store, c.settings)
        yimei = credit.show(YIMEI, AS_OF)  # weight 2 < 3: no longer C
        assert yimei["tier"] == "B" and yimei["rules_digest"] != Credit(c.store, Settings()).rules.digest
        assert credit.show(YIMEI, "2025-10-01")["evidence"][0]["until"] == "2026-04-01"  # 2025-09-30 + 183 days
    rules["categories"]["abnormal_patent"]["weight"] = "heavy"
    own.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    with Cockpit(settings) as c, pytest.raises(CreditError, match=r"rules.yaml: categories.abnormal_patent.weight"):
        Credit(c.store, c.settings).listing()


def _cli(db: Path, *args: str) -> Result:
    """The command in-process (typer's runner: stdout and stderr apart, the exit status)."""
    return CliRunner().invoke(app, ["credit", *args, "--db", str(db)])


def test_the_command_line(loaded: Path, tmp_path: Path) -> None:
    shown = _cli(loaded, "show", DONGFU, "--as-of", AS_OF, "--json")
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["tier"] == "D"
    out = tmp_path / "list.xlsx"
    listed = _cli(loaded, "list", "--tier", "C", "--as-of", AS_OF, "--xlsx", str(out), "--json")
    assert listed.exit_code == 0, listed.stderr
    rows = json.loads(listed.stdout)["organisations"]
    assert {r["name"] for r in rows} == {YIMEI, "重庆气体压缩机厂有限责任公司"}
    sheet = list(openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert len(sheet) == 3 and {r[1] for r in sheet[1:]} == {YIMEI, "重庆气体压缩机厂有限责任公司"}
    added = _cli(loaded, "record", "--org", YIMEI, "--kind", "行政处罚", "--category", "false_material",
                 "--date", "2025-10-10", "--authority", "璧山区知识产权局", "--json")
    assert added.exit_code == 0, added.stderr
    key = "record:" + json.loads(added.stdout)["record_id"]
    assert json.loads(_cli(loaded, "show", YIMEI, "--as-of", AS_OF, "--json").stdout)["tier"] == "D"
    repaired = _cli(loaded, "repair", key, "--date", "2025-10-15", "--basis", "撤销处罚决定")
    assert repaired.exit_code == 0, repaired.stderr
    assert json.loads(_cli(loaded, "show", YIMEI, "--as-of", AS_OF, "--json").stdout)["tier"] == "C"
    bad = _cli(loaded, "record", "--org", "重庆不存在科技有限公司", "--kind", "penalty", "--category",
               "false_material", "--date", "2025-10-10")
    assert bad.exit_code == 2 and bad.stdout == ""
    assert "error: field organisation (主体名称): unknown organisation '重庆不存在科技有限公司'" in bad.stderr
    wrong = _cli(loaded, "list", "--tier", "E")
    assert wrong.exit_code == 2 and "E" in wrong.stderr
    rules = _cli(loaded, "rules", "--json")
    assert rules.exit_code == 0 and json.loads(rules.stdout)["basis"].startswith("国家知识产权局")
