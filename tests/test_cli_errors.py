"""The command line's errors on a store it cannot use (issue 14): a store another process holds for writing,
an unknown profile or region, and a ``--db`` that names no store (a typo).

Every command that opens the store answers with exit status 2 (the CLI's error status: ``error: <message>``
on stderr; typer's own usage errors use 2 as well) and ONE line that names the store or the option, says what
to do, in the setting's language (Chinese by default, English with ``language: en``), and no traceback. With
``--json`` it is the same line on stderr and nothing on stdout: no command answers an error in JSON. A read
command creates no file and no folder; an unknown profile or region is found before the store is opened, so
``report``/``publish`` (which create a store) do not create one either.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app
from ipcockpit.settings import Settings
from ipcockpit.value.index import load_profiles
from tests.test_cli import ARGS

runner = CliRunner()

#: the commands that open no store (``serve`` opens it in the web app, ``formats`` and ``credit rules`` not at all)
NO_STORE = {"serve", "formats", "credit rules"}
#: every command that opens the store, with its smallest arguments (``{tmp}``: a fresh folder): test_cli's list
OPENS: dict[str, list[str]] = {name: args for name, args in ARGS.items() if name not in NO_STORE}
#: the commands that only read: a missing store is an error and nothing is created
READS: dict[str, list[str]] = {
    "quarantine": [],
    "stats": [],
    "export": ["--parquet", "{tmp}/parquet"],
    "screen": [],
    "cockpit": [],
    "user list": [],
    "user logout": ["alice"],
    "index": [],
    "index --status": [],
    "search": ["drone"],
    "fto": ["a drone with a camera"],
    "serve": [],
}
#: words of each language's message, to see that the message is in the setting's language
LOCKED = {"zh-CN": "正被另一个进程使用", "en": "in use by another process"}
NO_STORE_HERE = {"zh-CN": "这里没有数据库", "en": "no database here"}
IS_FOLDER = {"zh-CN": "是一个文件夹", "en": "is a folder"}
NO_PROFILE = {"zh-CN": "没有这个价值指数权重方案", "en": "no value-index weight profile"}
NO_REGION = {"zh-CN": "没有这个地区的档案", "en": "no region profile"}

#: the process that holds the store for writing: ipcockpit's core opened writable, until it is killed
HOLD = "import sys, time\nfrom ipcockpit.app import Cockpit\ncockpit = Cockpit(db=sys.argv[1])\n" \
       "print('ready', flush=True)\ntime.sleep(600)"


def _commands(group: Any, prefix: str = "") -> list[str]:
    names = []
    for name, command in sorted(group.commands.items()):
        names += _commands(command, f"{prefix}{name} ") if hasattr(command, "commands") else [prefix + name]
    return names


def _has_json(command: str) -> bool:
    click_command: Any = typer.main.get_command(app)
    for part in command.split():
        click_command = click_command.commands[part]
    return any("--json" in p.opts for p in click_command.params)


def _args(command: str, args: list[str], tmp: Path) -> list[str]:
    return [*command.split(), *(a.replace("{tmp}", str(tmp)) for a in args)]


def _config(tmp: Path, lang: str) -> list[str]:
    """``--config`` of a settings file in ``lang`` (none for the default, Chinese)."""
    if lang == "zh-CN":
        return []
    path = tmp / "en.yaml"
    path.write_text("language: en\n", encoding="utf-8")
    return ["--config", str(path)]


def _one_error_line(result: Any) -> str:
    """The error as the user reads it: status 2, no exception escaping, one line on stderr, nothing on stdout."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # not a traceback
    assert "Traceback" not in result.output
    assert result.stdout == "", result.stdout  # --json too: no half JSON, no table
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_the_lists_cover_every_command() -> None:
    commands = _commands(typer.main.get_command(app))
    assert sorted([*OPENS, *NO_STORE]) == sorted(commands)
    assert {c.split(" --")[0] for c in READS} <= set(commands)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    """A store with the real CN table export sample, which nothing holds."""
    db = tmp_path_factory.mktemp("store") / "store.duckdb"
    with Cockpit(Settings(db=str(db))) as c:
        c.ingest([shared / "cn/table_export_sample"])
    return db


@pytest.fixture(scope="module")
def held(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    """A copy of ``store`` that another process holds for writing (as an ingest or ``serve --writable``
    does): the store's path and the process id."""
    db = tmp_path_factory.mktemp("held") / "held.duckdb"
    shutil.copy(store, db)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield db, holder.pid
    finally:
        holder.kill()
        holder.wait(timeout=20)


LOCK_CASES = [(c, j) for c in OPENS for j in ((False, True) if _has_json(c) else (False,))]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize(("command", "json_out"), LOCK_CASES)
def test_a_store_held_for_writing_is_one_clear_line(command: str, json_out: bool, lang: str,
                                                    held: tuple[Path, int], tmp_path: Path) -> None:
    db, pid = held
    before = db.stat().st_mtime_ns
    args = [*_args(command, OPENS[command], tmp_path), *(["--json"] if json_out else []), "--db", str(db),
            *_config(tmp_path, lang)]
    line = _one_error_line(runner.invoke(app, args, input="a-long-password\n"))
    assert str(db) in line and f"PID {pid}" in line and LOCKED[lang] in line, line
    assert "IO Error" not in line and "Could not set lock" not in line, line  # not DuckDB's text
    assert "Ctrl+C" in line or ("等它结束" if lang == "zh-CN" else "wait for it") in line, line  # what to do
    assert db.stat().st_mtime_ns == before
    assert not (tmp_path / "parquet").exists()  # export wrote nothing


@pytest.mark.slow
def test_a_store_held_for_writing_in_a_real_process(held: tuple[Path, int], tmp_path: Path) -> None:
    """As a user runs it: no traceback printed by typer, status 2, one line."""
    db, pid = held
    for args in (["stats"], ["screen", "--json"], ["export", "--parquet", str(tmp_path / "out")]):
        out = subprocess.run([sys.executable, "-m", "ipcockpit.cli", *args, "--db", str(db)], capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 2 and "Traceback" not in out.stderr and out.stdout == "", (args, out.stderr)
        assert len(out.stderr.splitlines()) == 1 and f"PID {pid}" in out.stderr, (args, out.stderr)
    assert not (tmp_path / "out").exists()


def _profile_line(lang: str) -> tuple[list[str], list[str]]:
    names = load_profiles()["profiles"]
    return list(names), [str(v[f"name_{'zh' if lang == 'zh-CN' else 'en'}"]) for v in names.values()]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("output", [[], ["--json"], ["--csv"]])
def test_an_unknown_profile_lists_the_known_ones(output: list[str], lang: str, store: Path, tmp_path: Path) -> None:
    line = _one_error_line(runner.invoke(app, ["screen", "--profile", "bogus", *output, "--db", str(store),
                                               *_config(tmp_path, lang)]))
    assert "bogus" in line and NO_PROFILE[lang] in line, line
    ids, names = _profile_line(lang)
    assert all(i in line for i in ids) and all(n in line for n in names), line


def test_an_unknown_profile_is_found_before_the_store_is_opened(tmp_path: Path) -> None:
    """A typo in --profile is said as such, not hidden behind the store's error (here: none there)."""
    db = tmp_path / "none.duckdb"
    line = _one_error_line(runner.invoke(app, ["screen", "--profile", "bogus", "--db", str(db)]))
    assert NO_PROFILE["zh-CN"] in line and not db.exists(), line


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("command", [["cockpit"], ["cockpit", "--json"], ["report", "--plan"],
                                     ["publish", "--indicator", "pct_applications", "--by", "pytest"]])
def test_an_unknown_region_lists_the_known_ones(command: list[str], lang: str, tmp_path: Path) -> None:
    """``--region`` names a region profile: an unknown code lists the known ones (code and name), and
    ``report``/``publish``, which create a missing store, create none for it."""
    db = tmp_path / "new.duckdb"
    line = _one_error_line(runner.invoke(app, [*command, "--region", "999999", "--db", str(db),
                                               *_config(tmp_path, lang)]))
    assert "999999" in line and NO_REGION[lang] in line, line
    assert "500120" in line and ("重庆市璧山区" if lang == "zh-CN" else "Bishan") in line, line
    assert not db.exists()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("command", sorted(READS))
def test_a_mistyped_db_says_there_is_no_store_and_creates_nothing(command: str, lang: str, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: served.append(a))  # `serve` must stop before this
    name = command.split(" --")[0]
    for json_out in (False, True) if _has_json(name) else (False,):
        db = tmp_path / "var" / "ipcokcpit.duckdb"  # a typo, in a folder that does not exist either
        args = [*_args(command, READS[command], tmp_path), *(["--json"] if json_out else []), "--db", str(db),
                *_config(tmp_path, lang)]
        line = _one_error_line(runner.invoke(app, args))
        assert str(db) in line and NO_STORE_HERE[lang] in line, line
        assert f"ipcockpit ingest PATH --db {db}" in line or f"ipcockpit ingest 路径 --db {db}" in line, line
        assert not db.exists() and not db.parent.exists()
        assert not (tmp_path / "parquet").exists()
    assert not served


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("command", ["stats", "screen --json", "ingest {tmp}"])
def test_a_folder_given_as_db_says_so(command: str, lang: str, tmp_path: Path) -> None:
    """``--db var`` instead of ``--db var/ipcockpit.duckdb``: the folder is named as a folder, not as a
    database another process might be writing."""
    folder = tmp_path / "var"
    folder.mkdir()
    args = [*(a.replace("{tmp}", str(tmp_path)) for a in command.split()), "--db", str(folder),
            *_config(tmp_path, lang)]
    line = _one_error_line(runner.invoke(app, args))
    assert IS_FOLDER[lang] in line and str(folder / "ipcockpit.duckdb") in line, line
    assert "另一个进程" not in line and "another process" not in line, line
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_export_to_a_file_says_to_name_a_folder(lang: str, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "tables.parquet"
    target.write_text("keep me\n", encoding="utf-8")
    line = _one_error_line(runner.invoke(app, ["export", "--parquet", str(target), "--db", str(store),
                                               *_config(tmp_path, lang)]))
    assert str(target) in line and "Errno" not in line, line
    assert target.read_text(encoding="utf-8") == "keep me\n"
