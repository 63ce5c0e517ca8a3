"""``ipcockpit watch run`` (from cron) while ``ipcockpit serve`` holds the store: the command hands the run to the
server (ipcockpit/cli/handover.py, job kind ``watch``), which finds new events and sends the deliveries due or
failed; before, the command stopped at the store's lock, so while a server ran no digest or retry was ever sent.

A real server (``python -m ipcockpit.cli serve``), a real SMTP server (aiosmtpd) and a real EPO OPS legal-events
file: the mail of each alert fails at ingest (nothing listens on the port the store was first given), then the
handed-over run sends every one of them, once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from shared_stores import copy_store, empty_store
from test_web_handover import cli, serving
from watch_support import SmtpServer, free_port

from ipcockpit.app import Cockpit
from ipcockpit.auth import User
from ipcockpit.settings import Settings
from ipcockpit.watch.service import Watch

OPS3 = "epo_ops/legal/fixtures/example_3.xml"


def test_watch_run_is_handed_to_the_running_server(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                                                   shared: Path) -> None:
    db = copy_store(empty_store(tmp_path_factory), tmp_path, "w.duckdb")
    with SmtpServer() as smtp:
        dead = free_port()
        with Cockpit(Settings(db=str(db), watch={"smtp_host": "127.0.0.1", "smtp_port": dead})) as c:
            c.add_user("ana", "analyst", "analyst-pass-2")
            w = Watch(c.store, c.settings)
            w.add(User("ana", "analyst"), "ops", {"patent": ["US10465445"]}, email="ana@bishan.example")
            c.ingest([shared / OPS3])
            alerts = sorted(a["alert_id"] for a in w.alerts(User("ana", "analyst"))["alerts"])
            failed = c.store.scalar("SELECT count(*) FROM watch_deliveries WHERE channel = 'email' AND "
                                    "status = 'failed'")
        assert alerts and failed == len(alerts)
        config = tmp_path / "ipcockpit.yaml"
        config.write_text(yaml.safe_dump({"db": str(db), "watch": {"smtp_host": "127.0.0.1",
                                                                   "smtp_port": smtp.port}}), encoding="utf-8")
        with serving(db, tmp_path / "serve.log", "--config", str(config)):
            run = cli("watch", "run", "--json", config=config)
            assert run.returncode == 0, run.stderr
            report = json.loads(run.stdout)
            assert "PID" in run.stderr and "127.0.0.1" in run.stderr  # cli.handover_watch: the server did it
            assert report["new_alerts"] == 0 and report["delivery"]["sent"].get("email") == len(alerts)
            assert sorted(smtp.mailbox.alert_ids()) == alerts
            again = json.loads(cli("watch", "run", "--json", config=config).stdout)
            assert not again["delivery"]["sent"] and len(smtp.mailbox.messages) == len(alerts)  # never twice
            other = cli("watch", "alerts", "--user", "ana", "--json", config=config)  # not handed over
            assert other.returncode == 2 and "ipcockpit serve" in other.stderr  # the lock, who holds it, what to do
    with Cockpit(Settings(db=str(db))) as c:
        assert c.store.scalar("SELECT count(*) FROM watch_deliveries WHERE status <> 'sent'") == 0
