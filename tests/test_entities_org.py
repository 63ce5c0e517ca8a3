"""Organisation resolution without a store (ipcockpit.entities.organisations, org_keys, org_quality): the API, the
name rules, the scorer's vetoes, legal-form families, links, and the quality on the real NBER assignees."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ipcockpit.entities import resolve_organisations
from ipcockpit.entities.org_keys import read_name
from ipcockpit.entities.org_quality import cluster_metrics
from ipcockpit.entities.organisations import resolve
from ipcockpit.model.names import normalise_name


def _same(*names: str) -> bool:
    return len(set(resolve_organisations(list(names)))) == 1


def test_one_id_per_name_in_order_and_none_for_an_empty_name() -> None:
    ids = resolve_organisations(["Motorola, Inc.", "", "MOTOROLA INC", "Eastman Kodak Company"])
    assert ids[1] is None
    assert ids[0] == ids[2] != ids[3]
    assert all(i.startswith("o:") for i in (ids[0], ids[3]))


def test_ids_do_not_depend_on_the_order_of_the_names() -> None:
    names = ["Regents of the University of California", "University of California", "Motorola Inc", "Motorola"]
    forward = dict(zip(names, resolve_organisations(names), strict=True))
    backward = dict(zip(names[::-1], resolve_organisations(names[::-1]), strict=True))
    assert forward == backward


@pytest.mark.parametrize("names", [
    ("The Regents of the University of California", "University of California", "Regents of the Univ. of California"),
    ("Board of Trustees of the Leland Stanford Junior University", "The Leland Stanford Junior University"),
    ("The United States of America as represented by the Secretary of the Navy",
     "The Unites States of America as represented by the Secretary of the Navy",
     "United States of America as represented by the Secretary of Navy"),
    ("Arizona Board of Regents acting on behalf of Arizona State University", "Arizona State University"),
    ("Johns Hopkins University", "Johns Hopkins University School of Medicine"),
    ("General Dynamcis Corporation", "General Dynamics Corp."),
    ("Northwestsern University", "Northwestern University"),
    ("CHEN ZHI NAN", "CHEN ZHINAN"),  # a person's name written with other spacing
    ("华为技术有限公司", "华为技术股份有限公司", "华为技术 有限公司"),
])
def test_names_of_one_organisation_are_one_entity(names: tuple[str, ...]) -> None:
    assert _same(*names)


@pytest.mark.parametrize("a, b", [
    ("Northwestern University", "Northeastern University"),  # a word changed, not misspelt
    ("Iowa State University Research Foundation", "University of Iowa Research Foundation"),  # a word more
    ("Washington University", "University of Washington"),  # word order names another university
    ("United States of America as represented by the Secretary of the Navy",
     "United States of America as represented by the Secretary of the Army"),  # the agencies compare
    ("General Time Corporation", "General Tire Corporation"),
    ("Amersham Biosciences AB", "Amersham Biosciences Corp."),  # two legal-form families: two companies
    ("华为技术有限公司", "华为技术有限公司北京分公司"),  # a branch is its own party
    ("西门子股份公司", "西门子(中国)有限公司"),
    ("경운대학교 산학협력단", "광운대학교 산학협력단"),  # two universities one letter apart: Hangul compares whole
    ("NEWBERG FREDERIC", "NEWBERG FREDRIC"),  # a person's name: one letter may be another person
])
def test_names_of_two_organisations_are_two_entities(a: str, b: str) -> None:
    assert not _same(a, b)


def test_a_name_without_legal_form_joins_the_family_its_core_has_most_mentions_of() -> None:
    names = ["Amersham Biosciences AB"] * 3 + ["Amersham Biosciences Corp."] + ["Amersham Biosciences"]
    ids = resolve_organisations(names)
    assert ids[4] == ids[0] != ids[3]


def test_branches_subsidiaries_and_national_companies_are_linked_with_their_kind() -> None:
    names = ["华为技术有限公司", "华为技术有限公司北京分公司", "西门子股份公司", "西门子(中国)有限公司",
             "Amersham Biosciences AB", "Amersham Biosciences Corp.", "Ohio State University",
             "Ohio State University Research Foundation"]
    res = resolve(names)
    ids = dict(zip(names, res.ids, strict=True))
    links = set(res.links)
    assert (ids["华为技术有限公司北京分公司"], ids["华为技术有限公司"], "branch") in links
    assert (ids["西门子(中国)有限公司"], ids["西门子股份公司"], "subsidiary") in links
    assert (ids["Ohio State University Research Foundation"], ids["Ohio State University"], "affiliate") in links
    pair = sorted([ids["Amersham Biosciences AB"], ids["Amersham Biosciences Corp."]])
    assert (pair[1], pair[0], "national") in links


def test_evidence_joins_names_of_two_scripts_that_no_spelling_joins() -> None:
    names = ["华为技术有限公司", "HUAWEI TECHNOLOGIES CO LTD"]
    assert len(set(resolve(names).ids)) == 2
    assert len(set(resolve(names, evidence=[("HUAWEI TECHNOLOGIES CO LTD", "华为技术有限公司")]).ids)) == 1


def test_fixed_ids_are_kept_and_two_of_them_never_joined() -> None:
    a, b = read_name("Motorola Inc"), read_name("Motorolla Inc")
    assert len(set(resolve(["Motorola Inc", "Motorolla Inc"]).ids)) == 1  # one entity when neither has an id
    res = resolve(["Motorola Inc", "Motorolla Inc", "MOTOROLA, INC.", "Motorollla Inc", "Motorolla Inc"],
                  fixed={a.key: "o:a", b.key: "o:b"})
    # the stored entities stay two; a new spelling joins the nearer (not, through it, the other's id)
    assert res.ids == ["o:a", "o:b", "o:a", "o:b", "o:b"]


def test_chinese_names_meet_by_pinyin_but_homophones_stay_apart() -> None:
    r = read_name("璧山科技有限公司")
    assert r is not None and r.script == "cjk" and r.core == "璧山科技" and r.blocks == ("y:bishankeji",)
    a, b = read_name("华为技术有限公司"), read_name("华威技术有限公司")
    assert a.blocks == b.blocks and not _same("华为技术有限公司", "华威技术有限公司")


def test_a_chinese_group_and_its_company_are_two_entities_linked() -> None:
    names = ["中国石油天然气集团有限公司", "中国石油天然气集团公司", "中国石油天然气股份有限公司"]
    res = resolve(names)
    assert res.ids[0] == res.ids[1] != res.ids[2]
    assert (res.ids[2], res.ids[0], "group") in res.links


def test_cluster_metrics_by_hand() -> None:
    # predicted {a,b,c} {d}; true {a,b} {c,d}: pairs predicted ab ac bc (1 true of 3), true pairs ab cd
    m = cluster_metrics([1, 1, 1, 2], ["x", "x", "y", "y"])
    assert m["pairwise_precision"] == pytest.approx(1 / 3) and m["pairwise_recall"] == pytest.approx(1 / 2)
    # B3 precision: a 2/3, b 2/3, c 1/3, d 1; recall: a 1, b 1, c 1/2, d 1/2
    assert m["b3_precision"] == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4)
    assert m["b3_recall"] == pytest.approx(3 / 4)


def test_nber_assignees_meet_the_goal_and_beat_folding(shared: Path) -> None:
    with open(shared / "entity_resolution" / "nber-subset-assignees-benchmark.csv", newline="",
              encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names, truth = [r["organization"] for r in rows], [r["unique_id"] for r in rows]
    ours = cluster_metrics(resolve_organisations(names), truth)
    base = cluster_metrics([normalise_name(n) for n in names], truth)
    assert ours["pairwise_precision"] >= 0.995
    assert ours["b3_f1"] >= 0.97 > base["b3_f1"]
    assert ours["pairwise_f1"] > base["pairwise_f1"]
