"""The analyst's tools of patent navigation: industry definitions, their check, the decomposition tree, marks and
the marking queue, through one object built with the store (``cockpit.navigation.analyst``,
``AnalystTools(store, index)``).

Every operation runs on ``store.con``: ``nav_members`` (:func:`ipcockpit.navigation.industry.resolve`) is a
temporary table of that one connection. CLI (``ipcockpit nav ...``), API and the tree page
(``/navigation/{industry}/tree``) call these methods and nothing else; each returns a plain dict or list.

* definitions: :meth:`presets`, :meth:`definitions`, :meth:`save_definition` (a dict, JSON text or a
  :class:`Definition`), :meth:`resolve` (documents per reason, and the parts that gave none);
* the check: :meth:`sample` (members and near misses to mark), :meth:`check` (recall and precision from the
  analyst's in/out marks, or from marks given);
* the tree: :meth:`tree` (branches with their sizes), :meth:`edit` (add, rename, move, delete, parts; audited
  with the analyst's name), :meth:`history`;
* marks: :meth:`mark` (a branch, or in/out of the industry), :meth:`unmark`, :meth:`marks`;
* the queue: :meth:`suggest` (the next documents to mark: the tagger's queue, :mod:`ipcockpit.navigation.queue`,
  when this build has it, else :meth:`sample`), :meth:`tag_members` (the members no branch's parts reach, tagged
  from the marks by :func:`ipcockpit.navigation.tagger.tag`).

A document marked with a branch is also marked in the industry (the analyst put it in one of its branches).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ipcockpit.errors import IPCockpitError
from ipcockpit.navigation import branches as br
from ipcockpit.navigation import industry as ind
from ipcockpit.navigation import store as nav_store

if TYPE_CHECKING:
    from pathlib import Path

    import duckdb

    from ipcockpit.store import Store

#: the edits :meth:`AnalystTools.edit` makes, and the fields each needs
EDITS: dict[str, tuple[str, ...]] = {
    "add": ("branch", "parent", "name_zh"), "rename": ("branch", "name_zh"), "move": ("branch", "parent"),
    "delete": ("branch",), "parts": ("branch",),
}
#: how many unmarked members the queue looks at, at most (drawn by ``md5(doc_id)``)
QUEUE_POOL = 400
#: texts encoded for the queue, kept in this process (the page asks again after every mark)
_ENCODED: dict[str, Any] = {}
_ENCODED_MAX = 50_000
ABSTRACT_CHARS = 400


def _cached_encoder(texts: list[str]) -> Any:
    """The tagger's encoder, each text encoded once per process (:data:`_ENCODED`)."""
    import numpy as np

    from ipcockpit.navigation.tagger import default_encoder

    todo = list(dict.fromkeys(t for t in texts if t not in _ENCODED))
    if todo:
        if len(_ENCODED) + len(todo) > _ENCODED_MAX:
            _ENCODED.clear()
        for t, v in zip(todo, default_encoder(todo), strict=True):
            _ENCODED[t] = v
    return np.stack([_ENCODED[t] for t in texts])


class AnalystError(IPCockpitError, ValueError):
    """An analyst's request that cannot be done: the message says what to give instead."""


def _bool(value: Any) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "in", "是", "属于", "t"):
        return True
    if text in ("0", "false", "no", "n", "out", "否", "不属于", "f"):
        return False
    raise AnalystError(f"relevant={value!r}: write yes/no (1/0, true/false, 是/否)")


def read_marks_csv(text: str) -> dict[str, bool]:
    """``doc_id -> belongs`` from a CSV with the columns ``doc_id`` and ``relevant`` (yes/no, 1/0, true/false,
    是/否); a header is required."""
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or "doc_id" not in rows[0] or "relevant" not in rows[0]:
        raise AnalystError("the marks CSV needs a header with the columns doc_id and relevant (yes/no)")
    out: dict[str, bool] = {}
    for n, r in enumerate(rows, start=2):
        doc = (r.get("doc_id") or "").strip()
        if not doc:
            raise AnalystError(f"marks CSV line {n}: doc_id is empty")
        try:
            out[doc] = _bool(r.get("relevant"))
        except AnalystError as exc:
            raise AnalystError(f"marks CSV line {n}: {exc}") from None
    return out


class AnalystTools:
    """The analyst's operations (module text)."""

    def __init__(self, store: Store, index: Path | None = None) -> None:
        """The tools over ``store`` (its one connection holds ``nav_members``); ``index``: the folder of the
        store's search indexes, for a definition's query part."""
        self.store = store
        self.index = index

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        return self.store.con

    def _index(self) -> Any:
        return self.index

    # definitions ------------------------------------------------------------------------------------------------
    def definition(self, industry: str) -> ind.Definition:
        """The saved definition of ``industry``, else its preset (:class:`DefinitionError` when neither)."""
        return nav_store.load_definition(self.con, industry)

    def presets(self) -> list[dict[str, Any]]:
        """The presets: their parts, why they hold them, and whether a saved definition replaces them."""
        saved = {d["id"] for d in nav_store.definitions(self.con)}
        return [{**d.to_dict(), "rationale": ind.RATIONALE.get(k), "saved": k in saved} for k, d in ind.PRESETS.items()]

    def definitions(self) -> dict[str, Any]:
        """``presets`` and the ``saved`` definitions (each with its parts, who saved it and when)."""
        saved = []
        for row in nav_store.definitions(self.con):
            saved.append({**row, **self.definition(row["id"]).to_dict()})
        return {"presets": self.presets(), "saved": saved}

    def save_definition(self, data: dict[str, Any] | str | ind.Definition, analyst: str | None = None
                        ) -> dict[str, Any]:
        """Save a definition (a dict, its JSON text or a Definition) after checking it; returns it."""
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise AnalystError(f"the definition is not JSON: {exc}") from None
        if isinstance(data, dict):
            missing = [k for k in ("id", "name_zh") if not str(data.get(k) or "").strip()]
            if missing:
                raise AnalystError(f"the definition needs {' and '.join(missing)} (and its parts: sei_branches, ipc, "
                                   "cpc, keywords, query, seeds; combine any or all)")
            unknown = sorted(set(data) - set(ind.Definition.__dataclass_fields__))
            if unknown:
                raise AnalystError(f"unknown fields {unknown} in the definition; its fields are "
                                   f"{', '.join(ind.Definition.__dataclass_fields__)}")
            for k in ("sei_branches", "ipc", "cpc", "keywords", "seeds"):
                if isinstance(data.get(k), str):
                    data = {**data, k: [data[k]]}
            data = ind.Definition.from_dict({"name_en": data.get("name_en") or data["id"], **data})
        if not isinstance(data, ind.Definition):
            raise AnalystError("a definition is a JSON object: {\"id\", \"name_zh\", \"name_en\", \"sei_branches\", "
                               "\"ipc\", \"cpc\", \"keywords\", \"query\", \"seeds\", \"combine\"}")
        nav_store.save_definition(self.con, data, analyst)
        return {**data.to_dict(), "saved_by": analyst}

    def resolve(self, industry: str) -> dict[str, Any]:
        """The members of ``industry`` (left in ``nav_members``): documents, documents per reason and per part,
        the parts of the definition that gave no member (``empty_parts``) and, when none at all, why."""
        d = self.definition(industry)
        res = ind.resolve(self.con, d, index_folder=self._index())
        wanted = ([f"sei:{p}" for p in d.sei_branches] + [f"ipc:{p}" for p in d.ipc] + [f"cpc:{p}" for p in d.cpc]
                  + [f"kw:{w}" for w in d.keywords] + (["query"] if d.query else []) + (["seed"] if d.seeds else []))
        return {"industry": d.id, "name_zh": d.name_zh, "name_en": d.name_en, "combine": d.combine,
                "documents": res.documents, "counts": res.counts, "group_counts": res.group_counts,
                "empty_parts": [r for r in dict.fromkeys(wanted) if not res.counts.get(r)],
                "empty_reason": res.empty_reason, "empty_params": res.empty_params, "notes": res.notes,
                "seconds": res.seconds}

    # the check ------------------------------------------------------------------------------------------------
    def sample(self, industry: str, n: int = 20, seed: int = 0) -> list[dict[str, Any]]:
        """``n`` documents to mark in or out (half members, half near misses), with title, abstract and the marks
        they already have."""
        rows = ind.sample(self.con, self.definition(industry), n, seed, index_folder=self._index())
        return self._describe(industry, rows)

    def check(self, industry: str, marks: dict[str, bool] | None = None) -> dict[str, Any]:
        """Recall and precision of the definition on the analyst's in/out marks (the stored ones, or ``marks``)."""
        d = self.definition(industry)
        given = marks is not None
        out = ind.check(self.con, d, marks if given else br.industry_marks(self.con, industry),
                        index_folder=self._index())
        out["marks_from"] = "given" if given else "stored"
        return out

    # the tree ---------------------------------------------------------------------------------------------------
    def _branches(self, industry: str, analyst: str | None = None) -> list[br.Branch]:
        """The tree of ``industry``, stored at its first use (on a read-only store: shown, not stored). A preset's
        first tree is its default (:func:`ipcockpit.navigation.branches.default_tree`); a saved definition that is
        no preset gets the industry, its SEI parts, its further classes and its keywords."""
        if self.con.execute("SELECT count(*) FROM nav_branches WHERE tree = ?", [industry]).fetchall()[0][0]:
            return br.tree(self.con, industry, analyst)
        if industry in ind.PRESETS:
            first = br.default_tree(self.con, industry)
        else:
            d = self.definition(industry)
            first = [br.Branch(d.id, None, d.name_zh, d.name_en, {})]
            first += [br.Branch(p, d.id, f"SEI {p}", br.SEI_EN.get(p), {"sei": [p]}, k)
                      for k, p in enumerate(d.sei_branches)]
            if d.ipc or d.cpc:
                first.append(br.Branch(f"{d.id}.classes", d.id, "其他分类号：" + "、".join(d.ipc + d.cpc),
                                       "Further classes: " + ", ".join(d.ipc + d.cpc),
                                       {k: v for k, v in (("ipc", d.ipc), ("cpc", d.cpc)) if v}, len(first) - 1))
            if d.keywords:
                first.append(br.Branch(f"{d.id}.keywords", d.id, "关键词", "Keywords", {"keywords": list(d.keywords)},
                                       len(first) - 1))
        if self.store.read_only:
            return first
        for b in first:
            self.con.execute("INSERT INTO nav_branches (tree, id, parent, name_zh, name_en, parts, position) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", [industry, b.id, b.parent, b.name_zh, b.name_en,
                                                              json.dumps(b.parts, ensure_ascii=False), b.position])
        self.con.execute("INSERT INTO nav_branch_edits (tree, branch, action, analyst, edited_at) "
                         "VALUES (?, NULL, 'create', ?, date_trunc('second', now())::TIMESTAMP)", [industry, analyst])
        return br.tree(self.con, industry, analyst)

    def tree(self, industry: str, sizes: bool = True) -> dict[str, Any]:
        """The tree of ``industry``: each branch with its ``depth``, its parts, ``documents`` (members whose deepest
        branch it is) and ``total`` (members in it or below), the members in no branch (``unassigned``), the
        marks per branch; ``sizes`` False skips resolving the members."""
        branches = self._branches(industry)
        own: dict[str, int] = {}
        below: dict[str, set[str]] = defaultdict(set)
        members = unassigned = None
        if sizes:
            res = ind.resolve(self.con, self.definition(industry), index_folder=self._index())
            members = res.documents
            own = {k: v for k, v in br.assign(self.con, industry, branches).items() if k is not None}
            parent = {b.id: b.parent for b in branches}
            for doc, branch in self.con.execute(f"SELECT DISTINCT doc_id, branch FROM {ind.MEMBERS} "
                                                "WHERE branch IS NOT NULL").fetchall():
                x: str | None = branch
                while x is not None:
                    below[x].add(doc)
                    x = parent.get(x)
            (unassigned,) = self.con.execute(f"SELECT count(DISTINCT doc_id) FROM {ind.MEMBERS} WHERE doc_id NOT IN "
                                             f"(SELECT doc_id FROM {ind.MEMBERS} WHERE branch IS NOT NULL)"
                                             ).fetchall()[0]
        marked = defaultdict(int)
        for m in br.marks(self.con, industry):
            marked[m["branch"]] += 1
        depth: dict[str | None, int] = {None: -1}
        rows = []
        for b in branches:
            depth[b.id] = depth.get(b.parent, -1) + 1
            rows.append({**b.to_dict(), "depth": depth[b.id], "documents": own.get(b.id, 0) if sizes else None,
                         "total": len(below.get(b.id, ())) if sizes else None, "marks": marked.get(b.id, 0),
                         "children": sum(1 for x in branches if x.parent == b.id)})
        return {"industry": industry, "root": branches[0].id if branches else None, "members": members,
                "unassigned": int(unassigned) if unassigned is not None else None, "branches": rows}

    def edit(self, industry: str, action: str, analyst: str | None = None, **fields: Any) -> dict[str, Any]:
        """One edit of the tree (:data:`EDITS`: ``add`` branch, parent, name_zh[, name_en, parts]; ``rename``
        branch, name_zh[, name_en]; ``move`` branch, parent; ``delete`` branch; ``parts`` branch, parts), audited
        with ``analyst``. Returns the branch after (``deleted``: how many went, for a delete)."""
        if action not in EDITS:
            raise AnalystError(f"action={action!r}: write one of {', '.join(EDITS)}")
        missing = [f for f in EDITS[action] if not str(fields.get(f) or "").strip()]
        if missing:
            raise AnalystError(f"{action} needs {', '.join(missing)}")
        self._branches(industry, analyst)
        parts = fields.get("parts")
        if isinstance(parts, str):
            try:
                parts = json.loads(parts) if parts.strip() else {}
            except ValueError as exc:
                raise AnalystError(f"parts is not JSON ({exc}); write e.g. {{\"ipc\": [\"H01M10*\"]}}") from None
        if parts is not None and not isinstance(parts, dict):
            raise AnalystError("parts is a JSON object: {\"sei\": [...], \"ipc\": [...], \"cpc\": [...], "
                               "\"keywords\": [...]}")
        b, con = fields["branch"], self.con
        name_en = fields.get("name_en") or None
        if action == "add":
            out = br.add_branch(con, industry, b, fields["parent"], fields["name_zh"], name_en, parts, analyst)
        elif action == "rename":
            out = br.rename_branch(con, industry, b, fields["name_zh"], name_en, analyst)
        elif action == "move":
            out = br.move_branch(con, industry, b, fields["parent"], analyst)
        elif action == "parts":
            out = br.set_parts(con, industry, b, parts or {}, analyst)
        else:
            return {"action": action, "branch": b, "deleted": br.delete_branch(con, industry, b, analyst)}
        return {"action": action, **out.to_dict()}

    def history(self, industry: str) -> list[dict[str, Any]]:
        """The audit of the tree, oldest first."""
        return br.edits(self.con, industry)

    # marks ------------------------------------------------------------------------------------------------------
    def mark(self, industry: str, doc_id: str, branch: str | None = None, relevant: bool | None = None,
             analyst: str | None = None) -> dict[str, Any]:
        """Mark ``doc_id``: with ``branch`` it belongs to that branch (and so to the industry); else ``relevant``
        says whether it belongs to the industry."""
        if branch is None and relevant is None:
            raise AnalystError("give a branch, or whether the document belongs to the industry (relevant yes/no)")
        if branch is not None and relevant is False:
            raise AnalystError("a document marked with a branch belongs to the industry; mark it out without one")
        self._branches(industry, analyst)
        if branch is not None:
            br.mark(self.con, industry, doc_id, branch, analyst)
        elif not self.con.execute("SELECT count(*) FROM documents WHERE doc_id = ?", [doc_id]).fetchall()[0][0]:
            raise AnalystError(f"no document '{doc_id}' in the store")
        br.mark_industry(self.con, industry, doc_id, True if branch is not None else bool(relevant), analyst)
        return {"industry": industry, "doc_id": doc_id, "branch": branch,
                "relevant": True if branch is not None else bool(relevant), "analyst": analyst}

    def unmark(self, industry: str, doc_id: str, branch: str | None = None) -> dict[str, Any]:
        """Take back a branch mark (``branch``) or the in/out mark of the industry (no branch)."""
        if branch is not None:
            br.unmark(self.con, industry, doc_id, branch)
        else:
            self.con.execute("DELETE FROM nav_marks WHERE tree = ? AND doc_id = ? AND kind = 'industry'",
                             [industry, doc_id])
        return {"industry": industry, "doc_id": doc_id, "branch": branch, "removed": True}

    def marks(self, industry: str) -> dict[str, Any]:
        """The branch marks (of branches that still exist) and the in/out marks, with who and when."""
        industry_rows = [dict(zip(("doc_id", "relevant", "analyst", "at"), r, strict=True)) for r in self.con.execute(
            "SELECT doc_id, relevant, analyst, marked_at FROM nav_marks WHERE tree = ? AND kind = 'industry' "
            "ORDER BY marked_at, doc_id", [industry]).fetchall()]
        return {"industry": industry, "branch": br.marks(self.con, industry), "industry_marks": industry_rows}

    # the queue --------------------------------------------------------------------------------------------------
    def _texts(self, ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        self.con.register("_nav_analyst_ids", pa.table({"doc_id": ids}, schema=pa.schema([("doc_id", pa.string())])))
        try:
            return dict(self.con.execute(ind.text_sql("SELECT doc_id FROM _nav_analyst_ids")).fetchall())
        finally:
            self.con.unregister("_nav_analyst_ids")

    def _describe(self, industry: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` (each with ``doc_id``) with title, abstract (cut to :data:`ABSTRACT_CHARS`) and their marks."""
        ids = [r["doc_id"] for r in rows]
        if not ids:
            return rows
        self.con.register("_nav_analyst_ids", pa.table({"doc_id": ids}, schema=pa.schema([("doc_id", pa.string())])))
        try:
            info = {r[0]: r[1:] for r in self.con.execute(
                "SELECT i.doc_id, any_value(d.title), any_value(d.number), "
                "  (SELECT string_agg(x.text, ' ') FROM texts x WHERE x.doc_id = i.doc_id AND x.kind = 'abstract') "
                "FROM _nav_analyst_ids i LEFT JOIN documents d USING (doc_id) GROUP BY i.doc_id").fetchall()}
        finally:
            self.con.unregister("_nav_analyst_ids")
        branch_marks: dict[str, list[str]] = defaultdict(list)
        for m in br.marks(self.con, industry):
            branch_marks[m["doc_id"]].append(m["branch"])
        said = br.industry_marks(self.con, industry)
        out = []
        for r in rows:
            title, number, abstract = info.get(r["doc_id"], (None, None, None))
            if abstract and len(abstract) > ABSTRACT_CHARS:
                abstract = abstract[: ABSTRACT_CHARS - 1] + "…"
            out.append({**r, "title": r.get("title") or title, "number": number, "abstract": abstract,
                        "marked_branches": branch_marks.get(r["doc_id"], []), "relevant": said.get(r["doc_id"])})
        return out

    def suggest(self, industry: str, n: int = 10, seed: int = 0) -> dict[str, Any]:
        """The next ``n`` documents to mark: from the tagger's queue (:mod:`ipcockpit.navigation.queue`) over the
        members no mark holds yet, given the marks as examples; where it cannot (no member with a text, the tagger
        refuses the marks) :meth:`sample` less the documents already marked (``source`` says which, ``note`` why)."""
        from ipcockpit.navigation import queue

        note, detail = "nav.analyst.queue_empty", None
        ind.resolve(self.con, self.definition(industry), index_folder=self._index())
        pool = [r[0] for r in self.con.execute(
            f"SELECT DISTINCT doc_id FROM {ind.MEMBERS} WHERE doc_id NOT IN (SELECT doc_id FROM nav_marks "
            f"WHERE tree = ?) ORDER BY md5(doc_id || '{int(seed)}') LIMIT ?", [industry, QUEUE_POOL]).fetchall()]
        texts = self._texts(pool)
        pool = [d for d in pool if d in texts]
        if pool:
            try:
                items = queue.next_to_mark([texts[d] for d in pool], br.examples(self.con, industry), k=n,
                                           encoder=_cached_encoder)
            except ValueError as exc:  # the tagger's own refusal (TaggerError): say so, draw a sample
                note, detail = "nav.analyst.queue_failed", str(exc)
            else:
                rows = [{"doc_id": pool[i.index], "group": "queue", "reasons": None, "reason": i.reason,
                         "reason_params": i.params, "suggested": i.suggested} for i in items]
                return {"industry": industry, "source": "queue", "note": None, "detail": None,
                        "documents": self._describe(industry, rows)}
        marked = {r[0] for r in self.con.execute("SELECT DISTINCT doc_id FROM nav_marks WHERE tree = ?",
                                                 [industry]).fetchall()}
        drawn = [r for r in self.sample(industry, n + len(marked), seed) if r["doc_id"] not in marked]
        return {"industry": industry, "source": "sample", "note": note, "detail": detail, "documents": drawn[:n]}

    def tag_members(self, industry: str, multi_label: bool = False) -> dict[str, Any]:
        """Tag the members no branch's parts or marks reach with :func:`ipcockpit.navigation.tagger.tag`, learning
        from the branch marks; their branches are written to ``nav_members`` (each of their rows, its reason kept,
        once per branch the tagger gives). Returns how many were tagged, the documents per branch and each
        document's branches."""
        examples = br.examples(self.con, industry)
        if len({b for _, b in examples}) < 2:
            raise AnalystError(f"the tagger learns from marks: mark documents of at least two branches of "
                               f"'{industry}' first (now {len(examples)} marks)")
        from ipcockpit.navigation import tagger

        branches = self._branches(industry)
        ind.resolve(self.con, self.definition(industry), index_folder=self._index())
        br.assign(self.con, industry, branches)
        untagged = [r[0] for r in self.con.execute(
            f"SELECT DISTINCT doc_id FROM {ind.MEMBERS} GROUP BY doc_id HAVING count(branch) = 0 ORDER BY doc_id"
        ).fetchall()]
        texts = self._texts(untagged)
        ids = [d for d in untagged if d in texts]
        # the tree helps the tagger: parents as extra columns, names as evidence, the leaves (and the marked
        # branches) as what it may give (docs/navigation.md "Tagger")
        inner = {b.parent for b in branches if b.parent}
        allowed = sorted({b.id for b in branches if b.id not in inner} | {b for _, b in examples})
        got = tagger.tag([texts[d] for d in ids], examples, multi_label=multi_label, branches=allowed,
                         parents={b.id: b.parent for b in branches if b.parent},
                         descriptions={b.id: b.name_zh for b in branches if b.name_zh}) if ids else []
        assigned = {d: ([g] if isinstance(g, str) else [x for x in (g or []) if x]) for d, g in zip(ids, got,
                                                                                                    strict=True)}
        pairs = [(d, b) for d, bs in assigned.items() for b in bs]
        if pairs:
            tagged = pa.table({"doc_id": [p[0] for p in pairs], "branch": [p[1] for p in pairs]},
                              schema=pa.schema([("doc_id", pa.string()), ("branch", pa.string())]))
            self.con.register("_nav_tagged", tagged)
            try:  # the tagged members keep their reasons, one row per branch
                self.con.execute(f"CREATE OR REPLACE TEMP TABLE {ind.MEMBERS} AS SELECT m.doc_id, "
                                 f"coalesce(m.branch, t.branch) AS branch, m.reason FROM {ind.MEMBERS} m "
                                 "LEFT JOIN _nav_tagged t ON t.doc_id = m.doc_id AND m.branch IS NULL "
                                 "ORDER BY 1, 2, 3")
            finally:
                self.con.unregister("_nav_tagged")
        per: dict[str, int] = defaultdict(int)
        for _, b in pairs:
            per[b] += 1
        return {"industry": industry, "untagged": len(untagged), "without_text": len(untagged) - len(ids),
                "tagged": sum(1 for bs in assigned.values() if bs), "examples": len(examples),
                "per_branch": dict(sorted(per.items(), key=lambda x: (-x[1], x[0]))), "documents": assigned}
