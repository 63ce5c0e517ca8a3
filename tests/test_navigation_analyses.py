"""The navigation analyses on real data: every number of the report equals an independent recount (100 %).

The store holds the CNIPA gazette week (cn/gazette_2019: 36,678 publications with applicants' addresses, so the
Chongqing and Bishan levels have documents) and the Lens drones export (5,884 families worldwide). Until the
industry definitions land, the members are the documents whose first IPC code is in sections B, G or H, the
branch being that code's IPC class (B25, G06 ...): a real industry-sized set (23,611 documents).

The recount reads the base tables (documents, parties, party_entities, classifications, legal_events, inventors)
into Python and counts there; what the project decides by one rule is asked of that rule's own module, not of the
analyses' temporary tables: the region of a document (value.attribution.attribution_of), the legal status
(value.legal_status.statuses), the high-value answer (value.conditions.condition_rows), the value index
(value.index.score_table) and an applicant's nature (strength.nature.classify). Every number's own SQL is also run
again and must give its value.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from shared_stores import built_once, copy_store, empty_store, gazette_week

from ipcockpit.analytics.region import region_of
from ipcockpit.app import Cockpit
from ipcockpit.navigation import chart_images
from ipcockpit.navigation.analyses import LEVELS, STATUS_GROUPS, Options, analyse
from ipcockpit.navigation.analyses_ibis import export
from ipcockpit.settings import Settings
from ipcockpit.strength.nature import classify
from ipcockpit.value.attribution import HOLDER_ROLES, attribution_of
from ipcockpit.value.conditions import Universe, condition_rows
from ipcockpit.value.index import score_table
from ipcockpit.value.legal_status import statuses
from ipcockpit.value.settings import ScreenSettings

AS_OF = date(2025, 1, 1)
MEMBERS = ("CREATE OR REPLACE TEMP TABLE nav_members AS SELECT doc_id, left(arg_min(code, coalesce(seq, 0)), 3) AS "
           "branch, 'ipc:' || left(arg_min(code, coalesce(seq, 0)), 3) AS reason FROM classifications "
           "WHERE scheme = 'IPC' AND left(code, 1) IN ('B', 'G', 'H') GROUP BY doc_id")


#: where the fixture wrote the Parquet export of the analysed tables (the Spark test reads it)
EXPORTED: dict[str, Any] = {}


def nav_store(factory: pytest.TempPathFactory, shared: Path) -> Path:
    """The gazette week the run shares (shared_stores.gazette_week), copied, and the drones export ingested."""
    def build(folder: Path) -> Path:
        path = copy_store(gazette_week(factory, shared)[0], folder, "nav.duckdb")
        with Cockpit(Settings(db=str(path))) as c:
            [report] = c.ingest([shared / "lens/drone_drones_fulltext_families_5884.csv"])
        assert report.error is None and report.loaded
        return path

    return built_once("navigation_analyses", factory, build)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> tuple[duckdb.DuckDBPyConnection, dict]:
    path = copy_store(nav_store(tmp_path_factory, shared), tmp_path_factory.mktemp("nav"))
    con = duckdb.connect(str(path))
    con.execute(MEMBERS)
    report = analyse(con, options=Options(settings=ScreenSettings(as_of=AS_OF)))
    # the Parquet export of the tables of the ibis path, made now: later tests analyse other members on con
    EXPORTED["folder"] = tmp_path_factory.mktemp("nav_parquet")
    EXPORTED["names"] = export(con, EXPORTED["folder"])
    yield con, report
    con.close()


def rnd(x: float, n: int) -> float:
    """DuckDB's round: half away from zero."""
    f = 10 ** n
    return math.copysign(math.floor(abs(x) * f + 0.5) / f, x)


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


class Recount:
    """The report's numbers counted again from the base tables."""

    def __init__(self, con: duckdb.DuckDBPyConnection, report: dict[str, Any]) -> None:
        self.con, self.opts = con, report["options"]
        members = rows(con, "SELECT doc_id, branch FROM nav_members")
        ids = {d for d, _ in members}
        self.doc: dict[str, dict[str, Any]] = {}
        for doc_id, office, title, app, prio, pub, stub in rows(
                con, "SELECT doc_id, office, title, app_date, priority_date, pub_date, stub FROM documents"):
            if doc_id in ids and not stub:
                day = app or prio or pub
                self.doc[doc_id] = {"office": office, "title": title, "year": day.year if day else None}
        self.in_branch: dict[str, set[str]] = defaultdict(set)
        for d, b in members:
            if d in self.doc and b is not None:
                self.in_branch[d].add(b)
        cn = [d for d, x in self.doc.items() if x["office"] == "CN"]
        region = {d: r["admin_code"] for d, r in attribution_of(con, cn).items()}
        prefix = region_of(report["region"]["code"])["prefix"]
        self.region = region
        self.level = {"world": set(self.doc), "china": set(cn),
                      "chongqing": {d for d, c in region.items() if c.startswith("50")},
                      "district": {d for d, c in region.items() if c.startswith(prefix)}}
        settings = ScreenSettings(as_of=AS_OF)
        self.status = {d: s["status"] for d, s in statuses(con, list(self.doc), settings).items()}
        self.hv = {r["publication_number"]: {True: "yes", False: "no", None: "unknown"}[r["high_value"]]
                   for r in condition_rows(con, settings, Universe(doc_ids=tuple(self.doc)))}
        scores = score_table(con, "government_statistics", AS_OF).select(["doc_id", "value_index"]).to_pylist()
        self.vi = {r["doc_id"]: rnd(r["value_index"], 2) for r in scores
                   if r["doc_id"] in self.doc and r["value_index"] is not None}
        ent = {(d, s, r): e for d, s, r, e in rows(con, "SELECT doc_id, seq, role, entity_id FROM party_entities")}
        self.apps: dict[str, set[str]] = defaultdict(set)
        names: dict[str, Counter[str]] = defaultdict(Counter)
        for d, seq, role, raw, norm in rows(con, "SELECT doc_id, seq, role, name_raw, name_norm FROM parties"):
            if d in self.doc and role in HOLDER_ROLES and norm:
                a = ent.get((d, seq, role)) or "n:" + norm
                self.apps[d].add(a)
                names[a][raw] += 1
        self.name = {a: max(c.items(), key=lambda kv: (kv[1], kv[0]))[0] for a, c in names.items()}
        self.nature = {a: classify(list(c.items())).nature for a, c in names.items()}
        self.countries: dict[str, set[str]] = defaultdict(set)
        for d, role, country in rows(con, "SELECT doc_id, role, country FROM parties WHERE country IS NOT NULL"):
            if d in self.doc and role in HOLDER_ROLES:
                self.countries[d].add(country)
        self.events = rows(con, "SELECT doc_id, event_class FROM legal_events")
        self.division = dict(rows(con, "SELECT code, name FROM nav_a_division"))

    # one function per section: {key: {column: value}} -------------------------------------------------
    def trend(self, lv: str) -> dict:
        c = Counter((self.doc[d]["year"], self.doc[d]["office"]) for d in self.level[lv] if self.doc[d]["year"])
        return {f"{y}|{o}": {"documents": n} for (y, o), n in c.items()}

    def lifecycle(self, lv: str) -> dict:
        docs, who = Counter(), defaultdict(set)
        for d in self.level[lv]:
            y = self.doc[d]["year"]
            if y is not None:
                docs[y] += 1
                who[y] |= self.apps.get(d, set())
        return {str(y): {"applications": n, "applicants": len(who[y])} for y, n in docs.items()}

    def _by_applicant(self, lv: str) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for d in self.level[lv]:
            for a in self.apps.get(d, ()):
                out[a].add(d)
        return out

    def natures(self, lv: str) -> dict:
        apps, docs = defaultdict(set), defaultdict(set)
        for a, ds in self._by_applicant(lv).items():
            apps[self.nature[a]].add(a)
            docs[self.nature[a]] |= ds
        return {n: {"applicants": len(apps[n]), "documents": len(docs[n])} for n in apps}

    def top(self, counted: dict[str, Any], order: Any, n: int | None = None) -> dict:
        keys = sorted(counted, key=order)[: n or self.opts["top"]]
        return {k: counted[k] for k in keys}

    def applicants(self, lv: str) -> dict:
        c = {a: {"documents": len(ds)} for a, ds in self._by_applicant(lv).items()}
        return self.top(c, lambda a: (-c[a]["documents"], a))

    def regions(self, lv: str) -> dict:
        if lv == "world":
            c = Counter(k for d in self.level[lv] for k in self.countries.get(d, ()))
        else:
            cut = (lambda code: code[:2] + "0000") if lv == "china" else (lambda code: code)
            c = Counter(cut(self.region[d]) for d in self.level[lv] if d in self.region)
        out = {k: {"documents": n} for k, n in c.items()}
        return self.top(out, lambda k: (-out[k]["documents"], k))

    def _branch_rows(self, lv: str) -> dict:
        last, n = self.opts["last_year"][lv], self.opts["years"]
        docs = [d for d in self.level[lv] if self.in_branch.get(d)]
        per: dict[str, list[str]] = defaultdict(list)
        for d in docs:
            for b in self.in_branch[d]:
                per[b].append(d)
        out = {}
        for b, ds in per.items():
            lst = sum(1 for d in ds if self.doc[d]["year"] == last)
            base = sum(1 for d in ds if last is not None and self.doc[d]["year"] == last - n)
            out[b] = {"documents": len(ds), "share": rnd(len(ds) / len(docs), 4), "last_year": lst,
                      "base_year": base, "cagr": rnd((lst / base) ** (1 / n) - 1, 4) if lst and base else None}
        return out

    def branches(self, lv: str) -> dict:
        return self._branch_rows(lv)

    def white_space(self, lv: str) -> dict:
        last, n = self.opts["last_year"][lv], self.opts["years"]
        docs = [d for d in self.level[lv] if self.in_branch.get(d)]
        lst = sum(1 for d in docs if self.doc[d]["year"] == last)
        base = sum(1 for d in docs if last is not None and self.doc[d]["year"] == last - n)
        level_cagr = rnd((lst / base) ** (1 / n) - 1, 4) if lst and base else None
        out = {}
        for b, r in self._branch_rows(lv).items():
            thin = r["share"] < self.opts["thin_share"]
            rising = (r["cagr"] is not None and level_cagr is not None
                      and r["cagr"] >= level_cagr + self.opts["rising_margin"]
                      and r["last_year"] >= self.opts["rising_min_last"])
            if thin or rising:
                out[b] = {"documents": r["documents"], "share": r["share"], "cagr": r["cagr"],
                          "level_cagr": level_cagr}
        return out

    def high_value(self, lv: str) -> dict:
        c = Counter(self.hv.get(d, "not_judged") for d in self.level[lv])
        return {k: {"documents": n} for k, n in c.items()}

    def key_patents(self, lv: str) -> dict:
        c = {d: {"value_index": self.vi[d], "high_value": self.hv.get(d), "legal_status": self.status.get(d)}
             for d in self.level[lv] if d in self.vi}
        return self.top(c, lambda d: (-c[d]["value_index"], d))

    def collaboration(self, lv: str) -> dict:
        c: Counter[tuple[str, str]] = Counter()
        for d in self.level[lv]:
            a = sorted(self.apps.get(d, ()))
            c.update((x, y) for i, x in enumerate(a) for y in a[i + 1:])
        out = {f"{x}|{y}": {"documents": n} for (x, y), n in c.items()}
        return self.top(out, lambda k: (-out[k]["documents"], k.split("|")))

    def legal_status(self, lv: str) -> dict:
        c = Counter(STATUS_GROUPS.get(self.status.get(d), "unknown") for d in self.level[lv])
        return {k: {"documents": n} for k, n in c.items()}

    def operations(self, lv: str) -> dict:
        here = self.level[lv]
        ev = [(d, k) for d, k in self.events if d in here]
        if not ev:
            return {}
        return {op: {"events": sum(1 for _, k in ev if k == op), "documents": len({d for d, k in ev if k == op})}
                for op in ("transfer", "licence", "pledge")}

    def _branch_counts(self, lv: str) -> Counter[str]:
        return Counter(b for d in self.level[lv] for b in self.in_branch.get(d, ()))

    def rta(self, lv: str) -> dict:
        ref = {"china": "world", "chongqing": "china", "district": "china"}[lv]
        r, c = self._branch_counts(lv), self._branch_counts(ref)
        rt, ct = sum(r.values()), sum(c.values())
        if not rt:
            return {}
        return {b: {"region_documents": r[b], "region_total": rt, "reference_documents": n, "reference_total": ct,
                    "region_share": rnd(r[b] / rt, 4), "reference_share": rnd(n / ct, 4),
                    "rta": rnd((r[b] / rt) / (n / ct), 3)} for b, n in c.items()}

    def attract(self, lv: str) -> dict:
        rta = self.rta(lv)
        weak = sorted((b for b, x in rta.items() if x["rta"] < 1),
                      key=lambda b: (-rta[b]["reference_documents"], b))[: self.opts["top"]]
        here = set().union(*(self.apps.get(d, set()) for d in self.level[lv]))
        out = {}
        for b in weak:
            c: Counter[str] = Counter()
            for d in self.level["china"]:
                if b in self.in_branch.get(d, ()):
                    c.update(a for a in self.apps.get(d, ()) if a not in here and self.nature[a] != "individual")
            for rank, a in enumerate(sorted(c, key=lambda a: (-c[a], a))[:3], 1):
                out[f"{b}|{rank}"] = {"documents": c[a], "applicant": a}
        return out

    def cultivate(self, lv: str) -> dict:
        last = self.opts["last_year"][lv]
        c = {}
        for a, ds in self._by_applicant(lv).items():
            ys = [self.doc[d]["year"] for d in ds]
            recent = sum(1 for y in ys if y is not None and last - 2 <= y <= last)
            earlier = sum(1 for y in ys if y is not None and last - 5 <= y <= last - 3)
            if self.nature[a] != "individual" and recent > earlier:
                c[a] = {"documents": len(ds), "recent": recent, "earlier": earlier}
        return self.top(c, lambda a: (-c[a]["recent"], -c[a]["documents"], a))

    def teams(self, lv: str) -> dict:
        inv = rows(self.con, "SELECT i.doc_id, e.entity_id FROM inventors i JOIN inventor_entities e "
                             "ON e.doc_id = i.doc_id AND e.seq = i.seq")
        c: dict[str, set[str]] = defaultdict(set)
        for d, e in inv:
            if d in self.level[lv]:
                c[e].add(d)
        out = {e: {"documents": len(ds)} for e, ds in c.items()}
        return self.top(out, lambda e: (-out[e]["documents"], e))

    def licensable(self, lv: str) -> dict:
        c = {f"{d}|{a}": {"value_index": self.vi.get(d)} for d in self.level[lv] for a in self.apps.get(d, ())
             if self.status.get(d) == "in_force" and self.hv.get(d) == "yes"
             and self.nature[a] in ("university", "institute")}
        return self.top(c, lambda k: (c[k]["value_index"] is None, -(c[k]["value_index"] or 0), k.split("|")))


SECTION = {"direction.trend": "trend", "direction.lifecycle": "lifecycle", "direction.natures": "natures",
           "direction.applicants": "applicants", "direction.regions": "regions", "direction.branches": "branches",
           "direction.white_space": "white_space", "direction.high_value": "high_value",
           "direction.key_patents": "key_patents", "direction.collaboration": "collaboration",
           "direction.legal_status": "legal_status", "direction.operations": "operations", "position.rta": "rta",
           "path.attract": "attract", "path.cultivate": "cultivate", "path.teams": "teams",
           "path.licensable": "licensable"}


def test_levels_have_documents_and_say_what_they_are(analysed) -> None:
    _, report = analysed
    levels = {lv["level"]: lv for lv in report["levels"]}
    assert list(levels) == list(LEVELS)
    assert all(lv["missing"] is None for lv in levels.values())
    # world > China (CN office) > Chongqing > Bishan: each region a part of the level above
    docs = [levels[k]["documents"] for k in LEVELS]
    assert docs == sorted(docs, reverse=True) and docs[-1] > 0
    assert report["region"] == {"code": "500120", "name": "璧山区", "full_name": "重庆市璧山区"}


def test_every_number_equals_an_independent_recount(analysed) -> None:
    con, report = analysed
    recount = Recount(con, report)
    checked, sections_checked = 0, 0
    for s in report["sections"]:
        if s["empty_reason"] and not s["table"]["rows"]:
            continue
        expected = getattr(recount, SECTION[s["id"]])(s["level"])
        got = {n["id"]: n["value"] for n in s["numbers"]}
        want = {f"{s['id']}/{s['level']}/{k}/{col}": v for k, cols in expected.items() for col, v in cols.items()
                if col != "applicant"}
        assert got == want, s["id"] + " " + s["level"]
        if s["id"] == "path.attract":
            assert [r["applicant"] for r in s["table"]["rows"]] == [expected[f"{r['branch']}|{r['rank']}"]["applicant"]
                                                                    for r in s["table"]["rows"]]
        checked += len(got)
        sections_checked += 1
    assert sections_checked >= 40 and checked > 2000


def test_every_number_is_in_its_table_and_its_query_gives_it(analysed) -> None:
    """Every value of a table is a number; the SQL of the numbers of the first three rows and the last row of each
    section is run (each section's queries differ only in the row they narrow to; running all 3,500 takes minutes,
    and every value is recounted independently above)."""
    con, report = analysed
    ran = 0
    for s in report["sections"]:
        values = {n["id"] for n in s["numbers"]}
        keys = s["table"]["keys"]
        picked = [r for i, r in enumerate(s["table"]["rows"]) if i < 3 or i == len(s["table"]["rows"]) - 1]
        prefixes = {f"{s['id']}/{s['level']}/" + "|".join("" if r[k] is None else str(r[k]) for k in keys) + "/"
                    for r in picked}
        for n in s["numbers"]:
            assert n["provenance"] and n["query"].startswith("SELECT ")
            if n["id"].rsplit("/", 1)[0] + "/" in prefixes:
                [(value,)] = con.execute(n["query"]).fetchall()
                assert value == n["value"], n["id"]
                ran += 1
        level, sid = s["level"], s["id"]
        for row in s["table"]["rows"]:
            numeric = [c for c, v in row.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
                       and c not in s["table"]["keys"]]
            for c in numeric:
                assert any(i.startswith(f"{sid}/{level}/") and i.endswith(f"/{c}") for i in values), (sid, c)
    assert ran > 300


def test_sections_without_rows_say_why(analysed) -> None:
    _, report = analysed
    by = {(s["id"], s["level"]): s for s in report["sections"]}
    for s in report["sections"]:
        assert (s["chart"] is None) == (not s["table"]["rows"])
        if not s["table"]["rows"]:
            assert s["empty_reason"] and s["empty_reason"].startswith("nav.empty."), s["id"]
    # the data: no legal events of these documents (the gazette week and Lens give none), no inventor entities
    assert by[("direction.operations", "china")]["empty_reason"] == "nav.empty.no_legal_events"
    assert by[("position.rta", "world")]["empty_reason"] == "nav.empty.rta_reference"
    assert by[("path.attract", "china")]["empty_reason"] == "nav.empty.path_region_only"
    assert by[("direction.regions", "district")]["empty_reason"] == "nav.empty.finest_level"
    assert by[("position.rta", "chongqing")]["chart"]["series"][0]["markLine"]["data"] == [{"xAxis": 1}]


def test_a_member_set_without_chinese_documents_says_so(analysed) -> None:
    con, _ = analysed
    con.execute("CREATE OR REPLACE TEMP TABLE nav_us AS SELECT doc_id, branch, reason FROM nav_members "
                "WHERE doc_id LIKE 'US%'")
    report = analyse(con, "nav_us", options=Options(settings=ScreenSettings(as_of=AS_OF), value_index=False))
    levels = {lv["level"]: lv for lv in report["levels"]}
    assert levels["world"]["missing"] is None and levels["world"]["documents"] > 1000
    assert {levels[k]["missing"] for k in ("china", "chongqing", "district")} == {"nav.empty.no_china"}
    by = {(s["id"], s["level"]): s for s in report["sections"]}
    assert by[("direction.trend", "chongqing")]["empty_reason"] == "nav.empty.no_china"
    assert by[("direction.key_patents", "world")]["empty_reason"] == "nav.empty.no_value_index"
    # the analyses of the first members are untouched: they were made before
    nothing = analyse(con, "nav_none", options=Options(value_index=False)) if con.execute(
        "CREATE OR REPLACE TEMP TABLE nav_none AS SELECT * FROM nav_members WHERE false") else None
    assert nothing is not None and {lv["missing"] for lv in nothing["levels"]} == {"nav.empty.no_members",
                                                                                  "nav.empty.no_china"}
    assert all(s["empty_reason"] for s in nothing["sections"])


def test_every_key_is_in_both_catalogues_and_charts_are_translated(analysed) -> None:
    import json

    from ipcockpit.i18n import Translator, catalogue

    _, report = analysed
    for lang in ("zh-CN", "en"):
        texts = catalogue(lang)
        for s in report["sections"]:
            assert s["title_key"] in texts
            if s["empty_reason"]:
                assert texts[s["empty_reason"]].format(**s["empty_params"])
            for c in s["table"]["columns"]:
                assert f"nav.col.{c}" in texts, c
            assert '"nav.' not in json.dumps(s["chart"], ensure_ascii=False, default=str), s["id"]
        for lv in report["levels"]:
            assert f"nav.level.{lv['level']}" in texts
    assert Translator("en")("nav.section.rta") == "Position: revealed technological advantage (RTA)"


@pytest.mark.spark
def _label_boxes(svg: str, texts: set[str]) -> list[tuple[str, float, float, float, float]]:
    """The boxes (text, left, top, right, bottom) of the SVG ``<text>`` elements ECharts wrote for ``texts``:
    centred on their anchor (its translate plus its own y), as wide as their digits at ~0.6 of the font size."""
    out = []
    for x in re.findall(r"<text[^>]*>[^<]*</text>", svg):
        text = re.search(r">([^<]*)<", x).group(1)
        moved = re.search(r'transform="translate\(([-\d.]+) ([-\d.]+)\)"', x)
        if text not in texts or not moved:
            continue
        own = re.search(r' y="([-\d.]+)"', x)
        size = float(re.search(r"font-size:([\d.]+)px", x).group(1))
        cx, cy = float(moved.group(1)), float(moved.group(2)) + (float(own.group(1)) if own else 0.0)
        half = len(text) * size * 0.6 / 2
        out.append((text, cx - half, cy - size / 2, cx + half, cy + size / 2))
    return out


def test_life_cycle_years_do_not_overprint(analysed) -> None:
    """The life-cycle chart labels each point with its year; where points crowd (early years of a few filings)
    the years ran into each other in the PDF and Word images, drawn as they draw them: a year that would overprint
    another is left out (ECharts' labelLayout.hideOverlap), and the first year is always drawn."""
    _, report = analysed
    checked = 0
    for s in report["sections"]:
        if s["id"] != "direction.lifecycle" or s.get("empty_reason") or not s.get("chart"):
            continue
        years = [str(point[2]) for point in s["chart"]["series"][0]["data"]]
        if len(years) < 3:
            continue
        boxes = _label_boxes(chart_images.to_svg(s["chart"]), set(years))
        assert years[0] in [b[0] for b in boxes] and len(boxes) >= 3, (s["level"], boxes)
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2], (s["level"], a, b)
        checked += 1
    assert checked >= 2


def test_every_ported_section_gives_the_same_rows_on_duckdb_and_spark(analysed, spark_session) -> None:
    """The sections on the shared ibis path (analyses_ibis.PORTED) at the world, China and Chongqing levels: the
    same expressions on local Spark over the Parquet export (the store's parties, the members and the facts
    materialised once) give the report's rows, which the recount above checks.

    The expressions run as concurrent jobs of the one Spark session, three at a time (Spark schedules the jobs of
    several threads side by side): each is a chain of many short stages (287 jobs, 649 stages for the 45 queries),
    and one at a time left the JVM waiting between them (2026-12-06, the same 45 comparisons: 26-36 s one at a time,
    17-24 s three at a time, with and without a busy loop on the other core). What each query runs and gives is
    unchanged; every result is compared with the report's rows as before."""
    from concurrent.futures import ThreadPoolExecutor

    from ipcockpit.analytics import stats
    from ipcockpit.analytics.spark import connect_parquet
    from ipcockpit.navigation import analyses_ibis as xi

    _, report = analysed
    spark = connect_parquet(EXPORTED["folder"], session=spark_session, tables=EXPORTED["names"])
    tables = xi.parquet_tables(spark, region_of(report["region"]["code"])["prefix"])
    opts = report["options"]
    by = {(s["id"], s["level"]): s for s in report["sections"]}
    exprs = {}
    for level in ("world", "china", "chongqing"):
        for sid in xi.PORTED:
            expr = xi.expression(tables, sid, level, top=opts["top"], years=opts["years"],
                                 last=opts["last_year"][level], thin_share=opts["thin_share"],
                                 rising_margin=opts["rising_margin"], rising_min_last=opts["rising_min_last"])
            if expr is None:
                assert by[(sid, level)]["empty_reason"], (sid, level)
                continue
            exprs[(sid, level)] = expr
    with ThreadPoolExecutor(3) as pool:
        results = dict(zip(exprs, pool.map(stats.rows, exprs.values()), strict=True))
    compared = 0
    for key, got in results.items():
        assert got == by[key]["table"]["rows"], key
        compared += len(got)
        assert got or by[key]["empty_reason"], key
    assert compared > 500


def test_synthetic_documents_follow_the_real_distributions(analysed, tmp_path: Path,
                                                          tmp_path_factory: pytest.TempPathFactory) -> None:
    from ipcockpit.navigation.synthetic import fit, synthesise

    con, report = analysed
    model = fit(con)
    assert model.real_documents == report["levels"][0]["documents"]
    path = copy_store(empty_store(tmp_path_factory), tmp_path, "syn.duckdb")  # a new store (the run's one, copied)
    syn = duckdb.connect(str(path))
    written = synthesise(syn, model, 20_000, seed=1)
    assert written["documents"] == written["nav_members"] == 20_000
    real_cn = con.execute("SELECT avg((office = 'CN')::INT) FROM documents WHERE doc_id IN (SELECT doc_id FROM "
                          "nav_members) AND NOT coalesce(stub, false)").fetchone()[0]
    syn_cn = syn.execute("SELECT avg((office = 'CN')::INT) FROM documents").fetchone()[0]
    assert abs(real_cn - syn_cn) < 0.01  # 20,000 draws: the standard error is 0.003
    real_branches = {b for (b,) in con.execute("SELECT DISTINCT branch FROM nav_members").fetchall()}
    assert {b for (b,) in syn.execute("SELECT DISTINCT branch FROM nav_members").fetchall()} <= real_branches
    real_cq = con.execute("SELECT avg(starts_with(admin_code, '50')::INT) FROM parties WHERE admin_code IS NOT NULL "
                          "AND doc_id IN (SELECT doc_id FROM nav_members)").fetchone()[0]
    syn_cq = syn.execute("SELECT avg(starts_with(admin_code, '50')::INT) FROM parties "
                         "WHERE admin_code IS NOT NULL").fetchone()[0]
    assert abs(real_cq - syn_cq) < 0.005
    out = analyse(syn, options=Options(settings=ScreenSettings(as_of=AS_OF), value_index=False))
    assert [lv["missing"] for lv in out["levels"]] == [None] * 4
    # a corpus without dates and applicants: the sections that need them say so, the others are drawn
    syn.execute("UPDATE documents SET app_date = NULL, pub_date = NULL, priority_date = NULL, grant_date = NULL")
    syn.execute("DELETE FROM parties")
    bare = analyse(syn, options=Options(settings=ScreenSettings(as_of=AS_OF), value_index=False))
    by = {(s["id"], s["level"]): s for s in bare["sections"]}
    assert [lv["level"] for lv in bare["levels"] if lv["missing"]] == ["chongqing", "district"]
    assert by[("direction.trend", "world")]["empty_reason"] == "nav.empty.no_dates"
    assert by[("direction.lifecycle", "china")]["empty_reason"] == "nav.empty.no_applicants"
    assert by[("direction.applicants", "world")]["empty_reason"] == "nav.empty.no_applicants"
    assert by[("direction.trend", "chongqing")]["empty_reason"] == "nav.empty.no_addresses"
    assert by[("direction.branches", "world")]["chart"] is not None
    syn.close()
