"""The explorer's expand on a built graph: the in-memory index against the Parquet scan, side by side.

For the nodes asked for (``--nodes N``: the N non-family nodes with most documents and N drawn at random, seed
17) under each filter of :data:`FILTERS`, the same call is answered by :func:`ipcockpit.graph.explore.
neighbourhood` (the graph held in memory: :mod:`ipcockpit.graph.explore_index`) and by
:func:`ipcockpit.graph.explore.neighbourhood_scan` (DuckDB over the Parquet files, as before the index); the
answers must be equal (the bench stops at the first that is not). Printed: the index's first read (once per
build; it includes reading the Parquet files), then each way's median, p95 and max per call, and the ratio of
the medians (measured side by side, one call after the other: it stands up to a loaded machine better than the
milliseconds do).

Goal (issue 17, the explorer page): an expand well under 200 ms. Last line:
``RESULT calls=<int> load_seconds=<float> median_ms=<float> p95_ms=<float> scan_median_ms=<float> ratio=<float>``.
Run: ``.venv/bin/python bench/graph_explore.py --graph DIR [--nodes 5]`` (DIR: a folder ``ipcockpit graph build``
wrote, e.g. ``var/ipcockpit.graph``).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ipcockpit.graph.explore import neighbourhood, neighbourhood_scan  # noqa: E402
from ipcockpit.graph.explore_index import forget, graph_index  # noqa: E402

FILTERS = ({}, {"depth": 2, "limit": 100}, {"year_from": 2015}, {"year_to": 2012, "depth": 2}, {"ipc": "A61K"},
           {"sei": "4", "depth": 2}, {"relationships": ["invent", "co_invent"], "depth": 3, "limit": 50},
           {"limit": 1})


def _ms(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    return (1000 * statistics.median(ordered), 1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
            1000 * ordered[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graph", required=True, help="a built graph's folder (nodes.parquet, edges.parquet)")
    ap.add_argument("--nodes", type=int, default=5, help="top nodes and random nodes each (default 5)")
    args = ap.parse_args()
    folder = Path(args.graph)
    nodes = f"read_parquet('{folder / 'nodes.parquet'}')"
    ids = [r[0] for r in duckdb.sql(f"SELECT id FROM {nodes} WHERE label <> 'family' ORDER BY documents DESC, id "
                                    f"LIMIT {int(args.nodes)}").fetchall()]
    every = [r[0] for r in duckdb.sql(f"SELECT id FROM {nodes} ORDER BY id").fetchall()]
    ids += random.Random(17).sample(every, min(int(args.nodes), len(every)))
    forget()
    t = time.perf_counter()
    graph_index(folder)
    load = time.perf_counter() - t
    print(f"index read once: {load:.2f} s ({len(every):,} nodes)")
    fast: list[float] = []
    scan: list[float] = []
    for node in ids:
        for f in FILTERS:
            t = time.perf_counter()
            a = neighbourhood(folder, node, **f)
            fast.append(time.perf_counter() - t)
            t = time.perf_counter()
            b = neighbourhood_scan(folder, node, **f)
            scan.append(time.perf_counter() - t)
            if a != b:
                sys.exit(f"different answers for {node!r} {f}: {len(a['nodes'])} / {len(b['nodes'])} nodes")
    med, p95, top = _ms(fast)
    smed, sp95, stop = _ms(scan)
    print(f"{len(fast)} calls, equal answers; index: median {med:.1f} ms, p95 {p95:.1f}, max {top:.1f}; "
          f"scan: median {smed:.1f} ms, p95 {sp95:.1f}, max {stop:.1f}")
    print(f"RESULT calls={len(fast)} load_seconds={load:.3f} median_ms={med:.2f} p95_ms={p95:.2f} "
          f"scan_median_ms={smed:.2f} ratio={smed / med:.1f}")


if __name__ == "__main__":
    main()
