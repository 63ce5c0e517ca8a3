"""Watch lists on small real files: what each object kind covers, baselines, expiry within N days, the
transfer-leaves-the-region rule, failed deliveries retried once, access, the CLI and the web page/API.
(The replay of every shared event file, with its independent count, is tests/test_watch_replay.py.)"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shared_stores import copy_store, empty_store
from typer.testing import CliRunner
from watch_support import Receiver, SmtpServer, free_port, ids

from ipcockpit.app import Cockpit
from ipcockpit.auth import AccessError, User
from ipcockpit.cli import app as cli
from ipcockpit.settings import Settings
from ipcockpit.watch import run_after_ingest
from ipcockpit.watch.service import Watch
from ipcockpit.watch.sources import _assignee_region
from ipcockpit.watch.store import WatchError, has_lists

CN_TABLE = "cn/table_export_sample/专利总表(案例).sql"
PEDS = "uspto_api/peds/fixtures/app_1_input.json"
ODP = "uspto_api/odp/fixtures/application.json"
OPS3 = "epo_ops/legal/fixtures/example_3.xml"
PASSWORDS = {"boss": "admin-pass-1", "ana": "analyst-pass-2", "acme": "acme-pass-33"}
ANA, ACME, BOSS = User("ana", "analyst"), User("acme", "enterprise"), User("boss", "admin")


def _cockpit(tmp_path: Path, factory: pytest.TempPathFactory, **watch: object) -> Cockpit:
    db = copy_store(empty_store(factory), tmp_path, "w.duckdb")
    c = Cockpit(Settings(db=str(db), watch=dict(watch)))
    for name, role in (("boss", "admin"), ("ana", "analyst"), ("acme", "enterprise")):
        c.add_user(name, role, PASSWORDS[name])
    return c


def test_objects_baseline_and_no_cost_without_lists(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                                                    shared: Path) -> None:
    c = _cockpit(tmp_path, tmp_path_factory)
    reports = c.ingest([shared / CN_TABLE])
    assert not has_lists(c.store) and run_after_ingest(c.store, c.settings, reports) is None
    assert c.store.scalar("SELECT count(*) FROM watch_alerts") == 0
    w = Watch(c.store, c.settings)
    # objects added after their data: the events already there are a baseline, recorded and never delivered
    row = w.add(ANA, "zz", {"region": ["410100"], "org": ["中科大数据研究院"], "patent": ["CN202211359874"]},
                webhook_url="http://127.0.0.1:9/none")
    assert len(row["added"]) == 3 and w.alerts(ANA)["total"] == 0
    assert w.alerts(ANA, baseline=True)["total"] == 11  # the table's 11 publications (7 U, 3 A, 1 B), once each
    assert c.store.scalar("SELECT count(*) FROM watch_deliveries") == 0
    kinds = {(a["doc_id"], a["kind"]) for a in w.alerts(ANA, baseline=True)["alerts"]}
    assert ("CN115883397A", "filing") in kinds and ("CN115883397B", "grant") in kinds
    # the district, not the province's other cities; 410000 (Henan) covers 410100 (Zhengzhou)
    w.add(ANA, "elsewhere", {"region": ["500120"]})
    w.add(ANA, "henan", {"region": ["410000"]})
    assert w.alerts(ANA, list_id=w.lists(ANA)[0]["list_id"], baseline=True)["total"] == 0
    henan = next(x for x in w.lists(ANA) if x["name"] == "henan")
    assert w.alerts(ANA, list_id=henan["list_id"], baseline=True)["total"] == 11
    assert c.ingest([shared / CN_TABLE]) and w.alerts(ANA)["total"] == 0  # re-ingest: nothing new
    # an SEI branch: the documents with an IPC code that fully matches one of the branch's (or a sub-branch's)
    # patterns and none of its exclusions, recounted here in SQL on the concordance
    expected = {r["doc_id"] for r in c.store.query(
        "SELECT DISTINCT k.doc_id FROM classifications k JOIN ref_ipc_concordance r ON r.scheme = 'sei2021' "
        "AND (r.code = '1.1' OR r.code LIKE '1.1.%') AND regexp_full_match(k.code, r.ipc_regex) "
        "AND NOT coalesce(regexp_full_match(k.code, r.exclusion_regex), false) WHERE k.scheme = 'IPC'")}
    sei, ipc = w.add(ANA, "sei", {"sei": ["1.1"]}), w.add(ANA, "ipc", {"ipc": ["G06F 16"]})
    got = {a["doc_id"] for a in w.alerts(ANA, sei["list_id"], baseline=True)["alerts"]}
    assert got == expected == {"CN116245100A", "CN116595400A"}
    assert {a["doc_id"] for a in w.alerts(ANA, ipc["list_id"], baseline=True)["alerts"]} == {"CN116245100A"}
    # a saved query needs the search index: without it the object covers nothing and the run says why
    w.add(ANA, "q", {"query": ["无人机"]})
    unknown = w.run()["unknown"]
    assert [(u["kind"], u["value"]) for u in unknown] == [("query", "无人机")] and "index" in unknown[0]["reason"]
    with pytest.raises(WatchError, match="six-digit"):
        w.add(ANA, "zz", {"region": ["Bishan"]})
    c.close()


def test_transfer_leaving_the_region_rule(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                                          shared: Path) -> None:
    """The assignee's recorded address decides (the CN table's applicant lies in 410100, Zhengzhou)."""
    c = _cockpit(tmp_path, tmp_path_factory)
    c.ingest([shared / CN_TABLE])
    assert _assignee_region(c.store, "中科大数据研究院", "5001") == (True, None)  # outside Chongqing's city
    assert _assignee_region(c.store, "中科大数据研究院", "4101") == (False, None)
    assert _assignee_region(c.store, "无此公司", "5001") == (None, "no_address")
    assert _assignee_region(c.store, None, "5001") == (None, "no_assignee")
    c.close()


def test_expiry_within_n_days(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, shared: Path) -> None:
    """PEDS US8457796: filed 2010-03-11 (raw appFilingDate), its 20-year term from filing ends 2030-03-11, plus
    the file's 119 days of patent-term adjustment (totalPtoDays): 2030-07-08 by the legal-status rule; its
    maintenance-fee lapse of 2017 was restored in 2018. (Before session 14 the ingester did not read
    totalPtoDays and the alert came 119 days early.)"""
    raw = json.loads((shared / PEDS).read_text())["queryResults"]["searchResponse"]["response"]["docs"][0]
    end = date.fromisoformat(raw["appFilingDate"][:10]).replace(year=2030) + timedelta(days=int(raw["totalPtoDays"]))
    assert end == date(2030, 7, 8)
    c = _cockpit(tmp_path, tmp_path_factory)
    w = Watch(c.store, c.settings)
    lst = w.add(ANA, "term", {"patent": ["US8457796"]}, expiry_days=30)
    c.ingest([shared / PEDS])
    assert not [a for a in w.alerts(ANA)["alerts"] if a["kind"] == "expiry_soon"]  # today is years before
    w.run(today=end - timedelta(days=31))
    assert not [a for a in w.alerts(ANA)["alerts"] if a["kind"] == "expiry_soon"]
    w.run(today=end - timedelta(days=30))
    w.run(today=end - timedelta(days=2))  # once, however often it runs
    soon = [a for a in w.alerts(ANA, lst["list_id"])["alerts"] if a["kind"] == "expiry_soon"]
    assert len(soon) == 1 and soon[0]["params"]["date"] == end.isoformat() and soon[0]["params"]["days"] == 30
    assert soon[0]["evidence"][0]["expiry_date"] == end.isoformat()
    c.close()


def test_failed_deliveries_are_retried_once_each(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                                                  shared: Path) -> None:
    with SmtpServer() as smtp, Receiver() as hook:
        dead = free_port()  # nothing listens there: the first run's mail fails
        c = _cockpit(tmp_path, tmp_path_factory, smtp_host="127.0.0.1", smtp_port=dead)
        w = Watch(c.store, c.settings)
        lst = w.add(ANA, "ops", {"patent": ["US10465445"]}, email="ana@bishan.example", webhook_url=hook.url)
        hook.secrets = {"ops": w.secret(ANA, lst["list_id"])}
        hook.fail_next = 1  # the webhook's first post answers 500
        c.ingest([shared / OPS3])
        alerts = w.alerts(ANA)["alerts"]
        status = [{d["channel"]: d["status"] for d in a["deliveries"]} for a in alerts]
        assert alerts and all(s["inapp"] == "sent" and s["email"] == "failed" for s in status)
        assert [s["webhook"] for s in status].count("failed") == 1  # one post per alert: the first one failed
        failed = c.store.query("SELECT channel, count(*) AS n, min(attempts) AS a, min(last_error) AS e "
                               "FROM watch_deliveries WHERE status = 'failed' GROUP BY channel ORDER BY channel")
        assert [(f["channel"], f["n"], f["a"]) for f in failed] == [("email", len(alerts), 1), ("webhook", 1, 1)]
        assert "Connection" in failed[0]["e"] and "500" in failed[1]["e"]
        w2 = Watch(c.store, c.settings.with_overrides(watch={"smtp_host": "127.0.0.1", "smtp_port": smtp.port}))
        report = w2.run()
        assert report["new_alerts"] == 0 and not report["delivery"]["failed"]
        w2.run()  # nothing left: nothing sent twice
        ids = sorted(a["alert_id"] for a in alerts)
        assert sorted(smtp.mailbox.alert_ids()) == ids and sorted(hook.alert_ids()) == ids
        assert all(p["signed"] for p in hook.posts)
        assert c.store.scalar("SELECT count(*) FROM watch_deliveries WHERE status <> 'sent'") == 0
        c.close()


def test_access_and_read_marks(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, shared: Path) -> None:
    c = _cockpit(tmp_path, tmp_path_factory)
    w = Watch(c.store, c.settings)
    mine = w.add(ACME, "own", {"patent": ["US8457796"]})
    shared_list = w.add(ANA, "team", {"ipc": ["A61B"]}, shared_role="enterprise")
    c.ingest([shared / PEDS, shared / ODP])
    assert {x["name"] for x in w.lists(ACME)} == {"own", "team"} and {x["name"] for x in w.lists(ANA)} == {"team"}
    assert {x["name"] for x in w.lists(BOSS)} == {"own", "team"}
    secrets = {x["name"]: "webhook_secret" in x for x in w.lists(ACME)}
    assert secrets == {"own": True, "team": False}  # the key to check signatures: for who may change the list
    team = w.alerts(ACME, shared_list["list_id"])["alerts"]
    assert team and {a["doc_id"] for a in team} == {"US20170071586"}  # CPC A61B 17/24 ...
    with pytest.raises(AccessError):
        w.mark_read(ACME, [team[0]["alert_id"]])  # seen, not changed, by the role it is shared with
    with pytest.raises(AccessError):
        w.alerts(ANA, mine["list_id"])
    own = w.alerts(ACME, mine["list_id"])["alerts"]
    assert w.mark_read(ACME, [a["alert_id"] for a in own]) == len(own)
    assert w.alerts(ACME, mine["list_id"], unread=True)["total"] == 0
    with pytest.raises(AccessError):
        w.add(User(None, "public"), "x", {"patent": ["US1"]})
    c.close()


@pytest.fixture
def web_store(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    c = _cockpit(tmp_path, tmp_path_factory)
    Watch(c.store, c.settings).add(ANA, "us", {"patent": ["US8457796"]})
    c.ingest([shared / PEDS])
    path = Path(c.settings.db)
    c.close()
    return path


@pytest.fixture
def client(web_store: Path) -> Iterator[TestClient]:
    from ipcockpit.web.server import create_app

    with TestClient(create_app(Settings(db=str(web_store)), read_only=False)) as tc:
        yield tc


def _login(client: TestClient, name: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"username": name, "password": PASSWORDS[name], "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(client.get("/api/me").json()["csrf_token"])


def test_web_page_api_downloads(client: TestClient) -> None:
    assert client.get("/api/watch").status_code in (401, 403)
    assert client.get("/watch.csv").status_code in (401, 403)
    token = _login(client, "ana")
    data = client.get("/api/watch?lang=en").json()
    assert [x["name"] for x in data["lists"]] == ["us"]
    assert data["total"] == len(data["alerts"]) == 4  # filing, grant, lapse, transfer
    first = data["alerts"][0]
    html = client.get("/watch?lang=en").text
    assert f'href="/patent/{first["doc_id"]}"' in html and first["message"] in html
    csv_text = client.get("/watch.csv?lang=en").content.decode("utf-8-sig")
    assert csv_text.count("\n") == data["total"] + 1 and "Evidence page" in csv_text.splitlines()[0]
    assert client.get("/watch.xlsx").content[:2] == b"PK"
    # the API: add an object, mark read; another user's list is refused
    r = client.post("/api/watch/lists", json={"list": "us", "kind": "org", "value": "75F, INC."},
                    headers={"x-csrf-token": token})
    assert r.status_code == 200 and r.json()["added"] == [{"kind": "org", "value": "75F, INC."}]
    ids = [a["alert_id"] for a in data["alerts"]]
    r = client.post("/api/watch/read", json={"alert_ids": ids}, headers={"x-csrf-token": token})
    assert r.json() == {"changed": len(ids)}
    assert client.get("/api/watch?unread=true").json()["total"] == 0
    # the page's form
    r = client.post("/watch/lists", data={"list": "new", "kind": "ipc", "value": "G06F", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/api/watch").json()
    new = next(x for x in page["lists"] if x["name"] == "new")
    assert new["watched"][0]["value"] == "G06F" and new["may_edit"]
    assert 'action="/watch/objects/remove"' in client.get("/watch").text
    r = client.post("/watch/objects/remove", data={"list_id": str(new["list_id"]), "kind": "ipc", "value": "G06F",
                                                   "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert next(x for x in client.get("/api/watch").json()["lists"] if x["name"] == "new")["watched"] == []
    client.post("/logout", data={"csrf_token": token})
    token = _login(client, "acme")
    assert client.get("/api/watch").json()["lists"] == []
    r = client.post("/api/watch/read", json={"alert_ids": ids[:1]}, headers={"x-csrf-token": token})
    assert r.status_code == 403


def test_cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, shared: Path) -> None:
    c = _cockpit(tmp_path, tmp_path_factory)
    c.ingest([shared / PEDS])
    db = c.settings.db
    c.close()
    runner = CliRunner()
    r = runner.invoke(cli, ["watch", "add", "--user", "ana", "--list", "us", "--patent", "US8457796", "--db", db,
                            "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["added"] == [{"kind": "patent", "value": "US8457796"}]
    r = runner.invoke(cli, ["watch", "run", "--db", db, "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["new_alerts"] == 0  # a baseline: the data was there first
    r = runner.invoke(cli, ["watch", "list", "--user", "ana", "--db", db, "--json"])
    assert [x["name"] for x in json.loads(r.stdout)] == ["us"]
    r = runner.invoke(cli, ["watch", "alerts", "--user", "ana", "--db", db])
    assert r.exit_code == 0
    r = runner.invoke(cli, ["watch", "alerts", "--user", "nobody", "--db", db])
    assert r.exit_code == 2 and "nobody" in r.output
    # the command line's language: Chinese by default, English by the setting
    assert "新提醒 0 条" in runner.invoke(cli, ["watch", "run", "--db", db]).output
    config = tmp_path / "en.yaml"
    config.write_text("language: en\n", encoding="utf-8")
    assert "0 new alert(s)" in runner.invoke(cli, ["watch", "run", "--db", db, "--config", str(config)]).output


def test_weekly_digest_waits_its_week(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, shared: Path) -> None:
    """A weekly list: a digest goes a week after the list was made, then a week after the last digest, holding
    everything that came since (earlier: nothing), and never twice."""
    from datetime import datetime

    from ipcockpit.watch.delivery import deliver

    def week_after_last() -> datetime:
        return c.store.scalar("SELECT last_digest_at FROM watch_lists") + timedelta(days=7, seconds=1)

    with SmtpServer() as smtp:
        c = _cockpit(tmp_path, tmp_path_factory, smtp_host="127.0.0.1", smtp_port=smtp.port)
        w = Watch(c.store, c.settings)
        w.add(ANA, "week", {"patent": ["US10465445", "US8457796"]}, digest="weekly", email="ana@bishan.example")
        c.ingest([shared / OPS3])  # the run after the ingest: the week has not passed
        first = {a["alert_id"] for a in w.alerts(ANA)["alerts"]}
        assert first and not smtp.mailbox.messages
        for days in (1, 3, 6.9):
            deliver(c.store, c.settings, now=week_after_last() - timedelta(days=7 - days))
            assert not smtp.mailbox.messages, days
        deliver(c.store, c.settings, now=week_after_last())
        assert len(smtp.mailbox.messages) == 1 and set(ids(smtp.mailbox.messages[0])) == first
        c.ingest([shared / PEDS])  # new alerts: they wait for the next week
        second = {a["alert_id"] for a in w.alerts(ANA)["alerts"]} - first
        assert second and len(smtp.mailbox.messages) == 1
        deliver(c.store, c.settings, now=week_after_last() - timedelta(days=4))
        assert len(smtp.mailbox.messages) == 1
        deliver(c.store, c.settings, now=week_after_last())
        assert len(smtp.mailbox.messages) == 2 and set(ids(smtp.mailbox.messages[1])) == second
        deliver(c.store, c.settings, now=datetime.now() + timedelta(days=300))  # nothing left: nothing sent twice
        assert len(smtp.mailbox.messages) == 2
        c.close()
