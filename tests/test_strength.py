"""Enterprise strength: every component equals an independent recount on a real store, for several organisations;
the composite is the weighted percentiles; the CLI and the exports give the same figures.

The store: USPTO weekly grants (citations in the corpus), the Lens COVID JSON lines (cited-by counts, families,
owners recorded by Lens: transfers), the WIPO field concordance and a CN table export (a source applicant type);
:func:`sources` says which files.
The recounts read the canonical tables with their own queries and Python; where a figure is the value index's or
the screening's (value index, high value, forward citations, whether operations are recorded), they call those
public functions for just the organisation's documents.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from statistics import mean
from typing import Any

import pytest
from graph_support import PARTY_IDS
from shared_stores import built_once, copy_store
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app
from ipcockpit.graph.sei import industry_codes as sei_codes
from ipcockpit.settings import Settings
from ipcockpit.strength.composite import percentiles
from ipcockpit.strength.ranking import StrengthError, evaluate, find_entity, organisation, ranking
from ipcockpit.strength.weights import COMPONENTS, WeightsError, load_weights
from ipcockpit.value.conditions import Universe, condition_rows
from ipcockpit.value.index import compute_index
from ipcockpit.value.indicators import indicator_table
from ipcockpit.value.settings import ScreenSettings

AS_OF = date(2025, 1, 1)
COVID = "lens/covid_jsonl"
#: the COVID files whose every record is also, field for field (all but the file's row number ``index``), a record
#: of another file of the folder: ingest merges each into the document it already has and loads none
REPEATS = ("Coronavirus-MERS-treatment.jsonl", "Coronavirus-SARS-treatment.jsonl",
           "Coronavirus-limited-keywords-based-patents.jsonl", "Coronavirus-patents-SARS-MERS-TAC.jsonl")
OWNER = ("applicant", "patentee", "assignee", "current_owner")


def sources(shared: Path) -> list[Path]:
    """The store's files, in this order: the USPTO weekly excerpts, the COVID JSON lines but :data:`REPEATS`, the
    WIPO field concordance and the CN table export. Ingesting :data:`REPEATS` too (the whole folder, as this module
    did) gave the same store, table for table and row for row (all 60 tables compared on 2026-12-06; only the
    ingest run's times and the list of files read differ) in 9.4 s instead of 5.1 s; :func:`_repeats_hold_nothing_new`
    checks on every build that those files still hold no record the others lack."""
    covid = [p for p in sorted((shared / COVID).glob("*.jsonl")) if p.name not in REPEATS]
    return [shared / "uspto_xml/weekly_excerpts", *covid, shared / "classification/ipc_technology.csv",
            shared / "cn/table_export_sample"]


def _records(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            record.pop("index", None)  # the row number in its file
            out.append(record)
    return out


def _repeats_hold_nothing_new(shared: Path, kept: list[Path]) -> None:
    held: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in kept:
        if path.parent == shared / COVID:
            for r in _records(path):
                held[r["lensId"]].append(r)
    for name in REPEATS:
        for r in _records(shared / COVID / name):
            assert r in held[r["lensId"]], (name, r["lensId"])


def strength_store(factory: pytest.TempPathFactory, shared: Path) -> Path:
    def build(folder: Path) -> Path:
        path = folder / "strength.duckdb"
        files = sources(shared)
        _repeats_hold_nothing_new(shared, files)
        with Cockpit(Settings(db=str(path))) as c:
            reports = c.ingest(files)
        assert all(r.error is None or r.skipped for r in reports)
        return path

    return built_once("strength_sources", factory, build)


@pytest.fixture(scope="module")
def cockpit(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Cockpit:
    path = copy_store(strength_store(tmp_path_factory, shared), tmp_path_factory.mktemp("strength"))
    c = Cockpit(Settings(db=str(path)))
    yield c
    c.close()


@pytest.fixture(scope="module")
def settings() -> ScreenSettings:
    return ScreenSettings(as_of=AS_OF)


@pytest.fixture(scope="module")
def result(cockpit: Cockpit, settings: ScreenSettings) -> dict[str, Any]:
    return evaluate(cockpit.store.con, settings=settings)


@pytest.fixture(scope="module")
def indicators(cockpit: Cockpit) -> dict[str, dict[str, Any]]:
    return {r["doc_id"]: r for r in indicator_table(cockpit.store.con, as_of=AS_OF).to_pylist()}


@pytest.fixture(scope="module")
def by_volume(cockpit: Cockpit, settings: ScreenSettings,
              tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The ranking of the SEI industry 4 (biology: COVID vaccines, drugs) under a weights file that weighs volume
    alone, every organisation (limit 0): the industry filter's test reads which organisations it compares, the
    weights file's test their order (the weights decide only the order, the filter only who is compared)."""
    mine = tmp_path_factory.mktemp("weights") / "w.yaml"
    mine.write_text("weights: {volume: 1, high_value: 0, value_index: 0, citations: 0, market_coverage: 0, "
                    "grant_ratio: 0, growth: 0, operations: 0}\n", encoding="utf-8")
    return ranking(cockpit.store.con, industry="4", weights=mine, settings=settings, limit=0)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> dict[str, Any]:
    """``ipcockpit strength`` on a copy of the store, run once: the ranking (top 5) as JSON and as CSV, then
    ``strength show`` of its first organisation as JSON and as a workbook. The CLI's test reads the outputs; the
    explanation's test reads the organisation shown (the dict organisation() returns, as the CLI prints it: the two
    tests asked the same question of the same store)."""
    folder = tmp_path_factory.mktemp("strength_cli")
    db = str(copy_store(strength_store(tmp_path_factory, shared), folder / "cli"))
    runner = CliRunner()
    csv_file, book = folder / "s.csv", folder / "s.xlsx"
    # one ranking, two outputs: the JSON on stdout and the CSV file (each written by its own branch of the command)
    out = runner.invoke(app, ["strength", "--db", db, "--limit", "5", "--as-of", "2025-01-01", "--json", "--csv",
                              str(csv_file)])
    assert out.exit_code == 0, out.output
    ranked = json.loads(out.stdout)
    out = runner.invoke(app, ["strength", "show", ranked["ranking"][0]["name"], "--db", db, "--as-of", "2025-01-01",
                              "--json", "--xlsx", str(book)])
    assert out.exit_code == 0, out.output
    return {"db": db, "ranking": ranked, "csv": csv_file, "shown": json.loads(out.stdout), "xlsx": book}


def _pick(orgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Several organisations that exercise every component: the largest, and the largest with known
    citations, operations, several offices, inventions, an invention grant, and the CN table's institute."""
    by_volume = sorted(orgs, key=lambda o: (-o["components"]["volume"]["raw"], o["entity_id"]))
    chosen = {o["entity_id"]: o for o in by_volume[:3]}
    for test in (lambda o: o["components"]["citations"]["known"],
                 lambda o: (o["components"]["operations"]["raw"] or 0) > 0,
                 lambda o: (o["components"]["market_coverage"]["raw"] or 0) > 2,
                 lambda o: o["components"]["high_value"]["detail"]["no"] > 0,
                 lambda o: o["components"]["high_value"]["detail"]["unknown"] > 0,
                 lambda o: o["components"]["growth"]["known"] and o["components"]["growth"]["raw"] not in (0, 1),
                 lambda o: any(e["rule"] == "source_type" for e in o["nature_detail"].evidence)):
        hit = next((o for o in by_volume if test(o) and o["entity_id"] not in chosen), None)
        assert hit is not None, "the store should hold an organisation for each component"
        chosen[hit["entity_id"]] = hit
    return list(chosen.values())


def _docs(con: Any, entity: str) -> list[str]:
    """The documents an organisation entity holds (ingest resolved the parties: party_entities' ids)."""
    rows = con.execute(f"SELECT DISTINCT p.doc_id FROM {PARTY_IDS} p JOIN documents d ON d.doc_id = p.doc_id "
                       f"WHERE p.role IN {OWNER} AND p.eid = ? AND NOT coalesce(d.stub, false)",
                       [entity]).fetchall()
    return sorted(r[0] for r in rows)


def _main_subclass(con: Any) -> dict[str, str]:
    """The main IPC code's subclass per document (main flag, else the first by seq; CPC when no IPC)."""
    best: dict[str, tuple[tuple[int, int, int], str]] = {}
    for doc, scheme, code, main, seq in con.execute(
            "SELECT doc_id, scheme, code, main, seq FROM classifications WHERE scheme IN ('IPC', 'CPC') "
            "AND code IS NOT NULL").fetchall():
        key = (scheme != "IPC", not main, seq if seq is not None else 999999)
        if doc not in best or key < best[doc][0]:
            best[doc] = (key, code[:4])
    return {d: v[1] for d, v in best.items()}


def _recount(con: Any, docs: list[str], ind: dict[str, dict[str, Any]], subclass: dict[str, str],
             cohort_means: dict[tuple, float], last_year: int, hv: dict[str, Any],
             index: dict[str, float | None]) -> dict[str, Any]:
    apps = {d: a or d for d, a in con.execute("SELECT doc_id, app_id FROM documents WHERE doc_id IN "
                                               "(SELECT unnest(?::VARCHAR[]))", [docs]).fetchall()}
    out: dict[str, Any] = {"volume": len(set(apps.values()))}
    grants = [r for r in hv if r["publication_number"] in docs]
    out["hv_yes"] = sum(r["high_value"] is True for r in grants)
    out["hv_no"] = sum(r["high_value"] is False for r in grants)
    out["hv_unknown"] = sum(r["high_value"] is None for r in grants)
    # undecided grants and none decided high value: the count is unknown, not 0
    out["high_value"] = None if out["hv_unknown"] and not out["hv_yes"] else out["hv_yes"]
    vis = [index[d] for d in docs if index[d] is not None]
    out["value_index"] = round(mean(vis), 2) if vis else None
    ratios = []
    for d in docs:
        r = ind[d]
        key = (subclass.get(d), r["cohort_year"], r["doc_type"] or "?", r["forward_citations_source"] or "?")
        if r["forward_citations"] is not None and key[0] and cohort_means.get(key, 0) > 0:
            ratios.append(r["forward_citations"] / cohort_means[key])
    out["citations"] = round(mean(ratios), 4) if ratios else None
    offices = {d[:2] for d in docs}
    for (member,) in con.execute(
            "SELECT m2.doc_id FROM family_members m1 JOIN family_members m2 USING (family_id, scheme) "
            "WHERE m1.doc_id IN (SELECT unnest(?::VARCHAR[])) UNION SELECT d2.doc_id FROM documents d1 "
            "JOIN documents d2 USING (family_id) WHERE d1.doc_id IN (SELECT unnest(?::VARCHAR[]))",
            [docs, docs]).fetchall():
        offices.add(member[:2])
    offices.discard("WO")
    out["market_coverage"] = len(offices) or None
    inv = {apps[d] for d in docs if ind[d]["doc_type"] == "invention"}
    granted = {apps[d] for d in docs if ind[d]["doc_type"] == "invention" and ind[d]["granted"]}
    out["grant_ratio"] = round(len(granted) / len(inv), 4) if inv else None
    years: dict[str, set[int]] = defaultdict(set)
    for d in docs:
        if ind[d]["cohort_year"] is not None:
            years[apps[d]].add(ind[d]["cohort_year"])
    recent = {a for a, ys in years.items() if any(last_year - 2 <= y <= last_year for y in ys)}
    earlier = {a for a, ys in years.items() if any(last_year - 5 <= y <= last_year - 3 for y in ys)}
    out["growth"] = round(len(recent) / (len(recent) + len(earlier)), 4) if recent or earlier else None
    events = con.execute(
        "SELECT DISTINCT doc_id, event_class, event_date, code, raw_text, counterparty FROM legal_events "
        "WHERE doc_id IN (SELECT unnest(?::VARCHAR[])) AND event_class IN ('transfer', 'licence', 'pledge') "
        "AND (event_date IS NULL OR event_date <= ?)", [docs, AS_OF]).fetchall()
    recorded = any(ind[d][k] is not None for d in docs for k in ("transfers", "licences", "pledges"))
    out["operations"] = len(events) if recorded else None
    return out


def test_every_component_equals_an_independent_recount(cockpit: Cockpit, result: dict[str, Any],
                                                        indicators: dict[str, dict[str, Any]],
                                                        settings: ScreenSettings) -> None:
    con = cockpit.store.con
    subclass = _main_subclass(con)
    sums: dict[tuple, list[int]] = defaultdict(list)
    for d, r in indicators.items():
        if r["forward_citations"] is not None and subclass.get(d):
            sums[(subclass[d], r["cohort_year"], r["doc_type"] or "?", r["forward_citations_source"] or "?")].append(
                r["forward_citations"])
    cohort_means = {k: mean(v) for k, v in sums.items()}
    years = Counter(r["cohort_year"] for r in indicators.values() if r["cohort_year"] is not None)
    last_year = max(y for y, n in years.items() if n / sum(years.values()) >= 0.01)
    assert result["context"]["growth_windows"] == {"earlier": [last_year - 5, last_year - 3],
                                                   "recent": [last_year - 2, last_year]}
    chosen = _pick(result["orgs"])
    assert len(chosen) == 10
    all_docs = sorted({d for o in chosen for d in _docs(con, o["entity_id"])})
    hv = condition_rows(con, settings, Universe(doc_ids=tuple(all_docs)))
    # the value index of the chosen organisations' documents, asked once (its percentiles are the whole corpus's,
    # whatever doc_ids selects: each document's index is the one it gets when asked for one organisation alone)
    index = {r["doc_id"]: r["value_index"] for r in compute_index(con, doc_ids=all_docs, as_of=AS_OF)}
    assert set(index) == set(all_docs)
    for o in chosen:
        docs = _docs(con, o["entity_id"])
        want = _recount(con, docs, indicators, subclass, cohort_means, last_year, hv, index)
        got = {c: o["components"][c]["raw"] for c in COMPONENTS}
        for c in COMPONENTS:
            if isinstance(want[c], float) and got[c] is not None:
                assert got[c] == pytest.approx(want[c], abs=0.011 if c == "value_index" else 1e-4), (o["name"], c)
            else:
                assert got[c] == want[c], (o["name"], c, got[c], want[c])
        d = o["components"]["high_value"]["detail"]
        assert (d["yes"], d["no"], d["unknown"]) == (want["hv_yes"], want["hv_no"], want["hv_unknown"])


def test_composite_is_the_weighted_percentiles(result: dict[str, Any]) -> None:
    orgs = result["orgs"]
    weights = result["context"]["weights"]
    total = sum(weights.values())
    pct = {c: percentiles([o["components"][c]["raw"] for o in orgs]) for c in COMPONENTS}
    for i in (0, 1, len(orgs) // 2, len(orgs) - 1):
        o = orgs[i]
        want = 0.0
        for c in COMPONENTS:
            p = pct[c][i]
            # mid-rank percentile recounted by hand: below + half the ties, over the known values
            known = [x["components"][c]["raw"] for x in orgs if x["components"][c]["raw"] is not None]
            raw = o["components"][c]["raw"]
            if raw is None:
                assert p is None and o["components"][c]["score"] == 0.5
            else:
                assert p == pytest.approx((sum(v < raw for v in known) + sum(v == raw for v in known) / 2) / len(known))
            want += 100 * weights[c] / total * (0.5 if p is None else p)
        assert o["composite"] == pytest.approx(want, abs=0.006)
        assert sum(o["components"][c]["contribution"] for c in COMPONENTS) == pytest.approx(o["composite"], abs=0.05)
    assert [o["rank"] for o in orgs] == list(range(1, len(orgs) + 1))
    assert all(a["composite"] >= b["composite"] for a, b in zip(orgs, orgs[1:], strict=False))


def test_filters_keep_the_organisations_documents(cockpit: Cockpit, result: dict[str, Any],
                                                  settings: ScreenSettings, by_volume: dict[str, Any]) -> None:
    con = cockpit.store.con
    by_field = evaluate(con, field=6, settings=settings)  # WIPO 6: computer technology
    docs = {d for (d,) in con.execute(
        "SELECT doc_id FROM classifications c JOIN ref_tech_fields f ON f.scheme = 'wipo35' AND f.field_id = 6 "
        "AND starts_with(c.code, f.ipc_prefix) WHERE c.scheme = 'IPC'").fetchall()}
    assert 0 < by_field["context"]["organisations"] < result["context"]["organisations"]
    for o in by_field["orgs"][:5]:
        assert o["components"]["volume"]["raw"] <= len(set(_docs(con, o["entity_id"])) & docs)
    # the IPC codes of an SEI industry, matched in Python, are those DuckDB's regexp matching gives (each distinct
    # code matched once: the same set as matching every classification row, a tenth of the regex calls)
    want = {c for (c,) in con.execute(
        "SELECT DISTINCT c.code FROM (SELECT DISTINCT code FROM classifications WHERE scheme = 'IPC') c "
        "JOIN ref_ipc_concordance r ON r.scheme = 'sei2021' "
        "AND (r.code = '4' OR r.parent_code = '4' OR starts_with(r.code, '4.')) "
        "WHERE regexp_full_match(c.code, r.ipc_regex) AND NOT coalesce(regexp_full_match(c.code, r.exclusion_regex), "
        "false)").fetchall()}
    assert want and set(sei_codes(con, "4", "sei2021")) == want
    # SEI 4: biology (COVID vaccines, drugs); the ranking weighs volume alone, which does not change who is compared
    assert by_volume["filters"]["industry"] == "4" and len(by_volume["ranking"]) == by_volume["organisations"]
    assert 0 < by_volume["organisations"] < result["context"]["organisations"]
    unis = evaluate(con, nature="university", settings=settings)
    assert unis["orgs"] and all(o["nature"] == "university" for o in unis["orgs"])
    with pytest.raises(StrengthError, match="nature"):
        evaluate(con, nature="company", settings=settings)
    with pytest.raises(StrengthError, match="1 to 35"):
        evaluate(con, field=36, settings=settings)


def test_organisation_explains_each_component(cockpit: Cockpit, result: dict[str, Any],
                                              settings: ScreenSettings, cli: dict[str, Any]) -> None:
    data = cli["shown"]  # `strength show` of the first organisation: organisation()'s answer, as JSON
    o = next(x for x in result["orgs"] if (x["components"]["operations"]["raw"] or 0) > 0)
    assert o["rank"] == 1, "the first organisation has recorded operations (transfers), explained below"
    assert data["query"] == o["name"]
    assert data["entity_id"] == o["entity_id"] and data["rank"] == o["rank"]
    assert [c["name"] for c in data["components"]] == list(COMPONENTS)
    for c in data["components"]:
        for key in ("raw", "normalised", "weight", "contribution", "effect", "text_en", "text_zh", "evidence"):
            assert key in c
        assert c["raw"] == o["components"][c["name"]]["raw"]
    ops = next(c for c in data["components"] if c["name"] == "operations")
    assert ops["evidence"]["documents"] and "转让" in ops["text_zh"]
    volume = next(c for c in data["components"] if c["name"] == "volume")
    [(n,)] = cockpit.store.con.execute(volume["evidence"]["query"]).fetchall()
    assert n == volume["raw"]
    market = next(c for c in data["components"] if c["name"] == "market_coverage")
    [(offices,)] = cockpit.store.con.execute(market["evidence"]["query"]).fetchall()
    assert offices == market["detail"]["offices"] and len(offices) == market["raw"]
    [(events,)] = cockpit.store.con.execute(ops["evidence"]["query"]).fetchall()
    assert events == ops["raw"]
    growth = next(c for c in data["components"] if c["name"] == "growth")
    [(recent, earlier)] = cockpit.store.con.execute(growth["evidence"]["query"]).fetchall()
    assert (recent, earlier) == (growth["detail"]["recent"], growth["detail"]["earlier"])
    assert data["documents_total"] == len(_docs(cockpit.store.con, o["entity_id"]))
    assert organisation(cockpit.store.con, "no such organisation 不存在", settings=settings) is None


def test_weights_file(tmp_path: Path, by_volume: dict[str, Any]) -> None:
    assert by_volume["weights"]["volume"] == 1 and not any(v for c, v in by_volume["weights"].items() if c != "volume")
    vols = [r["components"]["volume"]["raw"] for r in by_volume["ranking"]]
    assert len(vols) > 1000 and vols == sorted(vols, reverse=True)  # volume alone ranks (the industry's 2,472)
    bad = tmp_path / "bad.yaml"
    bad.write_text("weights: {size: 1}\n", encoding="utf-8")
    with pytest.raises(WeightsError, match="size"):
        load_weights(bad)


def test_cli_json_csv_and_show(cli: dict[str, Any]) -> None:
    db, data, shown = cli["db"], cli["ranking"], cli["shown"]
    assert len(data["ranking"]) == 5 and data["ranking"][0]["rank"] == 1
    text = cli["csv"].read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("rank,entity_id,name,nature") and data["ranking"][0]["name"] in text
    assert shown["entity_id"] == data["ranking"][0]["entity_id"]
    assert shown["composite"] == data["ranking"][0]["composite"]
    from openpyxl import load_workbook

    wb = load_workbook(cli["xlsx"], read_only=True)
    assert wb.sheetnames == ["components", "documents"]
    rows = list(wb["components"].values)
    assert [r[0] for r in rows[1:]] == list(COMPONENTS) and rows[1][3] == shown["components"][0]["raw"]
    runner = CliRunner()
    out = runner.invoke(app, ["strength", "show", "--db", db])
    assert out.exit_code == 2
    out = runner.invoke(app, ["strength", "--db", db, "--nature", "company"])
    assert out.exit_code == 2 and "enterprise" in out.output


def test_registry_beats_the_name(tmp_path: Path, cockpit: Cockpit, result: dict[str, Any],
                                 settings: ScreenSettings) -> None:
    # ingest resolved the institute's two folded spellings ("... inst", "... institute") as one organisation
    [(dana,)] = cockpit.store.con.execute(
        f"SELECT DISTINCT eid FROM {PARTY_IDS} WHERE name_norm IN ('dana farber cancer inst', "
        "'dana farber cancer institute')").fetchall()
    before = next(o for o in result["orgs"] if o["entity_id"] == dana)
    assert (before["nature"], before["nature_basis"]) == ("enterprise", "name")  # the trailing INC
    reg = tmp_path / "registry.csv"
    reg.write_text("name,nature,region,aliases\nDANA FARBER CANCER INST INC,institute,US-MA,"
                   "DANA-FARBER CANCER INSTITUTE INC\n", encoding="utf-8")
    data = evaluate(cockpit.store.con, nature="institute", registry=reg, settings=settings)
    hits = {o["entity_id"]: o for o in data["orgs"]}
    o = hits[dana]
    ev = o["nature_detail"].evidence[0]
    assert (o["nature"], o["nature_basis"], ev["rule"], ev["name_said"]) == (
        "institute", "registry", "registry", "enterprise")
    assert ev["file"] == str(reg) and ev["line"] == 2
    assert data["context"]["registry"]["names"] == 2


def test_resolved_entities_are_counted_as_one(tmp_path_factory: pytest.TempPathFactory, shared: Path,
                                              settings: ScreenSettings) -> None:
    """Where organisation resolution stored ids (party_entities, migration 11), a resolved organisation is one:
    its spellings' documents add up; parties without a row keep the folded-name id. The table is emptied of what
    ingest resolved and holds only the rows written here."""
    import duckdb

    path = copy_store(strength_store(tmp_path_factory, shared), tmp_path_factory.mktemp("strength_resolved"))
    con = duckdb.connect(str(path))
    spellings = ["dana farber cancer inst", "dana farber cancer institute"]
    con.execute("DELETE FROM party_entities")
    con.execute("INSERT INTO party_entities SELECT doc_id, seq, role, 'o:dana-farber' AS entity_id FROM parties "
                "WHERE name_norm IN (SELECT unnest(?::VARCHAR[]))", [spellings])
    con.execute("SET enable_progress_bar = true")
    # one spelling names the resolved organisation (as `strength show` finds it); one evaluation gives the ranking and
    # that organisation's documents (what organisation() shows as its documents)
    entity = find_entity(con, "DANA-FARBER CANCER INSTITUTE INC")
    assert entity == "o:dana-farber"
    data = evaluate(con, settings=settings, entity=entity)
    # the progress bar is off while strength runs (it printed into --json) and as the caller had it after
    assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0] is True
    ids = {o["entity_id"]: o for o in data["orgs"]}
    assert "o:dana-farber" in ids and not any(f"n:{s}" in ids for s in spellings)
    assert all(e.startswith("n:") for e in ids if e != "o:dana-farber")  # the others: no row, folded names
    docs = sorted(r[0] for r in con.execute(
        "SELECT DISTINCT p.doc_id FROM parties p JOIN documents d ON d.doc_id = p.doc_id "
        f"WHERE p.role IN {OWNER} AND p.name_norm IN (SELECT unnest(?::VARCHAR[])) AND NOT coalesce(d.stub, false)",
        [spellings]).fetchall())
    [(apps,)] = con.execute("SELECT count(DISTINCT coalesce(app_id, doc_id)) FROM documents WHERE doc_id IN "
                            "(SELECT unnest(?::VARCHAR[]))", [docs]).fetchall()
    merged = ids["o:dana-farber"]
    assert merged["components"]["volume"]["raw"] == apps
    assert set(merged["names"]) >= {"DANA FARBER CANCER INST INC", "DANA-FARBER CANCER INSTITUTE INC"}
    assert sorted(d["doc_id"] for d in data["documents"]) == docs
    con.close()


def test_the_ranking_page_names_every_organisation_its_chart_draws(tmp_path_factory: pytest.TempPathFactory,
                                                                   shared: Path, tmp_path: Path) -> None:
    """/strength's chart of the 20 first, drawn by ECharts (as the PDF renderer draws charts) at the height the
    page gives its box: every bar's label is drawn (in the 380-pixel box of .chart ECharts dropped every other name)."""
    from fastapi.testclient import TestClient

    from ipcockpit.navigation import chart_images
    from ipcockpit.web.server import create_app

    db = copy_store(strength_store(tmp_path_factory, shared), tmp_path)
    with TestClient(create_app(Settings(db=str(db)))) as client:
        page = client.get("/strength", params={"limit": 20}).text
    option = json.loads(re.search(r'id="chart-strength-option">([^<]*)<', page).group(1))
    box = re.search(r'id="chart-strength"[^>]*style="height: (\d+)px"', page)
    height = int(box.group(1)) if box else 380  # the stylesheet's .chart height
    names = option["yAxis"]["data"]
    assert len(names) == 20
    svg = chart_images.to_svg(option, width=1000, height=height)
    assert set(names) <= set(re.findall(r"<text[^>]*>([^<]*)</text>", svg))
