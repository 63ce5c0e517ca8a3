"""What every command shares: the ``--db/--config/--json`` options, the opening of the core object, the
one error mapping, and the output helpers.

A command is a function decorated with :func:`command_options`; its first parameter receives the opened
:class:`~ipcockpit.app.Cockpit` (or the :class:`~ipcockpit.settings.Settings`, for the commands that do
not open the store) and it makes one call on it. Rules:

- Any error ipcockpit raises on purpose (:class:`~ipcockpit.errors.IPCockpitError`: settings, store,
  search, FTO, reporting, access ...) and any file-system error becomes ``error: <message>`` on stderr
  and exit status 2, never a traceback: one line (line breaks in a message, e.g. of a holder's command
  line, become spaces), also with ``--json`` (stdout stays empty; no command answers an error in JSON).
  The messages say what to do.
- ``opens="read"``: the store must exist (a missing file is an error in the command line's language
  saying to ingest first; nothing is created, no folder either). ``opens="write"``: a missing store is
  created (ingest, report, publish, user add). A folder given as the store is an error naming it.
- A command's ``check`` (usage errors, an unknown profile or region) runs with the settings before the
  store is opened: an error there opens, and creates, nothing.
- A store another process holds (DuckDB: one writer, or several readers, per file) is not DuckDB's lock
  text but a message in the command line's language naming that process and what to do
  (``locked``: the command's own advice, e.g. the web page that does the same while the server runs). A
  command that only reads opens the store read-only when another process only reads it (``ipcockpit
  serve`` without ``--writable``).
- Language: what the commands print for people (tables' headings and words, progress, the lock message)
  is in the setting ``language`` (zh-CN by default; ``language: en`` in the settings file for English),
  from the catalogues of :mod:`ipcockpit.i18n`. JSON output is the data itself, as the API's.
- Tables go to :func:`table_console`: a terminal's width (path columns fold, never an ellipsis), and
  whole lines when stdout is not a terminal (rich would cut them at 80 columns).
- This module imports no command module and not the ``ipcockpit.cli`` package (no import cycle).
"""

from __future__ import annotations

import functools
import inspect
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from ipcockpit import i18n
from ipcockpit.app import Cockpit
from ipcockpit.errors import IPCockpitError, StoreLockedError, StoreMissingError
from ipcockpit.settings import Settings, load_settings

err = Console(stderr=True, soft_wrap=True)  # messages stay whole lines when piped
MISSING = "–"  # a table's cell for a value the data does not give
#: columns of a table printed to a pipe, a file or a log: wide enough that rows stay whole lines
PIPE_WIDTH = 1000

DbOption = Annotated[str | None, typer.Option("--db",
                                              help="DuckDB file (default: setting 'db', var/ipcockpit.duckdb).")]
ConfigOption = Annotated[str | None, typer.Option("--config",
                                                  help="Settings file (default ipcockpit.yaml if present).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
#: what a command does with the store: read it (must exist), write it (created when missing), or not open it
Opens = Literal["read", "write"] | None
#: the errors a command reports as ``error: <message>`` (exit status 2)
ERRORS: tuple[type[BaseException], ...] = (IPCockpitError, OSError)

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on stderr, on one line; the caller raises the returned exit (status 2)."""
    err.print(f"[red]error:[/red] {escape(one_line(message))}")
    return typer.Exit(2)


def one_line(text: str) -> str:
    """``text`` with its line breaks (and the spaces around them) as one space: an error is one line, also
    where it quotes a process's command line (``python -c`` with a script) or a database's message."""
    return re.sub(r"\s*[\r\n]+\s*", " ", text.strip())


def language(settings: Settings | None) -> str:
    """The language of what the command line prints: the setting ``language`` (zh-CN unless set)."""
    return i18n.normalise(settings.language if settings is not None else None) or i18n.DEFAULT_LANGUAGE


def texts(settings: Settings | None) -> i18n.Translator:
    """The catalogue texts in the command line's language: ``texts(cockpit.settings)("cockpit.title")``."""
    return i18n.Translator(language(settings))


def when(settings: Settings | None, value: object) -> str:
    """A stored time as the command line prints it: in the setting ``timezone`` (the system's zone unless set),
    to the minute, the zone named (``2026-12-06 13:49 UTC+8``); a naive value is this machine's local time,
    as the store writes it. ``–`` for none."""
    from ipcockpit import localtime

    return localtime.show(value, localtime.zone(settings.timezone if settings is not None else ""),
                          seconds=False) or MISSING


def message(exc: BaseException, t: i18n.Translator, opens: Opens = "read", locked: str | None = None) -> str:
    """What the user reads for an error: a store held by another process in ``t``'s language, with the
    command's advice (``locked``, a catalogue key) or the general one; no store where one is read, in
    ``t``'s language; any other error's own message."""
    if isinstance(exc, StoreMissingError):
        return t("cli.no_store", path=exc.path)
    if isinstance(exc, StoreLockedError):
        if opens == "write" or exc.readers:
            hint = locked or "cli.locked_write"
        else:
            hint = "cli.locked_read"
        return t("cli.locked", path=exc.path, holder=exc.holder) + t(hint)
    return str(exc)


@contextmanager
def reported_errors(t: i18n.Translator | None = None, opens: Opens = "read",
                    locked: str | None = None) -> Iterator[None]:
    """The one error mapping of the command line."""
    try:
        yield
    except ERRORS as exc:
        raise fail(message(exc, t or texts(None), opens, locked)) from exc


def open_cockpit(settings: Settings, opens: Literal["read", "write"]) -> Cockpit:
    """The core object for a command: a read command opens the store read-only when another process holds
    it read-only (a read-only server); the lock error stays when that process writes."""
    try:
        return Cockpit(settings, create=opens == "write")
    except StoreLockedError as exc:
        if opens == "write" or not exc.readers:
            raise
        return Cockpit(settings, create=False, read_only=True)


def command_options(opens: Opens = "read", json_output: bool = True,
                    check: Callable[..., None] | None = None, locked: str | None = None) -> Callable[[F], F]:
    """Add ``--db`` and ``--config`` (and ``--json`` when ``json_output``) to a command, open the core
    object with them and map errors.

    The decorated function's first parameter receives the opened Cockpit (``opens`` "read" or "write",
    closed after the command) or the loaded Settings (``opens=None``); with ``json_output`` it has a
    ``json_out: bool`` parameter. Its other parameters are the command's own typer options. ``check``
    is called with those options and ``settings=`` (the loaded Settings) before the store is opened (a
    usage error then creates no store); it raises :func:`fail` or an IPCockpitError.
    ``locked``: the catalogue key of what to do when another process holds the store (default: stop it)."""

    def decorate(func: F) -> F:
        signature = inspect.signature(func, eval_str=True)
        first, *own = signature.parameters.values()
        if json_output and "json_out" not in signature.parameters:
            raise TypeError(f"{func.__name__}: a command with --json takes a json_out parameter")
        params = [p.replace(annotation=JsonOption, default=False) if p.name == "json_out" else p for p in own]
        params += [inspect.Parameter("db", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=DbOption),
                   inspect.Parameter("config", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ConfigOption)]

        @functools.wraps(func)
        def run(*args: Any, db: str | None = None, config: str | None = None, **kwargs: Any) -> Any:
            with reported_errors():
                settings = load_settings(config, db=db)
            t = texts(settings)
            with reported_errors(t, opens, locked):
                if check is not None:
                    check(*args, settings=settings, **kwargs)
                if opens is None:
                    return func(settings, *args, **kwargs)
                if Path(settings.db).is_dir():  # `--db var` for `--db var/ipcockpit.duckdb`; DuckDB says "I/O error"
                    raise fail(t("cli.store_is_folder", path=settings.db,
                                 example=str(Path(settings.db) / "ipcockpit.duckdb")))
                with open_cockpit(settings, opens) as cockpit:
                    return func(cockpit, *args, **kwargs)

        run.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params}
        return run  # type: ignore[return-value]

    return decorate


def dump(data: Any) -> None:
    """Print ``data`` as JSON (UTF-8 text, dates as ISO strings)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def table_console() -> Console:
    """The console of a command's tables on stdout: the terminal's width, or, when stdout is not a
    terminal (a pipe, a file, a log), :data:`PIPE_WIDTH` columns, so that no row is cut or wrapped."""
    console = Console()
    return console if console.is_terminal else Console(width=PIPE_WIDTH)


def known(choices: dict[str, str], t: i18n.Translator) -> str:
    """What may be chosen, for an error: ``government_statistics（政府统计）、...`` (id and name)."""
    return t("cli.known_separator").join(t("cli.known_item", id=k, name=v) for k, v in choices.items())


def answer(value: bool | None, t: i18n.Translator) -> str:
    """A yes/no/unknown answer in ``t``'s language: 是, 否, 未知 (yes, no, unknown)."""
    return t("answer.unknown" if value is None else "answer.yes" if value else "answer.no")
