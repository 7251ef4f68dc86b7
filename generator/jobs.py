"""Work spread over the machine's cores, in forked worker processes.

``CONGKHAI_JOBS`` sets how many (``1``: everything in this process, as before); by default
as many as the CPUs this process may run on. Workers are forked, so they start with
everything the parent has loaded (the site, the log) without copying or pickling it; only
their results come back, in the order of the items. Where ``fork`` does not exist
(Windows) the work is done in this process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from generator.errors import CongkhaiError

T = TypeVar("T")
R = TypeVar("R")

ENV = "CONGKHAI_JOBS"

_TASK: Callable[[Any], Any] | None = None
_ITEMS: Sequence[Any] = ()


def count() -> int:
    """Worker processes to use: ``CONGKHAI_JOBS``, or the CPUs this process may use."""
    text = os.environ.get(ENV, "").strip()
    if text:
        if not text.isdigit() or int(text) < 1:
            raise CongkhaiError(f"{ENV}={text}: phải là một số nguyên từ 1 trở lên (1 = không chạy song song)")
        return int(text)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _run(index: int) -> Any:
    assert _TASK is not None
    return _TASK(_ITEMS[index])


def fork_map(
    fn: Callable[[T], R], items: Sequence[T], jobs: int | None = None, background: bool = False
) -> Iterator[R]:
    """``fn(item)`` for every item, in order, computed by up to ``jobs`` (default
    :func:`count`) forked workers. ``fn`` may be any function, closures included: the
    workers inherit it. The workers are started before this returns (so that a progress
    bar, which runs a thread, is started only afterwards); iterate the result to the end
    (or close it) to stop them. Exceptions raised by ``fn`` are raised here.

    With one job the items are done here, one by one as they are asked for, unless
    ``background``: then one worker does them while this process goes on with other work."""
    jobs = min(count() if jobs is None else jobs, len(items))
    if jobs < 1 or (jobs == 1 and not background) or not can_fork():
        return map(fn, items)
    global _TASK, _ITEMS
    _TASK, _ITEMS = fn, items
    # the parent's objects are left alone by the workers' garbage collector (no scan of a
    # big site in every worker, and its memory stays shared with the parent)
    gc.freeze()
    pool = multiprocessing.get_context("fork").Pool(jobs)

    def results() -> Iterator[R]:
        global _TASK, _ITEMS
        done = False
        try:
            yield from pool.imap(_run, range(len(items)))
            done = True
        finally:
            if done:
                pool.close()
            else:
                pool.terminate()
            pool.join()
            _TASK, _ITEMS = None, ()
            gc.unfreeze()

    return results()


def chunks(items: Sequence[T], jobs: int | None = None, per_job: int = 8, largest: int = 200) -> list[Sequence[T]]:
    """``items`` cut into consecutive pieces: about ``per_job`` pieces per worker (so that
    a slow piece does not leave the others idle), none longer than ``largest``."""
    jobs = count() if jobs is None else jobs
    size = max(1, min(largest, -(-len(items) // (jobs * per_job))))
    return [items[i : i + size] for i in range(0, len(items), size)]
