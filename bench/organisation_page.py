"""The organisation page (机构画像, ``/organisation/{id}``) under load: many organisations of a real store, the real
server.

1. Store. ``--db`` an existing store (default: the demo store, ``/work/demo/demo.duckdb``). It is copied into a
   temporary folder first (the original is never opened) and brought up to date there (``Cockpit`` applies the
   pending migrations, organisation resolution gives the parties their ids), as ``ipcockpit serve`` would on a
   writable copy.
2. Organisations. ``--organisations`` entity ids drawn with ``--seed`` from the holders of the store
   (applicant, assignee, patentee, current owner: the ids of ``party_entities``), weighted by nothing: a big
   organisation and one of a single document are equally likely, as a user browsing the ranking would click.
3. Server. ``uvicorn`` in a subprocess on 127.0.0.1 (a free port) over the copy opened read-only, as
   ``ipcockpit serve`` does.
4. Load. Each organisation's page is asked once cold (its first request, timed apart), then ``--clients``
   threads, each with its own HTTP client, ask the HTML pages ``GET /organisation/{id}`` in turn, every
   organisation ``--repeat`` times in all.

Last line: ``RESULT organisations=<int> requests=<int> p50_ms=<float> p95_ms=<float>`` (the timed requests,
the cold ones apart). Goal (issue 17): p95 <= 200 ms. Run:
``nice -n 10 .venv/bin/python bench/organisation_page.py [--db STORE] [--organisations 200] [--clients 1]``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from web_load import free_port, pct, wait_ready  # noqa: E402

from ipcockpit.app import Cockpit  # noqa: E402
from ipcockpit.settings import Settings  # noqa: E402

SERVER = """
import sys
import uvicorn
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app
uvicorn.run(create_app(Settings(db=sys.argv[1])), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def organisations(db: Path, n: int, seed: int) -> tuple[list[str], int]:
    """``n`` entity ids of holders drawn with ``seed`` (all when fewer), and how many the store has."""
    c = Cockpit(Settings(db=str(db)))
    try:
        c.resolve_entities()
        ids = [r[0] for r in c.store.con.execute(
            "SELECT DISTINCT entity_id FROM party_entities WHERE role IN "
            "('applicant', 'assignee', 'patentee', 'current_owner') ORDER BY entity_id").fetchall()]
    finally:
        c.close()
    return random.Random(seed).sample(ids, min(n, len(ids))), len(ids)


def load(url: str, ids: list[str], clients: int, repeat: int) -> list[float]:
    """Every id asked ``repeat`` times, shared among ``clients`` threads; latencies in ms."""
    work = [i for _ in range(repeat) for i in ids]
    random.Random(1).shuffle(work)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client(me: int) -> None:
        mine: list[float] = []
        with httpx.Client(base_url=url, timeout=120) as http:
            for eid in work[me::clients]:
                t = time.perf_counter()
                r = http.get(f"/organisation/{quote(eid, safe=':')}")
                mine.append((time.perf_counter() - t) * 1000)
                if r.status_code != 200:
                    with lock:
                        failures.append(f"{eid}: {r.status_code} {r.text[:200]}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return latencies


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default="/work/demo/demo.duckdb", help="the store (copied first, never written)")
    ap.add_argument("--organisations", type=int, default=200)
    ap.add_argument("--clients", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2, help="timed requests per organisation")
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ipc-orgpage-") as tmp:
        db = Path(tmp) / "store.duckdb"
        shutil.copy(args.db, db)
        t = time.perf_counter()
        ids, total = organisations(db, args.organisations, args.seed)
        print(f"store {args.db} (copied): {total:,} organisations, {len(ids)} drawn; ready in "
              f"{time.perf_counter() - t:.1f} s", flush=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "uvicorn.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-c", SERVER, str(db), str(port)], cwd=REPO, stdout=out,
                                    stderr=subprocess.STDOUT)
        try:
            wait_ready(url, proc, log)
            cold = load(url, ids, 1, 1)
            print(f"cold (first request of each organisation): p50 {statistics.median(cold):.1f} ms, "
                  f"p95 {pct(sorted(cold), 0.95):.1f} ms, max {max(cold):.1f} ms", flush=True)
            lat = load(url, ids, args.clients, args.repeat)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    lat.sort()
    print(f"{len(lat)} requests by {args.clients} client(s); max {lat[-1]:.1f} ms")
    print(f"RESULT organisations={len(ids)} requests={len(lat)} p50_ms={statistics.median(lat):.1f} "
          f"p95_ms={pct(lat, 0.95):.1f}")


if __name__ == "__main__":
    main()
