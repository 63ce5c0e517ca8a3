"""The value index on real data: indicators, cohort percentiles, profiles, stages and explanations.

The store holds the USPTO weekly full-text excerpts (claims, citations, IPC), the Thomson Innovation
synbio export (citing counts, INPADOC families, the US litigation column) and the Lens drones export
(cited-by counts, simple family sizes), with the WIPO technology fields. Raw values are checked
against the source files read another way (lxml, csv, openpyxl).
"""

from __future__ import annotations

import csv
import re
import warnings
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from openpyxl import load_workbook

from ipcockpit.app import Cockpit
from ipcockpit.value.index import ProfileError, compute_index, load_profiles, score_table, stage_weights
from ipcockpit.value.indicators import COUNTRY_WEIGHTS, INDICATORS, indicator_table

AS_OF = date(2025, 1, 1)
WEEKLY = "uspto_xml/weekly_excerpts"
THOMSON = "thomson/synbio.xlsx"
LENS = "lens/drone_drones_fulltext_families_5884.csv"
FIELDS = "classification/ipc_technology.csv"


@pytest.fixture(scope="module")
def cockpit(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[Cockpit]:
    c = Cockpit(db=tmp_path_factory.mktemp("value") / "store.duckdb")
    reports = c.ingest([shared / WEEKLY, shared / THOMSON, shared / LENS, shared / FIELDS])
    assert all(r.error is None and r.quarantined == 0 for r in reports)
    yield c
    c.close()


@pytest.fixture(scope="module")
def indicators(cockpit: Cockpit) -> dict[str, dict[str, Any]]:
    return {r["doc_id"]: r for r in indicator_table(cockpit.store.con, as_of=AS_OF).to_pylist()}


@pytest.fixture(scope="module")
def scored(cockpit: Cockpit) -> list[dict[str, Any]]:
    return score_table(cockpit.store.con, as_of=AS_OF).to_pylist()


def _weights(codes: set[str]) -> float:
    """Sum of the country weights of the given ISO codes, read with the csv module."""
    with COUNTRY_WEIGHTS.open(encoding="utf-8") as f:
        rows = {r["code"]: r for r in csv.DictReader(line for line in f if not line.startswith("#"))}
    return sum(float(rows[c]["weight"]) for c in codes)


@pytest.mark.slow
def test_uspto_grant_indicators_match_the_xml(indicators: dict[str, dict[str, Any]], shared: Path) -> None:
    # US8418590B2 is in the 2013-04-16 weekly file; counted here with lxml
    data = (shared / WEEKLY / "ipg130416.small.xml").read_bytes()
    doc = next(d for d in re.split(rb"(?=<\?xml )", data) if b"<doc-number>08418590</doc-number>" in d)
    root = etree.fromstring(doc.strip(), etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True))
    claims = root.findall(".//claims/claim")
    first_claim_words = " ".join("".join(claims[0].itertext()).split()).split()
    cites = root.findall(".//us-references-cited/us-citation")
    assert (len(claims), len([c for c in claims if c.find(".//claim-ref") is None]), len(cites)) == (18, 4, 29)
    assert first_claim_words[:3] == ["1.", "A", "miter"] and len(first_claim_words) == 226

    r = indicators["US8418590B2"]
    assert (r["claims"], r["independent_claims"], r["backward_citations"]) == (18, 4, 29)
    assert r["npl_citations"] == 0  # none cited, and the file carries NPL citations: observed zero
    assert r["first_claim_length"] == 225  # words, without the claim number "1."
    assert r["inventors"] == 2 and r["applicant_type"] == "company"
    # filed 2008-06-04, granted 2013-04-16: 1,777 days; term ends 2028-06-04 plus the 331 days of patent-term
    # adjustment the XML prints (<us-term-extension>), 2029-05-01: 1,250 + 331 days after AS_OF
    assert r["grant_lag"] == round(1777 / 365.25, 3) and r["remaining_term"] == round((1250 + 331) / 365.25, 3)
    assert r["stage"] == "mature_grant" and r["cohort_field"] == "wipo35:26" and r["cohort_year"] == 2008
    # no family data and no legal events in a USPTO grant file: unknown, not zero
    assert r["family_size"] is None and r["market_coverage"] is None and r["litigations"] is None
    # no count from the source: the citing documents in the corpus (none) decide
    assert (r["forward_citations"], r["forward_citations_source"]) == (0, "corpus")


@pytest.mark.slow
def test_thomson_indicators_match_the_workbook(indicators: dict[str, dict[str, Any]], shared: Path) -> None:
    with warnings.catch_warnings():  # the workbook carries an extension openpyxl does not read
        warnings.simplefilter("ignore", UserWarning)
        workbook = load_workbook(shared / THOMSON, read_only=True)
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = list(next(rows))
        book = {r[header.index("publication_number")]: dict(zip(header, r, strict=False)) for r in rows}
        workbook.close()
    lit = book["US8377674B2"]
    members = [m.strip() for m in lit["inpadoc_family_member_numbers"].split(";")]
    countries = {c.strip() for c in lit["inpadoc_family_member_countries_codes"].split(";")}
    assert len(members) == 71 and countries == {"AT", "AU", "CA", "DK", "EP", "ES", "JP", "US", "WO"}
    assert lit["litigation_us"].count(" | ") == 1 and int(lit["cited_patent_count"]) == 62

    r = indicators["US8377674B2"]
    assert (r["family_size"], r["litigations"], r["backward_citations"]) == (71, 2, 62)
    with COUNTRY_WEIGHTS.open(encoding="utf-8") as f:
        epc = next(row for row in csv.DictReader(line for line in f if not line.startswith("#"))
                   if row["code"] == "EP")["members"].split()
    # EP counts its 39 member states (AT, DK and ES among them) once; WO counts nothing
    assert r["market_coverage"] == pytest.approx(_weights(set(epc) | {"US", "AU", "CA", "JP"}), abs=1e-5)
    assert r["applicant_type"] == "university"

    r = indicators["US5824316A"]
    assert int(book["US5824316A"]["citing_patent_count"]) == 9
    assert (r["forward_citations"], r["forward_citations_source"]) == (9, "source")
    # the file carries the litigation column, so no case is an observed zero
    assert r["litigations"] == 0 and r["family_size"] == 1
    assert r["market_coverage"] == pytest.approx(_weights({"US"}), abs=1e-6)
    assert r["remaining_term"] == 0.0  # filed 1996: the 20 years ran out in 2016
    assert r["claims"] is None and r["first_claim_length"] == 25  # the first claim only, in words


@pytest.mark.slow
def test_lens_indicators_match_the_csv(indicators: dict[str, dict[str, Any]], shared: Path) -> None:
    with (shared / LENS).open(encoding="utf-8") as f:
        lens = {r["Publication Number"]: r for r in csv.DictReader(f)}
    be, cn = lens["BE 905621 A1"], lens["CN 101055177 A"]
    assert (be["Cited Count"], be["Simple Family Size"]) == ("4", "1")
    assert (cn["Cited Count"], cn["Simple Family Size"]) == ("7", "4")
    r = indicators["BE905621A1"]
    assert (r["forward_citations"], r["forward_citations_source"], r["family_size"]) == (4, "source", 1)
    assert r["market_coverage"] == pytest.approx(_weights({"BE"}), abs=1e-6)  # a family of one: Belgium
    # Lens CSV carries NPL citations but no patent citations and no claims
    assert r["npl_citations"] == 0 and r["backward_citations"] is None and r["claims"] is None
    r = indicators["CN101055177A"]
    assert (r["forward_citations"], r["family_size"], r["stage"]) == (7, 4, "application")
    assert r["market_coverage"] is None  # four members, but which offices is not known


@pytest.mark.slow
def test_percentiles_lie_in_0_1_and_follow_the_raw_values(scored: list[dict[str, Any]]) -> None:
    meta = load_profiles()["indicators"]
    checked = 0
    for name in INDICATORS:
        if meta[name]["direction"] == "categorical" or f"pct_{name}" not in scored[0]:
            continue
        groups: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
        for r in scored:
            if r[name] is None:
                assert r[f"pct_{name}"] is None and r[f"sc_{name}"] is None
                continue
            k = r["cohort"] + ("|" + (r["forward_citations_source"] or "-") if name == "forward_citations" else "")
            groups[k].append((r[name], r[f"pct_{name}"], r[f"sc_{name}"]))
        for rows in groups.values():
            rows.sort()
            for _, p, sc in rows:
                assert 0 < p < 1 and sc == pytest.approx(min(p, 0.99) / 0.99)
            for (v0, p0, _), (v1, p1, _) in zip(rows, rows[1:], strict=False):
                if v0 == v1:
                    assert p0 == p1
                elif meta[name]["direction"] == "higher":
                    assert p1 > p0
                else:  # grant lag, first-claim length: lower is better
                    assert p1 < p0
                checked += 1
    assert checked > 20_000


@pytest.mark.slow
def test_cohorts_are_field_by_year_and_pool_small_ones(scored: list[dict[str, Any]]) -> None:
    sizes: dict[str, int] = defaultdict(int)
    field_year: dict[tuple[str, str], int] = defaultdict(int)
    for r in scored:
        sizes[r["cohort"]] += 1
        field_year[(r["cohort_field"], str(r["cohort_year"] or "?"))] += 1
    for r in scored:
        assert r["cohort_size"] == sizes[r["cohort"]]
        own = (r["cohort_field"], str(r["cohort_year"] or "?"))
        field, year = r["cohort"].split("|")
        if field_year[own] >= 10:  # big enough: the technology field x filing year itself
            assert (field, year) == own
        else:  # pooled with the field's other small cohorts, or with all small ones
            assert year == "*" and field in (r["cohort_field"], "*")
    by = {r["doc_id"]: r for r in scored}
    # 2008 machine tools (WIPO field 26) hold fewer than 10 documents: pooled over the field's years
    assert field_year[("wipo35:26", "2008")] < 10 and by["US8418590B2"]["cohort"] == "wipo35:26|*"
    assert by["US8377674B2"]["cohort"] == "wipo35:15|2012" and by["US8377674B2"]["cohort_size"] >= 10


@pytest.mark.slow
def test_missing_inputs_lower_confidence_and_never_count_as_zero(scored: list[dict[str, Any]]) -> None:
    profiles = load_profiles()
    by = {r["doc_id"]: r for r in scored}
    r = by["BE905621A1"]  # no claims, no patent citations
    w = stage_weights(profiles, "government_statistics", r["stage"])["indicators"]
    legal = [i for i in w if profiles["indicators"][i]["dimension"] == "legal"]
    have = [i for i in legal if r[f"sc_{i}"] is not None]
    assert "claims" not in have and "grant_lag" in have
    expected = 100 * sum(w[i] * r[f"sc_{i}"] for i in have) / sum(w[i] for i in have)
    assert r["legal_score"] == pytest.approx(expected)
    assert r["legal_confidence"] == pytest.approx(sum(w[i] for i in have) / sum(w[i] for i in legal))
    as_zero = 100 * sum(w[i] * r[f"sc_{i}"] for i in have) / sum(w[i] for i in legal)
    assert r["legal_score"] > as_zero
    uspto = by["US8418590B2"]
    assert uspto["economic_confidence"] < 0.2 < uspto["legal_confidence"]  # families and events unknown
    # the raw index is the dimension scores weighted by dimension weight x confidence (the index is it shrunk
    # towards the cohort: tests/test_value_confidence.py)
    dims = stage_weights(profiles, "government_statistics", uspto["stage"])["dimensions"]
    wc = {d: dims[d] * uspto[f"{d}_confidence"] for d in dims if uspto[f"{d}_score"] is not None}
    assert uspto["value_index_raw"] == pytest.approx(
        sum(wc[d] * uspto[f"{d}_score"] for d in wc) / sum(wc.values()))
    assert uspto["confidence"] == pytest.approx(sum(wc.values()))


@pytest.mark.slow
def test_every_scored_document_is_explained(cockpit: Cockpit) -> None:
    rows = compute_index(cockpit.store.con, as_of=AS_OF)
    # 375 USPTO grants and 1 application (grep), 644 Thomson rows (openpyxl), 5,884 Lens rows (csv)
    assert len(rows) == 375 + 1 + 644 + 5884
    assert [r["value_index"] for r in rows if r["value_index"] is not None] == \
        sorted((r["value_index"] for r in rows if r["value_index"] is not None), reverse=True)
    for r in rows:
        assert r["explanation"], r["doc_id"]
        assert set(r["dimensions"]) == {"legal", "technical", "economic"}
        assert r["profile"] == "government_statistics" and r["stage"] in {"application", "young_grant", "mature_grant"}
        if r["value_index"] is None:
            assert r["explanation"][0]["name"] == "no_data"
            continue
        assert 0 <= r["value_index"] <= 100
        pull, *indicators = r["explanation"]  # first how far the confidence pulled the raw index
        assert pull["kind"] == "confidence" and pull["text_zh"] and pull["text_en"] and 0 <= pull["weight"] < 1
        for item in indicators:
            assert item["text_zh"] and item["text_en"] and item["raw"] is not None and 0 < item["weight"] <= 1
    by = {r["doc_id"]: r for r in rows}
    uspto = by["US8418590B2"]
    lag = uspto["explanation"][1]  # 4.87 years to grant, slow for its cohort: the largest effect
    assert (lag["name"], lag["raw"], lag["effect"] < 0) == ("grant_lag", 4.865, True)
    assert "lower is better" in lag["text_en"] and "越小越好" in lag["text_zh"]
    assert "family_size" in uspto["missing"] and "claims" not in uspto["missing"]
    fc = next(i for i in by["US5824316A"]["explanation"] if i["name"] == "forward_citations")
    assert (fc["raw"], fc["source"]) == (9, "source")
    assert "count given by the source" in fc["text_en"] and "数据源提供" in fc["text_zh"]


@pytest.mark.slow
def test_contributions_add_up_to_the_index(cockpit: Cockpit, tmp_path: Path) -> None:
    user = tmp_path / "profiles.yaml"
    user.write_text("settings:\n  explain_top: 100\n", encoding="utf-8")
    rows = compute_index(cockpit.store.con, doc_ids=["US8418590B2", "US8377674B2", "BE905621A1"], as_of=AS_OF,
                         profiles=user)
    assert [r["doc_id"] for r in rows] != [] and len(rows) == 3
    for r in rows:
        # the indicators' contributions add up to the raw index, the confidence's pull takes it to the index
        pull, *indicators = r["explanation"]
        assert sum(i["contribution"] for i in indicators) == pytest.approx(r["value_index_raw"], abs=0.05)
        assert sum(i["contribution"] for i in r["explanation"]) == pytest.approx(r["value_index"], abs=0.05)
        assert sum(i["weight"] for i in indicators) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.slow
def test_profiles_weigh_differently(cockpit: Cockpit) -> None:
    profiles = load_profiles()
    assert set(profiles["profiles"]) == {"government_statistics", "enterprise_ip_manager",
                                         "lender_pledge_financing", "technology_transfer"}
    gov = stage_weights(profiles, "government_statistics", "mature_grant")
    lender = stage_weights(profiles, "lender_pledge_financing", "mature_grant")
    assert gov["dimensions"]["legal"] < lender["dimensions"]["legal"] == pytest.approx(0.5)
    assert lender["indicators"]["remaining_term"] == 4  # the mature-grant override
    ids = ["US8418590B2", "US8377674B2", "US5824316A", "BE905621A1", "CN101055177A"]
    a = {r["doc_id"]: r for r in compute_index(cockpit.store.con, "government_statistics", ids, AS_OF)}
    b = {r["doc_id"]: r for r in compute_index(cockpit.store.con, "lender_pledge_financing", ids, AS_OF)}
    assert all(b[i]["profile"] == "lender_pledge_financing" for i in ids)
    assert sum(abs(a[i]["value_index"] - b[i]["value_index"]) > 1 for i in ids) >= 3
    assert a["US8418590B2"]["dimensions"]["legal"]["weight"] == pytest.approx(0.3)
    assert b["US8418590B2"]["dimensions"]["legal"]["weight"] == pytest.approx(0.5)


@pytest.mark.slow
def test_stage_follows_the_grant_age(cockpit: Cockpit) -> None:
    old = compute_index(cockpit.store.con, doc_ids=["US8418590B2"], as_of=AS_OF)[0]
    young = compute_index(cockpit.store.con, doc_ids=["US8418590B2"], as_of=date(2015, 1, 1))[0]
    app = compute_index(cockpit.store.con, doc_ids=["CN101055177A"], as_of=AS_OF)[0]
    assert (old["stage"], young["stage"], app["stage"]) == ("mature_grant", "young_grant", "application")
    assert old["dimensions"]["economic"]["weight"] == pytest.approx(0.35)
    assert young["dimensions"]["economic"]["weight"] == pytest.approx(0.3)
    assert app["dimensions"]["technical"]["weight"] == pytest.approx(0.45)


@pytest.mark.slow
def test_a_user_yaml_profile_is_honoured(cockpit: Cockpit, tmp_path: Path) -> None:
    user = tmp_path / "mine.yaml"
    user.write_text(
        "settings: {min_cohort_size: 3}\n"
        "profiles:\n"
        "  claims_only:\n"
        "    dimensions: {legal: 1}\n"
        "    indicators: {claims: 1}\n",
        encoding="utf-8",
    )
    rows = compute_index(cockpit.store.con, "claims_only", as_of=AS_OF, profiles=user)
    table = {r["doc_id"]: r
             for r in score_table(cockpit.store.con, "claims_only", AS_OF, load_profiles(user)).to_pylist()}
    with_claims = [r for r in rows if table[r["doc_id"]]["claims"] is not None]
    assert len(with_claims) == 375 + 1  # the USPTO grants and the application
    for r in rows:
        sc = table[r["doc_id"]]["sc_claims"]
        if sc is None:
            assert r["value_index"] is None and r["explanation"][0]["name"] == "no_data"
        else:
            assert r["value_index"] == pytest.approx(100 * sc, abs=0.01)
            # full confidence: nothing to pull, the index is the raw index
            assert r["dimensions"]["legal"]["confidence"] == 1.0 and r["explanation"][1]["name"] == "claims"
            assert r["explanation"][0]["effect"] == 0 and r["value_index_raw"] == r["value_index"]
            assert r["profile"] == "claims_only"
    # the default profiles are still there
    assert "government_statistics" in load_profiles(user)["profiles"]


def test_a_bad_profile_names_the_file_and_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("profiles:\n  mine:\n    dimensions: {legal: 1}\n    indicators: {claimz: 1}\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"bad\.yaml.*profiles\.mine.*'claimz'"):
        load_profiles(bad)
    bad.write_text("profiles:\n  mine:\n    dimensions: {legal: -1}\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"bad\.yaml.*dimensions\.legal.*non-negative"):
        load_profiles(bad)


@pytest.mark.slow
def test_generality_originality_radicalness_recomputed_in_python(cockpit: Cockpit,
                                                                  indicators: dict[str, dict[str, Any]]) -> None:
    """The SQL against a plain Python count over the rows (fractional counts: 1/n per class of a document)."""
    store = cockpit.store
    docs = {r["doc_id"] for r in store.query("SELECT doc_id FROM documents WHERE NOT coalesce(stub, false)")}
    classes: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in store.query("SELECT doc_id, scheme, code FROM classifications WHERE scheme IN ('IPC', 'CPC')"):
        classes[r["doc_id"]][r["scheme"]].add(r["code"][:4])
    subclasses = {d: s.get("IPC") or s.get("CPC") or set() for d, s in classes.items()}
    cites: dict[str, set[str]] = defaultdict(set)
    cited_by: dict[str, set[str]] = defaultdict(set)
    for r in store.query("SELECT doc_id, cited_doc_id FROM citations WHERE NOT coalesce(npl, false)"):
        if r["cited_doc_id"] in docs and r["doc_id"] in docs and r["cited_doc_id"] != r["doc_id"]:
            cites[r["doc_id"]].add(r["cited_doc_id"])
            cited_by[r["cited_doc_id"]].add(r["doc_id"])

    def one_minus_herfindahl(others: set[str]) -> float | None:
        shares: dict[str, float] = defaultdict(float)
        for o in others:
            for s in subclasses.get(o, ()):
                shares[s] += 1 / len(subclasses[o])
        total = sum(shares.values())
        return 1 - sum((v / total) ** 2 for v in shares.values()) if total else None

    checked = 0
    for doc, row in indicators.items():
        assert row["originality"] == pytest.approx(one_minus_herfindahl(cites.get(doc, set())), abs=1e-4)
        assert row["generality"] == pytest.approx(one_minus_herfindahl(cited_by.get(doc, set())), abs=1e-4)
        classified = [c for c in cites.get(doc, ()) if subclasses.get(c)]
        if subclasses.get(doc) and classified:
            outside = sum(len(subclasses[c] - subclasses[doc]) / len(subclasses[c]) for c in classified)
            assert row["radicalness"] == pytest.approx(outside / len(classified), abs=1e-4)
            checked += 1
        else:
            assert row["radicalness"] is None
    assert checked >= 40  # Thomson documents citing other documents of the export
