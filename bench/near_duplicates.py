"""Near-duplicate abstracts (issue 19): MinHash/LSH recall and speed against an exact all-pairs count.

    python bench/near_duplicates.py --docs N [--anchors M] [--work DIR]

The Chinese abstracts of ../shared/data/cn (abstracts_cpc_liaoleyuan, the CN lines of abstracts_multilang_ipc,
cnki_export_sysu, cnki_export, table_export_sample: 15,152 ``zh`` abstracts once ingested) are loaded by the real
ingesters (``Cockpit.ingest``, into ``--work``, once; not timed), and the store's ``documents``, ``texts`` (the
``zh`` abstracts) and ``parties`` are copied into an in-memory DuckDB, the first ``--docs`` of them (by doc_id).
Beyond 15,152, synthetic abstracts are added, each made of 3–6 sentences (split at 。；) of random real abstracts;
1% of them are planted near-copies of another abstract (1–4 characters replaced, another application) and 0.5%
are a second publication (kind B) of an earlier synthetic application with its abstract unchanged.

``near_duplicates(con)`` (16 bands × 4 rows) is timed (``seconds``). The exact count is a brute-force all-pairs
intersection of the shingle sets of ``--anchors`` random abstracts (all of them when ``--docs`` ≤ anchors) against
every abstract (a sparse product: every pair's intersection counted), then the exact Jaccard of the string shingle
sets for those that can reach 0.8; ``exact_seconds`` is its time scaled to all N(N−1)/2 pairs. ``recall`` is the
share of the exact cross-application pairs ≥ 0.8 that involve an anchor which LSH found. The script fails when LSH
returns a pair of publications of the same application. With ``--datasketch K`` the first K abstracts are also
MinHashed and LSH-indexed with datasketch (same 16 × 4) and its time printed beside ours.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
from scipy import sparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ipcockpit.signals.near_duplicates import (  # noqa: E402
    _char_hashes,
    jaccard,
    near_duplicates,
    normalise,
    shingles,
)

SETS = ["abstracts_cpc_liaoleyuan", "abstracts_multilang_ipc", "cnki_export_sysu", "cnki_export",
        "table_export_sample"]
THRESHOLD = 0.8


def ingest(work: Path, data: Path) -> Path:
    from ipcockpit.app import Cockpit
    from ipcockpit.settings import Settings

    path = work / "cn_abstracts.duckdb"
    if not (work / "cn_abstracts.done").exists():
        path.unlink(missing_ok=True)
        with Cockpit(Settings(db=str(path))) as c:
            c.ingest([data / s for s in SETS])
        (work / "cn_abstracts.done").write_text("ok")
    return path


def build(store: Path, docs: int, seed: int) -> tuple[duckdb.DuckDBPyConnection, int]:
    con = duckdb.connect()
    con.execute(f"ATTACH '{store}' AS s (READ_ONLY)")
    con.execute("""CREATE TABLE texts AS SELECT * FROM s.texts WHERE kind = 'abstract' AND lang = 'zh'
                   AND length(text) >= 30 ORDER BY doc_id LIMIT ?""", [docs])
    con.execute("CREATE TABLE documents AS SELECT * FROM s.documents WHERE doc_id IN (SELECT doc_id FROM texts)")
    con.execute("CREATE TABLE parties AS SELECT * FROM s.parties WHERE doc_id IN (SELECT doc_id FROM texts)")
    con.execute("DETACH s")
    real = con.execute("SELECT count(*) FROM texts").fetchone()[0]
    if docs > real:
        synthesise(con, docs - real, seed)
    return con, real


def synthesise(con: duckdb.DuckDBPyConnection, extra: int, seed: int) -> None:
    rng = random.Random(seed)
    pool = [s for (t,) in con.execute("SELECT text FROM texts").fetchall() for s in re.split(r"(?<=[。；])", t)
            if len(s) >= 8]
    texts: list[str] = []
    ids: list[tuple[str, str, str]] = []  # doc_id, number, kind
    sample = con.execute("SELECT text FROM texts").fetchall()
    for n in range(extra):
        r = rng.random()
        number = f"9{n:08d}"
        if r < 0.005 and texts:  # a B publication of an earlier synthetic application: same abstract
            m = rng.randrange(len(texts))
            if ids[m][2] == "A":
                ids.append((f"CN{ids[m][1]}B", ids[m][1], "B"))
                texts.append(texts[m])
                continue
        if r < 0.015:  # a planted near-copy (another application) of a real or synthetic abstract
            src = texts[rng.randrange(len(texts))] if texts and rng.random() < 0.5 else rng.choice(sample)[0]
            chars = list(src)
            for _ in range(rng.randint(1, 4)):
                chars[rng.randrange(len(chars))] = chr(0x4E00 + rng.randrange(20000))
            text = "".join(chars)
        else:
            text = "".join(rng.choice(pool) for _ in range(rng.randint(3, 6)))
        ids.append((f"CN{number}A", number, "A"))
        texts.append(text)
    import pyarrow as pa

    docs = pa.table({"doc_id": [i[0] for i in ids], "office": ["CN"] * len(ids), "number": [i[1] for i in ids],
                     "kind": [i[2] for i in ids], "app_id": [f"CN{i[1]}" for i in ids]})
    tx = pa.table({"doc_id": [i[0] for i in ids], "kind": ["abstract"] * len(ids), "lang": ["zh"] * len(ids),
                   "text": texts})
    con.register("new_docs", docs)
    con.register("new_texts", tx)
    con.execute("INSERT INTO documents BY NAME SELECT * FROM new_docs")
    con.execute("INSERT INTO texts BY NAME SELECT * FROM new_texts")
    con.unregister("new_docs")
    con.unregister("new_texts")


def exact(con: duckdb.DuckDBPyConnection, anchors: int, seed: int) -> tuple[set[tuple[str, str]], float, int]:
    """Cross-application pairs with Jaccard ≥ 0.8 that involve an anchor, by brute force; seconds scaled to all
    pairs; the number of anchors."""
    rows = con.execute("""SELECT t.doc_id, t.text, coalesce(d.app_id, d.office || d.number, t.doc_id)
                          FROM texts t JOIN documents d USING (doc_id) ORDER BY t.doc_id""").fetchall()
    n = len(rows)
    rng = np.random.default_rng(seed)
    chosen = np.arange(n) if anchors >= n else np.sort(rng.choice(n, anchors, replace=False))
    start = time.perf_counter()
    hashes, counts = _char_hashes([normalise(r[1]) for r in rows], 5)
    doc = np.repeat(np.arange(n), counts)
    in_anchor = np.zeros(n, bool)
    in_anchor[chosen] = True
    vocab = np.unique(hashes[in_anchor[doc]])
    pos = np.searchsorted(vocab, hashes)
    pos[pos == len(vocab)] = 0
    hit = vocab[pos] == hashes
    key = np.unique(doc[hit].astype(np.int64) * len(vocab) + pos[hit])
    d, v = key // len(vocab), key % len(vocab)
    postings = sparse.csr_matrix((np.ones(len(d), np.int32), (v, d)), shape=(len(vocab), n))
    sizes = np.bincount(d, minlength=n)  # distinct anchor-vocabulary shingles: exact for the anchors
    xa = postings.T.tocsr()[chosen]
    found: set[tuple[str, str]] = set()
    sets: dict[int, set[str]] = {}
    block = max(1, 2_000_000 // max(n, 1))
    for b0 in range(0, len(chosen), block):
        inter = (xa[b0:b0 + block] @ postings).tocoo()
        need = inter.data >= THRESHOLD * sizes[chosen[b0 + inter.row]]
        for r, j in zip(inter.row[need].tolist(), inter.col[need].tolist(), strict=True):
            i = int(chosen[b0 + r])
            if i == j or rows[i][2] == rows[j][2]:
                continue
            for x in (i, j):
                if x not in sets:
                    sets[x] = shingles(rows[x][1], "zh")
            if jaccard(sets[i], sets[j]) >= THRESHOLD:
                a, b = sorted((rows[i][0], rows[j][0]))
                found.add((a, b))
    took = time.perf_counter() - start
    measured = len(chosen) * (n - 1)
    return found, took * (n * (n - 1) / 2) / max(measured, 1), len(chosen)


def datasketch_time(con: duckdb.DuckDBPyConnection, k: int) -> tuple[float, float]:
    from datasketch import MinHash, MinHashLSH

    texts = [t for (t,) in con.execute("SELECT text FROM texts ORDER BY doc_id LIMIT ?", [k]).fetchall()]
    start = time.perf_counter()
    lsh = MinHashLSH(num_perm=64, params=(16, 4))
    for n, t in enumerate(texts):
        m = MinHash(num_perm=64)
        m.update_batch([s.encode() for s in shingles(t, "zh")])
        lsh.insert(str(n), m)
    theirs = time.perf_counter() - start
    sub = duckdb.connect()
    sub.register("t", con.sql(f"SELECT * FROM texts ORDER BY doc_id LIMIT {int(k)}").to_arrow_table())
    sub.execute("CREATE TABLE texts AS SELECT * FROM t")
    sub.register("d", con.sql("SELECT * FROM documents WHERE doc_id IN (SELECT doc_id FROM texts "
                              f"ORDER BY doc_id LIMIT {int(k)})").to_arrow_table())
    sub.execute("CREATE TABLE documents AS SELECT * FROM d")
    sub.execute("CREATE TABLE parties AS SELECT * FROM (SELECT NULL::VARCHAR doc_id, 0 seq, ''::VARCHAR role, "
                "''::VARCHAR name_raw) WHERE false")
    start = time.perf_counter()
    near_duplicates(sub, THRESHOLD, with_pairs=False)
    return theirs, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=15152)
    ap.add_argument("--anchors", type=int, default=20000)
    ap.add_argument("--datasketch", type=int, default=0, help="also time datasketch on the first K abstracts")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ipcockpit_bench_neardup")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "cn")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if not args.data.exists():
        args.data = Path("/work/shared/data/cn")
    args.work.mkdir(parents=True, exist_ok=True)
    con, real = build(ingest(args.work, args.data), args.docs, args.seed)
    n = con.execute("SELECT count(*) FROM texts").fetchone()[0]
    print(f"abstracts: {n} ({real} real zh abstracts, {n - real} synthetic)", flush=True)
    result = near_duplicates(con, THRESHOLD, spans=False)
    seconds = result["seconds"]["total"]
    print(f"near_duplicates: {seconds:.2f} s {result['seconds']}; candidates {result['candidates']} "
          f"(same application {result['same_application_candidates']}, under the estimate floor "
          f"{result['below_floor']}), pairs {result['pairs']}, "
          f"clusters {len(result['clusters'])}", flush=True)
    apps = dict(con.execute("SELECT doc_id, coalesce(app_id, office || number, doc_id) FROM documents").fetchall())
    lsh = {tuple(sorted((p["a"], p["b"]))) for c in result["clusters"] for p in c["pairs"]}
    same = [p for p in lsh if apps[p[0]] == apps[p[1]]]
    if same:
        raise SystemExit(f"LSH returned {len(same)} pairs of one application, e.g. {same[:3]}")
    truth, exact_seconds, m = exact(con, args.anchors, args.seed)
    recall = len(truth & lsh) / len(truth) if truth else 1.0
    print(f"exact: {len(truth)} cross-application pairs >= {THRESHOLD} involving {m} anchors; "
          f"LSH found {len(truth & lsh)}; extrapolated all-pairs {exact_seconds:.1f} s; "
          f"same-application pairs returned: 0", flush=True)
    if args.datasketch:
        theirs, ours = datasketch_time(con, args.datasketch)
        print(f"datasketch MinHash+MinHashLSH on {args.datasketch}: {theirs:.2f} s; "
              f"near_duplicates (numpy) on the same: {ours:.2f} s; ratio {theirs / ours:.1f}x", flush=True)
    print(f"RESULT docs={n} seconds={seconds:.3f} recall={recall:.4f} exact_seconds={exact_seconds:.3f}")


if __name__ == "__main__":
    main()
