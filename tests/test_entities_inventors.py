"""Inventor resolution (ipcockpit.entities.resolve_inventors): names, canopies, evidence, and the measured gain over
the name-only baseline on the real PatentsView benchmarks (../shared/data/entity_resolution)."""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

from ipcockpit.entities import resolve_inventors
from ipcockpit.entities.inv_names import parse_name

ROOT = Path(__file__).resolve().parents[1]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("inventors_quality", ROOT / "bench" / "inventors_quality.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_ids_are_inventor_ids_and_repeatable() -> None:
    mentions = [{"name": "Smith, John A."}, {"name": "John A. Smith"}, {"name": "Mary Jones"}]
    ids = resolve_inventors(mentions)
    assert all(i.startswith("i:") for i in ids)
    assert ids[0] == ids[1] != ids[2]
    assert resolve_inventors(mentions) == ids


def test_years_as_dates_or_text_and_unreadable_years() -> None:
    ids = resolve_inventors([{"name": "Wei Zhang", "year": "2016-05-01"}, {"name": "Wei Zhang", "year": "n/a"},
                             {"name": "Wei Zhang", "year": 2017}])
    assert len(set(ids)) == 1


def test_name_parsing_orders_suffixes_and_chinese() -> None:
    houck = parse_name("Theodore John Houck, III")
    assert (houck.given, houck.middle, houck.surname, houck.suffix) == ("theodore", ("j",), "houck", "iii")
    fang = parse_name("FANG, HOWARD L")
    assert (fang.given, fang.middle, fang.surname) == ("howard", ("l",), "fang")
    zh = parse_name("欧阳晓明")
    assert (zh.surname, zh.given) == ("ouyang", "xiaoming")
    assert parse_name("曾国藩").surname == "zeng"  # the surname reading, not pypinyin's ceng
    assert parse_name("Oscar_&Hcirc;emberg").surname == "hemberg"
    foreign = parse_name("G·K·彼得森")  # a foreign name in characters: given name first, surname last
    assert (foreign.given, foreign.middle, foreign.surname_hz) == ("g", ("k",), "彼得森")
    assert parse_name("不公告发明人") is None  # HTML entity as in raw_inventor_sample


def test_chinese_name_and_both_romanisations_share_a_canopy_and_an_id() -> None:
    names = ["张伟", "Zhang Wei", "Wei Zhang", "ZHANG, Wei"]
    assert len({parse_name(n).canopy for n in names}) == 1
    assert len(set(resolve_inventors([{"name": n} for n in names]))) == 1


def test_middle_initials_and_suffixes_tell_people_apart() -> None:
    ids = resolve_inventors([{"name": "David E. Moore"}, {"name": "David F. Moore"}, {"name": "David E Moore"},
                             {"name": "John Smith Jr."}, {"name": "John Smith Sr."}])
    assert ids[0] == ids[2] != ids[1]
    assert ids[3] != ids[4]
    # one middle initial known for the name: a mention without it is the same person
    ids = resolve_inventors([{"name": "Stephen A. Cochran"}, {"name": "Stephen Cochran"}])
    assert ids[0] == ids[1]
    # several middle initials known: a mention without any cannot be placed by its name
    ids = resolve_inventors([{"name": "David E. Moore"}, {"name": "David F. Moore"}, {"name": "David Moore"}])
    assert len(set(ids)) == 3


def test_hyphenated_and_spaced_given_names_agree_other_pinyin_names_do_not() -> None:
    ids = resolve_inventors([{"name": "Chen, Chi Gon"}, {"name": "Chen, Chi-Gon"}, {"name": "Chen, Chi-Ming"},
                             {"name": "Chen, Chi-Ping"}])
    assert ids[0] == ids[1]
    assert len({ids[0], ids[2], ids[3]}) == 3


_COMMON = [{"name": f"{g} Zhang"} for g in ("Li", "Hong", "Jun", "Ming")]
_COMMON += [{"name": f"Wei {s}"} for s in ("Li", "Wang", "Chen", "Liu")]


@pytest.mark.parametrize(("feature", "first", "second"), [
    ("coinventors", ["Jian Sun", "Kaiming He"], ["Sun, Jian"]),
    ("applicant", "Microsoft Corporation", "MICROSOFT CORP"),
    ("ipc", ["G06N 3/04"], "G06N 3/08; G06K 9/62"),
    ("city", "Beijing", "beijing"),
    ("title", "Unmanned aerial vehicle with foldable propeller arms",
     "Foldable propeller arms for an unmanned aerial vehicle"),
])
def test_each_feature_links_a_common_name(feature: str, first: object, second: object) -> None:
    """"Wei Zhang" is common in this input (many given names beside Zhang, many surnames beside Wei), so the
    name alone links nothing; one shared feature links the two mentions (张伟 is the same name)."""
    ids = resolve_inventors(_COMMON + [{"name": "Wei Zhang", feature: first}, {"name": "张伟", feature: second}])
    assert ids[-1] == ids[-2]
    bare = resolve_inventors(_COMMON + [{"name": "Wei Zhang"}, {"name": "张伟"}])
    assert bare[-1] != bare[-2]


def test_disagreeing_evidence_keeps_a_common_name_apart() -> None:
    a1 = {"name": "Wei Zhang", "coinventors": ["Jian Sun"], "applicant": "Microsoft Corporation", "year": 2016}
    a2 = {"name": "张伟", "coinventors": ["Sun, Jian"], "applicant": "MICROSOFT CORP", "year": 2017}
    b1 = {"name": "Wei Zhang", "coinventors": ["Robert Langer"], "applicant": "Massachusetts Institute of Technology",
          "year": 1999}
    ids = resolve_inventors(_COMMON + [a1, a2, b1])[-3:]
    assert ids[0] == ids[1] != ids[2]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _bench()


def test_never_below_the_name_only_baseline(bench: ModuleType) -> None:
    root = bench.shared_data()
    for name in ("lai-2011", "patentsview", "ens"):
        r = bench.evaluate(name, bench.load_set(name, root), {})
        assert r["resolved"]["pairwise_f1"] >= r["baseline"]["pairwise_f1"], name
        assert r["resolved"]["b3_f1"] >= r["baseline"]["b3_f1"], name
    assert bench.load_set("binette-2022", root) is None  # no names: reported as not evaluable


def test_ambiguous_names_gain_from_coinventors_on_als(bench: ModuleType) -> None:
    """ALS mentions of every canopy that holds a name shared by two or more true persons; co-inventors are the
    other ALS mentions of each patent. The features must beat both the folded-name baseline and the same
    resolver given names only, on the ambiguous mentions."""
    root = bench.shared_data()
    rows = bench.load_set("als", root)
    mentions = bench.mentions_for(rows, {})
    base = bench.baseline_ids(mentions)
    persons: dict[str, set[str]] = defaultdict(set)
    for b, r in zip(base, rows, strict=True):
        persons[b].add(r["truth"])
    canopies = {parse_name(m["name"]).canopy for m, b in zip(mentions, base, strict=True) if len(persons[b]) >= 2}
    keep = [i for i, m in enumerate(mentions) if parse_name(m["name"]).canopy in canopies]
    amb = [k for k, i in enumerate(keep) if len(persons[base[i]]) >= 2]
    assert len(amb) > 500
    sub = [mentions[i] for i in keep]
    truth = [rows[i]["truth"] for i in keep]
    with_features = resolve_inventors(sub)
    names_only = resolve_inventors([{"name": m["name"]} for m in sub])

    def f1(ids: list[str], kind: str = "pairwise_f1") -> float:
        return bench.metrics([ids[k] for k in amb], [truth[k] for k in amb])[kind]

    # measured: pairwise F1 0.8528 / 0.8486 names only / 0.8375 baseline; B3 F1 0.8118 / 0.7998 / 0.7650
    assert f1(with_features) > f1(names_only) + 0.003
    assert f1(with_features, "b3_f1") > f1(names_only, "b3_f1") + 0.008
    assert f1(with_features) > f1([base[i] for i in keep]) + 0.01


def test_touched_canopies_cluster_as_in_a_full_run() -> None:
    from ipcockpit.entities.inventors import cluster_labels

    mentions = [{"name": "David E. Moore"}, {"name": "David F. Moore"}, {"name": "D. E. Moore"},
                {"name": "Stephen A. Cochran"}, {"name": "Stephen Cochran"}]
    full = cluster_labels(mentions)
    part = cluster_labels(mentions, touched=[4])
    assert part[:3] == [-2, -2, -2]  # the Moore canopy holds no touched mention: not clustered
    assert (part[3] == part[4]) and (full[3] == full[4])


def test_grant_year_from_the_patent_number_agrees_with_the_weekly_files(bench: ModuleType, shared: Path) -> None:
    import re

    checked = 0
    for f in sorted((shared / "uspto_xml" / "weekly_excerpts").glob("ipg*.xml")):
        year = 2000 + int(f.name[3:5])
        text = f.read_text(encoding="utf-8", errors="replace")
        for number in re.findall(r"<publication-reference>\s*<document-id>\s*<country>US</country>\s*"
                                 r"<doc-number>0*(\d+)</doc-number>", text):
            assert bench.grant_year(number) == year, (f.name, number)
            checked += 1
    assert checked > 150
    assert bench.grant_year("D656296") is None
