"""Replaying the real event files of ../shared/data through watch lists (docs/monitoring.md, "Watch lists and
alerts"): every qualifying event on a watched object gives exactly one alert, none on re-ingest or on a new
version of a file that repeats it, and each alert arrives in the inbox, at a real SMTP server (aiosmtpd) and at a
loopback webhook receiver whose signature check passes.

The expected alerts are counted here from the raw files, not by ipcockpit.watch:

- CN legal-events day (cn/legal_events_gazette): csv rows keyed by 授权公告号; this test's own reading of CNIPA's
  words (:data:`CN_KINDS`).
- EPO OPS legal events (lxml over ``ops:legal``), USPTO assignments (the Solr ``conveyanceText`` of each
  property), PEDS and ODP (json transactions and assignments): each raw event classed by the model's classifier
  (:func:`ipcockpit.model.events.classify_event`, the model's meaning of an office's code and words: what the
  issue calls "the model already classes legal events").
- CN table (cn/table_export_sample): the rows of the watched applicant, 公开号 and 授权公告号 (a utility model's
  are one document; A an application, B/U a grant).

Rule counted (the module text of ipcockpit/watch/sources.py says why): a filing and a grant once per document
(an event and the publication itself are one alert); every other qualifying event once per distinct (document,
date, code, text, counterparty); an event repeated by two files (example_2 repeats example_1) once.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree
from shared_stores import copy_store, empty_store
from watch_support import Receiver, SmtpServer, ids

from ipcockpit.app import Cockpit
from ipcockpit.auth import User
from ipcockpit.model.events import classify_event, code_class
from ipcockpit.settings import Settings
from ipcockpit.watch.service import Watch

CN_DAY = "cn/legal_events_gazette/FLZT20161228_ordered.csv"
CN_TABLE = "cn/table_export_sample/专利总表(案例).sql"
OPS = [f"epo_ops/legal/fixtures/example_{i}.xml" for i in (1, 2, 3)]
ASSIGN = [f"uspto_api/assignment/fixtures/assignment_{i}.xml" for i in (1, 2, 3)]
ODP = "uspto_api/odp/fixtures/application.json"
PEDS = "uspto_api/peds/fixtures/app_1_input.json"
QUALIFYING = {"filing": "filing", "grant": "grant", "lapse": "lapse", "expiry": "expiry", "transfer": "transfer",
              "pledge": "pledge", "pledge_release": "pledge_release", "licence": "licence",
              "licence_release": "licence_release", "invalidation_request": "invalidation",
              "invalidation_decision": "invalidation", "litigation": "litigation"}
#: this test's reading of the CN gazette's words (法律状态信息, else 法律状态) that are alerts
CN_KINDS = {
    "授权": "grant", "保密专利专利权授予": "grant", "专利权有效期届满": "expiry", "未缴年费专利权终止": "lapse",
    "专利权的视为放弃": "lapse", "专利权的主动放弃": "lapse", "避免重复授予专利权": "lapse",
    "专利权的转移": "transfer", "专利申请权的转移": "transfer", "专利权质押合同登记的生效": "pledge",
    "专利权质押合同登记的注销": "pledge_release", "专利实施许可合同备案的生效": "licence",
    "专利实施许可合同备案的注销": "licence_release", "专利权全部无效": "invalidation", "专利权部分无效": "invalidation",
}
#: this test's reading of the USPTO transaction codes of the PEDS and ODP files whose words mislead (a "PG-Pub Issue
#: Notification" is a publication, "Expire Patent" the lapse for an unpaid maintenance fee); other codes by words
US_CODES = {"PGM/": "grant", "WPIR": "grant", "PG-ISSUE": "publication", "EXP.": "lapse", "IEXX": "filing",
            "FLRCPT.O": "filing", "OIPE": "filing", "COMP": "filing", "371COMP": "filing",
            "PTGR": "petition", "MPTGR": "petition"}  # a petition granted is not a patent granted
NS = {"ops": "http://ops.epo.org"}
APPLICANT = "中科大数据研究院"


class Expected:
    """Distinct expected events by document: filings and grants once per document, others by their fields."""

    def __init__(self) -> None:
        self.keys: dict[str, set[tuple]] = defaultdict(set)

    def add(self, doc: str, kind: str, *fields: object) -> None:
        self.keys[doc].add((kind,) if kind in ("filing", "grant") else (kind, *fields))

    def count(self, docs: set[str] | None = None) -> int:
        return sum(len(v) for d, v in self.keys.items() if docs is None or d in docs)

    def by_kind(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for v in self.keys.values():
            for k in v:
                out[k[0]] += 1
        return dict(sorted(out.items()))


def cn_doc(number: str, app: str) -> str | None:
    """The document of a raw row: CN + 授权公告号, else CNA + the application number's digits when it is whole
    (not in E notation; fewer than 8 digits padded), else None (the loader quarantines such a row)."""
    if number:
        return "CN" + number
    if not app or "E+" in app:
        return None
    digits = app.partition(".")[0]
    return "CNA" + (digits.zfill(8) if len(digits) < 8 else digits)


def cn_day(shared: Path, per_kind: int = 12) -> tuple[set[str], Expected]:
    """The watched CN documents (the first ``per_kind`` documents of each kind of alert in the file) and the
    alerts expected on them."""
    with (shared / CN_DAY).open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    chosen: dict[str, list[str]] = defaultdict(list)
    for number, app, _day, category, info in rows:
        kind, doc = CN_KINDS.get(info.strip()) or CN_KINDS.get(category.strip()), cn_doc(number, app)
        if doc and kind and len(chosen[kind]) < per_kind and doc not in chosen[kind]:
            chosen[kind].append(doc)
    watched = {d for docs in chosen.values() for d in docs}
    return watched, cn_expected(rows, watched)


def cn_expected(rows: list[list[str]], watched: set[str]) -> Expected:
    exp = Expected()
    for number, app, day, category, info in rows:
        kind, doc = CN_KINDS.get(info.strip()) or CN_KINDS.get(category.strip()), cn_doc(number, app)
        if doc in watched and kind:
            exp.add(doc, kind, day, category.strip(), info.strip())
    return exp


def _ops_words(legal: etree._Element, office: str | None, code: str | None) -> str:
    block = legal.find("ops:L500EP", NS)
    telling, details = [], []
    for el in block if block is not None else []:
        value = (el.text or "").strip()
        if value:
            details.append(f"{el.get('desc') or etree.QName(el).localname}: {value}")
            if el.get("descData") or etree.QName(el).localname == "L510EP":
                telling.append(el.get("descData") or value)
    raw = "; ".join([(legal.get("desc") or "").strip(), *details])
    return "; ".join(telling) if code_class(office, code) else raw


def ops_expected(shared: Path, exp: Expected) -> set[str]:
    docs = set()
    for name in OPS:
        root = etree.parse(str(shared / name)).getroot()
        for member in root.iter("{http://ops.epo.org}family-member"):
            d = member.find(".//document-id[@document-id-type='docdb']")
            if d is None:
                d = member.find(".//{*}document-id[@document-id-type='docdb']")
            doc = "".join((d.find("{*}country").text, d.find("{*}doc-number").text, d.find("{*}kind").text))
            for legal in member.findall("ops:legal", NS):
                code = (legal.get("code") or "").strip() or None
                office = (legal.findtext(".//ops:L001EP", namespaces=NS) or "").strip() or None
                cls = classify_event(office, code, _ops_words(legal, office, code))
                if cls in QUALIFYING:
                    day = legal.findtext(".//ops:L007EP", namespaces=NS)
                    exp.add(doc, QUALIFYING[cls], day, office, code, etree.tostring(legal))
                    docs.add(doc)
    return docs


def assignment_expected(shared: Path, exp: Expected, limit: int = 12) -> set[str]:
    """The first ``limit`` granted patents of each assignment file (by their raw patNum) and one event per
    record and property."""
    docs: set[str] = set()
    for name in ASSIGN:
        root = etree.parse(str(shared / name)).getroot()
        picked: set[str] = set()
        for rec in root.iter("doc"):
            text = rec.findtext("str[@name='conveyanceText']")
            reel, frame = rec.findtext("str[@name='reelNo']"), rec.findtext("str[@name='frameNo']")
            cls = classify_event("US", "AS", text)
            for num in rec.xpath("arr[@name='patNum']/str/text()"):
                num = num.strip()
                if not num or num == "NULL":
                    continue
                if len(picked) < limit:
                    picked.add("US" + num)
                if "US" + num in picked and cls in QUALIFYING:
                    exp.add("US" + num, QUALIFYING[cls], text, reel, frame)
        docs |= picked
    return docs


def prosecution_expected(shared: Path, exp: Expected) -> set[str]:
    """PEDS and ODP: the application's transactions and assignments (the document is the grant, else the first
    publication); the file is the publication itself (a grant, or a filing). Transaction codes by
    :data:`US_CODES`, else by their words."""
    peds = json.loads((shared / PEDS).read_text())["queryResults"]["searchResponse"]["response"]["docs"][0]
    doc = "US" + peds["patentNumber"]
    exp.add(doc, "grant")
    for t in peds["transactions"]:
        cls = US_CODES.get(t["code"]) or classify_event("US", t["code"], t["description"])
        if cls in QUALIFYING:
            exp.add(doc, QUALIFYING[cls], t["recordDate"], t["code"], t["description"])
    for a in peds["assignments"]:
        cls = classify_event("US", "AS", a["converyanceName"])
        if cls in QUALIFYING:
            exp.add(doc, QUALIFYING[cls], a["recordedDate"], a["reelNumber"], a["converyanceName"])
    odp = json.loads((shared / ODP).read_text())["patentBag"][0]
    doc2 = odp["earliestPublicationNumber"].replace(" ", "").replace("-", "")[:-2]
    exp.add(doc2, "filing")
    for t in odp["transactionContentBag"]:
        cls = US_CODES.get(t["caseActionCode"]) or classify_event("US", t["caseActionCode"],
                                                                  t["caseActionDescriptionText"])
        if cls in QUALIFYING:
            exp.add(doc2, QUALIFYING[cls], t["recordedDate"], t["caseActionCode"], t["caseActionDescriptionText"])
    for a in odp["assignmentBag"]:
        cls = classify_event("US", "AS", a["conveyanceText"])
        if cls in QUALIFYING:
            exp.add(doc2, QUALIFYING[cls], a["assignmentRecordedDate"], a["conveyanceText"])
    return {doc, doc2}


def cn_table_expected(shared: Path, exp: Expected) -> int:
    """The CN table's documents of :data:`APPLICANT` (publication number and grant number of each row)."""
    text = (shared / CN_TABLE).read_text(encoding="utf-8")
    n = 0
    for values in re.findall(r"INSERT INTO `[^`]+` VALUES \((.*)\);", text):
        row = next(csv.reader([values], quotechar="'", escapechar="\\", skipinitialspace=True))
        if APPLICANT in row[4].split(";"):
            for number in {row[7], row[8]} - {"", "NULL"}:
                exp.add(number, "filing" if number.endswith("A") else "grant")
                n += 1
    return n


def _alerts(w: Watch, user: User, list_id: int) -> list[dict]:
    return w.alerts(user, list_id, limit=100_000)["alerts"]


@pytest.fixture
def servers() -> tuple[SmtpServer, Receiver]:
    with SmtpServer() as smtp, Receiver() as hook:
        yield smtp, hook


def _cockpit(tmp_path: Path, factory: pytest.TempPathFactory, smtp_port: int) -> Cockpit:
    db = copy_store(empty_store(factory), tmp_path, "watch.duckdb")
    return Cockpit(Settings(db=str(db), watch={"smtp_host": "127.0.0.1", "smtp_port": smtp_port,
                                               "smtp_from": "cockpit@bishan.example"}))


@pytest.mark.slow  # the CN legal-events day: 61,773 rows (~10 s of ingest on an idle core)
def test_replay_every_event_once_by_three_channels(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                                                    shared: Path, servers: tuple[SmtpServer, Receiver]) -> None:
    smtp, hook = servers
    c = _cockpit(tmp_path, tmp_path_factory, smtp.port)
    c.add_user("ana", "analyst", "pw-ana-123456")
    c.add_user("ent", "enterprise", "pw-ent-123456")
    w = Watch(c.store, c.settings)
    ana, ent = User("ana", "analyst"), User("ent", "enterprise")

    world, cn = Expected(), Expected()
    us_docs = ops_expected(shared, world) | assignment_expected(shared, world) | prosecution_expected(shared, world)
    cn_docs, cn = cn_day(shared)
    table_docs = cn_table_expected(shared, cn)
    assert len(us_docs) >= 20 and len(cn_docs) >= 90 and table_docs == 11

    a = w.add(ana, "world", {"patent": sorted(us_docs)}, email="ana@bishan.example", webhook_url=hook.url)
    b = w.add(ent, "cn", {"patent": sorted(cn_docs), "org": [APPLICANT]}, digest="daily",
              email="ent@bishan.example", webhook_url=hook.url, shared_role="analyst")
    hook.secrets = {"world": w.secret(ana, a["list_id"]), "cn": w.secret(ent, b["list_id"])}
    files = [shared / f for f in [*OPS, *ASSIGN, ODP, PEDS, CN_TABLE, CN_DAY]]
    c.ingest(files)  # the ingest's hook detects and delivers

    world_alerts, cn_alerts = _alerts(w, ana, a["list_id"]), _alerts(w, ent, b["list_id"])
    got_world: dict[str, int] = defaultdict(int)
    for x in world_alerts:
        got_world[x["kind"]] += 1
    assert dict(sorted(got_world.items())) == world.by_kind()
    assert len(world_alerts) == world.count() > 100
    got_cn: dict[str, int] = defaultdict(int)
    for x in cn_alerts:
        got_cn[x["kind"]] += 1
    assert dict(sorted(got_cn.items())) == cn.by_kind()
    assert {"transfer", "pledge", "pledge_release", "licence", "invalidation", "lapse", "expiry"} <= set(got_cn)
    # every alert's evidence names its document and the page it rests on
    assert all(x["link"].endswith("/patent/" + x["doc_id"]) and x["evidence"] for x in world_alerts + cn_alerts)

    # immediate: each alert of "world" once by mail and once by webhook, signed; "cn" waits for its daily digest
    ids_world = sorted(x["alert_id"] for x in world_alerts)
    assert sorted(smtp.mailbox.alert_ids()) == ids_world
    assert sorted(hook.alert_ids("world")) == ids_world and all(p["signed"] for p in hook.posts)
    assert hook.alert_ids("cn") == []
    report = w.run(now=datetime.now() + timedelta(days=1, minutes=1))
    assert report["new_alerts"] == 0 and report["delivery"]["messages"] == 2
    ids_cn = sorted(x["alert_id"] for x in cn_alerts)
    assert sorted(hook.alert_ids("cn")) == ids_cn
    digest = [m for m in smtp.mailbox.messages if m["To"] == "ent@bishan.example"]
    assert len(digest) == 1 and sorted(ids(digest[0])) == ids_cn
    # the inbox: every alert delivered in-app, unread
    for x in world_alerts + cn_alerts:
        assert [d["channel"] for d in x["deliveries"]] == ["email", "inapp", "webhook"]
        assert not x["read"]

    # re-ingest of the same files: no alert, no message (the CN day's re-ingest: the next test, on a part of it)
    mails, posts = len(smtp.mailbox.messages), len(hook.posts)
    c.ingest(files[:-1])
    w.run(now=datetime.now() + timedelta(days=3))
    assert c.store.scalar("SELECT count(*) FROM watch_alerts WHERE NOT baseline") == len(world_alerts) + len(cn_alerts)
    assert (len(smtp.mailbox.messages), len(hook.posts)) == (mails, posts)
    # shared with analysts: ana sees "cn" but may not mark it read; ent does not see "world"
    assert {x["name"] for x in w.lists(ana)} == {"world", "cn"} and {x["name"] for x in w.lists(ent)} == {"cn"}
    c.close()


@pytest.mark.slow
def test_new_version_of_a_file_alerts_only_what_is_new(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                                                      shared: Path, servers: tuple[SmtpServer, Receiver]) -> None:
    """The first 6,000 rows of the CN day ingested, then its first 12,000 under the same name (the loader's "new
    version of a file replaces what it gave"): the second ingest alerts only the events of the rows it adds."""
    smtp, hook = servers
    c = _cockpit(tmp_path, tmp_path_factory, smtp.port)
    c.add_user("ana", "analyst", "pw-ana-123456")
    w, ana = Watch(c.store, c.settings), User("ana", "analyst")
    with (shared / CN_DAY).open(encoding="utf-8-sig", newline="") as fh:
        lines = fh.read().splitlines(keepends=True)
    half, whole = 6001, 12001  # with the header line
    rows = list(csv.reader(lines[1:whole]))
    watched: set[str] = set()
    for i, (number, app, _day, category, info) in enumerate(rows):
        kind, doc = CN_KINDS.get(info.strip()) or CN_KINDS.get(category.strip()), cn_doc(number, app)
        if doc and kind and kind != "grant" and len(watched) < (40 if i < half - 1 else 80):
            watched.add(doc)
    first, exp = cn_expected(rows[: half - 1], watched), cn_expected(rows, watched)
    assert 0 < first.count() < exp.count()
    lst = w.add(ana, "day", {"patent": sorted(watched)}, webhook_url=hook.url)
    path = tmp_path / "FLZT20161228.csv"
    path.write_text("".join(lines[:half]), encoding="utf-8-sig")
    c.ingest([path])
    assert len(_alerts(w, ana, lst["list_id"])) == first.count()
    path.write_text("".join(lines[:whole]), encoding="utf-8-sig")
    c.ingest([path])
    alerts = _alerts(w, ana, lst["list_id"])
    assert len(alerts) == exp.count()
    c.ingest([path])
    assert len(_alerts(w, ana, lst["list_id"])) == exp.count()
    assert sorted(hook.alert_ids()) == sorted(x["alert_id"] for x in alerts)  # each delivered once
    c.close()
