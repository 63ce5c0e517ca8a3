"""The drones navigation report (Lens drones export, lens/drone_drones_fulltext_families_5884.csv) in HTML, PDF
and Word, timed from the store to the three files, and the chart-image choice measured side by side.

1. Store. The export ingested into a new store in a temporary folder (not timed).
2. Report. With the industry and analyses modules present, ``Navigation.build`` of a definition of the drones
   (IPC B64); without them the report of tests/navigation_support.py (the same members, the analyses in the
   contract's shape computed from the store) — the RESULT line says which (``analyses=real|support``).
3. Formats. HTML (standalone), PDF, Word, each timed, in a fresh process: the PDF pays the one-time load of
   ECharts into V8 (mini-racer).
4. Charts. Per chart: ECharts SSR to SVG in mini-racer, SVG to PNG with resvg-py; the baseline: node
   (when on PATH) drawing the same options to SVG with the same echarts.min.js, one process per chart as a
   caller without an embedded engine would run it.

Last line: ``RESULT seconds=<float> html_s=<float> pdf_s=<float> docx_s=<float> charts=<int>
svg_ms=<float> png_ms=<float> node_svg_ms=<float|nan> analyses=<real|support>`` (seconds: report + the three
formats). Goal (issue 18): seconds <= 60 on 2 cores. Run: ``nice -n 10 .venv/bin/python bench/navigation_report.py``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from ipcockpit.app import Cockpit  # noqa: E402
from ipcockpit.navigation import chart_images  # noqa: E402
from ipcockpit.settings import Settings  # noqa: E402

NODE = """const echarts = require(process.argv[1]); const o = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const c = echarts.init(null, null, {renderer: 'svg', ssr: true, width: 800, height: 400}); c.setOption(o);
process.stdout.write(c.renderToSVGString()); c.dispose(); process.exit(0);"""


def _report(c: Cockpit) -> tuple[dict, str]:
    if importlib.util.find_spec("ipcockpit.navigation.industry") and importlib.util.find_spec(
            "ipcockpit.navigation.analyses"):
        from ipcockpit.navigation.industry import Definition

        drones = Definition(id="drones", name_zh="无人机", name_en="Drones", sei_branches=[], ipc=["B64"], cpc=[],
                            keywords=[], query=None, seeds=[], combine="any")
        return c.navigation.build(drones, None, save=False), "real"
    from navigation_support import drones_report

    return drones_report(c.store.con), "support"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"), help="the shared data folder")
    ap.add_argument("--out", default=None, help="keep the three files in this folder")
    args = ap.parse_args()
    source = Path(args.shared) / "lens" / "drone_drones_fulltext_families_5884.csv"
    if not source.exists():
        source = Path("/work/shared/data/lens/drone_drones_fulltext_families_5884.csv")
    tmp = Path(tempfile.mkdtemp(prefix="nav_bench_"))
    try:
        with Cockpit(Settings(db=str(tmp / "drones.duckdb"))) as c:
            c.ingest([source])
            nav = c.navigation
            start = time.perf_counter()
            report, which = _report(c)
            built = time.perf_counter() - start
            times, files = {}, {}
            for fmt in ("html", "pdf", "docx"):
                s = time.perf_counter()
                files[fmt] = nav.render(report, fmt)
                times[fmt] = time.perf_counter() - s
            total = built + sum(times.values())
        options = [s["chart"] for s in report["sections"] if s.get("chart") and not s.get("empty_reason")]
        s = time.perf_counter()
        svgs = [chart_images.to_svg(o) for o in options]
        svg_ms = 1000 * (time.perf_counter() - s) / max(len(options), 1)
        s = time.perf_counter()
        for svg in svgs:
            chart_images.svg_to_png(svg)
        png_ms = 1000 * (time.perf_counter() - s) / max(len(options), 1)
        node_ms = float("nan")
        node = shutil.which("node")
        if node and options:
            s = time.perf_counter()
            for o in options:
                subprocess.run([node, "-e", NODE, str(chart_images.ECHARTS)], input=json.dumps(o).encode(),
                               capture_output=True, check=True, timeout=60)
            node_ms = 1000 * (time.perf_counter() - s) / len(options)
        if args.out:
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            for fmt, content in files.items():
                (out / f"drones.{fmt}").write_bytes(content)
        print(f"report {built:.2f} s ({which}), sections {len(report['sections'])}, charts {len(options)}; "
              + ", ".join(f"{k} {v:.2f} s {len(files[k]):,} bytes" for k, v in times.items()))
        print(f"RESULT seconds={total:.2f} html_s={times['html']:.2f} pdf_s={times['pdf']:.2f} "
              f"docx_s={times['docx']:.2f} charts={len(options)} svg_ms={svg_ms:.1f} png_ms={png_ms:.1f} "
              f"node_svg_ms={node_ms:.1f} analyses={which}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
