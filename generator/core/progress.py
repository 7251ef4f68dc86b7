"""Progress of long work, shown on a terminal only.

``with task("Đọc hồ sơ", total=n) as bar: ... bar.advance()``: a bar with counts (rich)
on standard error when it is a terminal; nothing at all otherwise (CI logs, pipes, tests
run through click's CliRunner), so output that is read by programs never changes. The bar
is redrawn by the work itself (at most ten times a second), never by a thread of its own:
a process with no other thread may fork workers (:mod:`generator.core.parallel`, the build
engine).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

T = TypeVar("T")


def shown(stream: TextIO | None = None) -> bool:
    """Whether progress is shown: standard error (or ``stream``) is a terminal."""
    stream = stream or sys.stderr
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class Bar:
    """One task's progress; every method does nothing when progress is not shown."""

    def __init__(self, description: str, total: int | None = None):
        self._progress: Progress | None = None
        if shown():
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=sys.stderr),
                redirect_stdout=False,  # what a command prints stays on its own stream
                redirect_stderr=False,
                auto_refresh=False,
            )
            self._task = self._progress.add_task(description, total=total)
            self._progress.start()

    def advance(self, steps: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, steps)
            now = time.monotonic()
            if now - self._drawn >= 0.1:
                self._progress.refresh()
                self._drawn = now

    _drawn = 0.0

    def total(self, total: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, total=total)

    def print(self, line: str) -> bool:
        """Print ``line`` above the bar when the bar and standard output are both on the
        terminal; ``False`` (nothing printed) otherwise: the caller prints it as usual."""
        if self._progress is None or not shown(sys.stdout):
            return False
        self._progress.console.print(line, markup=False, highlight=False, soft_wrap=True)
        return True

    def close(self) -> None:
        if self._progress is not None:
            self._progress.refresh()
            self._progress.stop()
            self._progress = None


@contextmanager
def task(description: str, total: int | None = None) -> Iterator[Bar]:
    bar = Bar(description, total)
    try:
        yield bar
    finally:
        bar.close()


def track(items: Iterable[T], description: str) -> Iterator[T]:
    """``items`` one by one, counted on a terminal (``for x in track(xs, "…")``)."""
    items = list(items)
    with task(description, total=len(items)) as bar:
        for item in items:
            yield item
            bar.advance()
