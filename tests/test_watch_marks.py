"""Watch lists over protected marks (docs/monitoring.md, "Watch lists and alerts", "Protected marks"): a list
watching a protected-mark list is alerted, once and by all three channels, of the new filings similar to one of
its marks; the holder's own filings never alert; the filings already in the store are a baseline.

Files: tests/data/trademarks/protected/ (the lists; new_filings.csv: 7 constructed filings in the CN layout, see its
README.md) and tests/data/trademarks/cn_marks_export.csv. The expected pairs are written out by hand from the files.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from shared_stores import copy_store, empty_store
from typer.testing import CliRunner
from watch_support import Receiver, SmtpServer

from ipcockpit.app import Cockpit
from ipcockpit.auth import User
from ipcockpit.cli import app as cli
from ipcockpit.i18n import Translator
from ipcockpit.marks import protected as P
from ipcockpit.settings import Settings
from ipcockpit.watch import delivery
from ipcockpit.watch.service import Watch, alert_rows
from ipcockpit.watch.store import WatchError

DATA = Path(__file__).parent / "data" / "trademarks"
LISTS = DATA / "protected"
ANA = User("ana", "analyst")

# new_filings.csv against the lists, read by hand: filing -> (list, protected entry)
#   70123401 饭遭秧 (class 30, 3004)   ~ 饭遭殃 (重庆老字号, class 30): same sound, 殃/秧 alike
#   70123402 巴将君 (class 43, 4302)   ~ 巴将军 (重庆老字号, class 43): same sound
#   70123403 长按 (class 12)           ~ 长安 (驰名商标: protected in every class)
#   70123404 璧山葡萄 (class 31)       ~ 璧山葡萄 (GI, class 31), filed by a company
#   70123406 桥头 (class 30, filed 2019, registered 2020) ~ 桥头 (中华老字号, class 30): new to the store, so new
#            to the watch (the filing date plays no part)
# not: 70123405 桥头 in class 9 (the 中华老字号 names class 30), G1650001 BISHAN SMART (like none)
EXPECTED = {
    ("time_honoured", "饭遭殃", "CN70123401"), ("time_honoured", "巴将军", "CN70123402"),
    ("well_known", "长安", "CN70123403"), ("gi", "璧山葡萄", "CN70123404"), ("time_honoured", "桥头", "CN70123406"),
}
HOLDER = "太极集团有限公司"  # the 驰名商标 太极's holder (well_known.csv)


def _cockpit(tmp_path: Path, factory: pytest.TempPathFactory, **watch: object) -> Cockpit:
    db = copy_store(empty_store(factory), tmp_path, "wm.duckdb")
    c = Cockpit(Settings(db=str(db), watch=dict(watch)))
    c.add_user("ana", "analyst", "analyst-pass-2")
    return c


def _load_lists(c: Cockpit) -> None:
    for name, kind in (("time_honoured.csv", None), ("well_known.csv", "well_known"), ("gi.csv", None)):
        P.load_list(c.store.con, LISTS / name, kind)


def _pairs(alerts: list[dict]) -> set[tuple[str, str, str]]:
    return {(a["params"]["list"], a["params"]["protected"], a["params"]["mark_id"]) for a in alerts}


def _holder_file(tmp_path: Path) -> Path:
    """Two filings of 太极 in class 5 in the CN layout: one by the holder (never an alert), one by another."""
    header = (LISTS / "new_filings.csv").read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "taiji.csv"
    rows = [header,
            f"70123501,第５类,0501,太极,,{HOLDER},重庆市涪陵区,,2024-09-01,,,,普通商标,等待实质审查,,,否,,否,"
            "0501 中药,",
            "70123502,第５类,0501,太极,,重庆某某药业有限公司,重庆市璧山区,,2024-09-02,,,,普通商标,等待实质审查,,,否,,否,"
            "0501 中药,"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_files_read_by_hand() -> None:
    """The hand reading above against the raw files: each expected filing's applicant is not the entry's holder,
    and it shares a class with the entry unless the entry is a 驰名商标."""
    entries: dict[tuple[str, str], dict[str, str]] = {}
    for name, kind in (("time_honoured.csv", "time_honoured"), ("well_known.csv", "well_known"), ("gi.csv", "gi")):
        with (LISTS / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                label = row.get("名称") or row.get("商标") or row.get("产品名称")
                entries.setdefault((kind, label), row)
    with (LISTS / "new_filings.csv").open(encoding="utf-8") as f:
        filings = {"CN" + r["申请/注册号"]: r for r in csv.DictReader(f)}
    digits = str.maketrans("０１２３４５６７８９", "0123456789")
    for kind, name, mark_id in EXPECTED:
        entry, filing = entries[(kind, name)], filings[mark_id]
        holder = entry.get("企业名称") or entry.get("权利人") or ""
        assert filing["申请人名称(中文)"] != holder
        cls = "".join(ch for ch in filing["国际分类"].translate(digits) if ch.isdigit())
        if kind != "well_known":
            assert cls == "".join(ch for ch in entry["类别"].translate(digits) if ch.isdigit())


def test_similar_marks_alert_once_by_every_channel(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    with SmtpServer() as smtp, Receiver() as hook:
        c = _cockpit(tmp_path, tmp_path_factory, smtp_host="127.0.0.1", smtp_port=smtp.port)
        _load_lists(c)
        c.ingest([DATA / "cn_marks_export.csv"])  # the marks already there when the lists are watched
        w = Watch(c.store, c.settings)
        every = w.add(ANA, "protected", {"protected": ["all"]}, email="ana@bishan.example", webhook_url=hook.url)
        one = w.add(ANA, "well-known", {"protected": ["Well_Known"]})  # a list by its id, however written
        assert one["added"] == [{"kind": "protected", "value": "well_known"}]
        hook.secrets = {"protected": w.secret(ANA, every["list_id"])}
        # the export's own marks: 来凤鱼 is the GI list's own mark (its registration number); none other is alike
        assert w.alerts(ANA)["total"] == 0 and w.alerts(ANA, baseline=True)["total"] == 0
        c.ingest([LISTS / "new_filings.csv"])  # an ingest runs the watch
        got = w.alerts(ANA, every["list_id"])["alerts"]
        assert _pairs(got) == EXPECTED and len(got) == len(EXPECTED)
        assert _pairs(w.alerts(ANA, one["list_id"])["alerts"]) == {("well_known", "长安", "CN70123403")}
        ids = sorted(a["alert_id"] for a in got)
        assert all({d["channel"]: d["status"] for d in a["deliveries"]} == {
            "inapp": "sent", "email": "sent", "webhook": "sent"} for a in got)
        assert sorted(smtp.mailbox.alert_ids()) == ids and sorted(hook.alert_ids()) == ids
        assert all(p["signed"] for p in hook.posts)
        # the sentence, the evidence and the link
        a = next(x for x in got if x["params"]["mark_id"] == "CN70123401")
        assert a["kind"] == "similar_mark" and a["doc_id"] is None and a["mark_id"] == "CN70123401"
        assert a["link"].endswith("/marks/mark/CN70123401") and str(a["occurred"]) == "2024-03-05"
        assert a["message"] == ("受保护商标「饭遭殃」出现近似新申请「饭遭秧」（CN70123401，2024-03-05 申请），"
                                f"申请人：重庆市璧山区某某食品有限公司；近似理由：{a['params']['why']}")
        assert "音" in a["params"]["why"] and "殃~秧" in a["params"]["why"] and "类 30" in a["params"]["why"]
        assert [e["table"] for e in a["evidence"]] == ["protected_marks", "trademarks", "similarity"]
        en = delivery.message(Translator("en"), a)
        assert en.startswith("Protected mark 饭遭殃: similar new filing 饭遭秧 (CN70123401, filed 2024-03-05)")
        mail = next(m for m in smtp.mailbox.messages if str(a["alert_id"]) in str(m["X-IPCockpit-Alerts"]))
        assert "/marks/mark/CN70123401" in mail.get_content() and "饭遭秧" in mail.get_content()
        post = next(p["data"]["alerts"][0] for p in hook.posts if p["data"]["alerts"][0]["alert_id"] == a["alert_id"])
        assert post["kind"] == "similar_mark" and post["mark_id"] == "CN70123401"
        assert post["link"].endswith("/marks/mark/CN70123401")
        row = next(r for r in alert_rows(w.alerts(ANA, every["list_id"])) if r["alert_id"] == a["alert_id"])
        assert row["mark_id"] == "CN70123401" and row["doc_id"] is None
        # exactly once: a re-ingest, a second run
        mails, posts = len(smtp.mailbox.messages), len(hook.posts)
        c.ingest([LISTS / "new_filings.csv"])
        assert w.run()["new_alerts"] == 0 and w.run()["new_alerts"] == 0
        assert w.alerts(ANA)["total"] == len(EXPECTED) + 1
        assert (len(smtp.mailbox.messages), len(hook.posts)) == (mails, posts)
        # the holder's own filing never alerts; the same mark by another applicant does
        c.ingest([_holder_file(tmp_path)])
        taiji = [x for x in w.alerts(ANA, every["list_id"])["alerts"] if x["params"]["protected"] == "太极"]
        assert [x["params"]["mark_id"] for x in taiji] == ["CN70123502"]
        assert c.store.scalar("SELECT count(*) FROM watch_alerts WHERE params->>'mark_id' = 'CN70123501'") == 0
        c.close()


def test_baseline_agrees_with_the_marks_rule(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Filings in the store before the object was added: recorded, not delivered. Filings in the store before the
    protected list's first load: not events at all, for the marks page as for the watch."""
    c = _cockpit(tmp_path, tmp_path_factory)
    c.ingest([LISTS / "new_filings.csv"])
    _load_lists(c)
    assert P.new_similar_filings(c.store.con) == []  # nothing came in since the lists were loaded
    w = Watch(c.store, c.settings)
    lst = w.add(ANA, "late", {"protected": ["all"]})
    assert w.alerts(ANA, baseline=True)["total"] == 0 and w.run()["new_alerts"] == 0
    # a list loaded before the filings came in, watched after: its events are a baseline, never delivered
    c2 = _cockpit(tmp_path / "two", tmp_path_factory)
    _load_lists(c2)
    c2.ingest([LISTS / "new_filings.csv"])
    assert {(e["protected"]["kind"], e["protected"]["name"], e["filing"]["mark_id"])
            for e in P.new_similar_filings(c2.store.con)} == EXPECTED
    w2 = Watch(c2.store, c2.settings)
    lst = w2.add(ANA, "after", {"protected": ["all"]})
    assert w2.alerts(ANA)["total"] == 0
    assert _pairs(w2.alerts(ANA, lst["list_id"], baseline=True)["alerts"]) == EXPECTED
    assert c2.store.scalar("SELECT count(*) FROM watch_deliveries") == 0
    with pytest.raises(WatchError, match="no protected-mark list"):
        w2.add(ANA, "after", {"protected": ["老字号"]})
    c.close()
    c2.close()


def test_cli_and_api(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    from fastapi.testclient import TestClient

    from ipcockpit.web.server import create_app

    c = _cockpit(tmp_path, tmp_path_factory)
    _load_lists(c)
    db = c.settings.db
    c.close()
    runner = CliRunner()
    r = runner.invoke(cli, ["watch", "add", "--user", "ana", "--list", "th", "--protected", "time_honoured",
                            "--db", db, "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["added"] == [{"kind": "protected", "value": "time_honoured"}]
    r = runner.invoke(cli, ["ingest", str(LISTS / "new_filings.csv"), "--db", db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["watch", "alerts", "--user", "ana", "--db", db, "--json"])
    data = json.loads(r.stdout)
    assert {(a["params"]["protected"], a["params"]["mark_id"]) for a in data["alerts"]} == {
        (n, m) for k, n, m in EXPECTED if k == "time_honoured"}
    assert json.loads(runner.invoke(cli, ["watch", "run", "--db", db, "--json"]).stdout)["new_alerts"] == 0
    with TestClient(create_app(Settings(db=db), read_only=False)) as client:
        import re

        page = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"username": "ana", "password": "analyst-pass-2", "csrf_token": token},
                    follow_redirects=False)
        token = str(client.get("/api/me").json()["csrf_token"])
        r = client.post("/api/watch/lists", json={"list": "gi", "kind": "protected", "value": "gi"},
                        headers={"x-csrf-token": token})
        assert r.status_code == 200 and r.json()["added"] == [{"kind": "protected", "value": "gi"}]
        html = client.get("/watch").text
        assert '<option value="protected">受保护商标名录</option>' in html
        assert 'href="/marks/mark/CN70123401"' in html
        csv_text = client.get("/watch.csv?lang=en").content.decode("utf-8-sig")
        assert "Mark" in csv_text.splitlines()[0] and "CN70123402" in csv_text
