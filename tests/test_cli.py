"""The command line as a whole: every registered command shares ``--db/--config`` and one error mapping
(an error is ``error: <message>`` on stderr and exit status 2, never a traceback), commands that only read
never create a store file, and the ``ipcockpit.cli`` package imports without a cycle.

Commands are found through typer's click group, so a new command must be added to ``ARGS`` below (the
smallest arguments it accepts) or :func:`test_args_cover_every_command` fails.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from ipcockpit.cli import app

CLI = Path(__file__).resolve().parents[1] / "ipcockpit" / "cli"
runner = CliRunner()

#: the smallest arguments of each command (``{tmp}``: a fresh folder), before the shared options
ARGS: dict[str, list[str]] = {
    "ingest": ["{tmp}"],
    "quarantine": [],
    "stats": [],
    "export": ["--parquet", "{tmp}/parquet"],
    "formats": [],
    "screen": [],
    "serve": [],
    "cockpit": [],
    "report": ["--plan"],
    "publish": ["1", "--by", "pytest"],
    "region": ["500120"],
    "user add": ["alice", "--role", "admin", "--password-stdin"],
    "user list": [],
    "watch add": ["--user", "alice", "--list", "l", "--patent", "CN1"],
    "watch list": ["--user", "alice"],
    "watch run": [],
    "watch alerts": ["--user", "alice"],
    "user password": ["alice", "--password-stdin"],
    "user disable": ["alice"],
    "user enable": ["alice"],
    "user logout": ["alice"],
    "index": [],
    "search": ["drone"],
    "fto": ["a drone with a camera"],
    "graph build": [],
    "graph show": [],
    "graph communities": [],
    "graph export": ["graphml", "{tmp}/g.graphml"],
    "graph talent mobility": [],
    "graph talent flows": [],
    "graph talent key": ["--ipc", "H04N"],
    "graph talent team": ["someone"],
    "graph talent employers": ["someone"],
    "strength": [],
    "entities resolve": ["Motorola Inc"],
    "entities show": ["o:0"],
    "entities merge": ["o:0", "o:1", "--analyst", "pytest"],
    "entities split": ["o:0", "Motorola Inc", "--analyst", "pytest"],
    "entities assign": [],
    "entities registry": ["{tmp}/registry.csv"],
    "entities patentsview": ["{tmp}/g_assignee_disambiguated.tsv"],
    "entities overrides": [],
    "inventors resolve": [],
    "inventors find": ["chen"],
    "inventors show": ["i:0"],
    "navigate": ["nev"],
    "nav presets": [],
    "nav define": ["{tmp}/definition.json"],
    "nav resolve": ["nev"],
    "nav sample": ["nev"],
    "nav check": ["nev"],
    "nav tree": ["nev"],
    "nav mark": ["nev", "doc", "--in"],
    "nav suggest": ["nev"],
    "nav tag": ["nev"],
    "signals detect": [],
    "signals list": [],
    "signals show": ["burst:0"],
    "signals update": ["burst:0", "--status", "checked", "--user", "pytest"],
    "signals registry": ["{tmp}/registry.csv"],
    "marks list": [],
    "marks similar": ["华为"],
    "marks alerts": [],
    "marks protected load": ["{tmp}/list.csv"],
    "marks protected list": [],
    "credit rules": [],
    "credit compute": [],
    "credit list": [],
    "credit show": ["o:0"],
    "credit record": ["--org", "o:0", "--kind", "penalty", "--category", "false_material", "--date", "2025-01-01"],
    "credit repair": ["record:0", "--date", "2025-01-01", "--basis", "pytest"],
    "credit link": ["alice", "o:0"],
}
#: commands that only read the store, with their arguments: they must not create it
READS: dict[str, list[str]] = {
    "quarantine": [],
    "stats": [],
    "export": ["--parquet", "{tmp}/parquet"],
    "screen": [],
    "serve": [],
    "cockpit": [],
    "region": ["500120"],
    "user list": [],
    "watch list": ["--user", "alice"],
    "watch alerts": ["--user", "alice"],
    "user password": ["alice", "--password-stdin"],  # an account to change must exist: so must its store
    "user disable": ["alice"],
    "user enable": ["alice"],
    "user logout": ["alice"],
    "index": [],
    "index --status": [],
    "search": ["drone"],
    "fto": ["a drone with a camera"],
    "graph build": [],
    "graph show": [],
    "graph communities": [],
    "graph export": ["graphml", "{tmp}/g.graphml"],
    "graph talent mobility": [],
    "graph talent flows": [],
    "graph talent key": ["--ipc", "H04N"],
    "graph talent team": ["someone"],
    "graph talent employers": ["someone"],
    "strength": ["--region", "500120"],
    "entities resolve": ["Motorola Inc"],
    "entities show": ["o:0"],
    "entities overrides": [],
    "marks list": [],
    "marks similar": ["华为"],
    "marks alerts": [],
    "marks protected list": [],
    "inventors find": ["chen"],
    "inventors show": ["i:0"],
    "navigate": ["nev"],  # builds and saves an edition, but only on a store that exists
    "nav presets": [],
    "nav resolve": ["nev"],
    "nav sample": ["nev"],
    "nav check": ["nev"],
    "nav tree": ["nev"],
    "nav suggest": ["nev"],
    "signals list": [],
    "signals show": ["burst:0"],
    "credit list": [],
    "credit show": ["o:0"],
}


def _commands(group: Any, prefix: str = "") -> list[str]:
    """Every command of a typer (vendored click) group, sub-commands as ``user add``."""
    names = []
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            names += _commands(command, f"{prefix}{name} ")
        else:
            names.append(prefix + name)
    return names


COMMANDS = _commands(typer.main.get_command(app))


def _args(command: str, args: list[str], tmp: Path) -> list[str]:
    return [*command.split(), *(a.replace("{tmp}", str(tmp)) for a in args)]


def test_args_cover_every_command() -> None:
    assert sorted(ARGS) == sorted(COMMANDS)
    assert {c.split(" --")[0] for c in READS} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_settings_file_is_a_clean_error(command: str, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    missing = tmp_path / "missing.yaml"
    result = runner.invoke(app, [*_args(command, ARGS[command], tmp_path), "--db", str(db), "--config", str(missing)],
                           input="a-long-password\n")
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)  # not an exception escaping as a traceback
    assert result.stderr.startswith("error: ") and "missing.yaml" in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert not db.exists()


@pytest.mark.parametrize("command", sorted(READS))
def test_a_read_command_does_not_create_the_store(command: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: served.append(a))  # `serve` must stop before this
    db = tmp_path / "var" / "nowhere.duckdb"
    result = runner.invoke(app, [*_args(command, READS[command], tmp_path), "--db", str(db)])
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("error: "), result.stderr
    assert str(db) in result.stderr and "ipcockpit ingest" in result.stderr, result.stderr
    assert not db.exists() and not db.parent.exists()
    assert not served


def test_a_write_command_creates_the_store(tmp_path: Path) -> None:
    db = tmp_path / "var" / "new.duckdb"
    result = runner.invoke(app, ["user", "add", "alice", "--role", "admin", "--password-stdin", "--db", str(db)],
                           input="a-long-password\n")
    assert result.exit_code == 0, (result.output, result.exception)
    assert db.exists()
    listed = runner.invoke(app, ["user", "list", "--json", "--db", str(db)])
    assert listed.exit_code == 0 and '"alice"' in listed.stdout
    assert "已添加用户 alice，角色 admin" in result.stderr
    table = runner.invoke(app, ["user", "list", "--db", str(db)]).stdout  # Chinese headings, a time people read
    assert "用户名" in table and re.search(r"alice .* admin .* \d{4}-\d\d-\d\d \d\d:\d\d UTC", table), table


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Any:
    """``ipcockpit serve --read-only`` on a store with a user, after its first request: the server process
    holds the store file."""
    import time

    import httpx

    db = tmp_path / "served.duckdb"
    added = runner.invoke(app, ["user", "add", "alice", "--role", "admin", "--password-stdin", "--db", str(db)],
                          input="a-long-password\n")
    assert added.exit_code == 0, added.output
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ipcockpit.cli", "serve", "--db", str(db), "--port", str(port),
                             "--read-only"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(150):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/cockpit", timeout=10).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError("the server did not start")
        yield db, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _run(*args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    extra = ["--config", str(config)] if config else []
    return subprocess.run([sys.executable, "-m", "ipcockpit.cli", *args, *extra], capture_output=True, text=True,
                          input="another-long-password\n", timeout=120)


@pytest.mark.slow
def test_a_write_command_while_the_server_runs_says_what_to_do(served: tuple[Path, int], tmp_path: Path) -> None:
    """DuckDB's lock text ("IO Error: Could not set lock ...") becomes a message in the CLI's language that
    names the server's process and says what to do; the same for every write command."""
    db, pid = served
    out = _run("user", "add", "bob", "--role", "analyst", "--password-stdin", "--db", str(db))
    assert out.returncode == 2 and out.stderr.startswith("error: "), out.stderr
    assert "Could not set lock" not in out.stderr and "IO Error" not in out.stderr, out.stderr
    assert f"PID {pid}" in out.stderr and "ipcockpit serve" in out.stderr, out.stderr
    assert "正被另一个进程使用" in out.stderr and "Ctrl+C" in out.stderr, out.stderr
    assert "--read-only" in out.stderr and "/admin/users" in out.stderr, out.stderr  # the web's way
    report = _run("report", "ip_service_agencies", "30", "--year", "2024", "--source", "名录", "--by", "区局",
                  "--db", str(db))
    assert report.returncode == 2 and "正被另一个进程使用" in report.stderr and "驾驶舱" in report.stderr, report.stderr
    ingest = _run("ingest", str(tmp_path), "--db", str(db))  # a path that is there (a missing one is said first)
    assert ingest.returncode == 2 and "正被另一个进程使用" in ingest.stderr, ingest.stderr
    english = tmp_path / "en.yaml"
    english.write_text("language: en\n", encoding="utf-8")
    en = _run("user", "add", "bob", "--role", "analyst", "--password-stdin", "--db", str(db), config=english)
    assert en.returncode == 2 and "in use by another process" in en.stderr and "/admin/users" in en.stderr, en.stderr
    # a command that only reads opens the store read-only beside the read-only server
    read = _run("user", "list", "--json", "--db", str(db))
    assert read.returncode == 0 and '"alice"' in read.stdout, read.stderr


@pytest.mark.slow
def test_a_read_command_while_another_process_writes(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    assert runner.invoke(app, ["report", "--plan", "--db", str(db)]).exit_code == 0
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time, duckdb\n"
                               "con = duckdb.connect(sys.argv[1])\nprint('ready', flush=True)\ntime.sleep(120)",
                               str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        out = _run("cockpit", "--db", str(db))
        assert out.returncode == 2 and f"PID {holder.pid}" in out.stderr, out.stderr
        assert "正被另一个进程使用" in out.stderr and "可写" in out.stderr and "IO Error" not in out.stderr, out.stderr
    finally:
        holder.terminate()
        holder.wait(timeout=20)


def test_python_m_ipcockpit_cli_runs(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "ipcockpit.cli", "stats", "--db", str(tmp_path / "none.duckdb")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stderr.startswith("error: ") and "Traceback" not in out.stderr, out.stderr


@pytest.mark.slow
def test_the_cli_package_has_no_import_cycle() -> None:
    """Command modules import the shared options module, never the package that registers them; and each
    module imports on its own in a fresh interpreter."""
    modules = sorted(p.stem for p in CLI.glob("*.py"))
    assert {"__init__", "__main__", "options"} <= set(modules), modules
    for name in modules:
        if name in ("__init__", "__main__"):
            continue
        tree = ast.parse((CLI / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.module != "ipcockpit.cli" and not (node.module == "ipcockpit" and
                                                                any(a.name == "cli" for a in node.names)), name
                if name == "options":
                    assert not (node.module or "").startswith("ipcockpit.cli."), "options imports no command module"
    for name in [m for m in modules if m != "__main__"]:
        target = "ipcockpit.cli" if name == "__init__" else f"ipcockpit.cli.{name}"
        out = subprocess.run([sys.executable, "-c", f"import {target}; print('ok')"], capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0 and out.stdout.strip() == "ok", (target, out.stderr)
