"""The command line: ``ipcockpit COMMAND``. Each command parses its options and makes one call on the core
object (:class:`ipcockpit.app.Cockpit`); anything the command line does, Python can do.

Layout: :mod:`~ipcockpit.cli.options` holds what every command shares (``--db/--config/--json``, the
opening of the core object, the one error mapping, JSON output); the command modules are grouped by
area (:mod:`~ipcockpit.cli.data`, :mod:`~ipcockpit.cli.screen`, :mod:`~ipcockpit.cli.cockpit`,
:mod:`~ipcockpit.cli.search`, :mod:`~ipcockpit.cli.region`, :mod:`~ipcockpit.cli.users`,
:mod:`~ipcockpit.cli.serve`), each with a ``register(app)`` called below in the order of ``ipcockpit
--help``. Command modules import ``ipcockpit.cli.options``, never this package (no import cycle).
"""

from __future__ import annotations

import typer

from ipcockpit.cli import (
    cockpit,
    credit,
    data,
    entities,
    graph,
    inventors,
    marks,
    navigate,
    navigate_tools,
    region,
    screen,
    search,
    serve,
    signals,
    strength,
    users,
    watch,
)

app = typer.Typer(help="ipcockpit: IP big data for regional IP offices. 知识产权大数据驾驶舱。", no_args_is_help=True)

data.register(app)  # ingest, quarantine, stats, export, formats
screen.register(app)
serve.register(app)
cockpit.register(app)  # cockpit, report
region.register(app)  # region
users.register(app)  # user add, user list
search.register(app)  # index, search, fto
graph.register(app)  # graph build, show, communities, export, talent
strength.register(app)  # strength, strength show
entities.register(app)  # entities resolve, show, merge, split, assign, overrides
inventors.register(app)  # inventors resolve, find, show
navigate.register(app)  # navigate (patent navigation reports)
navigate_tools.register(app)  # nav presets, define, resolve, sample, check, tree, mark, suggest, tag
signals.register(app)  # signals detect, list, show, update, registry
marks.register(app)  # marks list, similar, alerts, protected load, protected list
watch.register(app)  # watch add, list, run, alerts
credit.register(app)  # credit rules, compute, list, show, record, repair, link


def main() -> None:
    app()
