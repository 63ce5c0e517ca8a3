"""Abnormal-filing signals (ipcockpit/signals) on real data, each count checked against a recount written here
independently (plain SQL or Python, not the signals' code path):

- the CN gazette week (tests/shared_stores.gazette_week: 36,678 publications of one week, patentees with addresses,
  titles only, no agents, no legal events): scattered addresses; bursts and template text are unknown there, with
  the reason (one week of publications holds nobody's history; titles are too short);
- a small CN store: the pss-system and SIPO TRS exports (agents), the 专利总表 sample (real transfers with filing
  dates), CNKI's Sun Yat-sen University export (1,467 abstracts) and the Chinese trademark table of tests/data;
- real rows of CNIPA's legal-status gazette (transfers with no filing date: unknown);
- the enterprise registry layout (tests/data/signals: CSV and XLSX).
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import defaultdict
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from shared_stores import copy_store, empty_store, gazette_week
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app as cli
from ipcockpit.settings import Settings
from ipcockpit.signals.errors import SignalsError
from ipcockpit.signals.registry import read_registry
from ipcockpit.signals.service import Signals
from ipcockpit.web.server import create_app

DATA = Path(__file__).parent / "data" / "signals"
PASSWORD = "analyst-pass-1"
runner = CliRunner()

#: the subject of a filer, written again: resolved organisation (followed to its merge), else the folded name
SUBJECTS = """
SELECT p.doc_id, coalesce(o.merged_into, e.entity_id, p.name_norm) AS subject, p.address_raw,
       coalesce(d.app_id, d.office || d.number, d.doc_id) AS app, d.app_date
FROM parties p JOIN documents d ON d.doc_id = p.doc_id
LEFT JOIN party_entities e ON e.doc_id = p.doc_id AND e.seq = p.seq AND e.role = p.role
LEFT JOIN org_entities o ON o.entity_id = e.entity_id
WHERE p.role IN ('applicant', 'patentee') AND p.name_norm IS NOT NULL AND p.name_norm <> ''
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    folder = tmp_path_factory.mktemp("signals_small")
    path = copy_store(empty_store(tmp_path_factory), folder, "small.duckdb")
    cn = shared / "cn"
    with Cockpit(Settings(db=str(path))) as c:
        c.ingest([cn / "pss_exports", cn / "sipo_trs_export" / "test.xls", cn / "table_export_sample",
                  cn / "cnki_export_sysu" / "Patent.csv", Path(__file__).parent / "data" / "trademarks"])
        c.add_user("ana", "analyst", PASSWORD)
    return path


@pytest.fixture(scope="module")
def gazette(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    built, _ = gazette_week(tmp_path_factory, shared)
    return copy_store(built, tmp_path_factory.mktemp("signals_gazette"), "g.duckdb")


def of(c: Cockpit) -> Signals:
    return Signals(c.store, c.settings)


def _open(path: Path, **signals: dict) -> Cockpit:
    return Cockpit(Settings(db=str(path), signals=signals))


def _cases(s: Signals, kind: str) -> list[dict]:
    return [s.case(r["case_id"]) for r in s.cases(kind)["rows"]]


# ---------------------------------------------------------------- bursts


def test_burst_matches_a_monthly_recount(small: Path) -> None:
    with _open(small) as c:
        s = of(c)
        run = s.detect("burst")["kinds"][0]
        con = c.store.con
        first = con.execute(f"WITH f AS ({SUBJECTS}) SELECT subject, app, min(app_date) FROM f "
                            "WHERE app_date IS NOT NULL GROUP BY ALL").fetchall()
        cases = _cases(s, "burst")
    per: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for subject, _app, filed in first:
        per[subject][filed.year * 12 + filed.month - 1] += 1
    expected = set()
    for subject, months in per.items():
        if sum(months.values()) < 5:
            continue
        for m, n in months.items():
            mean = sum(months.get(x, 0) for x in range(m - 12, m)) / 12
            if n >= 5 and n >= 3 * mean:
                expected.add((subject, f"{m // 12}-{m % 12 + 1:02d}", n))
    got = {(cs["subject"], p["period"], p["count"]) for cs in cases for p in cs["evidence"]["periods"]}
    assert got == expected and len(expected) >= 5
    assert run["signals"] == len({e[0] for e in expected})
    one = max(cases, key=lambda cs: cs["suspect_count"])
    assert one["suspect_count"] == sum(p["count"] for p in one["evidence"]["periods"])
    assert one["evidence"]["thresholds"] == {"period": "month", "history_periods": 12, "min_count": 5, "factor": 3.0}
    assert any(u["reason_key"] == "signals.unknown.no_filing_date" for u in run["unknown"])


def test_burst_on_one_gazette_week_is_unknown(gazette: Path) -> None:
    with _open(gazette) as c:
        run = of(c).detect("burst")["kinds"][0]
        span = c.store.con.execute("SELECT max(pub_date) - min(pub_date) FROM documents").fetchone()[0]
    assert run["signals"] == 0 and run["checked"] == 0
    [u] = run["unknown"]
    assert u["reason_key"] == "signals.unknown.short_history" and u["span_days"] == span == 4


def test_burst_history_is_what_the_subjects_files_cover(small: Path, tmp_path: Path, shared: Path) -> None:
    """One gazette day's grants added to a store that spans years: an applicant found only in that day's file has no
    history the store can show (its earlier filings were never loaded), so a month of its filings is not a burst
    against a baseline of 0 but unknown, with the span of its files; the others are judged as before."""
    path = copy_store(small, tmp_path, "mixed.duckdb")
    with _open(path) as c:
        c.ingest([shared / "cn" / "gazette_2019" / "CN_patent_invention_authorized_709.csv"])
        run = of(c).detect("burst")["kinds"][0]
        con = c.store.con
        rows = con.execute(f"WITH f AS ({SUBJECTS}) SELECT f.subject, f.app, f.app_date, d.file_id FROM f "
                           "JOIN documents d ON d.doc_id = f.doc_id").fetchall()
        spans = {f: (a, b) for f, a, b in con.execute(
            "SELECT file_id, min(pub_date), max(pub_date) FROM documents WHERE NOT coalesce(stub, false) "
            "AND pub_date IS NOT NULL GROUP BY file_id").fetchall()}
    files: dict[str, set[str]] = defaultdict(set)
    apps: dict[str, set[str]] = defaultdict(set)
    for subject, app, filed, file_id in rows:
        if filed is not None:
            files[subject].add(file_id)
            apps[subject].add(app)
    short = set()
    for subject, held in files.items():
        covered = [spans[f] for f in held if f in spans]
        days = (max(b for _, b in covered) - min(a for a, _ in covered)).days if covered else 0
        if len(apps[subject]) >= 5 and days < 360:
            short.add(subject)
    unknown = {u["subject"] for u in run["unknown"] if u["reason_key"] == "signals.unknown.short_history_subject"}
    assert unknown == short and len(short) >= 3  # the day's frequent patentees
    assert run["checked"] == sum(1 for s, a in apps.items() if len(a) >= 5) - len(short)


# ---------------------------------------------------------------- scattered


def _fold(address: str) -> str | None:
    """Written again: NFKC, lower case, leading postcode off; only addresses with a house number."""
    a = unicodedata.normalize("NFKC", address).strip().lower()
    a = re.sub(r"^\d{6}(?=\D)", "", a)
    if not re.search(r"\d+\s*(号|室|楼|栋|幢|层|单元)", a) and not re.search(
            r"\b\d+\s+\w+\s+(street|st|road|rd|avenue|ave)\b", a):
        return None
    return re.sub(r"[\s,，.。、;；:：()（）\-—#]+", "", a)


def test_scattered_addresses_of_the_gazette_match_a_recount(gazette: Path) -> None:
    with _open(gazette) as c:
        s = of(c)
        run = s.detect("scattered")["kinds"][0]
        rows = c.store.con.execute(f"SELECT subject, address_raw, app FROM ({SUBJECTS}) "
                                   "WHERE address_raw IS NOT NULL").fetchall()
        cases = _cases(s, "scattered")
    groups: dict[str, set[str]] = defaultdict(set)
    apps: dict[str, set[str]] = defaultdict(set)
    for subject, address, app in rows:
        key = _fold(address)
        if key:
            groups[key].add(subject)
            apps[key].add(app)
    expected = {(f"address:{k}", len(v), len(apps[k])) for k, v in groups.items() if len(v) >= 5}
    got = {(cs["subject"], cs["evidence"]["measure"], cs["suspect_count"]) for cs in cases}
    assert got == expected and expected
    assert any("前海深港合作区前湾一路1号" in cs["subject_name"] for cs in cases)  # the Qianhai secretary address
    reasons = {u["reason_key"] for u in run["unknown"]}
    assert {"signals.unknown.no_agent", "signals.unknown.no_contact", "signals.unknown.address"} <= reasons


def test_scattered_agents_counted_over_applicants(small: Path) -> None:
    with _open(small, scattered={"agent_subjects": 1}) as c:  # each agent here serves one applicant
        s = of(c)
        s.detect("scattered")
        cases = [cs for cs in _cases(s, "scattered") if cs["subject"].startswith("agent:")]
        pairs = c.store.con.execute(f"SELECT DISTINCT a.name_raw, f.subject FROM parties a JOIN ({SUBJECTS}) f "
                                    "ON f.doc_id = a.doc_id WHERE a.role = 'agent'").fetchall()
    per: dict[str, set[str]] = defaultdict(set)
    for agent, subject in pairs:
        per[agent].add(subject)
    expected = sorted(len(v) for v in per.values())
    assert sorted(cs["evidence"]["measure"] for cs in cases) == expected and expected


# ---------------------------------------------------------------- rapid resale


def test_rapid_resale_on_real_transfers(small: Path) -> None:
    with _open(small) as c:
        s = of(c)
        s.detect("rapid_resale")
        cases = _cases(s, "rapid_resale")
        quick = c.store.con.execute(
            "SELECT d.doc_id, e.event_date - d.app_date FROM legal_events e JOIN documents d USING (doc_id) "
            "WHERE e.event_class = 'transfer' AND d.app_date IS NOT NULL "
            "AND e.event_date - d.app_date BETWEEN 0 AND 365").fetchall()
    got = {(t["document"], t["days_after_filing"]) for cs in cases for t in cs["evidence"]["transfers"]}
    assert got == set(quick) and len(quick) == 2  # 124 and 149 days after filing (北京科技大学)


def test_rapid_resale_without_dates_is_unknown(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                                               shared: Path) -> None:
    raw = (shared / "cn" / "legal_events_gazette" / "FLZT20161228_ordered.csv").read_bytes()
    text = raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("gb18030")
    lines = text.splitlines()
    keep = [lines[0]] + [x for x in lines[1:] if "转移" in x][:60]  # real transfer rows: no filing date, no party
    part = tmp_path / "transfers.csv"
    part.write_text("\n".join(keep) + "\n", encoding="utf-8")
    path = copy_store(empty_store(tmp_path_factory), tmp_path, "le.duckdb")
    with _open(path) as c:
        c.ingest([part])
        run = of(c).detect("rapid_resale")["kinds"][0]
        events, apps = c.store.con.execute(
            "SELECT count(*), count(DISTINCT coalesce(d.app_id, d.doc_id)) FROM legal_events e "
            "JOIN documents d USING (doc_id) WHERE e.event_class = 'transfer'").fetchone()
    assert events > 10 and run["signals"] == 0 and run["facts"]["transfers"] == events
    assert {u["reason_key"] for u in run["unknown"]} == {"signals.unknown.no_dates"} and len(run["unknown"]) == apps


# ---------------------------------------------------------------- volume beyond size, the registry


def test_registry_layout_csv_and_xlsx() -> None:
    for name in ("enterprise_registry.csv", "enterprise_registry.xlsx"):
        rows, rejected = read_registry(DATA / name)
        assert [r["line"] for r in rejected] == [5, 6, 8], name
        assert "小于50人" in rejected[0]["reason"] and "check digit" in rejected[1]["reason"]
        by = {r["name"]: r for r in rows}
        assert by["重庆示例智能科技有限公司"]["founded"] == date(2017, 3, 15)
        smart = by["重庆示例智能科技有限公司"]
        assert smart["employees"] == 12 and smart["capital_wan"] == 500
        assert by["重庆示例精密制造有限公司"]["employees"] is None
        assert by["重庆示例精密制造有限公司"]["aliases"] == ["重庆示例机械厂", "璧山示例机械厂"]
        hk = by["示例（香港）投资有限公司"]
        assert hk["capital_wan"] is None and hk["currency"] == "USD" and hk["founded"] == date(2016, 1, 8)
        assert by["璧山区示例五金经营部"]["capital_wan"] == 10_000 and by["璧山区示例五金经营部"]["employees"] == 0


def test_volume_vs_size_unknown_without_registry_then_measured(small: Path, tmp_path: Path) -> None:
    path = copy_store(small, tmp_path, "v.duckdb")
    with _open(path) as c:
        s = of(c)
        run = s.detect("volume_vs_size")["kinds"][0]
        assert run["signals"] == 0 and run["checked"] > 0
        assert {u["reason_key"] for u in run["unknown"] if "year" in u} == {"signals.unknown.no_registry"}
        years = c.store.con.execute(
            f"WITH f AS ({SUBJECTS}), a AS (SELECT subject, app, min(app_date) AS d FROM f WHERE app_date IS NOT NULL "
            "GROUP BY ALL) SELECT subject, year(d), count(*) FROM a GROUP BY ALL").fetchall()
        names = dict(c.store.con.execute("SELECT DISTINCT coalesce(o.merged_into, e.entity_id, p.name_norm), "
                                         "p.name_raw FROM parties p LEFT JOIN party_entities e ON e.doc_id = p.doc_id "
                                         "AND e.seq = p.seq AND e.role = p.role LEFT JOIN org_entities o "
                                         "ON o.entity_id = e.entity_id WHERE p.role IN ('applicant', 'patentee')"
                                         ).fetchall())
    best: dict[str, int] = {}
    for subject, _y, n in years:
        best[subject] = max(best.get(subject, 0), n)
    big = sorted((n, subj) for subj, n in best.items() if n >= 5)
    (n1, s1), (n2, s2), (n3, s3) = big[-1], big[-2], big[-3]
    # test sizes (not the organisations' real ones): s1 small in staff, s2 large, s3 by capital only, one unmatched
    registry = tmp_path / "registry.csv"
    registry.write_text("企业名称,参保人数,注册资本\n"
                        f"{names[s1]},{max(n1 // 4, 1)},\n{names[s2]},{n2 * 10},\n{names[s3]},,100万元\n", "utf-8")
    with _open(path) as c:
        s = of(c)
        assert s.load_registry(registry)["loaded"] == 3
        run = s.detect("volume_vs_size")["kinds"][0]
        cases = {cs["subject"]: cs for cs in _cases(s, "volume_vs_size")}
    assert cases[s1]["evidence"]["measure"] == pytest.approx(n1 / max(n1 // 4, 1), abs=1e-3)
    assert cases[s1]["suspect_count"] == n1 and cases[s1]["evidence"]["basis"] == "employees"
    assert s2 not in cases
    assert cases[s3]["evidence"]["basis"] == "capital" and cases[s3]["evidence"]["measure"] == pytest.approx(n3)
    no_size = {u["subject"] for u in run["unknown"] if u["reason_key"] == "signals.unknown.no_size"}
    assert no_size == {subj for _n, subj in big} - {s1, s2, s3}


# ---------------------------------------------------------------- template text, near duplicates


def test_template_text_matches_a_gram_recount(small: Path) -> None:
    with _open(small) as c:
        s = of(c)
        s.detect("template_text")
        cases = _cases(s, "template_text")
        rows = c.store.con.execute(
            f"SELECT f.subject, f.app, t.text FROM ({SUBJECTS}) f JOIN (SELECT doc_id, text FROM texts WHERE "
            "kind = 'abstract' AND length(text) >= 30 QUALIFY row_number() OVER (PARTITION BY doc_id ORDER BY "
            "lang = 'zh' DESC, length(text) DESC) = 1) t ON t.doc_id = f.doc_id ORDER BY f.subject, f.app, f.doc_id"
        ).fetchall()
    text: dict[str, dict[str, str]] = defaultdict(dict)
    for subject, app, t in rows:
        text[subject].setdefault(app, "".join(unicodedata.normalize("NFKC", t).lower().split()))
    owners: dict[str, set[str]] = defaultdict(set)
    where: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for subject, apps in text.items():
        for app, t in apps.items():
            for i in range(len(t) - 15):
                owners[t[i:i + 16]].add(subject)
                where[subject][t[i:i + 16]].add(app)
    expected = {}
    for subject, grams in where.items():
        if len(text[subject]) < 5:
            continue
        holding = {a for g, apps in grams.items() if len(apps) >= 5 and len(owners[g]) <= 3 for a in apps}
        if len(holding) >= 5:
            expected[subject] = len(holding)
    assert {cs["subject"]: cs["suspect_count"] for cs in cases} == expected and expected
    for cs in cases:
        for p in cs["evidence"]["passages"]:
            assert len(p["text"]) >= 16 and all(p["text"] in text[cs["subject"]][a] for a in p["applications"])


def test_template_and_near_duplicates_unknown_on_titles_only(gazette: Path) -> None:
    with _open(gazette) as c:
        s = of(c)
        for kind in ("template_text", "near_duplicate"):
            run = s.find(kind)
            assert not run.findings and [u["reason_key"] for u in run.unknown] == ["signals.unknown.no_abstracts"]


def test_near_duplicate_cases_cover_every_clustered_applicant(small: Path) -> None:
    with _open(small) as c:
        s = of(c)
        s.detect("near_duplicate")
        clusters = s.near_duplicates()["clusters"]
        cases = _cases(s, "near_duplicate")
        filers = defaultdict(set)
        for doc, subject in c.store.con.execute(f"SELECT DISTINCT doc_id, subject FROM ({SUBJECTS})").fetchall():
            filers[subject].add(doc)
    clustered = {d["doc_id"] for cl in clusters for d in cl["documents"]}
    expected = {subj: len(docs & clustered) for subj, docs in filers.items() if docs & clustered}
    assert {cs["subject"]: cs["suspect_count"] for cs in cases} == expected and expected


# ---------------------------------------------------------------- marks


def test_marks_many_classes_and_protected_copies(small: Path) -> None:
    with _open(small, tm_many_classes={"classes": 2}) as c:
        s = of(c)
        s.detect("tm_many_classes")
        cases = {cs["subject"]: cs["evidence"]["measure"] for cs in _cases(s, "tm_many_classes")}
        recount = dict(c.store.con.execute(
            "SELECT coalesce(nullif(p.name_norm, ''), p.name_raw), count(DISTINCT k.nice_class) "
            "FROM trademark_parties p JOIN trademark_classes k USING (mark_id) "
            "WHERE p.role <> 'agent' AND k.nice_class IS NOT NULL "
            "GROUP BY 1 HAVING count(DISTINCT k.nice_class) >= 2").fetchall())
        assert cases == recount and recount
        none = s.find("tm_protected_copy")
        assert [u["reason_key"] for u in none.unknown] == ["signals.unknown.no_protected"]
        copy = s.find("tm_protected_copy", [{"text": "璧山智造", "owner": "某驰名商标权利人"}])
        assert [f["subject_name"] for f in copy.findings] == ["重庆璧山智造科技有限公司"]
        assert copy.findings[0]["evidence"]["hits"][0]["score"] >= 0.8
        own = s.find("tm_protected_copy", [{"text": "璧山智造", "owner": "重庆璧山智造科技有限公司"}])
        assert not own.findings


# ---------------------------------------------------------------- cases, CLI, web


def test_case_status_log_and_office_list(small: Path, tmp_path: Path) -> None:
    path = copy_store(small, tmp_path, "cases.duckdb")
    with _open(path) as c:
        s = of(c)
        s.detect("rapid_resale")
        [case] = s.cases("rapid_resale")["rows"]
        cid = case["case_id"]
        assert case["status"] == "pending" and cid.startswith("rapid_resale:")
        with pytest.raises(SignalsError, match="needs its result"):
            s.update(cid, "handled")
        with pytest.raises(SignalsError, match="status"):
            s.update(cid, "done")
        s.update(cid, "checked", user="ana")
        s.update(cid, "handled", "dismissed", "转让系高校成果转化", user="ana")
        s.detect("rapid_resale")  # the same finding again: same id, status kept
        shown = s.case(cid)
        assert (shown["status"], shown["result"]) == ("handled", "dismissed")
        assert [(e["old_status"], e["status"]) for e in shown["log"]] == [("pending", "checked"),
                                                                         ("checked", "handled")]
        [row] = s.office("rapid_resale")
        assert row == {"主体": "北京科技大学", "主体标识": case["subject"], "信号类型": "rapid_resale", "疑似数": 2,
                       "处理情况": "已处理", "处理结果": "不属实 转让系高校成果转化", "案件编号": cid,
                       "说明": "信号不构成认定"}
    out = runner.invoke(cli, ["signals", "list", "--kind", "rapid_resale", "--db", str(path),
                              "--csv", str(tmp_path / "o.csv"), "--xlsx", str(tmp_path / "o.xlsx")])
    assert out.exit_code == 0, out.output
    assert "不构成认定" in out.stdout
    table = list(csv.DictReader(io.StringIO((tmp_path / "o.csv").read_text("utf-8-sig"))))
    assert [r["主体"] for r in table] == ["北京科技大学"] and table[0]["处理情况"] == "已处理"
    book = openpyxl.load_workbook(tmp_path / "o.xlsx")
    assert "不构成认定" in str(book.worksheets[-1].cell(2, 1).value)
    shown = json.loads(runner.invoke(cli, ["signals", "show", cid, "--db", str(path), "--json"]).stdout)
    assert shown["evidence"]["transfers"] and "不构成认定" in shown["note_verdict"]
    text = runner.invoke(cli, ["signals", "show", cid, "--db", str(path)]).stdout  # the log: local time, words
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC\S* ana: 已核查 → 已处理 不属实 转让系高校成果转化", text), text
    bad = runner.invoke(cli, ["signals", "detect", "nothing", "--db", str(path)])
    assert bad.exit_code == 2 and "no signal kind" in bad.output


def test_web_page_case_and_status(small: Path, tmp_path: Path) -> None:
    path = copy_store(small, tmp_path, "web.duckdb")
    with _open(path) as c:
        of(c).detect("rapid_resale")
    with TestClient(create_app(Settings(db=str(path)), read_only=False)) as client:
        # signals name suspected applicants: the office's analysts and admins only, every format
        for url in ("/signals", "/api/signals?kind=rapid_resale", "/signals.csv", "/signals/case/rapid_resale:0",
                    "/api/signals/near-duplicates"):
            assert client.get(url).status_code == 401, url
        assert client.post("/api/signals/detect", json={}).status_code in (401, 403)
        r = client.post("/login", json={"username": "ana", "password": PASSWORD})
        assert r.status_code == 200, r.text
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        page = client.get("/signals")
        assert page.status_code == 200 and "不构成认定" in page.text and "北京科技大学" in page.text
        assert re.search(r'<td class="nowrap">\d{4}-\d\d-\d\d \d\d:\d\d UTC', page.text)  # when it ran: local
        assert not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d", page.text)  # not the stored value
        data = client.get("/api/signals?kind=rapid_resale").json()
        cid = data["rows"][0]["case_id"]
        case = client.get(f"/signals/case/{cid}")
        assert case.status_code == 200 and "/patent/CN201610160455" in case.text and "不构成认定" in case.text
        assert "不构成认定" in client.get("/signals.csv").content.decode("utf-8-sig")
        english = list(csv.DictReader(io.StringIO(
            client.get("/signals.csv", params={"lang": "en"}).content.decode("utf-8-sig"))))
        assert list(english[0]) == ["Subject", "Subject ID", "Kind", "Suspected", "Status", "Result", "Case", "Note"]
        # a case's kind and status in words: To check (signals.status), not a patent's Pending (nav.status)
        assert "Rapid resale" in {r["Kind"] for r in english} and {r["Status"] for r in english} == {"To check"}
        assert "signals-status" in case.text
        done = client.post(f"/api/signals/case/{cid}/status", json={"status": "checked", "result": "confirmed"})
        assert done.status_code == 200 and done.json()["log"][0]["user_name"] == "ana"
        assert client.get("/api/signals/case/missing:0").status_code == 404
        assert "never a verdict" in client.get("/signals?lang=en").text
        near = client.get("/api/signals/near-duplicates").json()
        assert near["clusters"] and "不是结论" in near["note"]
    with TestClient(create_app(Settings(db=str(path)), read_only=True)) as client:  # a read-only server says so
        r = client.post("/login", json={"username": "ana", "password": PASSWORD})
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        for lang, words in (("zh-CN", "服务器为只读"), ("en", "The server is read-only")):
            refused = client.post("/api/signals/detect", json={}, params={"lang": lang})
            message = refused.json()["error"]
            assert refused.status_code == 403 and words in message and "ipcockpit signals" in message
            assert "`" not in message  # a message people read, not Markdown


def test_bad_settings_and_protected_lists_are_errors_naming_them(small: Path) -> None:
    with _open(small, burst={"factor": "three"}) as c:
        with pytest.raises(SignalsError, match="signals.burst.factor"):
            of(c).find("burst")
    with _open(small, bursts={}) as c:
        with pytest.raises(SignalsError, match="unknown kind"):
            of(c).thresholds()
    with _open(small) as c:
        with pytest.raises(SignalsError, match="protected mark"):
            of(c).find("tm_protected_copy", [{"name": "璧山智造"}])
        with pytest.raises(SignalsError, match="protected mark"):
            of(c).find("tm_protected_copy", [{"text": "璧山智造", "classes": ["第99类"]}])
