"""Jobs of a writable server: loading files (``ingest``), building the search indexes (``index``) and the
knowledge graph (``graph``, from the explorer page's button: :mod:`ipcockpit.web.routes.graph`) in the
server's own process while its pages keep answering, and the sidecar file through which the command line
on the same machine finds the server (docs/operations.md, "Loading data into a running installation").

Rules:

* A writable server publishes ``<resolved db path>.serve.json`` (:func:`sidecar_path`) when it starts:
  its loopback URL, a random token, its PID and its start time, readable by its own user only (mode
  0600). It opens the store first, so that the PID in the file is the process that holds the store. It
  removes the file when it stops, if the file is still its own (same token). No sidecar for a read-only
  server (it cannot write the store), for ``:memory:``, or for a server that listens on one address that
  is not loopback (the command line could not reach it from loopback).
* Only a caller that proves local access may run or read jobs (:meth:`JobRunner.allowed`): a loopback
  client, no proxy header, and the sidecar's token (compared in constant time).
* A job runs in a thread of its own on a connection of its own (``holder.root.cursor()``), not one of
  the request pool: no request time limit, and the readers keep their connections. Readers see the last
  committed state: the loader commits each file at its end (a file of more than ``COMMIT_BYTES`` of rows
  in several steps, see :mod:`ipcockpit.store.loader`).
* One job at a time: another while one is queued or running is refused (:class:`JobBusy`, HTTP 409).
* The runner keeps the last :data:`KEEP` jobs in memory; a restarted server has forgotten them.
* A server that stops during a job stops the job at its next record or stage (:class:`JobCancelled`): the
  file being loaded is rolled back, the files committed before stay; the job ends ``failed``.
* A job's progress is what the command line's progress shows: the files done (each file's report as
  ``ingest --json`` prints it), the records read, and the index build's stages (``stage: [done, total]``).
  Its ``result`` is what ``ipcockpit ingest --json`` / ``index --json`` print; an ingest job also runs the
  data-quality checks after it, as the command does (``quality``).

This module imports nothing of FastAPI: the command line reads the sidecar through it.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import logging
import os
import secrets
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ipcockpit.errors import StoreError

if TYPE_CHECKING:
    from ipcockpit.app import Cockpit
    from ipcockpit.settings import Settings
    from ipcockpit.store.loader import FileReport
    from ipcockpit.web.context import CockpitHolder

log = logging.getLogger("ipcockpit.web.jobs")

SIDECAR_SUFFIX = ".serve.json"
#: the header that carries the sidecar's token
TOKEN_HEADER = "X-IPCockpit-Token"
#: where the jobs API answers (routes: ipcockpit.web.routes.jobs)
JOBS_PATH = "/api/admin/jobs"
KINDS = ("ingest", "index", "graph", "watch")  # graph: the knowledge graph, from the explorer page (admins);
#: watch: `ipcockpit watch run` (alerts found, digests due and failed deliveries sent)
#: the jobs a server remembers (the newest)
KEEP = 20
#: headers a proxy adds: a request that carries one was forwarded, so it is not local whatever its address
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")
ACTIVE = ("queued", "running")


def sidecar_path(db: str | os.PathLike[str]) -> Path | None:
    """``<resolved db path>.serve.json``, the file a writable server of ``db`` publishes; None for ``:memory:``."""
    if str(db) == ":memory:":
        return None
    return Path(os.path.realpath(db) + SIDECAR_SUFFIX)


def loopback_url(host: str, port: int) -> str | None:
    """The URL at which a server listening on ``host``:``port`` answers on loopback: all addresses and
    loopback ones answer there, ``localhost`` too; one other address does not (None)."""
    host = (host or "").strip().strip("[]")
    if host in ("", "0.0.0.0"):
        return f"http://127.0.0.1:{port}"
    if host == "::":
        return f"http://[::1]:{port}"
    if host.lower() == "localhost":
        return f"http://localhost:{port}"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not address.is_loopback:
        return None
    return f"http://{host}:{port}" if address.version == 4 else f"http://[{host}]:{port}"


def is_loopback(host: str | None) -> bool:
    """True for a loopback IP address (127.0.0.0/8, ::1, ::ffff:127.x); False for names and anything else."""
    try:
        return ipaddress.ip_address((host or "").strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Sidecar:
    """What a writable server publishes next to its store."""

    url: str
    token: str
    pid: int
    started_at: str

    @classmethod
    def read(cls, db: str | os.PathLike[str]) -> Sidecar | None:
        """The sidecar of ``db``'s server, or None when there is none (or it cannot be read)."""
        path = sidecar_path(db)
        if path is None:
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(str(data["url"]), str(data["token"]), int(data["pid"]), str(data.get("started_at", "")))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self, path: Path) -> None:
        """Write the file readable by this user only, whole or not at all (a new file renamed over the old)."""
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(asdict(self), out)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise


class JobBusy(Exception):
    """A job is queued or running already; ``job`` is that one."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"job {job.id} ({job.kind}) is {job.state}; wait for it to finish, then try again")
        self.job = job


class JobCancelled(Exception):
    """The server stopped while the job ran. Not an IPCockpitError: the ingest must not take it for one
    file's error and go on with the next."""


@dataclass
class Job:
    """One job and its progress; changed by its thread under the runner's lock."""

    id: str
    kind: str
    paths: list[str]
    rebuild: bool = False
    state: str = "queued"  # queued, running, done, failed
    created_at: str = field(default_factory=lambda: datetime.now().isoformat(timespec="seconds"))
    started_at: str | None = None
    finished_at: str | None = None
    stage: str | None = None
    files: int = 0
    records: int = 0
    stages: dict[str, list[int]] = field(default_factory=dict)
    reports: list[dict[str, Any]] = field(default_factory=list)
    result: Any = None
    quality: dict[str, Any] | None = None
    error: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    def as_dict(self, since: int = 0) -> dict[str, Any]:
        """The job as the API answers it; ``reports`` from the ``since``-th on (a follower asks for the new)."""
        since = max(0, since)
        return {"id": self.id, "kind": self.kind, "state": self.state, "created_at": self.created_at,
                "started_at": self.started_at, "finished_at": self.finished_at,
                "request": {"paths": list(self.paths), "rebuild": self.rebuild},
                "progress": {"stage": self.stage, "files": self.files, "records": self.records,
                             "stages": {k: list(v) for k, v in self.stages.items()}},
                "reports_from": since, "reports": list(self.reports[since:]),
                "result": self.result, "quality": self.quality, "error": self.error}


def ingest_result(reports: Sequence[FileReport]) -> list[dict[str, Any]]:
    """What ``ipcockpit ingest --json`` prints for ``reports``."""
    return [r.as_dict() for r in reports]


class JobRunner:
    """The jobs of one app (``app.state.jobs``) and its sidecar: :meth:`start` and :meth:`stop` are the
    app's start-up and shutdown."""

    def __init__(self, holder: CockpitHolder, settings: Settings) -> None:
        self.holder, self.settings = holder, settings
        self.token: str | None = None  # set while this server's sidecar is published
        self.sidecar: Path | None = None
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._running: Cockpit | None = None  # the running job's connection (interrupted at shutdown)

    # the sidecar ------------------------------------------------------------------------------------
    def start(self) -> None:
        """Hold the store and publish the sidecar (a writable server reachable on loopback only)."""
        if self.holder.read_only:
            return
        path = sidecar_path(self.settings.db)
        url = loopback_url(self.settings.host, int(self.settings.port))
        if path is None:
            return
        if url is None:
            log.warning("hand-over off: the server listens on %s only, which is not loopback; ingest and index "
                        "cannot reach it (listen on 127.0.0.1 or 0.0.0.0)", self.settings.host)
            return
        try:
            self.holder.root  # noqa: B018 (opens the store: the sidecar's PID must be the process holding it)
        except StoreError as exc:
            log.warning("hand-over off: the store cannot be opened for writing now (%s)", exc)
            return
        sidecar = Sidecar(url, secrets.token_urlsafe(32), os.getpid(), datetime.now().isoformat(timespec="seconds"))
        try:
            sidecar.write(path)
        except OSError as exc:
            log.warning("hand-over off: cannot write %s (%s); ingest and index cannot find this server", path, exc)
            return
        self.token, self.sidecar = sidecar.token, path
        log.info("hand-over on: `ipcockpit ingest` and `ipcockpit index` on this store send their job to %s", url)

    def stop(self, wait: float = 60.0) -> None:
        """Stop a running job (its file is rolled back) and remove the sidecar if it is still this server's."""
        with self._lock:
            thread, running = self._thread, self._running
            for job in self._jobs.values():
                if job.state in ACTIVE:
                    job.cancel.set()
        if running is not None:
            with contextlib.suppress(Exception):
                running.store.con.interrupt()
        if thread is not None:
            thread.join(wait)
        if self.sidecar is not None and self.token is not None:
            found = Sidecar.read(self.settings.db)
            if found is not None and found.token == self.token:
                with contextlib.suppress(OSError):
                    self.sidecar.unlink()
        self.token = None

    def allowed(self, client: str | None, token: str | None, forwarded: bool) -> bool:
        """Whether a request may run or read jobs: from loopback, not through a proxy, with the token."""
        if self.token is None or not token or forwarded or not is_loopback(client):
            return False
        return hmac.compare_digest(token.encode("utf-8"), self.token.encode("utf-8"))

    # jobs -------------------------------------------------------------------------------------------
    def submit(self, kind: str, paths: Sequence[str] = (), rebuild: bool = False) -> Job:
        """Queue a job and start its thread; :class:`JobBusy` while another is queued or running."""
        if kind not in KINDS:
            raise ValueError(f"kind={kind!r}: use one of {', '.join(KINDS)}")
        with self._lock:
            busy = next((j for j in self._jobs.values() if j.state in ACTIVE), None)
            if busy is not None:
                raise JobBusy(busy)
            job = Job(uuid.uuid4().hex[:12], kind, [str(p) for p in paths], rebuild)
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP:
                self._jobs.popitem(last=False)
            self._thread = threading.Thread(target=self._run, args=(job,), name=f"ipcockpit-job-{job.id}",
                                            daemon=True)
            self._thread.start()
        return job

    def get(self, job_id: str, since: int = 0) -> dict[str, Any] | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.as_dict(since) if job is not None else None

    def summaries(self) -> list[dict[str, Any]]:
        """The jobs remembered, newest first, without their reports and results."""
        with self._lock:
            return [{k: v for k, v in j.as_dict(len(j.reports)).items() if k not in ("result", "quality")}
                    for j in reversed(self._jobs.values())]

    def _run(self, job: Job) -> None:
        cockpit: Cockpit | None = None
        try:
            cockpit = self.holder.root.cursor()
            with self._lock:
                job.state, job.started_at = "running", datetime.now().isoformat(timespec="seconds")
                self._running = cockpit
            if job.cancel.is_set():
                raise JobCancelled
            if job.kind == "ingest":
                self._ingest(job, cockpit)
            elif job.kind == "graph":
                self._graph(job, cockpit)
            elif job.kind == "watch":
                self._watch(job, cockpit)
            else:
                self._index(job, cockpit)
            final, error = "done", None
        except Exception as exc:
            if isinstance(exc, JobCancelled | duckdb.InterruptException) and job.cancel.is_set():
                error = "the server stopped during the job: the file being loaded was rolled back; run it again"
            else:
                log.exception("job %s (%s) failed", job.id, job.kind)
                error = str(exc) or type(exc).__name__
            final = "failed"
        finally:
            with self._lock:
                self._running = None
            if cockpit is not None:
                with contextlib.suppress(Exception):
                    cockpit.close()
        with self._lock:
            job.state, job.error = final, error
            job.finished_at = datetime.now().isoformat(timespec="seconds")

    def _check(self, job: Job) -> None:
        if job.cancel.is_set():
            raise JobCancelled

    def _ingest(self, job: Job, cockpit: Cockpit) -> None:
        def on_record(n: int) -> None:
            with self._lock:
                job.records += n
            self._check(job)

        def on_file(report: FileReport) -> None:
            with self._lock:
                job.files += 1
                job.reports.append(report.as_dict())
            self._check(job)

        with self._lock:
            job.stage = "ingest"
        reports = cockpit.ingest(job.paths, on_file=on_file, on_record=on_record)
        with self._lock:
            job.stage = "quality"
        quality = cockpit.quality()  # the data-quality step after every ingest
        with self._lock:
            job.result, job.quality = ingest_result(reports), quality

    def _graph(self, job: Job, cockpit: Cockpit) -> None:
        with self._lock:
            job.stage = "graph"
        result = cockpit.graph_build()
        with self._lock:
            job.result = result

    def _watch(self, job: Job, cockpit: Cockpit) -> None:
        with self._lock:
            job.stage = "watch"
        report = cockpit.monitor.watch.run(now=datetime.now())
        with self._lock:
            job.result = json.loads(json.dumps(report, default=str))

    def _index(self, job: Job, cockpit: Cockpit) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            with self._lock:
                job.stage = stage
                job.stages[stage] = [done, total]
            self._check(job)

        result = cockpit.index(progress=progress, rebuild=job.rebuild)
        with self._lock:
            job.result = result
