"""Organisation resolution speed: N real-shaped mentions through :func:`ipcockpit.entities.organisations.resolve`.

The mentions are real organisation names of the shared data, drawn with their real frequency (seeded): the NBER
assignees (216,847 mentions, English), the patentees of the CNIPA gazette week (cn/gazette_2019, Chinese) and the
applicants of the Lens drones export; a share ``--perturb`` (default 0.1) of the draws is changed the way sources
misspell names (a letter dropped, doubled or swapped, case, punctuation, a legal form added or dropped, "The "), so
that the share of distinct names grows with N as in a real register instead of staying at the base set's.

Measured in one process:
- ``seconds``/``per_second``: ``resolve`` on the N mentions (reading each distinct name, blocking, scoring, clustering);
- ``baseline_per_second``: the same pairwise scorer without blocking (every pair of distinct names), timed on a
  sample of ``--baseline-pairs`` random pairs and extrapolated to all D·(D−1)/2 pairs of the run's D distinct names
  (the scoring alone: reading and clustering not counted, in the baseline's favour).

Last line: ``RESULT mentions=<int> seconds=<float> per_second=<float> baseline_per_second=<float>``.
Run: ``nice -n 10 .venv/bin/python bench/entities_scale.py --mentions 1000000``.
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ipcockpit.entities.org_keys import read_name  # noqa: E402
from ipcockpit.entities.organisations import resolve, score  # noqa: E402


def shared_data() -> Path:
    env = os.environ.get("IPCOCKPIT_SHARED_DATA")
    for c in [*([Path(env)] if env else []), REPO.parent / "shared" / "data", Path("/work/shared/data")]:
        if (c / "MANIFEST.md").exists():
            return c
    raise SystemExit("../shared/data not found")


def real_names(data: Path) -> Counter[str]:
    """Every organisation mention of the three sources, counted."""
    names: Counter[str] = Counter()
    with open(data / "entity_resolution" / "nber-subset-assignees-benchmark.csv", newline="", encoding="utf-8") as f:
        names.update(r["organization"] for r in csv.DictReader(f))
    for path in sorted(glob.glob(str(data / "cn" / "gazette_2019" / "*.csv"))):
        with open(path, newline="", encoding="gb18030", errors="replace") as f:
            for row in csv.DictReader(f):
                names.update(n.strip() for n in (row.get("patentee") or "").split(";") if n.strip())
    with open(data / "lens" / "drone_drones_fulltext_families_5884.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            names.update(n.strip() for n in (row.get("Applicants") or "").split(";;") if n.strip())
    return names


_FORMS = [" Inc.", " Corp.", ", Inc.", " Co., Ltd.", " GmbH", " Ltd", " LLC", " Company", ""]


def perturb(name: str, rng: random.Random) -> str:
    """One change of the kind sources make."""
    kind = rng.randrange(7)
    if len(name) > 4 and kind < 3:
        i = rng.randrange(1, len(name) - 1)
        if kind == 0:
            return name[:i] + name[i + 1:]  # a letter dropped
        if kind == 1:
            return name[:i] + name[i] + name[i:]  # doubled
        return name[:i - 1] + name[i] + name[i - 1] + name[i + 1:]  # swapped
    if kind == 3:
        return name.upper() if rng.random() < 0.5 else name.title()
    if kind == 4:
        return name.replace(",", "").replace(".", "") if ("," in name or "." in name) else name + "."
    if kind == 5:
        return name + rng.choice(_FORMS) if not any(ord(c) > 0x2e80 for c in name) else name + "有限公司"
    return "The " + name if not name.startswith("The ") else name[4:]


def mentions(n: int, perturb_share: float, seed: int = 17) -> list[str]:
    base = real_names(shared_data())
    pool, weights = list(base), list(base.values())
    rng = random.Random(seed)
    out = rng.choices(pool, weights=weights, k=n)
    for i in range(n):
        if rng.random() < perturb_share:
            out[i] = perturb(out[i], rng)
    return out


def baseline_rate(distinct: list[str], pairs: int, mentions_n: int, seed: int = 5) -> float:
    """Mentions per second of the unblocked scorer: ``pairs`` random pairs timed, extrapolated to all pairs."""
    rng = random.Random(seed)
    read = [r for r in (read_name(n) for n in distinct) if r is not None]
    sample = [(rng.choice(read), rng.choice(read)) for _ in range(pairs)]
    started = time.perf_counter()
    for a, b in sample:
        score(a, b)
    per_pair = (time.perf_counter() - started) / pairs
    total = per_pair * len(read) * (len(read) - 1) / 2
    return mentions_n / total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mentions", type=int, default=100_000)
    ap.add_argument("--perturb", type=float, default=0.1)
    ap.add_argument("--baseline-pairs", type=int, default=200_000)
    args = ap.parse_args()
    names = mentions(args.mentions, args.perturb)
    distinct = sorted(set(names))
    print(f"{len(names)} mentions, {len(distinct)} distinct names", flush=True)
    read_name.cache_clear()
    started, cpu = time.perf_counter(), time.process_time()
    result = resolve(names)
    seconds = time.perf_counter() - started
    print(f"{len(result.members)} entities, {len(result.links)} links; {time.process_time() - cpu:.1f} CPU seconds "
          "(wall seconds count the time other processes held the cores)", flush=True)
    base = baseline_rate(distinct, args.baseline_pairs, len(names))
    print(f"RESULT mentions={len(names)} seconds={seconds:.3f} per_second={len(names) / seconds:.1f} "
          f"baseline_per_second={base:.3f}")


if __name__ == "__main__":
    main()
