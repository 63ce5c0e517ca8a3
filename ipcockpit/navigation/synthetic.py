"""Synthetic member documents fitted to a real store, for measuring the navigation analyses at scale.

:func:`fit` reads what the analyses depend on from a store holding real data and an industry's members table:

* the joint frequencies of (office, filing year, document type, stage) of the member documents;
* the branches' frequencies, and per branch the frequencies of its IPC codes;
* the applicants of the member documents (raw and folded name, country, GB/T 2260 code, as stored) with the number
  of documents each holds, and how many applicants a document has;
* the legal events' classes per document (the share of documents with at least one event, and the classes of
  their events).

:func:`synthesise` draws ``n`` documents from that: each document's (office, year, type, stage) as a pair, its
branch and IPC code, its applicants (from the pool, by their document counts; the pool is copied ``ceil(n /
real)`` times with a copy number added to each name, so the number of applicants grows with the corpus as it
does in real data), and its legal events. It writes ``documents``, ``parties``, ``classifications``,
``legal_events`` and the members table into a store made by :class:`ipcockpit.app.Cockpit` (so every other table
exists, empty). The columns are drawn independently of each other except where stated (an applicant keeps its
own region). Deterministic for a seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa


@dataclass
class Model:
    docs: list[tuple[Any, ...]]  # (office, year, doc_type, stage)
    doc_weights: np.ndarray
    branches: list[str]
    branch_weights: np.ndarray
    codes: dict[str, tuple[list[str], np.ndarray]]
    applicants: list[tuple[Any, ...]]  # (name_raw, name_norm, country, admin_code, province, city, district)
    applicant_weights: np.ndarray
    per_doc: np.ndarray  # applicants per document: values 1..k
    per_doc_weights: np.ndarray
    event_share: float
    event_classes: list[str]
    event_weights: np.ndarray
    real_documents: int


def _weights(values: list[int]) -> np.ndarray:
    w = np.asarray(values, dtype=float)
    return w / w.sum() if w.sum() else w


def fit(con: duckdb.DuckDBPyConnection, members: str = "nav_members") -> Model:
    """The distributions of the members of ``members`` in the store of ``con`` (see the module)."""
    ids = f"(SELECT doc_id FROM {members})"
    docs = con.execute(
        "SELECT office, year(coalesce(app_date, priority_date, pub_date)) AS y, doc_type, stage, count(*) "
        f"FROM documents WHERE NOT coalesce(stub, false) AND doc_id IN {ids} GROUP BY ALL ORDER BY ALL").fetchall()
    if not docs:
        raise ValueError(f"{members} has no member document with a record: nothing to fit")
    branches = con.execute(f"SELECT branch, count(*) FROM {members} WHERE branch IS NOT NULL "
                           "GROUP BY branch ORDER BY branch").fetchall()
    codes: dict[str, tuple[list[str], np.ndarray]] = {}
    rows = con.execute(f"SELECT m.branch, c.code, count(*) FROM {members} m JOIN classifications c USING (doc_id) "
                       "WHERE c.scheme = 'IPC' AND starts_with(c.code, m.branch) GROUP BY ALL ORDER BY ALL").fetchall()
    for branch, code, n in rows:
        codes.setdefault(branch, ([], []))  # type: ignore[arg-type]
        codes[branch][0].append(code)
        codes[branch][1].append(n)  # type: ignore[union-attr]
    codes = {b: (c, _weights(w)) for b, (c, w) in codes.items()}  # type: ignore[arg-type]
    roles = "('applicant', 'patentee', 'assignee')"
    apps = con.execute(
        "SELECT name_raw, name_norm, country, admin_code, province, city, district, count(DISTINCT doc_id) "
        f"FROM parties WHERE role IN {roles} AND doc_id IN {ids} AND coalesce(name_norm, '') <> '' "
        "GROUP BY ALL ORDER BY ALL").fetchall()
    per_doc = con.execute(
        f"SELECT k, count(*) FROM (SELECT doc_id, count(DISTINCT name_norm) AS k FROM parties WHERE role IN {roles} "
        f"AND doc_id IN {ids} AND coalesce(name_norm, '') <> '' GROUP BY doc_id) GROUP BY k ORDER BY k").fetchall()
    [(with_events, event_docs)] = con.execute(
        "SELECT count(DISTINCT doc_id), (SELECT count(DISTINCT doc_id) FROM legal_events) FROM legal_events "
        f"WHERE doc_id IN {ids}").fetchall()
    if with_events:
        classes = con.execute(f"SELECT event_class, count(*) FROM legal_events WHERE doc_id IN {ids} "
                              "GROUP BY ALL ORDER BY ALL").fetchall()
    else:
        # the members have no event: the classes of the store's events, on the share of its documents with one
        classes = con.execute("SELECT event_class, count(*) FROM legal_events GROUP BY ALL ORDER BY ALL").fetchall()
    real = sum(r[-1] for r in docs)
    stored = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    share = with_events / real if with_events else (event_docs / stored if stored else 0.0)
    return Model(
        docs=[r[:4] for r in docs], doc_weights=_weights([r[4] for r in docs]),
        branches=[b for b, _ in branches], branch_weights=_weights([n for _, n in branches]), codes=codes,
        applicants=[r[:7] for r in apps], applicant_weights=_weights([r[7] for r in apps]),
        per_doc=np.asarray([k for k, _ in per_doc] or [1]), per_doc_weights=_weights([n for _, n in per_doc] or [1]),
        event_share=min(float(share), 1.0), event_classes=[c or "other" for c, _ in classes],
        event_weights=_weights([n for _, n in classes]), real_documents=int(real))


def synthesise(con: duckdb.DuckDBPyConnection, model: Model, n: int, members: str = "nav_members",
               seed: int = 0) -> dict[str, int]:
    """Write ``n`` synthetic documents drawn from ``model`` into the store of ``con`` (documents, parties,
    classifications, legal_events and the table ``members``); returns the rows written per table."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("SY", np.arange(n).astype(str))
    pick = rng.choice(len(model.docs), size=n, p=model.doc_weights)
    office = np.array([model.docs[i][0] for i in pick], dtype=object)
    year = np.array([model.docs[i][1] for i in pick], dtype=object)
    doc_type = [model.docs[i][2] for i in pick]
    stage = [model.docs[i][3] for i in pick]
    day = rng.integers(0, 365, size=n)
    app_date = [date(int(y), 1, 1) + timedelta(days=int(d)) if y is not None else None
                for y, d in zip(year, day, strict=True)]
    pub_date = [a + timedelta(days=540) if a is not None else None for a in app_date]
    grant = [p + timedelta(days=365) if p is not None and s == "grant" else None
             for p, s in zip(pub_date, stage, strict=True)]
    documents = pa.table({
        "doc_id": pa.array(ids.tolist(), pa.string()), "office": pa.array(office.tolist(), pa.string()),
        "number": pa.array([i[2:] for i in ids.tolist()], pa.string()), "doc_type": pa.array(doc_type, pa.string()),
        "stage": pa.array(stage, pa.string()), "app_id": pa.array(ids.tolist(), pa.string()),
        "app_date": pa.array(app_date, pa.date32()), "pub_date": pa.array(pub_date, pa.date32()),
        "grant_date": pa.array(grant, pa.date32()),
        "title": pa.array([f"synthetic {i}" for i in range(n)], pa.string()),
        "stub": pa.array([False] * n, pa.bool_()), "file_id": pa.array(["synthetic"] * n, pa.string())})
    # branch and IPC code
    b_idx = rng.choice(len(model.branches), size=n, p=model.branch_weights)
    branch = [model.branches[i] for i in b_idx]
    code = []
    for b in branch:
        cs, w = model.codes.get(b, ([b], np.asarray([1.0])))
        code.append(cs[int(rng.choice(len(cs), p=w))] if len(cs) > 1 else cs[0])
    classifications = pa.table({
        "doc_id": pa.array(ids.tolist(), pa.string()), "scheme": pa.array(["IPC"] * n, pa.string()),
        "code": pa.array(code, pa.string()), "main": pa.array([True] * n, pa.bool_()),
        "seq": pa.array([0] * n, pa.int32()), "file_id": pa.array(["synthetic"] * n, pa.string())})
    nav = pa.table({"doc_id": pa.array(ids.tolist(), pa.string()), "branch": pa.array(branch, pa.string()),
                    "reason": pa.array([f"ipc:{b}" for b in branch], pa.string())})
    # applicants: k per document from the pool, the pool copied so that it grows with n
    k = rng.choice(model.per_doc, size=n, p=model.per_doc_weights)
    total = int(k.sum())
    owner = np.repeat(np.arange(n), k)
    seq = np.concatenate([np.arange(x) for x in k]) if n else np.zeros(0, int)
    who = rng.choice(len(model.applicants), size=total, p=model.applicant_weights) if model.applicants else None
    copies = max(1, math.ceil(n / max(model.real_documents, 1)))
    copy = rng.integers(0, copies, size=total)
    if who is None:
        parties = None
    else:
        a = model.applicants
        suffix = ["" if c == 0 else f" #{c}" for c in copy]
        parties = pa.table({
            "doc_id": pa.array(ids[owner].tolist(), pa.string()), "seq": pa.array(seq.tolist(), pa.int32()),
            "role": pa.array(["applicant"] * total, pa.string()),
            "name_raw": pa.array([a[i][0] + s for i, s in zip(who, suffix, strict=True)], pa.string()),
            "name_norm": pa.array([a[i][1] + s for i, s in zip(who, suffix, strict=True)], pa.string()),
            "country": pa.array([a[i][2] for i in who], pa.string()),
            "admin_code": pa.array([a[i][3] for i in who], pa.string()),
            "province": pa.array([a[i][4] for i in who], pa.string()),
            "city": pa.array([a[i][5] for i in who], pa.string()),
            "district": pa.array([a[i][6] for i in who], pa.string()),
            "file_id": pa.array(["synthetic"] * total, pa.string())})
    # legal events
    has = np.flatnonzero(rng.random(n) < model.event_share) if model.event_classes else np.zeros(0, int)
    cls = rng.choice(len(model.event_classes), size=len(has), p=model.event_weights) if len(has) else []
    events = pa.table({
        "doc_id": pa.array(ids[has].tolist(), pa.string()),
        "event_date": pa.array([pub_date[i] for i in has], pa.date32()),
        "office": pa.array(office[has].tolist(), pa.string()),
        "event_class": pa.array([model.event_classes[c] for c in cls], pa.string()),
        "file_id": pa.array(["synthetic"] * len(has), pa.string())})
    written: dict[str, int] = {}
    for name, table in (("documents", documents), ("classifications", classifications), ("parties", parties),
                        ("legal_events", events)):
        if table is None:
            continue
        con.register("_syn", table)
        try:
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _syn")
        finally:
            con.unregister("_syn")
        written[name] = table.num_rows
    con.register("_syn", nav)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {members} AS SELECT * FROM _syn")
    finally:
        con.unregister("_syn")
    written[members] = nav.num_rows
    return written
