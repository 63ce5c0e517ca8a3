"""Credit tiers in the real web app, in-process, against a real DuckDB file (the demo store with the shipped records):
who sees what (an enterprise user its own organisation only, analysts all, the public nothing), the record and
repair forms with their CSRF tokens, the API's writes and the downloads."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from credit_support import RECORDS_CSV, RECORDS_XLSX, demo_store
from fastapi.testclient import TestClient
from shared_stores import copy_store

from ipcockpit.app import Cockpit
from ipcockpit.credit.service import Credit
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app

PASSWORDS = {"boss": "admin-pass-1", "ana": "analyst-pass-2", "acme": "acme-pass-33", "beta": "beta-pass-444"}
DONGFU, YIMEI = "重庆东福电子有限公司", "重庆艺美玻璃有限公司"


IDS: dict[str, str] = {}  # organisation name → entity id (not merged), read before the app holds the store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = copy_store(demo_store(tmp_path_factory), tmp_path_factory.mktemp("credit_web"))
    with Cockpit(db=db) as c:
        IDS.update({n: e for e, n in c.store.con.execute(
            "SELECT entity_id, name FROM org_entities WHERE merged_into IS NULL").fetchall()})
        credit = Credit(c.store, c.settings, today=date(2025, 10, 20))
        credit.load(RECORDS_CSV, "tester")
        credit.load(RECORDS_XLSX, "tester")
        for name, role in (("boss", "admin"), ("ana", "analyst"), ("acme", "enterprise"), ("beta", "enterprise")):
            c.add_user(name, role, PASSWORDS[name], created_by="test")
    return db


@pytest.fixture
def client(store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=str(store)), read_only=False)) as c:
        yield c


def login(client: TestClient, name: str) -> str:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    r = client.post("/login", data={"username": name, "password": PASSWORDS[name], "csrf_token": token.group(1)},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(client.get("/api/me").json()["csrf_token"])


def test_the_public_sees_no_credit(client: TestClient) -> None:
    for path in ("/credit", "/api/credit", "/credit.csv", f"/api/credit/org/{DONGFU}", "/api/credit/rules"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code in (303, 401, 403), path
        assert DONGFU not in r.text, path


def test_an_enterprise_user_sees_its_own_tier_and_why_never_anothers(client: TestClient, store: Path) -> None:
    ids = IDS
    token = login(client, "boss")
    r = client.post("/api/credit/links", json={"user": "acme", "organisation": DONGFU},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    assert r.json()["entity_id"] == ids[DONGFU]
    page = client.get("/credit").text
    form = re.search(r'id="credit-link".*?name="csrf_token" value="([^"]+)"', page, re.S)
    assert form, "the admin's link form"
    assert page.count('id="credit-link"') == 1  # once (a merge had drawn the form twice, two elements of one id)
    r = client.post("/credit/link", data={"user": "beta", "organisation": YIMEI, "csrf_token": form.group(1)},
                    follow_redirects=False)
    assert r.status_code == 303
    linked = client.get("/credit").text
    linked = linked[linked.index('id="credit-links"'):]
    assert re.search(r'<td class="nowrap">\d{4}-\d\d-\d\d \d\d:\d\d UTC', linked)  # when linked: local
    r = client.post("/credit/link", data={"user": "beta", "organisation": "", "csrf_token": form.group(1)},
                    follow_redirects=False)  # and unlinked again: beta stays unlinked for the next test
    assert r.status_code == 303 and 'id="credit-links"' in client.get("/credit").text
    links = [a for a in client.get("/api/credit/audit").json()["audit"] if a["target"] == "user:beta"]
    assert [(a["before"], a["after"]) for a in links] == [({"entity_id": ids[YIMEI]}, None),
                                                          (None, {"entity_id": ids[YIMEI], "name": YIMEI})]
    refused = client.post("/api/credit/links", json={"user": "ana", "organisation": DONGFU},
                          headers={"X-CSRF-Token": token})
    assert refused.status_code == 400 and "only enterprise users" in refused.json()["error"]
    client.post("/logout", data={"csrf_token": token})

    login(client, "acme")
    listed = client.get("/api/credit", params={"as_of": "2025-10-20"}).json()
    assert [r["entity_id"] for r in listed["organisations"]] == [ids[DONGFU]]
    assert listed["organisations"][0]["tier"] == "D" and listed["unresolved_cases"] == []
    own = client.get(f"/api/credit/org/{ids[DONGFU]}", params={"as_of": "2025-10-20"}).json()
    assert own["tier"] == "D" and len(own["evidence"]) == 2 and own["audit"] == []  # the why, not the audit
    page = client.get(f"/credit/org/{ids[DONGFU]}", params={"as_of": "2025-10-20"})
    assert page.status_code == 200 and "D 严重失信" in page.text and "测试〔2025〕1号" in page.text
    assert 'id="credit-repair"' not in page.text  # no forms for an enterprise user
    for other in (ids[YIMEI], YIMEI):
        r = client.get(f"/api/credit/org/{other}")
        assert r.status_code == 403 and YIMEI not in r.text
    assert client.get(f"/credit/org/{ids[YIMEI]}").status_code == 403
    html = client.get("/credit").text
    assert DONGFU in html and YIMEI not in html and 'id="credit-record"' not in html
    rows = list(openpyxl.load_workbook(io.BytesIO(client.get("/credit.xlsx").content)).worksheets[0]
                .iter_rows(values_only=True))
    assert len(rows) == 2 and DONGFU in rows[1]
    assert client.get("/api/credit/audit").status_code == 403
    assert client.post("/api/credit/records", json={"organisation": DONGFU, "kind": "inspection",
                                                    "decided_on": "2025-01-01"}).status_code == 403
    assert client.post("/credit/load", files={"file": ("r.csv", b"x")}).status_code == 403
    assert client.post("/credit/link", data={"user": "acme", "organisation": YIMEI}).status_code == 403


def test_an_unlinked_enterprise_user_sees_nothing(client: TestClient) -> None:
    login(client, "beta")
    data = client.get("/api/credit").json()
    assert data["organisations"] == [] and data["scope"] == ""
    assert 'id="credit-unlinked"' in client.get("/credit").text


def test_an_analyst_sees_all_and_records_and_repairs_through_the_forms(client: TestClient, store: Path) -> None:
    ids = IDS
    login(client, "ana")
    listed = client.get("/api/credit", params={"as_of": "2025-10-20", "limit": 1000}).json()
    assert listed["counts"] == {"A": 2, "B": 2, "C": 2, "D": 2, "unknown": listed["matched"] - 8}
    assert len(listed["organisations"]) == listed["matched"] == len(ids)  # every organisation listed
    only_c = client.get("/api/credit", params={"as_of": "2025-10-20", "tier": "C"}).json()["organisations"]
    assert {r["name"] for r in only_c} == {YIMEI, "重庆气体压缩机厂有限责任公司"}
    csv_text = client.get("/credit.csv", params={"as_of": "2025-10-20", "tier": "D"}).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("信用等级,主体,主体编号") and len(csv_text.splitlines()) == 3
    english = client.get("/credit", params={"as_of": "2025-10-20", "lang": "en"}).text
    assert "IP credit tiers" in english and "D seriously dishonest" in english and "Not rated (no record)" in english
    page = client.get("/credit", params={"as_of": "2025-10-20", "lang": "zh-CN"}).text
    token = re.search(r'id="credit-record".*?name="csrf_token" value="([^"]+)"', page, re.S)
    assert token, "the record form"
    r = client.post("/credit/record", data={"organisation": YIMEI, "kind": "penalty", "category": "false_material",
                                            "decided_on": "2025-10-01", "authority": "璧山区知识产权局",
                                            "csrf_token": token.group(1)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/credit/org/{ids[YIMEI].replace(':', '%3A')}"
    shown = client.get(f"/api/credit/org/{ids[YIMEI]}", params={"as_of": "2025-10-20"}).json()
    assert shown["tier"] == "D" and shown["weight"] == 5.0
    added = next(e for e in shown["evidence"] if e["category"] == "false_material")
    assert added["entered_by"] == "ana" and added["origin"] == "manual"
    org_page = client.get(f"/credit/org/{ids[YIMEI]}").text
    audit = org_page[org_page.index("<tbody>", org_page.rindex("<table")):]  # the audit, the page's last table
    assert re.search(r'<td class="nowrap">\d{4}-\d\d-\d\d \d\d:\d\d UTC', audit)  # local time, the zone named
    assert not re.search(r"\d{4}-\d\d-\d\dT\d", audit)  # not the stored ISO value
    token = re.search(r'id="credit-repair".*?name="csrf_token" value="([^"]+)"', org_page, re.S)
    assert token, "the repair form"
    r = client.post("/credit/repair", data={"key": added["key"], "repaired_on": "2025-10-10", "basis": "撤销决定",
                                            "csrf_token": token.group(1)}, follow_redirects=False)
    assert r.status_code == 303
    after = client.get(f"/api/credit/org/{ids[YIMEI]}", params={"as_of": "2025-10-20"}).json()
    assert (after["tier"], after["weight"]) == ("C", 2.0)
    actions = [a["action"] for a in after["audit"]]
    assert "repair" in actions and "record" in actions
    bad = client.post("/credit/record", data={"organisation": "重庆不存在科技有限公司", "kind": "penalty",
                                              "category": "false_material", "decided_on": "2025-10-01",
                                              "csrf_token": token.group(1)})
    assert bad.status_code == 400 and "field organisation (主体名称): unknown organisation" in bad.text
    assert "重庆不存在科技有限公司" in bad.text
    no_date = client.post("/api/credit/records", json={"organisation": YIMEI, "kind": "penalty"},
                          headers={"X-CSRF-Token": token.group(1)})
    assert no_date.status_code == 400 and "decided_on" in no_date.json()["error"]
    page = client.get("/credit").text
    token = re.search(r'id="credit-load".*?name="csrf_token" value="([^"]+)"', page, re.S)
    assert token, "the upload form"
    bad = ("主体名称,记录类型,失信类别,认定日期\n重庆艺美玻璃有限公司,核查无异常,,2025-10-18\n"
           "重庆艺美玻璃有限公司,行政处罚,false_material,\n").encode("gb18030")
    r = client.post("/credit/load", data={"csrf_token": token.group(1)}, files={"file": ("上传.csv", bad)})
    assert r.status_code == 400 and "上传.csv row 3, field decided_on (认定日期): missing" in r.text
    assert "/tmp" not in r.text  # the upload is named by its own name, not where it was saved
    good = bad.split(b"\n")[:2]
    r = client.post("/credit/load", data={"csrf_token": token.group(1)},
                    files={"file": ("上传.csv", b"\n".join(good) + b"\n")}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/credit?loaded=1&already=0"
    assert 'id="credit-loaded"' in client.get(r.headers["location"]).text
    checked = client.get(f"/api/credit/org/{ids[YIMEI]}", params={"as_of": "2025-10-20"}).json()["evidence"]
    assert any(e["origin"] == "上传.csv row 2" and e["entered_by"] == "ana" for e in checked)
    audit = client.get("/api/credit/audit", params={"entity": ids[YIMEI]}).json()["audit"]
    assert (audit[0]["action"], audit[0]["actor"], audit[0]["after"]["origin"]) == ("record", "ana", "上传.csv row 2")
    assert {"record", "repair"} <= {a["action"] for a in audit if a["actor"] == "ana"}
