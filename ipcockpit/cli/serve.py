"""The ``serve`` command: the web app and the REST API (启动网页应用).

The server owns its store: it opens it for writing (signed-in analysts report values, admins add users, and
``ipcockpit ingest`` / ``ipcockpit index`` on the same store hand their job to it while its pages keep
answering: :mod:`ipcockpit.web.jobs`). It opens the store before it listens, so that a store another
process holds is the command line's lock error, not a server that answers 503. ``--read-only`` opens it
read-only instead, for several servers sharing one file (replicas); data is then loaded with the servers
stopped, or into a copy (docs/operations.md). ``--writable`` is accepted for old scripts and does nothing.
Either way the store must exist (``ipcockpit ingest`` or ``ipcockpit user add`` make it): a mistyped ``--db``
is an error, not an empty store.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ipcockpit.cli.options import command_options, fail
from ipcockpit.settings import Settings
from ipcockpit.store import require_file


@command_options(opens=None, json_output=False, locked="cli.locked_serve")
def serve(
    settings: Settings,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Open the store read-only, so that several "
                                            "servers can share the file; nothing is written, and new data is "
                                            "loaded with the servers stopped or into a copy "
                                            "(docs/operations.md).")] = False,
    writable: Annotated[bool, typer.Option("--writable", hidden=True, help="The default; kept for old "
                                           "scripts.")] = False,
) -> None:
    """Serve the web app and REST API. 启动网页应用。"""
    import uvicorn

    from ipcockpit.web.server import create_app

    if read_only and writable:
        raise fail("--read-only and --writable: give one of them (writable is the default)")
    settings = settings.with_overrides(host=host, port=port)
    require_file(settings.db)  # a mistyped --db is an error, not a new empty store served as if it were data
    app = create_app(settings, read_only=read_only, warm=True)
    if not read_only:
        app.state.cockpit.root  # noqa: B018 (open the store now: held by another process, this says so and stops)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")


def register(app: typer.Typer) -> None:
    app.command()(serve)
