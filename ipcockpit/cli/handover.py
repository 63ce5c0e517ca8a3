"""``ingest``, ``index`` and ``watch run`` hand their job to the running server that holds their store
(docs/operations.md, "Loading data into a running installation").

DuckDB lets one process write a file: while ``ipcockpit serve`` holds the store, no other process may load
into it. So when the store is held by another process, and that process is a live server of the same store
(its sidecar ``<db>.serve.json`` names the PID that holds the file, and the sidecar's URL answers
``/healthz`` and, with the token, the jobs API), the command sends the job to the server and follows it.
The command's own code runs on a :class:`RemoteCockpit` in place of the store, so the progress on stderr,
the report on stdout and the exit status are those of a local run; one line more says that the server
did the work (its readers saw the old data until each file was committed). Without a live server the
command runs as always, and a held store is the lock error, whose advice says what to do.

Rules: paths are sent absolute (the server's working folder is not the command's) and reported as given;
the server is asked on loopback only and never through a proxy (the token must not leave the machine); a
job the server refuses, loses or fails is ``error: <message>`` (exit status 2), as a local failure is.
Interrupting the command (Ctrl+C) leaves the job running on the server.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

import typer

from ipcockpit.app import Cockpit
from ipcockpit.cli.options import err, reported_errors, texts
from ipcockpit.errors import IPCockpitError
from ipcockpit.settings import Settings, load_settings
from ipcockpit.store.loader import FileReport
from ipcockpit.web.jobs import JOBS_PATH, TOKEN_HEADER, Sidecar

F = TypeVar("F", bound=Callable[..., Any])
#: seconds between two questions about a running job: the first soon (a small job ends at once), then
#: longer, up to the last (the server's access log gets a line per question)
POLL = (0.1, 1.0)
#: seconds a question to the server may take
TIMEOUT = 30.0


class HandOverError(IPCockpitError):
    """The server refused the job, lost it or stopped answering."""


class NotHandedOver(IPCockpitError, AttributeError):
    """A command asked the server's stand-in for something the server does not do for the command line (an
    AttributeError too, so that ``hasattr`` and ``getattr(x, name, default)`` work as on any object)."""


def hands_over(command: F) -> F:
    """Wrap a command made by :func:`ipcockpit.cli.options.command_options` (put this decorator above it):
    when its store is held by a live server, its own function runs on a :class:`RemoteCockpit`."""
    own = command.__wrapped__  # type: ignore[attr-defined]  # the function command_options wrapped

    @functools.wraps(command)
    def run(*args: Any, db: str | None = None, config: str | None = None, **kwargs: Any) -> Any:
        found = live_server(db, config)
        if found is None:
            return command(*args, db=db, config=config, **kwargs)
        settings, server = found
        remote = RemoteCockpit(settings, server)
        t = texts(settings)
        with reported_errors(t):
            try:
                return own(remote, *args, **kwargs)
            except KeyboardInterrupt:
                if remote.job_id:
                    err.print(t("cli.handover_detached", url=server.url, id=remote.job_id), markup=False)
                raise typer.Exit(130) from None
            finally:
                if remote.done_kind:
                    err.print(t(f"cli.handover_{remote.done_kind}", url=server.url, pid=server.pid), markup=False,
                              highlight=False)

    return run  # type: ignore[return-value]


def live_server(db: str | None, config: str | None) -> tuple[Settings, Sidecar] | None:
    """The settings and the sidecar of the live server holding the store, or None (then the command runs
    as always): a sidecar is there, its PID holds the store for writing, and its URL answers."""
    try:
        settings = load_settings(config, db=db)
    except (IPCockpitError, OSError):
        return None  # the command reports it
    server = Sidecar.read(settings.db)
    if server is None or holder_pid(settings.db) != server.pid:
        return None
    try:
        health = _ask(server, "GET", "/healthz", token=False, timeout=5)
        jobs = _ask(server, "GET", JOBS_PATH, timeout=5)
    except HandOverError:
        return None
    if health.get("status") != "ok" or jobs.get("pid") != server.pid:
        return None
    return settings, server


def holder_pid(db: str) -> int | None:
    """The PID of the process holding ``db`` for writing, or None (nobody, or readers only)."""
    import duckdb

    from ipcockpit.store.duckdb_store import locked_error

    try:
        duckdb.connect(db, read_only=True).close()
    except duckdb.Error as exc:
        locked = locked_error(db, exc)
        return locked.pid if locked is not None and not locked.readers else None
    return None


def _ask(server: Sidecar, method: str, path: str, body: Any = None, *, token: bool = True,
         timeout: float = TIMEOUT) -> dict[str, Any]:
    """``method path`` on the server, its JSON answer; :class:`HandOverError` with the server's message."""
    import urllib.error
    import urllib.request

    headers = {"Accept": "application/json"}
    if token:
        headers[TOKEN_HEADER] = server.token
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(server.url + path, data=data, headers=headers, method=method)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
    try:
        with opener.open(request, timeout=timeout) as answer:
            return json.loads(answer.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read().decode("utf-8")).get("error") or exc.reason
        except ValueError:
            message = exc.reason
        raise HandOverError(f"{server.url}{path}: {exc.code} {message}") from exc
    except (OSError, ValueError) as exc:
        raise HandOverError(f"{server.url}{path}: {exc}") from exc


class RemoteCockpit:
    """What ``ingest``, ``index`` and ``watch run`` call on their store, done by the server: :meth:`ingest` (then
    :meth:`quality`, the checks the server ran after it), :meth:`index` and ``monitor.watch.run``;
    :meth:`index_status` reads the index folder here, as a local run does. Anything else is an error that names
    it."""

    index_folder = Cockpit.index_folder
    index_status = Cockpit.index_status

    def __init__(self, settings: Settings, server: Sidecar) -> None:
        self.settings, self.server = settings, server
        self.job_id: str | None = None
        self.done_kind: str | None = None  # the kind of the job the server finished
        self._quality: dict[str, Any] | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotHandedOver(f"{name}: not something the running server does for the command line; stop the "
                             "server (Ctrl+C in its terminal) and run the command again")

    def close(self) -> None:
        pass

    def ingest(self, paths: Any, *, on_file: Callable[[FileReport], None] | None = None,
               on_record: Callable[[int], None] | None = None, strict: bool = False) -> list[FileReport]:
        """The server loads ``paths``; ``on_file`` and ``on_record`` as :meth:`ipcockpit.app.Cockpit.ingest`."""
        if strict:
            raise IPCockpitError("strict: not offered through the running server")
        given = [str(p) for p in paths]
        sent = [os.path.abspath(p) for p in given]
        names = sorted(zip(sent, given, strict=True), key=lambda pair: -len(pair[0]))
        told = 0

        def update(job: dict[str, Any]) -> None:
            nonlocal told
            records = int(job["progress"]["records"])
            if on_record is not None and records > told:
                on_record(records - told)
            told = max(told, records)
            if on_file is not None:
                for report in job["reports"]:
                    on_file(_report(report, names))

        job = self._run({"kind": "ingest", "paths": sent}, update, names)
        self._quality = job.get("quality")
        return [_report(r, names) for r in job["result"]]

    def quality(self) -> dict[str, Any]:
        """The data-quality checks the server ran after the ingest."""
        if self._quality is None:
            raise IPCockpitError("quality: the server gives the checks after an ingest only")
        return self._quality

    def index(self, progress: Callable[[str, int, int], None] | None = None, rebuild: bool = False,
              engine: str = "local", staging: str | None = None) -> dict[str, Any]:
        """The server builds or updates the indexes; ``progress`` as :meth:`ipcockpit.app.Cockpit.index`
        (the server embeds on its own cores: ``engine`` ``spark`` is not handed over)."""
        if engine != "local":
            raise NotHandedOver(f"--engine {engine}: not something the running server does for the command line; "
                                "stop the server (Ctrl+C in its terminal) and run the command again")
        seen: dict[str, list[int]] = {}

        def update(job: dict[str, Any]) -> None:
            for stage, (done, total) in job["progress"]["stages"].items():
                if progress is not None and seen.get(stage) != [done, total]:
                    progress(stage, done, total)
                seen[stage] = [done, total]

        result = dict(self._run({"kind": "index", "rebuild": rebuild}, update, [])["result"])
        return _local_folder(result, str(self.index_folder()))

    @property
    def monitor(self) -> _RemoteMonitor:
        """The monitoring services as far as the server runs them for the command line: ``watch.run``."""
        return _RemoteMonitor(self)

    def _run(self, body: dict[str, Any], update: Callable[[dict[str, Any]], None],
             names: list[tuple[str, str]]) -> dict[str, Any]:
        """Send the job and follow it to its end, ``update`` with each answer; the finished job."""
        job = _ask(self.server, "POST", JOBS_PATH, body)
        self.job_id = job["id"]
        since, pause = 0, POLL[0]
        while True:
            update(job)
            since += len(job["reports"])
            if job["state"] not in ("queued", "running"):
                break
            time.sleep(pause)
            pause = min(POLL[1], pause * 1.5)
            try:
                job = _ask(self.server, "GET", f"{JOBS_PATH}/{self.job_id}?since={since}")
            except HandOverError as exc:
                lost = texts(self.settings)("cli.handover_lost", url=self.server.url, id=self.job_id, detail=str(exc))
                raise HandOverError(lost) from exc
        if job["state"] != "done":
            raise HandOverError(_as_given_text(job.get("error") or job["state"], names))
        self.done_kind = body["kind"]
        return job


class _RemoteMonitor:
    def __init__(self, remote: RemoteCockpit) -> None:
        self.watch = _RemoteWatch(remote)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.watch.remote, f"monitor.{name}")  # NotHandedOver, naming it


class _RemoteWatch:
    """``Cockpit.monitor.watch`` as ``ipcockpit watch run`` uses it: :meth:`run` is the server's."""

    def __init__(self, remote: RemoteCockpit) -> None:
        self.remote = remote

    def __getattr__(self, name: str) -> Any:
        return getattr(self.remote, f"monitor.watch.{name}")  # NotHandedOver, naming it

    def run(self, now: Any = None, today: Any = None) -> dict[str, Any]:
        """The server finds new events on every list and sends what is due, at its own clock (``now`` and
        ``today`` are the command's: the same moment)."""
        return dict(self.remote._run({"kind": "watch"}, lambda job: None, [])["result"])


def _report(data: dict[str, Any], names: list[tuple[str, str]]) -> FileReport:
    """A file's report from the server, its paths as the command line gave them."""
    known = {f.name for f in fields(FileReport)}
    report = FileReport(**{k: v for k, v in data.items() if k in known})
    report.file = _as_given(report.file, names)
    if report.error:
        report.error = _as_given_text(report.error, names)
    report.warnings = [_as_given_text(w, names) for w in report.warnings]
    return report


def _local_folder(result: dict[str, Any], folder: str) -> dict[str, Any]:
    """The index build's result with its folder named as this command names it (the server may have been
    given the store by another path), when both name the same folder."""
    server = result.get("folder")
    if not isinstance(server, str) or os.path.realpath(server) != os.path.realpath(folder):
        return result
    for part in (result, *(v for v in result.values() if isinstance(v, dict))):
        if part.get("folder") == server:
            part["folder"] = folder
    return result


def _as_given(path: str, names: list[tuple[str, str]]) -> str:
    """``path`` (absolute, as sent) as the command line named it: a file, one in a folder, an archive member."""
    for sent, given in names:
        if path == sent:
            return given
        if path.startswith(sent + os.sep):
            return str(Path(given) / path[len(sent) + 1:])
        if path.startswith(sent + "!"):
            return given + path[len(sent):]
    return path


def _as_given_text(text: str, names: list[tuple[str, str]]) -> str:
    for sent, given in names:
        text = text.replace(sent, given)
    return text
