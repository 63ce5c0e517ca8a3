"""Cockpit API under load: N documents in a real store, the real server, C concurrent clients on loopback.

1. Store. A new DuckDB file is created by ipcockpit's Store (Cockpit); the real CN table-export dump and the
   SEI 2021 industry-IPC concordance are ingested from the shared data, then N - (real documents)
   SYNTHETIC CN documents are generated directly in DuckDB (SQL over ``range``), shaped after the CN dump:
   invention applications (kind A), about half of them granted (kind B, same application), utility models
   (kind U); one applicant each, with a GB/T 2260 address code -- ``--bishan-share`` of them in Bishan
   (500120), the rest spread over other districts; 1-3 IPC codes drawn from the concordance's patterns (so
   the strategic-emerging-industry condition is met for some); CNIPA status texts (有权 / 无权-未缴年费专利权终止
   with a lapse event); pledge registrations with an amount on some grants. Population for 2020-2025 and the
   plan's baselines are stored as reported values, so that every computed indicator computes.
2. Server. ``uvicorn`` in a subprocess on 127.0.0.1 (a free port) over the store opened read-only, as
   ``ipcockpit serve`` does.
3. Load. One warm-up request (its time is printed: the first computation), then C threads, each with its
   own HTTP client, send ``--requests`` GET /api/cockpit?region=500120 each (bounded by ``--seconds``).

Last line: ``RESULT docs=<int> clients=<int> p50_ms=<float> p95_ms=<float>``. Goal: p95 <= 100 ms at 1M
documents and 20 clients. Run: ``.venv/bin/python bench/web_load.py --docs 100000 --clients 20``.

Search mix (``--search``): searches with cockpit requests among them, at the demo's size.

1. Store. The demo data shipped in ``data/demo`` loaded as ``make demo`` loads it (ingest, ``ipcockpit
   index``, the plan's baselines) into a new store; or ``--db`` an existing indexed store (its index folder
   beside it; the server opens it as ``ipcockpit serve`` does, which may apply pending migrations).
2. Queries, drawn with ``--seed`` from the store's own texts (:func:`query_mix`): Chinese words and
   two-word phrases (jieba words of the Chinese titles), whole Chinese titles, English words, two-word
   phrases and whole titles, publication numbers (stored ids, half of them written with spaces or
   thousands separators as people write them) and whole independent claims, in the shares of ``--mix``.
   Each query repeats an earlier one (any earlier one alike, so the popular ones come back more often)
   with probability ``--repeat``, else it is new; the share of repeats sent is printed, since a repeated
   query is answered from the kept result pages.
3. Load. One warm-up search and one warm-up cockpit request (their times printed: models and caches
   loaded), then ``--clients`` clients on loopback, each on its own keep-alive connection, without pause: one
   client in ``--cockpit-every`` sends GET /api/cockpit?region=500120, the others GET
   /api/search?q=...&limit=20, taking the queries in order from the one drawn sequence, ``--requests`` each
   (bounded by ``--seconds``). The clients (``--client``): ``raw`` (default since session 13), coroutines of
   one asyncio loop writing HTTP/1.1 requests and reading each whole answer (status, headers, body by its
   length or chunks); ``httpx``, a thread and an ``httpx.Client`` each (before session 13: those 20 clients
   took about a quarter of the 2-core machine's CPU, taken from the server they measure). The CPU the server
   and the clients used during the load is printed.

Last line: ``RESULT docs=<int> clients=<int> search_p50_ms=<float> search_p95_ms=<float>
mixed_cockpit_p95_ms=<float>``. Goal at the demo's size and 20 clients: search p95 <= 300 ms, cockpit p95
<= 100 ms. Run: ``.venv/bin/python bench/web_load.py --search``.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ipcockpit.app import Cockpit  # noqa: E402

REAL = ["cn/table_export_sample", "classification/cnipa_sei2021_ipc_concordance.json"]
OTHER_CODES = ["500106", "500112", "500113", "500117", "500118", "110108", "310115", "320506", "330106",
               "440305", "510107", "420111", "610113", "370102", "120116", "350203"]
POPULATION = {2020: 755_200, 2021: 760_100, 2022: 766_300, 2023: 771_000, 2024: 776_800, 2025: 781_500}
SERVER = """
import sys
import uvicorn
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app
if sys.argv[3] == "cache":
    import inspect
    from ipcockpit.app import Cockpit
    from ipcockpit.cockpit.cache import cached
    if "cached(" not in inspect.getsource(Cockpit.cockpit):  # until Cockpit.cockpit calls the cache itself
        plain = Cockpit.cockpit
        def through_cache(self, region=None, year=None):
            key = ("cockpit", region, year, self._region_folders(), repr(self.settings.screen))
            return cached(self.store, key, lambda: plain(self, region, year))
        Cockpit.cockpit = through_cache
given = {"web_connections": int(sys.argv[4])} if len(sys.argv) > 4 and int(sys.argv[4]) > 0 else {}
uvicorn.run(create_app(Settings(db=sys.argv[1], **given), warm=True), host="127.0.0.1", port=int(sys.argv[2]),
            log_level="warning")
"""


def shared_data() -> Path:
    for c in [os.environ.get("IPCOCKPIT_SHARED_DATA"), REPO.parent / "shared" / "data", "/work/shared/data"]:
        if c and (Path(c) / "MANIFEST.md").exists():
            return Path(c)
    raise SystemExit("../shared/data not found; set IPCOCKPIT_SHARED_DATA to the shared data folder")


SYNTH_SQL = """
CREATE TEMP TABLE ipc_pool AS
  SELECT row_number() OVER () - 1 AS k, code FROM (
    SELECT DISTINCT regexp_extract(ipc_pattern, '^([A-H][0-9]{2}[A-Z])', 1) || ' ' ||
           coalesce(nullif(regexp_extract(ipc_pattern, '^[A-H][0-9]{2}[A-Z]([0-9]+)', 1), ''), '1') || '/' ||
           ((hash(ipc_pattern)) % 40 + 1)::VARCHAR AS code
    FROM ref_ipc_concordance WHERE regexp_matches(ipc_pattern, '^[A-H][0-9]{2}[A-Z]')
  ) ORDER BY code;
INSERT INTO ipc_pool
  SELECT (SELECT count(*) FROM ipc_pool) + row_number() OVER () - 1,
         c || ' ' || (1 + g % 9)::VARCHAR || '/' || (g % 37)::VARCHAR
  FROM unnest(['A47J', 'B65D', 'E04B', 'F16B', 'A47B', 'B60R', 'E04F', 'F16K', 'B65G', 'A63B']) t(c),
       range($other) r(g);
CREATE TEMP TABLE apps AS
  SELECT a, CASE WHEN (hash(a, 1)) % 100 < 60 THEN 'invention' ELSE 'utility_model' END AS doc_type,
         DATE '2012-01-01' + ((hash(a, 2)) % 4700)::INTEGER AS app_date,
         (hash(a, 3)) % 100 < 55 AS granted,
         (hash(a, 4)) % 100 < 15 AS lapsed,
         CASE WHEN (hash(a, 5)) % 1000000 < $bishan * 1000000 THEN '500120'
              ELSE $codes[(1 + (hash(a, 6)) % len($codes))::BIGINT] END AS admin_code,
         (hash(a, 7)) % 5000 AS company
  FROM range($apps) t(a);
CREATE TEMP TABLE synth AS
  SELECT * FROM (
    SELECT a, 'A' AS kind, 'invention' AS doc_type, 'application' AS stage, app_date,
           app_date + 540 AS pub_date, NULL::DATE AS grant_date, admin_code, company, false AS lapsed
    FROM apps WHERE doc_type = 'invention'
    UNION ALL
    SELECT a, 'B', 'invention', 'grant', app_date, app_date + 420 + ((hash(a, 8)) % 900)::INTEGER,
           app_date + 420 + ((hash(a, 8)) % 900)::INTEGER, admin_code, company, lapsed
    FROM apps WHERE doc_type = 'invention' AND granted
    UNION ALL
    SELECT a, 'U', 'utility_model', 'grant', app_date, app_date + 200 + ((hash(a, 9)) % 200)::INTEGER,
           app_date + 200 + ((hash(a, 9)) % 200)::INTEGER, admin_code, company, lapsed
    FROM apps WHERE doc_type = 'utility_model'
  ) WHERE pub_date <= DATE '2025-12-31' ORDER BY a, kind LIMIT $docs;
INSERT INTO ingest_runs VALUES ('synthetic-run', now()::TIMESTAMP, now()::TIMESTAMP, 'bench/web_load.py synthetic');
INSERT INTO source_files (file_id, path, sha256, size, format, run_id, read, loaded, quarantined, merged, ingested_at)
  VALUES ('synthetic', 'bench/web_load.py (synthetic)', '-', 0, 'synthetic', 'synthetic-run', $docs, $docs, 0, 0,
          now()::TIMESTAMP);
INSERT INTO applications (app_id, office, number, app_date, file_id)
  SELECT DISTINCT 'CN2' || lpad(a::VARCHAR, 11, '0'), 'CN', '2' || lpad(a::VARCHAR, 11, '0'), app_date, 'synthetic'
  FROM synth;
INSERT INTO documents (doc_id, office, number, kind, doc_type, stage, pub_date, app_id, app_date, grant_date, title,
                       lang, status, stub, file_id, position)
  SELECT 'CN' || (300000000 + a)::VARCHAR || kind, 'CN', (300000000 + a)::VARCHAR, kind, doc_type, stage, pub_date,
         'CN2' || lpad(a::VARCHAR, 11, '0'), app_date, grant_date, '一种合成测试用装置及方法 ' || a::VARCHAR, 'zh',
         CASE WHEN stage = 'application' THEN '审中-实质审查'
              WHEN lapsed THEN '无权-未缴年费专利权终止' ELSE '有权-审定授权' END,
         false, 'synthetic', 'row ' || a::VARCHAR
  FROM synth;
INSERT INTO parties (doc_id, seq, role, name_raw, name_norm, type, country, admin_code, address_raw, file_id)
  SELECT 'CN' || (300000000 + a)::VARCHAR || kind, 1, 'applicant', '重庆合成科技有限公司' || company::VARCHAR,
         '重庆合成科技' || company::VARCHAR, 'company', 'CN', admin_code, admin_code || ' 合成地址', 'synthetic'
  FROM synth;
INSERT INTO classifications (doc_id, scheme, code, main, seq, file_id)
  SELECT 'CN' || (300000000 + s.a)::VARCHAR || s.kind, 'IPC', p.code, i = 1, i, 'synthetic'
  FROM synth s CROSS JOIN (VALUES (1), (2), (3)) r(i)
  JOIN ipc_pool p ON p.k = ((hash(s.a, 11, i)) % $pool)::BIGINT
  WHERE i <= 1 + (hash(s.a, 10)) % 3;
INSERT INTO legal_events (doc_id, event_date, office, raw_text, event_class, file_id)
  SELECT 'CN' || (300000000 + a)::VARCHAR || kind, grant_date + 1100, 'CN', '专利权的终止（未缴年费）', 'lapse',
         'synthetic'
  FROM synth WHERE stage = 'grant' AND lapsed;
INSERT INTO legal_events (doc_id, event_date, office, raw_text, event_class, counterparty, amount, currency, file_id)
  SELECT 'CN' || (300000000 + a)::VARCHAR || kind,
         least(grant_date + (200 + (hash(a, 12)) % 700)::INTEGER, DATE '2025-10-31'),
         'CN', '专利权质押合同登记的生效', 'pledge', '重庆农村商业银行', 1e6 * (1 + (hash(a, 13)) % 50),
         'CNY', 'synthetic'
  FROM synth WHERE stage = 'grant' AND (hash(a, 14)) % 100 < 3;
"""


def build(path: Path, docs: int, bishan: float) -> dict[str, int]:
    """The store at ``path`` with ``docs`` documents (real + synthetic); returns counts."""
    data = shared_data()
    with Cockpit(db=path) as c:
        reports = c.ingest([data / f for f in REAL])
        bad = [r for r in reports if r.error]
        if bad:
            raise SystemExit(f"ingesting the real files failed: {bad}")
        real = c.store.count("documents")
        synthetic = max(docs - real, 0)
        # SEI concordance patterns and about twice as many codes outside them
        sei = c.store.scalar("SELECT count(DISTINCT ipc_pattern) FROM ref_ipc_concordance")
        params = {"docs": synthetic, "apps": int(synthetic / 1.2) + 100, "bishan": bishan, "codes": OTHER_CODES,
                  "other": max(1, 2 * sei // 10)}
        con = c.store.con
        for stmt in (s.strip() for s in SYNTH_SQL.split(";\n")):
            if stmt:
                if "$pool" in stmt:
                    params["pool"] = con.execute("SELECT count(*) FROM ipc_pool").fetchone()[0]
                used = {k: v for k, v in params.items() if f"${k}" in stmt}
                con.execute(stmt, used) if used else con.execute(stmt)
        c.load_plan_baselines()
        for year, value in POPULATION.items():
            c.report_value("population", year, value, "bench/web_load.py: synthetic population", "bench")
        counts = {"documents": c.store.count("documents"), "real_documents": real}
        counts["bishan_invention_grants"] = c.store.scalar(
            "SELECT count(DISTINCT d.doc_id) FROM documents d JOIN parties p USING (doc_id) "
            "WHERE d.stage = 'grant' AND d.doc_type = 'invention' AND p.admin_code = '500120'")
    return counts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server did not answer {url}/healthz within 60 s:\n{log.read_text()}")


def load(url: str, clients: int, requests: int, seconds: float) -> list[float]:
    """``clients`` threads, ``requests`` each (or until ``seconds`` pass); latencies in ms."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)
    stop_at = time.monotonic() + seconds

    def client() -> None:
        mine: list[float] = []
        with httpx.Client(base_url=url, timeout=60) as http:
            start.wait()
            for _ in range(requests):
                if time.monotonic() > stop_at:
                    break
                t = time.perf_counter()
                r = http.get("/api/cockpit", params={"region": "500120"})
                mine.append((time.perf_counter() - t) * 1000)
                if r.status_code != 200:
                    with lock:
                        failures.append(f"{r.status_code}: {r.text[:200]}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return latencies


# the search mix ------------------------------------------------------------------------------------
#: shares of the kinds of query (per 100 new queries)
MIX = {"zh_word": 25, "zh_phrase": 10, "zh_title": 10, "en_word": 15, "en_phrase": 10, "en_title": 10,
       "number": 15, "claim": 5}
_ZH_STOP = set("一种 及其 方法 装置 系统 设备 用于 基于 制备 以及 具有 结构 组件 所述 包括".split())
_EN_STOP = set("a an and are as at be by for from has have in into is it its of on or that the this to was with "
               "method methods system systems apparatus device devices using use thereof same".split())


def query_pools(con: Any) -> dict[str, list[str]]:
    """The queries of each kind that the store's own texts give (sorted, so that a seed draws the same)."""
    import jieba  # the bench extra: the mix drawn as in every earlier session (precise mode)

    jieba.setLogLevel(logging.WARNING)
    zh = [r[0] for r in con.execute("SELECT title FROM documents WHERE lang = 'zh' AND title IS NOT NULL "
                                    "ORDER BY doc_id").fetchall()]
    en = [r[0] for r in con.execute("SELECT title FROM documents WHERE lang = 'en' AND title IS NOT NULL "
                                    "ORDER BY doc_id").fetchall()]
    words: dict[str, set[str]] = {k: set() for k in ("zh_word", "zh_phrase", "en_word", "en_phrase")}
    for t in zh:
        ws = [w for w in jieba.cut(t) if len(w) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", w) and w not in _ZH_STOP]
        words["zh_word"].update(ws)
        words["zh_phrase"].update(f"{a} {b}" for a, b in zip(ws, ws[1:], strict=False))
    for t in en:
        ws = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]{3,}", t) if w.lower() not in _EN_STOP]
        words["en_word"].update(ws)
        words["en_phrase"].update(f"{a} {b}" for a, b in zip(ws, ws[1:], strict=False))
    claims = [r[0] for r in con.execute(
        "SELECT any_value(text ORDER BY num) FROM claims WHERE independent AND length(text) > 40 "
        "GROUP BY doc_id ORDER BY doc_id").fetchall()]
    numbers = [r[0] for r in con.execute("SELECT doc_id FROM documents WHERE title IS NOT NULL AND "
                                         "NOT coalesce(stub, false) ORDER BY doc_id").fetchall()]
    return {"zh_title": zh, "en_title": en, **{k: sorted(v) for k, v in words.items()}, "claim": claims,
            "number": numbers}


def written(doc_id: str, rng: random.Random) -> str:
    """A publication number as people write it: as stored, or spaced (``CN 115883397 B``, ``US 7,315,680 B1``)."""
    m = re.fullmatch(r"([A-Z]{2})(\d+)([A-Z]\d?)?", doc_id)
    if not m or rng.random() < 0.5:
        return doc_id
    office, digits, kind = m.groups()
    number = f"{int(digits):,}" if office == "US" else digits
    return f"{office} {number} {kind or ''}".strip()


def query_mix(con: Any, n: int, seed: int, repeat: float, mix: dict[str, int]) -> list[tuple[str, str]]:
    """``n`` (kind, query): each repeats an earlier one (drawn among all earlier ones) with probability
    ``repeat``, else it is a new query of a kind drawn by the shares of ``mix``."""
    rng = random.Random(seed)
    pools = query_pools(con)
    kinds = [k for k in mix if pools.get(k) and mix[k] > 0]
    out: list[tuple[str, str]] = []
    for _ in range(n):
        if out and rng.random() < repeat:
            out.append(rng.choice(out))
            continue
        kind = rng.choices(kinds, [mix[k] for k in kinds])[0]
        q = rng.choice(pools[kind])
        out.append((kind, written(q, rng) if kind == "number" else q))
    return out


def build_demo(path: Path) -> None:
    """The demo store, as ``make demo`` builds it: data/demo ingested, indexed, the plan's baselines stored."""
    with Cockpit(db=path) as c:
        reports = c.ingest([REPO / "data" / "demo"])
        bad = [r for r in reports if r.error]
        if bad:
            raise SystemExit(f"ingesting data/demo failed: {bad[:3]}")
        c.index()
        c.load_plan_baselines()


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank, as the cockpit mode computes it)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * len(s))) - 1))]


def search_load(url: str | list[str], clients: int, requests: int, seconds: float, queries: list[tuple[str, str]],
                cockpit_every: int, client: str = "raw") -> tuple[list[tuple[str, str, float]], list[float]]:
    """The mixed load: (kind, query, ms) of each search in the order sent, and the cockpit latencies.

    ``client``: ``raw``, the ``clients`` clients as coroutines of one asyncio loop in this process, each on its
    own keep-alive HTTP/1.1 connection (:class:`RawClient`); ``httpx``, one thread per client, each with its
    own ``httpx.Client`` (the bench until session 13, whose clients took about a quarter of the 2-core machine's
    CPU). Either way each client sends its next request when the last one's answer is read, without pause.
    ``url``: a list of servers (``--servers``) spreads the raw clients over them, client i on server i mod n."""
    urls = [url] if isinstance(url, str) else list(url)
    if client == "httpx":
        if len(urls) > 1:
            raise SystemExit("--servers: the raw clients only")
        return _search_load_threads(urls[0], clients, requests, seconds, queries, cockpit_every)
    import asyncio

    return asyncio.run(_search_load_raw(urls, clients, requests, seconds, queries, cockpit_every))


class RawClient:
    """One keep-alive HTTP/1.1 connection: GET a path, read the status line, the headers and the body (by its
    Content-Length, or chunked), so that a request's time ends when its whole answer is read, as httpx's."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: Any = None
        self.writer: Any = None

    async def get(self, path: str, params: dict[str, Any]) -> tuple[int, bytes]:
        import asyncio
        from urllib.parse import urlencode

        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        target = f"{path}?{urlencode(params)}" if params else path
        self.writer.write(f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                          "Accept: */*\r\n\r\n".encode("ascii"))
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(p[:-2] for p in parts)
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


async def _search_load_raw(urls: list[str], clients: int, requests: int, seconds: float,
                           queries: list[tuple[str, str]],
                           cockpit_every: int) -> tuple[list[tuple[str, str, float]], list[float]]:
    import asyncio
    from urllib.parse import urlsplit

    parts = [urlsplit(u) for u in urls]
    searches: list[tuple[str, str, float]] = []
    cockpit: list[float] = []
    failures: list[str] = []
    todo = iter(queries)
    conns = [RawClient(parts[i % len(parts)].hostname or "127.0.0.1", parts[i % len(parts)].port or 80)
             for i in range(clients)]
    for c in conns:  # connected before the start, as the threads' clients are built before their barrier
        c.reader, c.writer = await asyncio.open_connection(c.host, c.port)
    stop_at = time.monotonic() + seconds

    async def client(me: int) -> None:
        http = conns[me]
        asks_cockpit = cockpit_every > 0 and me % cockpit_every == cockpit_every - 1
        for _ in range(requests):
            if time.monotonic() > stop_at:
                break
            if asks_cockpit:
                path, params = "/api/cockpit", {"region": "500120"}
            else:
                kind, q = next(todo, ("", ""))
                if not q:
                    break
                path, params = "/api/search", {"q": q, "limit": 20}
            t = time.perf_counter()
            status, body = await asyncio.wait_for(http.get(path, params), 120)
            ms = (time.perf_counter() - t) * 1000
            if asks_cockpit:
                cockpit.append(ms)
            else:
                searches.append((kind, q, ms))
            if status != 200:
                failures.append(f"{path} {params}: {status}: {body[:200]!r}")
        await http.close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return searches, cockpit


def _search_load_threads(url: str, clients: int, requests: int, seconds: float, queries: list[tuple[str, str]],
                         cockpit_every: int) -> tuple[list[tuple[str, str, float]], list[float]]:
    searches: list[tuple[str, str, float]] = []
    cockpit: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    todo = iter(queries)
    start = threading.Barrier(clients)
    stop_at = time.monotonic() + seconds

    def client(me: int) -> None:
        asks_cockpit = cockpit_every > 0 and me % cockpit_every == cockpit_every - 1
        with httpx.Client(base_url=url, timeout=120) as http:
            start.wait()
            for _ in range(requests):
                if time.monotonic() > stop_at:
                    break
                if asks_cockpit:
                    t = time.perf_counter()
                    r = http.get("/api/cockpit", params={"region": "500120"})
                    ms = (time.perf_counter() - t) * 1000
                    with lock:
                        cockpit.append(ms)
                else:
                    with lock:
                        kind, q = next(todo, ("", ""))
                    if not q:
                        break
                    t = time.perf_counter()
                    r = http.get("/api/search", params={"q": q, "limit": 20})
                    ms = (time.perf_counter() - t) * 1000
                    with lock:
                        searches.append((kind, q, ms))
                if r.status_code != 200:
                    with lock:
                        failures.append(f"{r.request.url}: {r.status_code}: {r.text[:200]}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return searches, cockpit


def run_search(args: argparse.Namespace) -> None:
    import duckdb

    mix = dict(MIX)
    for part in filter(None, (args.mix or "").split(",")):
        kind, _, share = part.partition("=")
        if kind not in MIX:
            raise SystemExit(f"--mix: unknown kind {kind!r}; the kinds are {', '.join(MIX)}")
        mix[kind] = int(share)
    with tempfile.TemporaryDirectory() as tmp:
        if args.db:
            db = Path(args.db)
            if not db.is_file():
                raise SystemExit(f"--db {db}: no such store")
        else:
            db = Path(tmp) / "demo.duckdb"
            t = time.perf_counter()
            build_demo(db)
            print(f"store: data/demo ingested and indexed in {time.perf_counter() - t:.1f} s", flush=True)
        with duckdb.connect(str(db), read_only=True) as con:
            docs = con.execute("SELECT count(*) FROM documents").fetchone()[0]
            n = args.clients * args.requests
            queries = query_mix(con, n, args.seed, args.repeat, mix)
        index = json_file(db.with_suffix(".index") / "index.json")
        from ipcockpit.settings import Settings

        connections = args.connections or Settings().web_connections
        print(f"store: {docs:,} documents, {index.get('documents', '?')} indexed {index.get('spaces', {})}; "
              f"server: web_connections={connections}, {os.cpu_count()} cores, {args.servers} "
              f"process{'es' if args.servers > 1 else ''}", flush=True)
        urls, procs = [], []
        try:
            for k in range(args.servers):  # read-only servers of one store: DuckDB lets several processes read it
                port = free_port()
                urls.append(f"http://127.0.0.1:{port}")
                log = Path(tmp) / f"uvicorn{k}.log"
                with log.open("wb") as out:
                    procs.append(subprocess.Popen([sys.executable, "-c", SERVER, str(db), str(port), "plain",
                                                   str(args.connections)], cwd=REPO, stdout=out,
                                                  stderr=subprocess.STDOUT))
                wait_ready(urls[-1], procs[-1], log)
            for url in urls:
                for path, params in (("/api/search", {"q": "无人机 warm-up", "limit": 20}),
                                     ("/api/cockpit", {"region": "500120"})):
                    t = time.perf_counter()
                    httpx.get(f"{url}{path}", params=params, timeout=600).raise_for_status()
                    print(f"first {path} (cold): {(time.perf_counter() - t) * 1000:.1f} ms", flush=True)
            server_cpu = sum(proc_cpu(p.pid) for p in procs)
            own_cpu, wall = time.process_time(), time.perf_counter()
            searches, cockpit = search_load(urls if len(urls) > 1 else urls[0], args.clients, args.requests,
                                            args.seconds, queries, args.cockpit_every, args.client)
            server_cpu = sum(proc_cpu(p.pid) for p in procs) - server_cpu
            own_cpu = time.process_time() - own_cpu
            wall = time.perf_counter() - wall
            per_search = server_cpu * 1000 / max(len(searches), 1)
            print(f"load: {wall:.1f} s; CPU: server{'s' if len(procs) > 1 else ''} {server_cpu:.1f} s "
                  f"({per_search:.1f} ms per search), "
                  f"the bench's {args.clients} {args.client} clients {own_cpu:.1f} s "
                  f"({own_cpu / wall:.2f} of a core)", flush=True)
        finally:
            for proc in procs:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
    seen: set[str] = set()
    repeated = []
    for _, q, _ in searches:
        repeated.append(q in seen)
        seen.add(q)
    lat = [ms for _, _, ms in searches]
    print(f"query mix: seed {args.seed}, shares {mix}, repeat probability {args.repeat}: {len(searches)} searches "
          f"sent, {len(seen)} distinct, {sum(repeated) / max(len(searches), 1):.1%} repeats of an earlier query")
    for kind in mix:
        summary(kind, [ms for k, _, ms in searches if k == kind])
    summary("first time", [ms for ms, r in zip(lat, repeated, strict=True) if not r])
    summary("repeated", [ms for ms, r in zip(lat, repeated, strict=True) if r])
    if not lat or not cockpit:
        raise SystemExit("no searches or no cockpit requests were sent: raise --requests or --clients")
    summary("cockpit", cockpit)
    print(f"RESULT docs={docs} clients={args.clients} search_p50_ms={statistics.median(lat):.1f} "
          f"search_p95_ms={pct(lat, 0.95):.1f} mixed_cockpit_p95_ms={pct(cockpit, 0.95):.1f}")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summary(label: str, values: list[float]) -> None:
    if values:
        print(f"  {label:10} {len(values):5} requests  p50 {statistics.median(values):8.1f} ms  "
              f"p95 {pct(values, 0.95):8.1f} ms  max {max(values):8.1f} ms")


def json_file(path: Path) -> dict[str, Any]:
    import json

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000, help="documents in the store (real + synthetic)")
    ap.add_argument("--clients", type=int, default=20, help="concurrent clients")
    ap.add_argument("--requests", type=int, default=25, help="requests per client")
    ap.add_argument("--seconds", type=float, default=120, help="stop sending after this many seconds")
    ap.add_argument("--bishan-share", type=float, default=0.005, help="share of applicants addressed in Bishan")
    ap.add_argument("--cache", action="store_true",
                    help="serve Cockpit.cockpit through ipcockpit.cockpit.cache "
                    "(until Cockpit.cockpit calls it itself)")
    ap.add_argument("--search", action="store_true", help="the search mix (searches and cockpit requests) at the "
                    "demo's size instead of the cockpit alone")
    ap.add_argument("--db", help="search mix: an existing indexed store instead of building the demo store")
    ap.add_argument("--seed", type=int, default=14, help="search mix: seed of the query draw")
    ap.add_argument("--repeat", type=float, default=0.25, help="search mix: probability that a query repeats an "
                    "earlier one")
    ap.add_argument("--mix", default="", help="search mix: shares of the kinds of query, e.g. claim=2,number=20 "
                    f"(defaults: {','.join(f'{k}={v}' for k, v in MIX.items())})")
    ap.add_argument("--connections", type=int, default=0, help="search mix: the server's setting web_connections "
                    "(0: its default)")
    ap.add_argument("--client", choices=["raw", "httpx"], default="raw",
                    help="search mix: the clients, as coroutines on raw keep-alive HTTP/1.1 connections in one "
                    "process (raw, since session 13: lighter), or one thread and httpx.Client each (httpx)")
    ap.add_argument("--servers", type=int, default=1,
                    help="search mix: read-only server processes over the store, the clients spread over them "
                    "(a deployment of several processes behind a proxy: each has its own GIL; docs/operations.md)")
    ap.add_argument("--cockpit-every", type=int, default=5, help="search mix: one client in this many asks for "
                    "the cockpit (0: none)")
    args = ap.parse_args()
    if args.search:
        run_search(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "load.duckdb"
        t = time.perf_counter()
        counts = build(db, args.docs, args.bishan_share)
        print(f"store: {counts['documents']:,} documents ({counts['real_documents']} real from the CN table dump, "
              f"the rest SYNTHETIC, shaped after it); {counts['bishan_invention_grants']:,} invention grants in "
              f"Bishan; built in {time.perf_counter() - t:.1f} s", flush=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "uvicorn.log"
        with log.open("wb") as out:
            cache = "cache" if args.cache else "plain"
            proc = subprocess.Popen([sys.executable, "-c", SERVER, str(db), str(port), cache], cwd=REPO, stdout=out,
                                    stderr=subprocess.STDOUT)
        try:
            wait_ready(url, proc, log)
            t = time.perf_counter()
            first = httpx.get(f"{url}/api/cockpit", params={"region": "500120"}, timeout=600)
            first.raise_for_status()
            print(f"first request (cold): {(time.perf_counter() - t) * 1000:.1f} ms; "
                  f"{len(first.content):,} bytes", flush=True)
            computed = {i["id"]: i["value"] for i in first.json()["indicators"] if i["source"] == "computed"}
            print(f"computed indicators: {computed}", flush=True)
            lat = load(url, args.clients, args.requests, args.seconds)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    lat.sort()
    p50 = statistics.median(lat)
    p95 = lat[min(len(lat) - 1, int(round(0.95 * len(lat))) - 1)]
    mode = "through ipcockpit.cockpit.cache" if args.cache else "Cockpit.cockpit as it is"
    print(f"{len(lat)} requests by {args.clients} clients ({mode}); max {lat[-1]:.1f} ms")
    print(f"RESULT docs={counts['documents']} clients={args.clients} p50_ms={p50:.1f} p95_ms={p95:.1f}")


if __name__ == "__main__":
    main()
