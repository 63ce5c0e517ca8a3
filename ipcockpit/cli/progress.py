"""Progress of long commands (``ingest``, ``index``) on stderr: a live bar on a terminal, plain lines otherwise.

Where stderr is no terminal (a pipe, a log file, CI, ``make run | tee``) rich draws no live bar, and a
command that ran for minutes printed nothing. There :class:`Progress` prints plain lines instead, per stage:
one when the stage starts, then one at most every ``every`` seconds (default :data:`EVERY`) and, for a
known total, one at each tenth (at most one a second), and one when it ends. A line holds the stage, the
count (with the total and the share when known), the time since the command began, for a stage given a
``unit`` its rate and, with a known total, the time left (ETA), and a note (e.g. the files done so far), in
the command line's language (catalogue keys ``cli.progress_*``). The rate counts what the stage did since
its first update, so a resumed stage that starts at 40 % is not credited with work done before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Any

from rich.console import Console

from ipcockpit.i18n import Translator

#: seconds between two plain lines of one stage
EVERY = 10.0
#: a plain line at each this many percent of a known total
STEP = 10
#: the fewest seconds between two lines that the percent steps alone would print
STEP_GAP = 1.0


@dataclass
class _Stage:
    label: str
    done: int = 0
    total: int | None = None
    note: str = ""
    printed_at: float | None = None
    printed_step: int = -1
    finished: bool = False
    task: Any = None  # the live bar's task
    unit: str = ""  # "docs": a rate and an ETA are shown
    first_done: int = 0
    first_at: float | None = None


class Progress:
    """``with Progress(err, t) as p: p.advance("records", label, n)`` or ``p.update(stage, label, done,
    total)``; stages not finished are finished when the block ends without an error."""

    def __init__(self, console: Console, t: Translator, *, every: float = EVERY,
                 clock: Callable[[], float] = time.monotonic, live: bool | None = None) -> None:
        self.console, self.t, self.every, self.clock = console, t, every, clock
        self.live = console.is_terminal if live is None else live
        self.started = clock()
        self._stages: dict[str, _Stage] = {}
        self._bar: Any = None

    def __enter__(self) -> Progress:
        if self.live:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TextColumn("{task.fields[speed]}"), console=self.console)
            self._bar.__enter__()
        self.started = self.clock()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, exc, tb)
        elif kind is None:
            for key in list(self._stages):
                self.finish(key)

    def update(self, key: str, label: str, done: int, total: int | None = None, note: str = "",
               unit: str = "") -> None:
        """Stage ``key`` (shown as ``label``) has done ``done`` of ``total`` (None: not known); ``unit`` (a
        word, e.g. "docs"): show the rate and the time left."""
        stage = self._stages.setdefault(key, _Stage(label))
        stage.label, stage.done, stage.total = label, done, total
        stage.note = note or stage.note
        stage.unit = unit or stage.unit
        now = self.clock()
        if stage.first_at is None:
            stage.first_done, stage.first_at = done, now
        if self._bar is not None:
            description = label + (self.t("cli.progress_note", text=stage.note) if stage.note else "")
            speed = self.speed(stage, now).lstrip(",，").strip()
            if stage.task is None:  # created at its first count: a resumed stage's start is no burst of speed
                stage.task = self._bar.add_task(description, total=total, completed=done, speed=speed)
            self._bar.update(stage.task, completed=done, total=total, description=description, speed=speed)
            return
        if stage.finished:
            return
        if total is not None and done >= total:
            self.finish(key)
            return
        step = (100 * done // total) // STEP if total else -1
        if (stage.printed_at is None or now - stage.printed_at >= self.every
                or (step > stage.printed_step and now - stage.printed_at >= STEP_GAP)):
            self._print(stage, now, "cli.progress_line")
            stage.printed_step = step

    def speed(self, stage: _Stage, now: float, left: bool = True) -> str:
        """``, 35.2 docs/s, ETA 0:01:25`` (in the command line's language) for a stage with a unit that has
        advanced for at least a second; "" otherwise."""
        if not stage.unit or stage.first_at is None or now - stage.first_at < 1 or stage.done <= stage.first_done:
            return ""
        rate = (stage.done - stage.first_done) / (now - stage.first_at)
        text = self.t("cli.progress_rate", rate=f"{rate:,.1f}" if rate < 100 else f"{rate:,.0f}", unit=stage.unit)
        if left and stage.total and stage.done < stage.total:
            text += self.t("cli.progress_eta", eta=str(timedelta(seconds=round((stage.total - stage.done) / rate))))
        return text

    def advance(self, key: str, label: str, n: int = 1, note: str = "") -> None:
        """Stage ``key`` has done ``n`` more."""
        stage = self._stages.get(key)
        self.update(key, label, (stage.done if stage else 0) + n, stage.total if stage else None, note)

    def finish(self, key: str) -> None:
        """Stage ``key`` is done: its last line (plain output only; the bar shows it by itself)."""
        stage = self._stages.get(key)
        if stage is None or stage.finished:
            return
        stage.finished = True
        if self._bar is None:
            self._print(stage, self.clock(), "cli.progress_done")

    def _print(self, stage: _Stage, now: float, key: str) -> None:
        t = self.t
        if stage.total:
            count = t("cli.progress_of", done=f"{stage.done:,}", total=f"{stage.total:,}",
                      pct=100 * stage.done // stage.total)
        else:
            count = f"{stage.done:,}"
        note = t("cli.progress_note", text=stage.note) if stage.note else ""
        elapsed = str(timedelta(seconds=int(now - self.started)))
        speed = self.speed(stage, now, left=key != "cli.progress_done")
        self.console.print(t(key, label=stage.label, count=count, elapsed=elapsed, speed=speed, note=note),
                           markup=False, highlight=False)
        stage.printed_at = now
