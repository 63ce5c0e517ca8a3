"""The ``serve`` command: the web app and the REST API (启动网页应用)."""

from __future__ import annotations

from typing import Annotated

import typer

from ipcockpit.cli.options import command_options
from ipcockpit.settings import Settings
from ipcockpit.store import require_file


@command_options(opens=None, json_output=False)
def serve(
    settings: Settings,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    writable: Annotated[bool, typer.Option("--writable", help="Open the store for writing, so that signed-in "
                                           "analysts can report values and writes are audited (no other "
                                           "process may write the file meanwhile).")] = False,
) -> None:
    """Serve the web app and REST API. 启动网页应用。"""
    import uvicorn

    from ipcockpit.web.server import create_app

    settings = settings.with_overrides(host=host, port=port)
    if not writable:
        require_file(settings.db)  # a read-only app serves a store that exists; --writable may create it
    uvicorn.run(create_app(settings, read_only=not writable), host=settings.host, port=settings.port,
                log_level="info")


def register(app: typer.Typer) -> None:
    app.command()(serve)
