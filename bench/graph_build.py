"""The knowledge graph of all the shared data: build time, against a copy of its source tables to Parquet.

1. The store. ``--db FILE``: an existing store (opened read-only, nothing written to it); else every file of
   the shared data folder is ingested into a new store in a temporary folder, as bench/shared_screening.py
   does (reference tables first); its time is printed, not counted.
2. Build (:func:`ipcockpit.graph.build.build_graph`): the node and edge lists into Parquet, each stage timed.
   ``--repeat N`` builds N times; the median counts.
3. Baseline, in the same process right after each build: DuckDB copying the tables the graph reads
   (documents, family_members, parties, inventors, classifications, citations, legal_events) to Parquet, as
   ``Store.export_parquet`` does. The ratio (build / copy) is measured side by side, so it stands up to a
   loaded machine better than the seconds do.
4. Analysis on the built graph, informative: Leiden communities and centrality of the collaboration graph.

Goal (issue 17): the graph of all shared data built in at most 60 s. Last line:
``RESULT nodes=<int> edges=<int> baseline_seconds=<float> ratio=<float> seconds=<float>``. Run:
``.venv/bin/python bench/graph_build.py [--db FILE] [--repeat 3] [--threads 2]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from ipcockpit.graph.analysis import centrality, communities  # noqa: E402
from ipcockpit.graph.build import build_graph, read_graph  # noqa: E402

SOURCE_TABLES = ("documents", "family_members", "parties", "inventors", "classifications", "citations",
                 "legal_events")


def make_store(folder: Path) -> Path:
    import shared_screening

    db = folder / "shared.duckdb"
    t = time.perf_counter()
    shared_screening.ingest(db, shared_screening.shared_data(), [])
    print(f"store built from the shared data in {time.perf_counter() - t:.1f} s (not counted)", flush=True)
    return db


def copy_tables(con: duckdb.DuckDBPyConnection, folder: Path) -> float:
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    for table in SOURCE_TABLES:
        con.execute(f"COPY (SELECT * FROM {table}) TO '{folder / (table + '.parquet')}' (FORMAT parquet)")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="an existing store (default: build one from the shared data)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="graph-bench-") as tmp:
        root = Path(tmp)
        db = Path(args.db) if args.db else make_store(root)
        con = duckdb.connect(str(db), read_only=True)
        con.execute(f"SET threads = {args.threads}")
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in SOURCE_TABLES}
        print(f"store {db}: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()), flush=True)
        builds, copies = [], []
        summary: dict = {}
        for i in range(args.repeat):
            summary = build_graph(con, root / "graph")
            builds.append(summary["seconds"])
            copies.append(copy_tables(con, root / f"copy{i}"))
            stages = ", ".join(f"{k} {v:.2f}" for k, v in summary["stages"].items())
            print(f"build {i + 1}: {builds[-1]:.2f} s ({stages}); copy of the source tables {copies[-1]:.2f} s; "
                  f"ratio {builds[-1] / copies[-1]:.2f}", flush=True)
        print(f"nodes {summary['nodes']:,}: " + ", ".join(f"{k} {v:,}" for k, v in summary["by_label"].items()))
        print(f"edges {summary['edges']:,}: " + ", ".join(f"{k} {v:,}" for k, v in summary["by_relationship"].items()))
        print(f"events without a counterparty (no edge): {summary['events_without_counterparty']:,}")
        nodes, edges = read_graph(root / "graph")
        t = time.perf_counter()
        comm = communities(nodes, edges, top=3)
        t_comm = time.perf_counter() - t
        t = time.perf_counter()
        cent = centrality(nodes, edges, top=3)
        t_cent = time.perf_counter() - t
        print(f"communities (co_invent + co_apply, {comm['nodes']:,} nodes, {comm['edges']:,} edges): "
              f"{comm['count']:,}, modularity {comm['modularity']}, {t_comm:.1f} s; centrality {t_cent:.1f} s "
              f"(betweenness cutoff {cent['betweenness_cutoff']})")
        con.close()
        seconds = statistics.median(builds)
        baseline = statistics.median(copies)
        ratios = [b / c for b, c in zip(builds, copies, strict=True)]
        print(f"RESULT nodes={summary['nodes']} edges={summary['edges']} baseline_seconds={baseline:.3f} "
              f"ratio={statistics.median(ratios):.2f} seconds={seconds:.3f}")


if __name__ == "__main__":
    main()
