"""bench/entities_scale.py and bench/entities_quality.py on the real shared data: the RESULT lines' format and sane
figures (small runs; the figures of docs/entities.md come from the full ones)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCALE = re.compile(r"^RESULT mentions=(\d+) seconds=([\d.]+) per_second=([\d.]+) baseline_per_second=([\d.]+)$")
QUALITY = re.compile(r"^RESULT pairwise_precision=([\d.]+) b3_f1=([\d.]+) baseline_pairwise_precision=([\d.]+) "
                     r"baseline_b3_f1=([\d.]+)$")


def _run(shared: Path, *args: str) -> str:
    run = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600, cwd=ROOT,
                         env={**os.environ, "IPCOCKPIT_SHARED_DATA": str(shared)})
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout.strip().splitlines()[-1]


def test_scale_bench_prints_its_result_and_blocking_beats_every_pair(shared: Path) -> None:
    last = _run(shared, str(ROOT / "bench" / "entities_scale.py"), "--mentions", "20000", "--baseline-pairs", "20000")
    m = SCALE.match(last)
    assert m, last
    mentions, seconds, rate, baseline = (float(g) for g in m.groups())
    assert mentions == 20000 and seconds > 0 and abs(rate - mentions / seconds) <= 0.1 * rate
    assert rate > 2 * baseline > 0  # about 30 times at this size; wall time, so with room for a loaded machine


def test_quality_bench_prints_both_sides(shared: Path) -> None:
    m = QUALITY.match(_run(shared, str(ROOT / "bench" / "entities_quality.py"), "--no-splink"))
    assert m
    ours_p, ours_b3, base_p, base_b3 = (float(g) for g in m.groups())
    assert ours_p >= 0.995 and ours_b3 >= 0.97
    assert base_p == 0.9977 and base_b3 == 0.9507  # folding, as measured before this work
