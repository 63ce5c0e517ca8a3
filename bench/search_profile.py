"""Where a first-time search's time goes, in-process: the load bench's query mix, every query asked once.

The store is an indexed store (``--db``, e.g. the demo store of ``make demo``); the queries are
``bench/web_load.py``'s mix (``--seed`` 14, repeats left out: a repeat is a kept page), after one warm-up
search (models and indexes loaded). Two passes, the kept pages and vectors forgotten before each
(``hybrid.clear_caches``): (1) ``Cockpit.search_page(q, 20)`` (what ``/api/search`` returns) on this thread,
profiled with cProfile (the functions with the most own and cumulative time are printed); (2) the same queries
through ``GET /api/search?q=...&limit=20`` of the web app (Starlette's TestClient, no socket; its requests run on
the app's threads, so this pass is timed, not profiled). CPU per search is the process's CPU
(``time.process_time``: other jobs on the machine inflate it less than the wall time). ``--digest FILE`` writes
each web answer's digest (JSON lines) to check that a change leaves every answer as it was (compare two files).
Last line: ``RESULT queries=<int> core_cpu_ms=<float> web_cpu_ms=<float> web_wall_ms=<float>`` (per search).
Run: ``.venv/bin/python bench/search_profile.py --db var/ipcockpit.duckdb``.
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

    from ipcockpit.app import Cockpit
    from ipcockpit.search import hybrid
    from ipcockpit.settings import Settings
    from ipcockpit.web.server import create_app

    with duckdb.connect(args.db, read_only=True) as con:
        drawn = query_mix(con, args.queries * 3, args.seed, 0.0, dict(MIX))
    seen: set[str] = set()
    queries = [q for _, q in drawn if not (q in seen or seen.add(q))][: args.queries]  # type: ignore[func-returns-value]
    prof = cProfile.Profile()
    with Cockpit(Settings(db=args.db)) as c:
        c.search_page("无人机 warm-up", 20)
        hybrid.clear_caches()
        cpu = time.process_time()
        for q in queries:
            if not args.no_profile:
                prof.enable()
            c.search_page(q, 20)
            if not args.no_profile:
                prof.disable()
        core_cpu = time.process_time() - cpu
    if not args.no_profile:
        for key in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats(key).print_stats(args.top)
            print(f"--- by {key}")
            print("\n".join(out.getvalue().splitlines()[6:]))
    hybrid.clear_caches()
    client = TestClient(create_app(Settings(db=args.db)))
    client.get("/api/search", params={"q": "无人机 warm-up", "limit": 20}).raise_for_status()
    hybrid.clear_caches()
    digests = []
    cpu, wall = time.process_time(), time.perf_counter()
    for q in queries:
        r = client.get("/api/search", params={"q": q, "limit": 20})
        r.raise_for_status()
        body = r.json()
        digests.append({"q": q, "sha": hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16],
                        "ids": [x["doc_id"] for x in body.get("results", [])], "total": body.get("total")})
    web_cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if args.digest:
        Path(args.digest).write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in digests), "utf-8")
    n = len(queries)
    print(f"RESULT queries={n} core_cpu_ms={core_cpu * 1000 / n:.2f} web_cpu_ms={web_cpu * 1000 / n:.2f} "
          f"web_wall_ms={wall * 1000 / n:.2f}")


if __name__ == "__main__":
    main()
