"""Work spread over the machine's cores by forked processes, results in order.

:func:`fork_map` runs a function over a list in a pool of forked worker processes: the
function and the list are inherited by the fork (nothing is pickled on the way there),
each worker takes a run of positions at a time and sends its results back pickled, and
they come back in the order of the list. It is used only when it pays and is safe:

- the list has at least ``least`` items (a pool costs more than it saves on a small
  project, and small projects stay simple to follow);
- more than one job: ``CONGKHAI_JOBS`` when set (``1``: this process only), otherwise the
  cores this process may run on (``os.sched_getaffinity``);
- the process runs no other thread and is not itself a worker (``mkdocs serve``, the editor, a progress bar): forking
  a process with threads is not safe; and the system can fork.

Otherwise the function runs in the process itself, over the same list, in the same order
(:func:`pays` decides, :func:`fork_map` runs).

:func:`fork_call` runs one call in a forked process of its own while the caller goes on
(the build engine's page workers, ``verify``'s checks of the served pages while the
records load): no pool and no thread, so the caller may still start a pool meanwhile.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from generator.core.errors import CongkhaiError

T = TypeVar("T")
R = TypeVar("R")

JOBS_VARIABLE = "CONGKHAI_JOBS"
CHUNK = 100
"""Most items one worker takes at a time (fewer when there are few items)."""


def jobs() -> int:
    """How many processes share the work: ``CONGKHAI_JOBS`` when set (``1``: this process
    only), otherwise the number of cores this process may run on."""
    text = os.environ.get(JOBS_VARIABLE, "").strip()
    if text:
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            raise CongkhaiError(
                f"biến môi trường {JOBS_VARIABLE}='{text}' không hợp lệ; viết một số nguyên dương "
                "(số tiến trình chạy song song; 1: không chạy song song)"
            )
        return int(text)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def pays(count: int, least: int, workers: int | None = None) -> int:
    """How many worker processes to share ``count`` items among: ``workers`` (default
    :func:`jobs`) when there are at least ``least`` items and forking is possible and safe,
    ``0`` otherwise (work in this process)."""
    workers = jobs() if workers is None else workers
    if (
        workers <= 1
        or count < least
        or _IN_WORKER
        or "fork" not in multiprocessing.get_all_start_methods()
        or threading.active_count() > 1
    ):
        return 0
    return workers


_TASK: list[Any] = []
"""``(function, items)`` of the running :func:`fork_map`, inherited by its workers."""
_IN_WORKER = False
"""True in a worker process (a worker never starts a pool of its own)."""


@contextmanager
def fork_map(function: Callable[[T], R], items: Sequence[T], workers: int) -> Iterator[Iterator[R]]:
    """``function(item)`` for each item, in order, as an iterator (``with fork_map(…) as
    results: for result in results: …``): in ``workers`` forked processes (``workers``
    from :func:`pays`), in this process when it is below 2. Enter it before any thread
    starts (a progress bar)."""
    if workers < 2:
        yield (function(item) for item in items)
        return
    size = max(1, min(CHUNK, -(-len(items) // (workers * 8))))
    runs = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    _TASK[:] = [function, items]
    # what is loaded so far is left alone by the collector: not walked again in every worker,
    # and its memory stays shared with this process
    gc.freeze()
    try:
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker)
        try:
            yield (result for results in pool.imap(_run, runs) for result in results)
            pool.close()
        finally:
            pool.terminate()
            pool.join()
    finally:
        _TASK.clear()
        gc.unfreeze()


class Forked:
    """One call running in a forked process of its own (:func:`fork_call`); its return
    value comes back pickled through a pipe."""

    def __init__(self, pid: int, reader: int):
        self.pid, self.reader = pid, reader

    def result(self) -> Any:
        """The call's return value (waits for it); :class:`WorkerDied` if the process ended
        without one (it raised, or was killed)."""
        with os.fdopen(self.reader, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if not data:
            raise WorkerDied(os.waitstatus_to_exitcode(status))
        return pickle.loads(data)

    def stop(self) -> None:
        """Kill the process if it still runs (its result is not wanted)."""
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.pid = 0


class WorkerDied(Exception):
    """A forked process ended without handing back a result (its exit code)."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def fork_call(function: Callable[[], R]) -> Forked:
    """``function()`` in a forked process, started now, while the caller goes on: the
    process is marked a worker (it starts no pool of its own), hands back the return value
    and leaves without running any of the parent's exit code. Unlike a pool, it runs no
    thread in the caller, so the caller may still fork (:func:`fork_map`, :func:`pays`)
    while it runs. Call it only where forking is safe (no other thread)."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid:
        os.close(writer)
        return Forked(pid, reader)
    os.close(reader)
    status = 1
    try:
        _start_worker()
        data = pickle.dumps(function())
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(data)
        status = 0
    finally:
        os._exit(status)


def chunks(items: Sequence[T], workers: int, per_worker: int = 8, largest: int = 200) -> list[Sequence[T]]:
    """``items`` cut into consecutive pieces: about ``per_worker`` pieces per worker (a slow
    piece does not leave the others idle), none longer than ``largest``."""
    size = max(1, min(largest, -(-len(items) // (max(1, workers) * per_worker))))
    return [items[i : i + size] for i in range(0, len(items), size)]


def in_worker() -> bool:
    """True in a worker process of :func:`fork_map`."""
    return _IN_WORKER


def _start_worker() -> None:
    global _IN_WORKER
    _IN_WORKER = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the parent, which stops the pool


def _run(run: tuple[int, int]) -> list[Any]:
    function, items = _TASK
    return [function(items[index]) for index in range(*run)]
