"""The passage a search result shows: the bounded choice against the choice that embeds every candidate.

For distinct queries drawn as ``bench/web_load.py --search`` draws them (the store's own Chinese and English
words, phrases, titles, claims and publication numbers; ``--seed``, no repeats), each search of the store
(limit 20, as the search page asks) is made with what ships (:func:`ipcockpit.search.hybrid._passages`:
the window with the most query terms, near-ties by cosine within the window budget), and each of its
results' passage is compared with the one the earlier rule chose: all (up to 4) candidate windows of every
result embedded, the best by ``0.5 overlap + 0.5 calibrated cosine``. The CPU of each search (this process,
nothing kept between queries but the opened index) is printed per kind of query, and a few of the
differences.

Last line: ``RESULT queries=<int> results=<int> same_passage=<float>``. Run:
``.venv/bin/python bench/passage_choice.py --db <an indexed store, e.g. the demo's>``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import duckdb  # noqa: E402
from web_load import MIX, query_mix  # noqa: E402

from ipcockpit.search import embedding as emb  # noqa: E402
from ipcockpit.search import hybrid  # noqa: E402
from ipcockpit.search import passages as psg  # noqa: E402


def earlier_choice(state: hybrid._State, terms: list[str], doc_id: str, qvecs: dict) -> str | None:
    """The passage as it was chosen before the window budget: every candidate embedded."""
    cands = psg.candidates(terms, state.lexical.texts([doc_id]).get(doc_id, "").split("\n"))
    space = str(state.man["space"][state.pos[doc_id]])
    if not cands or space not in qvecs:
        return cands[0][0] if cands else None
    cos = emb.embed([w for w, _ in cands], space=space, threads=1) @ qvecs[space]
    return psg.best_window(cands, [float(c) for c in cos], space)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="an indexed store (its index folder beside it)")
    ap.add_argument("--queries", type=int, default=150, help="distinct queries")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    db = Path(args.db)
    folder = db.with_suffix(".index")
    con = duckdb.connect(str(db), read_only=True)
    asks = list(dict.fromkeys(query_mix(con, args.queries * 3, args.seed, 0.0, MIX)))[: args.queries]
    state = hybrid._state(folder)
    hybrid.search_results(con, folder, "预热 warm-up", limit=20)  # models and the segmenter loaded
    cpu: dict[str, list[float]] = defaultdict(list)
    same: dict[str, list[bool]] = defaultdict(list)
    differences = []
    for kind, q in asks:
        hybrid.clear_caches()
        t = time.process_time()
        page = hybrid.search_results(con, folder, q, limit=20)
        cpu[kind].append((time.process_time() - t) * 1000)
        like = page["number"]["doc_id"] if page["number"] else None
        text = hybrid._doc_text(con, like) if like else q
        ranking = hybrid._rank(con, state, text, {}, "hybrid", max(hybrid.TOP_N, 20), like)
        terms = psg.query_terms(text)
        for r in page["results"]:
            before = earlier_choice(state, terms, r["doc_id"], ranking.qvecs)
            same[kind].append(before == r["passage"])
            if before != r["passage"]:
                differences.append((kind, q, r["doc_id"], before, r["passage"],
                                    psg.overlap(terms, r["passage"] or "") - psg.overlap(terms, before or "")))
    n = sum(len(v) for v in same.values())
    equal = sum(sum(v) for v in same.values())
    print(f"{len(asks)} distinct queries (seed {args.seed}), {n} results")
    for kind in MIX:
        if cpu.get(kind):
            print(f"  {kind:9} {len(cpu[kind]):3} queries  CPU per search mean {statistics.mean(cpu[kind]):6.1f} ms, "
                  f"median {statistics.median(cpu[kind]):6.1f} ms;  same passage {sum(same[kind])}/{len(same[kind])}")
    more = sum(1 for d in differences if d[5] > 1e-9)
    fewer = sum(1 for d in differences if d[5] < -1e-9)
    print(f"  {len(differences)} differ: the passage now holds more query terms in {more}, fewer in {fewer}, "
          f"as many in {len(differences) - more - fewer}")
    for kind, q, doc, before, now, _ in random.Random(args.seed).sample(differences, min(5, len(differences))):
        print(f"  [{kind}] {q[:50]!r} {doc}\n     before: {(before or '')[:140]!r}\n     now:    {(now or '')[:140]!r}")
    print(f"RESULT queries={len(asks)} results={n} same_passage={equal / max(n, 1):.3f}")


if __name__ == "__main__":
    main()
