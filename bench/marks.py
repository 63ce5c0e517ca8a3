"""Similar-mark search at scale (issue 19): N real-shaped marks, the index built, then queried with perturbed
copies of existing marks and random queries; a brute-force rapidfuzz scan over all N run side by side on a sample.

The marks (no real trademark register of that size is in ../shared/data): 70 % Chinese, 30 % Latin.
- Chinese: the cores of the applicant (patentee) names of the CN gazette of 2019-07-09
  (../shared/data/cn/gazette_2019, GB18030): the region in front (…省, …市, …区, …县) and the company words behind
  (有限公司, 科技, 股份 …) cut off, kept at 2–4 characters (璧山智造 from 重庆璧山智造科技有限公司); then 2–4
  character windows of the titles of the same files; past those, pairs of two-character cores (brand-like
  compounds). Every text unique.
- Latin: the words of the US patent titles and abstracts (../shared/data/abstracts_us), 4–10 letters; past those,
  the front of one word and the back of another (``Neurotrack``), capitalised.
- Nice classes: one class (80 %), two (15 %) or three (5 %), drawn from a hand-set share per class shaped like
  CNIPA's filings (35, 9, 25, 30, 29, 43, 41, 42, 3, 5 the largest; the shares are approximate, not from data: no
  per-class counts are in ../shared/data); each class with a 类似群 ``CC01``–``CC08``.

Queries (seeded): a Chinese mark with one character swapped for a homophone (same toneless pinyin) from the marks'
characters; one swapped for a look-alike (same first-level 拆字 components, or shape similarity ≥ 0.6); a Latin
mark with one letter substituted, inserted or deleted; random queries (2–3 random characters of the vocabulary, a
random 6-letter string). ``--save DIR`` saves the index, loads it back (timed) and queries the loaded one.
Half the planted queries are restricted to the planted mark's first class.
``recall@10`` = the planted mark in the first 10; the baseline is ``rapidfuzz.process.extract`` (``fuzz.ratio``,
all N texts, limit 10) on the first ``--baseline`` planted queries: its time per query and recall@10.

Last line: ``RESULT marks=<int> p50_ms=<float> p95_ms=<float>``. Run:
``nice -n 10 .venv/bin/python bench/marks.py --marks 100000``.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import sys
import time
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from ipcockpit.marks import keys as K
from ipcockpit.marks.similar import MarkIndex, build, search

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
for _cand in (Path("/work/shared/data"), Path(__file__).resolve().parents[1].parent / "shared" / "data"):
    if _cand.exists():
        DATA = _cand
        break

_HAN = re.compile(r"^[\u4e00-\u9fff]+$")
_REGION = re.compile(r"^.{0,8}?(?:省|自治区|市|区|县|州)")
_TAIL = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|集团|公司|科技|技术|实业|股份|发展|工业|工程|电子|机械|设备|"
                   r"制造|研究院|研究所|大学|学院|医院|贸易|控股|新材料|电器|智能|环保|生物|材料|能源|汽车|信息|网络)+$")
CLASS_SHARE = {35: 11, 9: 7, 25: 6, 30: 5, 29: 4.5, 43: 4, 41: 4, 42: 4, 3: 3.5, 5: 3.5, 20: 3, 11: 3, 21: 3,
               32: 2.5, 44: 2.5, 16: 2.5, 18: 2, 28: 2, 31: 2, 33: 2, 36: 2, 37: 1.5, 39: 1.5, 40: 1.5, 45: 1.5,
               7: 1.5, 10: 1.5, 14: 1.5, 24: 1.5, 6: 1, 8: 1, 12: 1, 19: 1, 26: 1, 27: 1, 34: 1, 38: 1, 1: 1,
               2: 0.5, 4: 0.5, 13: 0.3, 15: 0.5, 17: 0.5, 22: 0.5, 23: 0.5}


def chinese_sources() -> tuple[list[str], list[str]]:
    cores: list[str] = []
    windows: list[str] = []
    for path in sorted((DATA / "cn" / "gazette_2019").rglob("*.csv")):
        text = path.read_bytes().decode("gb18030", errors="replace")
        for row in csv.DictReader(io.StringIO(text)):
            name = (row.get("patentee") or "").strip()
            core = _TAIL.sub("", _REGION.sub("", name))
            if 2 <= len(core) <= 4 and _HAN.match(core):
                cores.append(core)
            title = "".join(ch for ch in (row.get("name") or "") if "\u4e00" <= ch <= "\u9fff")
            for i in range(0, max(0, len(title) - 1), 2):
                windows.append(title[i:i + 2 + (i % 3)])
    return list(dict.fromkeys(cores)), list(dict.fromkeys(w for w in windows if len(w) >= 2))


def latin_sources() -> list[str]:
    words: list[str] = []
    csv.field_size_limit(10**8)
    for path in sorted((DATA / "abstracts_us").glob("*.csv")):
        with path.open(encoding="utf-8", errors="replace") as fh:
            for row in csv.DictReader(fh):
                words += re.findall(r"[A-Za-z]{4,10}", (row.get("patent_title") or "") + " "
                                    + (row.get("patent_abstract") or ""))
    return list(dict.fromkeys(w.capitalize() for w in words))


def make_marks(n: int, rng: random.Random) -> list[tuple[str, str, list[int], list[str]]]:
    cores, windows = chinese_sources()
    latin = latin_sources()
    n_cn = int(n * 0.7)
    texts: dict[str, None] = dict.fromkeys(cores[:n_cn])
    for w in windows:
        if len(texts) >= n_cn:
            break
        texts.setdefault(w)
    twos = [c for c in cores if len(c) == 2] + [w for w in windows if len(w) == 2]
    while len(texts) < n_cn:
        texts.setdefault(rng.choice(twos) + rng.choice(twos)[: rng.choice((1, 2))])
    lat: dict[str, None] = dict.fromkeys(latin[: n - n_cn])
    while len(lat) < n - n_cn:
        a, b = rng.choice(latin), rng.choice(latin)
        lat.setdefault((a[: rng.randint(3, 5)] + b[-rng.randint(3, 5):].lower()).capitalize())
    all_texts = list(texts) + list(lat)
    rng.shuffle(all_texts)
    classes, weights = list(CLASS_SHARE), list(CLASS_SHARE.values())
    out = []
    for i, t in enumerate(all_texts):
        k = 1 if rng.random() < 0.8 else 2 if rng.random() < 0.75 else 3
        cl = sorted(set(rng.choices(classes, weights, k=k)))
        out.append((f"M{i:07d}", t, cl, [f"{c:02d}{rng.randint(1, 8):02d}" for c in cl]))
    return out


def make_queries(marks: list, count: int, rng: random.Random) -> list[tuple[str, str | None, list[int] | None]]:
    vocab = sorted({ch for _, t, _, _ in marks for ch in t if "\u4e00" <= ch <= "\u9fff"})
    by_sound: dict[str, list[str]] = {}
    by_shape: dict[tuple, list[str]] = {}
    for ch in vocab:
        by_sound.setdefault(K.char_pinyin(ch)[1], []).append(ch)
        if K.first_parts(ch):
            by_shape.setdefault(K.first_parts(ch), []).append(ch)
    cn = [m for m in marks if K.is_chinese(m[1])]
    la = [m for m in marks if not K.is_chinese(m[1])]
    texts = {m[1] for m in marks}
    out: list[tuple[str, str | None, list[int] | None]] = []
    kinds = ["homophone", "shape", "letter", "random"]
    tries = 0
    while len(out) < count and tries < count * 50:
        tries += 1
        kind = kinds[len(out) % 4]
        if kind == "random":
            q = "".join(rng.choices(vocab, k=rng.randint(2, 3))) if rng.random() < 0.7 else \
                "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=6)).capitalize()
            out.append((q, None, None))
            continue
        mark = rng.choice(la if kind == "letter" else cn)
        t = mark[1]
        i = rng.randrange(len(t))
        if kind == "letter":
            op, c = rng.choice("sid"), rng.choice("abcdefghijklmnopqrstuvwxyz")
            q = t[:i] + c + t[i + 1:] if op == "s" else t[:i] + c + t[i:] if op == "i" else t[:i] + t[i + 1:]
        else:
            pool = by_sound.get(K.char_pinyin(t[i])[1], []) if kind == "homophone" else \
                by_shape.get(K.first_parts(t[i]), []) or [c for c in rng.sample(vocab, min(300, len(vocab)))
                                                          if K.char_shape(t[i], c) >= 0.6]
            pool = [c for c in pool if c != t[i]]
            if not pool:
                continue
            q = t[:i] + rng.choice(pool) + t[i + 1:]
        if q in texts or len(K.normalise(q)) < 2:
            continue
        out.append((q, mark[0], [mark[2][0]] if len(out) % 8 < 4 else None))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--marks", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--baseline", type=int, default=40)
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--save", help="a folder: save the index there, load it back and query the loaded one")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    t0 = time.perf_counter()
    marks = make_marks(a.marks, rng)
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = build(marks)
    build_s = time.perf_counter() - t0
    if a.save:
        t0 = time.perf_counter()
        folder = index.save(a.save)
        save_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        index = MarkIndex.load(folder)
        load_s = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
        print(f"saved in {save_s:.1f} s ({size:.0f} MiB), loaded in {load_s:.1f} s; "
              "the queries run on the loaded index")
    queries = make_queries(marks, a.queries, rng)
    search(index, "华为")  # warm the caches (dictionary, decomposition)
    times, found, planted = [], {}, {}
    for q, target, cl in queries:
        t0 = time.perf_counter()
        hits = search(index, q, classes=cl, limit=10)
        times.append((time.perf_counter() - t0) * 1000)
        if target:
            kind = "letter" if not K.is_chinese(q) else "cn"
            planted[kind] = planted.get(kind, 0) + 1
            found[kind] = found.get(kind, 0) + int(target in {h["mark_id"] for h in hits})
    texts = [m[1] for m in marks]
    base = [(q, t) for q, t, _ in queries if t][: a.baseline]
    t0 = time.perf_counter()
    base_found = 0
    for q, target in base:
        res = process.extract(q, texts, scorer=fuzz.ratio, limit=10)
        base_found += int(target in {marks[i][0] for _, _, i in res})
    base_ms = (time.perf_counter() - t0) * 1000 / max(1, len(base))
    ours_on_base = sum(int(t in {h["mark_id"] for h in search(index, q, limit=10)}) for q, t in base)
    p50, p95 = np.percentile(times, 50), np.percentile(times, 95)
    recall = sum(found.values()) / max(1, sum(planted.values()))
    print(f"marks={len(marks)} (generated in {gen_s:.1f} s) index built in {build_s:.1f} s, "
          f"{len(index.key_hash):,} keys, {len(index.postings):,} postings; skipped {len(index.skipped)}")
    print(f"queries={len(queries)} planted={sum(planted.values())} recall@10={recall:.3f} "
          + " ".join(f"{k}={found[k]}/{planted[k]}" for k in sorted(planted)))
    print(f"baseline rapidfuzz full scan on {len(base)} planted queries: {base_ms:.1f} ms/query, "
          f"recall@10={base_found / max(1, len(base)):.3f}; ours on the same queries recall@10="
          f"{ours_on_base / max(1, len(base)):.3f}; mean ours {np.mean(times):.1f} ms")
    sys.stdout.flush()
    print(f"RESULT marks={len(marks)} p50_ms={p50:.2f} p95_ms={p95:.2f}")


if __name__ == "__main__":
    main()
