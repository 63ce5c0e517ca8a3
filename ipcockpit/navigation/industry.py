"""Industry definitions of patent navigation (专利导航, GB/T 39551 产业界定): which documents an industry holds.

A :class:`Definition` combines parts; each part gives documents and says why (the ``reason`` of a member):

* ``sei_branches``: branches of the SEI 2021 concordance (``ref_ipc_concordance``, scheme ``sei2021``): an
  industry (``5``), a branch (``5.2``) or one rule (``5.2#1``). A document is in it when one of its IPC codes
  fully matches a rule's pattern and none of the rule's exclusions (the match of :mod:`ipcockpit.graph.sei`),
  and the rule's reading lets it count (:mod:`ipcockpit.value.conditions`): a product list or an IPC-only rule
  always; a keyword condition when one of its terms is in the title, abstract or claims; an exclusion by
  subject unless one of its terms is there. A document without text cannot meet a keyword condition.
  Reason ``sei:<part>``.
* ``ipc`` / ``cpc``: classification patterns (:func:`ipcockpit.model.classes.pattern_regex`: ``H01M10*``,
  ``B60L``, ``G06T13/80``) over the document's IPC or CPC codes. Reason ``ipc:<pattern>`` / ``cpc:<pattern>``.
* ``keywords``: words in the title, abstract or claims (any language, case-insensitive); an ASCII word is a
  whole word, a trailing ``*`` lets it go on (``rehabilitat*``), as the SEI condition terms are read.
  Reason ``kw:<word>``.
* ``query``: the documents the project's search (:mod:`ipcockpit.search.hybrid`) finds relevant for the query,
  when the store has a search index; without one the part gives nothing and the result says so
  (``nav.query.no_index``). Reason ``query``.
* ``seeds``: documents named by id (reason ``seed``), and what they lead to: the documents that cite a seed
  (``seed:cited_by``), those a seed cites (``seed:cites``) and those that carry a seed's main IPC code
  (``seed:class``).

``combine="any"`` keeps a document that one part gives, ``"all"`` one that every non-empty part gives (the
parts are the six groups above; within a group any of its items is enough). :func:`resolve` writes the
members to the temporary table ``nav_members(doc_id, branch, reason)`` on the connection given, one row per
reason (documents of the store with a record of their own: stubs, only referred to, never are) (``branch`` NULL:
:func:`ipcockpit.navigation.branches.assign` fills it from a decomposition tree).

Codes are matched against patterns in Python once per distinct code (DuckDB compiles a regular expression held
in a column again for every row, see :mod:`ipcockpit.graph.sei`); words are matched in SQL with constant
patterns, one scan per word.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ipcockpit.errors import IPCockpitError
from ipcockpit.model.classes import pattern_regex, rule_hits

SEI_SCHEME = "sei2021"
MEMBERS = "nav_members"
_LITERAL = re.compile(r"^[A-HY](?:\d\d[A-Z]?)?")
GROUPS = ("sei", "ipc", "cpc", "kw", "query", "seed")
QUERY_LIMIT = 500  # the most documents a query part gives


class DefinitionError(IPCockpitError, ValueError):
    """A definition that cannot be resolved: the message names the part and what to write instead."""

    def __init__(self, definition: str, part: str, reason: str) -> None:
        super().__init__(f"industry definition '{definition}', part {part}: {reason}")
        self.definition, self.part, self.reason = definition, part, reason


@dataclass
class Definition:
    """An industry: its parts and how they combine (module text)."""

    id: str
    name_zh: str
    name_en: str
    sei_branches: list[str] = field(default_factory=list)
    ipc: list[str] = field(default_factory=list)
    cpc: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    query: str | None = None
    seeds: list[str] = field(default_factory=list)
    combine: str = "any"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Definition:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in names})

    def parts(self) -> dict[str, list[str]]:
        """The non-empty part groups (:data:`GROUPS`) and their items."""
        out = {"sei": list(self.sei_branches), "ipc": list(self.ipc), "cpc": list(self.cpc),
               "kw": list(self.keywords), "query": [self.query] if self.query else [], "seed": list(self.seeds)}
        return {k: v for k, v in out.items() if v}


#: The plan's four leading industries (主导产业, plan §二 and §五) and the six fields of its box 4 (高价值发明专利
#: 培育计划). Why each part is there: docs/navigation.md "Industry definition" and :data:`RATIONALE`.
PRESETS: dict[str, Definition] = {
    "nev": Definition("nev", "新能源汽车", "New energy vehicles", sei_branches=["5"]),
    "ngit": Definition("ngit", "新一代信息技术", "New-generation information technology", sei_branches=["1"]),
    "smart_equipment": Definition("smart_equipment", "智能装备", "Smart equipment", sei_branches=["2.1"],
                                  ipc=["B25J9*"]),
    "health": Definition("health", "大健康", "Health", sei_branches=["4.1", "4.2"],
                         ipc=["A61K36*", "A61H*", "A23L33*"]),
    "smart_control": Definition("smart_control", "智能控制", "Smart control", sei_branches=["2.1", "1.5"],
                                ipc=["G05B*", "G05D*", "B25J9*", "B25J13*"], combine="all"),
    "ev_intelligent": Definition("ev_intelligent", "电动汽车智能化", "Intelligent electric vehicles",
                                 sei_branches=["5"],
                                 ipc=["B60W*", "B60R16*", "G05D1*", "G08G1*", "G01S*", "H04W4*", "G07C5*"],
                                 combine="all"),
    "optoelectronic": Definition("optoelectronic", "光电显示和电子信息", "Optoelectronic displays and electronics",
                                 sei_branches=["1.2"],
                                 ipc=["G09G*", "G09F9*", "G02F1*", "H01L27/32*", "H01L51/50*", "H01L33*", "H10K*",
                                      "H01S5*"]),
    "animation": Definition("animation", "动漫产业", "Animation and comics",
                            ipc=["G06T13*", "A63F13*"],
                            keywords=["动漫", "动画", "卡通", "漫画", "虚拟形象", "虚拟角色", "animation*", "animated",
                                      "cartoon*", "anime", "comic*"]),
    "tcm": Definition("tcm", "中医药现代化", "Modern traditional Chinese medicine",
                      ipc=["A61K36*", "A61H39*"], cpc=["A61K2236*"],
                      keywords=["中药", "中医", "中草药", "中成药", "针灸", "艾灸", "推拿", "经络", "穴位", "汤剂",
                                "traditional chinese medicine", "chinese herbal*", "acupunctur*", "moxibustion"]),
    "elderly_care": Definition("elderly_care", "现代康养", "Modern health and elderly care",
                               ipc=["A61G*", "A61H1*", "A61H3*", "G08B21/04*", "A61B5/11*"],
                               keywords=["养老", "老年人", "康养", "康复", "助行", "跌倒", "适老", "护理床", "elderly",
                                         "aged care", "rehabilitat*", "nursing home*", "fall detection",
                                         "walking aid*"]),
}

#: Why each preset holds its parts (shown with the definition; the table of docs/navigation.md says the same).
RATIONALE: dict[str, str] = {
    "nev": "SEI 5 新能源汽车产业 (5.1 整车, 5.2 装置配件, 5.3 相关设施, 5.4 相关服务) with its keyword conditions "
           "(新能源汽车/电动汽车... in the text) and exclusions (非机动车).",
    "ngit": "SEI 1 新一代信息技术产业 (1.1 下一代信息网络, 1.2 电子核心, 1.3 软件和信息技术服务, "
            "1.4 互联网与云计算、大数据, 1.5 人工智能).",
    "smart_equipment": "SEI 2.1 智能制造装备产业 (machine tools, welding, additive manufacturing, robots' parts, "
                       "control systems); plus B25J9 (programme-controlled manipulators), the industrial robots "
                       "that 2.1 lists as a product (工业机器人) but whose main group it does not name.",
    "health": "SEI 4.1 生物医药 and 4.2 生物医学工程 (drugs, medical devices); plus A61K36 (medicines of plant "
              "material, i.e. herbal and traditional Chinese medicine, which SEI puts nowhere), A61H (physical "
              "therapy apparatus) and A23L33 (health foods), the 康养/中医药 side the plan's 大健康 cluster holds.",
    "smart_control": "SEI has no 智能控制 branch: the documents of SEI 2.1 智能制造装备 or 1.5 人工智能 (all: and) "
                     "that carry a control class: G05B (control systems), G05D (control of non-electric variables, "
                     "vehicles' and robots' position), B25J9/B25J13 (robot control).",
    "ev_intelligent": "SEI 5 新能源汽车 (all: and) a class of driving intelligence: B60W (driver assistance, "
                      "conjoint control), B60R16 (on-board electric circuits), G05D1 (autonomous position control), "
                      "G08G1 (road traffic control), G01S (radar, lidar), H04W4 (V2X services), G07C5 (vehicle "
                      "data recording).",
    "optoelectronic": "SEI 1.2 电子核心产业 (displays, optoelectronic devices, integrated circuits, components); plus "
                      "the display and light-emitter classes G09G, G09F9, G02F1, H01L27/32 and H01L51/50 (OLED), "
                      "H01L33 (LED), H10K (organic devices), H01S5 (semiconductor lasers).",
    "animation": "No SEI branch is animation (8.2 数字文化创意 also holds IPTV and all image processing): G06T13 "
                 "(animation) and A63F13 (video games), the two classes of SEI 8.2's 动漫游戏 rules, plus the words "
                 "of animation and comics in Chinese and English.",
    "tcm": "No SEI branch: A61K36 (plant-material medicines: 中药), A61H39 (acupuncture points, 穴位 therapy), CPC "
           "A61K2236 (methods of extracting or processing plant material), plus the words of TCM.",
    "elderly_care": "No SEI branch: A61G (patient transport, beds, wheelchairs), A61H1/A61H3 (exercise and walking "
                    "aids), G08B21/04 (alarms on a person's inactivity, falls), A61B5/11 (measuring movement, fall "
                    "detection), plus the words of elderly care and rehabilitation.",
}


@dataclass
class Resolved:
    """The members of a definition in the temporary table ``table`` (``nav_members``) and what they rest on."""

    definition: Definition
    documents: int
    counts: dict[str, int]  # reason -> documents
    group_counts: dict[str, int]  # part group (sei, ipc, ...) -> documents
    table: str = MEMBERS
    empty_reason: str | None = None  # i18n key nav.empty.* when there is no member
    empty_params: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # i18n keys: a part that could not run (nav.query.no_index)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["definition"] = self.definition.to_dict()
        return out

    def relation(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        """The members as a relation of ``con`` (the connection :func:`resolve` wrote them on)."""
        return con.table(self.table)


# validation ---------------------------------------------------------------------------------------------------
def _sei_rules(con: duckdb.DuckDBPyConnection, parts: list[str]) -> list[tuple]:
    """``(part, rule_id, reading, ipc_regex, exclusion_regex, condition_terms)`` of each rule under each part."""
    if not parts:
        return []
    con.register("_nav_sei_parts", pa.table({"part": parts}))
    try:
        return con.execute(
            "SELECT p.part, r.rule_id, r.reading, r.ipc_regex, r.exclusion_regex, r.condition_terms "
            "FROM _nav_sei_parts p JOIN ref_ipc_concordance r ON r.scheme = ? AND "
            "coalesce(r.class_scheme, 'IPC') = 'IPC' AND r.ipc_regex IS NOT NULL AND "
            "(r.parent_code = p.part OR r.code = p.part OR r.rule_id = p.part)", [SEI_SCHEME]).fetchall()
    finally:
        con.unregister("_nav_sei_parts")


def sei_names(con: duckdb.DuckDBPyConnection, parts: list[str]) -> dict[str, str]:
    """The catalogue's name of each SEI industry or branch code of ``parts`` (``1`` 新一代信息技术产业, ``2.1``
    智能制造装备产业); a code the concordance does not have is left out."""
    if not parts:
        return {}
    rows = con.execute("SELECT DISTINCT parent_code, parent_name, code, name FROM ref_ipc_concordance "
                       "WHERE scheme = ? AND (parent_code IN (SELECT unnest(?)) OR code IN (SELECT unnest(?)))",
                       [SEI_SCHEME, parts, parts]).fetchall()
    names: dict[str, str] = {}
    for parent, parent_name, code, name in rows:
        for c, n in ((code, name), (parent, parent_name)):
            if c in parts and n:
                names.setdefault(c, n)
    return names


def validate(con: duckdb.DuckDBPyConnection, d: Definition) -> None:
    """Raise :class:`DefinitionError` naming the first part that cannot be read."""
    if d.combine not in ("any", "all"):
        raise DefinitionError(d.id, f"combine={d.combine!r}", "write 'any' (one part is enough) or 'all'")
    if not d.parts():
        raise DefinitionError(d.id, "(none)", "give at least one part: SEI branches, IPC/CPC, keywords, a query "
                                              "or seed documents")
    if d.sei_branches:
        known = {r[0] for r in _sei_rules(con, d.sei_branches)}
        for part in d.sei_branches:
            if part not in known:
                raise DefinitionError(d.id, f"sei:{part}", f"no SEI 2021 industry, branch or rule '{part}' in "
                                      f"ref_ipc_concordance (scheme {SEI_SCHEME}); write a code such as '5', "
                                      "'5.2' or '5.2#1'")
    for group, items in (("ipc", d.ipc), ("cpc", d.cpc)):
        for p in items:
            try:
                pattern_regex(p)
            except ValueError as exc:
                raise DefinitionError(d.id, f"{group}:{p}", str(exc)) from None
    for w in d.keywords:
        if len(w.strip().strip("*")) < 2:
            raise DefinitionError(d.id, f"kw:{w}", "a keyword needs at least two characters")
    if d.seeds:
        con.register("_nav_seed_ids", pa.table({"doc_id": list(d.seeds)}))
        try:
            missing = [r[0] for r in con.execute("SELECT doc_id FROM _nav_seed_ids WHERE doc_id NOT IN "
                                                 "(SELECT doc_id FROM documents)").fetchall()]
        finally:
            con.unregister("_nav_seed_ids")
        if missing:
            raise DefinitionError(d.id, f"seed:{missing[0]}", "no such document in the store (write its doc_id, "
                                  "e.g. CN110000000A)")


# matching -----------------------------------------------------------------------------------------------------
def _codes(con: duckdb.DuckDBPyConnection, scheme: str) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT code FROM classifications WHERE scheme = ? AND code IS NOT "
                                      "NULL", [scheme]).fetchall()]


def pattern_codes(codes: list[str], patterns: list[str]) -> list[tuple[str, str]]:
    """``(code, pattern)`` for every code a pattern covers; each pattern tried only on the codes that begin with
    its literal head (a subclass, a class, a section)."""
    out = []
    for p in patterns:
        rx = re.compile(pattern_regex(p))
        head = _LITERAL.match(rx.pattern).group(0)  # type: ignore[union-attr]  # every pattern starts so
        out += [(c, p) for c in codes if c.startswith(head) and rx.fullmatch(c)]
    return out


def term_regex(term: str) -> str:
    """The RE2 pattern of a word over lower-cased text: an ASCII word whole (``\\b``), ``*`` lets it go on; any
    other word as it is written (Chinese has no word boundaries)."""
    t = term.strip().lower()
    star = t.endswith("*")
    core = re.escape(t.rstrip("*"))
    if re.fullmatch(r"[ -~]+", t):
        return r"\b" + core + ("" if star else r"\b")
    return core


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def text_sql(universe: str | None = None) -> str:
    """One lower-cased text per document (``doc_id, txt``): its titles, abstracts and claims in that order, each
    distinct text once (a source gives the title twice); only the documents of the query ``universe`` when
    given."""
    where = f"AND doc_id IN ({universe})" if universe else ""
    return ("SELECT doc_id, lower(string_agg(text, ' ' ORDER BY o, text)) AS txt FROM ("
            "SELECT doc_id, text, min(o) AS o FROM ("
            "SELECT doc_id, title AS text, 0 AS o FROM documents WHERE title IS NOT NULL "
            "UNION ALL SELECT doc_id, text, CASE kind WHEN 'title' THEN 0 WHEN 'abstract' THEN 1 ELSE 2 END FROM texts "
            "WHERE kind IN ('title', 'abstract', 'first_claim', 'claims') "
            f"UNION ALL SELECT doc_id, text, 3 FROM claims) WHERE coalesce(text, '') <> '' {where} "
            "GROUP BY doc_id, text) GROUP BY doc_id")


def word_hits(words: list[str], text_table: str) -> str | None:
    """A query of ``doc_id, word`` for each word found in ``text_table`` (one constant pattern per word)."""
    parts = []
    for w in dict.fromkeys(words):
        rx = term_regex(w)
        cond = (f"contains(txt, {_lit(w.strip().lower().rstrip('*'))})" if not re.fullmatch(r"[ -~]+", w.strip())
                else f"regexp_matches(txt, {_lit(rx)})")
        parts.append(f"SELECT doc_id, {_lit(w)} AS word FROM {text_table} WHERE {cond}")
    return " UNION ALL ".join(parts) if parts else None


def sei_hits(con: duckdb.DuckDBPyConnection, parts: list[str]) -> None:
    """``_nav_sei(doc_id, part, rule_id)``: the documents the SEI parts count (module text)."""
    rules = _sei_rules(con, parts)
    rows: dict[str, list[str]] = {"code": [], "part": [], "rule_id": []}
    seen = set()
    for code, (part, rule_id, _, _, _, _) in rule_hits(_codes(con, "IPC"), rules, lambda r: (r[3], r[4])):
        if (code, part, rule_id) in seen:
            continue
        seen.add((code, part, rule_id))
        rows["code"].append(code)
        rows["part"].append(part)
        rows["rule_id"].append(rule_id)
    con.register("_nav_sei_codes", pa.table(rows, schema=pa.schema([(k, pa.string()) for k in rows])))
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _nav_sei_raw AS SELECT DISTINCT c.doc_id, s.part, s.rule_id "
                    "FROM _nav_sei_codes s JOIN classifications c ON c.code = s.code AND c.scheme = 'IPC'")
    finally:
        con.unregister("_nav_sei_codes")
    conditional = {r[1]: (r[2], r[5]) for r in rules if r[2] in ("keyword_condition", "exclusion")}
    checks = []
    for rule_id, (_, terms) in conditional.items():
        if terms:
            alt = "|".join(f"(?:{term_regex(t)})" for t in terms)
            checks.append(f"SELECT doc_id, {_lit(rule_id)} AS rule_id FROM _nav_sei_text WHERE doc_id IN "
                          f"(SELECT doc_id FROM _nav_sei_raw WHERE rule_id = {_lit(rule_id)}) "
                          f"AND regexp_matches(txt, {_lit(alt)})")
    if checks:
        con.execute("CREATE OR REPLACE TEMP TABLE _nav_sei_text AS " + text_sql(
            "SELECT doc_id FROM _nav_sei_raw WHERE rule_id IN (" + ", ".join(_lit(r) for r in conditional) + ")"))
        con.execute("CREATE OR REPLACE TEMP TABLE _nav_sei_cond AS " + " UNION ALL ".join(checks))
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE _nav_sei_cond (doc_id VARCHAR, rule_id VARCHAR)")
    reading = {r[1]: r[2] for r in rules}
    readings = pa.table({"rule_id": list(reading), "reading": list(reading.values())},
                        schema=pa.schema([("rule_id", pa.string()), ("reading", pa.string())]))
    con.register("_nav_sei_readings", readings)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _nav_sei AS SELECT DISTINCT r.doc_id, r.part, r.rule_id FROM _nav_sei_raw r "
            "JOIN _nav_sei_readings g USING (rule_id) "
            "LEFT JOIN (SELECT DISTINCT doc_id, rule_id, true AS hit FROM _nav_sei_cond) c USING (doc_id, rule_id) "
            "WHERE CASE coalesce(g.reading, 'product') WHEN 'keyword_condition' THEN coalesce(c.hit, false) "
            "WHEN 'exclusion' THEN NOT coalesce(c.hit, false) ELSE true END")
    finally:
        con.unregister("_nav_sei_readings")


def _seed_hits(con: duckdb.DuckDBPyConnection, seeds: list[str]) -> str:
    """A query of ``doc_id, reason`` for the seeds and the documents they lead to (module text)."""
    con.register("_nav_seed_list", pa.table({"doc_id": list(dict.fromkeys(seeds))}))
    con.execute("CREATE OR REPLACE TEMP TABLE _nav_seeds AS SELECT * FROM _nav_seed_list")
    con.unregister("_nav_seed_list")
    return ("SELECT doc_id, 'seed' AS reason FROM _nav_seeds "
            "UNION ALL SELECT c.doc_id, 'seed:cited_by' FROM citations c "
            "JOIN _nav_seeds s ON c.cited_doc_id = s.doc_id "
            "UNION ALL SELECT c.cited_doc_id, 'seed:cites' FROM citations c JOIN _nav_seeds s USING (doc_id) "
            "WHERE c.cited_doc_id IS NOT NULL "
            "UNION ALL SELECT c.doc_id, 'seed:class' FROM classifications c JOIN ("
            "  SELECT DISTINCT k.scheme, k.code FROM classifications k JOIN _nav_seeds s USING (doc_id) "
            "  WHERE k.main AND k.scheme = 'IPC') m USING (scheme, code)")


def _query_hits(con: duckdb.DuckDBPyConnection, query: str, folder: str | Path | None) -> list[str] | None:
    """The documents the search finds relevant for ``query``; None when there is no search index."""
    if folder is None:
        return None
    from ipcockpit.search.errors import IndexMissingError
    from ipcockpit.search.hybrid import search

    try:
        return [r["doc_id"] for r in search(con, folder, query, limit=QUERY_LIMIT, passages=False)]
    except IndexMissingError:
        return None


def resolve(con: duckdb.DuckDBPyConnection, d: Definition, *, index_folder: str | Path | None = None,
            table: str = MEMBERS) -> Resolved:
    """The member documents of ``d`` in the temporary table ``table`` (``doc_id, branch, reason``; module text),
    with the documents per reason and per part group."""
    started = time.perf_counter()
    validate(con, d)
    parts, notes, queries = d.parts(), [], []
    if "sei" in parts:
        sei_hits(con, parts["sei"])
        queries.append("SELECT doc_id, 'sei' AS grp, 'sei:' || part AS reason FROM _nav_sei")
    for group in ("ipc", "cpc"):
        if group in parts:
            pairs = pattern_codes(_codes(con, group.upper()), parts[group])
            name = f"_nav_{group}_codes"
            con.register(name, pa.table({"code": [c for c, _ in pairs], "pattern": [p for _, p in pairs]},
                                        schema=pa.schema([("code", pa.string()), ("pattern", pa.string())])))
            con.execute(f"CREATE OR REPLACE TEMP TABLE _nav_{group} AS SELECT DISTINCT c.doc_id, "
                        f"'{group}:' || x.pattern AS reason FROM {name} x JOIN classifications c "
                        f"ON c.code = x.code AND c.scheme = '{group.upper()}'")
            con.unregister(name)
            queries.append(f"SELECT doc_id, '{group}' AS grp, reason FROM _nav_{group}")
    if "kw" in parts:
        con.execute("CREATE OR REPLACE TEMP TABLE _nav_text AS " + text_sql())
        con.execute("CREATE OR REPLACE TEMP TABLE _nav_kw AS " + str(word_hits(parts["kw"], "_nav_text")))
        queries.append("SELECT doc_id, 'kw' AS grp, 'kw:' || word AS reason FROM _nav_kw")
    if "query" in parts:
        found = _query_hits(con, parts["query"][0], index_folder)
        if found is None:
            notes.append("nav.query.no_index")
            found = []
        con.register("_nav_query_ids", pa.table({"doc_id": found}, schema=pa.schema([("doc_id", pa.string())])))
        con.execute("CREATE OR REPLACE TEMP TABLE _nav_query AS SELECT DISTINCT doc_id FROM _nav_query_ids")
        con.unregister("_nav_query_ids")
        queries.append("SELECT doc_id, 'query' AS grp, 'query' AS reason FROM _nav_query")
    if "seed" in parts:
        queries.append(f"SELECT doc_id, 'seed' AS grp, reason FROM ({_seed_hits(con, parts['seed'])})")
    con.execute("CREATE OR REPLACE TEMP TABLE _nav_hits AS SELECT DISTINCT h.doc_id, h.grp, h.reason FROM ("
                + " UNION ALL ".join(queries) + ") h JOIN documents d USING (doc_id) "
                "WHERE NOT coalesce(d.stub, false)")
    keep = ("SELECT doc_id FROM _nav_hits" if d.combine == "any" else
            f"SELECT doc_id FROM _nav_hits GROUP BY doc_id HAVING count(DISTINCT grp) = {len(parts)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT DISTINCT doc_id, CAST(NULL AS VARCHAR) AS branch, "
                f"reason FROM _nav_hits WHERE doc_id IN ({keep}) ORDER BY doc_id, reason")
    counts = dict(con.execute(f"SELECT reason, count(DISTINCT doc_id) FROM {table} GROUP BY reason "
                              "ORDER BY 2 DESC, 1").fetchall())
    groups = dict(con.execute(f"SELECT h.grp, count(DISTINCT h.doc_id) FROM _nav_hits h JOIN {table} m "
                              "USING (doc_id, reason) GROUP BY h.grp").fetchall())
    (documents,) = con.execute(f"SELECT count(DISTINCT doc_id) FROM {table}").fetchall()[0]
    out = Resolved(d, int(documents), counts, {g: int(groups.get(g, 0)) for g in parts}, table=table,
                   notes=notes)
    if not documents:
        (stored,) = con.execute("SELECT count(*) FROM documents").fetchall()[0]
        if not stored:
            out.empty_reason = "nav.empty.no_documents"
        elif "query" in parts and notes and (d.combine == "all" or len(parts) == 1):
            out.empty_reason = "nav.empty.query_unavailable"
        elif d.combine == "all" and len([g for g in parts if _group_docs(con, g)]) > 0:
            out.empty_reason = "nav.empty.no_overlap"
            out.empty_params = {"parts": ", ".join(f"{g} {_group_docs(con, g)}" for g in parts)}
        else:
            out.empty_reason = "nav.empty.no_match"
        out.empty_params.setdefault("industry", d.name_zh)
        out.empty_params["stored"] = int(stored)
    for scratch in ("_nav_text", "_nav_sei_text", "_nav_sei_raw", "_nav_sei_cond"):
        con.execute(f"DROP TABLE IF EXISTS {scratch}")  # the texts can be large; the hits stay for a look
    out.seconds = round(time.perf_counter() - started, 3)
    return out


def _group_docs(con: duckdb.DuckDBPyConnection, group: str) -> int:
    (n,) = con.execute("SELECT count(DISTINCT doc_id) FROM _nav_hits WHERE grp = ?", [group]).fetchall()[0]
    return int(n)


# the analyst's check: recall and precision on marked documents --------------------------------------------------
def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """The Wilson score interval (95 % by default) of the proportion ``k / n``; None when ``n`` is 0."""
    if n == 0:
        return None
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (round(max(0.0, mid - half), 4), round(min(1.0, mid + half), 4))


def check(con: duckdb.DuckDBPyConnection, d: Definition, marks: dict[str, bool], *,
          index_folder: str | Path | None = None) -> dict[str, Any]:
    """Recall and precision of ``d`` on the documents the analyst marked (``doc_id -> belongs to the industry``):
    the counts (true/false positives, false negatives, true negatives), both proportions with their 95 % Wilson
    intervals (None when nothing to divide by), the false positives and negatives listed, and the marked ids the
    store does not hold (left out of every count)."""
    resolve(con, d, index_folder=index_folder, table="_nav_check_members")
    con.register("_nav_marks_in", pa.table({"doc_id": list(marks), "relevant": [bool(v) for v in marks.values()]},
                                           schema=pa.schema([("doc_id", pa.string()), ("relevant", pa.bool_())])))
    try:
        rows = con.execute(
            "SELECT k.doc_id, k.relevant, d.doc_id IS NOT NULL AS stored, "
            "k.doc_id IN (SELECT doc_id FROM _nav_check_members) AS member "
            "FROM _nav_marks_in k LEFT JOIN documents d USING (doc_id) ORDER BY k.doc_id").fetchall()
    finally:
        con.unregister("_nav_marks_in")
    unknown = [r[0] for r in rows if not r[2]]
    rows = [r for r in rows if r[2]]
    fp = [r[0] for r in rows if r[3] and not r[1]]
    fn = [r[0] for r in rows if r[1] and not r[3]]
    tp = sum(1 for r in rows if r[3] and r[1])
    tn = sum(1 for r in rows if not r[3] and not r[1])
    return {
        "definition": d.id, "marked": len(rows), "true_positives": tp, "false_positives": len(fp),
        "false_negatives": len(fn), "true_negatives": tn,
        "recall": round(tp / (tp + len(fn)), 4) if tp + len(fn) else None,
        "recall_ci95": wilson(tp, tp + len(fn)),
        "precision": round(tp / (tp + len(fp)), 4) if tp + len(fp) else None,
        "precision_ci95": wilson(tp, tp + len(fp)),
        "false_positive_ids": fp, "false_negative_ids": fn, "unknown_ids": unknown,
    }


def sample(con: duckdb.DuckDBPyConnection, d: Definition, n: int, seed: int = 0, *,
           index_folder: str | Path | None = None) -> list[dict[str, Any]]:
    """``n`` documents for the analyst to mark: half members (their reasons shown), half near-misses (documents
    outside the definition that share an IPC main group with a member: where its missed documents most likely
    are), topped up from the other side when one runs short. The same ``seed`` draws the same documents
    (an order by ``md5(doc_id || seed)``)."""
    if n <= 0:
        return []
    resolve(con, d, index_folder=index_folder, table="_nav_sample_members")
    order = f"md5(doc_id || '{int(seed)}')"
    members = con.execute(
        f"SELECT doc_id, string_agg(reason, ', ' ORDER BY reason) FROM _nav_sample_members GROUP BY doc_id "
        f"ORDER BY {order} LIMIT ?", [n]).fetchall()
    near = con.execute(
        "WITH g AS (SELECT DISTINCT regexp_extract(c.code, '^([A-HY]\\d\\d[A-Z] \\d+)/', 1) AS grp "
        "  FROM classifications c JOIN (SELECT DISTINCT doc_id FROM _nav_sample_members) m USING (doc_id) "
        "  WHERE c.scheme = 'IPC') "
        "SELECT DISTINCT c.doc_id FROM classifications c JOIN g ON regexp_extract(c.code, "
        "'^([A-HY]\\d\\d[A-Z] \\d+)/', 1) = g.grp WHERE c.scheme = 'IPC' AND g.grp <> '' "
        f"AND c.doc_id NOT IN (SELECT doc_id FROM _nav_sample_members) ORDER BY {order} LIMIT ?", [n]).fetchall()
    want_near = min(len(near), n // 2)
    take_members = min(len(members), n - want_near)
    take_near = min(len(near), n - take_members)
    chosen = [{"doc_id": m[0], "group": "member", "reasons": m[1]} for m in members[:take_members]]
    chosen += [{"doc_id": x[0], "group": "near_miss", "reasons": None} for x in near[:take_near]]
    if chosen:
        con.register("_nav_sample_ids", pa.table({"doc_id": [c["doc_id"] for c in chosen]}))
        titles = dict(con.execute("SELECT s.doc_id, d.title FROM _nav_sample_ids s JOIN documents d "
                                  "USING (doc_id)").fetchall())
        con.unregister("_nav_sample_ids")
        for c in chosen:
            c["title"] = titles.get(c["doc_id"])
    return chosen
