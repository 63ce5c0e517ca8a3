"""Progress of long commands when stderr is not a terminal (``make run`` under a pipe, a log file, CI):
plain lines with counts and the time elapsed, at the start, every so often, and at the end -- not a live
bar that rich suppresses, which left ``make run`` silent for minutes while it indexed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from ipcockpit.cli import app
from ipcockpit.cli.progress import Progress
from ipcockpit.i18n import Translator

runner = CliRunner()
ABSTRACTS = "cn/abstracts_cpc_liaoleyuan/sample_val.csv"  # 492 records (`ipcockpit ingest` reads 492)
LINE = re.compile(r"^导入记录：[\d,]+，(?:已用|完成，用时) \d+:\d\d:\d\d", re.M)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_every_interval_and_at_each_tenth() -> None:
    out = Console(file=__import__("io").StringIO(), force_terminal=False, width=200)
    clock = Clock()
    with Progress(out, Translator("zh-CN"), every=10.0, clock=clock) as progress:
        assert not progress.live
        for second in range(0, 36):  # an unknown total: a line at the start, then every 10 s
            clock.now = float(second)
            progress.advance("records", "导入记录", 100)
        progress.finish("records")
    lines = out.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert [ln.split("，")[0] for ln in lines] == ["导入记录：100", "导入记录：1,100", "导入记录：2,100",
                                                  "导入记录：3,100", "导入记录：3,600"], lines
    assert lines[1].endswith("已用 0:00:10") and lines[-1].startswith("导入记录：3,600，完成"), lines
    out = Console(file=__import__("io").StringIO(), force_terminal=False, width=200)
    clock.now = 0.0
    with Progress(out, Translator("en"), every=600.0, clock=clock) as progress:
        for done in range(0, 1001, 50):  # a known total: a line at each tenth as well (at most one a second)
            clock.now += 1.5
            progress.update("embed:en", "embed (en)", done, 1000)
    lines = out.file.getvalue().splitlines()  # type: ignore[attr-defined]
    pcts = [re.search(r"\((\d+)%\)", ln).group(1) for ln in lines]  # type: ignore[union-attr]
    assert pcts == ["0", "10", "20", "30", "40", "50", "60", "70", "80", "90", "100"], lines
    assert lines[-1].startswith("embed (en): 1,000 / 1,000 (100%), done in 0:00:31"), lines


def test_ingest_under_a_pipe_prints_progress_lines(shared: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    out = subprocess.run([sys.executable, "-m", "ipcockpit.cli", "ingest", str(shared / ABSTRACTS), "--db", str(db)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = LINE.findall(out.stderr)
    assert len(lines) >= 2, out.stderr  # the start and the end at least
    assert re.search(r"^导入记录：492，完成，用时 \d+:\d\d:\d\d", out.stderr, re.M), out.stderr
    assert "sample_val.csv" in out.stderr


def test_ingest_in_clirunner_prints_progress_lines(shared: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(shared / ABSTRACTS), "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 0, result.output
    assert LINE.search(result.stderr), result.stderr
    quiet = runner.invoke(app, ["ingest", str(shared / ABSTRACTS), "--db", str(tmp_path / "s.duckdb"), "--json"])
    assert quiet.exit_code == 0 and not LINE.search(quiet.stderr)  # --json: machine output, no progress


def test_rate_and_time_left_of_a_resumed_stage() -> None:
    """A stage with a unit shows its rate and the time left; a stage resumed at 400 of 1,000 counts only
    what it does from there (100 docs in 4 s: 25 docs/s, 500 left: 20 s)."""
    out = Console(file=__import__("io").StringIO(), force_terminal=False, width=200)
    clock = Clock()
    with Progress(out, Translator("en"), every=2.0, clock=clock) as progress:
        for done in (400, 450, 500):
            progress.update("embed:multi", "embed (multi)", done, 1000, unit="docs")
            clock.now += 2.0
        clock.now = 40.0
        progress.update("embed:multi", "embed (multi)", 1000, 1000, unit="docs")
    lines = out.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert lines[0] == "embed (multi): 400 / 1,000 (40%), 0:00:00 elapsed", lines  # no rate before a second
    assert lines[-2] == "embed (multi): 500 / 1,000 (50%), 0:00:04 elapsed, 25.0 docs/s, ETA 0:00:20", lines
    assert lines[-1] == "embed (multi): 1,000 / 1,000 (100%), done in 0:00:40, 15.0 docs/s", lines
    out = Console(file=__import__("io").StringIO(), force_terminal=False, width=200)
    clock.now = 0.0
    with Progress(out, Translator("zh-CN"), every=2.0, clock=clock) as progress:
        for done in (0, 60):
            progress.update("embed:en", "向量化 (en)", done, 120, unit="篇")
            clock.now += 2.0
    line = out.file.getvalue().splitlines()[1]  # type: ignore[attr-defined]
    assert line == "向量化 (en)：60 / 120（50%），已用 0:00:02，30.0 篇/秒，预计还需 0:00:02"
