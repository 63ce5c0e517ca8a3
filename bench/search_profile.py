"""Where a first-time search's time goes: the web app in-process (Starlette's TestClient, no socket), the load
bench's query mix, every query asked once, profiled with cProfile.

The store is an indexed store (``--db``, e.g. the demo store of ``make demo``); the queries are
``bench/web_load.py``'s mix (``--seed`` 14, repeats left out: a repeat is a kept page). Each query goes
through ``GET /api/search?q=...&limit=20`` as the load bench sends it, after one warm-up search (models and
indexes loaded). Prints the CPU per search (``time.thread_time``: this thread's CPU, so other jobs on the
machine inflate it less than the wall time), the functions with the most own time and the most cumulative
time, and with ``--digest FILE`` writes each answer's JSON digest (to check that a change leaves every
answer as it was: compare two files). Last line: ``RESULT queries=<int> cpu_ms_per_search=<float>
wall_ms_per_search=<float>``. Run: ``.venv/bin/python bench/search_profile.py --db var/ipcockpit.duckdb``.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import pstats
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="an indexed store (its index folder beside it)")
    ap.add_argument("--queries", type=int, default=150, help="distinct first-time queries")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--top", type=int, default=25, help="functions listed")
    ap.add_argument("--digest", help="write each answer's digest (JSON lines) to this file")
    ap.add_argument("--no-profile", action="store_true", help="time only (cProfile adds its own overhead)")
    args = ap.parse_args()

    import duckdb
    from starlette.testclient import TestClient
    from web_load import MIX, query_mix  # type: ignore[import-not-found]

    from ipcockpit.settings import Settings
    from ipcockpit.web.server import create_app

    with duckdb.connect(args.db, read_only=True) as con:
        drawn = query_mix(con, args.queries * 3, args.seed, 0.0, dict(MIX))
    seen: set[str] = set()
    queries = [q for _, q in drawn if not (q in seen or seen.add(q))][: args.queries]  # type: ignore[func-returns-value]
    client = TestClient(create_app(Settings(db=args.db)))
    client.get("/api/search", params={"q": "无人机 warm-up", "limit": 20}).raise_for_status()
    prof = cProfile.Profile()
    digests = []
    cpu = wall = 0.0
    for q in queries:
        w, c = time.perf_counter(), time.thread_time()
        if not args.no_profile:
            prof.enable()
        r = client.get("/api/search", params={"q": q, "limit": 20})
        if not args.no_profile:
            prof.disable()
        cpu += time.thread_time() - c
        wall += time.perf_counter() - w
        r.raise_for_status()
        body = r.json()
        digests.append({"q": q, "sha": hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16],
                        "ids": [x["doc_id"] for x in body.get("results", [])], "total": body.get("total")})
    if args.digest:
        Path(args.digest).write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in digests), "utf-8")
    if not args.no_profile:
        for key in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats(key).print_stats(args.top)
            print(f"--- by {key}")
            print("\n".join(out.getvalue().splitlines()[6:]))
    n = len(queries)
    print(f"RESULT queries={n} cpu_ms_per_search={cpu * 1000 / n:.2f} wall_ms_per_search={wall * 1000 / n:.2f}")


if __name__ == "__main__":
    main()
